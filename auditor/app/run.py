"""What every command shares: the run's clock, its Hub source, its models and the audit itself."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.app.settings import DEFAULT_MAX_AGE, HubSettings, Inputs, Settings
from auditor.errors import UsageError
from auditor.models import AuditReport, ModelRef, ModelResult

if TYPE_CHECKING:
    from auditor.hub.factory import ComposedSource
    from auditor.licenses import KnowledgeBase
    from auditor.policy import Policy
    from auditor.sources.discover import Discovery
    from auditor.sources.listing import Listing

Progress = Callable[[ModelResult, int], None]  # one finished model, and how many the run has
Warn = Callable[[str], None]  # a warning for the person running auditor, e.g. an unresolved reference


def _ignore(_message: str) -> None:
    """The default `Warn`: callers that show nothing."""


def run_clock() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, so a report regenerated from a mirror or snapshot is identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return datetime.now(timezone.utc)
    try:
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH must be seconds since 1970, not {epoch!r}") from None


def open_hub(hub: HubSettings, *, no_cache: bool | None = None) -> ComposedSource:
    """The run's Hub source; `no_cache=True` asks past the cache (for commits that may be gone).
    Call `close()` on it at the end."""
    from auditor.hub import open_source

    clock: Callable[[], float] = time.time
    if os.environ.get("SOURCE_DATE_EPOCH"):
        fixed = run_clock().timestamp()
        clock = lambda: fixed  # noqa: E731
    return open_source(
        clock=clock,
        endpoint=hub.endpoint,
        token=hub.token,
        hub_dir=hub.hub_dir,
        snapshot=hub.snapshot,
        save_snapshot=hub.save_snapshot,
        cache_dir=hub.cache_dir,
        no_cache=hub.no_cache if no_cache is None else no_cache,
        offline=hub.offline,
        max_age=DEFAULT_MAX_AGE if hub.max_age is None else hub.max_age,
        timeout=hub.timeout,
        retries=hub.retries,
        card_first=not hub.full_evidence,
    )


@dataclass(frozen=True)
class Gathered:
    """The models of a run, and what discovery found on the way (for annotations and warnings)."""

    refs: tuple[ModelRef, ...]
    found: Discovery | None = None
    warnings: tuple[str, ...] = field(default=())


def collect_refs(model_ids: Sequence[str], ref_files: Sequence[Path | str]) -> list[ModelRef]:
    from auditor.sources import read_refs_file, refs_from_args

    refs = refs_from_args(model_ids)
    for path in ref_files:
        refs.extend(read_refs_file(path))
    return refs


def discover_in(inputs: Inputs) -> tuple[Discovery | None, tuple[str, ...]]:
    """Models named in code under the discover paths, and one warning per unresolved reference or bad file."""
    if not inputs.discover_paths:
        return None, ()
    from auditor.report.text import printable
    from auditor.sources.discover import discover

    found = discover(inputs.discover_paths, exclude=inputs.discover_exclude)
    warnings: list[str] = [
        f"{ref.where}: unresolved model reference ({ref.via}): {printable(ref.expression)}" for ref in found.unresolved
    ]
    warnings += [printable(message) for message in found.warnings]
    return found, tuple(warnings)


def gather(inputs: Inputs, warn: Warn = _ignore) -> Gathered:
    """Models named in lists first (their line is the origin), then discovered ones not already listed."""
    refs = collect_refs(inputs.model_ids, inputs.ref_files)
    found, warnings = discover_in(inputs)
    if found is not None:
        from auditor.sources.discover import to_model_refs

        listed = {(ref.repo_id, ref.revision) for ref in refs}
        refs += [ref for ref in to_model_refs(found) if (ref.repo_id, ref.revision) not in listed]
    refs, repeated = once_each(refs)
    warnings += repeated
    for message in warnings:
        warn(message)
    return Gathered(tuple(refs), found, warnings)


def once_each(refs: Sequence[ModelRef]) -> tuple[list[ModelRef], tuple[str, ...]]:
    """Each model (id, revision, use) audited once, at its first mention; a note for each one named again."""
    first: dict[tuple[str, str | None, str | None], ModelRef] = {}
    again: dict[tuple[str, str | None, str | None], list[ModelRef]] = {}
    for ref in refs:
        key = (ref.repo_id.casefold(), ref.revision, ref.use)
        if key in first:
            again.setdefault(key, []).append(ref)
        else:
            first[key] = ref
    notes = []
    for key, repeats in again.items():
        ref = first[key]
        places = [str(r.origin) if r.origin else "the command line" for r in (ref, *repeats)]
        notes.append(
            f"{ref} is named {len(places)} times ({', '.join(dict.fromkeys(places))}); audited once"
        )
    return list(first.values()), tuple(notes)


def with_listed(refs: Sequence[ModelRef], source: ComposedSource, listing: Listing) -> list[ModelRef]:
    """`refs`, then the models the Hub lists for `listing` that are not already there on their default branch."""
    from auditor.sources.listing import listed_refs

    if not listing.wanted:
        return list(refs)
    given = {ref.repo_id.casefold() for ref in refs if ref.revision is None}
    added = [ref for ref in listed_refs(source, listing) if ref.repo_id.casefold() not in given]
    if not refs and not added:
        raise UsageError("the Hub lists no models for --author/--search")
    return [*refs, *added]


def load_rules(settings: Settings) -> tuple[KnowledgeBase, Policy]:
    """The knowledge base and the company policy, each loaded once per run."""
    from auditor.licenses import load_knowledge_base
    from auditor.policy import load_policy

    kb = load_knowledge_base()
    return kb, load_policy(settings.policy_path, kb)


def audit(
    refs: Sequence[ModelRef],
    settings: Settings,
    progress: Progress | None = None,
    rules: tuple[KnowledgeBase, Policy] | None = None,
) -> AuditReport:
    """Audit `refs`, and the models `settings.inputs.listing` names, with the run's knowledge, policy and
    Hub source. A progress display with `show_quota_wait` is told how to see waits for a Hub quota."""
    from auditor.app.engine import AuditSettings, run_audit

    kb, policy = rules or load_rules(settings)
    # What exists by now (modules, knowledge base, policy: ~36,000 objects the collector tracks, that live
    # as long as the run) is left out of the run's garbage collections, which then only look at what the
    # run makes; thawed at the end, so a process that audits again collects them as before.
    gc.freeze()
    source = open_hub(settings.hub)
    try:
        show_wait = getattr(progress, "show_quota_wait", None)
        if show_wait is not None:  # before the listing: its pages wait for the API quota too
            show_wait(source.quota_wait)
        refs = with_listed(refs, source, settings.inputs.listing)
        return run_audit(
            refs,
            source=source,
            kb=kb,
            policy=policy,
            now=run_clock(),
            settings=AuditSettings(use=settings.use, jobs=settings.hub.jobs),
            progress=None if progress is None else (lambda result: progress(result, len(refs))),
        )
    finally:
        source.close()
        gc.unfreeze()
