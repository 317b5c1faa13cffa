"""Issue 10's acceptance matrix: every license of the knowledge base x every use of the default policy x
four company profiles (x a text and a multimodal model), against the real rules/licenses*.yaml.

Two kinds of expectation:
- HAND: written from the license texts for the licenses that matter most, each with the clause that
  decides it. These pin the data AND the engine: a wrong right in the data or a wrong rule fails here.
- every other cell: the verdict class a careful reading of the entry's own rights and conditions gives
  (`expected_class`, written here independently of policy/), so the engine must follow the data.
And two invariants over the whole matrix: no verdict clears a use whose needed right the license
withholds, and no prohibition is listed as an obligation.
"""

from __future__ import annotations

import dataclasses
import datetime
from functools import cache

import pytest

from auditor.licenses import KnowledgeBase, load_knowledge_base
from auditor.licenses.entry import LicenseEntry
from auditor.licenses.rights import (
    LICENSEE_RIGHTS,
    EntityType,
    Grant,
    ModelClass,
    Right,
    TerritoryBasis,
    reads_as_prohibition,
)
from auditor.models import Commercial, HubModel, LicenseResolution, ModelRef, ModelTrait, Status, Verdict
from auditor.policy import Company, Decision, Policy, UseSpec, evaluate, load_policy
from auditor.policy.territories import overlap

SHA = "0123456789abcdef0123456789abcdef01234567"

PROFILES: dict[str, Company] = {
    # The default policy as shipped: nothing declared.
    "undeclared": Company(),
    # A small US company: 2M users, USD 40M revenue, established and operating in the US, not a cloud provider.
    "small-us": Company(
        monthly_active_users=2_000_000,
        annual_revenue_usd=40_000_000,
        territories=("US",),
        principal_place_of_business="US",
        entity_type=EntityType.COMPANY,
        service_provider=False,
    ),
    # Above the Llama (700M MAU, s.2) and Qwen (100M MAU, s.4) thresholds; a cloud provider.
    "above-thresholds": Company(
        monthly_active_users=1_000_000_000,
        annual_revenue_usd=100_000_000_000,
        territories=("US", "EU", "GB", "JP"),
        principal_place_of_business="US",
        entity_type=EntityType.COMPANY,
        service_provider=True,
    ),
    # A company established and operating in the EU.
    "eu": Company(
        monthly_active_users=2_000_000,
        annual_revenue_usd=40_000_000,
        territories=("EU",),
        principal_place_of_business="DE",
        entity_type=EntityType.COMPANY,
        service_provider=False,
    ),
}
MODELS = {"text": False, "multimodal": True}

C, R, B = "cleared", "needs-review", "blocked"
USES = (
    "internal-research",
    "commercial-product",
    "saas",
    "redistribution",
    "fine-tune-and-distribute",
    "train-other-models",
)


def row(*classes: str) -> dict[str, str]:
    return dict(zip(USES, classes, strict=True))


ALL_CLEARED = row(C, C, C, C, C, C)
NON_COMMERCIAL = row(C, B, B, B, B, B)
COPYLEFT = row(C, R, R, R, R, R)
ALL_REVIEW = row(R, R, R, R, R, R)
ALL_BLOCKED = row(B, B, B, B, B, B)
COMMERCIAL_UNDECLARED = row(C, R, R, R, R, R)
COMMERCIAL_ABOVE = row(C, B, B, B, B, B)

# (license, profile, model) -> expected class per use; "*" = every profile / model.
HAND: dict[tuple[str, str, str], dict[str, str]] = {
    # Apache-2.0 s.2 "perpetual, worldwide ... copyright license to reproduce, prepare Derivative Works of,
    # publicly display ... sublicense, and distribute": every right, to anyone.
    ("apache-2.0", "*", "*"): ALL_CLEARED,
    # MIT: "to deal in the Software without restriction ... use, copy, modify, merge, publish, distribute, sublicense".
    ("mit", "*", "*"): ALL_CLEARED,
    # Gemma Terms of Use s.2.2 "You may use, reproduce, modify, Distribute ..." (subject to the Prohibited Use Policy).
    ("gemma", "*", "*"): ALL_CLEARED,
    # CC BY-NC 4.0 s.2(a)(1)(A)-(B): "for NonCommercial purposes only"; internal research is allowed in
    # bulk by the default policy (non-commercial: allow), everything commercial is not licensed.
    ("cc-by-nc-4.0", "*", "*"): NON_COMMERCIAL,
    # CC BY-ND 4.0 s.2(a)(1)(B): "produce and reproduce, but not Share, Adapted Material".
    ("cc-by-nd-4.0", "*", "*"): row(C, C, C, C, B, C),
    # GPL-3.0 / AGPL-3.0 grant every right (s.2), but distribution (and, AGPL s.13, network use) may oblige
    # the company to release source: the default policy sends copyleft to review for anything that ships.
    ("gpl-3.0", "*", "*"): COPYLEFT,
    ("agpl-3.0", "*", "*"): COPYLEFT,
    # The bare `openrail` tag names a family, not a text: no right is established.
    ("openrail", "*", "*"): ALL_REVIEW,
    # Mistral Research License s.9: "Research Purposes" exclude use "by individuals or contractors employed in
    # or engaged by companies"; s.3.2 only Research Purposes, so no commercial right at all.
    ("mistral-mrl", "undeclared", "*"): row(R, B, B, B, B, B),
    ("mistral-mrl", "small-us", "*"): ALL_BLOCKED,
    ("mistral-mrl", "above-thresholds", "*"): ALL_BLOCKED,
    ("mistral-mrl", "eu", "*"): ALL_BLOCKED,
    # Llama 3.1 s.2: above 700M monthly active users "you must request a license from Meta ... and you are
    # not authorized to exercise any of the rights under this Agreement unless or until Meta otherwise
    # expressly grants you such rights" - every right, internal research included, so an undeclared user
    # count needs review for every use; no territory or model-class term.
    ("llama3.1", "undeclared", "*"): ALL_REVIEW,
    ("llama3.1", "small-us", "*"): ALL_CLEARED,
    ("llama3.1", "above-thresholds", "*"): ALL_BLOCKED,
    ("llama3.1", "eu", "*"): ALL_CLEARED,
    # Llama 3.2: as 3.1 (s.2), plus the Acceptable Use Policy: for the multimodal models, the s.1(a) rights
    # "are not being granted to you if you are ... a company with a principal place of business in, the
    # European Union" - every use, internal research included; text models are not concerned.
    ("llama3.2", "undeclared", "text"): ALL_REVIEW,  # s.2 as 3.1: the user count is not declared
    ("llama3.2", "undeclared", "multimodal"): ALL_REVIEW,  # principal place of business not declared
    ("llama3.2", "small-us", "*"): ALL_CLEARED,
    ("llama3.2", "above-thresholds", "*"): ALL_BLOCKED,
    ("llama3.2", "eu", "text"): ALL_CLEARED,
    ("llama3.2", "eu", "multimodal"): ALL_BLOCKED,
    # Qwen LICENSE AGREEMENT s.4: commercial use by a product or service with "more than 100 million
    # monthly active users" needs a license from Alibaba Cloud.
    ("qwen", "undeclared", "*"): COMMERCIAL_UNDECLARED,
    ("qwen", "small-us", "*"): ALL_CLEARED,
    ("qwen", "above-thresholds", "*"): COMMERCIAL_ABOVE,
    ("qwen", "eu", "*"): ALL_CLEARED,
    # Stability AI Community License s.III: commercial use only at or below USD 1,000,000 annual revenue
    # (and after registering); s.IV.b: no use of outputs "to create or improve any foundational generative AI model".
    ("stabilityai-community", "undeclared", "*"): row(C, R, R, R, R, B),
    ("stabilityai-community", "small-us", "*"): row(C, B, B, B, B, B),
    ("stabilityai-community", "above-thresholds", "*"): row(C, B, B, B, B, B),
    ("stabilityai-community", "eu", "*"): row(C, B, B, B, B, B),
}


@cache
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@cache
def default_policy() -> Policy:
    return load_policy(None, kb())


@cache
def policy(profile: str) -> Policy:
    return dataclasses.replace(default_policy(), company=PROFILES[profile])


def judge(pol: Policy, use: str, entry: LicenseEntry, multimodal: bool) -> Verdict:
    evidence = "pipeline_tag image-text-to-text" if multimodal else "pipeline_tag text-generation"
    resolution = LicenseResolution(
        expression=entry.identifier,
        keys=(entry.key,),
        commercial=entry.commercial,
        confidence=1.0,
        traits=(ModelTrait(ModelClass.MULTIMODAL.value, multimodal, evidence),),
    )
    hub = HubModel(repo_id="org/model", requested_revision=SHA, sha=SHA)
    return evaluate(
        ref=ModelRef("org/model", SHA), fetched=hub, resolution=resolution, policy=pol, kb=kb(), use=use, today=_TODAY
    )


_TODAY = datetime.date(2026, 7, 1)


def verdict_class(status: Status) -> str:
    if status in (Status.APPROVED, Status.APPROVED_WITH_OBLIGATIONS):
        return C
    return R if status is Status.NEEDS_REVIEW else B


# ------------------------------------------------------------------ the expectation from the entry's own data

_RANK = {C: 0, R: 1, B: 2}


def _worst(*classes: str) -> str:
    return max(classes, key=_RANK.__getitem__, default=C)


def _threshold(declared: int | None, limit: int | None) -> str:
    if limit is None:
        return C
    if declared is None:
        return R
    return B if declared > limit else C


def _licensee_applies(right: Right, company: Company) -> bool | None:
    if right is Right.SERVICE_PROVIDER_USE:
        return company.service_provider
    if company.entity_type is None:
        return None
    wanted = EntityType.COMPANY if right is Right.COMPANY_USE else EntityType.INDIVIDUAL
    return company.entity_type is wanted


def expected_class(entry: LicenseEntry, spec: UseSpec, company: Company, multimodal: bool) -> str:
    """What the entry's rights and conditions say for this use and company, read the way counsel would:
    a withheld right blocks, an unsettled one or a missing fact needs review, the worst wins."""
    out = []
    decision, _ = spec.decide(entry.key, entry.category)
    out.append({None: R, Decision.DENY: B, Decision.REVIEW: R}.get(decision, C))
    cond = entry.conditions
    if cond.excluded_territories:
        if company.territories is None:
            out.append(R)
        elif overlap(company.territories, cond.excluded_territories):
            out.append(B)
    for x in cond.excluded_territories_by_model_class:
        if not multimodal:
            continue
        place = company.principal_place_of_business
        facts = (
            ((place,) if place else None)
            if x.basis is TerritoryBasis.PRINCIPAL_PLACE_OF_BUSINESS
            else company.territories
        )
        out.append(R if facts is None else B if overlap(facts, x.territories) else C)
    conditional = False
    for right in spec.needs:
        grant = entry.right(right).grant
        if grant is Grant.YES:
            continue
        if right in LICENSEE_RIGHTS:
            applies = _licensee_applies(right, company)
            if applies is False:
                continue
            if applies is None:
                out.append(R)
                continue
        if grant is Grant.NO:
            out.append(B)
        elif grant is Grant.UNKNOWN:
            out.append(R)
        else:
            conditional = True
    if conditional:
        out += [
            _threshold(company.monthly_active_users, cond.max_monthly_active_users),
            _threshold(company.annual_revenue_usd, cond.max_annual_revenue_usd),
            _threshold(company.daily_active_users, cond.max_daily_active_users),
            _threshold(company.monthly_visits, cond.max_monthly_visits),
        ]
        if not cond.any or cond.not_established or cond.requires_licensor_approval:
            out.append(R)
    if spec.commercial:
        out.append({Commercial.NO: B, Commercial.UNKNOWN: R}.get(entry.commercial, C))
    return _worst(*out)


def hand(key: str, profile: str, model: str) -> dict[str, str] | None:
    for candidate in ((key, profile, model), (key, profile, "*"), (key, "*", model), (key, "*", "*")):
        if candidate in HAND:
            return HAND[candidate]
    return None


def test_the_default_policy_has_the_uses_the_matrix_names() -> None:
    assert default_policy().use_names == USES


def test_every_hand_written_license_is_in_the_knowledge_base() -> None:
    assert {key for key, _, _ in HAND} <= {entry.key for entry in kb()}


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_matrix(profile: str, model: str) -> None:
    pol = policy(profile)
    wrong: list[str] = []
    for entry in kb():
        written = hand(entry.key, profile, model)
        for use in USES:
            spec = pol.use(use)
            v = judge(pol, use, entry, MODELS[model])
            got = verdict_class(v.status)
            derived = expected_class(entry, spec, PROFILES[profile], MODELS[model])
            if got != derived:
                wrong.append(f"{entry.key} / {use}: engine {got}, the entry's rights say {derived} ({v.reason})")
            if written is not None and got != written[use]:
                wrong.append(f"{entry.key} / {use}: engine {got}, the license text says {written[use]} ({v.reason})")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong[:40])


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_no_verdict_clears_a_use_whose_needed_right_is_withheld(profile: str) -> None:
    pol = policy(profile)
    company = PROFILES[profile]
    for entry in kb():
        for use in USES:
            spec = pol.use(use)
            withheld = [
                right
                for right in spec.needs
                if entry.right(right).grant is Grant.NO
                and (right not in LICENSEE_RIGHTS or _licensee_applies(right, company) is not False)
            ]
            for multimodal in MODELS.values():
                v = judge(pol, use, entry, multimodal)
                if withheld:
                    assert verdict_class(v.status) != C, (profile, entry.key, use, withheld, v.reason)
                    assert any(f.rule in ("right-denied", "condition-fact-undeclared") for f in v.findings)


def test_no_prohibition_is_ever_an_obligation() -> None:
    for profile in PROFILES:
        pol = policy(profile)
        for entry in kb():
            restrictions = {r.text for r in entry.restrictions}
            for use in USES:
                v = judge(pol, use, entry, True)
                for duty in v.obligations:
                    assert duty not in restrictions, (entry.key, duty)
                    assert not reads_as_prohibition("", duty), (entry.key, duty)


def test_every_right_checked_cites_a_clause() -> None:
    pol = policy("small-us")
    for entry in kb():
        v = judge(pol, "fine-tune-and-distribute", entry, False)
        assert {c.right for c in v.rights} == {r.value for r in pol.use("fine-tune-and-distribute").needs}
        assert all(c.clause.strip() for c in v.rights), entry.key
