"""What changed since a model was approved: lock drift (`check --lock`) and report diffs (`--diff`).

Pure functions over `AuditReport`, lock data and an earlier JSON report: no network, no clock. The CLI
fetches (including the locked commits, to tell a moved branch from rewritten history) and passes results in.

The lock compares *evidence*, not just the resolved expression: a LICENSE file rewritten under the same
`license:` field is a change a reviewer must see, and a new commit that leaves the license evidence untouched
is not (zero false alarms on an unchanged lock).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor.errors import InputFileError
from auditor.inputfile import display_name, load_json_bounded
from auditor.models import (
    AuditReport,
    FetchErrorKind,
    Finding,
    HubModel,
    ModelRef,
    ModelResult,
    Severity,
    Status,
)
from auditor.sources.lockfile import LockEntry, LockFile, lock_key, ref_key

# The card fields that say which license governs a model (the base model's license flows to it).
EVIDENCE_CARD_FIELDS = (
    "license",
    "license_name",
    "license_link",
    "license_file",
    "license_details",
    "base_model",
    "base_model_relation",
)

RULE_DRIFT = "license-drift"
RULE_NOT_IN_LOCK = "not-in-lock"
RULE_REVISION_GONE = "locked-revision-gone"
RULE_MOVED = "revision-moved"
RULE_STALE = "stale-lock-entry"
RULE_VERDICT_CHANGED = "verdict-changed"
RULE_UNREADABLE = "evidence-unreadable"
LOCK_RULES = frozenset(
    {RULE_DRIFT, RULE_NOT_IN_LOCK, RULE_REVISION_GONE, RULE_MOVED, RULE_STALE, RULE_VERDICT_CHANGED, RULE_UNREADABLE}
)
# The lock rules `check --lock` counts in its summary line, in that order.
SUMMARY_RULES = (RULE_DRIFT, RULE_UNREADABLE, RULE_NOT_IN_LOCK, RULE_REVISION_GONE, RULE_MOVED, RULE_STALE)


# ---------------------------------------------------------------- evidence


def evidence_document(hub: HubModel) -> dict[str, Any]:
    """The license evidence of one commit, as plain data: card license fields, license tags and files."""
    card = {name: hub.card_data[name] for name in EVIDENCE_CARD_FIELDS if name in hub.card_data}
    return {
        "card": card,
        "card_unreadable": hub.card_error is not None,
        "license_tags": sorted(tag for tag in hub.tags if tag.startswith("license:")),
        "license_files": sorted(
            (
                {
                    "path": f.path,
                    "sha256": _text_digest(f.text),
                    "truncated": f.truncated,
                }
                for f in hub.license_files
            ),
            key=lambda item: str(item["path"]),
        ),
        "file_problems": sorted(({"path": p.path, "kind": p.kind} for p in hub.file_problems), key=str),
    }


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def license_file_digests(hub: HubModel) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((f.path, _text_digest(f.text)) for f in hub.license_files))


def evidence_digest(hub: HubModel) -> str:
    """sha256 of the canonical JSON of `evidence_document`: equal evidence, equal digest, on any machine."""
    canonical = json.dumps(
        evidence_document(hub), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- writing a lock


@dataclass(frozen=True)
class LockBuild:
    lock: LockFile
    skipped: tuple[ModelResult, ...]  # models that could not be fetched: nothing to pin


def build_lock(report: AuditReport) -> LockBuild:
    """One entry per model reference (id, or id@revision when pinned), with each use's verdict."""
    entries: dict[str, LockEntry] = {}
    skipped = []
    for result in report.results:
        key = ref_key(result.ref)
        if result.ref.is_hosted:
            continue  # a hosted model has no commit to pin: it is judged by the provider facts on every run
        if result.hub is None:
            skipped.append(result)
            continue
        verdict = (result.verdict.use, result.verdict.status.value)
        existing = entries.get(key)
        if existing is not None:
            entries[key] = replace(existing, verdicts=tuple(sorted({*existing.verdicts, verdict})))
            continue
        resolution = result.resolution
        entries[key] = LockEntry(
            repo_id=result.ref.repo_id,
            revision=result.ref.revision,
            sha=result.hub.sha,
            license=resolution.expression if resolution else None,
            license_keys=tuple(resolution.keys) if resolution else (),
            inherited_keys=tuple(resolution.inherited_keys) if resolution else (),
            evidence_sha256=evidence_digest(result.hub),
            verdicts=(verdict,),
            license_files=license_file_digests(result.hub),
        )
    lock = LockFile(entries=tuple(entries.values()), policy_sha256=report.policy.sha256)
    return LockBuild(lock=lock, skipped=tuple(skipped))


# ---------------------------------------------------------------- checking against a lock


@dataclass(frozen=True)
class LockCheck:
    """Lock findings per model key, and lock entries no model uses any more."""

    by_model: Mapping[str, tuple[Finding, ...]]
    stale: tuple[Finding, ...] = ()

    @property
    def failing(self) -> bool:
        return any(f.severity is Severity.ERROR for findings in self.by_model.values() for f in findings)

    def count(self, rule: str) -> int:
        return sum(1 for findings in self.by_model.values() for f in findings if f.rule == rule) + sum(
            1 for f in self.stale if f.rule == rule
        )


def _short_sha(sha: str | None) -> str:
    return (sha or "?")[:12]


def _license_text(expression: str | None, keys: Sequence[str]) -> str:
    if expression:
        return expression
    return f"unresolved ({', '.join(keys)})" if keys else "unresolved"


def check_lock(
    lock: LockFile,
    report: AuditReport,
    *,
    gone: Collection[str] = (),
    lock_name: str = "models.lock",
) -> LockCheck:
    """Compare each audited model with its lock entry.

    `gone` holds the keys whose locked commit the Hub no longer has (the CLI fetched it and got
    revision-not-found): the approval was for a commit nobody can inspect any more.
    """
    by_model: dict[str, list[Finding]] = {}
    seen: set[str] = set()
    for result in report.results:
        key = ref_key(result.ref)
        if key in seen or result.ref.is_hosted:
            continue
        seen.add(key)
        findings = by_model.setdefault(key, [])
        entry = lock.get(key)
        if entry is None:
            findings.append(
                Finding(
                    rule=RULE_NOT_IN_LOCK,
                    severity=Severity.ERROR,
                    message=f"{key} is used but not in {lock_name}",
                    fix="Run `auditor lock` to add it, and have its license reviewed in the pull request.",
                )
            )
            continue
        error = result.fetch_error
        if key in gone or (
            error is not None and error.kind is FetchErrorKind.REVISION_NOT_FOUND and result.ref.revision is not None
        ):
            findings.append(
                Finding(
                    rule=RULE_REVISION_GONE,
                    severity=Severity.ERROR,
                    message=(
                        f"the locked commit {_short_sha(entry.sha)} of {key} no longer exists on the Hub "
                        "(history rewritten or revision deleted): what was approved can no longer be inspected"
                    ),
                    fix="Review the model's current license, then run `auditor lock` to pin the new commit.",
                )
            )
        if result.hub is None:
            continue  # an error verdict already says why it could not be fetched
        findings.extend(_compare(entry, result, key))
    listing = lock.listing
    stale = [
        Finding(
            rule=RULE_STALE,
            severity=Severity.INFO,
            message=(
                f"{entry.key} is in {lock_name} but {listing.describe()} no longer lists it"
                if listing is not None and listing.covers(ModelRef(entry.repo_id, entry.revision))
                else f"{entry.key} is in {lock_name} but no longer used"
            ),
            fix="Run `auditor lock` to drop it.",
            subject=entry.key,
        )
        for entry in lock.entries
        if entry.key not in seen
    ]
    return LockCheck(by_model={k: tuple(v) for k, v in by_model.items() if v}, stale=tuple(stale))


def _compare(entry: LockEntry, result: ModelResult, key: str) -> list[Finding]:
    hub = result.hub
    if hub is None:
        return []
    resolution = result.resolution
    expression = resolution.expression if resolution else None
    keys = tuple(resolution.keys) if resolution else ()
    inherited = tuple(resolution.inherited_keys) if resolution else ()
    digest = evidence_digest(hub)
    old = _license_text(entry.license, entry.license_keys)
    new = _license_text(expression, keys)
    where = f"{_short_sha(entry.sha)} -> {_short_sha(hub.sha)}"
    findings = []
    locked_files = dict(entry.license_files)
    unreadable = [p for p in hub.file_problems if p.path in locked_files]
    if unreadable and digest != entry.evidence_sha256:
        # Not drift: what was approved cannot be seen now (a gated file without a token, a failed read).
        names = ", ".join(f"{p.path} ({p.kind}: {p.message})" for p in unreadable)
        return [
            Finding(
                rule=RULE_UNREADABLE,
                severity=Severity.ERROR,
                message=f"cannot confirm the locked license: {names} could not be read at commit {_short_sha(hub.sha)}",
                fix="Run with a token that has access to the model (--token or HF_TOKEN), as when it was locked.",
            )
        ]
    changes = _file_changes(locked_files, dict(license_file_digests(hub))) if digest != entry.evidence_sha256 else ""
    if expression != entry.license or sorted(keys) != sorted(entry.license_keys):
        findings.append(
            Finding(
                rule=RULE_DRIFT,
                severity=Severity.ERROR,
                message=f"license changed since locked: {old} -> {new} (commit {where}{changes})",
                fix="Review the new license; if it is acceptable, run `auditor lock` to approve it.",
            )
        )
    elif sorted(inherited) != sorted(entry.inherited_keys):
        findings.append(
            Finding(
                rule=RULE_DRIFT,
                severity=Severity.ERROR,
                message=(
                    f"licenses inherited from base models changed since locked: "
                    f"{', '.join(entry.inherited_keys) or 'none'} -> {', '.join(inherited) or 'none'} "
                    f"(commit {where}{changes})"
                ),
                fix="Review the base model's license; if it is acceptable, run `auditor lock` to approve it.",
            )
        )
    elif digest != entry.evidence_sha256:
        findings.append(
            Finding(
                rule=RULE_DRIFT,
                severity=Severity.ERROR,
                message=(
                    f"license evidence changed since locked, license still resolves to {new} (commit {where}{changes})"
                ),
                fix="Read the changed LICENSE or card; if it is acceptable, run `auditor lock` to approve it.",
            )
        )
    elif hub.sha != entry.sha:
        findings.append(
            Finding(
                rule=RULE_MOVED,
                severity=Severity.INFO,
                message=f"{key} moved to a new commit ({where}); its license evidence is unchanged",
                fix="Optional: run `auditor lock` to pin the new commit.",
            )
        )
    locked_status = dict(entry.verdicts).get(result.verdict.use)
    if locked_status is not None and locked_status != result.verdict.status.value:
        findings.append(
            Finding(
                rule=RULE_VERDICT_CHANGED,
                severity=Severity.INFO,
                message=(
                    f"verdict for {result.verdict.use} was {locked_status} when locked, "
                    f"now {result.verdict.status.value}"
                ),
            )
        )
    return findings


def _file_changes(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """What changed among the license files, for the drift message: `; LICENSE changed, NOTICE added`."""
    parts = [f"{path} changed" for path in sorted(before) if path in after and after[path] != before[path]]
    parts += [f"{path} added" for path in sorted(set(after) - set(before))]
    parts += [f"{path} removed" for path in sorted(set(before) - set(after))]
    return "; " + ", ".join(parts) if parts else "; card license fields or license tags changed"


def apply_lock_check(report: AuditReport, check: LockCheck) -> AuditReport:
    """Fold lock findings into the verdicts, so every renderer (table, SARIF, JUnit) shows them at the model.

    A warning or error from the lock raises the verdict to at least `needs-review`: a person must look
    at the change before it ships. Info findings are attached without changing the verdict.
    """
    results = []
    for result in report.results:
        findings = check.by_model.get(ref_key(result.ref), ())
        if not findings:
            results.append(result)
            continue
        verdict = result.verdict
        status = verdict.status
        reason = verdict.reason
        serious = [f for f in findings if f.severity is not Severity.INFO]
        if serious and not status.at_least(Status.NEEDS_REVIEW):
            status = Status.NEEDS_REVIEW
            reason = serious[0].message  # the lock is why it needs attention; else the policy's reason stands
        new_verdict = replace(verdict, status=status, reason=reason, findings=(*verdict.findings, *findings))
        results.append(replace(result, verdict=new_verdict))
    return replace(report, results=tuple(results))


# ---------------------------------------------------------------- --diff against an earlier report


@dataclass(frozen=True)
class BaseModel:
    """A model as an earlier JSON report saw it."""

    key: str
    repo_id: str
    verdict: str | None
    license: str | None
    sha: str | None


@dataclass(frozen=True)
class Change:
    key: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ReportDiff:
    added: tuple[Change, ...] = ()  # after: the new verdict
    removed: tuple[Change, ...] = ()  # before: the old verdict
    verdicts: tuple[Change, ...] = ()
    licenses: tuple[Change, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.verdicts or self.licenses)


def _diff_key(repo_id: str, requested_revision: str | None) -> str:
    revision = requested_revision if requested_revision not in (None, "", "main") else None
    return lock_key(repo_id, revision)


def read_base_report(path: Path | str) -> dict[str, BaseModel]:
    """The models of an earlier `--format json` report; a file that is not one is an input error (exit 2)."""
    name = display_name(path)
    data = load_json_bounded(path, what="--diff report")
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise InputFileError(name, None, "not an auditor JSON report (no 'models' list); write one with --format json")
    base: dict[str, BaseModel] = {}
    for item in models:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise InputFileError(name, None, "not an auditor JSON report: a model without 'id'")
        license_ = item.get("license")
        expression = license_.get("expression") if isinstance(license_, dict) else None
        key = _diff_key(item["id"], item.get("requested_revision"))
        base.setdefault(
            key,
            BaseModel(
                key=key,
                repo_id=item["id"],
                verdict=item.get("verdict") if isinstance(item.get("verdict"), str) else None,
                license=expression if isinstance(expression, str) else None,
                sha=item.get("sha") if isinstance(item.get("sha"), str) else None,
            ),
        )
    return base


def diff_reports(base: Mapping[str, BaseModel], report: AuditReport) -> ReportDiff:
    added, verdicts, licenses = [], [], []
    seen = set()
    for result in report.results:
        key = _diff_key(result.ref.repo_id, result.ref.requested_revision)
        if key in seen:
            continue
        seen.add(key)
        status = result.verdict.status.value
        expression = result.resolution.expression if result.resolution else None
        before = base.get(key)
        if before is None:
            added.append(Change(key, None, status))
            continue
        if before.verdict != status:
            verdicts.append(Change(key, before.verdict, status))
        if before.license != expression and (result.resolution is not None or before.license is not None):
            licenses.append(Change(key, before.license, expression))
    removed = [Change(key, model.verdict, None) for key, model in base.items() if key not in seen]
    return ReportDiff(tuple(added), tuple(removed), tuple(verdicts), tuple(licenses))


def render_diff(diff: ReportDiff, base_name: str) -> str:
    """A short text section: what changed since the base report."""
    if diff.empty:
        return f"Changes since {base_name}: none\n"
    lines = [f"Changes since {base_name}:"]
    for change in diff.added:
        lines.append(f"  + {change.key}: new, {change.after}")
    for change in diff.removed:
        lines.append(f"  - {change.key}: removed (was {change.before or 'unknown'})")
    for change in diff.verdicts:
        lines.append(f"  ~ {change.key}: verdict {change.before or 'unknown'} -> {change.after}")
    for change in diff.licenses:
        lines.append(f"  ~ {change.key}: license {change.before or 'unresolved'} -> {change.after or 'unresolved'}")
    return "\n".join(lines) + "\n"


__all__ = [
    "EVIDENCE_CARD_FIELDS",
    "LOCK_RULES",
    "RULE_DRIFT",
    "RULE_MOVED",
    "RULE_NOT_IN_LOCK",
    "RULE_REVISION_GONE",
    "RULE_STALE",
    "RULE_UNREADABLE",
    "RULE_VERDICT_CHANGED",
    "BaseModel",
    "Change",
    "LockBuild",
    "LockCheck",
    "ReportDiff",
    "apply_lock_check",
    "build_lock",
    "check_lock",
    "diff_reports",
    "evidence_digest",
    "read_base_report",
    "render_diff",
]
