"""`cyclonedx`: a CycloneDX 1.6 JSON BOM of `machine-learning-model` components.

Each audited model is a component with its concluded license (the same SPDX expression the SPDX
document uses), its base models as `pedigree.ancestors` and our verdict as `auditor:*` properties.
The serial number is a uuid5 of the report's content, so the same audit gives the same BOM.
"""

from __future__ import annotations

import uuid
from typing import Any

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

from auditor.models import AuditReport, LineageLink, ModelResult
from auditor.report.base import Option, resolve_options
from auditor.report.document import content_digest, findings_of
from auditor.report.spdx import created_at, to_spdx
from auditor.report.text import file_url, printable, repo_url, valid_repo_id, valid_sha

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/auditor-project/auditor/cyclonedx")
_VALUE_MAX = 2000


def _prop(name: str, value: object) -> Property:
    return Property(name=f"auditor:{name}", value=printable(value, limit=_VALUE_MAX))


def _split(repo_id: str) -> tuple[str | None, str]:
    org, sep, name = repo_id.partition("/")
    return (org, name) if sep else (None, repo_id)


def _purl(repo_id: str, sha: str | None) -> PackageURL | None:
    if not (valid_repo_id(repo_id) and valid_sha(sha)):
        return None
    org, name = _split(repo_id)
    return PackageURL(type="huggingface", namespace=org, name=name, version=sha)


def _licenses(expression: str | None, declared: str | None) -> list[Any]:
    parsed, _ = to_spdx(expression)
    if not isinstance(parsed, SpdxNoAssertion):
        return [LicenseExpression(str(parsed), acknowledgement=LicenseAcknowledgement.CONCLUDED)]
    if declared and declared.strip():
        return [
            DisjunctiveLicense(name=printable(declared, limit=200), acknowledgement=LicenseAcknowledgement.DECLARED)
        ]
    return []


def _refs(repo_id: str, sha: str | None, license_paths: list[str]) -> list[ExternalReference]:
    refs = []
    url = repo_url(repo_id, sha)
    if url:
        refs.append(ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(url)))
    for path in license_paths:
        link = file_url(repo_id, sha, path)
        if link:
            refs.append(ExternalReference(type=ExternalReferenceType.LICENSE, url=XsUri(link)))
    return refs


def _name(repo_id: str) -> tuple[str | None, str]:
    org, name = _split(printable(repo_id, limit=300))
    return org, name or "unnamed"


def _ancestor(link: LineageLink, bom_ref: str) -> Component:
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
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=bom_ref,
        group=org,
        name=name,
        version=link.sha if valid_sha(link.sha) else None,
        licenses=_licenses(link.expression, None),
        purl=_purl(link.repo_id, link.sha),
        external_references=_refs(link.repo_id, link.sha, []),
        properties=properties,
    )


def _component(index: int, result: ModelResult) -> Component:
    ref, verdict, resolution = result.ref, result.verdict, result.resolution
    bom_ref = f"model-{index}"
    org, name = _name(ref.repo_id)
    properties = [
        _prop("verdict", verdict.status.value),
        _prop("reason", verdict.reason),
        _prop("use", verdict.use),
        _prop("requested-revision", ref.requested_revision),
        _prop("commercial", resolution.commercial.value if resolution else "unknown"),
        _prop("confidence", f"{resolution.confidence:.2f}" if resolution else "0.00"),
    ]
    if resolution and resolution.declared:
        properties.append(_prop("license.declared", resolution.declared))
    if resolution and resolution.expression:
        properties.append(_prop("license.expression", resolution.expression))
    if ref.origin is not None:
        properties.append(_prop("origin", str(ref.origin)))
    properties += [_prop("obligation", o) for o in verdict.obligations]
    properties += [_prop("finding", f"{f.severity.value} {f.rule}: {f.message}") for f in findings_of(result)]
    if verdict.waiver is not None:
        w = verdict.waiver
        properties.append(_prop("waiver", f"{w.reason} (approved by {w.approved_by}, expires {w.expires})"))
    if result.fetch_error is not None:
        properties.append(_prop("error", f"{result.fetch_error.kind.value}: {result.fetch_error.message}"))
    lineage = sorted(resolution.lineage if resolution else (), key=lambda ln: ln.depth)
    ancestors = [_ancestor(link, f"{bom_ref}-base-{i}") for i, link in enumerate(lineage, start=1)]
    paths = [lf.path for lf in result.hub.license_files] if result.hub else []
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=bom_ref,
        group=org,
        name=name,
        version=result.sha if valid_sha(result.sha) else None,
        licenses=_licenses(resolution.expression if resolution else None, resolution.declared if resolution else None),
        purl=_purl(ref.repo_id, result.sha),
        external_references=_refs(ref.repo_id, result.sha, paths),
        properties=properties,
        pedigree=Pedigree(ancestors=ancestors) if ancestors else None,
    )


class CycloneDxRenderer:
    name = "cyclonedx"
    extension = ".cdx.json"
    media_type = "application/vnd.cyclonedx+json"
    description = "CycloneDX 1.6 JSON BOM with machine-learning-model components"
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
        bom = Bom(
            serial_number=uuid.uuid5(_NAMESPACE, content_digest(report)),
            metadata=metadata,
            components=[_component(i, r) for i, r in enumerate(report.results, start=1)],
        )
        return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"
