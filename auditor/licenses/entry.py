"""One license as the knowledge base (rules/licenses.yaml) describes it.

These are shared by licenses/ (resolution) and policy/ (decisions): the policy checks a license's
category, commercial status, conditions and obligations without knowing any license by name.
"""

from __future__ import annotations

from dataclasses import dataclass

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
class Conditions:
    """Machine-checkable conditions on commercial use; None means the license sets none."""

    max_monthly_active_users: int | None = None
    max_annual_revenue_usd: int | None = None
    excluded_territories: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, plus "EU"
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
            or self.excluded_territories
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

    @property
    def identifier(self) -> str:
        """The id to use in SPDX expressions: the SPDX id, else the LicenseRef."""
        return self.spdx or self.licenseref or f"LicenseRef-{self.key}"
