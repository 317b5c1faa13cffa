"""The command line: the only package that reads argv, prints or exits.

One module per subcommand; each parses its options, builds `auditor.app.Settings`, calls the application
layer, hands the result to renderers and exits with the code the application layer decided:
0 nothing at or above --fail-on, 1 something is, 2 bad usage or input file, 3 could not run at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from auditor import __version__
from auditor.cli.check import check_command
from auditor.cli.common import echo_err
from auditor.cli.discover import discover_command
from auditor.cli.explain import explain_command
from auditor.cli.licenses import licenses_command
from auditor.cli.lock import lock_command
from auditor.cli.policy import policy_group
from auditor.cli.scan import scan_command
from auditor.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, AuditorError


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Start with: auditor scan --hub-dir examples/hub -r examples/models.txt",
)
@click.version_option(__version__, "--version", prog_name="auditor")
def cli() -> None:
    """Is this Hugging Face model cleared for commercial use, under which obligations, and why?

    auditor fetches each model's card, tags and license files from the Hub (pinned to a commit
    sha), resolves the license that really governs it (license files, license_name, base-model
    lineage), checks it against your company's policy for the intended use, and reports a verdict:
    approved, approved-with-obligations, needs-review, blocked or error.
    """


for _command in (
    scan_command,
    explain_command,
    licenses_command,
    policy_group,
    discover_command,
    lock_command,
    check_command,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: click parsing, with every failure turned into one line and an exit code."""
    from huggingface_hub.utils import logging as hf_logging

    # The client's own notices on stderr would break "one clear line" per failure.
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="auditor", standalone_mode=False)
    except click.exceptions.Abort:
        echo_err("auditor: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code == 2 else exc.exit_code)
    except AuditorError as exc:
        echo_err(f"auditor: error: {exc}")
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
