"""`auditor check`: the CI gate, with lock drift, GitHub annotations and the job summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from auditor.app import check, check_exit_code
from auditor.cli.common import (
    EPILOG_EXIT,
    EXIT_ZERO,
    OUTPUT,
    STATS,
    discover_options,
    echo_err,
    fail_on_option,
    finish,
    handle_errors,
    hub_options,
    lock_file_option,
    model_options,
    note,
    output_options,
    parse_formats,
    policy_options,
    settings_of,
    warn,
    write_outputs,
)
from auditor.errors import UsageError
from auditor.models import Status


@click.command("check", epilog=EPILOG_EXIT)
@model_options
@discover_options
@lock_file_option(
    "Fail on license drift against FILE (written by `auditor lock`), on models not in it, and on locked "
    "commits that are gone. With no models given, checks the models FILE lists.",
    None,
)
@policy_options
@fail_on_option(Status.NEEDS_REVIEW)
@EXIT_ZERO
@click.option(
    "--files",
    "as_files",
    is_flag=True,
    help="Read the arguments as files to find models in, and look at those files only (what pre-commit passes).",
)
@click.option(
    "--format",
    "-f",
    "formats",
    default="concise",
    show_default=True,
    help="What to print (or write with -o): concise lists the models that need attention; any `scan` format "
    "(sarif, junit, json…) works, comma-separated with -o DIR.",
)
@OUTPUT
@click.option(
    "--sarif",
    "sarif_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write SARIF to FILE (as -f sarif -o).",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write JUnit XML to FILE (as -f junit -o).",
)
@click.option(
    "--sarif-category",
    default="auditor",
    show_default=True,
    metavar="NAME",
    help="SARIF automationDetails category: give each auditor job of a workflow its own.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the full JSON report to FILE (as -f json -o; keep it as the next run's --diff base).",
)
@click.option(
    "--diff",
    "diff_base",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="BASE.json",
    help="Also print what changed since an earlier JSON report.",
)
@click.option(
    "--annotations/--no-annotations",
    default=None,
    help="Print GitHub annotations (::error file=…,line=…::…). Default: when GITHUB_ACTIONS=true.",
)
@STATS
@hub_options
@output_options
@handle_errors
def check_command(model_ids: tuple[str, ...], ref_files: tuple[Path, ...], **opts: Any) -> None:
    """The CI gate: audit the models in use and fail on anything that needs attention.

    Takes what `scan` takes, plus --discover and --lock. Prints only the models that need attention and a
    summary line; writes SARIF / JUnit / JSON when asked; on GitHub Actions, annotates the line where each
    failing model is named.

    \b
    Examples:
      auditor check --discover .
      auditor check --discover src/ --lock-file models.lock -f sarif -o auditor.sarif
      auditor check -r models.txt --use saas --fail-on blocked
    """
    if opts.pop("as_files", False):  # pre-commit's changed files: discover in exactly these
        missing = [name for name in model_ids if not Path(name).is_file()]
        if missing:
            raise UsageError(f"--files: no such file: {missing[0]}")
        opts["discover_paths"] = (*opts.get("discover_paths", ()), *(Path(name) for name in model_ids))
        model_ids = ()
    formats = parse_formats(opts["formats"])
    settings = settings_of(model_ids, ref_files, opts)
    from auditor.report import render
    from auditor.report.ci import annotation_lines, places_of, summary_line

    fail_on = settings.fail_on
    result = check(settings, warn=warn)
    annotate = opts.get("annotations")
    if annotate is None:
        annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    places = places_of(result.found)
    workspace = os.environ.get("GITHUB_WORKSPACE")
    unresolved = tuple(result.found.unresolved) if result.found is not None else ()
    report = result.report
    if report is None:
        if annotate and unresolved:
            lines = annotation_lines((), fail_on=fail_on, unresolved=unresolved, workspace=workspace)
            click.echo("\n".join(lines))
        click.echo("auditor check: no model references found" + "".join(f"; {n}" for n in result.notes) + " — passed")
        sys.exit(check_exit_code(None, fail_on, settings.exit_zero))
    options = {"fail_on": fail_on, "places": places, "category": opts["sarif_category"]}
    for option, fmt in (("sarif_path", "sarif"), ("junit_path", "junit"), ("json_path", "json")):
        if opts.get(option) is not None:
            write_outputs(report, [fmt], opts[option], options)
    output = opts.get("output")
    to_file = output is not None and str(output) != "-"
    if to_file:
        write_outputs(report, formats, output, options)
    if annotate:
        click.echo(
            render("github", report, fail_on=fail_on, unresolved=unresolved, places=places, workspace=workspace),
            nl=False,
        )
    summary = summary_line(report, fail_on, settings.exit_zero, result.notes)
    if to_file or formats == ["concise"]:
        click.echo(render("concise", report, fail_on=fail_on, places=places), nl=False)
        if result.diff is not None:
            click.echo(result.diff)
        click.echo(summary)
    else:  # another format on standard output: it alone goes there, the summary to stderr
        write_outputs(report, formats, None, options)
        if result.diff is not None:
            echo_err(result.diff)
        note(summary)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if annotate and step_summary:
        text = render("github-summary", report, fail_on=fail_on, places=places, summary=summary)
        try:
            with open(step_summary, "a", encoding="utf-8") as handle:
                handle.write(str(text))
        except OSError as exc:
            echo_err(f"warning: cannot write the job summary: {exc.strerror or exc}")
    finish(report, fail_on, settings.exit_zero, stats=bool(opts.get("stats")))
