"""Fail-closed rules, metadata rules and obligations: what the evidence and the repo do to a verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_policy_helpers import KB, SHA, TODAY, finding, hub, load, resolution, rules_of, verdict, write_policy

from auditor.errors import UsageError
from auditor.models import (
    Commercial,
    FetchError,
    FetchErrorKind,
    Finding,
    LineageLink,
    ModelRef,
    Relation,
    Severity,
    Status,
)
from auditor.policy import evaluate, load_policy

DEFAULT = load("policy")


# ------------------------------------------------------------------ fail closed


FAIL_CLOSED = [
    # (case, keys, resolution arguments, use, expected)
    ("commercial-unknown", ("mit",), {"commercial": Commercial.UNKNOWN}, "commercial-product", Status.NEEDS_REVIEW),
    ("commercial-no-vs-permissive", ("mit",), {"commercial": Commercial.NO}, "commercial-product", Status.BLOCKED),
    ("no-license", (), {"findings": [finding("no-license")]}, "commercial-product", Status.NEEDS_REVIEW),
    ("no-license-research", (), {"findings": [finding("no-license")]}, "internal-research", Status.NEEDS_REVIEW),
    ("no-keys-no-finding", (), {}, "internal-research", Status.NEEDS_REVIEW),
    (
        "other-unnamed",
        ("other",),
        {"findings": [finding("license-other-unnamed")]},
        "internal-research",
        Status.NEEDS_REVIEW,
    ),
    ("not-in-kb", ("made-up-license",), {}, "internal-research", Status.NEEDS_REVIEW),
    (
        "conflict-with-base-research",
        ("mit",),
        {"inherited": ("cc-by-nc-4.0",), "findings": [finding("license-conflict-with-base", Severity.WARNING)]},
        "internal-research",
        Status.NEEDS_REVIEW,
    ),
    (
        "conflict-with-base-product",
        ("mit",),
        {"inherited": ("cc-by-nc-4.0",), "findings": [finding("license-conflict-with-base", Severity.WARNING)]},
        "commercial-product",
        Status.BLOCKED,
    ),
    (
        "inherited-nc-without-finding",
        ("apache-2.0",),
        {"inherited": ("cc-by-nc-4.0",)},
        "commercial-product",
        Status.BLOCKED,
    ),
    (
        "base-unresolved",
        ("mit",),
        {"findings": [finding("base-unresolved", Severity.WARNING)]},
        "internal-research",
        Status.NEEDS_REVIEW,
    ),
    (
        "license-conflict",
        ("mit",),
        {"findings": [finding("license-conflict")]},
        "internal-research",
        Status.NEEDS_REVIEW,
    ),
    (
        "unmapped-error-finding",
        ("mit",),
        {"findings": [finding("license-file-unreadable")]},
        "internal-research",
        Status.NEEDS_REVIEW,
    ),
    (
        "unmapped-warning-finding",
        ("mit",),
        {"findings": [finding("license-text-ambiguous", Severity.WARNING)]},
        "internal-research",
        Status.NEEDS_REVIEW,
    ),
    (
        "info-finding-decides-nothing",
        ("mit",),
        {"findings": [finding("license-other-unnamed", Severity.INFO)]},
        "internal-research",
        Status.APPROVED,
    ),
    ("low-confidence", ("mit",), {"confidence": 0.3}, "internal-research", Status.NEEDS_REVIEW),
    ("confident-enough", ("mit",), {"confidence": 0.5}, "internal-research", Status.APPROVED),
]


@pytest.mark.parametrize(
    ("keys", "kwargs", "use", "expected"), [c[1:] for c in FAIL_CLOSED], ids=[c[0] for c in FAIL_CLOSED]
)
def test_fail_closed(keys: tuple[str, ...], kwargs: dict[str, Any], use: str, expected: Status) -> None:
    result = verdict(DEFAULT, use, *keys, **kwargs)
    assert result.status is expected, (result.reason, rules_of(result))


def test_missing_license_can_be_denied(tmp_path: Path) -> None:
    text = (Path(DEFAULT.path).read_text()).replace("  missing_license: review", "  missing_license: deny")
    strict = load_policy(write_policy(tmp_path, text), KB)
    result = verdict(strict, "internal-research", findings=[finding("no-license")])
    assert result.status is Status.BLOCKED


def test_resolution_findings_are_kept_with_the_policy_effect() -> None:
    original = Finding("license-conflict-with-base", Severity.WARNING, "base says NC", "check the base", "org/base")
    result = verdict(DEFAULT, "internal-research", "mit", findings=[original])
    (kept,) = [f for f in result.findings if f.rule == "license-conflict-with-base"]
    assert (kept.message, kept.fix, kept.subject) == ("base says NC", "check the base", "org/base")
    assert kept.severity is Severity.WARNING


def test_untrusted_text_is_one_bounded_line() -> None:
    evil = Finding("license-unrecognised", Severity.ERROR, "line one\nline two\x1b[31m" + "x" * 5000)
    result = verdict(DEFAULT, "commercial-product", findings=[evil])
    assert result.status is Status.NEEDS_REVIEW
    assert "\n" not in result.reason
    assert "\x1b" not in result.reason
    assert len(result.reason) <= 240
    (kept,) = [f for f in result.findings if f.rule == "license-unrecognised"]
    assert "\n" not in kept.message
    assert len(kept.message) <= 300


def test_fetch_error_is_an_error_verdict_with_a_fix() -> None:
    for kind in FetchErrorKind:
        error = FetchError("org/missing", "main", kind, "boom")
        result = evaluate(
            ref=ModelRef("org/missing"), fetched=error, resolution=None, policy=DEFAULT, kb=KB, use="saas", today=TODAY
        )
        assert result.status is Status.ERROR
        (only,) = result.findings
        assert only.rule == f"fetch-{kind.value}"
        assert only.severity is Severity.ERROR
        assert only.fix, kind
    not_found = FetchError("org/missing", "main", FetchErrorKind.NOT_FOUND, "404")
    result = evaluate(
        ref=ModelRef("org/missing"), fetched=not_found, resolution=None, policy=DEFAULT, kb=KB, use="saas", today=TODAY
    )
    assert "check the id" in (result.findings[0].fix or "")
    assert "--token" in (result.findings[0].fix or "")


def test_missing_resolution_is_an_error() -> None:
    result = evaluate(
        ref=ModelRef("org/m"), fetched=hub("org/m"), resolution=None, policy=DEFAULT, kb=KB, use="saas", today=TODAY
    )
    assert result.status is Status.ERROR


def test_unknown_use_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="internal-research"):
        verdict(DEFAULT, "world-domination", "mit")


def test_category_a_use_leaves_out_needs_review(tmp_path: Path) -> None:
    text = """\
default_use: u
uses:
  u:
    description: d
    commercial: false
    distributes: false
    modifies: false
    categories:
      permissive: allow
"""
    policy = load_policy(write_policy(tmp_path, text), KB)
    assert verdict(policy, "u", "mit").status is Status.APPROVED
    result = verdict(policy, "u", "gpl")
    assert result.status is Status.NEEDS_REVIEW
    assert rules_of(result) == ["policy-no-decision"]


# ------------------------------------------------------------------ metadata rules


def test_gated_repo_warns_by_default_and_needs_review_when_strict() -> None:
    gated = hub("org/m", gated="manual")
    default = verdict(DEFAULT, "commercial-product", "mit", fetched=gated)
    assert default.status is Status.APPROVED
    assert "gated-repo" in rules_of(default)
    strict = verdict(load("strict-enterprise"), "commercial-product", "mit", fetched=gated)
    assert strict.status is Status.NEEDS_REVIEW


def test_gated_repo_as_an_obligation(tmp_path: Path) -> None:
    text = Path(DEFAULT.path).read_text().replace("  gated_repo: warn", "  gated_repo: obligation")
    policy = load_policy(write_policy(tmp_path, text), KB)
    result = verdict(policy, "commercial-product", "mit", fetched=hub("org/m", gated="auto"))
    assert result.status is Status.APPROVED_WITH_OBLIGATIONS
    assert any("access terms" in o for o in result.obligations)


def test_unpinned_revision() -> None:
    default = verdict(DEFAULT, "commercial-product", "mit", revision=None)
    assert default.status is Status.APPROVED
    assert "revision-not-pinned" in rules_of(default)
    strict = verdict(load("strict-enterprise"), "commercial-product", "mit", revision="main")
    assert strict.status is Status.BLOCKED
    (pin,) = [f for f in strict.findings if f.rule == "revision-not-pinned"]
    assert pin.fix
    assert SHA in pin.fix
    pinned = verdict(load("strict-enterprise"), "commercial-product", "mit", revision=SHA[:7])
    assert pinned.status is Status.APPROVED


ORGS = """\
default_use: u
uses:
  u:
    description: d
    commercial: true
    distributes: true
    modifies: false
    categories:
      permissive: allow
rules:
  orgs:
    deny: [BadCorp]
    allow: {allow}
"""


def test_denied_org_blocks_the_model_and_its_derivatives(tmp_path: Path) -> None:
    policy = load_policy(write_policy(tmp_path, ORGS.format(allow="[]")), KB)
    assert verdict(policy, "u", "mit", repo_id="badcorp/model").status is Status.BLOCKED
    assert verdict(policy, "u", "mit", repo_id="good/model").status is Status.APPROVED
    base = LineageLink(repo_id="BadCorp/base", relation=Relation.FINETUNE, parent="good/model", depth=1)
    derived = verdict(policy, "u", "mit", repo_id="good/model", lineage=[base])
    assert derived.status is Status.BLOCKED
    assert any(f.rule == "org-denied" and f.subject == "BadCorp/base" for f in derived.findings)


def test_allow_list_sends_other_orgs_to_review(tmp_path: Path) -> None:
    policy = load_policy(write_policy(tmp_path, ORGS.format(allow="[trusted]")), KB)
    assert verdict(policy, "u", "mit", repo_id="Trusted/model").status is Status.APPROVED
    other = verdict(policy, "u", "mit", repo_id="someone/model")
    assert other.status is Status.NEEDS_REVIEW
    assert other.reason.startswith("the publisher 'someone' is not on the policy's allow list")


# ------------------------------------------------------------------ obligations


LLAMA_ALWAYS = "Comply with the Llama 3.1 Acceptable Use Policy"
LLAMA_COPY = "Give recipients a copy of the Llama 3.1 Community License"
LLAMA_BUILT = "Display 'Built with Llama' prominently"
LLAMA_NAME = "Begin the name of a distributed derivative model with 'Llama'"


@pytest.mark.parametrize(
    ("use", "expected"),
    [
        ("internal-research", [LLAMA_ALWAYS]),  # modifies, but nothing leaves the company
        ("commercial-product", [LLAMA_ALWAYS, LLAMA_COPY, LLAMA_BUILT]),
        ("saas", [LLAMA_ALWAYS, LLAMA_COPY, LLAMA_BUILT]),  # hosting counts as distribution
        ("redistribution", [LLAMA_ALWAYS, LLAMA_COPY, LLAMA_BUILT]),
        ("fine-tune-and-distribute", [LLAMA_ALWAYS, LLAMA_COPY, LLAMA_BUILT, LLAMA_NAME]),
    ],
)
def test_obligations_follow_the_use(use: str, expected: list[str]) -> None:
    assert list(verdict(DEFAULT, use, "llama3.1").obligations) == expected


def test_default_policy_obligations_by_use() -> None:
    research = verdict(DEFAULT, "internal-research", "apache-2.0")
    assert research.obligations == ()
    product = verdict(DEFAULT, "commercial-product", "apache-2.0")
    assert product.obligations == ("Include the Apache-2.0 license text", "Keep the NOTICE file")
    tuned = verdict(DEFAULT, "fine-tune-and-distribute", "apache-2.0")
    assert tuned.obligations[-1] == "Mark modified files as changed"


def test_inherited_obligations_are_collected_once_in_order() -> None:
    result = verdict(load("eu-saas-startup"), "commercial-product", "apache-2.0", inherited=("llama3.1", "apache-2.0"))
    assert result.obligations[:3] == (
        "Include the Apache-2.0 license text",
        "Keep the NOTICE file",
        "Mark modified files as changed",
    )
    assert LLAMA_BUILT in result.obligations
    assert len(result.obligations) == len(set(result.obligations))
    assert result.status is Status.APPROVED_WITH_OBLIGATIONS


def test_obligations_are_deterministic() -> None:
    first = verdict(load("eu-saas-startup"), "saas", "mit", inherited=("llama3.1", "creativeml-openrail-m"))
    second = verdict(load("eu-saas-startup"), "saas", "mit", inherited=("llama3.1", "creativeml-openrail-m"))
    assert first == second


def test_evaluate_is_pure_over_the_resolution() -> None:
    res = resolution("llama3.1")
    before = repr(res)
    evaluate(ref=ModelRef("org/m", SHA), fetched=hub(), resolution=res, policy=DEFAULT, kb=KB, use="saas", today=TODAY)
    assert repr(res) == before


def test_reason_prefers_the_license_over_repo_hygiene() -> None:
    """When several findings weigh the same, the table shows the substantive one."""
    strict = load("strict-enterprise")
    result = verdict(strict, "commercial-product", "cc-by-nc-4.0", revision=None)
    assert result.status is Status.BLOCKED
    assert result.reason.startswith("Creative Commons Attribution Non Commercial")
    assert "revision-not-pinned" in rules_of(result)
