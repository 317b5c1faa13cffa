"""The vocabulary of rights: what a license grants, to whom, and the model classes its terms depend on.

Every license entry states, per right, whether the text grants it ('yes'), withholds it ('no'), grants
it under its `conditions` ('conditional') or does not settle it ('unknown'), with the clause that says
so. Uses in a policy name the rights they need. Both sides import these identifiers from here, so a
right is spelt once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from auditor.models import Name


class Right(Name):
    """A right a use may need, as keyed in rules/licenses*.yaml `rights:` and policy `needs:`."""

    COMMERCIAL_USE = "commercial-use"
    MODIFY = "modify"
    SHARE_DERIVATIVES = "share-derivatives"
    DISTRIBUTE = "distribute"
    HOST_SERVICE = "host-service"
    COMPANY_USE = "company-use"
    INDIVIDUAL_USE = "individual-use"
    SERVICE_PROVIDER_USE = "service-provider-use"
    TRAIN_ON_OUTPUTS = "train-on-outputs"

    @property
    def description(self) -> str:
        return RIGHT_DESCRIPTIONS[self]


RIGHTS: tuple[Right, ...] = tuple(Right)

RIGHT_DESCRIPTIONS: Mapping[Right, str] = MappingProxyType(
    {
        Right.COMMERCIAL_USE: "use for commercial advantage or revenue-oriented work",
        Right.MODIFY: "create derivatives (fine-tune, merge, quantize, distil)",
        Right.SHARE_DERIVATIVES: "distribute or make available a modified model",
        Right.DISTRIBUTE: "redistribute the unchanged model",
        Right.HOST_SERVICE: "offer the model to third parties as a hosted service or API",
        Right.COMPANY_USE: "use by a company and its employees",
        Right.INDIVIDUAL_USE: "use by natural persons",
        Right.SERVICE_PROVIDER_USE: "use by providers of software or cloud services to third parties",
        Right.TRAIN_ON_OUTPUTS: "use the outputs (or the model) to train or improve other models",
    }
)

LICENSEE_RIGHTS: tuple[Right, ...] = (Right.COMPANY_USE, Right.INDIVIDUAL_USE, Right.SERVICE_PROVIDER_USE)
"""Rights about WHO uses the model: whether one concerns this policy depends on the company's facts
(entity_type, service_provider), not on the use alone."""


class Grant(Name):
    """What a license says about one right."""

    YES = "yes"
    NO = "no"  # withheld: a prohibition
    CONDITIONAL = "conditional"  # granted under the entry's `conditions`, checked against company facts
    UNKNOWN = "unknown"  # not established from the text: a person must read it


NOT_RECORDED = "not recorded"
"""The clause of a right an entry does not state yet (read as grant 'unknown')."""


@dataclass(frozen=True)
class RightGrant:
    """One right of one license: the answer and the clause of the primary text that settles it."""

    grant: Grant
    clause: str
    recorded: bool = True  # False: the entry does not state this right at all


UNRECORDED = RightGrant(Grant.UNKNOWN, NOT_RECORDED, recorded=False)


class EntityType(Name):
    """What kind of licensee the policy's organisation is (company.entity_type)."""

    COMPANY = "company"
    INDIVIDUAL = "individual"
    ACADEMIC = "academic"
    NON_PROFIT = "non-profit"
    GOVERNMENT = "government"


class ModelClass(Name):
    """A class of model some license terms apply to only (Llama 3.2: multimodal models)."""

    MULTIMODAL = "multimodal"


class TerritoryBasis(Name):
    """What ties a licensee to an excluded territory."""

    PRINCIPAL_PLACE_OF_BUSINESS = "principal-place-of-business"  # where the licensee is established
    OPERATES_IN = "operates-in"  # anywhere the licensee operates or offers its services


# Obligations are duties (attribution, notices, naming, passing restrictions on). A line that forbids
# something is a right withheld, never a duty, whatever id it was filed under.
PROHIBITION_IDS = frozenset({"no-output-training"})
_PROHIBITION = re.compile(
    # "Do not ...", "You may not ...", also after a scope ("Multimodal models: do not rely on ...")
    r"^\s*(?:[^:]{0,80}:\s*)?(?:do\s+not|don['’]t|never|no\s+(?:use|commercial|military|redistribution|sharing)\b|"
    r"(?:you\s+)?(?:may|must|shall|will|can)\s*not|cannot|not\s+(?:to|for)\b)"
    # "Use ... for research purposes only": a scope that forbids everything else
    r"|^\s*use\b[^.;]*\b(?:only|solely)\b",
    re.IGNORECASE,
)


def reads_as_prohibition(obligation_id: str, text: str) -> bool:
    """Does this "obligation" forbid something rather than require a duty?"""
    return obligation_id in PROHIBITION_IDS or bool(_PROHIBITION.match(text))
