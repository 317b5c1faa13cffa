"""`check`: the CI gate. Audits the models in use and, with a lock, checks them for license drift."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from auditor.app.lock import gather_or_locked
from auditor.app.outcome import raise_if_unavailable
from auditor.app.run import Progress, Warn, _ignore, audit, open_hub
from auditor.app.scan import diff_text, read_diff_base
from auditor.app.settings import HubSettings, Settings
from auditor.errors import InputFileError, UsageError
from auditor.models import AuditReport, FetchError, FetchErrorKind

if TYPE_CHECKING:
    from auditor.sources.discover import Discovery
    from auditor.sources.lockfile import LockFile


@dataclass(frozen=True)
class CheckResult:
    report: AuditReport | None  # None: no model references were found (the gate passes)
    found: Discovery | None = None
    notes: tuple[str, ...] = ()  # for the summary line: lock drift counts, unresolved references
    diff: str | None = None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def gone_revisions(lock: LockFile, report: AuditReport, hub: HubSettings) -> set[str]:
    """Keys whose locked commit the Hub no longer serves (asked past the cache, which would still have it)."""
    from auditor.sources.lockfile import ref_key

    todo = {}
    for result in report.results:
        entry = lock.get(ref_key(result.ref))
        if entry is None or (result.hub is not None and result.hub.sha == entry.sha):
            continue
        todo[entry.key] = entry
    if not todo:
        return set()
    source = open_hub(hub, no_cache=True)
    try:
        with ThreadPoolExecutor(max_workers=hub.jobs) as pool:
            fetched = dict(zip(todo, pool.map(lambda e: source.fetch(e.repo_id, e.sha), todo.values()), strict=True))
    finally:
        source.close()
    return {
        key
        for key, result in fetched.items()
        if isinstance(result, FetchError) and result.kind is FetchErrorKind.REVISION_NOT_FOUND
    }


def _lock_notes(counts: dict[str, int]) -> str:
    parts = [f"{n} {rule}" for rule, n in counts.items() if n]
    return f"lock: {', '.join(parts) if parts else 'no drift'}"


def check(settings: Settings, *, warn: Warn = _ignore, progress: Progress | None = None) -> CheckResult:
    """Audit the models in use; with `settings.lock_path`, add the lock's drift findings to each model."""
    from auditor.drift import SUMMARY_RULES, apply_lock_check, check_lock
    from auditor.sources.lockfile import read_lock

    lock_path = settings.lock_path
    lock = None
    if lock_path is not None:
        if settings.hub.max_age is None:  # drift is what a lock check looks for: never trust a cached branch
            settings = replace(settings, hub=replace(settings.hub, max_age=0))
        if not lock_path.exists():
            raise InputFileError(str(lock_path), None, "no such lock file; write one with `auditor lock`")
        lock = read_lock(lock_path)
    settings, gathered = gather_or_locked(settings, lock, warn)
    if not gathered.refs and gathered.found is None and not settings.inputs.given:
        raise UsageError("no models given: pass MODEL_ID arguments, -r FILE, --discover PATH or --lock FILE")
    base = read_diff_base(settings.diff_base)
    notes: list[str] = []
    found = gathered.found
    if found is not None and found.unresolved:
        notes.append(_plural(len(found.unresolved), "unresolved reference"))
    if not gathered.refs and not settings.inputs.listing.wanted:
        return CheckResult(None, found, tuple(notes))
    report = audit(gathered.refs, settings, progress)
    raise_if_unavailable(report)
    if lock is not None and lock_path is not None:
        result = check_lock(lock, report, gone=gone_revisions(lock, report, settings.hub), lock_name=lock_path.name)
        report = apply_lock_check(report, result)
        for finding in result.stale:  # no model to attach them to: said once each (a model the org dropped)
            warn(finding.message)
        notes.insert(0, _lock_notes({rule: result.count(rule) for rule in SUMMARY_RULES}))
    return CheckResult(report, found, tuple(notes), diff_text(base, report, settings.diff_base))
