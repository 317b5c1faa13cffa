"""Rights as data: parsed, validated at their line, loaded from every licenses*.yaml, prohibitions kept apart."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest

from auditor.errors import KnowledgeBaseError
from auditor.licenses import load_knowledge_base
from auditor.licenses.rights import (
    NOT_RECORDED,
    RIGHTS,
    Grant,
    ModelClass,
    Right,
    TerritoryBasis,
    reads_as_prohibition,
)

MINI = Path(__file__).resolve().parent / "fixtures" / "licenses" / "mini" / "licenses.yaml"
MINI_TEXT = MINI.read_text(encoding="utf-8")

RIGHTS_BLOCK = """  rights:
    commercial-use: {grant: conditional, clause: 's.2 "greater than 700 million monthly active users"'}
    modify: {grant: 'yes', clause: 's.1.a "create derivative works"'}
    share-derivatives: {grant: 'yes', clause: 's.1.b.i "distribute ... derivative works"'}
    distribute: {grant: 'yes', clause: 's.1.b.i "distribute or make available the Llama Materials"'}
    host-service: {grant: 'yes', clause: 's.1.b.i "make available"'}
    company-use: {grant: 'yes', clause: 's.1.a "non-exclusive ... license"'}
    individual-use: {grant: 'yes', clause: 's.1.a'}
    service-provider-use: {grant: 'yes', clause: 's.1.a'}
    train-on-outputs: {grant: 'no', clause: 's.1.b.v "will not use ... any output ... to improve any other LLM"'}
"""
LLAMA_CONDITIONS = "  conditions: {max_monthly_active_users: 700000000}\n"


def _with_rights(text: str = MINI_TEXT, block: str = RIGHTS_BLOCK, conditions: str | None = None) -> str:
    """The mini knowledge base with llama2's rights block and conditions replaced."""
    assert LLAMA_CONDITIONS + RIGHTS_BLOCK in text  # the fixture's llama2 entry, as written
    return text.replace(LLAMA_CONDITIONS + RIGHTS_BLOCK, (conditions or LLAMA_CONDITIONS) + block, 1)


def _write(folder: Path, text: str, name: str = "licenses.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rights_are_parsed_with_their_clause(tmp_path: Path) -> None:
    kb = load_knowledge_base(_write(tmp_path, _with_rights()))
    llama = kb["llama2"]
    assert llama.rights_recorded
    assert set(llama.rights) == set(RIGHTS)
    assert llama.right(Right.TRAIN_ON_OUTPUTS).grant is Grant.NO
    assert "improve any other LLM" in llama.right(Right.TRAIN_ON_OUTPUTS).clause
    assert llama.right(Right.COMMERCIAL_USE).grant is Grant.CONDITIONAL


def test_an_entry_without_rights_reads_every_right_as_unknown_not_recorded() -> None:
    """Entries built in code (not from a file, where `rights:` is required) may lack rights: read as unknown."""
    mit = dataclasses.replace(load_knowledge_base(MINI)["mit"], rights=MappingProxyType({}))
    assert not mit.rights_recorded
    for right in RIGHTS:
        assert mit.right(right).grant is Grant.UNKNOWN
        assert mit.right(right).clause == NOT_RECORDED
        assert not mit.right(right).recorded


def test_rights_are_required_in_a_file(tmp_path: Path) -> None:
    text = _with_rights(block="")
    with pytest.raises(KnowledgeBaseError, match="rights") as caught:
        load_knowledge_base(_write(tmp_path, text))
    assert caught.value.line == next(i for i, line in enumerate(text.splitlines(), 1) if line == "- key: llama2")


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("    modify: {grant: 'yes', ", "    modify: {grant: yes, ", "    modify:", "grant"),  # YAML boolean
        ("    modify: {grant: 'yes', ", "    modify: {grant: 'maybe', ", "    modify:", "grant"),
        ("    individual-use: {grant: 'yes', clause: 's.1.a'}\n", "", "  rights:", "individual-use"),
        (
            "    individual-use: {grant: 'yes', clause: 's.1.a'}\n",
            "    individual-use: {grant: 'yes'}\n",
            "    individual-use:",
            "clause",
        ),
        (
            "    individual-use: {grant: 'yes', clause: 's.1.a'}\n",
            "    individual-use: {grant: 'yes', clause: 's.1.a'}\n    resell: {grant: 'no', clause: x}\n",
            "  rights:",
            "resell",
        ),
    ],
)
def test_bad_rights_are_refused_at_their_line(tmp_path: Path, old: str, new: str, needle: str, words: str) -> None:
    assert old in RIGHTS_BLOCK
    text = _with_rights(block=RIGHTS_BLOCK.replace(old, new, 1))  # llama2's rights only
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(_write(tmp_path, text))
    llama = next(i for i, line in enumerate(text.splitlines(), 1) if line == "- key: llama2")
    lines = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(needle) and i > llama]
    assert caught.value.line == lines[0]
    assert words in caught.value.message


def test_commercial_summary_must_agree_with_the_commercial_use_right(tmp_path: Path) -> None:
    text = _with_rights(
        block=RIGHTS_BLOCK.replace("commercial-use: {grant: conditional", "commercial-use: {grant: 'yes'")
    )
    with pytest.raises(KnowledgeBaseError, match="must agree") as caught:
        load_knowledge_base(_write(tmp_path, text))
    lines = text.splitlines()
    assert lines[(caught.value.line or 0) - 1].strip() == "commercial: conditional"


def test_new_conditions_are_parsed(tmp_path: Path) -> None:
    conditions = (
        "  conditions:\n"
        "    max_monthly_active_users: 700000000\n"
        "    max_daily_active_users: 1000000\n"
        "    max_monthly_visits: 5000000\n"
        "    excluded_territories_by_model_class:\n"
        "    - {model_class: multimodal, territories: [EU], basis: principal-place-of-business,\n"
        "       clause: 'AUP: \"not being granted to you if you are ... a company with a principal place\"'}\n"
    )
    kb = load_knowledge_base(_write(tmp_path, _with_rights(conditions=conditions)))
    cond = kb["llama2"].conditions
    assert cond.max_daily_active_users == 1_000_000
    assert cond.max_monthly_visits == 5_000_000
    (exclusion,) = cond.excluded_territories_by_model_class
    assert exclusion.model_class is ModelClass.MULTIMODAL
    assert exclusion.territories == ("EU",)
    assert exclusion.basis is TerritoryBasis.PRINCIPAL_PLACE_OF_BUSINESS
    assert cond.any


def test_bad_model_class_exclusion_is_refused(tmp_path: Path) -> None:
    conditions = (
        "  conditions:\n"
        "    excluded_territories_by_model_class:\n"
        "    - {model_class: multimodal, territories: [EU], basis: headquarters, clause: x}\n"
    )
    text = _with_rights(conditions=conditions)
    with pytest.raises(KnowledgeBaseError, match="headquarters"):
        load_knowledge_base(_write(tmp_path, text))


LONGTAIL = """schema_version: 1
licenses:
- key: example-tail
  name: Example Long-Tail License
  spdx: null
  licenseref: LicenseRef-example-tail
  hub_ids: []
  aliases: [example-tail-license]
  category: proprietary
  commercial: 'no'
  conditions: {}
  rights:
    commercial-use: {grant: 'no', clause: test data}
    modify: {grant: 'yes', clause: test data}
    share-derivatives: {grant: 'yes', clause: test data}
    distribute: {grant: 'yes', clause: test data}
    host-service: {grant: 'yes', clause: test data}
    company-use: {grant: 'yes', clause: test data}
    individual-use: {grant: 'yes', clause: test data}
    service-provider-use: {grant: 'yes', clause: test data}
    train-on-outputs: {grant: 'yes', clause: test data}
  obligations: []
  markers: [EXAMPLE LONG TAIL LICENSE AGREEMENT]
  sources: [test data]
"""


def test_every_licenses_star_file_beside_the_main_one_is_loaded(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_TEXT)
    _write(tmp_path, LONGTAIL, "licenses-longtail.yaml")
    _write(tmp_path, "not: loaded\n", "other-licenses.yaml")  # not a licenses-*.yaml: ignored
    kb = load_knowledge_base(path)
    assert "example-tail" in kb and "mit" in kb
    assert kb.match_name("example-tail-license") == [kb["example-tail"]]


def test_a_key_repeated_across_files_is_refused_in_the_second_file(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_TEXT)
    extra = _write(tmp_path, LONGTAIL.replace("key: example-tail", "key: mit"), "licenses-longtail.yaml")
    with pytest.raises(KnowledgeBaseError, match="duplicate key") as caught:
        load_knowledge_base(path)
    assert str(caught.value).startswith(str(extra))
    assert caught.value.line == 3  # its `- key: mit` line


def test_the_bundled_knowledge_base_loads_its_siblings() -> None:
    rules = Path(__file__).resolve().parent.parent / "rules"
    expected = sum(
        p.read_text(encoding="utf-8").count("\n- key: ")
        for p in (rules / "licenses.yaml", *rules.glob("licenses-*.yaml"))
    )
    assert len(load_knowledge_base()) == expected


@pytest.mark.parametrize(
    ("ident", "text"),
    [
        ("other", "Do not share adapted material (e.g. fine-tuned weights); share the material only unmodified."),
        ("no-output-training", "Comply with s.1.b.v"),  # the id itself says it forbids
        ("other", "Multimodal Llama 3.2 models: do not rely on this licence if you are domiciled in the EU."),
        ("other", "Use the model and Model Derivatives for Research Purposes only."),
        ("other", "You may not offer the model as a hosted service."),
    ],
)
def test_prohibitions_read_as_prohibitions(ident: str, text: str) -> None:
    assert reads_as_prohibition(ident, text)


@pytest.mark.parametrize(
    ("ident", "text"),
    [
        ("include-license", "Give every recipient a copy of the Apache License 2.0 (s.4(a))."),
        ("acceptable-use", "Comply with the Llama 3.1 Acceptable Use Policy (incorporated by reference, s.1.b.iv)."),
        ("include-license", "Redistribute the materials and derivatives only under this Agreement, with a copy of it."),
        ("name-prefix", 'Begin the name of any AI model you distribute with "Llama".'),
    ],
)
def test_duties_stay_duties(ident: str, text: str) -> None:
    assert not reads_as_prohibition(ident, text)


def test_a_prohibition_filed_as_an_obligation_is_kept_apart(tmp_path: Path) -> None:
    text = MINI_TEXT.replace(
        "  - {id: include-license, text: Give recipients a copy of the license., when: distribution}\n",
        "  - {id: include-license, text: Give recipients a copy of the license., when: distribution}\n"
        "  - {id: other, text: Do not share adapted material., when: derivatives}\n",
        1,
    )
    apache = load_knowledge_base(_write(tmp_path, text))["apache-2.0"]
    assert [o.text for o in apache.obligations] == ["Give recipients a copy of the license."]
    assert [o.text for o in apache.restrictions] == ["Do not share adapted material."]


def test_no_bundled_obligation_reads_as_a_prohibition() -> None:
    for entry in load_knowledge_base():
        for obligation in entry.obligations:
            assert not reads_as_prohibition(obligation.id, obligation.text), (entry.key, obligation.text)
