"""Waivers (active, expired, other revision, other use, unused) and the explanation of a verdict."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from test_policy_helpers import KB, SHA, TODAY, hub, load, result, rules_of, verdict, write_policy

from auditor.models import FetchError, FetchErrorKind, ModelRef, ModelResult, Severity, Status
from auditor.policy import Policy, evaluate, explain_verdict, load_policy, policy_findings

WAIVERS = f"""\
company:
  monthly_active_users: 1_000
  annual_revenue_usd: 0
  territories: [US]
default_use: product
uses:
  product:
    description: Sold to customers.
    commercial: true
    distributes: true
    modifies: false
    categories:
      permissive: allow
      non-commercial: deny
      unknown: review
  research:
    description: Internal only.
    commercial: false
    distributes: false
    modifies: true
    categories:
      permissive: allow
      non-commercial: review
      unknown: review
waivers:
  - model: org/nc-model
    uses: [product]
    reason: Commercial license bought from the publisher.
    approved_by: Jane Doe, Legal
    ticket: LEGAL-1
    expires: 2026-12-31
  - model: org/pinned
    revision: '{SHA[:7].upper()}'
    reason: Reviewed this commit.
    approved_by: Legal
    expires: 2026-12-31
  - model: org/expired
    reason: Was fine last year.
    approved_by: Legal
    expires: {TODAY.isoformat()}
  - model: org/unused
    reason: Nobody uses this any more.
    approved_by: Legal
    expires: 2027-01-01
  - model: org/soon
    reason: Short trial.
    approved_by: Legal
    expires: {(TODAY + datetime.timedelta(days=10)).isoformat()}
"""


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return load_policy(write_policy(tmp_path_factory.mktemp("waivers"), WAIVERS), KB)


def test_active_waiver_lifts_blocked(policy: Policy) -> None:
    v = verdict(policy, "product", "cc-by-nc-4.0", repo_id="org/nc-model")
    assert v.status is Status.APPROVED_WITH_OBLIGATIONS  # cc-by-nc still obliges attribution
    assert v.waiver is not None
    assert v.waiver.ticket == "LEGAL-1"
    assert v.reason.startswith("waived (LEGAL-1, until 2026-12-31) from blocked:")
    applied = [f for f in v.findings if f.rule == "waiver-applied"]
    assert len(applied) == 1
    assert applied[0].severity is Severity.INFO
    assert "license-denied" in rules_of(v)  # what was waived stays on record


def test_waiver_lifts_review_to_approved_without_obligations(policy: Policy) -> None:
    v = verdict(policy, "product", "other", repo_id="org/pinned")
    assert v.status is Status.APPROVED
    assert v.waiver is not None


def test_waiver_ids_match_case_insensitively(policy: Policy) -> None:
    assert verdict(policy, "product", "cc-by-nc-4.0", repo_id="Org/NC-Model").waiver is not None


def test_waiver_does_not_cover_another_use(policy: Policy) -> None:
    v = verdict(policy, "research", "cc-by-nc-4.0", repo_id="org/nc-model")
    assert v.status is Status.NEEDS_REVIEW
    assert v.waiver is None
    assert "waiver-other-use" in rules_of(v)


def test_pinned_waiver_matches_its_sha_prefix_only(policy: Policy) -> None:
    same = verdict(policy, "product", "other", repo_id="org/pinned", fetched=hub("org/pinned", sha=SHA))
    assert same.waiver is not None
    other_sha = "f" * 40
    moved = verdict(policy, "product", "other", repo_id="org/pinned", fetched=hub("org/pinned", sha=other_sha))
    assert moved.status is Status.NEEDS_REVIEW
    assert moved.waiver is None
    (note,) = [f for f in moved.findings if f.rule == "waiver-other-revision"]
    assert SHA[:7].lower() in note.message
    assert "ffffffffffff" in note.message


def test_expired_waiver_does_not_apply(policy: Policy) -> None:
    on_expiry_day = verdict(policy, "product", "cc-by-nc-4.0", repo_id="org/expired", today=TODAY)
    assert on_expiry_day.status is Status.BLOCKED
    assert "waiver-expired" in rules_of(on_expiry_day)
    day_before = verdict(
        policy, "product", "cc-by-nc-4.0", repo_id="org/expired", today=TODAY - datetime.timedelta(days=1)
    )
    assert day_before.status is Status.APPROVED_WITH_OBLIGATIONS


def test_waiver_is_not_used_when_nothing_needs_waiving(policy: Policy) -> None:
    v = verdict(policy, "product", "mit", repo_id="org/nc-model")
    assert v.status is Status.APPROVED
    assert v.waiver is None


def test_waiver_never_lifts_an_error(policy: Policy) -> None:
    error = FetchError("org/nc-model", "main", FetchErrorKind.NETWORK, "timed out")
    v = evaluate(
        ref=ModelRef("org/nc-model"), fetched=error, resolution=None, policy=policy, kb=KB, use="product", today=TODAY
    )
    assert v.status is Status.ERROR
    assert v.waiver is None


def test_policy_findings(policy: Policy) -> None:
    results = [
        result(policy, "product", "org/nc-model", "cc-by-nc-4.0"),
        result(policy, "product", "org/pinned", "other", sha="f" * 40),  # a new commit: the pin does not match
        result(policy, "product", "org/expired", "cc-by-nc-4.0"),
        result(policy, "product", "org/soon", "mit"),
    ]
    findings = policy_findings(policy, results, TODAY)
    by_subject = {(f.subject, f.rule): f for f in findings}
    assert set(by_subject) == {
        ("org/pinned", "waiver-unused"),
        ("org/expired", "waiver-expired"),
        ("org/unused", "waiver-unused"),
        ("org/soon", "waiver-expires-soon"),
    }
    assert "no model in this run" in by_subject["org/unused", "waiver-unused"].message
    assert "ffffffffffff" in by_subject["org/pinned", "waiver-unused"].message
    assert f"{policy.path}:" in by_subject["org/expired", "waiver-expired"].message
    assert by_subject["org/expired", "waiver-expired"].severity is Severity.WARNING
    assert all(f.fix for f in findings)


def test_waiver_of_a_model_that_could_not_be_fetched_is_not_called_unused(policy: Policy) -> None:
    error = FetchError("org/pinned", "main", FetchErrorKind.NETWORK, "timed out")
    v = evaluate(
        ref=ModelRef("org/pinned"), fetched=error, resolution=None, policy=policy, kb=KB, use="product", today=TODAY
    )
    failed = ModelResult(ref=ModelRef("org/pinned"), verdict=v, fetch_error=error)
    rules = {(f.subject, f.rule) for f in policy_findings(policy, [failed], TODAY)}
    assert ("org/pinned", "waiver-unused") not in rules


def test_waiver_for_wrong_use_is_unused(policy: Policy) -> None:
    findings = policy_findings(policy, [result(policy, "research", "org/nc-model", "cc-by-nc-4.0")], TODAY)
    (unused,) = [f for f in findings if f.subject == "org/nc-model"]
    assert unused.rule == "waiver-unused"
    assert "for research" in unused.message


def test_shipped_example_waiver_is_well_formed() -> None:
    strict = load("strict-enterprise")
    assert strict.waivers
    for waiver in strict.waivers:
        assert waiver.approved_by
        assert waiver.reason
        datetime.date.fromisoformat(waiver.expires)


# ------------------------------------------------------------------ explain


def test_explain_walks_through_the_decision(policy: Policy) -> None:
    v = verdict(policy, "product", "cc-by-nc-4.0", repo_id="org/nc-model")
    text = explain_verdict(v, policy, "product")
    assert text.startswith("Verdict for use 'product' (a commercial use): approved-with-obligations")
    assert "monthly_active_users: 1,000" in text
    assert "territories:          US" in text
    assert "license-denied" in text
    assert "Credit the creator" in text
    assert "Waiver applied: org/nc-model" in text
    assert "LEGAL-1" in text
    assert policy.sha256[:12] in text


def test_explain_names_undeclared_facts_and_fixes() -> None:
    default = load("policy")
    v = verdict(default, "commercial-product", "llama3.1")
    text = explain_verdict(v, default, "commercial-product")
    assert "monthly_active_users: not declared" in text
    assert "condition-fact-undeclared" in text
    assert "fix: declare company.monthly_active_users" in text
    assert "Waiver: none applied" in text


def test_explain_of_a_fetch_error(tmp_path: Path) -> None:
    default = load("policy")
    error = FetchError("org/x", "main", FetchErrorKind.GATED, "403")
    v = evaluate(ref=ModelRef("org/x"), fetched=error, resolution=None, policy=default, kb=KB, use="saas", today=TODAY)
    text = explain_verdict(v, default, "saas")
    assert "error" in text.splitlines()[0]
    assert "fetch-gated" in text
    assert "Obligations for saas: none" in text
