"""`cyclonedx`: a CycloneDX 1.6 JSON ML-BOM of `machine-learning-model` components (hosted models as services).

Each audited model is a component identified by its purl at the audited commit (also its bom-ref, so
references survive reordering), with the repo owner as supplier and manufacturer, the card's declared
license and our concluded one as license entries with their `acknowledgement`, a `modelCard` built
from what the card says (task, datasets, library) and what the license restricts, its base models as
`pedigree.ancestors` and our verdict as `auditor:*` properties. The serial number is a uuid5 of the
report's content, so the same audit gives the same BOM.

cyclonedx-python-lib does not model `modelCard` yet: the card is added to the library's JSON output
by bom-ref, and the tests validate the result against the strict 1.6 schema.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.spdx import is_supported_id
from packageurl import PackageURL
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

from auditor.licenses import load_knowledge_base
from auditor.licenses.resolve import RULE_NO_LICENSE
from auditor.licenses.rights import Grant
from auditor.models import AuditReport, LineageLink, ModelResult
from auditor.report.base import Option, resolve_options
from auditor.report.document import content_digest, findings_of
from auditor.report.hosted import hosted_service
from auditor.report.sbom import card_list, card_value, copyright_notices, owner, purl
from auditor.report.spdx import created_at, declared_expression, to_spdx
from auditor.report.text import HUB_URL, file_url, printable, repo_url, result_endpoint, valid_repo_id, valid_sha

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/auditor-project/auditor/cyclonedx")
_VALUE_MAX = 2000
NO_LICENSE = "NONE"  # SPDX's words, as a license name: nothing grants a license
NOT_ASSERTED = "NOASSERTION"  # we could not establish the license


def _prop(name: str, value: object) -> Property:
    return Property(name=f"auditor:{name}", value=printable(value, limit=_VALUE_MAX))


def _split(repo_id: str) -> tuple[str | None, str]:
    org, sep, name = repo_id.partition("/")
    return (org, name) if sep else (None, repo_id)


def _purl(repo_id: str, sha: str | None) -> PackageURL | None:
    locator = purl(repo_id, sha)
    return PackageURL.from_string(locator) if locator else None


def bom_ref(repo_id: str, sha: str | None) -> str:
    """The component's purl at its commit; without a commit, the purl without a version (still stable)."""
    locator = purl(repo_id, sha)
    if locator:
        return locator
    return f"pkg:huggingface/{repo_id}" if valid_repo_id(repo_id) else f"auditor:model:{printable(repo_id, limit=200)}"


def _organisation(repo_id: str, endpoint: str | None) -> OrganizationalEntity | None:
    org = owner(repo_id)
    if not org:
        return None
    return OrganizationalEntity(name=org, urls=[XsUri(f"{endpoint}/{org}")] if endpoint else None)


def _entry(expression: str, acknowledgement: LicenseAcknowledgement) -> DisjunctiveLicense | LicenseExpression:
    if " " in expression:  # a compound expression (AND / OR / WITH)
        return LicenseExpression(expression, acknowledgement=acknowledgement)
    if is_supported_id(expression):
        return DisjunctiveLicense(id=expression, acknowledgement=acknowledgement)
    return DisjunctiveLicense(name=expression, acknowledgement=acknowledgement)  # a LicenseRef-…


def _licenses(
    concluded: str | None, declared: str | None, declared_text: str | None, none_granted: bool
) -> list[DisjunctiveLicense | LicenseExpression]:
    """Declared (the card's) and concluded (ours) as license entries.

    CycloneDX 1.6 takes either license objects or one expression: when either is compound, the
    concluded expression alone is the entry (the declared one stays an `auditor:license.declared` property).
    """
    concluded_entry: DisjunctiveLicense | LicenseExpression
    if none_granted:
        concluded_entry = DisjunctiveLicense(name=NO_LICENSE, acknowledgement=LicenseAcknowledgement.CONCLUDED)
    elif concluded:
        concluded_entry = _entry(concluded, LicenseAcknowledgement.CONCLUDED)
    else:
        concluded_entry = DisjunctiveLicense(name=NOT_ASSERTED, acknowledgement=LicenseAcknowledgement.CONCLUDED)
    if isinstance(concluded_entry, LicenseExpression):
        return [concluded_entry]
    declared_entry: DisjunctiveLicense | LicenseExpression | None = None
    if declared:
        declared_entry = _entry(declared, LicenseAcknowledgement.DECLARED)
    elif declared_text and declared_text.strip():  # the card's words, recorded as a name, never as an id
        declared_entry = DisjunctiveLicense(
            name=printable(declared_text, limit=200), acknowledgement=LicenseAcknowledgement.DECLARED
        )
    if isinstance(declared_entry, LicenseExpression):
        return [concluded_entry]
    return [declared_entry, concluded_entry] if declared_entry is not None else [concluded_entry]


def _spdx(expression: str | None) -> str | None:
    parsed, _ = to_spdx(expression)
    return None if isinstance(parsed, SpdxNoAssertion) else str(parsed)


def _refs(repo_id: str, sha: str | None, license_paths: list[str], endpoint: str | None) -> list[ExternalReference]:
    """Links to the endpoint that was audited (none for an offline mirror: see `text.endpoint_of`)."""
    refs = []
    url = repo_url(repo_id, sha, endpoint)
    if url:
        refs.append(ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(url)))
    for path in license_paths:
        link = file_url(repo_id, sha, path, endpoint)
        if link:
            refs.append(ExternalReference(type=ExternalReferenceType.LICENSE, url=XsUri(link)))
    return refs


def _name(repo_id: str) -> tuple[str | None, str]:
    org, name = _split(printable(repo_id, limit=300))
    return org, name or "unnamed"


def _ancestor(link: LineageLink, child: str, endpoint: str | None) -> Component:
    org, name = _name(link.repo_id)
    properties = [
        _prop("relation", link.relation),
        _prop("parent", link.parent),
        _prop("depth", link.depth),
        _prop("commercial", link.commercial.value),
    ]
    if link.keys:
        properties.append(_prop("license.ids", ", ".join(link.keys)))
    if link.error:
        properties.append(_prop("error", link.error))
    concluded = _spdx(link.expression)
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        # An ancestor may also be audited on its own: its ref is scoped to the model it is an ancestor of.
        bom_ref=f"{bom_ref(link.repo_id, link.sha)}#ancestor-of:{child}",
        supplier=_organisation(link.repo_id, endpoint),
        manufacturer=_organisation(link.repo_id, endpoint),
        group=org,
        name=name,
        version=link.sha if valid_sha(link.sha) else None,
        licenses=[
            _entry(concluded, LicenseAcknowledgement.CONCLUDED)
            if concluded
            else DisjunctiveLicense(name=NOT_ASSERTED, acknowledgement=LicenseAcknowledgement.CONCLUDED)
        ],
        purl=_purl(link.repo_id, link.sha),
        external_references=_refs(link.repo_id, link.sha, [], endpoint),
        properties=properties,
    )


def _component(result: ModelResult, ref: str) -> Component:
    repo, verdict, resolution = result.ref, result.verdict, result.resolution
    org, name = _name(repo.repo_id)
    properties = [
        _prop("verdict", verdict.status.value),
        _prop("reason", verdict.reason),
        _prop("use", verdict.use),
        _prop("requested-revision", repo.requested_revision),
        _prop("commercial", resolution.commercial.value if resolution else "unknown"),
        _prop("confidence", f"{resolution.confidence:.2f}" if resolution else "0.00"),
    ]
    if resolution and resolution.declared:
        properties.append(_prop("license.declared", resolution.declared))
    if resolution and resolution.expression:
        properties.append(_prop("license.expression", resolution.expression))
    if repo.origin is not None:
        properties.append(_prop("origin", str(repo.origin)))
    properties += [_prop("obligation", o) for o in verdict.obligations]
    properties += [_prop("finding", f"{f.severity.value} {f.rule}: {f.message}") for f in findings_of(result)]
    if verdict.waiver is not None:
        w = verdict.waiver
        properties.append(_prop("waiver", f"{w.reason} (approved by {w.approved_by}, expires {w.expires})"))
    if result.fetch_error is not None:
        properties.append(_prop("error", f"{result.fetch_error.kind.value}: {result.fetch_error.message}"))
    lineage = sorted(resolution.lineage if resolution else (), key=lambda ln: ln.depth)
    endpoint = result_endpoint(result)
    ancestors = [_ancestor(link, ref, endpoint) for link in lineage]
    paths = [lf.path for lf in result.hub.license_files] if result.hub else []
    none_granted = resolution is not None and any(f.rule == RULE_NO_LICENSE for f in resolution.findings)
    notices = copyright_notices(result)
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=ref,
        supplier=_organisation(repo.repo_id, endpoint),
        manufacturer=_organisation(repo.repo_id, endpoint),
        group=org,
        name=name,
        version=result.sha if valid_sha(result.sha) else None,
        licenses=_licenses(
            _spdx(resolution.expression) if resolution else None,
            declared_expression(resolution),
            resolution.declared if resolution else None,
            none_granted,
        ),
        copyright="\n".join(notices) if notices else None,
        purl=_purl(repo.repo_id, result.sha),
        external_references=_refs(repo.repo_id, result.sha, paths, endpoint),
        properties=properties,
        pedigree=Pedigree(ancestors=ancestors) if ancestors else None,
    )


def _dataset(name: str) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "dataset", "name": name}
    if valid_repo_id(name):  # a Hub dataset id; free text stays a name only
        data["contents"] = {"url": f"{HUB_URL}/datasets/{name}"}
    return data


def model_card(result: ModelResult, ref: str) -> dict[str, Any]:
    """A CycloneDX modelCard from the card's own words, the audited use and what the license restricts."""
    card = result.hub.card_data if result.hub else {}
    parameters: dict[str, Any] = {}
    task = card_value(card, "pipeline_tag")
    if task:
        parameters["task"] = task
    datasets = card_list(card, "datasets")
    if datasets:
        parameters["datasets"] = [_dataset(d) for d in datasets]
    properties = []
    for field, label in (("library_name", "library"), ("model_type", "architecture")):
        value = card_value(card, field)
        if value:
            properties.append({"name": f"huggingface:{label}", "value": value})
    properties += [{"name": "huggingface:language", "value": lang} for lang in card_list(card, "language")]
    properties += [{"name": "huggingface:base_model", "value": base} for base in card_list(card, "base_model")]
    verdict = result.verdict
    use_cases = [printable(f"Audited for {verdict.use}: {verdict.status.value}. {verdict.reason}", limit=_VALUE_MAX)]
    limitations = []
    resolution = result.resolution
    kb = load_knowledge_base()
    for key in resolution.all_keys if resolution else ():
        entry = kb.get(key)
        if entry is None:
            continue
        # What the license withholds (grant 'no'), each with the clause that says so.
        for right, grant in entry.rights.items():
            if grant.grant is Grant.NO:
                line = f"{entry.name} does not permit: {right.description} ({grant.clause})"
                limitations.append(printable(line, limit=_VALUE_MAX))
        said_about = (("use restrictions", entry.use_restrictions), ("outputs", entry.output_training_restriction))
        for what, said in said_about:
            if said:  # the knowledge base's words, "Unknown…" included: a person must then check
                limitations.append(printable(f"{entry.name}, {what}: {said}", limit=_VALUE_MAX))
    document: dict[str, Any] = {"bom-ref": f"{ref}#model-card"}
    if parameters:
        document["modelParameters"] = parameters
    document["considerations"] = {"useCases": use_cases}
    if limitations:
        document["considerations"]["technicalLimitations"] = limitations
    if properties:
        document["properties"] = properties
    return document


class CycloneDxRenderer:
    name = "cyclonedx"
    extension = ".cdx.json"
    media_type = "application/vnd.cyclonedx+json"
    description = "CycloneDX 1.6 JSON ML-BOM: machine-learning-model components with model cards"
    options: tuple[Option, ...] = ()

    def render(self, report: AuditReport, **options: Any) -> str:
        resolve_options(self.name, self.options, options)
        tool = Component(type=ComponentType.APPLICATION, name="auditor", version=report.tool_version)
        metadata = BomMetaData(
            tools=ToolRepository(components=[tool]),
            timestamp=created_at(report.generated_at),
            properties=[
                _prop("policy.path", report.policy.path),
                _prop("policy.sha256", report.policy.sha256),
                _prop("use", report.use),
                _prop("complete", "true" if report.complete else "false"),
            ],
        )
        refs = _unique_refs(report)
        bom = Bom(
            serial_number=uuid.uuid5(_NAMESPACE, content_digest(report)),
            metadata=metadata,
            components=[
                _component(r, ref) for r, ref in zip(report.results, refs, strict=True) if not r.ref.is_hosted
            ],
            services=[hosted_service(i, r) for i, r in enumerate(report.results, start=1) if r.ref.is_hosted],
        )
        document = json.loads(JsonV1Dot6(bom).output_as_string())
        cards = {ref: model_card(r, ref) for r, ref in zip(report.results, refs, strict=True)}
        for component in document.get("components", []):
            card = cards.get(component.get("bom-ref"))
            if card is not None:
                component["modelCard"] = card
        return json.dumps(document, indent=2) + "\n"


def _unique_refs(report: AuditReport) -> list[str]:
    """One bom-ref per result: the purl, with `#2`, `#3`… when an inventory lists the same commit twice."""
    seen: dict[str, int] = {}
    out = []
    for result in report.results:
        ref = bom_ref(result.ref.repo_id, result.sha)
        seen[ref] = seen.get(ref, 0) + 1
        out.append(ref if seen[ref] == 1 else f"{ref}#{seen[ref]}")
    return out
