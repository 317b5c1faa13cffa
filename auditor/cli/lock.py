"""`auditor lock`: pin each model to its commit in a lock file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from auditor.app import lock, lock_exit_code
from auditor.app.settings import DEFAULT_LOCK_FILE
from auditor.cli.common import (
    EPILOG_LOCK,
    NO_PROGRESS,
    ProgressBar,
    discover_options,
    echo_err,
    handle_errors,
    hub_options,
    lock_file_option,
    model_options,
    note,
    output_options,
    policy_options,
    printable,
    settings_of,
    warn,
)


@click.command("lock", epilog=EPILOG_LOCK)
@model_options
@discover_options
@policy_options
@lock_file_option("The lock file to write.", DEFAULT_LOCK_FILE)
@NO_PROGRESS
@hub_options
@output_options
@handle_errors
def lock_command(model_ids: tuple[str, ...], ref_files: tuple[Path, ...], **opts: Any) -> None:
    """Pin each model to its current commit, with its license, an evidence hash and its verdict.

    The lock file is stable and diff-friendly: review it in pull requests like any lock file. With no
    models given, the models already in the lock file are re-pinned. `auditor check --lock` then fails
    when a locked model's license or license evidence changes upstream.

    \b
    Examples:
      auditor lock --discover src/                 # writes models.lock
      auditor lock -r models.txt --lock-file ci/models.lock
      auditor lock                                 # re-pin what models.lock lists
    """
    settings = settings_of(model_ids, ref_files, opts)
    bar = ProgressBar(enabled=not opts.get("no_progress"))
    try:
        result = lock(settings, warn=warn, progress=bar)
    finally:
        bar.close()
    built = result.built
    if built is None:
        echo_err("auditor: interrupted: the lock file was not written")
        sys.exit(lock_exit_code(result))
    for entry in sorted(built.lock.entries, key=lambda e: e.key):
        verdicts = ", ".join(f"{status} ({use})" for use, status in entry.verdicts)
        click.echo(f"locked  {entry.key}  {entry.sha[:12]}  {printable(entry.license or 'unresolved')}  {verdicts}")
    for skipped in built.skipped:
        message = skipped.fetch_error.message if skipped.fetch_error else skipped.verdict.reason
        echo_err(f"auditor: not locked: {skipped.ref}: {printable(message, limit=300)}")
    note(f"wrote {result.path} ({len(built.lock.entries)} models)")
    sys.exit(lock_exit_code(result))
