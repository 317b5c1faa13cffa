"""The vocabulary of a policy file: its keys, the actions each rule accepts, the shapes of ids.

Kept apart from the loader so that what a policy may say can be read (and imported by the checks and the
docs) without the machinery that reads it.
"""

from __future__ import annotations

import re

from auditor.licenses.rights import Right
from auditor.policy.model import Action

USE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# org/name as the Hub spells repo ids; a bare name is allowed for legacy repos without an org.
REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
ORG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
SHA_PREFIX = re.compile(r"^[0-9a-fA-F]{7,40}$")
MIN_SHA_PREFIX = 7

# Which actions each metadata rule accepts. Rules about missing or doubtful license evidence cannot
# be `allow`/`warn`: the tool fails closed, so the file must not pretend otherwise.
FAIL_CLOSED = (Action.REVIEW, Action.DENY)
RULE_ACTIONS: dict[str, tuple[Action, ...]] = {
    "gated_repo": (Action.ALLOW, Action.WARN, Action.OBLIGATION, Action.REVIEW, Action.DENY),
    "missing_license": FAIL_CLOSED,
    "unresolved_other": FAIL_CLOSED,
    "license_conflict": FAIL_CLOSED,
    "base_model_conflict": FAIL_CLOSED,
    "unresolvable_lineage": FAIL_CLOSED,
    "unknown_license": FAIL_CLOSED,
    "unpinned_revision": (Action.ALLOW, Action.WARN, Action.REVIEW, Action.DENY),
}
ORG_ACTIONS = (Action.WARN, Action.REVIEW, Action.DENY)
CONDITION_ACTIONS: dict[str, tuple[Action, ...]] = {
    "threshold_exceeded": FAIL_CLOSED,
    "territory_excluded": FAIL_CLOSED,
    "undeclared_fact": FAIL_CLOSED,
    "registration_required": (Action.OBLIGATION, Action.REVIEW, Action.DENY),
    "licensor_approval_required": FAIL_CLOSED,
    "unverifiable": FAIL_CLOSED,
}

TOP_KEYS = ("name", "version", "company", "default_use", "uses", "rules", "waivers", "data")
COMPANY_KEYS = (
    "monthly_active_users",
    "annual_revenue_usd",
    "territories",
    "daily_active_users",
    "monthly_visits",
    "principal_place_of_business",
    "entity_type",
    "service_provider",
)
USE_KEYS = ("description", "commercial", "distributes", "modifies", "needs", "categories", "licenses")
RULE_KEYS = (*RULE_ACTIONS, "low_confidence", "orgs", "conditions")
LOW_CONFIDENCE_KEYS = ("below", "action")
ORG_KEYS = ("deny", "allow", "outside_allow_list")
CONDITION_KEYS = tuple(CONDITION_ACTIONS)
WAIVER_KEYS = ("model", "revision", "uses", "reason", "approved_by", "ticket", "expires")


def implied_needs(*, commercial: bool, distributes: bool, modifies: bool) -> tuple[Right, ...]:
    """The rights a use written without `needs:` is taken to need, from its three flags.

    `distributes` does not say whether the weights are handed out or a service is hosted, so both
    rights are needed (fail closed); a policy states exactly which with `needs:`.
    """
    needs = [Right.COMPANY_USE]
    if commercial:
        needs.append(Right.COMMERCIAL_USE)
    if modifies:
        needs.append(Right.MODIFY)
    if distributes:
        needs += [Right.SHARE_DERIVATIVES] if modifies else [Right.DISTRIBUTE, Right.HOST_SERVICE]
    return tuple(needs)
