"""The shipped policies against the real knowledge base (rules/licenses.yaml): the issue's "done when".

The other policy tests use a small hand-made knowledge base so they pin the policy logic; these check
that the policies and the real license facts together give the answers the company expects.
"""

from __future__ import annotations

from functools import cache

import pytest
from test_policy_helpers import EXAMPLES, RULES, SHA, TODAY, hub

from auditor.licenses.entry import LicenseEntry
from auditor.licenses.knowledge import KnowledgeBase, load_knowledge_base
from auditor.licenses.rights import Grant
from auditor.models import Commercial, LicenseResolution, ModelRef, Status, Verdict
from auditor.policy import Policy, evaluate, load_policy

POLICIES = ["policy", "strict-enterprise", "research-lab", "eu-saas-startup"]


@cache
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@cache
def shipped(name: str) -> Policy:
    path = RULES / "policy.yaml" if name == "policy" else EXAMPLES / f"{name}.yaml"
    return load_policy(path, kb())


def judge(policy: Policy, use: str, entry: LicenseEntry) -> Verdict:
    resolution = LicenseResolution(
        expression=entry.identifier, keys=(entry.key,), commercial=entry.commercial, confidence=1.0
    )
    return evaluate(
        ref=ModelRef("org/model", SHA),
        fetched=hub(),
        resolution=resolution,
        policy=policy,
        kb=kb(),
        use=use,
        today=TODAY,
    )


@pytest.mark.parametrize("name", POLICIES)
def test_shipped_policies_load_against_the_real_knowledge_base(name: str) -> None:
    assert shipped(name).use_names


def entries() -> list[LicenseEntry]:
    return list(kb())


def test_default_commercial_product_never_approves_non_commercial_or_research() -> None:
    policy = shipped("policy")
    restricted = [e for e in entries() if e.category in ("non-commercial", "research-only")]
    restricted += [e for e in entries() if e.commercial is Commercial.NO]
    assert restricted
    for entry in restricted:
        result = judge(policy, "commercial-product", entry)
        assert result.status is Status.BLOCKED, (entry.key, result.reason)


def test_default_commercial_product_approves_permissive_licenses() -> None:
    policy = shipped("policy")
    permissive = [e for e in entries() if e.category == "permissive" and e.commercial is Commercial.YES]
    assert len(permissive) > 10
    for entry in permissive:
        result = judge(policy, "commercial-product", entry)
        assert result.status is Status.APPROVED, (entry.key, result.reason)


def test_default_commercial_product_conditional_licenses_name_the_missing_fact() -> None:
    policy = shipped("policy")
    conditional = [e for e in entries() if e.commercial is Commercial.CONDITIONAL]
    assert conditional
    for entry in conditional:
        result = judge(policy, "commercial-product", entry)
        assert result.status in (Status.APPROVED_WITH_OBLIGATIONS, Status.NEEDS_REVIEW), (entry.key, result.reason)
        c = entry.conditions
        if c.max_monthly_active_users is not None or c.max_annual_revenue_usd is not None or c.excluded_territories:
            assert result.status is Status.NEEDS_REVIEW, entry.key
            assert "is not declared" in result.reason, (entry.key, result.reason)


def test_default_internal_research_allows_research_licenses_that_grant_what_research_needs() -> None:
    """The research category is allowed in bulk, but never clears a right the license withholds (the
    MRL excludes use by companies' employees: no company policy may call that research)."""
    policy = shipped("policy")
    needs = policy.use("internal-research").needs
    seen = {"granted": 0, "withheld": 0}
    for entry in entries():
        if entry.category not in ("non-commercial", "research-only") or entry.conditions.excluded_territories:
            continue
        result = judge(policy, "internal-research", entry)
        if all(entry.right(right).grant is Grant.YES for right in needs):
            seen["granted"] += 1
            assert result.status in (Status.APPROVED, Status.APPROVED_WITH_OBLIGATIONS), (entry.key, result.reason)
        else:
            seen["withheld"] += 1
            assert result.status.rank >= Status.NEEDS_REVIEW.rank, (entry.key, result.reason)
    assert seen["granted"] and seen["withheld"]


@pytest.mark.parametrize("name", POLICIES)
def test_unknown_licenses_are_never_approved(name: str) -> None:
    policy = shipped(name)
    for entry in entries():
        if entry.category != "unknown" and entry.commercial is not Commercial.UNKNOWN:
            continue
        for use in policy.use_names:
            result = judge(policy, use, entry)
            if policy.use(use).commercial or entry.category == "unknown":
                assert result.status.rank >= Status.NEEDS_REVIEW.rank, (name, use, entry.key, result.reason)


CASES = [
    # (policy, use, license key, expected, text expected in the obligations or reason)
    ("eu-saas-startup", "saas", "llama3.1", Status.APPROVED_WITH_OBLIGATIONS, "Built with Llama"),
    ("eu-saas-startup", "saas", "tencent-hunyuan-community-eu-uk-kr", Status.BLOCKED, "EU, GB"),
    ("eu-saas-startup", "saas", "stabilityai-community", Status.BLOCKED, "USD 2,500,000"),
    ("eu-saas-startup", "internal-research", "stabilityai-community", Status.APPROVED_WITH_OBLIGATIONS, ""),
    ("strict-enterprise", "commercial-product", "qwen", Status.BLOCKED, "250,000,000"),
    ("strict-enterprise", "commercial-product", "llama3.1", Status.APPROVED_WITH_OBLIGATIONS, "Built with Llama"),
    ("strict-enterprise", "commercial-product", "cc-by-nc-4.0", Status.BLOCKED, ""),
    ("research-lab", "internal-research", "cc-by-nc-4.0", Status.APPROVED, ""),
    ("research-lab", "internal-research", "qwen-research", Status.APPROVED, ""),
    # An academic lab is not the company the MRL excludes (s.9 Research Purposes).
    ("research-lab", "internal-research", "mistral-mrl", Status.APPROVED, ""),
    ("research-lab", "internal-research", "tencent-hunyuan-community-eu", Status.BLOCKED, "DE"),
    ("policy", "commercial-product", "mit", Status.APPROVED, ""),
    ("policy", "commercial-product", "apache-2.0", Status.APPROVED, ""),
    ("policy", "commercial-product", "llama3.1", Status.NEEDS_REVIEW, "company.monthly_active_users is not declared"),
]


@pytest.mark.parametrize(
    ("name", "use", "key", "expected", "text"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]
)
def test_real_licenses(name: str, use: str, key: str, expected: Status, text: str) -> None:
    entry = kb().get(key)
    assert entry is not None, key
    result = judge(shipped(name), use, entry)
    assert result.status is expected, result.reason
    assert text in result.reason + " ".join(result.obligations)
