"""Errors that end a run, each carrying the exit code the CLI returns for it.

A model that cannot be fetched is not an error here: it is an `error` verdict and the run goes on.
These are for bad input (2) and for a run that cannot happen at all (3).
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """` (did you mean 'saas'?)` for a near miss among `choices`, else an empty string."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class AuditorError(Exception):
    """Base of every error the CLI turns into one line on stderr and an exit code."""

    exit_code = EXIT_USAGE


def error_lines(exc: AuditorError) -> list[str]:
    """One `auditor: error:` line per mistake (a policy can carry several)."""
    return [f"auditor: error: {line}" for line in (str(exc).splitlines() or [""])]


class UsageError(AuditorError):
    """Bad command-line usage."""


class InputFileError(AuditorError):
    """A file a person wrote (list, inventory, policy, lock) is wrong at a known place."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}")


class OutputFileError(AuditorError):
    """A report, lock file or list could not be written where it was asked to go."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class PolicyError(InputFileError):
    """The policy file is invalid."""


class PolicyErrors(PolicyError):
    """Several mistakes in one policy file, each with its line: `policy check` reports them all."""

    def __init__(self, errors: Sequence[PolicyError]) -> None:
        self.errors = tuple(errors)  # in checking order: the first may be the cause of later ones
        first = self.errors[0]
        super().__init__(first.path, first.line, first.message)
        self.args = ("\n".join(str(e) for e in self.errors),)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class KnowledgeBaseError(InputFileError):
    """The license knowledge base (rules/licenses.yaml) is invalid."""


class HubUnavailableError(AuditorError):
    """The Hub could not be reached for any model, or refused our credentials."""

    exit_code = EXIT_UNAVAILABLE
