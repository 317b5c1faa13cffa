"""What the subcommands share: option groups, building `Settings`, printing, writing and exiting."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from auditor.app.settings import (
    DEFAULT_JOBS,
    DEFAULT_MAX_AGE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    HubSettings,
    Inputs,
)
from auditor.errors import EXIT_INTERRUPTED, AuditorError, UsageError
from auditor.fileio import write_atomic
from auditor.models import AuditReport, ModelResult, Status
from auditor.report.text import printable

F = TypeVar("F", bound=Callable[..., Any])

STATUS_NAMES = [s.value for s in Status]
EPILOG_EXIT = (
    "Exit codes: 0 nothing at or above --fail-on; 1 something is (an error verdict always counts); "
    "2 bad usage, input or policy file; 3 the Hub could not be reached at all, or refused the token."
)


def echo_err(message: str) -> None:
    click.echo(message, err=True)


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
                help="On-disk cache of Hub answers, keyed by commit sha. Default: the user cache dir.",
            ),
            click.option("--no-cache", is_flag=True, help="Neither read nor write the on-disk cache."),
            click.option(
                "--offline", is_flag=True, help="Answer from the cache only; name the models it cannot serve."
            ),
            click.option(
                "--max-age",
                type=click.IntRange(min=0),
                default=None,
                show_default=str(DEFAULT_MAX_AGE),
                metavar="SECONDS",
                help="How long a cached branch -> sha answer stays fresh. Pinned shas never expire.",
            ),
            click.option(
                "--jobs",
                "-j",
                type=click.IntRange(1, 64),
                default=DEFAULT_JOBS,
                show_default=True,
                help="Models fetched at once. Be polite: the Hub rate-limits per time window.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                default=DEFAULT_TIMEOUT,
                show_default=True,
                help="Seconds per request.",
            ),
            click.option(
                "--retries",
                type=click.IntRange(0, 10),
                default=DEFAULT_RETRIES,
                show_default=True,
                help="Retries on 429, 5xx, timeouts and dropped connections (backoff with jitter, Retry-After).",
            ),
        ],
    )


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
    return _stack(
        func,
        [
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
        default=default.value,
        show_default=True,
        help="Exit 1 when any model's verdict is at or above this level.",
    )


EXIT_ZERO = click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even when verdicts reach --fail-on (report-only jobs)."
)
STATS = click.option("--stats", is_flag=True, help="Print request and cache counters to stderr.")
NO_PROGRESS = click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")


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
    )


def inputs_of(model_ids: Sequence[str], ref_files: Sequence[Path], opts: dict[str, Any]) -> Inputs:
    return Inputs(
        model_ids=tuple(model_ids),
        ref_files=tuple(ref_files),
        discover_paths=tuple(opts.get("discover_paths") or ()),
        discover_exclude=tuple(opts.get("discover_exclude") or ()),
    )


def warn(message: str) -> None:
    """The application layer's warnings (unresolved references, unreadable files) go to stderr."""
    echo_err(f"warning: {message}")


# ---------------------------------------------------------------- progress


class ProgressBar:
    """A one-line progress display on stderr, only on a terminal and only for runs of some length."""

    def __init__(self, enabled: bool) -> None:
        self.done = 0
        self.errors = 0
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, result: ModelResult, total: int) -> None:
        self.done += 1
        if result.verdict.status is Status.ERROR:
            self.errors += 1
        if self.enabled and total > 1:
            width = 30
            filled = width * self.done // max(1, total)
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\r[{bar}] {self.done}/{total} models, {self.errors} errors")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\r" + " " * 72 + "\r")
            sys.stderr.flush()


# ---------------------------------------------------------------- output


def parse_formats(value: str) -> list[str]:
    from auditor.report import available

    names = [part.strip() for part in value.split(",") if part.strip()]
    known = available()
    for name in names:
        if name not in known:
            raise UsageError(f"unknown format {name!r}; choose from {', '.join(known)}")
    if not names:
        raise UsageError("--format needs at least one format")
    return names


def write_outputs(report: AuditReport, formats: Sequence[str], output: Path | None, options: dict[str, Any]) -> None:
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
        echo_err(f"wrote {target}")


def print_stats(report: AuditReport) -> None:
    stats = ", ".join(f"{k}={v}" for k, v in sorted(report.stats.items()))
    echo_err(f"stats: {stats or 'no requests'}")


def finish(report: AuditReport, fail_on: Status, exit_zero: bool, *, stats: bool = False) -> NoReturn:
    """Print what the run's end needs and exit with the application layer's code for it."""
    from auditor.app import exit_code

    if stats:
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
            echo_err(f"auditor: error: {exc}")
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


__all__ = ["printable"]
