"""The per-run memos of resolution (licenses/memo.py) and evaluation (policy/evaluate.LicenseSteps) never
change an answer: a model answered from a memo gets exactly what it would get computed on its own, and
two models share an answer only when they show the same evidence."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.licenses import KnowledgeBase, load_knowledge_base, resolve
from auditor.licenses import memo as memo_module
from auditor.licenses.memo import Unkeyable, plain
from auditor.licenses.rights import ModelClass
from auditor.models import (
    Commercial,
    FileProblem,
    Finding,
    HubModel,
    LicenseFile,
    LicenseResolution,
    LineageLink,
    ModelRef,
    ModelTrait,
    Relation,
    Severity,
    Status,
    Verdict,
)
from auditor.policy import Policy, evaluate, load_policy
from auditor.policy.evaluate import LicenseSteps
from auditor.policy.model import Decision

KB = load_knowledge_base()
SHA = "c" * 40
TODAY = datetime.date(2026, 7, 1)
MIT = "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy"


def fresh_kb() -> KnowledgeBase:
    """The bundled knowledge base as a new object: its memo starts empty."""
    return KnowledgeBase(list(KB), path=KB.path, reference_texts=KB.reference_texts)


def hub(card: dict[str, Any], repo_id: str = "acme/model", **fields: Any) -> HubModel:
    return HubModel(repo_id, "main", SHA, card_data=card, **fields)


def test_models_with_the_same_evidence_share_one_remembered_answer() -> None:
    kb = fresh_kb()
    first = resolve(hub({"license": "apache-2.0"}, "acme/one", tags=("license:apache-2.0", "region:us")), kb)
    second = resolve(hub({"license": "apache-2.0"}, "other/two", tags=("license:apache-2.0", "pytorch")), kb)
    assert first == second
    assert len(kb.memo) == 1  # the id and the tags no license depends on are not part of the key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({"license": "apache-2.0"}, {"license": "mit"}),
        ({"license": "mit"}, {"license": ["mit"]}),  # a list is not its one string
        ({"license": "other", "license_name": "llama2"}, {"license": "other", "license_name": "llama3"}),
        ({"license": "other", "license_link": "LICENSE"}, {"license": "other", "license_link": "LICENSE.md"}),
    ],
)
def test_any_difference_in_what_resolution_reads_is_a_different_key(one: dict[str, Any], other: dict[str, Any]) -> None:
    kb = fresh_kb()
    resolve(hub(one), kb)
    resolve(hub(other), kb)
    assert len(kb.memo) == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"tags": ("license:mit",)},
        {"license_files": (LicenseFile("LICENSE", MIT),)},
        {"license_files": (LicenseFile("LICENSE", MIT, truncated=True),)},
        {"file_problems": (FileProblem("LICENSE", "gated", "401"),)},
        {"card_error": "bad YAML"},
    ],
)
def test_tags_files_and_problems_are_part_of_the_key(fields: dict[str, Any]) -> None:
    kb = fresh_kb()
    plain_card = resolve(hub({}), kb)
    changed = resolve(hub({}, **fields), kb)
    assert len(kb.memo) == 2
    assert changed == resolve(hub({}, **fields), fresh_kb())
    assert plain_card != changed


@pytest.mark.parametrize("value", [1, True, 1.0, {"name": "mit"}, ["mit", 1], ("mit",)])
def test_values_without_an_exact_key_are_never_remembered(value: object) -> None:
    with pytest.raises(Unkeyable):
        plain(value)
    kb = fresh_kb()
    resolve(hub({"license": value}), kb)
    assert len(kb.memo) == 0
    # `license: 1` and `license: true` are equal as Python keys, but say different things
    assert resolve(hub({"license": 1}), kb).evidence != resolve(hub({"license": True}), kb).evidence


def test_a_full_memo_keeps_answering_without_keeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo_module, "MAX_REMEMBERED", 1)
    kb = fresh_kb()
    apache, mit = resolve(hub({"license": "apache-2.0"}), kb), resolve(hub({"license": "mit"}), kb)
    assert len(kb.memo) == 1
    assert (apache.keys, mit.keys) == (("apache-2.0",), ("mit",))


# Card values as strangers write them: real ids, near misses, lists, and the YAML surprises.
_ids = st.sampled_from(["apache-2.0", "mit", "llama2", "other", "unknown", "cc-by-nc-4.0", "MIT OR llama2", "???"])
_values = st.one_of(_ids, st.lists(_ids, max_size=3), st.integers(0, 2), st.booleans(), st.none(), st.text(max_size=8))
_texts = st.sampled_from([MIT, "Apache License\nVersion 2.0, January 2004", "", "our own terms"])


@st.composite
def _cards(draw: st.DrawFn) -> dict[str, Any]:
    return {key: draw(_values) for key in ("license", "license_name", "license_link") if draw(st.booleans())}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _cards(),
    st.lists(_ids.map(lambda s: f"license:{s}"), max_size=2),
    st.lists(_texts, max_size=2),
    st.sampled_from([None, "org/base"]),
)
def test_a_remembered_answer_is_the_computed_one(
    card: dict[str, Any], tags: list[str], texts: list[str], base: str | None
) -> None:
    files = tuple(LicenseFile(f"LICENSE{i}", text) for i, text in enumerate(texts))
    kb = fresh_kb()
    resolve(hub(card, "first/model", tags=tuple(tags), license_files=files), kb)  # fills the memo
    other = hub({**card, "base_model": base} if base else card, "second/model", tags=tuple(tags), license_files=files)
    assert resolve(other, kb) == resolve(other, fresh_kb())


# ------------------------------------------------------------------ evaluation


def _policy() -> Policy:
    return load_policy(None, KB)


def _verdict(resolution: LicenseResolution, policy: Policy, use: str, memo: LicenseSteps | None) -> Verdict:
    model = HubModel("org/model", "main", SHA)
    return evaluate(
        ref=ModelRef("org/model"), fetched=model, resolution=resolution, policy=policy, kb=KB, use=use, today=TODAY,
        memo=memo,
    )  # fmt: skip


def _resolutions() -> list[LicenseResolution]:
    """Every license alone, then resolutions that differ from another in one field the verdict reads."""
    out = [LicenseResolution(e.identifier, (e.key,), e.commercial, 1.0) for e in KB]
    llama = LicenseResolution("LicenseRef-llama3.2", ("llama3.2",), Commercial.CONDITIONAL, 1.0)
    finding = Finding("license-conflict", Severity.ERROR, "the card and LICENSE disagree")
    link = LineageLink("meta/base", Relation.FINETUNE, "org/model", 1, SHA, "LicenseRef-llama3.2", ("llama3.2",))
    for trait in (True, False, None):
        evidence = "pipeline_tag image-text-to-text" if trait else "nothing"
        out.append(dataclasses.replace(llama, traits=(ModelTrait(ModelClass.MULTIMODAL.value, trait, evidence),)))
    out += [
        dataclasses.replace(llama, confidence=0.3),
        dataclasses.replace(llama, findings=(finding,)),
        dataclasses.replace(llama, commercial=Commercial.UNKNOWN),
        dataclasses.replace(llama, keys=(), inherited_keys=("llama3.2",), lineage=(link,)),
        dataclasses.replace(llama, keys=("mit",), inherited_keys=("llama3.2",), lineage=(link,)),
    ]
    other_base = dataclasses.replace(link, repo_id="x/y")
    out.append(dataclasses.replace(llama, keys=("mit",), inherited_keys=("llama3.2",), lineage=(other_base,)))
    return out


def test_remembered_license_steps_give_the_verdicts_computed_alone() -> None:
    policy = _policy()
    memo = LicenseSteps(policy, KB)
    resolutions = _resolutions()
    for use in policy.uses:
        for _ in range(2):  # the second round is answered from the memo
            for resolution in resolutions:
                assert _verdict(resolution, policy, use, memo) == _verdict(resolution, policy, use, None)


def test_fine_tunes_of_one_base_share_their_license_steps() -> None:
    policy = _policy()
    memo = LicenseSteps(policy, KB)
    link = LineageLink("meta/base", Relation.FINETUNE, "org/one", 1, SHA, "LicenseRef-llama3.2", ("llama3.2",))
    deep = LineageLink("meta/root", Relation.FINETUNE, "meta/base", 2, SHA, "MIT", ("mit",))
    one = LicenseResolution(
        None, (), Commercial.CONDITIONAL, 1.0, inherited_keys=("llama3.2", "mit"), lineage=(link, deep)
    )
    two = dataclasses.replace(one, lineage=(dataclasses.replace(link, parent="org/two"), deep))
    for resolution in (one, two):
        assert _verdict(resolution, policy, "saas", memo) == _verdict(resolution, policy, "saas", None)
    assert len(memo._kept) == 1
    # further up, the parent says which chain a license comes down: a different one is another key
    three = dataclasses.replace(one, lineage=(link, dataclasses.replace(deep, parent="meta/other")))
    assert _verdict(three, policy, "saas", memo) == _verdict(three, policy, "saas", None)
    assert len(memo._kept) == 2


def test_a_memo_for_another_policy_is_not_used() -> None:
    policy = _policy()
    memo = LicenseSteps(policy, KB)
    resolution = LicenseResolution("MIT", ("mit",), Commercial.YES, 1.0)
    _verdict(resolution, policy, policy.default_use, memo)
    denied = {name: dataclasses.replace(spec, licenses={"mit": Decision.DENY}) for name, spec in policy.uses.items()}
    strict = dataclasses.replace(policy, uses=denied)
    use = strict.default_use
    assert _verdict(resolution, strict, use, memo) == _verdict(resolution, strict, use, None)
    assert _verdict(resolution, strict, use, None).status is Status.BLOCKED
