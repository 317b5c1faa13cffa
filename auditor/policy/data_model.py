"""The policy's `data:` rules as loaded: per data class, what a destination must offer.

Kept apart from model.py so the data rules (issue 16) and the license rules evolve without touching
each other; Policy holds one DataRules.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from auditor.models import DataClass, Status

DEFAULT_MAX_FACT_AGE_DAYS = 365


class Destination(str, enum.Enum):
    """What a data class rule says about sending that class to a kind of destination."""

    ALLOW = "allow"  # allowed, when the destination offers what `requires` lists
    REVIEW = "review"  # a person decides
    DENY = "deny"  # not allowed

    @property
    def status(self) -> Status:
        return {
            Destination.ALLOW: Status.APPROVED,
            Destination.REVIEW: Status.NEEDS_REVIEW,
            Destination.DENY: Status.BLOCKED,
        }[self]


class DataRule(str, enum.Enum):
    """The rule ids of data-rule findings, as reports and waivers' readers see them."""

    AGREEMENT = "provider-agreement"
    ALLOWED = "data-allowed"
    CLASS_DENIED = "data-class-denied"
    CLASS_REVIEW = "data-class-review"
    FACT_UNKNOWN = "provider-fact-unknown"
    NOT_APPLICABLE = "requirement-not-applicable"
    NO_DPA = "no-dpa"
    NO_EU_RESIDENCY = "no-eu-residency"
    NO_RULE = "no-data-rule"
    NO_TRANSFER_BASIS = "no-transfer-basis"
    NO_ZERO_RETENTION = "no-zero-retention"
    REQUIREMENT_MET = "requirement-met"
    STALE_FACTS = "stale-provider-facts"
    TERMS_UNCONFIRMED = "provider-terms-unconfirmed"
    TRAINS_ON_INPUTS = "trains-on-inputs"
    TRANSFER_BASIS = "transfer-basis"
    UNDECLARED_DATA = "undeclared-data"
    UNDECLARED_FACT = "undeclared-fact"
    USE_RESTRICTIONS = "provider-use-restrictions"
    ZERO_RETENTION_ON_REQUEST = "zero-retention-on-request"
    SELF_HOSTED_REVIEW = "self-hosted-data-review"
    SELF_HOSTED_DENY = "self-hosted-data-deny"


class Requirement(str, enum.Enum):
    """What a hosted destination must offer for a data class; each is checked against provider facts."""

    NO_TRAINING = "no-training-on-inputs"
    ZERO_DATA_RETENTION = "zero-data-retention"
    DPA = "dpa"
    EU_RESIDENCY = "eu-residency"  # for a company in the EU: processing in the EU
    EU_RESIDENCY_OR_TRANSFER_BASIS = "eu-residency-or-transfer-basis"  # ... or a transfer basis the policy documents


@dataclass(frozen=True)
class ClassRule:
    data_class: DataClass
    hosted: Destination = Destination.REVIEW
    requires: tuple[Requirement, ...] = ()
    self_hosted: Destination = Destination.ALLOW  # self-hosted weights: unrestricted unless the policy says so
    line: int | None = None


@dataclass(frozen=True)
class TransferBasis:
    """A documented basis for transferring personal data to a provider outside the EU (e.g. SCCs in its DPA)."""

    provider: str
    basis: str
    ticket: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Agreement:
    """What the company has agreed with a provider beyond its public terms (a signed DPA, approved ZDR...)."""

    provider: str
    offering: str | None = None  # None: every offering of the provider
    dpa: bool = False
    zero_data_retention: bool = False
    training_opt_out: bool = False
    ticket: str | None = None
    line: int | None = None

    def covers(self, requirement: Requirement) -> bool:
        return {
            Requirement.NO_TRAINING: self.training_opt_out,
            Requirement.ZERO_DATA_RETENTION: self.zero_data_retention,
            Requirement.DPA: self.dpa,
        }.get(requirement, False)


def _no_classes() -> Mapping[DataClass, ClassRule]:
    return MappingProxyType({})


@dataclass(frozen=True)
class DataRules:
    """Without a `data:` section every hosted model needs review: the policy says nothing about where data may go."""

    classes: Mapping[DataClass, ClassRule] = field(default_factory=_no_classes)
    max_fact_age_days: int = DEFAULT_MAX_FACT_AGE_DAYS
    transfer_bases: tuple[TransferBasis, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    line: int | None = None

    def rule(self, data_class: DataClass) -> ClassRule | None:
        return self.classes.get(data_class)

    def transfer_basis(self, provider: str) -> TransferBasis | None:
        return next((t for t in self.transfer_bases if t.provider == provider), None)

    def agreement(self, provider: str, offering: str, requirement: Requirement) -> Agreement | None:
        """The company's agreement that settles `requirement` for this offering, if any."""
        return next(
            (
                a
                for a in self.agreements
                if a.provider == provider and a.offering in (None, offering) and a.covers(requirement)
            ),
            None,
        )
