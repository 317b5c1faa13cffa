"""Each right a use needs, checked against each license that governs the model.

A right the license withholds ('no') blocks, naming its clause; one it does not settle ('unknown')
needs review, naming what is missing; a conditional one is settled by the license's conditions
against the company's facts (policy/conditions.py). Rights about WHO uses the model (company,
individual, service provider) concern the policy only when the company's facts say it is one.
Categories never clear a right denied here: the worst finding is the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from auditor.licenses.entry import LicenseEntry
from auditor.licenses.rights import EntityType, Grant, Right
from auditor.models import RightCheck, Status
from auditor.policy.model import Company, Rules, UseSpec
from auditor.policy.steps import Steps, clip

MAX_CLAUSE = 240


@dataclass(frozen=True)
class _Who:
    """Whether a licensee right concerns this company: True, False, or None when the fact is undeclared."""

    applies: bool | None
    fact: str
    note: str


def _who(right: Right, company: Company) -> _Who | None:
    """For the licensee rights, whether the company is that kind of licensee; None for other rights."""
    entity = company.entity_type
    if right is Right.COMPANY_USE or right is Right.INDIVIDUAL_USE:
        wanted = EntityType.COMPANY if right is Right.COMPANY_USE else EntityType.INDIVIDUAL
        if entity is None:
            return _Who(None, "entity_type", "company.entity_type is not declared")
        return _Who(entity is wanted, "entity_type", f"company.entity_type is {entity.value}")
    if right is Right.SERVICE_PROVIDER_USE:
        provider = company.service_provider
        if provider is None:
            return _Who(None, "service_provider", "company.service_provider is not declared")
        return _Who(provider, "service_provider", f"company.service_provider is {'true' if provider else 'false'}")
    return None


@dataclass
class EntryRights:
    """What checking one entry's rights found: the conditional rights wait for the conditions' outcome."""

    conditional: list[RightCheck]

    @property
    def needs_terms(self) -> bool:
        return bool(self.conditional)


def check_rights(
    steps: Steps, rules: Rules, company: Company, spec: UseSpec, entry: LicenseEntry, origin: str
) -> EntryRights:
    """Record a finding and a RightCheck per right `spec` needs from `entry`; `origin` says where the
    license comes from (" (inherited via X)") for the messages."""
    conditional: list[RightCheck] = []
    what = f"{entry.name}{origin}"
    for right in spec.needs:
        stated = entry.right(right)
        clause = clip(stated.clause, MAX_CLAUSE)
        check = RightCheck(entry.key, right.value, stated.grant.value, clause, Status.APPROVED)
        who = _who(right, company)
        if stated.grant is Grant.YES:
            steps.rights.append(check)
            continue
        if who is not None and who.applies is False:
            steps.rights.append(replace(check, note=f"not applicable: {who.note}"))
            continue
        mark = len(steps.findings)
        if who is not None and who.applies is None:
            steps.act(
                rules.undeclared_fact,
                "condition-fact-undeclared",
                f"{who.note}; {what} {_says(stated.grant)} {right.value}: {clause}",
                f"declare company.{who.fact} in the policy",
            )
        elif stated.grant is Grant.NO:
            because = f" ({who.note})" if who is not None else ""
            steps.add(
                "right-denied",
                Status.BLOCKED,
                f"{what} does not grant {right.value}, which {spec.name} needs{because}: {clause}",
                "choose a model whose license grants this right, or obtain a separate license from the licensor "
                "and record it as a waiver",
                subject=entry.key,
                policy=f"uses.{spec.name}.needs",
            )
        elif stated.grant is Grant.UNKNOWN:
            steps.act(
                rules.unverifiable,
                "right-unknown",
                f"whether {what} grants {right.value}, which {spec.name} needs, is not established: {clause}",
                "have legal read the license text for this right and record the outcome as a waiver",
            )
        else:  # conditional: settled by the entry's conditions, checked once for all its rights
            conditional.append(check)
            continue
        steps.rights.append(replace(check, outcome=steps.worst_since(mark)))
    return EntryRights(conditional)


def settle_conditional(steps: Steps, pending: EntryRights, mark: int) -> None:
    """The conditional rights take the outcome of the conditions checked since `mark`."""
    outcome = steps.worst_since(mark)
    for check in pending.conditional:
        steps.rights.append(replace(check, outcome=outcome, note="settled by the license's conditions"))


def _says(grant: Grant) -> str:
    return {
        Grant.NO: "does not grant",
        Grant.UNKNOWN: "may not grant",
        Grant.CONDITIONAL: "grants only under conditions",
        Grant.YES: "grants",
    }[grant]
