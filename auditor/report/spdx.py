"""`spdx`: an SPDX 2.3 JSON document for the SBOM, built and validated with spdx-tools.

One package per audited model (and one per base model in its lineage): licenseDeclared is what the
card says, licenseConcluded what we resolved. Identifiers that are not on the SPDX License List become
`LicenseRef-…` with an ExtractedLicensingInfo holding the license file text (capped) or, when we hold
no text, a pointer to where it is. The document is checked with spdx-tools' own validator before it is
written: an SBOM that other tools would reject is a bug here, never an output.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from license_expression import ExpressionError, LicenseExpression
from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo
from spdx_tools.spdx.model.package import ExternalPackageRef, ExternalPackageRefCategory, Package, PackagePurpose
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.model.spdx_none import SpdxNone
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.validation.uri_validators import validate_download_location, validate_url
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from auditor.licenses.resolve import RULE_NO_LICENSE
from auditor.models import AuditReport, EvidenceSource, LicenseResolution, LineageLink, ModelResult, Relation
from auditor.report.base import Option, resolve_options
from auditor.report.document import content_digest
from auditor.report.hosted import hosted_comment, hosted_supplier
from auditor.report.sbom import CARD_SOURCES, NO_VERSION, copyright_notices, owner, purl
from auditor.report.text import file_url, printable, repo_url, result_endpoint, valid_sha

DOCUMENT_ID = "SPDXRef-DOCUMENT"
NAMESPACE_BASE = "https://github.com/auditor-project/auditor/spdxdocs"
TEXT_MAX = 20_000
_LICENSEREF_RE = re.compile(r"^LicenseRef-[\da-zA-Z.-]+$")
_SPDX_TOKEN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")
_TOKEN_RE = re.compile(r"(\s+|\(|\))")
_OPERATORS = {"AND", "OR", "WITH"}
_RELATIONS = {Relation.QUANTIZED: RelationshipType.VARIANT_OF}  # everything else derives from its base


def _slug(text: str, limit: int = 80) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")[:limit] or "x"


def licenseref(token: str) -> str:
    """A valid SPDX LicenseRef for one of ours (knowledge-base keys may hold `_`, which SPDX forbids)."""
    rest = token[len("LicenseRef-") :] if token.startswith("LicenseRef-") else token
    return "LicenseRef-" + _slug(rest, 200)


def to_spdx(expression: str | None) -> tuple[LicenseExpression | SpdxNoAssertion, list[str]]:
    """An SPDX license expression and the LicenseRefs it uses, or NOASSERTION when it is not one.

    Only SPDX License List ids and `LicenseRef-…` are accepted: a bare Hub id such as `other` or
    `llama3.1` means the license is not known in SPDX terms, and saying so is NOASSERTION.
    """
    if not expression or not expression.strip():
        return SpdxNoAssertion(), []
    refs: list[str] = []
    parts = []
    for part in _TOKEN_RE.split(expression.strip()):
        if not part or part.isspace() or part in ("(", ")") or part.upper() in _OPERATORS:
            parts.append(part.upper() if part.upper() in _OPERATORS else part)
        elif part.startswith("LicenseRef-"):
            ref = licenseref(part)
            refs.append(ref)
            parts.append(ref)
        elif _SPDX_TOKEN_RE.match(part):
            parts.append(part)
        else:  # not an SPDX identifier at all (spaces, quotes, markup…): not an expression we can assert
            return SpdxNoAssertion(), []
    rewritten = "".join(parts)
    try:
        info = spdx_licensing.validate(rewritten)
        if info.errors and any(not _LICENSEREF_RE.match(s) for s in info.invalid_symbols):
            return SpdxNoAssertion(), []
        if any(not _LICENSEREF_RE.match(s) for s in info.invalid_symbols):
            return SpdxNoAssertion(), []
        parsed = spdx_licensing.parse(info.normalized_expression or rewritten)
    except (ExpressionError, AttributeError, ValueError):  # license_expression raises all three on junk
        return SpdxNoAssertion(), []
    if parsed is None:
        return SpdxNoAssertion(), []
    return parsed, sorted(set(refs))


def created_at(generated_at: str) -> datetime:
    """The report's time as an aware UTC datetime (a time without a zone is taken as UTC, never local)."""
    moment = datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def declared_expression(resolution: LicenseResolution | None) -> str | None:
    """The license the card itself declares, as an SPDX expression; None when it names none we know.

    The card's value when it already is an SPDX expression; else the resolved expression when every
    license in it is attested by the card (`license`, `license_name`, `license_link` or the Hub's
    license tag), not only by a license file the card does not name.
    """
    if resolution is None:
        return None
    parsed, _ = to_spdx(resolution.declared)
    if not isinstance(parsed, SpdxNoAssertion):
        return str(parsed)
    if resolution.expression is None or not resolution.keys:
        return None
    attested = {key for ev in resolution.evidence if ev.source in CARD_SOURCES for key in ev.keys}
    return resolution.expression if set(resolution.keys) <= attested else None


def supplier(repo_id: str) -> Actor | SpdxNoAssertion:
    org = owner(repo_id)
    return Actor(ActorType.ORGANIZATION, org) if org else SpdxNoAssertion()


def _purl_refs(repo_id: str, sha: str | None) -> list[ExternalPackageRef]:
    locator = purl(repo_id, sha)
    return [ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", locator)] if locator else []


@dataclass
class _Refs:
    """LicenseRefs used in the document and the best we hold for each: a text, else where to find it."""

    texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # ref -> (text, comment); first wins
    names: dict[str, str] = field(default_factory=dict)
    license_urls: dict[str, list[str]] = field(default_factory=dict)  # license files at a pinned sha
    repo_urls: dict[str, list[str]] = field(default_factory=dict)  # repos using it: the last resort

    def add(
        self,
        ref: str,
        *,
        text: str | None = None,
        comment: str = "",
        name: str | None = None,
        license_url: str | None = None,
        repo_url: str | None = None,
    ) -> None:
        if text and ref not in self.texts:
            self.texts[ref] = (text, comment)
        if name and ref not in self.names:
            self.names[ref] = name
        for store, url in ((self.license_urls, license_url), (self.repo_urls, repo_url)):
            urls = store.setdefault(ref, [])
            if url and url not in urls:
                urls.append(url)

    def infos(self) -> list[ExtractedLicensingInfo]:
        out = []
        for ref in sorted(set(self.texts) | set(self.license_urls) | set(self.repo_urls) | set(self.names)):
            urls = self.license_urls.get(ref) or self.repo_urls.get(ref) or []
            text, comment = self.texts.get(ref, (None, None))
            if text is None:
                where = ", ".join(urls[:5]) if urls else "the model repositories listed in this document"
                text = f"The text of this license is not reproduced here. See {where}."
                comment = "Referenced, not extracted: auditor held no license file text for it."
            out.append(
                ExtractedLicensingInfo(
                    license_id=ref,
                    extracted_text=text,
                    license_name=self.names.get(ref, ref[len("LicenseRef-") :]),
                    cross_references=urls[:5],
                    comment=comment,
                )
            )
        return out


def _license_texts(result: ModelResult) -> list[tuple[str, str]]:
    """(path, text) of the model's readable license files, capped, cleaned."""
    if result.hub is None:
        return []
    out = []
    for lf in result.hub.license_files:
        if lf.text.strip():
            text = printable(lf.text, multiline=True, limit=TEXT_MAX)
            if lf.truncated or len(lf.text) > TEXT_MAX:
                text += "\n[… truncated by auditor; the full text is in the repository]"
            out.append((lf.path, text))
    return out


def _card_license_name(result: ModelResult) -> str | None:
    for ev in result.resolution.evidence if result.resolution else ():
        if ev.source == EvidenceSource.CARD_LICENSE_NAME and ev.value.strip():
            return printable(ev.value, limit=200)
    return None


def _endpoint(result: ModelResult) -> str | None:
    """The audited endpoint, when SPDX can carry a link to it: an offline mirror has none, and SPDX's URL
    rules refuse a host without a domain (a stand-in on 127.0.0.1) - no link then, never a huggingface.co one."""
    endpoint = result_endpoint(result)
    if endpoint is None or validate_url(f"{endpoint}/x") or validate_download_location(f"{endpoint}/x"):
        return None
    return endpoint


class SpdxRenderer:
    name = "spdx"
    extension = ".spdx.json"
    media_type = "application/spdx+json"
    description = "SPDX 2.3 JSON SBOM (validated with spdx-tools)"
    options: tuple[Option, ...] = ()

    def render(self, report: AuditReport, **options: Any) -> str:
        resolve_options(self.name, self.options, options)
        document = self.build(report)
        messages = validate_full_spdx_document(document)
        if messages:  # a bug in this renderer, not in the input: say exactly what
            details = "; ".join(m.validation_message for m in messages[:10])
            raise RuntimeError(f"auditor built an invalid SPDX document: {details}")
        stream = io.StringIO()
        write_document_to_stream(document, stream, validate=False)
        return stream.getvalue() + "\n"

    def build(self, report: AuditReport) -> Document:
        digest = content_digest(report)
        serial = uuid.uuid5(uuid.NAMESPACE_URL, f"{NAMESPACE_BASE}/{digest}")
        complete = "complete" if report.complete else "INCOMPLETE (interrupted)"
        creation = CreationInfo(
            spdx_version="SPDX-2.3",
            spdx_id=DOCUMENT_ID,
            name=f"auditor model license audit ({_slug(report.use, 60)})",
            document_namespace=f"{NAMESPACE_BASE}/auditor-report-{serial}",
            creators=[Actor(ActorType.TOOL, f"auditor-{printable(report.tool_version, limit=60)}")],
            created=created_at(report.generated_at),
            creator_comment=printable(
                f"SBOM type: Analyzed (CISA; license evidence read from each model's published repository). "
                f"Policy {report.policy.path} (sha256 {report.policy.sha256}); use {report.use}; run {complete}.",
                limit=2000,
            ),
        )
        packages: list[Package] = []
        relationships: list[Relationship] = []
        refs = _Refs()
        bases: dict[tuple[str, str | None], str] = {}
        base_count = 0

        def model_id(index: int, result: ModelResult) -> str:
            return f"SPDXRef-Model-{index}-{_slug(result.ref.repo_id)}"

        # A base that is itself audited here, at the same commit, is that model's package.
        for index, result in enumerate(report.results, start=1):
            if result.sha:
                bases.setdefault((result.ref.repo_id, result.sha), model_id(index, result))
        for index, result in enumerate(report.results, start=1):
            spdx_id = model_id(index, result)
            packages.append(self._model_package(spdx_id, result, refs))
            relationships.append(Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, spdx_id))
            by_id = {result.ref.repo_id: spdx_id}
            lineage = result.resolution.lineage if result.resolution else ()
            for link in sorted(lineage, key=lambda ln: ln.depth):
                key = (link.repo_id, link.sha)
                if key not in bases:
                    base_count += 1
                    bases[key] = f"SPDXRef-Base-{base_count}-{_slug(link.repo_id)}"
                    packages.append(self._base_package(bases[key], link, refs, _endpoint(result)))
                    # The audit covers the lineage: every base is part of what the document describes.
                    relationships.append(Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, bases[key]))
                by_id.setdefault(link.repo_id, bases[key])
                parent = by_id.get(link.parent, spdx_id)
                relationships.append(
                    Relationship(
                        parent,
                        _RELATIONS.get(link.relation, RelationshipType.DESCENDANT_OF),
                        bases[key],
                        comment=printable(f"{link.relation} of its base (depth {link.depth})", limit=200),
                    )
                )
        if not report.results:
            relationships.append(Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, SpdxNone()))
        return Document(
            creation,
            packages=packages,
            relationships=relationships,
            extracted_licensing_info=refs.infos(),
        )

    def _model_package(self, spdx_id: str, result: ModelResult, refs: _Refs) -> Package:
        repo_id, sha, resolution = result.ref.repo_id, result.sha, result.resolution
        concluded: LicenseExpression | SpdxNoAssertion | SpdxNone
        concluded, concluded_refs = to_spdx(resolution.expression if resolution else None)
        if resolution is not None and any(f.rule == RULE_NO_LICENSE for f in resolution.findings):
            concluded = SpdxNone()  # nothing grants a license: SPDX's "no license", not "not asserted"
        declared_text = resolution.declared if resolution else None
        declared, declared_refs = to_spdx(declared_expression(resolution))
        texts = _license_texts(result)
        endpoint = _endpoint(result)
        url = repo_url(repo_id, sha, endpoint)
        name = _card_license_name(result)
        single = len(set(concluded_refs) | set(declared_refs)) == 1  # then the license file is its text
        for ref in sorted(set(concluded_refs) | set(declared_refs)):
            refs.add(ref, name=name, repo_url=url)
            for path, text in texts if single else ():
                refs.add(
                    ref,
                    text=text,
                    comment=f"Text of {path} in {repo_id} at {sha}.",
                    license_url=file_url(repo_id, sha, path, endpoint),
                )
        verdict = result.verdict
        comment = f"auditor verdict for use {verdict.use}: {verdict.status.value}. {verdict.reason.rstrip('.')}."
        if verdict.obligations:
            comment += " Obligations: " + " ".join(f"({i}) {o}" for i, o in enumerate(verdict.obligations, 1))
        if result.fetch_error is not None:
            comment += f" Could not be fetched ({result.fetch_error.kind.value}): {result.fetch_error.message}"
        name_of_provider = hosted_supplier(result) if result.ref.is_hosted else None
        provider = Actor(ActorType.ORGANIZATION, printable(name_of_provider, limit=300)) if name_of_provider else None
        if result.ref.is_hosted:
            comment += hosted_comment(result)
        license_comment = None
        if resolution is not None:
            license_comment = f"Concluded by auditor with confidence {resolution.confidence:.2f}"
            license_comment += f"; the card declares {declared_text!r}." if declared_text else "; no card license."
        notices = copyright_notices(result)
        return Package(
            spdx_id=spdx_id,
            name=printable(repo_id, limit=300),
            download_location=url or (SpdxNone() if result.ref.is_hosted else SpdxNoAssertion()),
            version=sha if valid_sha(sha) else NO_VERSION,
            supplier=provider or supplier(repo_id),
            originator=provider or supplier(repo_id),
            files_analyzed=False,
            license_concluded=concluded,
            license_declared=declared,
            license_comment=printable(license_comment, limit=2000) if license_comment else None,
            copyright_text="\n".join(notices) if notices else SpdxNoAssertion(),
            comment=printable(comment, limit=4000),
            external_references=_purl_refs(repo_id, sha),
            primary_package_purpose=PackagePurpose.OTHER,
        )

    def _base_package(self, spdx_id: str, link: LineageLink, refs: _Refs, endpoint: str | None) -> Package:
        concluded, concluded_refs = to_spdx(link.expression)
        url = repo_url(link.repo_id, link.sha, endpoint)
        for ref in concluded_refs:
            refs.add(ref, repo_url=url)
        comment = f"Base model ({link.relation}, depth {link.depth}) of {link.parent}."
        if link.error:
            comment += f" Could not be resolved: {link.error}"
        return Package(
            spdx_id=spdx_id,
            name=printable(link.repo_id, limit=300),
            download_location=url or SpdxNoAssertion(),
            version=link.sha if valid_sha(link.sha) else NO_VERSION,
            supplier=supplier(link.repo_id),
            originator=supplier(link.repo_id),
            files_analyzed=False,
            license_concluded=concluded,
            license_declared=SpdxNoAssertion(),  # we hold the base's resolution, not its card's own words
            copyright_text=SpdxNoAssertion(),
            comment=printable(comment, limit=2000),
            external_references=_purl_refs(link.repo_id, link.sha),
            primary_package_purpose=PackagePurpose.OTHER,
        )
