"""Verdicts: each shipped policy and use over licenses representative of every category.

The tables are the policies' contract: if a policy file changes one of these answers, the change is
deliberate and the table is updated with it.
"""

from __future__ import annotations

import pytest
from test_policy_helpers import KB, load, rules_of, verdict

from auditor.licenses.entry import CATEGORIES
from auditor.models import Commercial, Status

OK = Status.APPROVED
OBL = Status.APPROVED_WITH_OBLIGATIONS
REVIEW = Status.NEEDS_REVIEW
BLOCKED = Status.BLOCKED

HUNYUAN = "tencent-hunyuan-community-eu-uk-kr"
STABILITY = "stabilityai-community"

# (policy, use, license key, expected verdict)
TABLE = [
    # The default policy declares no company facts: conditional licenses wait for them.
    ("policy", "commercial-product", "mit", OK),
    ("policy", "commercial-product", "apache-2.0", OK),
    ("policy", "commercial-product", "mpl-2.0", OBL),
    ("policy", "commercial-product", "gpl", REVIEW),
    ("policy", "commercial-product", "creativeml-openrail-m", OBL),
    ("policy", "commercial-product", "cc-by-nc-4.0", BLOCKED),
    ("policy", "commercial-product", "qwen-research", BLOCKED),
    ("policy", "commercial-product", "llama3.1", REVIEW),
    ("policy", "commercial-product", "qwen", REVIEW),
    ("policy", "commercial-product", STABILITY, REVIEW),
    ("policy", "commercial-product", HUNYUAN, REVIEW),
    ("policy", "commercial-product", "vendor-proprietary", BLOCKED),
    ("policy", "commercial-product", "other", REVIEW),
    ("policy", "internal-research", "mit", OK),
    ("policy", "internal-research", "gpl", OK),
    ("policy", "internal-research", "cc-by-nc-4.0", OK),
    ("policy", "internal-research", "qwen-research", OK),
    ("policy", "internal-research", "llama3.1", OBL),  # the acceptable-use policy binds every use
    ("policy", "internal-research", STABILITY, OK),
    ("policy", "internal-research", HUNYUAN, REVIEW),  # its territory exclusion binds every use
    ("policy", "internal-research", "creativeml-openrail-m", OBL),
    ("policy", "internal-research", "vendor-proprietary", REVIEW),
    ("policy", "internal-research", "other", REVIEW),
    ("policy", "saas", "mit", OK),
    ("policy", "saas", "agpl-3.0", REVIEW),
    ("policy", "saas", "cc-by-nc-4.0", BLOCKED),
    ("policy", "redistribution", "mit", OBL),
    ("policy", "redistribution", "vendor-proprietary", BLOCKED),
    ("policy", "fine-tune-and-distribute", "apache-2.0", OBL),
    ("policy", "fine-tune-and-distribute", "qwen-research", BLOCKED),
    # Strict enterprise: 250M MAU, USD 40B revenue, US/EU/GB/JP/KR.
    ("strict-enterprise", "commercial-product", "mit", OK),
    ("strict-enterprise", "commercial-product", "mpl-2.0", REVIEW),
    ("strict-enterprise", "commercial-product", "gpl", BLOCKED),
    ("strict-enterprise", "commercial-product", "agpl-3.0", BLOCKED),
    ("strict-enterprise", "commercial-product", "creativeml-openrail-m", REVIEW),
    ("strict-enterprise", "commercial-product", "cc-by-nc-4.0", BLOCKED),
    ("strict-enterprise", "commercial-product", "llama3.1", OBL),  # 250M is within 700M
    ("strict-enterprise", "commercial-product", "qwen", BLOCKED),  # 250M is above 100M
    ("strict-enterprise", "commercial-product", STABILITY, BLOCKED),  # revenue above USD 1M
    ("strict-enterprise", "commercial-product", HUNYUAN, BLOCKED),  # EU, GB and KR are excluded
    ("strict-enterprise", "commercial-product", "vendor-approval", BLOCKED),
    ("strict-enterprise", "commercial-product", "other", BLOCKED),
    ("strict-enterprise", "internal-research", "cc-by-nc-4.0", REVIEW),
    ("strict-enterprise", "internal-research", "qwen-research", REVIEW),
    ("strict-enterprise", "internal-research", "llama3.1", OBL),
    ("strict-enterprise", "internal-research", "qwen", OK),  # MAU limits bind commercial use only
    ("strict-enterprise", "internal-research", HUNYUAN, BLOCKED),
    ("strict-enterprise", "fine-tune-and-distribute", "llama3.1", REVIEW),
    ("strict-enterprise", "redistribution", "apache-2.0", OBL),
    # Research lab: 20k MAU, no revenue, DE.
    ("research-lab", "internal-research", "cc-by-nc-4.0", OK),
    ("research-lab", "internal-research", "qwen-research", OK),
    ("research-lab", "internal-research", "llama3.1", OBL),
    ("research-lab", "internal-research", STABILITY, OK),
    ("research-lab", "internal-research", HUNYUAN, BLOCKED),  # DE is in the EU
    ("research-lab", "internal-research", "other", REVIEW),
    ("research-lab", "public-demo", "cc-by-nc-4.0", OBL),
    ("research-lab", "public-demo", "qwen-research", REVIEW),
    ("research-lab", "public-demo", "vendor-proprietary", BLOCKED),
    ("research-lab", "fine-tune-and-distribute", "llama3.1", OBL),
    ("research-lab", "commercial-product", "mit", OBL),
    ("research-lab", "commercial-product", "llama3.1", REVIEW),
    ("research-lab", "commercial-product", "cc-by-nc-4.0", BLOCKED),
    # EU SaaS start-up: 150k MAU, USD 2.5M revenue, EU/GB/CH.
    ("eu-saas-startup", "saas", "mit", OK),
    ("eu-saas-startup", "saas", "apache-2.0", OK),  # `allow`: routine duties are listed, not flagged
    ("eu-saas-startup", "saas", "llama3.1", OBL),
    ("eu-saas-startup", "saas", "qwen", OBL),  # 150k is within 100M
    ("eu-saas-startup", "saas", STABILITY, BLOCKED),  # USD 2.5M is above USD 1M
    ("eu-saas-startup", "saas", HUNYUAN, BLOCKED),
    ("eu-saas-startup", "saas", "agpl-3.0", BLOCKED),  # a license entry overrides its category
    ("eu-saas-startup", "saas", "gpl", REVIEW),
    ("eu-saas-startup", "saas", "cc-by-nc-4.0", BLOCKED),
    ("eu-saas-startup", "saas", "qwen-research", BLOCKED),
    ("eu-saas-startup", "internal-research", STABILITY, OK),
    ("eu-saas-startup", "internal-research", "cc-by-nc-4.0", OK),
    ("eu-saas-startup", "internal-research", HUNYUAN, BLOCKED),
    ("eu-saas-startup", "commercial-product", "gpl", BLOCKED),
]


@pytest.mark.parametrize(("policy", "use", "key", "expected"), TABLE, ids=[f"{p}-{u}-{k}" for p, u, k, _ in TABLE])
def test_verdict_table(policy: str, use: str, key: str, expected: Status) -> None:
    result = verdict(load(policy), use, key)
    assert result.status is expected, (result.reason, rules_of(result))
    assert result.use == use
    assert result.reason
    assert "\n" not in result.reason
    for finding in result.findings:
        assert finding.rule
        assert finding.message
    if expected.rank >= Status.NEEDS_REVIEW.rank:
        # Whatever stops a model says how to move on.
        assert any(f.fix for f in result.findings if f.severity.rank > 0), rules_of(result)


def _entries_with(*, categories: tuple[str, ...] = (), commercial: tuple[Commercial, ...] = ()) -> list[str]:
    return [e.key for e in KB if e.category in categories or e.commercial in commercial]


@pytest.mark.parametrize("policy", ["policy", "strict-enterprise", "research-lab", "eu-saas-startup"])
def test_no_commercial_use_of_non_commercial_licenses(policy: str) -> None:
    loaded = load(policy)
    keys = _entries_with(categories=("non-commercial", "research-only"), commercial=(Commercial.NO,))
    assert keys
    for use in loaded.use_names:
        if not loaded.use(use).commercial:
            continue
        for key in keys:
            result = verdict(loaded, use, key)
            assert result.status is Status.BLOCKED, (policy, use, key, result.reason)


def test_default_policy_done_when() -> None:
    """The issue's acceptance: commercial-product approves permissive, blocks NC/research, names facts."""
    policy = load("policy")
    for entry in KB:
        result = verdict(policy, "commercial-product", entry.key)
        if entry.category == "permissive":
            assert result.status is Status.APPROVED, entry.key
        if entry.category in ("non-commercial", "research-only") or entry.commercial is Commercial.NO:
            assert result.status is Status.BLOCKED, entry.key
        if entry.commercial is Commercial.CONDITIONAL:
            assert result.status in (Status.APPROVED_WITH_OBLIGATIONS, Status.NEEDS_REVIEW), entry.key
            if result.status is Status.NEEDS_REVIEW and entry.conditions.any:
                assert "is not declared" in result.reason or "licensor's approval" in result.reason, result.reason
        research = verdict(policy, "internal-research", entry.key)
        if entry.category in ("non-commercial", "research-only"):
            assert research.status in (Status.APPROVED, Status.APPROVED_WITH_OBLIGATIONS), entry.key


def test_every_shipped_use_decides_every_category() -> None:
    """A category a use forgets silently means review; the shipped policies spell every one out."""
    for name in ("policy", "strict-enterprise", "research-lab", "eu-saas-startup"):
        policy = load(name)
        for use in policy.uses.values():
            assert set(use.categories) == set(CATEGORIES), (name, use.name)


def test_approved_reason_is_plain_english_and_the_policy_path_a_detail() -> None:
    result = verdict(load("policy"), "commercial-product", "mit")
    assert result.reason.startswith("MIT License")
    assert result.reason.endswith("is allowed for commercial-product (as a permissive license)")
    assert "uses." not in result.reason
    (deciding,) = result.deciding
    assert deciding.policy == "uses.commercial-product.categories.permissive"


def test_license_override_is_named_in_the_reason() -> None:
    result = verdict(load("eu-saas-startup"), "saas", "agpl-3.0")
    assert "by name in the policy" in result.reason and "uses." not in result.reason
    assert [f.policy for f in result.deciding] == ["uses.saas.licenses"]
    assert rules_of(result) == ["license-denied"]
