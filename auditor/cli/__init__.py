"""The command line: the only package that reads argv, prints or exits.

One module per subcommand; each parses its options, builds `auditor.app.Settings`, calls the application
layer, hands the result to renderers and exits with the code the application layer decided:
0 nothing at or above --fail-on, 1 something is, 2 bad usage or input file, 3 could not run at all.
"""

from __future__ import annotations

import atexit
import functools
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from auditor import __version__
from auditor.cli.common import echo_err
from auditor.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    AuditorError,
    did_you_mean,
    error_lines,
)

COMMANDS = {
    "check": "auditor.cli.check:check_command",
    "discover": "auditor.cli.discover:discover_command",
    "explain": "auditor.cli.explain:explain_command",
    "licenses": "auditor.cli.licenses:licenses_command",
    "lock": "auditor.cli.lock:lock_command",
    "policy": "auditor.cli.policy:policy_group",
    "providers": "auditor.cli.providers:providers_command",
    "scan": "auditor.cli.scan:scan_command",
}
"""Each subcommand's module, imported when that command runs (or when help or a config file lists them all)."""


class _Group(click.Group):
    """A group that suggests the nearest command for a typo (`auditor scna` -> did you mean 'scan'?), and
    imports a subcommand's module only when it is asked for: `auditor scan` does not load the other seven."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, _, name = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            ctx.fail(f"No such command {name!r}{did_you_mean(name, self.list_commands(ctx))}.")
        return super().resolve_command(ctx, args)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Start with: auditor scan --hub-dir examples/hub -r examples/models.txt",
)
@click.version_option(__version__, "-V", "--version", prog_name="auditor")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Is this Hugging Face model cleared for commercial use, under which obligations, and why?

    auditor fetches each model's card, tags and license files from the Hub (pinned to a commit
    sha), resolves the license that really governs it (license files, license_name, base-model
    lineage), checks it against your company's policy for the intended use, and reports a verdict:
    approved, approved-with-obligations, needs-review, blocked or error.

    Settings come from flags, then AUDITOR_* environment variables, then [tool.auditor] in the
    nearest pyproject.toml, then the policy's defaults; -v shows where each came from.
    """
    from auditor.cli.config import load_config

    config = load_config(cli, Path.cwd())
    ctx.meta["auditor.config"] = config
    if config is not None:
        ctx.default_map = config.default_map


def _quiet_hub_client() -> None:
    """huggingface_hub's own notices on stderr would break "one clear line" per failure. Its logging
    takes its level from HF_HUB_VERBOSITY when first imported, which a run the cache answers never
    does (importing it costs ~0.1 s), so the variable is set rather than the module imported here.

    Its telemetry is switched off the same way unless the user asked for it: with it on, the client's
    user-agent builder fetches an agent registry from HF_ENDPOINT (huggingface.co by default) once a
    day, whatever `--endpoint` says, so an audit of a mirror would reach a host it was not pointed at.
    """
    hf_logging = sys.modules.get("huggingface_hub.utils.logging")
    if hf_logging is not None:
        hf_logging.set_verbosity_error()
    else:
        os.environ["HF_HUB_VERBOSITY"] = "error"
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


@functools.cache  # once per process, however often main() runs (tests call it in-process)
def _no_collection_at_exit() -> None:
    """At exit the interpreter runs full garbage collections over everything still alive: the run's
    results, the knowledge base, every module (~70 ms of CPU after a cold 1,000-model scan: its exit
    went from ~82 to ~12 ms). Frozen objects are left out of them. Nothing a run promises depends on those
    collections: reports and cache entries are written and closed before main() returns, the standard
    streams are flushed by the interpreter itself, and Python never promised finalizers for objects
    still alive at exit. Registered as main() starts, so it runs after the exit handlers of the run."""
    atexit.register(gc.freeze)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: click parsing, with every failure turned into one line and an exit code."""
    _no_collection_at_exit()
    _quiet_hub_client()
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="auditor", standalone_mode=False)
    except click.exceptions.Abort:
        echo_err("auditor: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code == 2 else exc.exit_code)
    except AuditorError as exc:
        for line in error_lines(exc):
            echo_err(line)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        echo_err("auditor: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        echo_err(f"auditor: internal error: {type(exc).__name__}: {exc} (set AUDITOR_DEBUG=1 for a traceback)")
        sys.exit(70)


__all__ = ["EXIT_UNAVAILABLE", "cli", "main"]
