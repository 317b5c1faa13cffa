"""The report as the HTML and Markdown templates see it: plain values, capped, worst news first.

Strings stay unescaped here on purpose: the template environment escapes every `{{ }}` for its own
format (HTML entities, or Markdown backslashes), so nothing can reach a page without passing one.
Long card text is cut here so one 100 000-character field cannot bury the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.licenses.explain import confidence_text
from auditor.models import AuditReport, LicenseName, ModelResult, Status, UseInfo
from auditor.report.document import findings_of, worst_first
from auditor.report.names import (
    cleared_for_non_commercial,
    license_ids,
    license_name,
    models_worst_first,
    reasons_of,
    use_label,
)
from auditor.report.svg import COMMERCIAL_COLOURS, VERDICT_COLOURS, lineage_graph, verdict_chart
from auditor.report.table import license_label
from auditor.report.text import endpoint_of, file_url, printable, repo_url, short_sha, truncate, valid_sha

FIELD_MAX = 300  # a card field, an evidence value
MESSAGE_MAX = 1000  # a finding, a reason, a note
EXCERPT_MAX = 3000  # the opening of a license file


class Block(str):
    """Multi-line untrusted text (a license excerpt): shown verbatim in a <pre> or a code fence."""

    __slots__ = ()


VERDICT_LABELS = {
    Status.APPROVED.value: "Approved",
    Status.APPROVED_WITH_OBLIGATIONS.value: "Approved with obligations",
    Status.NEEDS_REVIEW.value: "Needs review",
    Status.BLOCKED.value: "Blocked",
    Status.ERROR.value: "Error",
}
VERDICT_MEANING = {
    Status.APPROVED.value: "may be used as is",
    Status.APPROVED_WITH_OBLIGATIONS.value: "may be used if the obligations are met",
    Status.NEEDS_REVIEW.value: "a person must decide",
    Status.BLOCKED.value: "the policy does not allow it for this use",
    Status.ERROR.value: "could not be audited; never counted as approved",
}


def _cap(text: object, limit: int) -> str:
    return truncate(printable(text), limit)


def _capped_note(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return None
    return f"{len(text):,} characters, shown up to {limit:,}"


def _lineage(result: ModelResult, index: int, endpoint: str | None) -> dict[str, Any]:
    resolution = result.resolution
    links = sorted(resolution.lineage, key=lambda ln: (ln.depth, ln.repo_id)) if resolution else []
    rows = [
        {
            "id": _cap(link.repo_id, FIELD_MAX),
            "relation": _cap(link.relation, 40),
            "parent": _cap(link.parent, FIELD_MAX),
            "depth": link.depth,
            "sha": link.sha if valid_sha(link.sha) else (_cap(link.sha, 40) if link.sha else None),
            "url": repo_url(link.repo_id, link.sha, endpoint),  # bases come from the same endpoint
            "expression": _cap(link.expression, FIELD_MAX) if link.expression else None,
            "ids": [_cap(k, 80) for k in link.keys],
            "commercial": link.commercial.value,
            "error": _cap(link.error, MESSAGE_MAX) if link.error else None,
        }
        for link in links
    ]
    commercial = resolution.commercial.value if resolution else "unknown"
    expression = resolution.expression if resolution else None
    graph = lineage_graph(result.ref.repo_id, expression, commercial, links, uid=f"m{index}")
    tree = []
    for link in links:
        tree.append(
            "   " * (link.depth - 1)
            + f"└─ {link.relation} of {_cap(link.repo_id, 120)}"
            + f"  [{_cap(link.expression or 'license unknown', 80)}; commercial: {link.commercial.value}]"
        )
    return {"rows": rows, "svg": graph, "tree": Block("\n".join([_cap(result.ref.repo_id, 120), *tree]))}


def _fact_value(value: str | tuple[str, ...]) -> str:
    return ", ".join(value) if isinstance(value, tuple) else value


def _hosted(result: ModelResult) -> dict[str, Any] | None:
    """A hosted model's provider offering and every fact with its source, for the evidence section."""
    terms = result.hosted
    if terms is None:
        return None
    from auditor.providers.knowledge import Fact

    labels = {f.value: f.label for f in Fact}
    return {
        "provider": _cap(terms.provider_name, FIELD_MAX),
        "offering": _cap(terms.offering_name, FIELD_MAX),
        "key": _cap(f"{terms.provider}/{terms.offering}", FIELD_MAX),
        "kind": _cap(terms.kind, 40),
        "resells": _cap(terms.resells, 80) if terms.resells else None,
        "source": _cap(terms.source, FIELD_MAX),
        "facts": [
            {
                "label": labels.get(f.name, f.name),
                "value": _cap(_fact_value(f.value), MESSAGE_MAX),
                "known": f.known,
                "detail": _cap(f.detail, MESSAGE_MAX) if f.detail else None,
                "note": _cap(f.note, MESSAGE_MAX) if f.note else None,
                "source": _cap(f.source, FIELD_MAX) if f.source else None,
                "verified": _cap(f.verified, 20) if f.verified else None,
                "quote": _cap(f.quote, MESSAGE_MAX) if f.quote else None,
            }
            for f in terms.facts
        ],
    }


def model_view(
    result: ModelResult,
    index: int,
    licenses: Mapping[str, LicenseName] | None = None,
    uses: Mapping[str, UseInfo] | None = None,
) -> dict[str, Any]:
    ref, verdict, hub, resolution = result.ref, result.verdict, result.hub, result.resolution
    licenses, uses = licenses or {}, uses or {}
    sha = result.sha
    endpoint = endpoint_of(hub.source) if hub else None
    status = verdict.status.value
    license_files = []
    for lf in hub.license_files if hub else ():
        excerpt = printable(lf.text[: EXCERPT_MAX + 1], multiline=True)
        cut = len(lf.text) > EXCERPT_MAX or lf.truncated
        license_files.append(
            {
                "path": _cap(lf.path, FIELD_MAX),
                "url": file_url(ref.repo_id, sha, lf.path, endpoint),
                "size": lf.size,
                "excerpt": Block(truncate(excerpt, EXCERPT_MAX).rstrip()),
                "cut": cut,
            }
        )
    evidence = [
        {
            "source": _cap(e.source, 60),
            "value": _cap(e.value, FIELD_MAX),
            "capped": _capped_note(e.value, FIELD_MAX),
            "ids": [_cap(k, 80) for k in e.keys],
            "detail": _cap(e.detail, FIELD_MAX) if e.detail else None,
            "path": _cap(e.path, FIELD_MAX) if e.path else None,
        }
        for e in (resolution.evidence if resolution else ())
    ]
    findings = [
        {
            "rule": _cap(f.rule, 80),
            "severity": f.severity.value,
            "message": _cap(f.message, MESSAGE_MAX),
            "fix": _cap(f.fix, MESSAGE_MAX) if f.fix else None,
            "subject": _cap(f.subject, FIELD_MAX) if f.subject else None,
        }
        for f in worst_first(findings_of(result))
    ]
    waiver = None
    if verdict.waiver is not None:
        w = verdict.waiver
        waiver = {
            "model": _cap(w.model, FIELD_MAX),
            "revision": _cap(w.revision, 80) if w.revision else None,
            "uses": [_cap(u, 80) for u in w.uses],
            "reason": _cap(w.reason, MESSAGE_MAX),
            "approved_by": _cap(w.approved_by, FIELD_MAX),
            "ticket": _cap(w.ticket, FIELD_MAX) if w.ticket else None,
            "expires": _cap(w.expires, 40),
            "line": w.line,
        }
    error = None
    if result.fetch_error is not None:
        error = {"kind": result.fetch_error.kind.value, "message": _cap(result.fetch_error.message, MESSAGE_MAX)}
    commercial = resolution.commercial.value if resolution else "unknown"
    confidence = resolution.confidence if resolution else 0.0
    return {
        "index": index,
        "anchor": f"model-{index}",
        "id": _cap(ref.repo_id, FIELD_MAX),
        "label": _cap(str(ref), FIELD_MAX),
        "requested_revision": _cap(ref.requested_revision, 80),
        "sha": sha if valid_sha(sha) else (_cap(sha, 80) if sha else None),
        "short_sha": short_sha(sha),
        "repo_url": repo_url(ref.repo_id, sha, endpoint),
        "endpoint": endpoint,
        "status": status,
        "status_label": VERDICT_LABELS[status],
        "status_meaning": VERDICT_MEANING[status],
        "colour": VERDICT_COLOURS[status],
        "reason": _cap(verdict.reason, MESSAGE_MAX),
        "reasons": [
            {"text": _cap(text, MESSAGE_MAX), "policy": _cap(policy, FIELD_MAX) if policy else None}
            for text, policy in reasons_of(result)
        ],
        "use": _cap(verdict.use, 80),
        "use_label": _cap(use_label(verdict.use, uses), 120),
        "use_commercial": uses[verdict.use].commercial if verdict.use in uses else None,
        "owner": _cap(ref.owner, FIELD_MAX) if ref.owner else None,
        "notes": _cap(ref.notes, MESSAGE_MAX) if ref.notes else None,
        "origin": _cap(str(ref.origin), FIELD_MAX) if ref.origin else None,
        "expression": _cap(resolution.expression, FIELD_MAX) if resolution and resolution.expression else None,
        "license_ids": [_cap(k, 80) for k in (resolution.keys if resolution else ())],
        "license_name": _cap(license_name(result, licenses), FIELD_MAX),
        "licenses": [
            {k: _cap(v, FIELD_MAX) if v else None for k, v in d.items()} for d in license_ids(result, licenses)
        ],
        "inherited_ids": [_cap(k, 80) for k in (resolution.inherited_keys if resolution else ())],
        "commercial": commercial,
        "commercial_colour": COMMERCIAL_COLOURS[commercial],
        "confidence": f"{confidence:.2f}",
        "confidence_text": confidence_text(resolution) if resolution else "none: nothing was resolved",
        "confidence_pct": round(max(0.0, min(1.0, confidence)) * 100),
        "declared": _cap(resolution.declared, FIELD_MAX) if resolution and resolution.declared else None,
        "evidence": evidence,
        "findings": findings,
        "obligations": [_cap(o, MESSAGE_MAX) for o in verdict.obligations],
        "waiver": waiver,
        "lineage": _lineage(result, index, endpoint),
        "license_files": license_files,
        "file_problems": [
            {"path": _cap(p.path, FIELD_MAX), "kind": _cap(p.kind, 40), "message": _cap(p.message, MESSAGE_MAX)}
            for p in (hub.file_problems if hub else ())
        ],
        "gated": hub.gated if hub else None,
        "fetched_at": _cap(hub.fetched_at, 60) if hub and hub.fetched_at else None,
        "source": _cap(hub.source, FIELD_MAX) if hub and hub.source else None,
        "card_error": _cap(hub.card_error, MESSAGE_MAX) if hub and hub.card_error else None,
        "error": error,
        "hosted": ref.is_hosted,
        "terms": _hosted(result),
        "license_label": _cap(license_label(result, licenses), FIELD_MAX),
        "data": [c.value for c in ref.data],
    }


def report_view(report: AuditReport) -> dict[str, Any]:
    summary = report.summary
    total = len(report.results)
    cleared = summary[Status.APPROVED.value] + summary[Status.APPROVED_WITH_OBLIGATIONS.value]
    uses_vary = any(r.verdict.use != report.use for r in report.results)
    cleared_by_use: dict[str, int] = {}
    for r in report.results:
        if r.verdict.status.rank <= Status.APPROVED_WITH_OBLIGATIONS.rank:
            cleared_by_use[r.verdict.use] = cleared_by_use.get(r.verdict.use, 0) + 1
    sources = sorted({r.hub.source.removeprefix("cache:") for r in report.results if r.hub and r.hub.source})
    return {
        "tool_version": _cap(report.tool_version, 60),
        "generated_at": _cap(report.generated_at, 60),
        "date": _cap(report.generated_at[:10], 10),
        "use": _cap(report.use, 80),
        "complete": report.complete,
        "policy": {
            "path": _cap(report.policy.path, FIELD_MAX),
            "sha256": _cap(report.policy.sha256, 80),
            "name": _cap(report.policy.name, FIELD_MAX) if report.policy.name else None,
        },
        "total": total,
        "cleared": cleared,
        # An inventory audits each model under its own use: every count names its use, and a use that is
        # not commercial says so, so "cleared" never reads as "commercially cleared".
        "uses_vary": uses_vary,
        "any_data": any(r.ref.data for r in report.results),
        "use_label": _cap(use_label(report.use, report.uses), 120),
        "cleared_by_use": [
            {"use": _cap(use_label(u, report.uses), 120), "count": n} for u, n in sorted(cleared_by_use.items())
        ],
        "not_commercial": [_cap(u, 80) for u in dict.fromkeys(cleared_for_non_commercial(report))],
        "sources": [_cap(src, FIELD_MAX) for src in sources],
        "summary": [
            {
                "status": s.value,
                "label": VERDICT_LABELS[s.value],
                "meaning": VERDICT_MEANING[s.value],
                "count": summary[s.value],
                "colour": VERDICT_COLOURS[s.value],
                "bar": "█" * round(20 * summary[s.value] / max(1, max(summary.values()))),
            }
            for s in Status
        ],
        "chart": verdict_chart(summary),
        "policy_findings": [
            {
                "rule": _cap(f.rule, 80),
                "severity": f.severity.value,
                "message": _cap(f.message, MESSAGE_MAX),
                "fix": _cap(f.fix, MESSAGE_MAX) if f.fix else None,
            }
            for f in worst_first(report.policy_findings)
        ],
        "models": [model_view(r, i, report.licenses, report.uses) for i, r in models_worst_first(report)],
        # Where hosted models' terms came from (rules/providers.yaml), for the sign-off note.
        "hosted": next((_cap(r.hosted.source, FIELD_MAX) for r in report.results if r.hosted), None),
    }
