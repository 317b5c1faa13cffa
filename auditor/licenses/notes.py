"""What every resolution phase keeps as it reads: the repo, the knowledge base, and the evidence and
findings in reading order (evidence capped, so a card with thousands of ids stays bounded)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.licenses.knowledge import KnowledgeBase
from auditor.licenses.text import describe_value, quote
from auditor.models import Evidence, EvidenceSource, Finding, HubModel, Severity

MAX_EVIDENCE = 64


def distinct(values: Any) -> list[str]:
    """The non-empty values, first occurrence of each, in order."""
    return list(dict.fromkeys(v for v in values if v))


class Notes:
    """A phase's view of one repo and what it has noted so far."""

    def __init__(self, hub: HubModel, kb: KnowledgeBase) -> None:
        self.hub = hub
        self.kb = kb
        self.card: Mapping[str, Any] = hub.card_data if isinstance(hub.card_data, Mapping) else {}
        self.evidence: list[Evidence] = []
        self.findings: list[Finding] = []

    def add_evidence(
        self,
        source: EvidenceSource,
        value: object,
        keys: tuple[str, ...] = (),
        detail: str | None = None,
        path: str | None = None,
    ) -> None:
        if len(self.evidence) < MAX_EVIDENCE:
            shown = value if isinstance(value, str) else describe_value(value)
            self.evidence.append(Evidence(source, quote(shown), keys, detail, path))

    def find(
        self, rule: str, severity: Severity, message: str, fix: str | None = None, subject: str | None = None
    ) -> None:
        self.findings.append(Finding(rule, severity, message, fix, subject))

    def take(self, evidence: Sequence[Evidence], findings: Sequence[Finding]) -> None:
        """Another phase's evidence and findings, after what is here, in its reading order."""
        self.evidence.extend(evidence[: max(0, MAX_EVIDENCE - len(self.evidence))])
        self.findings.extend(findings)
