"""Where one file's findings go: which values are Hub ids, which lines are ignored, the run's state."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditor.models import Origin
from auditor.sources.discover.model import Reference
from auditor.sources.discover.vocabulary import FILE_EXTENSIONS, IGNORE_MARKER, MAX_EXPRESSION
from auditor.sources.refs import id_problem


@dataclass
class Context:
    cwd: Path
    roots: tuple[Path, ...]
    references: list[Reference] = field(default_factory=list)
    unresolved: list[Reference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: int = 0

    def display(self, path: Path) -> str:
        absolute = os.path.abspath(path)
        relative = os.path.relpath(absolute, self.cwd)
        shown = absolute if relative == ".." or relative.startswith(".." + os.sep) else relative
        return Path(shown).as_posix()

    def is_local_dir(self, value: str, base: Path) -> bool:
        """A value that names a directory in the scanned tree is a local checkpoint, not a Hub id."""
        for root in (base, *self.roots, self.cwd):
            try:
                if (root / value).is_dir():
                    return True
            except OSError:
                continue
        return False


class Sink:
    """Collects one file's references; decides which values are Hub ids and which lines are ignored."""

    def __init__(self, context: Context, shown: str, directory: Path) -> None:
        self.context = context
        self.path = shown
        self.directory = directory
        self.lines: list[str] = []
        self.line_map: Callable[[int], tuple[int, str | None]] = lambda line: (line, None)

    def ignored(self, line: int) -> bool:
        return 0 < line <= len(self.lines) and IGNORE_MARKER in self.lines[line - 1]

    def classify(self, value: str, *, allow_bare: bool) -> str | None:
        """The repo id `value` names, or None when it is a local path, a URL or no model id at all."""
        value = value.strip()
        if not value or "://" in value or value.startswith(("/", "./", "../", "~", "\\", ".")):
            return None
        if "\\" in value or re.match(r"^[A-Za-z]:", value) or "@" in value:
            return None
        if id_problem(value) is not None:
            return None
        if "/" not in value and not allow_bare:
            return None
        last = value.rsplit("/", 1)[-1]
        if "." in last and last.rsplit(".", 1)[-1].lower() in FILE_EXTENSIONS:
            return None
        if self.context.is_local_dir(value, self.directory):
            return None
        return value

    def warn(self, line: int, message: str) -> None:
        file_line, label = self.line_map(line)
        self.context.warnings.append(f"{self.path}:{label or file_line}: {message}")

    def found(
        self,
        line: int,
        via: str,
        *,
        repo_id: str | None = None,
        revision: str | None = None,
        expression: str | None = None,
    ) -> None:
        file_line, label = self.line_map(line)
        ref = Reference(
            origin=Origin(self.path, file_line),
            via=via,
            repo_id=repo_id,
            revision=revision,
            expression=short_expression(expression) if expression is not None else None,
            label=label,
        )
        (self.context.references if repo_id is not None else self.context.unresolved).append(ref)


def short_expression(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_EXPRESSION else text[: MAX_EXPRESSION - 1] + "…"
