"""Hosted (closed) models in the SBOMs.

A model behind a provider's API is not a component the company ships or runs: CycloneDX models it as a
service, outside the trust boundary, with one inbound data flow per data class the inventory declares;
SPDX, which has no services, gets a package that cannot be downloaded, supplied by the provider.
"""

from __future__ import annotations

from cyclonedx.model import DataClassification, DataFlow, ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.service import Service

from auditor.models import ModelResult
from auditor.report.document import findings_of
from auditor.report.text import printable

_VALUE_MAX = 2000


def _prop(name: str, value: object) -> Property:
    return Property(name=f"auditor:{name}", value=printable(value, limit=_VALUE_MAX))


def hosted_service(index: int, result: ModelResult) -> Service:
    """One hosted model: who provides it, what data flows into it, our verdict and the facts it rests on."""
    ref, verdict, terms = result.ref, result.verdict, result.hosted
    provider, _, model = ref.repo_id.removeprefix("api:").partition("/")
    properties = [
        _prop("id", ref.repo_id),
        _prop("verdict", verdict.status.value),
        _prop("reason", verdict.reason),
        _prop("use", verdict.use),
    ]
    if ref.origin is not None:
        properties.append(_prop("origin", str(ref.origin)))
    properties += [_prop("obligation", o) for o in verdict.obligations]
    properties += [_prop("finding", f"{f.severity.value} {f.rule}: {f.message}") for f in findings_of(result)]
    references: dict[str, ExternalReference] = {}
    if terms is not None:
        properties.append(_prop("offering", f"{terms.provider}/{terms.offering}: {terms.offering_name}"))
        for fact in terms.facts:
            value = ", ".join(fact.value) if isinstance(fact.value, tuple) else fact.value
            when = f" (verified {fact.verified})" if fact.verified else ""
            properties.append(_prop(f"provider.{fact.name}", f"{value}{when}"))
            if fact.source and fact.source not in references:
                references[fact.source] = ExternalReference(
                    type=ExternalReferenceType.DOCUMENTATION,
                    url=XsUri(fact.source),
                    comment=f"provider terms: {fact.name}",
                )
    return Service(
        bom_ref=f"service-{index}",
        name=printable(model, limit=300),
        group=printable(provider, limit=100),
        provider=OrganizationalEntity(name=printable(terms.provider_name, limit=300)) if terms else None,
        x_trust_boundary=True,  # data sent to it leaves the company
        data=[DataClassification(flow=DataFlow.INBOUND, classification=c.value) for c in ref.data],
        external_references=list(references.values()),
        properties=properties,
    )


def hosted_comment(result: ModelResult) -> str:
    """What an SPDX package comment says about a hosted model beyond the verdict."""
    terms = result.hosted
    where = f"{terms.provider_name}, {terms.offering_name}" if terms else "a provider not in the provider knowledge"
    data = ", ".join(c.value for c in result.ref.data) or "not declared"
    return f" Hosted model behind an API ({where}); not distributed or run by the company. Data it receives: {data}."


def hosted_supplier(result: ModelResult) -> str | None:
    return result.hosted.provider_name if result.hosted else None
