"""A phase of license resolution: the model's license files read as evidence, returned as one value.

Each text is matched against the knowledge base (markers, then similarity); a code license file or a
usage policy is evidence but never the weights' license; a PDF is never parsed, only named by its file
name, and its terms stay unknown unless the repo also has it as text. A file that could not be read is a
finding: one that does not exist hides no terms (a note), one we could not read may (a person must look).
Pure: the resolver weighs the result against the card's metadata.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from auditor.licenses.confidence import (
    CONFIDENCE_CONFLICT,
    CONFIDENCE_LINK,
    CONFIDENCE_TEXT_MARKERS,
    CONFIDENCE_TEXT_ONE_MARKER,
    CONFIDENCE_TEXT_SIMILARITY,
)
from auditor.licenses.detect import SIMILARITY_MATCH, TextMatch, detect_text
from auditor.licenses.knowledge import KnowledgeBase
from auditor.licenses.rule_ids import RULE_FILE_UNREADABLE, RULE_UNRECOGNISED
from auditor.licenses.text import quote
from auditor.models import PDF_PROBLEM, Evidence, EvidenceSource, Finding, HubModel, LicenseFile, Severity

CODE_LICENSE_FILE = re.compile(r"(?:^|[-_. ])code(?:[-_. ]|$)", re.IGNORECASE)
"""LICENSE-CODE, LICENSE_CODE.txt…: the code's license, which may differ from the weights' by design."""
USAGE_POLICY_FILE = re.compile(r"^(?:usage|use|acceptable[-_ ]?use)[-_ ]?policy", re.IGNORECASE)
"""USAGE_POLICY (gpt-oss): rules of use beside the license, which add restrictions but never are the license."""


@dataclass(frozen=True)
class FileReading:
    """What the license files say: each text with its match, PDFs named as a license, and the evidence
    and findings in the order they were read."""

    texts: tuple[tuple[LicenseFile, TextMatch], ...] = ()
    pdf_keys: Mapping[str, str] = field(default_factory=dict)  # PDF path -> the license its name names
    unread_pdfs: int = 0  # PDFs with no text version: their terms are unknown
    evidence: tuple[Evidence, ...] = ()
    findings: tuple[Finding, ...] = ()


def is_usage_policy(lf: LicenseFile) -> bool:
    return bool(USAGE_POLICY_FILE.match(lf.path.rsplit("/", 1)[-1]))


def is_code_file(lf: LicenseFile) -> bool:
    """Not the weights' license: a code license file (LICENSE-CODE) or a usage policy (USAGE_POLICY)."""
    name = lf.path.rsplit("/", 1)[-1]
    return bool(CODE_LICENSE_FILE.search(name)) or is_usage_policy(lf)


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return quote(line, 120)
    return "(empty file)"


def read_license_files(hub: HubModel, kb: KnowledgeBase) -> FileReading:
    """The license files of `hub`, then its PDFs and the files that could not be read."""
    evidence: list[Evidence] = []
    findings: list[Finding] = []
    texts = _texts(hub, kb, evidence, findings)
    pdf_keys = _pdf_names(hub, kb)
    unread = 0
    for problem in hub.file_problems:
        if problem.kind == PDF_PROBLEM:
            unread += not _pdf(problem.path, pdf_keys.get(problem.path), texts, evidence, findings)
            continue
        evidence.append(
            Evidence(EvidenceSource.LICENSE_FILE, quote(problem.kind), (), quote(problem.message), problem.path)
        )
        path = quote(problem.path, 120)
        findings.append(
            Finding(
                RULE_FILE_UNREADABLE,
                Severity.INFO if problem.kind == "missing" else Severity.WARNING,
                f"license file {path!r} could not be read ({problem.kind}): {quote(problem.message)}",
                "Read the file yourself (a gated repo needs a token with access) and record the outcome "
                "as a waiver, or ask the publisher to fix the repo.",
                problem.path,
            )
        )
    return FileReading(tuple(texts), pdf_keys, unread, tuple(evidence), tuple(findings))


def _texts(
    hub: HubModel, kb: KnowledgeBase, evidence: list[Evidence], findings: list[Finding]
) -> list[tuple[LicenseFile, TextMatch]]:
    out: list[tuple[LicenseFile, TextMatch]] = []
    for lf in hub.license_files:
        match = detect_text(lf.text, kb)
        if lf.truncated and match.key is not None:
            match = replace(match, partial=True)
        keys = (match.key,) if match.key else match.candidates if match.ambiguous else ()
        detail = match.describe()
        if is_usage_policy(lf):
            detail += "; a usage policy beside the license, not read as the license"
            if match.key is None:
                findings.append(
                    Finding(
                        RULE_UNRECOGNISED,
                        Severity.WARNING,
                        f"{quote(lf.path, 120)} is a usage policy we do not recognise: it may restrict the model's use",
                        "Read the usage policy and check the intended use against it.",
                        lf.path,
                    )
                )
        elif is_code_file(lf):
            detail += "; a code license file, not read as the weights' license"
        evidence.append(Evidence(EvidenceSource.LICENSE_FILE, first_line(lf.text), keys, detail, lf.path))
        out.append((lf, match))
    return out


def _pdf_names(hub: HubModel, kb: KnowledgeBase) -> dict[str, str]:
    """PDF license files (never parsed) whose file name is a known license's name: path -> key.
    `Community License for Baichuan 2 Model.pdf` says which license it holds, not what it says."""
    found: dict[str, str] = {}
    for problem in hub.file_problems:
        if problem.kind != PDF_PROBLEM:
            continue
        stem = problem.path.rsplit("/", 1)[-1][: -len(".pdf")]
        entries = [e for e in kb.match_name(stem) if not kb.is_other(e) and not kb.is_placeholder(e)]
        if len(entries) == 1:
            found[problem.path] = entries[0].key
    return found


def _has_text_version(pdf: str, key: str | None, texts: list[tuple[LicenseFile, TextMatch]]) -> bool:
    """A readable license file with the PDF's name (`X.md` beside `X.pdf`) or the license its name names."""
    stem = pdf.rsplit("/", 1)[-1][: -len(".pdf")].casefold()
    return any(
        lf.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].casefold() == stem or (key is not None and m.key == key)
        for lf, m in texts
        if not lf.truncated
    )


def _pdf(
    pdf: str,
    key: str | None,
    texts: list[tuple[LicenseFile, TextMatch]],
    evidence: list[Evidence],
    findings: list[Finding],
) -> bool:
    """A PDF is evidence by its name only: its terms are unread, so a person must read it unless the repo
    also has it as text. Returns whether it has."""
    how = "file name of a PDF license; not read" if key else "a PDF license file; not read"
    evidence.append(
        Evidence(EvidenceSource.LICENSE_FILE, quote(pdf.rsplit("/", 1)[-1]), (key,) if key else (), how, pdf)
    )
    text = _has_text_version(pdf, key, texts)
    named = f" (named as {key})" if key else ""
    tail = "; the repo has its text, which was read" if text else f"; its terms are unknown{named}"
    findings.append(
        Finding(
            RULE_FILE_UNREADABLE,
            Severity.INFO if text else Severity.ERROR,
            f"license file {quote(pdf, 120)!r} is a PDF, which is not read{tail}",
            None if text else "Read the PDF and record the outcome as a waiver, or ask the publisher for a text copy.",
            pdf,
        )
    )
    return text


def text_confidence(match: TextMatch | None) -> float:
    """How far a license text alone establishes its license: markers, then similarity, capped when edited."""
    if match is None or match.key is None:
        return 0.0
    if match.method == "marker":
        confidence = CONFIDENCE_TEXT_MARKERS if len(match.markers) >= 2 else CONFIDENCE_TEXT_ONE_MARKER
    elif match.method == "similarity" and match.similarity is not None:
        confidence = CONFIDENCE_TEXT_SIMILARITY * min(1.0, match.similarity.jaccard / SIMILARITY_MATCH) * 0.95
    else:
        confidence = CONFIDENCE_LINK
    if match.modified:
        confidence = min(confidence, CONFIDENCE_CONFLICT)
    return confidence
