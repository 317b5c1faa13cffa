"""Company policy and verdicts: is this model cleared for this intended use, with which duties, and why.

`load_policy` reads and validates the policy file (YAML people write; mistakes are reported at their
line); `evaluate` turns one license resolution into a verdict for one use. Pure: no network, no clock.
"""

from __future__ import annotations

from auditor.policy.evaluate import FETCH_FIXES, RESOLUTION_RULES, evaluate, resolve_use
from auditor.policy.explain import explain_verdict
from auditor.policy.loader import bundled_policy_path, check_policy_file, load_policy, parse_policy
from auditor.policy.model import Action, Company, Decision, KnowledgeLookup, Policy, Rules, UseSpec
from auditor.policy.waivers import policy_findings

__all__ = [
    "FETCH_FIXES",
    "RESOLUTION_RULES",
    "Action",
    "Company",
    "Decision",
    "KnowledgeLookup",
    "Policy",
    "Rules",
    "UseSpec",
    "bundled_policy_path",
    "check_policy_file",
    "evaluate",
    "explain_verdict",
    "load_policy",
    "parse_policy",
    "policy_findings",
    "resolve_use",
]
