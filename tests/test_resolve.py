"""Resolution rules, one behaviour per test, on a small knowledge base with controlled facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.licenses import (
    KnowledgeBase,
    ResolvedBase,
    cycle_error,
    depth_cap_error,
    load_knowledge_base,
    resolve,
)
from auditor.licenses.resolve import (
    BOOST_TEXT,
    CONFIDENCE_CARD_ALIAS,
    CONFIDENCE_CARD_ID,
    CONFIDENCE_CONFLICT,
    CONFIDENCE_LINK,
    CONFIDENCE_MAX,
    CONFIDENCE_NAME,
    CONFIDENCE_TAG,
    MULTIPLE_FACTOR,
    NOT_LOOKED_UP,
)
from auditor.models import Commercial, FileProblem, HubModel, LicenseFile, LicenseResolution, Severity

MINI = Path(__file__).resolve().parent / "fixtures" / "licenses" / "mini" / "licenses.yaml"
MIT_TEXT = (Path(__file__).resolve().parent.parent / "rules" / "texts" / "mit.txt").read_text(encoding="utf-8")
LLAMA2_OPENING = (
    "LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date: July 18, 2023\n\n"
    '"Agreement" means the terms and conditions for use, reproduction, distribution and modification.'
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(MINI)


def model(
    card: dict[str, Any] | None = None,
    *,
    repo_id: str = "acme/model",
    tags: tuple[str, ...] = (),
    files: dict[str, str] | None = None,
    problems: tuple[FileProblem, ...] = (),
    card_error: str | None = None,
) -> HubModel:
    return HubModel(
        repo_id=repo_id,
        requested_revision="main",
        sha="a" * 40,
        card_data=card or {},
        tags=tags,
        license_files=tuple(LicenseFile(path, text) for path, text in (files or {}).items()),
        file_problems=problems,
        card_error=card_error,
    )


def rules(res: LicenseResolution) -> dict[str, Severity]:
    return {f.rule: f.severity for f in res.findings}


# ------------------------------------------------------------------ the declared license


def test_hub_id_resolves_with_confidence_and_no_findings(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "apache-2.0"}), kb)
    assert (res.expression, res.keys, res.commercial) == ("Apache-2.0", ("apache-2.0",), Commercial.YES)
    assert res.confidence == CONFIDENCE_CARD_ID
    assert res.findings == () and res.declared == "apache-2.0"
    assert res.evidence[0].source == "card.license" and res.evidence[0].keys == ("apache-2.0",)


def test_case_and_aliases_of_the_license_field(kb: KnowledgeBase) -> None:
    assert resolve(model({"license": "MIT"}), kb).keys == ("mit",)
    alias = resolve(model({"license": "Apache 2"}), kb)
    assert alias.keys == ("apache-2.0",) and alias.confidence == CONFIDENCE_CARD_ALIAS


def test_non_spdx_license_gets_its_licenseref(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "llama2"}), kb)
    assert res.expression == "LicenseRef-llama2" and res.commercial is Commercial.CONDITIONAL


def test_matching_license_text_confirms_the_card(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "llama2"}, files={"LICENSE": LLAMA2_OPENING}), kb)
    assert res.confidence == pytest.approx(min(CONFIDENCE_MAX, CONFIDENCE_CARD_ID + BOOST_TEXT))
    assert res.findings == ()


def test_license_text_contradicting_the_card_is_a_conflict_naming_both(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "mit"}, files={"LICENSE": LLAMA2_OPENING}), kb)
    (conflict,) = res.findings
    assert conflict.rule == "license-conflict" and conflict.severity is Severity.ERROR
    assert "mit" in conflict.message and "llama2" in conflict.message and "LICENSE" in conflict.message
    assert res.expression is None  # we cannot say which one governs
    assert res.keys == ("mit", "llama2")  # both sets of terms count
    assert res.commercial is Commercial.UNKNOWN  # contradicted: never better than unknown
    assert res.confidence <= CONFIDENCE_CONFLICT


def test_tags_contradicting_the_card_are_a_conflict(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "mit"}, tags=("license:cc-by-nc-4.0",)), kb)
    assert rules(res) == {"license-conflict": Severity.ERROR}
    assert res.commercial is Commercial.NO  # the most restrictive candidate, worse than unknown


def test_license_name_contradicting_the_card_is_a_conflict(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "apache-2.0", "license_name": "llama-2"}), kb)
    assert "license-conflict" in rules(res)


def test_license_link_to_another_license_is_a_conflict(kb: KnowledgeBase) -> None:
    card = {"license": "apache-2.0", "license_link": "https://huggingface.co/meta-llama/Llama-2-7b/blob/main/LICENSE"}
    res = resolve(model(card), kb)
    assert "license-conflict" in rules(res)
    assert "llama2" in res.keys


def test_tags_alone_when_the_card_has_no_license_field(kb: KnowledgeBase) -> None:
    res = resolve(model({}, tags=("license:mit", "region:us")), kb)
    assert res.keys == ("mit",) and res.confidence == CONFIDENCE_TAG
    assert res.evidence[0].source == "tag"


# ------------------------------------------------------------------ `other`, names, placeholders


def test_other_with_a_known_name_is_medium_confidence(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "other", "license_name": "example-research"}), kb)
    assert res.keys == ("research-nc",) and res.commercial is Commercial.NO
    assert res.confidence == CONFIDENCE_NAME
    assert res.findings == ()


def test_other_without_a_name_is_unnamed_and_unknown(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "other"}), kb)
    assert rules(res) == {"license-other-unnamed": Severity.ERROR}
    assert (res.expression, res.keys, res.commercial, res.confidence) == (None, (), Commercial.UNKNOWN, 0.0)


def test_other_with_an_unknown_name_is_unrecognised(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "other", "license_name": "acme-secret-terms"}), kb)
    assert rules(res) == {"license-other-unnamed": Severity.ERROR, "license-unrecognised": Severity.ERROR}
    assert "acme-secret-terms" in next(f.message for f in res.findings if f.rule == "license-unrecognised")
    assert res.commercial is Commercial.UNKNOWN


def test_other_with_an_ambiguous_name_is_not_guessed(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "other", "license_name": "example-v2"}), kb)
    assert res.keys == () and res.commercial is Commercial.UNKNOWN
    evidence = next(e for e in res.evidence if e.source == "card.license_name")
    assert set(evidence.keys) == {"research-nc", "example-community"}


def test_ambiguous_name_narrowed_by_the_license_text(kb: KnowledgeBase) -> None:
    text = "EXAMPLE COMMUNITY LICENSE AGREEMENT\nShared clause of the example family."
    res = resolve(model({"license": "other", "license_name": "example-v2"}, files={"LICENSE": text}), kb)
    assert res.keys == ("example-community",)


def test_other_identified_by_link_only_is_low_confidence(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "other", "license_link": "https://example.org/licenses/x"}), kb)
    assert res.keys == ()  # the link matches two licenses: not one
    card = {"license": "other", "license_link": "https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/LICENSE"}
    res = resolve(model(card), kb)
    assert res.keys == ("llama2",) and res.confidence == CONFIDENCE_LINK
    assert rules(res) == {"license-other-unnamed": Severity.WARNING}


@pytest.mark.parametrize("value", ["unknown", "UNKNOWN", "tbd", "n/a", "???", "  ", "-"])
def test_placeholders_are_findings_not_licenses(kb: KnowledgeBase, value: str) -> None:
    res = resolve(model({"license": value}), kb)
    assert rules(res) == {"license-placeholder": Severity.ERROR}
    assert res.keys == () and res.commercial is Commercial.UNKNOWN and res.confidence == 0.0


def test_placeholder_with_a_license_file_uses_the_file_but_says_so(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "unknown"}, files={"LICENSE": LLAMA2_OPENING}), kb)
    assert res.keys == ("llama2",)
    assert rules(res) == {"license-placeholder": Severity.WARNING}


def test_unrecognised_id_stays_unknown(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "acme-proprietary-1.0"}), kb)
    assert rules(res) == {"license-unrecognised": Severity.ERROR}
    assert res.expression is None and res.commercial is Commercial.UNKNOWN


def test_yaml_boolean_from_no_is_explained(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": False}), kb)
    (finding,) = res.findings
    assert finding.rule == "license-unrecognised" and "YAML 1.1" in finding.message
    assert res.declared == "False"


def test_no_license_at_all(kb: KnowledgeBase) -> None:
    for card in ({}, {"license": None}, {"license": []}, {"license_link": "https://acme.example/terms"}):
        res = resolve(model(card), kb)
        assert rules(res) == {"no-license": Severity.ERROR}
        assert res.keys == () and res.confidence == 0.0 and res.commercial is Commercial.UNKNOWN
    assert resolve(model({}), kb).evidence == ()


# ------------------------------------------------------------------ several licenses


def test_a_list_is_read_as_all_applying_and_flagged(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": ["apache-2.0", "cc-by-nc-4.0"]}), kb)
    assert res.expression == "Apache-2.0 AND CC-BY-NC-4.0"
    assert res.commercial is Commercial.NO  # AND: the most restrictive
    assert rules(res) == {"multiple-licenses-declared": Severity.ERROR}  # a person confirms how they combine
    assert res.confidence == pytest.approx(CONFIDENCE_CARD_ID * MULTIPLE_FACTOR)


def test_a_list_with_other_uses_license_name_for_the_other_part(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": ["llama2", "other"], "license_name": "example-community"}), kb)
    assert res.keys == ("llama2", "example-community")
    assert res.expression == "LicenseRef-llama2 AND LicenseRef-example-community"
    assert set(rules(res)) == {"multiple-licenses-declared"}


def test_a_list_with_an_unnamed_other_has_no_expression(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": ["llama2", "other"]}), kb)
    assert res.keys == ("llama2",) and res.expression is None
    assert res.commercial is Commercial.UNKNOWN and res.confidence == 0.0


def test_duplicates_in_a_list_are_one_license(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": ["mit", "MIT", "mit"]}), kb)
    assert res.expression == "MIT" and res.findings == ()


def test_an_spdx_or_expression_lets_the_licensee_choose(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "cc-by-nc-4.0 OR mit"}), kb)
    assert res.expression == "CC-BY-NC-4.0 OR MIT"
    assert res.commercial is Commercial.YES  # OR: the least restrictive alternative
    assert rules(res) == {"multiple-licenses-declared": Severity.INFO}


def test_several_license_texts_without_a_card_license(kb: KnowledgeBase) -> None:
    res = resolve(model({}, files={"LICENSE": MIT_TEXT, "LICENSE-MODEL": LLAMA2_OPENING}), kb)
    assert res.keys == ("mit", "llama2") and res.commercial is Commercial.CONDITIONAL
    assert rules(res) == {"multiple-licenses-declared": Severity.ERROR}


def test_a_code_license_file_is_no_conflict(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "llama2"}, files={"LICENSE-CODE": MIT_TEXT, "LICENSE": LLAMA2_OPENING}), kb)
    assert res.findings == () and res.keys == ("llama2",)
    code = next(e for e in res.evidence if e.path == "LICENSE-CODE")
    assert code.keys == ("mit",) and "code license" in (code.detail or "")


# ------------------------------------------------------------------ license files


def test_unreadable_license_file_is_a_finding(kb: KnowledgeBase) -> None:
    gated = (FileProblem("LICENSE", "gated", "the repo is gated; no token"),)
    res = resolve(model({"license": "llama2"}, problems=gated), kb)
    assert rules(res) == {"license-file-unreadable": Severity.WARNING}
    assert res.keys == ("llama2",)
    res = resolve(model({"license": "other"}, problems=gated), kb)
    assert rules(res)["license-file-unreadable"] is Severity.ERROR  # nothing else says what the license is
    assert "no-license" not in rules(res)


def test_unrecognised_license_text_next_to_a_declared_license(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "mit"}, files={"LICENSE": "Our own terms. You may not sell this."}), kb)
    assert rules(res) == {"license-unrecognised": Severity.WARNING}
    assert res.keys == ("mit",)


def test_unrecognised_license_text_alone(kb: KnowledgeBase) -> None:
    res = resolve(model({}, files={"LICENSE": "Our own terms. You may not sell this."}), kb)
    assert rules(res) == {"license-unrecognised": Severity.ERROR}
    assert res.commercial is Commercial.UNKNOWN


def test_ambiguous_license_text(kb: KnowledgeBase) -> None:
    res = resolve(model({}, files={"LICENSE": "Shared clause of the example family."}), kb)
    assert rules(res) == {"license-text-ambiguous": Severity.ERROR}
    assert res.keys == ()


def test_edited_mit_text_is_flagged() -> None:
    # the mini knowledge base has no reference texts: the bundled one has the MIT text
    text = (
        MIT_TEXT
        + "\n\nCommons Clause: the Software may not be sold, and no one may provide it as a "
        + ("hosted service for a fee, nor offer support or consulting whose value derives from it. " * 3)
    )
    res = resolve(model({"license": "mit"}, files={"LICENSE": text}), load_knowledge_base())
    assert rules(res) == {"license-text-modified": Severity.ERROR}
    assert res.keys == ("mit",) and res.expression is None  # not MIT any more: MIT plus unknown terms
    assert res.commercial is Commercial.UNKNOWN and res.confidence <= CONFIDENCE_CONFLICT


def test_card_error_is_reported(kb: KnowledgeBase) -> None:
    res = resolve(model({}, card_error="front matter is not valid YAML at line 3"), kb)
    assert rules(res)["card-unreadable"] is Severity.ERROR
    res = resolve(model({}, tags=("license:mit",), card_error="bad YAML"), kb)
    assert rules(res) == {"card-unreadable": Severity.WARNING} and res.keys == ("mit",)


# ------------------------------------------------------------------ untrusted values


def test_evidence_is_bounded_and_printable(kb: KnowledgeBase) -> None:
    value = "evil\x1b[31m\nname" + "x" * 100_000
    res = resolve(model({"license": "other", "license_name": value, "license_link": value}), kb)
    for ev in res.evidence:
        assert len(ev.value) <= 200 and "\x1b" not in ev.value and "\n" not in ev.value
    for f in res.findings:
        assert "\x1b" not in f.message and len(f.message) < 1000


# ------------------------------------------------------------------ base models


def base(
    repo_id: str,
    card: dict[str, Any],
    kb: KnowledgeBase,
    relation: str = "finetune",
    bases: dict[str, ResolvedBase] | None = None,
) -> ResolvedBase:
    return ResolvedBase(repo_id, relation, "b" * 40, resolve(model(card, repo_id=repo_id), kb, bases or {}))


def test_more_permissive_than_base_is_a_conflict(kb: KnowledgeBase) -> None:
    llama = base("meta/llama", {"license": "llama2"}, kb)
    res = resolve(model({"license": "mit", "base_model": "meta/llama"}), kb, {"meta/llama": llama})
    (finding,) = [f for f in res.findings if f.rule == "license-conflict-with-base"]
    assert finding.subject == "meta/llama" and "MIT" in finding.message
    assert (
        "bound by Llama 2 Community License Agreement" in finding.message
        and "from its base model meta/llama" in finding.message
    )
    assert finding.fix is not None and "LicenseRef-llama2" in finding.fix  # the governing license, by its id
    assert res.commercial is Commercial.CONDITIONAL and res.inherited_keys == ("llama2",)


def test_same_terms_as_base_is_fine(kb: KnowledgeBase) -> None:
    llama = base("meta/llama", {"license": "llama2"}, kb)
    res = resolve(model({"license": "llama2", "base_model": "meta/llama"}), kb, {"meta/llama": llama})
    assert res.findings == ()


def test_more_restrictive_than_base_is_fine(kb: KnowledgeBase) -> None:
    apache = base("org/apache-base", {"license": "apache-2.0"}, kb)
    res = resolve(model({"license": "cc-by-nc-4.0", "base_model": "org/apache-base"}), kb, {apache.repo_id: apache})
    assert res.findings == () and res.commercial is Commercial.NO


def test_non_commercial_base_makes_the_derivative_non_commercial(kb: KnowledgeBase) -> None:
    nc = base("org/nc-base", {"license": "cc-by-nc-4.0"}, kb)
    res = resolve(model({"license": "apache-2.0", "base_model": "org/nc-base"}), kb, {nc.repo_id: nc})
    assert res.commercial is Commercial.NO
    assert "license-conflict-with-base" in rules(res)


def test_grandparent_terms_reach_the_derivative(kb: KnowledgeBase) -> None:
    llama = base("meta/llama", {"license": "llama2"}, kb)
    middle = base("org/middle", {"license": "llama2", "base_model": "meta/llama"}, kb, bases={"meta/llama": llama})
    res = resolve(model({"license": "llama2", "base_model": "org/middle"}), kb, {"org/middle": middle})
    assert [(link.repo_id, link.depth, link.parent) for link in res.lineage] == [
        ("org/middle", 1, "acme/model"),
        ("meta/llama", 2, "org/middle"),
    ]
    assert res.commercial is Commercial.CONDITIONAL


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("not-found: 404 for org/gone", "could not be fetched"),
        (cycle_error(("acme/model", "org/base", "acme/model")), "loops back"),
        (depth_cap_error(5), "beyond the lineage depth"),
    ],
)
def test_unresolved_base_is_an_error_and_never_cleared(kb: KnowledgeBase, error: str, words: str) -> None:
    broken = ResolvedBase("org/base", "adapter", None, None, error)
    res = resolve(model({"license": "mit", "base_model": "org/base"}), kb, {"org/base": broken})
    (finding,) = res.findings
    assert finding.rule == "base-unresolved" and finding.severity is Severity.ERROR and words in finding.message
    assert res.commercial is Commercial.UNKNOWN and res.expression == "MIT"
    (link,) = res.lineage
    assert link.error == error and link.relation == "adapter"


def test_base_the_caller_did_not_look_up(kb: KnowledgeBase) -> None:
    res = resolve(model({"license": "mit", "base_model": "org/base"}), kb)
    assert rules(res) == {"base-unresolved": Severity.ERROR}
    assert res.lineage[0].error == NOT_LOOKED_UP


def test_base_with_unknown_license(kb: KnowledgeBase) -> None:
    mystery = base("org/mystery", {}, kb)
    res = resolve(model({"license": "mit", "base_model": "org/mystery"}), kb, {"org/mystery": mystery})
    (finding,) = res.findings
    assert finding.rule == "base-unresolved" and "no-license" in finding.message
    assert res.commercial is Commercial.UNKNOWN


def test_bases_passed_but_not_declared_are_still_counted(kb: KnowledgeBase) -> None:
    llama = base("meta/llama", {"license": "llama2"}, kb)
    res = resolve(model({"license": "llama2"}), kb, {"meta/llama": llama})
    assert [link.repo_id for link in res.lineage] == ["meta/llama"]


def test_junk_base_model_values_are_reported(kb: KnowledgeBase) -> None:
    card = {"license": "mit", "base_model": ["./checkpoints/v1", "https://huggingface.co/x/y", 3, "acme/model"]}
    res = resolve(model(card), kb)
    assert [f.rule for f in res.findings] == ["base-model-invalid"] * 4
    assert res.lineage == () and res.commercial is Commercial.YES


def test_cycle_and_depth_messages_from_the_audit_runner_wording(kb: KnowledgeBase) -> None:
    """audit.py words its own errors; they must still read as a cycle / the depth cap."""
    for error, words in (
        ("cycle in base_model lineage: a/b -> c/d -> a/b", "loops back"),
        ("lineage deeper than 5 levels; not followed further", "beyond the lineage depth"),
    ):
        broken = ResolvedBase("org/base", "finetune", None, None, error)
        res = resolve(model({"license": "mit", "base_model": "org/base"}), kb, {"org/base": broken})
        assert words in res.findings[0].message


def test_a_code_license_alone_does_not_license_the_weights(kb: KnowledgeBase) -> None:
    res = resolve(model({}, files={"LICENSE-CODE": MIT_TEXT}), kb)
    assert res.keys == () and res.commercial is Commercial.UNKNOWN
    assert rules(res) == {"no-license": Severity.ERROR}
    assert "license_file" in res.findings[0].message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("yi-license", "LicenseRef-yi-license"),
        ("Some <b>Weird</b> License v1.2 ©", "LicenseRef-Some-b-Weird-b-License-v1.2"),
    ],
)
def test_unknown_license_name_is_named_but_never_known(kb: KnowledgeBase, name: str, expected: str) -> None:
    res = resolve(model({"license": "other", "license_name": name}), kb)
    assert res.expression == expected  # what the card declares, as an SPDX LicenseRef
    assert res.keys == ()
    assert res.commercial is Commercial.UNKNOWN
    assert res.confidence == 0.0
    assert rules(res)["license-unrecognised"] is Severity.ERROR


def test_unknown_name_without_letters_leaves_no_expression(kb: KnowledgeBase) -> None:
    assert resolve(model({"license": "other", "license_name": "???"}), kb).expression is None


@pytest.mark.parametrize(("kind", "severity"), [("missing", Severity.INFO), ("gated", Severity.WARNING)])
def test_a_missing_license_file_hides_nothing_but_an_unreadable_one_may(
    kb: KnowledgeBase, kind: str, severity: Severity
) -> None:
    problem = FileProblem("LICENSE", kind, "could not be read")
    res = resolve(model({"license": "mit", "license_link": "LICENSE"}, problems=(problem,)), kb)
    assert rules(res)["license-file-unreadable"] is severity
