"""What the subcommands share: option groups, building `Settings`, printing, writing and exiting."""

from __future__ import annotations

import functools
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from auditor.app.settings import (
    DEFAULT_JOBS,
    DEFAULT_MAX_AGE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    HubSettings,
    Inputs,
    Settings,
)
from auditor.errors import EXIT_INTERRUPTED, AuditorError, UsageError, did_you_mean, error_lines
from auditor.escape import printable
from auditor.fileio import STDOUT, write_output
from auditor.models import AuditReport, ModelResult, Status

if TYPE_CHECKING:  # the hub layer imports huggingface_hub: not for `auditor --help`
    from auditor.hub.ratelimit import Wait

F = TypeVar("F", bound=Callable[..., Any])

STATUS_NAMES = [s.value for s in Status]
EPILOG_EXIT = (
    "Exit codes: 0 nothing at or above --fail-on; 1 something is (an error verdict always counts); "
    "2 bad usage, input or policy file; 3 the Hub could not be reached at all, or refused the token."
)

EPILOG_LOCK = (
    "Exit codes: 0 every model locked; 1 some could not be fetched and were not locked; "
    "2 bad usage or input file; 3 the Hub could not be reached at all, or refused the token."
)


def echo_err(message: str) -> None:
    click.echo(message, err=True)


# ---------------------------------------------------------------- console: -q, -v, --color


def _meta(key: str, default: Any = None) -> Any:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(key, default) if ctx is not None else default


def _set_meta(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        ctx.meta[key] = value
        return value

    return callback


def quiet() -> bool:
    return bool(_meta("auditor.quiet", False))


def verbose() -> bool:
    return bool(_meta("auditor.verbose", False))


def note(message: str) -> None:
    """Information for the person at the terminal (what was written, counts): not shown with -q."""
    if not quiet():
        echo_err(message)


def use_color(on_terminal: bool) -> bool:
    """--color/--no-color when given; else colour on a terminal unless NO_COLOR is set (no-color.org)."""
    forced = _meta("auditor.color")
    if forced is not None:
        return bool(forced)
    return on_terminal and not os.environ.get("NO_COLOR")


def output_options(func: F) -> F:
    """-q/--quiet, -v/--verbose and --color/--no-color, as pip-audit and ruff spell them."""
    return _stack(
        func,
        [
            click.option(
                "-q",
                "--quiet",
                is_flag=True,
                expose_value=False,
                callback=_set_meta("auditor.quiet"),
                help="Only the results and errors: no progress, notes or warnings on stderr.",
            ),
            click.option(
                "-v",
                "--verbose",
                is_flag=True,
                expose_value=False,
                callback=_set_meta("auditor.verbose"),
                help="Also show each setting and where it came from (flag, environment, pyproject.toml, default).",
            ),
            click.option(
                "--color/--no-color",
                default=None,
                expose_value=False,
                callback=_set_meta("auditor.color"),
                help="Colour the table. Default: on a terminal, unless NO_COLOR is set.",
            ),
        ],
    )


_SETTING_NAMES = (
    "policy_path",
    "use",
    "fail_on",
    "exit_zero",
    "formats",
    "fmt",
    "output",
    "lock_path",
    "endpoint",
    "hub_dir",
    "snapshot",
    "cache_dir",
    "no_cache",
    "offline",
    "max_age",
    "jobs",
    "timeout",
    "retries",
    "discover_paths",
    "discover_exclude",
)


def show_settings(opts: dict[str, Any]) -> None:
    """With --verbose: every setting, its value and its source, on stderr."""
    if not verbose():
        return
    from auditor.cli.config import describe_source

    ctx = click.get_current_context()
    config = ctx.find_root().meta.get("auditor.config")
    for name in _SETTING_NAMES:
        if name not in opts:
            continue
        value = opts[name]
        shown = "(the policy's default_use)" if name == "use" and value is None else value
        if isinstance(shown, (tuple, list)):
            shown = ", ".join(str(v) for v in shown) or "(none)"
        elif shown is None:
            shown = "(not set)"
        source = describe_source(ctx, name, config, os.environ)
        flag = next((o for p in ctx.command.params if p.name == name for o in p.opts if o.startswith("--")), name)
        echo_err(f"setting {flag.lstrip('-')} = {printable(shown, limit=200)}  [{source}]")
    token_set = bool(opts.get("token")) or bool(os.environ.get("HF_TOKEN"))
    if "token" in opts:
        echo_err(f"setting token = {'(set, hidden)' if token_set else '(not set)'}")


def _stack(func: F, options: Sequence[Callable[[F], F]]) -> F:
    for option in reversed(options):
        func = option(func)
    return func


# ---------------------------------------------------------------- shared options


def hub_options(func: F) -> F:
    """Where model information comes from: the Hub (or a compatible server), a mirror or a snapshot."""
    return _stack(
        func,
        [
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
                envvar="AUDITOR_CACHE_DIR",
                help="On-disk cache of Hub answers, keyed by commit sha. Default: the user cache dir.",
            ),
            click.option("--no-cache", is_flag=True, help="Neither read nor write the on-disk cache."),
            click.option(
                "--offline", is_flag=True, help="Answer from the cache only; name the models it cannot serve."
            ),
            click.option(
                "--max-age",
                type=click.IntRange(min=0),
                envvar="AUDITOR_MAX_AGE",
                default=None,
                show_default=str(DEFAULT_MAX_AGE),
                metavar="SECONDS",
                help="How long a cached branch -> sha answer stays fresh. Pinned shas never expire.",
            ),
            click.option(
                "--jobs",
                "-j",
                type=click.IntRange(1, 64),
                envvar="AUDITOR_JOBS",
                default=DEFAULT_JOBS,
                show_default=True,
                help="Models fetched at once. Be polite: the Hub rate-limits per time window.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                envvar="AUDITOR_TIMEOUT",
                default=DEFAULT_TIMEOUT,
                show_default=True,
                help="Seconds per request.",
            ),
            click.option(
                "--full-evidence/--card-first",
                default=True,
                show_default=True,
                help="--full-evidence asks the Hub API for every model's file list and gating (one API-bucket "
                "request per model), so license files under any name (MODEL_LICENSE, a PDF) are seen. "
                "--card-first saves that request without a token by reading the card and LICENSE through the "
                "Resolvers bucket: faster under anonymous quotas, but other license files go unseen "
                "(benchmarks/README.md weighs it).",
            ),
            click.option(
                "--retries",
                type=click.IntRange(0, 10),
                envvar="AUDITOR_RETRIES",
                default=DEFAULT_RETRIES,
                show_default=True,
                help="Retries on 429, 5xx, timeouts and dropped connections (backoff with jitter, Retry-After).",
            ),
        ],
    )


def model_options(func: F) -> F:
    """The models to audit: ids on the command line, list or inventory files, whole organisations."""
    func = click.option(
        "--search", metavar="TEXT", help="Also audit every model whose id contains TEXT (with --author: its)."
    )(func)
    func = click.option(
        "--author",
        "authors",
        multiple=True,
        metavar="ORG",
        help="Also audit every model ORG publishes, listed by the Hub (one API request per 1,000). Repeatable.",
    )(func)
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
    return _stack(
        func,
        [
            click.option(
                "--policy",
                "policy_path",
                type=click.Path(dir_okay=False, path_type=Path),
                envvar="AUDITOR_POLICY",
                help="Company policy YAML. Default: the bundled rules/policy.yaml.",
            ),
            click.option(
                "--use",
                metavar="USE",
                envvar="AUDITOR_USE",
                help="Intended use the models are checked for (e.g. internal-research, commercial-product, saas). "
                "Default: the policy's default_use.",
            ),
        ],
    )


def discover_options(func: F) -> F:
    """Models found in code and configuration (see `auditor discover`), each located at its file and line."""
    return _stack(
        func,
        [
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
        ],
    )


def fail_on_option(default: Status) -> Callable[[F], F]:
    return click.option(
        "--fail-on",
        type=click.Choice(STATUS_NAMES[1:]),
        envvar="AUDITOR_FAIL_ON",
        default=default.value,
        show_default=True,
        help="Exit 1 when any model's verdict is at or above this level.",
    )


EXIT_ZERO = click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even when verdicts reach --fail-on (report-only jobs)."
)
STATS = click.option("--stats", is_flag=True, help="Print request and cache counters to stderr.")
NO_PROGRESS = click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to FILE (or into DIR for several formats); `-o -` is standard output.",
)


# ---------------------------------------------------------------- settings from options


def hub_settings(opts: dict[str, Any]) -> HubSettings:
    return HubSettings(
        endpoint=opts.get("endpoint"),
        token=opts.get("token"),
        hub_dir=opts.get("hub_dir"),
        snapshot=opts.get("snapshot"),
        save_snapshot=opts.get("save_snapshot"),
        cache_dir=opts.get("cache_dir"),
        no_cache=bool(opts.get("no_cache")),
        offline=bool(opts.get("offline")),
        max_age=opts.get("max_age"),
        jobs=opts.get("jobs", DEFAULT_JOBS),
        timeout=opts.get("timeout", DEFAULT_TIMEOUT),
        retries=opts.get("retries", DEFAULT_RETRIES),
        full_evidence=bool(opts.get("full_evidence")),
    )


def inputs_of(model_ids: Sequence[str], ref_files: Sequence[Path], opts: dict[str, Any]) -> Inputs:
    return Inputs(
        model_ids=tuple(model_ids),
        ref_files=tuple(ref_files),
        discover_paths=tuple(opts.get("discover_paths") or ()),
        discover_exclude=tuple(opts.get("discover_exclude") or ()),
        listing=_listing(opts),
    )


def settings_of(model_ids: Sequence[str], ref_files: Sequence[Path], opts: dict[str, Any]) -> Settings:
    """The command's options as the application layer's Settings (shown with their sources under -v)."""
    show_settings(opts)
    return Settings(
        inputs=inputs_of(model_ids, ref_files, opts),
        hub=hub_settings(opts),
        policy_path=opts.get("policy_path"),
        use=opts.get("use"),
        fail_on=Status(opts["fail_on"]) if opts.get("fail_on") else Settings.fail_on,
        exit_zero=bool(opts.get("exit_zero")),
        lock_path=opts.get("lock_path"),
        diff_base=opts.get("diff_base"),
    )


def _listing(opts: dict[str, Any]) -> Any:
    from auditor.sources.listing import Listing

    return Listing(tuple(opts.get("authors") or ()), opts.get("search"))


def warn(message: str) -> None:
    """The application layer's warnings (unresolved references, unreadable files) go to stderr."""
    note(f"warning: {message}")


def lock_file_option(help_text: str, default: Path | None) -> Callable[[F], F]:
    """The lock file, spelt --lock-file on every command (--lock is kept as the older name)."""
    return click.option(
        "--lock-file",
        "--lock",
        "lock_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None if default is None else str(default),
        show_default=default is not None,
        metavar="FILE",
        envvar="AUDITOR_LOCK_FILE",
        help=help_text,
    )


# ---------------------------------------------------------------- progress


class ProgressBar:
    """A one-line progress display on stderr, only on a terminal and only for runs of some length.

    While requests wait for a Hub rate-limit quota, it says so, with the time left and an estimate
    of the run's end, and redraws every second so a long wait is never a frozen screen.
    """

    def __init__(self, enabled: bool) -> None:
        self.done = 0
        self.errors = 0
        self.total = 0
        self.enabled = enabled and sys.stderr.isatty() and not quiet()
        self._waiting: Callable[[], Wait | None] | None = None
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._drawn = False

    def __call__(self, result: ModelResult, total: int) -> None:
        with self._lock:
            self.done += 1
            self.total = total
            if result.verdict.status is Status.ERROR:
                self.errors += 1
        self._draw()

    def show_quota_wait(self, waiting: Callable[[], Wait | None]) -> None:
        """Called by the application layer with the Hub source's view of quota waits."""
        self._waiting = waiting
        if self.enabled:
            threading.Thread(target=self._tick, name="auditor-progress", daemon=True).start()

    def line(self, now: float | None = None) -> str:
        """The text shown: the bar, counts, and the quota wait with an ETA when there is one."""
        width, total = 30, max(1, self.total)
        filled = width * self.done // total
        text = f"[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} models, {self.errors} errors"
        if not self.total:  # no model yet: the run is still listing an organisation (--author, --search)
            text = "listing models on the Hub"
        wait = self._waiting() if self._waiting is not None else None
        if wait is not None:
            left = max(0.0, wait.until - (time.time() if now is None else now))
            elapsed = time.monotonic() - self._started
            rate = self.done / elapsed if self.done and elapsed > 0 else 0.0
            eta = f", ETA {_duration(left + (self.total - self.done) / rate)}" if rate else ""
            text += f"; waiting {_duration(left)} for the Hub's {wait.bucket.value} quota{eta}"
        return text

    def _draw(self) -> None:
        if self.enabled and self.total != 1:  # 0: a listing, drawn only while it waits for a quota
            with self._lock:
                self._drawn = True
                sys.stderr.write("\r" + self.line().ljust(72))
                sys.stderr.flush()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            if self._waiting is not None and self._waiting() is not None:
                self._draw()

    def close(self) -> None:
        self._stop.set()
        if self.enabled and self._drawn:
            sys.stderr.write("\r" + " " * 120 + "\r")
            sys.stderr.flush()


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


# ---------------------------------------------------------------- output


def parse_formats(value: str) -> list[str]:
    from auditor.report import available

    names = [part.strip() for part in value.split(",") if part.strip()]
    known = available()
    for name in names:
        if name not in known:
            raise UsageError(f"unknown format {name!r}{did_you_mean(name, known)}; choose from {', '.join(known)}")
    if not names:
        raise UsageError("--format needs at least one format")
    return names


def write_outputs(report: AuditReport, formats: Sequence[str], output: Path | None, options: dict[str, Any]) -> None:
    """One format to stdout or a file; several formats into a directory, one file each."""
    from auditor.report import RENDERERS, render_chunks

    if output is not None and str(output) == STDOUT:
        output = None  # `-o -`: standard output, as pip-audit and ruff take it
        if len(formats) > 1:
            raise UsageError("several formats need -o DIR to write them into, not -o -")
    if len(formats) > 1 and output is None:
        raise UsageError("several formats need -o DIR to write them into")
    on_terminal = output is None and sys.stdout.isatty()
    color = use_color(on_terminal)
    if on_terminal:
        options = {**options, "width": shutil.get_terminal_size().columns}
    # SARIF locates findings relative to where auditor runs (the checkout, in CI).
    options = {"source_root": os.getcwd(), **options}
    for name in formats:
        content = render_chunks(name, report, color=color, **options)
        if output is None:
            echo_chunks(content, color)
            continue
        target = output
        if len(formats) > 1 or output.is_dir():
            target = output / f"auditor-report{RENDERERS[name].extension}"
        write_output(target, content)
        note(f"wrote {target}")


def echo_chunks(chunks: Iterable[str | bytes], color: bool | None) -> None:
    """A report on standard output as it is rendered, ending in one newline (click strips ANSI off a tty)."""
    ended = False
    for chunk in chunks:
        if isinstance(chunk, bytes):  # written as is, no newline added
            sys.stdout.buffer.write(chunk)
            ended = True
        elif chunk:
            click.echo(chunk, nl=False, color=color)
            ended = chunk.endswith("\n")
    if not ended:
        click.echo("", color=color)


def written_summary(report: AuditReport, fail_on: Status, exit_zero: bool, command: str) -> str:
    """After writing a report to a file: how many models, how many failed, and whether the run passes."""
    from auditor.models import fails_gate
    from auditor.report.ci import summary_line

    failing = sum(1 for r in report.results if fails_gate(r.verdict.status, fail_on))
    return summary_line(report, fail_on, exit_zero, [f"{failing} failing"], command=command)


def print_stats(report: AuditReport) -> None:
    stats = ", ".join(f"{k}={v}" for k, v in sorted(report.stats.items()))
    echo_err(f"stats: {stats or 'no requests'}")


def finish(report: AuditReport, fail_on: Status, exit_zero: bool, *, stats: bool = False) -> NoReturn:
    """Print what the run's end needs and exit with the application layer's code for it."""
    from auditor.app import exit_code

    if stats or verbose():
        print_stats(report)
    code = exit_code(report, fail_on, exit_zero)
    if code == EXIT_INTERRUPTED:
        echo_err(f"auditor: interrupted: the report covers {len(report.results)} models and is marked incomplete")
    sys.exit(code)


def handle_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AuditorError as exc:
            for line in error_lines(exc):
                echo_err(line)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


__all__ = ["printable"]
