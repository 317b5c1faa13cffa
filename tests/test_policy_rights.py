"""The rights engine on a synthetic knowledge base (tests/fixtures/licenses/rights): each entry isolates
one kind of term, so these tests pin how rights, conditions, company facts and model properties combine,
whatever the real license data says. The real licenses are checked in test_policy_matrix.py."""

from __future__ import annotations

import dataclasses
import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from auditor.licenses import KnowledgeBase, ResolvedBase, load_knowledge_base, resolve
from auditor.licenses.rights import EntityType, Grant, Right
from auditor.models import HubModel, ModelRef, Status, Verdict
from auditor.policy import Company, Policy, evaluate, explain_verdict, load_policy

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "licenses" / "rights" / "licenses.yaml"
SHA = "0123456789abcdef0123456789abcdef01234567"
TODAY = datetime.date(2026, 7, 1)
OK = (Status.APPROVED, Status.APPROVED_WITH_OBLIGATIONS)


@cache
def kb() -> KnowledgeBase:
    return load_knowledge_base(FIXTURE)


@cache
def default_policy() -> Policy:
    return load_policy(None, kb())


def policy(**facts: Any) -> Policy:
    return dataclasses.replace(default_policy(), company=Company(**facts))


def model(card: dict[str, Any], repo_id: str = "org/model", tags: tuple[str, ...] = ()) -> HubModel:
    return HubModel(repo_id=repo_id, requested_revision=SHA, sha=SHA, card_data=card, tags=tags)


def judge(pol: Policy, use: str, hub: HubModel, bases: dict[str, ResolvedBase] | None = None) -> Verdict:
    resolution = resolve(hub, kb(), bases or {})
    return evaluate(
        ref=ModelRef(hub.repo_id, SHA), fetched=hub, resolution=resolution, policy=pol, kb=kb(), use=use, today=TODAY
    )


def licensed(key: str, **card: Any) -> HubModel:
    return model({"license": key, **card})


def text(v: Verdict) -> str:
    return " | ".join([v.reason, *(f.message for f in v.findings)])


# ------------------------------------------------------------------ a right withheld blocks, naming the clause


def test_a_withheld_right_blocks_the_use_that_needs_it_naming_the_clause() -> None:
    v = judge(policy(entity_type=EntityType.COMPANY), "fine-tune-and-distribute", licensed("no-derivatives"))
    assert v.status is Status.BLOCKED
    assert "share-derivatives" in v.reason and "but not Share, Adapted Material" in v.reason
    assert not any("Do not share" in o for o in v.obligations)  # a prohibition is never a duty
    assert any(f.rule == "license-restriction" and "Do not share" in f.message for f in v.findings)


@pytest.mark.parametrize("use", ["internal-research", "commercial-product", "saas", "redistribution"])
def test_the_same_license_clears_uses_that_do_not_need_the_withheld_right(use: str) -> None:
    v = judge(policy(entity_type=EntityType.COMPANY), use, licensed("no-derivatives"))
    assert v.status in OK, v.reason


def test_a_category_allowed_in_bulk_never_clears_a_withheld_right() -> None:
    base = default_policy()
    spec = base.use("fine-tune-and-distribute")
    assert spec.categories["permissive"].value.startswith("allow")
    v = judge(policy(entity_type=EntityType.COMPANY), "fine-tune-and-distribute", licensed("no-derivatives"))
    assert v.status is Status.BLOCKED
    assert any(f.rule == "license-allowed" for f in v.findings)  # the category said allow; the right decided


def test_train_on_outputs_is_checked_for_the_use_that_needs_it() -> None:
    v = judge(policy(entity_type=EntityType.COMPANY), "train-other-models", licensed("no-output-training"))
    assert v.status is Status.BLOCKED and "train-on-outputs" in v.reason and "s.1.b.v" in v.reason
    assert judge(policy(entity_type=EntityType.COMPANY), "saas", licensed("no-output-training")).status in OK


# ------------------------------------------------------------------ who may use it


@pytest.mark.parametrize(
    ("entity", "expected", "words"),
    [
        (EntityType.COMPANY, Status.BLOCKED, "does not grant company-use"),
        (None, Status.NEEDS_REVIEW, "company.entity_type is not declared"),
        (EntityType.ACADEMIC, Status.APPROVED, ""),
    ],
)
def test_research_license_that_excludes_companies(entity: EntityType | None, expected: Status, words: str) -> None:
    v = judge(policy(entity_type=entity, service_provider=False), "internal-research", licensed("research-no-company"))
    assert v.status is expected, v.reason
    assert words in v.reason
    if expected is not Status.APPROVED:
        assert "s.9" in v.reason  # the clause that settles it


def test_a_license_closed_to_individuals() -> None:
    pol = policy(entity_type=EntityType.INDIVIDUAL)
    v = judge(pol, "internal-research", licensed("individuals-excluded"))
    assert v.status is Status.BLOCKED and "individual-use" in v.reason
    company = judge(policy(entity_type=EntityType.COMPANY), "internal-research", licensed("individuals-excluded"))
    assert not any(f.rule == "right-denied" for f in company.findings)


@pytest.mark.parametrize(
    ("provider", "expected"),
    [(True, Status.BLOCKED), (None, Status.NEEDS_REVIEW), (False, Status.APPROVED_WITH_OBLIGATIONS)],
)
def test_service_providers(provider: bool | None, expected: Status) -> None:
    facts = {"daily_active_users": 10_000, "monthly_visits": 50_000, "entity_type": EntityType.COMPANY}
    v = judge(policy(service_provider=provider, **facts), "commercial-product", licensed("dau-capped"))
    assert v.status is expected, v.reason
    if provider is not False:
        assert "service-provider-use" in text(v) and "service_provider" in text(v)


# ------------------------------------------------------------------ conditional rights and company facts


@pytest.mark.parametrize(
    ("facts", "expected", "words"),
    [
        ({}, Status.NEEDS_REVIEW, "company.daily_active_users is not declared"),
        ({"daily_active_users": 2_000_000, "monthly_visits": 1}, Status.BLOCKED, "above the 1,000,000 daily"),
        ({"daily_active_users": 1, "monthly_visits": 20_000_000}, Status.BLOCKED, "monthly visits"),
        ({"daily_active_users": 999_999, "monthly_visits": 10_000_000}, Status.APPROVED_WITH_OBLIGATIONS, ""),
    ],
)
def test_daily_users_and_visits_thresholds(facts: dict[str, int], expected: Status, words: str) -> None:
    pol = policy(entity_type=EntityType.COMPANY, service_provider=False, **facts)
    v = judge(pol, "commercial-product", licensed("dau-capped"))
    assert v.status is expected, v.reason
    assert words in text(v)
    (check,) = [c for c in v.rights if c.right == Right.COMMERCIAL_USE.value]
    assert check.grant == Grant.CONDITIONAL.value and check.outcome is expected


def test_conditions_of_a_conditional_right_are_not_checked_for_a_use_that_does_not_need_it() -> None:
    v = judge(
        policy(entity_type=EntityType.COMPANY, service_provider=False), "internal-research", licensed("dau-capped")
    )
    assert v.status in OK and "daily_active_users" not in text(v)


def test_conditions_stated_only_in_prose_need_review() -> None:
    v = judge(policy(entity_type=EntityType.COMPANY), "commercial-product", licensed("conditional-prose"))
    assert v.status is Status.NEEDS_REVIEW
    assert any(f.rule == "condition-unverifiable" and "commercial-use" in f.message for f in v.findings)


def test_an_unknown_right_needs_review_naming_what_is_missing() -> None:
    v = judge(policy(entity_type=EntityType.COMPANY), "saas", licensed("unsettled-hosting"))
    assert v.status is Status.NEEDS_REVIEW
    assert "host-service" in v.reason and "not established" in v.reason
    assert (
        judge(policy(entity_type=EntityType.COMPANY), "commercial-product", licensed("unsettled-hosting")).status in OK
    )


# ------------------------------------------------------------------ model classes and where the licensee is established

VISION = {"pipeline_tag": "image-text-to-text"}
TEXT = {"pipeline_tag": "text-generation"}


@pytest.mark.parametrize("use", ["internal-research", "commercial-product", "saas", "fine-tune-and-distribute"])
def test_multimodal_model_withheld_from_a_company_established_in_the_eu(use: str) -> None:
    pol = policy(principal_place_of_business="DE", monthly_active_users=2_000_000, entity_type=EntityType.COMPANY)
    v = judge(pol, use, licensed("vision-community", **VISION))
    assert v.status is Status.BLOCKED, v.reason
    assert "multimodal" in v.reason and "principal place of business" in v.reason and "DE" in v.reason
    assert "pipeline_tag" in v.reason  # the evidence that the model is multimodal


def test_the_architecture_alone_shows_a_multimodal_model() -> None:
    pol = policy(principal_place_of_business="FR", monthly_active_users=1, entity_type=EntityType.COMPANY)
    hub = model({"license": "vision-community"}, tags=("transformers", "mllama"))
    v = judge(pol, "saas", hub)
    assert v.status is Status.BLOCKED and "tag mllama" in v.reason


def test_a_quantization_of_a_multimodal_model_is_multimodal() -> None:
    pol = policy(principal_place_of_business="DE", monthly_active_users=1, entity_type=EntityType.COMPANY)
    vision = resolve(licensed("vision-community", **VISION), kb())
    base = ResolvedBase("meta/vision", "quantized", SHA, vision)
    gguf = model({"license": "vision-community", "base_model": "meta/vision"}, repo_id="org/vision-gguf")
    v = judge(pol, "saas", gguf, {"meta/vision": base})
    assert v.status is Status.BLOCKED and "base meta/vision" in v.reason


@pytest.mark.parametrize(
    ("place", "card", "expected", "words"),
    [
        ("US", VISION, Status.APPROVED_WITH_OBLIGATIONS, ""),  # established outside the EU
        ("DE", TEXT, Status.APPROVED_WITH_OBLIGATIONS, ""),  # not a multimodal model
        (None, VISION, Status.NEEDS_REVIEW, "company.principal_place_of_business is not declared"),
        ("DE", {}, Status.NEEDS_REVIEW, "whether the model is multimodal is not established"),
        (None, {}, Status.NEEDS_REVIEW, "principal_place_of_business is not declared, and whether the model"),
    ],
)
def test_model_class_exclusion_settled_by_the_model_or_the_facts(
    place: str | None, card: dict[str, str], expected: Status, words: str
) -> None:
    # The company operates in the EU in every case: the term binds on establishment, not operations.
    pol = policy(
        principal_place_of_business=place,
        territories=("EU", "US"),
        monthly_active_users=1,
        entity_type=EntityType.COMPANY,
    )
    v = judge(pol, "commercial-product", licensed("vision-community", **card))
    assert v.status is expected, v.reason
    assert words in text(v)


# ------------------------------------------------------------------ every license in the lineage


def test_a_right_withheld_by_a_base_model_blocks_the_derivative_naming_the_chain() -> None:
    nd = ResolvedBase("org/nd-base", "finetune", SHA, resolve(licensed("no-derivatives"), kb()))
    tuned = model({"license": "permissive-all", "base_model": "org/nd-base"}, repo_id="org/tuned")
    v = judge(policy(entity_type=EntityType.COMPANY), "fine-tune-and-distribute", tuned, {"org/nd-base": nd})
    assert v.status is Status.BLOCKED
    denied = [f for f in v.findings if f.rule == "right-denied"]
    assert denied and "No Derivatives License (inherited from base model org/nd-base)" in denied[0].message
    assert {c.license for c in v.rights} == {"permissive-all", "no-derivatives"}


# ------------------------------------------------------------------ explain and invariants


def test_explain_shows_each_right_checked_with_its_answer_and_clause() -> None:
    pol = policy(entity_type=EntityType.COMPANY)
    v = judge(pol, "fine-tune-and-distribute", licensed("no-derivatives"))
    out = explain_verdict(v, pol, "fine-tune-and-distribute")
    assert "needs: commercial-use, modify, share-derivatives, company-use" in out
    assert "no-derivatives: share-derivatives = no -> blocked" in out
    assert 'clause: s.2(a)(1)(B) "produce and reproduce, but not Share, Adapted Material"' in out
    assert "no-derivatives: modify = yes -> approved" in out
    assert "entity_type:" in out and "company" in out


PROFILES = {
    "undeclared": {},
    "small-company": {
        "entity_type": EntityType.COMPANY,
        "service_provider": False,
        "monthly_active_users": 2_000_000,
        "daily_active_users": 100_000,
        "monthly_visits": 1_000_000,
        "annual_revenue_usd": 40_000_000,
        "territories": ("US",),
        "principal_place_of_business": "US",
    },
    "eu-provider": {
        "entity_type": EntityType.COMPANY,
        "service_provider": True,
        "principal_place_of_business": "DE",
        "territories": ("EU",),
    },
    "individual": {"entity_type": EntityType.INDIVIDUAL, "service_provider": False},
}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_no_verdict_clears_a_use_whose_needed_right_is_withheld(profile: str) -> None:
    pol = policy(**PROFILES[profile])
    for entry in kb():
        for card in (VISION, TEXT, {}):
            hub = licensed(entry.key, **card)
            for use in pol.use_names:
                v = judge(pol, use, hub)
                withheld = [
                    c for c in v.rights if c.grant == Grant.NO.value and not c.note.startswith("not applicable")
                ]
                if withheld:
                    assert v.status.rank >= Status.NEEDS_REVIEW.rank, (profile, entry.key, use, v.reason)
                assert not any(o.lower().startswith("do not") for o in v.obligations)
