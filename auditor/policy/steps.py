"""What an evaluation has found so far: findings with their effect on the verdict, duties, rights checked.

Shared by the evaluation's parts (licenses and categories, rights, conditions, metadata rules) so each
can record what it found in one place; the worst effect of any finding is the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.escape import line
from auditor.models import Finding, RightCheck, Severity, Status
from auditor.policy.model import Action, UseSpec

MAX_TEXT = 160

SEVERITY = {
    Action.ALLOW: Severity.INFO,
    Action.WARN: Severity.WARNING,
    Action.OBLIGATION: Severity.INFO,
    Action.REVIEW: Severity.WARNING,
    Action.DENY: Severity.ERROR,
}
STATUS_SEVERITY = {
    Status.APPROVED: Severity.INFO,
    Status.APPROVED_WITH_OBLIGATIONS: Severity.INFO,
    Status.NEEDS_REVIEW: Severity.WARNING,
    Status.BLOCKED: Severity.ERROR,
    Status.ERROR: Severity.ERROR,
}


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Untrusted text made safe for a one-line message: no control characters, bounded length."""
    return line(text, limit)


@dataclass
class Steps:
    """What evaluation found so far: findings with their effect, the duties collected, rights checked."""

    spec: UseSpec
    findings: list[tuple[Finding, Status]] = field(default_factory=list)
    obligations: dict[str, None] = field(default_factory=dict)
    rights: list[RightCheck] = field(default_factory=list)

    def add(
        self,
        rule: str,
        effect: Status,
        message: str,
        fix: str | None = None,
        *,
        severity: Severity | None = None,
        subject: str | None = None,
        policy: str | None = None,
    ) -> None:
        finding = Finding(rule, severity or STATUS_SEVERITY[effect], message, fix, subject, policy)
        self.findings.append((finding, effect))

    def act(self, action: Action, rule: str, message: str, fix: str | None = None) -> None:
        """Record a metadata rule's outcome; `allow` and `warn` leave the verdict as it is."""
        self.add(rule, action.status, message, None if action is Action.ALLOW else fix, severity=SEVERITY[action])

    def oblige(self, text: str) -> None:
        self.obligations.setdefault(text, None)

    def worst_since(self, mark: int) -> Status:
        """The worst effect among the findings recorded after `mark` (= len(findings) at that time)."""
        return max((effect for _, effect in self.findings[mark:]), key=lambda s: s.rank, default=Status.APPROVED)

    @property
    def status(self) -> Status:
        return self.worst_since(0)
