"""The command line: the only module that reads argv, prints or exits.

Everything else returns values; this module turns them into text, files and exit codes:
0 nothing at or above --fail-on, 1 something is, 2 bad usage or input file, 3 could not run at all.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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
from auditor.fileio import write_atomic
from auditor.models import AuditReport, ModelRef, ModelResult, Status

if TYPE_CHECKING:
    from auditor.drift import BaseModel
    from auditor.models import Origin
    from auditor.sources.discover import Discovery
    from auditor.sources.lockfile import LockFile

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


def model_options(func: F) -> F:
    """The models to audit: ids on the command line and list or inventory files."""
    func = click.option(
        "-r",
        "--requirements",
        "ref_files",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="A list file (one ORG/NAME[@REV] per line, # comments) or an inventory .yaml. Repeatable.",
    )(func)
    return click.argument("model_ids", nargs=-1, metavar="[MODEL_ID[@REVISION]]...")(func)


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


def discover_options(func: F) -> F:
    """Models found in code and configuration (see `auditor discover`), each located at its file and line."""
    options = [
        click.option(
            "--discover",
            "discover_paths",
            multiple=True,
            type=click.Path(exists=True, path_type=Path),
            metavar="PATH",
            help="Find models referenced in code and configs under PATH (from_pretrained, pipeline, "
            "hf_hub_download, configs, `hf download`…). Repeatable.",
        ),
        click.option(
            "--exclude",
            "discover_exclude",
            multiple=True,
            metavar="GLOB",
            help="With --discover: skip paths matching GLOB (relative path or file name). Repeatable.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _defaulted(param: str) -> bool:
    """Was `param` left at its default (not given on the command line or by the environment)?"""
    source = click.get_current_context().get_parameter_source(param)
    return source in (None, click.core.ParameterSource.DEFAULT)


def run_clock() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, so a report regenerated from a mirror or snapshot is identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return datetime.now(timezone.utc)
    try:
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH must be seconds since 1970, not {epoch!r}") from None


def _open_source(opts: dict[str, Any]) -> Any:
    from auditor.hub import open_source

    fixed = run_clock().timestamp() if os.environ.get("SOURCE_DATE_EPOCH") else None
    extra: dict[str, Any] = {} if fixed is None else {"clock": lambda: fixed}
    return open_source(
        **extra,
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
    on_terminal = output is None and sys.stdout.isatty()
    color = on_terminal and "NO_COLOR" not in os.environ
    if on_terminal:
        options = {**options, "width": shutil.get_terminal_size().columns}
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
        try:
            write_atomic(target, content)
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
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
            now=run_clock(),
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
@model_options
@policy_options
@click.option(
    "--format",
    "-f",
    "formats",
    default="table",
    show_default=True,
    help="Output format(s), comma-separated: table, json, markdown, html, csv, spdx, cyclonedx, sarif, junit, notice.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to FILE (or into DIR for several formats)."
)
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
    refs = _add_discovered(refs, _run_discovery(opts))
    if not refs:
        if opts.get("discover_paths"):
            raise UsageError("no model references found under the --discover paths, and no models given")
        raise UsageError("no models given: pass MODEL_ID arguments or -r FILE (see auditor scan --help)")
    base = _read_diff_base(opts)
    report = build_report(refs, opts, show_progress=not opts.get("no_progress"))
    write_outputs(report, formats, opts.get("output"), {"fail_on": Status(opts["fail_on"])})
    if base is not None:
        _echo_err(_diff_text(base, report, opts))
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
        click.echo(explain_resolution(result.hub, result.resolution, kb))
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


# ---------------------------------------------------------------- the CI gate: discover, lock, check


def printable(text: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """Card text and file content made safe for a terminal or a CI log (no escapes, no bidi tricks)."""
    from auditor.report.text import printable as _printable

    return _printable(text, multiline=multiline, limit=limit)


def _run_discovery(opts: dict[str, Any]) -> Discovery | None:
    """Discover models under --discover paths; unresolved references and unreadable files go to stderr."""
    from auditor.sources.discover import discover

    paths = opts.get("discover_paths") or ()
    if not paths:
        return None
    found = discover(paths, exclude=opts.get("discover_exclude") or ())
    for ref in found.unresolved:
        _echo_err(f"warning: {ref.where}: unresolved model reference ({ref.via}): {printable(ref.expression)}")
    for message in found.warnings:
        _echo_err(f"warning: {printable(message)}")
    return found


def _add_discovered(refs: list[ModelRef], found: Discovery | None) -> list[ModelRef]:
    """Models named in lists first (their line is the origin), then discovered ones not already listed."""
    from auditor.sources.discover import to_model_refs

    if found is None:
        return refs
    listed = {(ref.repo_id, ref.revision) for ref in refs}
    return refs + [ref for ref in to_model_refs(found) if (ref.repo_id, ref.revision) not in listed]


def _read_diff_base(opts: dict[str, Any]) -> dict[str, BaseModel] | None:
    from auditor.drift import read_base_report

    path = opts.get("diff_base")
    return read_base_report(path) if path is not None else None


def _diff_text(base: dict[str, BaseModel], report: AuditReport, opts: dict[str, Any]) -> str:
    from auditor.drift import diff_reports, render_diff

    return printable(render_diff(diff_reports(base, report), str(opts["diff_base"])), multiline=True).rstrip("\n")


@cli.command("discover")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["list", "inventory", "json"]),
    default="list",
    show_default=True,
    help="list: a list file for `scan -r`, with `# file:line` comments; inventory: YAML to add uses and owners to.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB. Repeatable.")
@click.option("--fail-on-unresolved", is_flag=True, help="Exit 1 when a model id is computed at run time.")
@_handle_errors
def discover_command(
    paths: tuple[Path, ...], fmt: str, output: Path | None, exclude: tuple[str, ...], fail_on_unresolved: bool
) -> None:
    """Find the Hub models code and configuration use, with file and line.

    Reads Python (from_pretrained, pipeline, hf_hub_download, snapshot_download, SentenceTransformer,
    CrossEncoder; string constants resolved), notebooks, YAML/JSON/TOML configs (model, model_name_or_path,
    base_model… keys), shell scripts, Dockerfiles and Makefiles (`hf download`, `huggingface-cli download`).
    Skips .git, hidden directories, node_modules and virtualenvs. Ids computed at run time are reported
    on stderr as unresolved, with file and line. A line containing `auditor: ignore` is skipped.

    \b
    Examples:
      auditor discover src/ configs/ > models.txt
      auditor discover . --format inventory -o inventory.yaml
    """
    from auditor.sources.discover import RENDERERS, Discovery

    found = _run_discovery({"discover_paths": paths, "discover_exclude": exclude}) or Discovery()
    text = RENDERERS[fmt](found)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        _echo_err(f"wrote {output}")
    models = len(found.models())
    _echo_err(
        f"found {models} model{'s' if models != 1 else ''} at {len(found.references)} places in "
        f"{found.files_scanned} files; {len(found.unresolved)} unresolved"
    )
    if fail_on_unresolved and found.unresolved:
        sys.exit(EXIT_FINDINGS)


def _lock_inputs(
    model_ids: Sequence[str], ref_files: Sequence[Path], opts: dict[str, Any], lock: LockFile | None
) -> tuple[list[ModelRef], Discovery | None]:
    """What scan takes; with no models given, the models of the existing lock."""
    from auditor.sources.lockfile import lock_refs

    found = _run_discovery(opts)
    refs = _add_discovered(collect_refs(model_ids, ref_files), found)
    if not refs and found is None and not model_ids and not ref_files and lock is not None:
        refs = lock_refs(lock)
    return refs, found


@cli.command("lock", epilog=EPILOG_EXIT)
@model_options
@discover_options
@policy_options
@click.option(
    "--lock-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default="models.lock",
    show_default=True,
    help="The lock file to write.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@hub_options
@_handle_errors
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
    from auditor.audit import unavailable_reason
    from auditor.drift import build_lock
    from auditor.sources.lockfile import read_lock, write_lock

    path: Path = opts["lock_file"]
    existing = read_lock(path) if path.exists() else None
    refs, _ = _lock_inputs(model_ids, ref_files, opts, existing)
    if not refs:
        raise UsageError("no models given: pass MODEL_ID arguments, -r FILE or --discover PATH")
    report = build_report(refs, opts, show_progress=not opts.get("no_progress"))
    if not report.complete:
        _echo_err("auditor: interrupted: the lock file was not written")
        sys.exit(EXIT_INTERRUPTED)
    reason = unavailable_reason(report)
    if reason:
        raise HubUnavailableError(reason)
    built = build_lock(report)
    write_lock(path, built.lock)
    for entry in sorted(built.lock.entries, key=lambda e: e.key):
        verdicts = ", ".join(f"{status} ({use})" for use, status in entry.verdicts)
        click.echo(f"locked  {entry.key}  {entry.sha[:12]}  {printable(entry.license or 'unresolved')}  {verdicts}")
    for result in built.skipped:
        message = result.fetch_error.message if result.fetch_error else result.verdict.reason
        _echo_err(f"auditor: not locked: {result.ref}: {printable(message, limit=300)}")
    _echo_err(f"wrote {path} ({len(built.lock.entries)} models)")
    sys.exit(EXIT_FINDINGS if built.skipped else EXIT_OK)


def _gone_revisions(lock: LockFile, report: AuditReport, opts: dict[str, Any]) -> set[str]:
    """Keys whose locked commit the Hub no longer serves (asked past the cache, which would still have it)."""
    from concurrent.futures import ThreadPoolExecutor

    from auditor.models import FetchError, FetchErrorKind
    from auditor.sources.lockfile import ref_key

    todo = {}
    for result in report.results:
        entry = lock.get(ref_key(result.ref))
        if entry is None or (result.hub is not None and result.hub.sha == entry.sha):
            continue
        todo[entry.key] = entry
    if not todo:
        return set()
    source = _open_source({**opts, "no_cache": True})
    try:
        with ThreadPoolExecutor(max_workers=opts.get("jobs", 8)) as pool:
            fetched = dict(zip(todo, pool.map(lambda e: source.fetch(e.repo_id, e.sha), todo.values()), strict=True))
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return {
        key
        for key, result in fetched.items()
        if isinstance(result, FetchError) and result.kind is FetchErrorKind.REVISION_NOT_FOUND
    }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(
    level: str, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    """One workflow command (`::error file=…,line=…,title=…::message`), escaped as GitHub requires."""
    properties = []
    if file:
        properties.append(f"file={_escape_property(file)}")
        if line:
            properties.append(f"line={line}")
    if title:
        properties.append(f"title={_escape_property(title)}")
    head = f"::{level} {','.join(properties)}" if properties else f"::{level}"
    return f"{head}::{_escape_data(message)}"


def _workspace_path(path: str) -> str:
    """GitHub resolves annotation paths against the workspace, which need not be the working directory."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        relative = os.path.relpath(os.path.abspath(path), workspace)
        if relative != ".." and not relative.startswith(".." + os.sep):
            return Path(relative).as_posix()
    return Path(path).as_posix()


def _attention(result: ModelResult, fail_on: Status) -> bool:
    status = result.verdict.status
    return status.at_least(fail_on) or status.at_least(Status.NEEDS_REVIEW)


def _failing(result: ModelResult, fail_on: Status) -> bool:
    status = result.verdict.status
    return status.at_least(fail_on) or status is Status.ERROR


def _fix_of(result: ModelResult) -> str | None:
    """How to fix the most severe finding that says how."""
    from auditor.models import Severity

    ranked = sorted(result.verdict.findings, key=lambda f: -f.severity.rank)
    for finding in ranked:
        if finding.fix and finding.severity is not Severity.INFO:
            return finding.fix
    return None


def _locations(result: ModelResult, found: Discovery | None) -> list[Origin]:
    """Every place the model is named: all discovered occurrences, else the reference's own origin."""
    places = []
    if result.ref.origin is not None:
        places.append(result.ref.origin)
    if found is not None:
        for repo_id, revision, refs in found.models():
            if (repo_id, revision) == (result.ref.repo_id, result.ref.revision):
                places.extend(ref.origin for ref in refs if ref.origin not in places)
    return places


def _print_annotations(results: Sequence[ModelResult], found: Discovery | None, fail_on: Status) -> None:
    for result in results:
        if not _attention(result, fail_on):
            continue
        verdict = result.verdict
        level = "error" if _failing(result, fail_on) else "warning"
        message = f"{result.ref} is {verdict.status.value} for {verdict.use}: {verdict.reason}"
        fix = _fix_of(result)
        if fix:
            message += f"\nFix: {fix}"
        message = printable(message, multiline=True, limit=4000)
        title = f"auditor: {verdict.status.value} ({result.ref.repo_id})"
        places: list[Origin | None] = [*_locations(result, found)] or [None]
        for origin in places:
            click.echo(
                github_annotation(
                    level,
                    message,
                    file=_workspace_path(origin.path) if origin else None,
                    line=origin.line if origin else None,
                    title=printable(title, limit=200),
                )
            )
    for ref in found.unresolved if found is not None else ():
        click.echo(
            github_annotation(
                "warning",
                printable(f"unresolved model reference ({ref.via}): {ref.expression}; auditor cannot check it"),
                file=_workspace_path(ref.origin.path),
                line=ref.origin.line,
                title="auditor: unresolved model reference",
            )
        )


def _summary(report: AuditReport, fail_on: Status, exit_zero: bool, extra: Sequence[str]) -> str:
    counts = report.summary
    parts = [f"{counts[s.value]} {s.value}" for s in Status if counts[s.value]]
    failed = any(_failing(r, fail_on) for r in report.results)
    outcome = "FAILED" if failed else "passed"
    if failed and exit_zero:
        outcome += " (--exit-zero)"
    total = len(report.results)
    text = f"auditor check: {total} model{'s' if total != 1 else ''}: {', '.join(parts) or 'none'}"
    for item in extra:
        text += f"; {item}"
    return f"{text} — {outcome} (fail-on: {fail_on.value})"


def _print_concise(report: AuditReport, found: Discovery | None, fail_on: Status) -> None:
    """Only the models that need attention: verdict, id, where it is used, why, and how to fix it."""
    from auditor.drift import LOCK_RULES
    from auditor.models import Severity

    rows = [r for r in report.results if _attention(r, fail_on)]
    rows.sort(key=lambda r: (-r.verdict.status.rank, r.ref.repo_id))
    for result in rows:
        tag = "FAIL" if _failing(result, fail_on) else "WARN"
        places = _locations(result, found)
        where = str(places[0]) if places else "(command line)"
        if len(places) > 1:
            where += f" (+{len(places) - 1} more)"
        click.echo(f"{tag}  {result.verdict.status.value:<13} {printable(str(result.ref), limit=120)}  {where}")
        click.echo(f"      {printable(result.verdict.reason, limit=400)}")
        for finding in result.verdict.findings:
            serious = finding.rule in LOCK_RULES and finding.severity is not Severity.INFO
            if serious and finding.message != result.verdict.reason:
                click.echo(f"      lock: {printable(finding.message, limit=400)}")
        fix = _fix_of(result)
        if fix:
            click.echo(f"      fix: {printable(fix, limit=400)}")


def markdown_text(text: object, limit: int = 300) -> str:
    """Untrusted text as inert Markdown: no links, mentions, HTML or table breaks from a model card."""
    import re

    value = printable(text, limit=limit)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~@:])", r"\\\1", value)


def _write_step_summary(path: str, report: AuditReport, found: Discovery | None, fail_on: Status, summary: str) -> None:
    """The job summary GitHub shows on the run page: the models that need attention, as a table."""
    rows = sorted(
        (r for r in report.results if _attention(r, fail_on)), key=lambda r: (-r.verdict.status.rank, r.ref.repo_id)
    )
    failed = any(_failing(r, fail_on) for r in report.results)
    lines = [f"### auditor check: {'failed' if failed else 'passed'}", "", markdown_text(summary, limit=1000), ""]
    if rows:
        lines += ["| | Verdict | Model | Where | Why |", "|---|---|---|---|---|"]
        for result in rows:
            places = _locations(result, found)
            where = markdown_text(places[0]) if places else "command line"
            lines.append(
                f"| {'FAIL' if _failing(result, fail_on) else 'WARN'} | {result.verdict.status.value} "
                f"| {markdown_text(result.ref, limit=120)} | {where} | {markdown_text(result.verdict.reason)} |"
            )
        lines.append("")
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError as exc:
        _echo_err(f"warning: cannot write the job summary: {exc.strerror or exc}")


@cli.command("check", epilog=EPILOG_EXIT)
@model_options
@discover_options
@click.option(
    "--lock",
    "lock_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Fail on license drift against FILE (written by `auditor lock`), on models not in it, and on locked "
    "commits that are gone. With no models given, checks the models FILE lists.",
)
@policy_options
@click.option(
    "--fail-on",
    type=click.Choice(STATUS_NAMES[1:]),
    default="needs-review",
    show_default=True,
    help="Exit 1 when any model's verdict is at or above this level.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when verdicts reach --fail-on (report-only jobs).")
@click.option("--sarif", "sarif_path", type=click.Path(dir_okay=False, path_type=Path), help="Write SARIF to FILE.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML to FILE.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the full JSON report to FILE (keep it as the next run's --diff base).",
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
@click.option("--stats", is_flag=True, help="Print request and cache counters to stderr.")
@hub_options
@_handle_errors
def check(model_ids: tuple[str, ...], ref_files: tuple[Path, ...], **opts: Any) -> None:
    """The CI gate: audit the models in use and fail on anything that needs attention.

    Takes what `scan` takes, plus --discover and --lock. Prints only the models that need attention and a
    summary line; writes SARIF / JUnit / JSON when asked; on GitHub Actions, annotates the line where each
    failing model is named.

    \b
    Examples:
      auditor check --discover .
      auditor check --discover src/ --lock models.lock --sarif auditor.sarif
      auditor check -r models.txt --use saas --fail-on blocked
    """
    from auditor.audit import unavailable_reason
    from auditor.drift import apply_lock_check, check_lock
    from auditor.errors import InputFileError
    from auditor.sources.lockfile import read_lock

    fail_on = Status(opts["fail_on"])
    lock_path: Path | None = opts.get("lock_path")
    lock = None
    if lock_path is not None and _defaulted("max_age"):
        opts["max_age"] = 0  # drift is what a lock check looks for: never trust a cached branch for it
    if lock_path is not None:
        if not lock_path.exists():
            raise InputFileError(str(lock_path), None, "no such lock file; write one with `auditor lock`")
        lock = read_lock(lock_path)
    refs, found = _lock_inputs(model_ids, ref_files, opts, lock)
    if not refs and found is None and not model_ids and not ref_files:
        raise UsageError("no models given: pass MODEL_ID arguments, -r FILE, --discover PATH or --lock FILE")
    base = _read_diff_base(opts)
    extra: list[str] = []
    if found is not None and found.unresolved:
        extra.append(f"{len(found.unresolved)} unresolved reference{'s' if len(found.unresolved) != 1 else ''}")
    if not refs:
        if opts.get("annotations") or (opts.get("annotations") is None and os.environ.get("GITHUB_ACTIONS") == "true"):
            _print_annotations((), found, fail_on)
        click.echo("auditor check: no model references found" + "".join(f"; {item}" for item in extra) + " — passed")
        sys.exit(EXIT_OK)
    report = build_report(refs, opts, show_progress=False)
    if report.complete:
        reason = unavailable_reason(report)
        if reason:
            raise HubUnavailableError(reason)
    if lock is not None and lock_path is not None:
        result = check_lock(lock, report, gone=_gone_revisions(lock, report, opts), lock_name=lock_path.name)
        report = apply_lock_check(report, result)
        counted = [
            (rule, result.count(rule))
            for rule in (
                "license-drift",
                "evidence-unreadable",
                "not-in-lock",
                "locked-revision-gone",
                "revision-moved",
                "stale-lock-entry",
            )
        ]
        lock_parts = [f"{n} {rule}" for rule, n in counted if n]
        extra.insert(0, f"lock: {', '.join(lock_parts) if lock_parts else 'no drift'}")
    for option, fmt in (("sarif_path", "sarif"), ("junit_path", "junit"), ("json_path", "json")):
        if opts.get(option) is not None:
            write_outputs(report, [fmt], opts[option], {"fail_on": fail_on})
    annotate = opts.get("annotations")
    if annotate is None:
        annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    if annotate:
        _print_annotations(report.results, found, fail_on)
    _print_concise(report, found, fail_on)
    if base is not None:
        click.echo(_diff_text(base, report, opts))
    summary = _summary(report, fail_on, bool(opts.get("exit_zero")), extra)
    click.echo(summary)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if annotate and step_summary:
        _write_step_summary(step_summary, report, found, fail_on, summary)
    _finish(report, opts)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: click parsing, with every failure turned into one line and an exit code."""
    from huggingface_hub.utils import logging as hf_logging

    # The client's own notices on stderr would break "one clear line" per failure.
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
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
    except Exception as exc:
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        _echo_err(f"auditor: internal error: {type(exc).__name__}: {exc} (set AUDITOR_DEBUG=1 for a traceback)")
        sys.exit(70)


__all__ = ["EXIT_UNAVAILABLE", "cli", "main"]
