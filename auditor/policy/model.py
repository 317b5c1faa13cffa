"""The company policy as loaded and validated: what the company is, what each use allows, which waivers exist.

These are frozen so one loaded policy can be shared by every model evaluated in a run (and threads).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from auditor.errors import UsageError, did_you_mean
from auditor.licenses.entry import LicenseEntry
from auditor.licenses.rights import EntityType, Right
from auditor.models import PolicyInfo, Status, Waiver
from auditor.policy.data_model import DataRules


class KnowledgeLookup(Protocol):
    """What policy/ needs from the license knowledge base: look an entry up, and list them all."""

    def get(self, key: str) -> LicenseEntry | None: ...

    def __iter__(self) -> Iterator[LicenseEntry]: ...


class Decision(str, enum.Enum):
    """What a use says about a license category or a license."""

    ALLOW = "allow"  # approved; its routine duties are still listed
    ALLOW_WITH_OBLIGATIONS = "allow-with-obligations"  # approved-with-obligations when duties apply
    REVIEW = "review"  # needs-review: a person decides
    DENY = "deny"  # blocked for this use

    @property
    def status(self) -> Status:
        return {
            Decision.ALLOW: Status.APPROVED,
            Decision.ALLOW_WITH_OBLIGATIONS: Status.APPROVED_WITH_OBLIGATIONS,
            Decision.REVIEW: Status.NEEDS_REVIEW,
            Decision.DENY: Status.BLOCKED,
        }[self]


class Action(str, enum.Enum):
    """What a metadata rule does when its situation arises."""

    ALLOW = "allow"  # recorded as info, no effect
    WARN = "warn"  # recorded as a warning, no effect on the verdict
    OBLIGATION = "obligation"  # becomes a duty: approved-with-obligations at best
    REVIEW = "review"  # needs-review
    DENY = "deny"  # blocked

    @property
    def status(self) -> Status:
        return {
            Action.ALLOW: Status.APPROVED,
            Action.WARN: Status.APPROVED,
            Action.OBLIGATION: Status.APPROVED_WITH_OBLIGATIONS,
            Action.REVIEW: Status.NEEDS_REVIEW,
            Action.DENY: Status.BLOCKED,
        }[self]


@dataclass(frozen=True)
class Company:
    """Facts license conditions are checked against; None means the policy does not declare it."""

    monthly_active_users: int | None = None
    annual_revenue_usd: int | None = None
    territories: tuple[str, ...] | None = None  # where it operates: ISO alpha-2 codes and `EU`, as written
    daily_active_users: int | None = None
    monthly_visits: int | None = None
    principal_place_of_business: str | None = None  # one territory code: where the company is established
    entity_type: EntityType | None = None
    service_provider: bool | None = None  # offers software or cloud services to third parties


@dataclass(frozen=True)
class UseSpec:
    """One intended use: what it implies and what it allows."""

    name: str
    description: str
    commercial: bool
    distributes: bool  # the model, or a product or service using it, is made available to others
    modifies: bool
    categories: Mapping[str, Decision]
    licenses: Mapping[str, Decision]  # by knowledge-base key; overrides the category
    line: int | None = None
    needs: tuple[Right, ...] = ()  # rights every license governing the model must grant for this use

    def decide(self, key: str, category: str) -> tuple[Decision | None, str]:
        """The decision for a license and where it comes from (`license` or `category`)."""
        if key in self.licenses:
            return self.licenses[key], "license"
        return self.categories.get(category), "category"


@dataclass(frozen=True)
class LowConfidence:
    below: float
    action: Action


@dataclass(frozen=True)
class Rules:
    """Metadata rules: what to do when the evidence, the repo or its lineage is in a given state."""

    gated_repo: Action = Action.WARN
    missing_license: Action = Action.REVIEW
    unresolved_other: Action = Action.REVIEW
    license_conflict: Action = Action.REVIEW
    base_model_conflict: Action = Action.REVIEW
    unresolvable_lineage: Action = Action.REVIEW
    unknown_license: Action = Action.REVIEW
    low_confidence: LowConfidence = LowConfidence(0.5, Action.REVIEW)
    unpinned_revision: Action = Action.ALLOW
    deny_orgs: tuple[str, ...] = ()
    allow_orgs: tuple[str, ...] = ()  # empty: every org not denied
    outside_allow_list: Action = Action.REVIEW
    threshold_exceeded: Action = Action.DENY
    territory_excluded: Action = Action.DENY
    undeclared_fact: Action = Action.REVIEW
    registration_required: Action = Action.OBLIGATION
    licensor_approval_required: Action = Action.REVIEW
    unverifiable: Action = Action.REVIEW  # conditional commercial use with no condition the tool can check


def _frozen_map(items: Mapping[str, UseSpec] | None = None) -> Mapping[str, UseSpec]:
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class Policy:
    path: str
    sha256: str
    default_use: str
    company: Company = Company()
    uses: Mapping[str, UseSpec] = field(default_factory=_frozen_map)
    rules: Rules = Rules()
    waivers: tuple[Waiver, ...] = ()
    name: str | None = None
    version: str | None = None
    data: DataRules = field(default_factory=DataRules)  # where each data class may go (hosted; self-hosted if it says)

    @property
    def use_names(self) -> tuple[str, ...]:
        return tuple(self.uses)

    @property
    def info(self) -> PolicyInfo:
        label = self.name
        if label and self.version:
            label = f"{label}, version {self.version}"
        return PolicyInfo(path=self.path, sha256=self.sha256, name=label)

    def use(self, name: str) -> UseSpec:
        """The use called `name`; an unknown name is a usage error listing the known ones."""
        spec = self.uses.get(name)
        if spec is None:
            known = ", ".join(self.use_names) or "(none)"
            hint = did_you_mean(name, self.use_names)
            raise UsageError(f"unknown use {name!r}{hint}; the policy {self.path} defines: {known}")
        return spec
