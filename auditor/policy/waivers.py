"""Waivers: signed-off exceptions for one model (at one revision), for some uses, until a date.

A waiver applies only while it is in force (`today` before `expires`), only to the uses it names, and,
when pinned, only to a fetched commit whose sha starts with its revision. A waiver nobody needed any
more, or one that expired, is itself a finding: stale exceptions are how policies rot.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from auditor.models import Finding, ModelResult, Severity, Waiver
from auditor.policy.model import Policy

EXPIRY_NOTICE_DAYS = 30


def expires_on(waiver: Waiver) -> datetime.date:
    return datetime.date.fromisoformat(waiver.expires)


def is_expired(waiver: Waiver, today: datetime.date) -> bool:
    """`expires` is the first day the waiver no longer applies."""
    return today >= expires_on(waiver)


def same_model(waiver: Waiver, repo_id: str) -> bool:
    # The Hub resolves repo ids case-insensitively, so people write them either way.
    return waiver.model.lower() == repo_id.lower()


def covers_use(waiver: Waiver, use: str) -> bool:
    return not waiver.uses or use in waiver.uses


def covers_sha(waiver: Waiver, sha: str | None) -> bool:
    """True when unpinned, or pinned to a prefix of `sha`; an unknown sha never matches a pin."""
    if waiver.revision is None:
        return True
    return sha is not None and sha.lower().startswith(waiver.revision.lower())


def label(waiver: Waiver, policy_path: str) -> str:
    """How a message names a waiver: where it is written and its ticket."""
    where = f"{policy_path}:{waiver.line}" if waiver.line else policy_path
    ticket = f" ({waiver.ticket})" if waiver.ticket else ""
    return f"waiver{ticket} at {where}"


def policy_findings(policy: Policy, results: Sequence[ModelResult], today: datetime.date) -> tuple[Finding, ...]:
    """Findings about the policy's waivers after a run: expired, unused, or about to expire."""
    findings: list[Finding] = []
    for waiver in policy.waivers:
        name = label(waiver, policy.path)
        expiry = expires_on(waiver)
        if is_expired(waiver, today):
            findings.append(
                Finding(
                    rule="waiver-expired",
                    severity=Severity.WARNING,
                    message=f"{name} for {waiver.model} expired on {waiver.expires}; it no longer applies",
                    fix="renew it with a new expiry date and sign-off, or remove it from the policy",
                    subject=waiver.model,
                )
            )
            continue
        same = [r for r in results if same_model(waiver, r.ref.repo_id)]
        # A model that could not be fetched has no sha to compare a pin with: do not call its waiver unused.
        used = [r for r in same if covers_use(waiver, r.verdict.use) and (r.sha is None or covers_sha(waiver, r.sha))]
        if not used:
            if not same:
                why = f"no model in this run is {waiver.model}"
            else:
                seen = sorted({f"{r.sha[:12] if r.sha else '?'} for {r.verdict.use}" for r in same})
                wants = f"revision {waiver.revision}" if waiver.revision else "any revision"
                uses = ", ".join(waiver.uses) if waiver.uses else "every use"
                why = f"it covers {wants} for {uses}, but the run audited {'; '.join(seen)}"
            findings.append(
                Finding(
                    rule="waiver-unused",
                    severity=Severity.WARNING,
                    message=f"{name} for {waiver.model} matched no model: {why}",
                    fix="remove the waiver if it is no longer needed, or correct its model, revision or uses",
                    subject=waiver.model,
                )
            )
            continue
        days = (expiry - today).days
        if days <= EXPIRY_NOTICE_DAYS:
            findings.append(
                Finding(
                    rule="waiver-expires-soon",
                    severity=Severity.INFO,
                    message=f"{name} for {waiver.model} expires on {waiver.expires} (in {days} days)",
                    fix="renew it before then if the model is still needed",
                    subject=waiver.model,
                )
            )
    return tuple(findings)
