"""Resolution phases return values: the license-file phase, on its own and as the resolver uses it."""

from __future__ import annotations

from auditor.licenses import load_knowledge_base, resolve
from auditor.licenses.files import FileReading, is_code_file, read_license_files
from auditor.licenses.rule_ids import RULE_CONFLICT_WITH_BASE, RULE_FILE_UNREADABLE
from auditor.models import PDF_PROBLEM, EvidenceSource, FileProblem, HubModel, LicenseFile, Severity

KB = load_knowledge_base()
MIT_TEXT = (
    "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this software "
    'and associated documentation files (the "Software"), to deal in the Software without restriction, including '
    "without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies "
    "of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following "
    "conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or "
    'substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.\n'
)


def hub(**fields: object) -> HubModel:
    return HubModel("org/m", "main", "a" * 40, **fields)  # type: ignore[arg-type]


def test_the_file_phase_is_a_value_in_reading_order() -> None:
    model = hub(
        license_files=(LicenseFile("LICENSE", MIT_TEXT), LicenseFile("LICENSE-CODE", MIT_TEXT)),
        file_problems=(
            FileProblem("TERMS.pdf", PDF_PROBLEM, "a PDF"),
            FileProblem("NOTICE", "gated", "401"),
            FileProblem("GONE", "missing", "404"),
        ),
    )
    reading = read_license_files(model, KB)
    assert isinstance(reading, FileReading)
    assert [lf.path for lf, _ in reading.texts] == ["LICENSE", "LICENSE-CODE"]
    assert [m.key for _, m in reading.texts] == ["mit", "mit"]
    assert [e.path for e in reading.evidence] == ["LICENSE", "LICENSE-CODE", "TERMS.pdf", "NOTICE", "GONE"]
    assert all(e.source is EvidenceSource.LICENSE_FILE for e in reading.evidence)
    assert reading.unread_pdfs == 1, "a PDF with no text version leaves its terms unknown"
    severities = {f.subject: f.severity for f in reading.findings if f.rule == RULE_FILE_UNREADABLE}
    assert severities == {"TERMS.pdf": Severity.ERROR, "NOTICE": Severity.WARNING, "GONE": Severity.INFO}
    assert is_code_file(reading.texts[1][0]) and not is_code_file(reading.texts[0][0])
    assert read_license_files(model, KB) == reading, "the same input, the same value"


def test_the_resolver_takes_the_phase_as_it_is() -> None:
    model = hub(card_data={"license": "mit"}, license_files=(LicenseFile("LICENSE", MIT_TEXT),))
    reading = read_license_files(model, KB)
    resolution = resolve(model, KB)
    assert resolution.expression == "MIT"
    files = [e for e in resolution.evidence if e.source is EvidenceSource.LICENSE_FILE]
    assert tuple(files) == reading.evidence


def test_a_pdf_with_its_text_beside_it_is_read_through_the_text() -> None:
    model = hub(
        license_files=(LicenseFile("LICENSE.md", MIT_TEXT),),
        file_problems=(FileProblem("LICENSE.pdf", PDF_PROBLEM, "a PDF"),),
    )
    reading = read_license_files(model, KB)
    assert reading.unread_pdfs == 0
    assert [f.severity for f in reading.findings] == [Severity.INFO]


def test_the_declared_phase_is_a_value() -> None:
    from auditor.licenses.declared import Group, read_declared

    model = hub(
        card_data={"license": ["apache-2.0", "other", "apache-2.0"], "license_name": "llama3.1", "license_link": 3},
        tags=("license:apache-2.0", "license:other"),
    )
    said = read_declared(model, KB)
    assert isinstance(said.tree, Group) and said.list_size == 2, "a repeated id is read once"
    assert [s.kind for s in said.tree.slots()] == ["license", "other"]
    assert [s.raw for s in said.tag_slots] == ["apache-2.0", "other"]
    assert [e.key for e in said.name_entries] == ["llama3.1"]
    assert said.link_entries == ()
    sources = [e.source for e in said.evidence]
    assert sources == [
        EvidenceSource.CARD_LICENSE,
        EvidenceSource.CARD_LICENSE,
        EvidenceSource.TAG,
        EvidenceSource.TAG,
        EvidenceSource.CARD_LICENSE_NAME,
        EvidenceSource.CARD_LICENSE_LINK,
    ], "in reading order"
    resolution = resolve(model, KB)
    assert tuple(resolution.evidence[: len(said.evidence)]) == said.evidence


def test_the_lineage_phase_is_a_value() -> None:
    from auditor.licenses.inherit import Inheritance, ResolvedBase, read_lineage
    from auditor.models import Commercial, Relation

    base_model = hub(card_data={"license": "cc-by-nc-4.0"})
    base = ResolvedBase("org/base", Relation.FINETUNE, "b" * 40, resolve(base_model, KB))
    model = hub(card_data={"license": "mit", "base_model": "org/base"})
    inheritance = read_lineage(model, KB, {"org/base": base}, ("mit",), Commercial.YES, "MIT")
    assert isinstance(inheritance, Inheritance)
    assert [link.repo_id for link in inheritance.links] == ["org/base"]
    assert inheritance.inherited == ("cc-by-nc-4.0",)
    assert inheritance.effective is Commercial.NO, "the most restrictive of the model's and its base's"
    assert [e.source for e in inheritance.evidence] == [EvidenceSource.BASE_MODEL]
    assert any(f.rule == RULE_CONFLICT_WITH_BASE for f in inheritance.findings)
    whole = resolve(model, KB, {"org/base": base})
    assert whole.lineage == inheritance.links and whole.commercial is inheritance.effective
