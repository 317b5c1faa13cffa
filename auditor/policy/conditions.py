"""A license's conditions checked against the company's facts: territories, model-class territory
exclusions, user / revenue / visit thresholds, registration and the licensor's approval.

Pure. Each check leaves a finding naming the fact and the term; an undeclared fact is never read as
meeting a condition (fail closed), and a declared fact that settles against the license blocks.
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.licenses.entry import ClassExclusion, LicenseEntry
from auditor.licenses.rights import TerritoryBasis
from auditor.models import ModelTrait, Status
from auditor.policy.model import Action, Company, Rules
from auditor.policy.steps import Steps, clip
from auditor.policy.territories import overlap

_BASIS_TEXT = {
    TerritoryBasis.PRINCIPAL_PLACE_OF_BUSINESS: "principal place of business (or domicile)",
    TerritoryBasis.OPERATES_IN: "operations",
}
_BASIS_FACT = {
    TerritoryBasis.PRINCIPAL_PLACE_OF_BUSINESS: "principal_place_of_business",
    TerritoryBasis.OPERATES_IN: "territories",
}


def _fmt(number: int, unit: str) -> str:
    return f"USD {number:,}" if unit == "usd" else f"{number:,} {unit}"


def _check_threshold(
    steps: Steps, rules: Rules, entry: LicenseEntry, fact: str, declared: int | None, limit: int, unit: str
) -> None:
    """`limit` is a ceiling the company must not exceed; reaching it exactly is still within it."""
    cap = _fmt(limit, unit)
    if declared is None:
        steps.act(
            rules.undeclared_fact,
            "condition-fact-undeclared",
            f"company.{fact} is not declared; {entry.name} requires a separate license above {cap}",
            f"declare company.{fact} in the policy (the figure for the company and its affiliates)",
        )
    elif declared > limit:
        steps.act(
            rules.threshold_exceeded,
            "condition-threshold-exceeded",
            f"company.{fact} is {_fmt(declared, unit)}, above the {cap} that {entry.name} allows",
            "obtain a separate license from the licensor and record it as a waiver, or choose another model",
        )
    else:
        steps.add(
            "condition-met",
            Status.APPROVED_WITH_OBLIGATIONS,
            f"company.{fact} ({declared:,}) is within the limit of {cap} in {entry.name}",
        )
        steps.oblige(f"Stay at or below {cap} ({entry.name}); above it a separate license is required")


def check_territories(steps: Steps, rules: Rules, company: Company, entry: LicenseEntry) -> None:
    """Territory exclusions withdraw the whole license there, so they bind every use."""
    conditions = entry.conditions
    if not conditions.excluded_territories:
        return
    excluded = ", ".join(conditions.excluded_territories)
    if company.territories is None:
        steps.act(
            rules.undeclared_fact,
            "condition-fact-undeclared",
            f"company.territories is not declared; {entry.name} does not apply in {excluded}",
            "declare company.territories (ISO codes, EU allowed) in the policy",
        )
        return
    hit = overlap(company.territories, conditions.excluded_territories)
    if hit:
        steps.act(
            rules.territory_excluded,
            "condition-territory-excluded",
            f"{entry.name} does not apply in {excluded}, and the company operates in {', '.join(hit)}",
            "choose another model; the license grants no rights in those territories",
        )
    else:
        steps.add(
            "condition-met",
            Status.APPROVED,
            f"{entry.name} does not apply in {excluded}; the company operates only in {', '.join(company.territories)}",
        )


def check_class_exclusions(
    steps: Steps, rules: Rules, company: Company, entry: LicenseEntry, traits: Mapping[str, ModelTrait]
) -> None:
    """Rights withheld for one class of model (Llama 3.2: multimodal) from licensees tied to a territory.

    They bind every use. Settled by the model's class and the company's fact together: either one
    clearing it is enough; neither known means a person decides, naming both.
    """
    for exclusion in entry.conditions.excluded_territories_by_model_class:
        _check_class_exclusion(steps, rules, company, entry, exclusion, traits.get(exclusion.model_class.value))


def _check_class_exclusion(
    steps: Steps,
    rules: Rules,
    company: Company,
    entry: LicenseEntry,
    exclusion: ClassExclusion,
    trait: ModelTrait | None,
) -> None:
    klass = exclusion.model_class.value
    where = ", ".join(exclusion.territories)
    fact = _BASIS_FACT[exclusion.basis]
    term = (
        f"{entry.name} withholds its rights for {klass} models from licensees whose "
        f"{_BASIS_TEXT[exclusion.basis]} is in {where} ({clip(exclusion.clause, 200)})"
    )
    is_class = trait.value if trait is not None else None
    shown = f" ({clip(trait.evidence, 120)})" if trait is not None else ""
    if is_class is False:
        steps.add("condition-met", Status.APPROVED, f"{term}; this model is not {klass}{shown}")
        return
    declared: tuple[str, ...] | None
    if exclusion.basis is TerritoryBasis.PRINCIPAL_PLACE_OF_BUSINESS:
        declared = (company.principal_place_of_business,) if company.principal_place_of_business else None
    else:
        declared = company.territories
    if declared is None:
        unknown_class = f", and whether the model is {klass} is not established{shown}" if is_class is None else ""
        steps.act(
            rules.undeclared_fact,
            "condition-fact-undeclared",
            f"company.{fact} is not declared{unknown_class}; {term}",
            f"declare company.{fact} in the policy",
        )
        return
    hit = overlap(declared, exclusion.territories)
    if not hit:
        steps.add("condition-met", Status.APPROVED, f"{term}; company.{fact} is {', '.join(declared)}")
        return
    if is_class is None:
        steps.act(
            rules.unverifiable,
            "model-class-unknown",
            f"whether the model is {klass} is not established{shown}, and company.{fact} is {', '.join(hit)}; {term}",
            f"check whether the model is {klass} (its inputs and outputs) and record the outcome as a waiver",
        )
        return
    steps.act(
        rules.territory_excluded,
        "condition-territory-excluded",
        f"the model is {klass}{shown} and company.{fact} is {', '.join(hit)}: {term}",
        f"choose a model that is not {klass}, or one under a license that covers the company",
    )


def check_terms(steps: Steps, rules: Rules, company: Company, entry: LicenseEntry, *, unverifiable: str | None) -> None:
    """The conditions a conditional grant depends on. `unverifiable` is what to say when the entry
    states no condition a tool can check (None: do not flag that)."""
    conditions = entry.conditions
    thresholds = (
        (
            "monthly_active_users",
            company.monthly_active_users,
            conditions.max_monthly_active_users,
            "monthly active users",
        ),
        ("annual_revenue_usd", company.annual_revenue_usd, conditions.max_annual_revenue_usd, "usd"),
        ("daily_active_users", company.daily_active_users, conditions.max_daily_active_users, "daily active users"),
        ("monthly_visits", company.monthly_visits, conditions.max_monthly_visits, "monthly visits"),
    )
    for fact, declared, limit, unit in thresholds:
        if limit is not None:
            _check_threshold(steps, rules, entry, fact, declared, limit, unit)
    if conditions.registration_required:
        steps.act(
            rules.registration_required,
            "condition-registration-required",
            f"{entry.name} requires registering with the licensor before commercial use",
            "register with the licensor and keep the confirmation",
        )
        if rules.registration_required is Action.OBLIGATION:
            steps.oblige(f"Register with the licensor before commercial use ({entry.name})")
    if unverifiable is not None and not conditions.any:
        # Conditional, but on terms only its prose states: nothing here can confirm them.
        notes = f": {clip(conditions.notes, 200)}" if conditions.notes else ""
        steps.act(
            rules.unverifiable,
            "condition-unverifiable",
            f"{unverifiable} only under conditions this tool cannot check{notes}",
            "have legal confirm the company meets the license's conditions and record it as a waiver",
        )
    if conditions.not_established:
        unknown = ", ".join(name.replace("_", " ") for name in conditions.not_established)
        steps.act(
            rules.unverifiable,
            "condition-not-established",
            f"it is not known whether {entry.name} sets these conditions on commercial use: {unknown}",
            "have legal read the license text, then record the outcome as a waiver",
        )
    if conditions.requires_licensor_approval:
        steps.act(
            rules.licensor_approval_required,
            "condition-licensor-approval",
            f"{entry.name} requires the licensor's approval for commercial use",
            "obtain the licensor's written approval and record it as a waiver",
        )
