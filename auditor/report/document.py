"""The JSON contract (schema_version 1): the report as plain data, the base of every other format.

Other tools and our tests depend on these keys: add keys, never rename or remove one. The schema is
`auditor/report/schema/report.schema.json`. Values are the report's own (untrusted card text is kept
as-is here: JSON escapes it; the human formats clean it at their edge).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from json.encoder import encode_basestring_ascii as _escape
from typing import Any

from auditor.models import (
    AuditReport,
    Evidence,
    Finding,
    HostedTerms,
    LicenseName,
    LicenseResolution,
    LineageLink,
    ModelResult,
    Origin,
    RightCheck,
    Severity,
    Status,
    Waiver,
)
from auditor.report.names import license_ids, license_name, reasons_of

SCHEMA_VERSION = 1
TOOL_NAME = "auditor"


def findings_of(result: ModelResult) -> tuple[Finding, ...]:
    """The verdict's findings, then any resolution finding the policy did not already carry over."""
    seen: set[tuple[str, str, str, str | None]] = set()
    out: list[Finding] = []
    resolution = result.resolution.findings if result.resolution else ()
    for finding in (*result.verdict.findings, *resolution):
        key = (finding.rule, finding.severity.value, finding.message, finding.subject)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return tuple(out)


def worst_first(findings: tuple[Finding, ...]) -> list[Finding]:
    """For people: errors before warnings before notes, otherwise in the order they were made."""
    return sorted(findings, key=lambda f: -f.severity.rank)


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "fix": finding.fix,
        "subject": finding.subject,
        "policy": finding.policy,
    }


def origin_dict(origin: Origin | None) -> dict[str, Any] | None:
    return None if origin is None else {"path": origin.path, "line": origin.line}


def evidence_dict(evidence: Evidence) -> dict[str, Any]:
    return {
        "source": evidence.source,
        "value": evidence.value,
        "ids": list(evidence.keys),
        "detail": evidence.detail,
        "path": evidence.path,
    }


def lineage_dict(link: LineageLink) -> dict[str, Any]:
    return {
        "id": link.repo_id,
        "relation": link.relation,
        "parent": link.parent,
        "depth": link.depth,
        "sha": link.sha,
        "expression": link.expression,
        "ids": list(link.keys),
        "commercial": link.commercial.value,
        "error": link.error,
    }


def license_dict(result: ModelResult, licenses: Mapping[str, LicenseName]) -> dict[str, Any]:
    """The machine ids as before, plus the names people read (`name`: the expression in words, as the
    table, HTML and Markdown show it; `licenses`: key, name, SPDX id and LicenseRef of each own license)."""
    resolution = result.resolution
    if resolution is None:  # nothing was resolved (the repo could not be fetched): fail closed
        return {
            "expression": None,
            "ids": [],
            "inherited_ids": [],
            "commercial": "unknown",
            "confidence": 0.0,
            "declared": None,
            "evidence": [],
            "name": "unknown",
            "licenses": [],
        }
    return {
        "expression": resolution.expression,
        "ids": list(resolution.keys),
        "inherited_ids": list(resolution.inherited_keys),
        "commercial": resolution.commercial.value,
        "confidence": float(resolution.confidence),
        "declared": resolution.declared,
        "evidence": [evidence_dict(e) for e in resolution.evidence],
        "name": license_name(result, licenses),
        "licenses": license_ids(result, licenses),
    }


def terms_label(result: ModelResult) -> str:
    """What governs the model, in a few words: its license, or for a hosted model the provider offering."""
    if result.ref.is_hosted:
        hosted = result.hosted
        return f"terms: {hosted.provider}/{hosted.offering}" if hosted else "terms unknown"
    resolution = result.resolution
    return (resolution.expression if resolution else None) or "unknown"


def hosted_dict(terms: HostedTerms | None) -> dict[str, Any] | None:
    """The provider offering a hosted model was judged under, with every fact's source and date."""
    if terms is None:
        return None
    return {
        "provider": terms.provider,
        "provider_name": terms.provider_name,
        "offering": terms.offering,
        "offering_name": terms.offering_name,
        "kind": terms.kind,
        "model": terms.model,
        "resells": terms.resells,
        "source": terms.source,
        "facts": [
            {
                "name": f.name,
                "value": list(f.value) if isinstance(f.value, tuple) else f.value,
                "known": f.known,
                "source": f.source,
                "verified": f.verified,
                "page_date": f.page_date,
                "quote": f.quote,
                "detail": f.detail,
                "days": f.days,
                "note": f.note,
            }
            for f in terms.facts
        ],
    }


def waiver_dict(waiver: Waiver | None) -> dict[str, Any] | None:
    if waiver is None:
        return None
    return {
        "model": waiver.model,
        "revision": waiver.revision,
        "uses": list(waiver.uses),
        "reason": waiver.reason,
        "approved_by": waiver.approved_by,
        "ticket": waiver.ticket,
        "expires": waiver.expires,
        "line": waiver.line,
    }


def _license_key(resolution: LicenseResolution | None) -> Hashable:
    """What `license_dict` is made of besides the report's names: the resolution, and how its confidence
    is written (0.0 and -0.0 are equal values but different text)."""
    return ("license", resolution, None if resolution is None else repr(float(resolution.confidence)))


def rights_rows(rights: Iterable[RightCheck]) -> list[dict[str, Any]]:
    return [
        {
            "license": check.license,
            "right": check.right,
            "grant": check.grant,
            "clause": check.clause,
            "outcome": check.outcome.value,
            "note": check.note or None,
        }
        for check in rights
    ]


def model_dict(result: ModelResult, report: AuditReport | None = None, shared: _Shared | None = None) -> dict[str, Any]:
    """One model of the JSON contract; with `shared` (report_chunks), the parts many models have in common
    come back already encoded, made once per distinct value."""
    hub, ref, verdict = result.hub, result.ref, result.verdict
    licenses = report.licenses if report else {}
    error = None
    if result.fetch_error is not None:
        error = {"kind": result.fetch_error.kind.value, "message": result.fetch_error.message}
    return {
        "id": ref.repo_id,
        "requested_revision": "" if ref.is_hosted else ref.requested_revision,
        "sha": hub.sha if hub else None,
        "origin": origin_dict(ref.origin),
        "use": verdict.use,
        "verdict": verdict.status.value,
        "reason": verdict.reason,
        "license": (
            license_dict(result, licenses)
            if shared is None
            else shared.get(_license_key(result.resolution), lambda: license_dict(result, licenses))
        ),
        "lineage": [lineage_dict(link) for link in (result.resolution.lineage if result.resolution else ())],
        "findings": [finding_dict(f) for f in findings_of(result)],
        "obligations": list(verdict.obligations),
        "waiver": waiver_dict(verdict.waiver),
        "gated": hub.gated if hub else None,
        "fetched_at": hub.fetched_at if hub and hub.fetched_at else None,
        "source": hub.source if hub and hub.source else None,
        "error": error,
        # Extensions (schema_version 1 allows additions).
        "rights": (
            rights_rows(verdict.rights)
            if shared is None
            else shared.get(("rights", verdict.rights), lambda: rights_rows(verdict.rights))
        ),
        "owner": ref.owner,
        "notes": ref.notes,
        "license_files": [
            {"path": f.path, "size": f.size, "truncated": f.truncated} for f in (hub.license_files if hub else ())
        ],
        "file_problems": [
            {"path": p.path, "kind": p.kind, "message": p.message} for p in (hub.file_problems if hub else ())
        ],
        "card_error": hub.card_error if hub else None,
        "kind": "hosted" if ref.is_hosted else "hub",
        "data": [c.value for c in ref.data],
        "offering": ref.offering,
        "hosted": hosted_dict(result.hosted),
        # Every reason behind the verdict (the one-line `reason` abbreviates them), each with its policy path.
        "reasons": [{"text": text, "policy": policy} for text, policy in reasons_of(result)],
        "use_commercial": report.uses[verdict.use].commercial if report and verdict.use in report.uses else None,
    }


def report_document(report: AuditReport) -> dict[str, Any]:
    """The whole report as the JSON contract describes it."""
    return {**_head(report), "models": [model_dict(r, report) for r in report.results], **_tail(report)}


def _head(report: AuditReport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": report.tool_version},
        "generated_at": report.generated_at,
        "policy": {"path": report.policy.path, "sha256": report.policy.sha256, "name": report.policy.name},
        "use": report.use,
        "complete": report.complete,
    }


def _tail(report: AuditReport) -> dict[str, Any]:
    return {
        "policy_findings": [finding_dict(f) for f in report.policy_findings],
        "summary": report.summary,
        "stats": {key: report.stats[key] for key in sorted(report.stats)},
    }


_MODELS_MARK = "auditor-models-placeholder"


class _Encoded(str):
    """JSON text already encoded at no indent: `_encode` indents it instead of escaping it as a string.

    Indenting is a replace of its newlines: the escaper writes a newline inside a string as `\\n`, so
    every newline in encoded JSON is one `_encode` put between items."""


class _Shared:
    """The parts of a model that many models of a report have in common (the rights rows of one set of
    licenses, one resolved license), encoded once per distinct value during one write of the report.

    Keyed by the frozen values they are built from (equal values build equal parts): of a 1,000-model
    run's 1,000 rights lists 40 differ, of its licenses 140, and they are half the text. At most `LIMIT`
    are kept: a report whose models share nothing holds a bounded number of texts, not every model's."""

    LIMIT = 2048

    def __init__(self) -> None:
        self._texts: dict[Hashable, _Encoded] = {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The encoded part for `key`, built by `build` the first time; past `LIMIT`, built every time."""
        try:
            text = self._texts.get(key)
        except TypeError:  # a value that cannot be a key (none of the report's should be one) is built each time
            return build()
        if text is not None:
            return text
        value = build()
        if len(self._texts) >= self.LIMIT:
            return value
        text = self._texts[key] = _Encoded(_encode(value))
        return text


def _encode(value: Any, indent: str = "") -> str:
    """`json.dumps(value, indent=2, ensure_ascii=True, allow_nan=False)`, nested `indent` deep.

    The standard library indents only in pure Python (its C encoder cannot indent), through a chain
    of generators per level: for a run's report that is most of the time spent writing it. This
    builds the same text with one join per container and the C string escaper; tests compare the
    two on hostile documents. The exact types a report is made of are tested first, and a string or
    null value is written in place rather than through another call.
    """
    kind = type(value)
    if kind is str:
        return _escape(value)
    if kind is dict or isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent + "  "
        items = [
            f"{_escape(k)}: {_escape(v) if type(v) is str else 'null' if v is None else _encode(v, inner)}"
            if type(k) is str
            else f"{_key(k)}: {_encode(v, inner)}"
            for k, v in value.items()
        ]
        return "{\n" + inner + (",\n" + inner).join(items) + "\n" + indent + "}"
    if kind is list or isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = indent + "  "
        items = [_escape(v) if type(v) is str else _encode(v, inner) for v in value]
        return "[\n" + inner + (",\n" + inner).join(items) + "\n" + indent + "]"
    if kind is _Encoded:
        text: str = value
        return text.replace("\n", "\n" + indent) if indent else text
    if isinstance(value, str):
        return _escape(value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value or value in (math.inf, -math.inf):
            raise ValueError("Out of range float values are not JSON compliant: " + repr(value))
        return float.__repr__(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _key(key: Any) -> str:
    """A key as `json.dumps` writes it: strings escaped, numbers, booleans and null as their JSON text."""
    return _escape(key if isinstance(key, str) else _scalar(key))


def _chunks(document: Mapping[str, Any], models: Iterable[Any]) -> Iterator[str]:
    """`document` with `models` (lazy) as its `models` list, as canonical JSON text in pieces: the head,
    one piece per model, the tail. Each model is encoded, and may be built, only when its turn comes."""
    head = _encode({**document, "models": _MODELS_MARK})
    # Only the top-level key sits at a two-space indent after a newline: card text cannot forge it.
    slot = f'\n  "models": "{_MODELS_MARK}"'
    before, found, after = head.partition(slot)
    assert found, "the top-level models key was not where expected"
    opening = f'{before}\n  "models": ['
    for model in models:
        yield opening + "\n    " + _encode(model, "    ")
        opening = ","
    yield ("\n  ]" if opening == "," else f"{opening}]") + after + "\n"


def dumps(document: Any) -> str:
    """Canonical JSON text: ASCII-only (no raw bidi or control characters reach a terminal or diff).

    Same bytes as one `json.dumps(..., indent=2)`, but the model list is encoded model by model: the
    indenting encoder keeps every fragment of its output alive until the end, which for 10,000
    models peaks at several times the size of the text.
    """
    models = document.get("models") if isinstance(document, dict) else None
    if not isinstance(models, list):
        return _encode(document) + "\n"
    return "".join(_chunks(document, models))


def report_chunks(report: AuditReport) -> Iterator[str]:
    """`dumps(report_document(report))` in pieces, each model's dict built when it is written: a report
    streamed to its file never holds every model's dict or the whole text (10,000 models: ~60 MB of
    text, several times that as dicts)."""
    document = {**_head(report), "models": None, **_tail(report)}
    shared = _Shared()
    return _chunks(document, (model_dict(r, report, shared) for r in report.results))


def content_digest(report: AuditReport) -> str:
    """sha256 of the report's canonical JSON: a stable identity for SBOM namespaces and serials."""
    digest = hashlib.sha256()
    for chunk in report_chunks(report):
        digest.update(chunk.encode("ascii"))
    return digest.hexdigest()


# The least severity a verdict is reported at in CI formats, whatever its findings say.
SEVERITY_FOR_STATUS = {
    Status.APPROVED: Severity.INFO,
    Status.APPROVED_WITH_OBLIGATIONS: Severity.INFO,
    Status.NEEDS_REVIEW: Severity.WARNING,
    Status.BLOCKED: Severity.ERROR,
    Status.ERROR: Severity.ERROR,
}
