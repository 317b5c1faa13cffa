"""One license as the knowledge base (rules/licenses.yaml) describes it.

These are shared by licenses/ (resolution) and policy/ (decisions): the policy checks a license's
category, commercial status, conditions and obligations without knowing any license by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from auditor.licenses.rights import UNRECORDED, ModelClass, Right, RightGrant, TerritoryBasis
from auditor.models import Commercial

CATEGORIES = (
    "permissive",
    "weak-copyleft",
    "copyleft",
    "open-rail",
    "community-conditional",
    "non-commercial",
    "research-only",
    "proprietary",
    "unknown",
)

# When an obligation binds: on any use, when the model (or a product/service using it) is distributed
# or made available, or when a modified model is distributed.
OBLIGATION_TRIGGERS = ("always", "distribution", "derivatives")


@dataclass(frozen=True)
class ClassExclusion:
    """Territories where a class of model (multimodal) is not licensed, and what ties a licensee there."""

    model_class: ModelClass
    territories: tuple[str, ...]
    basis: TerritoryBasis
    clause: str


@dataclass(frozen=True)
class Conditions:
    """Machine-checkable conditions on the rights an entry grants 'conditional'; None means none."""

    max_monthly_active_users: int | None = None
    max_annual_revenue_usd: int | None = None
    excluded_territories: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, plus "EU"
    max_daily_active_users: int | None = None
    max_monthly_visits: int | None = None
    excluded_territories_by_model_class: tuple[ClassExclusion, ...] = ()
    registration_required: bool = False
    requires_licensor_approval: bool = False
    notes: str | None = None
    # Conditions the knowledge base marks as not established (null in rules/licenses.yaml), e.g.
    # ("registration_required",): the False above then means "not known", so a person must check.
    not_established: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(
            self.max_monthly_active_users is not None
            or self.max_annual_revenue_usd is not None
            or self.max_daily_active_users is not None
            or self.max_monthly_visits is not None
            or self.excluded_territories
            or self.excluded_territories_by_model_class
            or self.registration_required
            or self.requires_licensor_approval
        )


@dataclass(frozen=True)
class Obligation:
    id: str  # include-license | notice | attribution | built-with | name-prefix | pass-on-use-restrictions | …
    text: str  # an imperative line a person can act on
    when: str = "distribution"  # one of OBLIGATION_TRIGGERS


@dataclass(frozen=True)
class LicenseEntry:
    key: str
    name: str
    spdx: str | None  # exact SPDX License List id, when one exists
    licenseref: str | None  # LicenseRef-… when no SPDX id exists
    hub_ids: tuple[str, ...]
    aliases: tuple[str, ...]
    category: str
    commercial: Commercial
    conditions: Conditions
    obligations: tuple[Obligation, ...]
    markers: tuple[str, ...]
    name_patterns: tuple[str, ...] = ()
    url_patterns: tuple[str, ...] = ()
    use_restrictions: str | None = None
    output_training_restriction: str | None = None
    version: str | None = None
    url: str | None = None
    text_verified: bool = False
    sources: tuple[str, ...] = ()
    notes: str | None = None
    rights: Mapping[Right, RightGrant] = field(default_factory=lambda: MappingProxyType({}))
    # Lines filed as obligations that forbid something (kept to be shown, never listed as duties).
    restrictions: tuple[Obligation, ...] = ()

    def right(self, right: Right) -> RightGrant:
        """What the license says about `right`; unstated rights read as 'unknown', clause 'not recorded'."""
        return self.rights.get(right, UNRECORDED)

    @property
    def rights_recorded(self) -> bool:
        """Does the entry state its rights at all (entries written before rights were data do not)."""
        return bool(self.rights)

    @property
    def identifier(self) -> str:
        """The id to use in SPDX expressions: the SPDX id, else the LicenseRef."""
        return self.spdx or self.licenseref or f"LicenseRef-{self.key}"
