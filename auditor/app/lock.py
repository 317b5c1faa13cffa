"""`lock`: pin each model to its commit, with its license, an evidence hash and its verdicts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.app.outcome import raise_if_unavailable
from auditor.app.run import Gathered, Progress, Warn, _ignore, audit, gather
from auditor.app.settings import DEFAULT_LOCK_FILE, Settings
from auditor.errors import UsageError
from auditor.models import AuditReport

if TYPE_CHECKING:
    from auditor.drift import LockBuild
    from auditor.sources.lockfile import LockFile


@dataclass(frozen=True)
class LockResult:
    path: Path
    report: AuditReport
    built: LockBuild | None  # None: interrupted, nothing written


def lock_path_of(settings: Settings) -> Path:
    return settings.lock_path or DEFAULT_LOCK_FILE


def gather_or_locked(settings: Settings, lock: LockFile | None, warn: Warn) -> tuple[Settings, Gathered]:
    """What scan takes; with no models given at all, the models the existing lock lists, and its
    `--author`/`--search` listing again (the entries it covers come back from it, or are stale)."""
    from auditor.sources.lockfile import lock_refs

    gathered = gather(settings.inputs, warn)
    inputs = settings.inputs
    if gathered.refs or gathered.found is not None or lock is None or inputs.given:
        return settings, gathered
    listing = lock.listing
    refs = tuple(ref for ref in lock_refs(lock) if listing is None or not listing.covers(ref))
    if listing is not None:
        settings = replace(settings, inputs=replace(inputs, listing=listing))
    return settings, Gathered(refs, None, gathered.warnings)


def lock(settings: Settings, *, warn: Warn = _ignore, progress: Progress | None = None) -> LockResult:
    """Audit the models and write the lock file (unless interrupted)."""
    from auditor.drift import build_lock
    from auditor.sources.lockfile import read_lock, write_lock

    path = lock_path_of(settings)
    existing = read_lock(path) if path.exists() else None
    settings, gathered = gather_or_locked(settings, existing, warn)
    listing = settings.inputs.listing
    if not gathered.refs and not listing.wanted:
        raise UsageError("no models given: pass MODEL_ID arguments, -r FILE, --discover PATH or --author ORG")
    report = audit(gathered.refs, settings, progress)
    if not report.complete:
        return LockResult(path, report, None)
    raise_if_unavailable(report)
    built = build_lock(report)
    if listing.wanted:  # recorded, so that a re-pin or a check lists the org again
        built = replace(built, lock=replace(built.lock, listing=listing))
    write_lock(path, built.lock)
    return LockResult(path, report, built)
