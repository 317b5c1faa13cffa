"""`auditor scan`: audit models and print (or write) a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from auditor.app import scan
from auditor.cli.common import (
    EPILOG_EXIT,
    EXIT_ZERO,
    NO_PROGRESS,
    OUTPUT,
    STATS,
    ProgressBar,
    discover_options,
    echo_err,
    fail_on_option,
    finish,
    handle_errors,
    hub_options,
    model_options,
    note,
    output_options,
    parse_formats,
    policy_options,
    settings_of,
    warn,
    write_outputs,
    written_summary,
)
from auditor.models import Status


@click.command("scan", epilog=EPILOG_EXIT)
@model_options
@policy_options
@click.option(
    "--format",
    "-f",
    "formats",
    default="table",
    show_default=True,
    envvar="AUDITOR_FORMAT",
    help="Output format(s), comma-separated: table, json, markdown, html, csv, spdx, cyclonedx, sarif, junit, notice, "
    "github, github-summary, concise.",
)
@OUTPUT
@fail_on_option(Status.BLOCKED)
@EXIT_ZERO
@STATS
@NO_PROGRESS
@discover_options
@click.option(
    "--diff",
    "diff_base",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="BASE.json",
    help="Also print (on stderr) what changed since an earlier --format json report: "
    "new and removed models, changed verdicts and licenses.",
)
@hub_options
@output_options
@handle_errors
def scan_command(model_ids: tuple[str, ...], ref_files: tuple[Path, ...], **opts: Any) -> None:
    """Audit models and print a verdict for each.

    \b
    Examples:
      auditor scan openai-community/gpt2 meta-llama/Llama-3.1-8B@main
      auditor scan -r models.txt --use saas --format json -o audit.json
      auditor scan -r inventory.yaml --format html,spdx,json -o reports/
      auditor scan --hub-dir examples/hub -r examples/models.txt
    """
    formats = parse_formats(opts["formats"])
    settings = settings_of(model_ids, ref_files, opts)
    bar = ProgressBar(enabled=not opts.get("no_progress"))
    try:
        result = scan(settings, warn=warn, progress=bar)
    finally:
        bar.close()
    output = opts.get("output")
    write_outputs(result.report, formats, output, {"fail_on": settings.fail_on})
    if output is not None and str(output) != "-":
        note(written_summary(result.report, settings.fail_on, settings.exit_zero, "scan"))
    if result.diff is not None:
        echo_err(result.diff)
    finish(result.report, settings.fail_on, settings.exit_zero, stats=bool(opts.get("stats")))
