"""The command line: the only module that reads argv, prints or exits.

Everything else returns values; this module turns them into text, files and exit codes:
0 nothing at or above --fail-on, 1 something is, 2 bad usage or input file, 3 could not run at all.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import click

from auditor import __version__
from auditor.errors import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    AuditorError,
    HubUnavailableError,
    UsageError,
)
from auditor.models import AuditReport, ModelRef, ModelResult, Status

F = TypeVar("F", bound=Callable[..., Any])

STATUS_NAMES = [s.value for s in Status]
EPILOG_EXIT = (
    "Exit codes: 0 nothing at or above --fail-on; 1 something is (an error verdict always counts); "
    "2 bad usage, input or policy file; 3 the Hub could not be reached at all, or refused the token."
)


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


# ---------------------------------------------------------------- shared options


def hub_options(func: F) -> F:
    """Where model information comes from: the Hub (or a compatible server), a mirror or a snapshot."""
    options = [
        click.option(
            "--endpoint",
            metavar="URL",
            help="Hub-compatible server. Default: $HF_ENDPOINT, else https://huggingface.co.",
        ),
        click.option(
            "--token",
            metavar="TOKEN",
            help="Hub token for gated or private repos. Default: $HF_TOKEN. Never printed.",
        ),
        click.option(
            "--hub-dir",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Read models from a local mirror laid out as ORG/NAME/README.md, LICENSE… instead of the Hub.",
        ),
        click.option(
            "--snapshot",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Replay a snapshot saved with --save-snapshot: no network, same evidence.",
        ),
        click.option(
            "--save-snapshot",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Record everything fetched into FILE: the evidence archive for this report.",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="On-disk cache of Hub answers, keyed by commit sha. Default: the user cache dir.",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the on-disk cache."),
        click.option("--offline", is_flag=True, help="Answer from the cache only; name the models it cannot serve."),
        click.option(
            "--max-age",
            type=click.IntRange(min=0),
            default=3600,
            show_default=True,
            metavar="SECONDS",
            help="How long a cached branch -> sha answer stays fresh. Pinned shas never expire.",
        ),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(1, 64),
            default=8,
            show_default=True,
            help="Models fetched at once. Be polite: the Hub rate-limits per time window.",
        ),
        click.option(
            "--timeout", type=click.FloatRange(min=0.1), default=20.0, show_default=True, help="Seconds per request."
        ),
        click.option(
            "--retries",
            type=click.IntRange(0, 10),
            default=4,
            show_default=True,
            help="Retries on 429, 5xx, timeouts and dropped connections (backoff with jitter, Retry-After).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def policy_options(func: F) -> F:
    options = [
        click.option(
            "--policy",
            "policy_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Company policy YAML. Default: the bundled rules/policy.yaml.",
        ),
        click.option(
            "--use",
            metavar="USE",
            help="Intended use the models are checked for (e.g. internal-research, commercial-product, saas). "
            "Default: the policy's default_use.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _open_source(opts: dict[str, Any]) -> Any:
    from auditor.hub import open_source

    return open_source(
        endpoint=opts.get("endpoint"),
        token=opts.get("token"),
        hub_dir=opts.get("hub_dir"),
        snapshot=opts.get("snapshot"),
        save_snapshot=opts.get("save_snapshot"),
        cache_dir=opts.get("cache_dir"),
        no_cache=bool(opts.get("no_cache")),
        offline=bool(opts.get("offline")),
        max_age=opts.get("max_age", 3600),
        timeout=opts.get("timeout", 20.0),
        retries=opts.get("retries", 4),
    )


# ---------------------------------------------------------------- progress


class _ProgressBar:
    """A one-line progress display on stderr, only on a terminal and only for runs of some length."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.errors = 0
        self.enabled = enabled and total > 1

    def __call__(self, result: ModelResult) -> None:
        self.done += 1
        if result.verdict.status is Status.ERROR:
            self.errors += 1
        if self.enabled:
            width = 30
            filled = width * self.done // max(1, self.total)
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} models, {self.errors} errors")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\r" + " " * 72 + "\r")
            sys.stderr.flush()


# ---------------------------------------------------------------- output


def _parse_formats(value: str) -> list[str]:
    from auditor.report import available

    names = [part.strip() for part in value.split(",") if part.strip()]
    known = available()
    for name in names:
        if name not in known:
            raise UsageError(f"unknown format {name!r}; choose from {', '.join(known)}")
    if not names:
        raise UsageError("--format needs at least one format")
    return names


def write_outputs(
    report: AuditReport, formats: Sequence[str], output: Path | None, options: dict[str, Any]
) -> None:
    """One format to stdout or a file; several formats into a directory, one file each."""
    from auditor.report import RENDERERS, render

    if len(formats) > 1 and output is None:
        raise UsageError("several formats need -o DIR to write them into")
    color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    for name in formats:
        content = render(name, report, color=color, **options)
        if output is None:
            if isinstance(content, bytes):
                sys.stdout.buffer.write(content)
            else:
                click.echo(content, nl=not content.endswith("\n"))
            continue
        target = output
        if len(formats) > 1 or output.is_dir():
            target = output / f"auditor-report{RENDERERS[name].extension}"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        _echo_err(f"wrote {target}")


def exit_code_for(report: AuditReport, fail_on: Status, exit_zero: bool) -> int:
    worst = [r.verdict.status for r in report.results]
    failing = any(s.at_least(fail_on) or s is Status.ERROR for s in worst) or not report.complete
    if failing and not exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


# ---------------------------------------------------------------- the commands


def _handle_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AuditorError as exc:
            _echo_err(f"auditor: error: {exc}")
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


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


def collect_refs(model_ids: Sequence[str], ref_files: Sequence[Path]) -> list[ModelRef]:
    from auditor.sources import read_refs_file, refs_from_args

    refs = refs_from_args(model_ids)
    for path in ref_files:
        refs.extend(read_refs_file(path))
    return refs


def build_report(
    refs: Sequence[ModelRef], opts: dict[str, Any], *, show_progress: bool = True
) -> AuditReport:
    """Load the knowledge, the policy and the Hub source, and audit `refs`."""
    from auditor.audit import AuditSettings, run_audit
    from auditor.licenses import load_knowledge_base
    from auditor.policy import load_policy

    kb = load_knowledge_base()
    policy = load_policy(opts.get("policy_path"), kb)
    source = _open_source(opts)
    bar = _ProgressBar(len(refs), enabled=show_progress and sys.stderr.isatty())
    try:
        report = run_audit(
            refs,
            source=source,
            kb=kb,
            policy=policy,
            now=datetime.now(timezone.utc),
            settings=AuditSettings(use=opts.get("use"), jobs=opts.get("jobs", 8)),
            progress=bar,
        )
    finally:
        bar.close()
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return report


def _finish(report: AuditReport, opts: dict[str, Any]) -> None:
    from auditor.audit import unavailable_reason

    if opts.get("stats"):
        stats = ", ".join(f"{k}={v}" for k, v in sorted(report.stats.items()))
        _echo_err(f"stats: {stats or 'no requests'}")
    if not report.complete:
        _echo_err(f"auditor: interrupted: the report covers {len(report.results)} models and is marked incomplete")
        sys.exit(EXIT_INTERRUPTED)
    reason = unavailable_reason(report)
    if reason:
        raise HubUnavailableError(reason)
    sys.exit(exit_code_for(report, Status(opts["fail_on"]), bool(opts.get("exit_zero"))))


@cli.command(epilog=EPILOG_EXIT)
@click.argument("model_ids", nargs=-1, metavar="[MODEL_ID[@REVISION]]...")
@click.option(
    "-r",
    "--requirements",
    "ref_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A list file (one ORG/NAME[@REV] per line, # comments) or an inventory .yaml. Repeatable.",
)
@policy_options
@click.option(
    "--format",
    "-f",
    "formats",
    default="table",
    show_default=True,
    help="Output format(s), comma-separated: table, json, markdown, html, csv, spdx, cyclonedx, sarif, junit, notice.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE (or into DIR for several formats).")
@click.option(
    "--fail-on",
    type=click.Choice(STATUS_NAMES[1:]),
    default="blocked",
    show_default=True,
    help="Exit 1 when any model's verdict is at or above this level.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when verdicts reach --fail-on (report-only jobs).")
@click.option("--stats", is_flag=True, help="Print request and cache counters to stderr.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@hub_options
@_handle_errors
def scan(model_ids: tuple[str, ...], ref_files: tuple[Path, ...], **opts: Any) -> None:
    """Audit models and print a verdict for each.

    \b
    Examples:
      auditor scan openai-community/gpt2 meta-llama/Llama-3.1-8B@main
      auditor scan -r models.txt --use saas --format json -o audit.json
      auditor scan -r inventory.yaml --format html,spdx,json -o reports/
      auditor scan --hub-dir examples/hub -r examples/models.txt
    """
    formats = _parse_formats(opts.pop("formats"))
    refs = collect_refs(model_ids, ref_files)
    if not refs:
        raise UsageError("no models given: pass MODEL_ID arguments or -r FILE (see auditor scan --help)")
    report = build_report(refs, opts, show_progress=not opts.get("no_progress"))
    write_outputs(report, formats, opts.get("output"), {"fail_on": Status(opts["fail_on"])})
    _finish(report, opts)


@cli.command()
@click.argument("target", metavar="LICENSE|ORG/NAME[@REV]")
@policy_options
@hub_options
@_handle_errors
def explain(target: str, **opts: Any) -> None:
    """Explain a license from the knowledge base, or walk through one model's verdict.

    \b
    Examples:
      auditor explain llama3.1          # what the Llama 3.1 license allows and requires
      auditor explain Qwen/Qwen-7B --use saas
    """
    from auditor.licenses import explain_license, explain_resolution, load_knowledge_base
    from auditor.policy import explain_verdict, load_policy

    kb = load_knowledge_base()
    entry = kb.get(target) or kb.by_hub_id(target) or kb.by_spdx(target)
    if entry is None and "/" not in target:
        matches = kb.match_name(target)
        entry = matches[0] if len(matches) == 1 else None
    if entry is not None:
        click.echo(explain_license(entry))
        return
    if "/" not in target:
        raise UsageError(f"{target!r} is neither a known license nor a model id (see: auditor licenses)")
    refs = collect_refs([target], [])
    report = build_report(refs, opts, show_progress=False)
    result = report.results[0]
    policy = load_policy(opts.get("policy_path"), kb)
    if result.hub is not None and result.resolution is not None:
        click.echo(explain_resolution(result.hub, result.resolution))
        click.echo("")
    click.echo(explain_verdict(result.verdict, policy, result.verdict.use))


@cli.command("licenses")
@click.option("--category", help="Only licenses of this category (e.g. permissive, non-commercial).")
@click.option("--commercial", type=click.Choice(["yes", "no", "conditional", "unknown"]), help="Only this status.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@_handle_errors
def licenses_command(category: str | None, commercial: str | None, fmt: str) -> None:
    """List the license knowledge base: every Hub license id and the licenses behind `other`."""
    import json

    from auditor.licenses import licenses_table, load_knowledge_base

    rows = licenses_table(load_knowledge_base(), category=category, commercial=commercial)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    columns = ("key", "spdx", "category", "commercial", "name")
    widths = {c: max(len(c), *(len(str(r.get(c) or "-")) for r in rows)) if rows else len(c) for c in columns}
    widths["name"] = min(widths["name"], 60)
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(str(row.get(c) or "-")[: widths[c]].ljust(widths[c]) for c in columns).rstrip())
    click.echo(f"\n{len(rows)} licenses")


@cli.group("policy")
def policy_group() -> None:
    """Work with company policy files."""


@policy_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_handle_errors
def policy_check(path: Path) -> None:
    """Validate a policy file; errors are printed as FILE:LINE: message (exit 2)."""
    from auditor.licenses import load_knowledge_base
    from auditor.policy import check_policy_file

    policy = check_policy_file(path, load_knowledge_base())
    click.echo(f"{path}: ok (uses: {', '.join(policy.use_names)}; default: {policy.default_use})")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: click parsing, with every failure turned into one line and an exit code."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="auditor", standalone_mode=False)
    except click.exceptions.Abort:
        _echo_err("auditor: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code == 2 else exc.exit_code)
    except AuditorError as exc:
        _echo_err(f"auditor: error: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _echo_err("auditor: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:  # noqa: BLE001 - no tracebacks for users; AUDITOR_DEBUG=1 shows one
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        _echo_err(f"auditor: internal error: {type(exc).__name__}: {exc} (set AUDITOR_DEBUG=1 for a traceback)")
        sys.exit(70)


__all__ = ["EXIT_UNAVAILABLE", "cli", "main"]
