"""What each finding rule checks, in words that fit every model: SARIF rule metadata (`fullDescription`,
`help`, `helpUri`) that code scanning shows on every alert of the rule.

A rule's text never names a model, a sha or a license of one run: those belong in the result's message.
Rules not listed here (new ones, or ones another stage adds later) still get a description from their
family (the id's prefix), so no rule is ever shipped without one.
"""

from __future__ import annotations

from dataclasses import dataclass

DOCS = "https://github.com/auditor-project/auditor/blob/main/README.md"


@dataclass(frozen=True)
class RuleHelp:
    description: str  # what the rule checks (fullDescription)
    help: str  # what to do about a result of it (help)
    anchor: str  # README section (helpUri)


_POLICY = "#policy"
_LICENSES = "#license-knowledge"
_GATE = "#ci-gate"
_USAGE = "#usage"

# Families by id prefix, longest first wins. The fallback for any rule no family matches is the last.
_FAMILIES: tuple[tuple[str, RuleHelp], ...] = (
    (
        "license-conflict",
        RuleHelp(
            "The license evidence of the model (card, license tag, license files, base models) disagrees, so no "
            "single license can be concluded.",
            "Read the license files at the audited commit and ask the publisher which terms apply; until then the "
            "model is not cleared.",
            _LICENSES,
        ),
    ),
    (
        "license-",
        RuleHelp(
            "Checks the license that governs the model: whether it could be established from the card and license "
            "files, and whether the policy allows it for the intended use.",
            "Check the license at the audited commit, then allow it for this use in the policy, choose another model, "
            "or record a reviewed waiver.",
            _LICENSES,
        ),
    ),
    (
        "no-license",
        RuleHelp(
            "The model declares no license anywhere auditor can read: no card license, no license tag, no license "
            "file.",
            "Treat the model as all rights reserved and ask its publisher which license applies.",
            _LICENSES,
        ),
    ),
    (
        "condition-",
        RuleHelp(
            "Checks a license condition (user thresholds, territories, registration, licensor approval) against the "
            "company facts declared in the policy.",
            "Declare the company fact the condition needs in the policy, or get the separate license or approval the "
            "condition asks for.",
            _POLICY,
        ),
    ),
    (
        "commercial-use",
        RuleHelp(
            "Checks whether the governing license permits commercial use for the intended use.",
            "Use a model whose license permits commercial use, obtain a commercial license, or record a waiver.",
            _POLICY,
        ),
    ),
    (
        "waiver",
        RuleHelp(
            "Checks the waivers of the policy: whether one applies to this model, revision and use, and whether it "
            "has expired.",
            "Renew, narrow or remove the waiver in the policy after review.",
            _POLICY,
        ),
    ),
    (
        "base-",
        RuleHelp(
            "Checks the base models the card names (fine-tunes, adapters, merges, quantizations): their licenses "
            "apply to the model too.",
            "Make sure each base model can be fetched and its license allows the intended use.",
            _LICENSES,
        ),
    ),
    (
        "revision-not-pinned",
        RuleHelp(
            "The model is referenced by a branch, which can move to a commit with other license terms.",
            "Pin the reference to the audited commit sha (ORG/NAME@SHA) in the list, inventory or code.",
            _USAGE,
        ),
    ),
    (
        "gated",
        RuleHelp(
            "The repository is gated: its files, license files included, need accepted terms and a token.",
            "Accept the terms on the Hub and give auditor a token with access, or review the license by hand.",
            _USAGE,
        ),
    ),
    (
        "card-unreadable",
        RuleHelp(
            "The model card's metadata could not be read, so its license fields are unknown.",
            "Fix the YAML front matter of the model card, or review the license files by hand.",
            _LICENSES,
        ),
    ),
    (
        "fetch-",
        RuleHelp(
            "The model could not be fetched from the Hub, so no verdict could be reached.",
            "Check the model id, revision, token and network, then run the audit again.",
            _USAGE,
        ),
    ),
)
_LOCK = RuleHelp(
    "Compares the models in use with the lock file: license drift upstream, models missing from the lock, locked "
    "commits that are gone.",
    "Review the change, then run `auditor lock` to record the reviewed state.",
    _GATE,
)
_LOCK_RULES = ("license-drift", "evidence-unreadable", "not-in-lock", "locked-revision-gone", "revision-moved")
_VERDICT = RuleHelp(
    "The model's verdict for the intended use reaches the level the gate fails on.",
    "Read the model's findings in the auditor report; change the model, the use or the policy, or record a waiver.",
    _POLICY,
)
_FALLBACK = RuleHelp(
    "A finding auditor reports about a model's license or its use under the company policy.",
    "Read the finding's message and the evidence in the auditor report, then follow the fix it gives.",
    _USAGE,
)


def rule_help(rule: str) -> RuleHelp:
    """The generic text of `rule`: its own family's, else the gate's or lock's, else a general one."""
    if rule in _LOCK_RULES or rule.startswith(("stale-lock", "verdict-changed")):
        return _LOCK
    if rule.startswith("verdict-"):
        return _VERDICT
    for prefix, text in sorted(_FAMILIES, key=lambda item: -len(item[0])):
        if rule.startswith(prefix):
            return text
    return _FALLBACK


def help_uri(rule: str) -> str:
    return DOCS + rule_help(rule).anchor
