"""License conditions against company facts: thresholds below, at and above; territories; missing facts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_policy_helpers import KB, SHA, TODAY, FakeKB, hub, resolution, rules_of, verdict, write_policy

from auditor.errors import PolicyError
from auditor.licenses.entry import Conditions
from auditor.models import Commercial, ModelRef, Status, Verdict
from auditor.policy import Policy, evaluate, load_policy

OBL = Status.APPROVED_WITH_OBLIGATIONS
REVIEW = Status.NEEDS_REVIEW
BLOCKED = Status.BLOCKED

TEMPLATE = """\
company:
  monthly_active_users: {mau}
  annual_revenue_usd: {revenue}
  territories: {territories}
default_use: product
uses:
  product:
    description: Sold to customers.
    commercial: true
    distributes: true
    modifies: false
    categories:
      community-conditional: allow-with-obligations
  research:
    description: Internal only.
    commercial: false
    distributes: false
    modifies: true
    categories:
      community-conditional: allow-with-obligations
rules:
  conditions:
    threshold_exceeded: {exceeded}
    registration_required: {registration}
    licensor_approval_required: {approval}
"""


def policy(
    tmp_path: Path,
    *,
    mau: object = "~",
    revenue: object = "~",
    territories: str = "~",
    exceeded: str = "deny",
    registration: str = "obligation",
    approval: str = "review",
) -> Policy:
    text = TEMPLATE.format(
        mau=mau,
        revenue=revenue,
        territories=territories,
        exceeded=exceeded,
        registration=registration,
        approval=approval,
    )
    return load_policy(write_policy(tmp_path, text), KB)


# (license, company facts, expected verdict for the commercial use, rule that decided it)
THRESHOLDS: list[tuple[str, dict[str, Any], Status, str]] = [
    ("llama3.1", {"mau": 5_000_000}, OBL, "condition-met"),
    ("llama3.1", {"mau": 699_999_999}, OBL, "condition-met"),
    ("llama3.1", {"mau": 700_000_000}, OBL, "condition-met"),  # at the limit: not "greater than" it
    ("llama3.1", {"mau": 700_000_001}, BLOCKED, "condition-threshold-exceeded"),
    ("llama3.1", {"mau": 700_000_001, "exceeded": "review"}, REVIEW, "condition-threshold-exceeded"),
    ("llama3.1", {}, REVIEW, "condition-fact-undeclared"),
    ("qwen", {"mau": 99_999_999}, OBL, "condition-met"),
    ("qwen", {"mau": 100_000_000}, OBL, "condition-met"),
    ("qwen", {"mau": 100_000_001}, BLOCKED, "condition-threshold-exceeded"),
    ("stabilityai-community", {"revenue": 999_999}, OBL, "condition-met"),
    ("stabilityai-community", {"revenue": 1_000_000}, OBL, "condition-met"),
    ("stabilityai-community", {"revenue": 1_000_001}, BLOCKED, "condition-threshold-exceeded"),
    ("stabilityai-community", {"revenue": 0}, OBL, "condition-met"),
    ("stabilityai-community", {}, REVIEW, "condition-fact-undeclared"),
    ("stabilityai-community", {"revenue": 10, "registration": "review"}, REVIEW, "condition-registration-required"),
    ("stabilityai-community", {"revenue": 10, "registration": "deny"}, BLOCKED, "condition-registration-required"),
    ("vendor-approval", {}, REVIEW, "condition-licensor-approval"),
    ("vendor-approval", {"approval": "deny"}, BLOCKED, "condition-licensor-approval"),
]


@pytest.mark.parametrize(
    ("key", "facts", "expected", "rule"),
    THRESHOLDS,
    ids=[f"{k}-{'-'.join(f'{a}={b}' for a, b in f.items()) or 'undeclared'}" for k, f, _, _ in THRESHOLDS],
)
def test_thresholds(tmp_path: Path, key: str, facts: dict[str, Any], expected: Status, rule: str) -> None:
    result = verdict(policy(tmp_path, **facts), "product", key)
    assert result.status is expected, (result.reason, rules_of(result))
    assert rule in rules_of(result)


def test_missing_fact_is_named_with_the_condition(tmp_path: Path) -> None:
    result = verdict(policy(tmp_path), "product", "llama3.1")
    assert result.status is REVIEW
    assert result.reason.startswith("company.monthly_active_users is not declared")
    assert "Llama 3.1 Community License Agreement" in result.reason
    assert "700,000,000 monthly active users" in result.reason
    (undeclared,) = [f for f in result.findings if f.rule == "condition-fact-undeclared"]
    assert undeclared.fix
    assert "company.monthly_active_users" in undeclared.fix


def test_revenue_fact_is_named(tmp_path: Path) -> None:
    result = verdict(policy(tmp_path, mau=10), "product", "stabilityai-community")
    assert "company.annual_revenue_usd is not declared" in result.reason
    assert "USD 1,000,000" in result.reason


def test_exceeded_threshold_says_both_numbers(tmp_path: Path) -> None:
    result = verdict(policy(tmp_path, mau=800_000_000), "product", "llama3.1")
    assert "800,000,000" in result.reason
    assert "700,000,000" in result.reason


def test_conditions_on_commercial_use_do_not_bind_internal_research(tmp_path: Path) -> None:
    for key in ("llama3.1", "qwen", "stabilityai-community", "vendor-approval"):
        result = verdict(policy(tmp_path), "research", key)
        assert result.status.rank <= OBL.rank, (key, result.reason)
        assert "condition-fact-undeclared" not in rules_of(result)


def test_met_threshold_becomes_an_obligation(tmp_path: Path) -> None:
    result = verdict(policy(tmp_path, mau=1_000), "product", "llama3.1")
    assert any("700,000,000" in o for o in result.obligations)


def test_registration_becomes_an_obligation(tmp_path: Path) -> None:
    result = verdict(policy(tmp_path, revenue=10), "product", "stabilityai-community")
    assert result.status is OBL
    assert any(o.startswith("Register with the licensor") for o in result.obligations)


HUNYUAN = "tencent-hunyuan-community-eu-uk-kr"

# (company territories, expected verdict): EU, GB and KR are excluded; EU means every member state.
TERRITORIES = [
    ("[EU]", BLOCKED),
    ("[GB]", BLOCKED),
    ("[KR]", BLOCKED),
    ("[US, KR]", BLOCKED),
    ("[DE]", BLOCKED),
    ("[FR, US]", BLOCKED),
    ("[IE]", BLOCKED),
    ("[US]", OBL),
    ("[US, JP, CH]", OBL),
    ("['NO', IS, LI]", OBL),  # the EEA is not the EU
    ("~", REVIEW),
]


@pytest.mark.parametrize(("territories", "expected"), TERRITORIES, ids=[t for t, _ in TERRITORIES])
def test_territory_exclusions(tmp_path: Path, territories: str, expected: Status) -> None:
    loaded = policy(tmp_path, mau=1_000, territories=territories)
    result = verdict(loaded, "product", HUNYUAN)
    assert result.status is expected, (result.reason, rules_of(result))
    # A license that does not apply in a territory grants nothing there, for any use.
    # Research has no duties under this license, so allowed is plainly approved there.
    research = Status.APPROVED if expected is OBL else expected
    assert verdict(loaded, "research", HUNYUAN).status is research


def test_excluded_territory_is_named(tmp_path: Path) -> None:
    result = verdict(policy(tmp_path, mau=1_000, territories="[US, EU]"), "product", HUNYUAN)
    assert "EU" in result.reason
    assert rules_of(result).count("condition-territory-excluded") == 1


def test_license_excluding_a_member_state_matches_company_eu(tmp_path: Path) -> None:
    entry = KB.get(HUNYUAN)
    assert entry is not None
    french = replace(entry, key="fr-only", conditions=replace(entry.conditions, excluded_territories=("FR",)))
    result = evaluate(
        ref=ModelRef("org/m", SHA),
        fetched=hub("org/m"),
        resolution=resolution("fr-only", commercial=entry.commercial),
        policy=policy(tmp_path, mau=1_000, territories="[EU]"),
        kb=FakeKB([french]),
        use="product",
        today=TODAY,
    )
    assert result.status is BLOCKED
    assert "company operates in EU" in result.reason


def test_bare_norway_code_is_explained(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="write it in quotes: 'NO'"):
        policy(tmp_path, territories="[NO]")


def test_uk_is_not_an_iso_code(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="write 'GB'"):
        policy(tmp_path, territories="[UK]")


def test_conditional_license_without_checkable_conditions_needs_review(tmp_path: Path) -> None:
    entry = KB.get("llama3.1")
    assert entry is not None
    prose = replace(entry, key="prose-only", conditions=Conditions(notes="Only if you follow our guardrails."))
    loaded = policy(tmp_path, mau=1_000)

    def judge(use: str) -> Verdict:
        return evaluate(
            ref=ModelRef("org/m", SHA),
            fetched=hub("org/m"),
            resolution=resolution("prose-only", commercial=Commercial.CONDITIONAL),
            policy=loaded,
            kb=FakeKB([prose]),
            use=use,
            today=TODAY,
        )

    product = judge("product")
    assert product.status is REVIEW
    assert "condition-unverifiable" in rules_of(product)
    assert "Only if you follow our guardrails." in product.reason
    assert judge("research").status is OBL  # the conditions are on commercial use
