"""Evaluate one model for one intended use: license decisions, conditions, metadata rules, waivers.

Pure: no network, no clock (`today` is passed in), no file access. Every step leaves a finding, so
the verdict can be explained; the worst effect of any step is the verdict. Fail closed: evidence that
is missing, unknown or contradicted can only push a verdict towards review, never towards approval.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Hashable, Mapping

from auditor.licenses.entry import LicenseEntry, Obligation
from auditor.licenses.lineage import inherited_from
from auditor.licenses.resolve import (
    RULE_BASE_UNRESOLVED,
    RULE_CONFLICT,
    RULE_CONFLICT_WITH_BASE,
    RULE_NO_LICENSE,
    RULE_OTHER_UNNAMED,
    RULE_PLACEHOLDER,
    RULE_UNRECOGNISED,
)
from auditor.licenses.rights import NOT_RECORDED, Grant
from auditor.models import (
    Commercial,
    FetchError,
    FetchErrorKind,
    Finding,
    HubModel,
    LicenseResolution,
    ModelRef,
    ModelTrait,
    RightCheck,
    Severity,
    Status,
    Verdict,
    Waiver,
)
from auditor.policy import waivers as waiver_rules
from auditor.policy.conditions import check_class_exclusions, check_terms, check_territories
from auditor.policy.model import Action, Company, Decision, KnowledgeLookup, Policy, Rules, UseSpec
from auditor.policy.rights import check_rights, settle_conditional
from auditor.policy.steps import SEVERITY, Steps, clip

# Resolution findings (from licenses/) and the metadata rule that decides what they mean here.
# Findings not listed keep the meaning of their severity: error means needs-review at least.
RESOLUTION_RULES = {
    RULE_NO_LICENSE: "missing_license",
    RULE_PLACEHOLDER: "missing_license",
    RULE_OTHER_UNNAMED: "unresolved_other",
    RULE_UNRECOGNISED: "unresolved_other",
    RULE_CONFLICT: "license_conflict",
    RULE_CONFLICT_WITH_BASE: "base_model_conflict",
    RULE_BASE_UNRESOLVED: "unresolvable_lineage",
}

FETCH_FIXES = {
    FetchErrorKind.NOT_FOUND: "check the id; if the repo is private, pass --token with access to it",
    FetchErrorKind.REVISION_NOT_FOUND: "check that the revision (branch, tag or commit sha) exists in the repo",
    FetchErrorKind.GATED: "accept the model's terms on its Hub page with your account, then pass --token",
    FetchErrorKind.DISABLED: "the Hub disabled this repo; choose another model",
    FetchErrorKind.AUTH: "check the token (--token or HF_TOKEN): it was refused",
    FetchErrorKind.RATE_LIMITED: "retry later, or pass --token for a higher rate limit",
    FetchErrorKind.SERVER: "retry later; the Hub answered with a server error",
    FetchErrorKind.NETWORK: "check the network and --endpoint, or run with --offline from the cache",
    FetchErrorKind.INVALID: "retry; if it persists, report the response as a bug",
    FetchErrorKind.OFFLINE_MISS: "run once without --offline to fill the cache",
    FetchErrorKind.INVALID_ID: "write the model as org/name (optionally @revision)",
}

_PINNED = re.compile(r"^[0-9a-fA-F]{7,40}$")
MAX_RESOLUTION_TEXT = 300
MAX_LINEAGE_TEXT = 600
"""A lineage finding names a whole chain of bases: bounded, but longer than one line."""

# The finding that says which license decision allowed the model; an approval names it as its reason.
LICENSE_ALLOWED = "license-allowed"


def resolve_use(policy: Policy, use: str | None) -> str:
    """The use to evaluate: `use` when the policy defines it, the policy's default when None."""
    if use is None:
        return policy.default_use
    policy.use(use)  # raises UsageError naming the known uses
    return use


def evaluate(
    *,
    ref: ModelRef,
    fetched: HubModel | FetchError,
    resolution: LicenseResolution | None,
    policy: Policy,
    kb: KnowledgeLookup,
    use: str,
    today: datetime.date,
    memo: LicenseSteps | None = None,
) -> Verdict:
    """The verdict for one model under one intended use of `policy`; `memo` (for this policy and knowledge
    base) spares judging the same licenses, lineage and findings again for every model that shares them."""
    spec = policy.use(use)
    if isinstance(fetched, FetchError):
        return _fetch_error(fetched, use)
    if resolution is None:
        finding = Finding(
            "license-resolution-missing",
            Severity.ERROR,
            "the license of this model was not resolved, so it cannot be judged",
            "report this as a bug in auditor; meanwhile review the model by hand",
        )
        return Verdict(Status.ERROR, use, finding.message, (finding,), deciding=(finding,))

    # Substance first (the licenses, their conditions, the evidence), repo hygiene last: among findings of
    # the same weight the first one becomes the verdict's one-line reason.
    if memo is not None and memo.policy is policy and memo.kb is kb:
        steps = memo.steps(spec, resolution)
    else:
        steps = _license_steps(policy, kb, spec, resolution)
    rules = policy.rules
    _check_orgs(steps, rules, ref, fetched, resolution)
    _check_repo(steps, rules, ref, fetched)

    status = steps.status
    deciding = _deciding(steps, status)
    reason = _reason(steps, status, deciding)
    findings = [finding for finding, _ in steps.findings]
    obligations = tuple(steps.obligations)
    waiver: Waiver | None = None
    if status in (Status.NEEDS_REVIEW, Status.BLOCKED):
        waiver, notes = _find_waiver(policy, ref, fetched, use, today)
        findings.extend(notes)
        if waiver is not None:
            lifted = Status.APPROVED_WITH_OBLIGATIONS if obligations else Status.APPROVED
            who = waiver.ticket or waiver.approved_by
            findings.append(
                Finding(
                    "waiver-applied",
                    Severity.INFO,
                    f"{waiver_rules.label(waiver, policy.path)} approved by {clip(waiver.approved_by, 80)} "
                    f"lifts {status.value} to {lifted.value} until {waiver.expires}: {clip(waiver.reason)}",
                    subject=waiver.model,
                )
            )
            reason = clip(f"waived ({clip(who, 40)}, until {waiver.expires}) from {status.value}: {reason}", 240)
            deciding = [findings[-1], *deciding]
            status = lifted
    return Verdict(
        status, use, reason, tuple(findings), obligations, waiver, tuple(steps.rights), deciding=tuple(deciding)
    )


def _license_steps(policy: Policy, kb: KnowledgeLookup, spec: UseSpec, resolution: LicenseResolution) -> Steps:
    """The license part of an evaluation: each governing license's decision, rights and conditions, the
    resolution's findings and confidence. It reads the resolution's keys, lineage, findings, commercial
    status, confidence and traits, never the model itself (see `LicenseSteps`)."""
    steps = Steps(spec)
    rules = policy.rules
    entries = _check_licenses(steps, rules, resolution, kb, spec)
    _check_commercial(steps, resolution, entries, spec)
    traits = {trait.name: trait for trait in resolution.traits}
    for entry in entries:
        _check_terms(steps, rules, policy.company, entry, spec, _origin(entry.key, resolution), traits)
    _check_resolution_findings(steps, rules, resolution)
    _check_confidence(steps, rules, resolution)
    return steps


class LicenseSteps:
    """`_license_steps` remembered for one run's policy and knowledge base.

    Most models of a run share their license part with many others (the same Apache-2.0 decision,
    rights and duties), so each distinct one is judged once: keyed by everything `_license_steps`
    reads from the resolution, and the use; never by the model. Bounded: past `MAX_KEPT` distinct
    ones, the rest are judged each time. Threads may share it: at worst two judge the same one.
    """

    MAX_KEPT = 4096

    def __init__(self, policy: Policy, kb: KnowledgeLookup) -> None:
        self.policy = policy
        self.kb = kb
        self._kept: dict[Hashable, tuple[tuple[tuple[Finding, Status], ...], tuple[str, ...], tuple[RightCheck, ...]]]
        self._kept = {}

    def steps(self, spec: UseSpec, resolution: LicenseResolution) -> Steps:
        r = resolution
        # Of the lineage, what `_origin` reads to say where an inherited license comes from: not a direct
        # base's `parent` (the model itself), so fine-tunes of the same base share their judgement.
        lineage = tuple((x.repo_id, x.relation, x.depth, x.keys, x.parent if x.depth > 1 else "") for x in r.lineage)
        key = (spec.name, r.keys, r.inherited_keys, lineage, r.findings, r.commercial, r.confidence, r.traits)
        kept = self._kept.get(key)
        if kept is not None:
            findings, obligations, rights = kept
            return Steps(spec, list(findings), dict.fromkeys(obligations), list(rights))
        steps = _license_steps(self.policy, self.kb, spec, resolution)
        if len(self._kept) < self.MAX_KEPT:
            self._kept[key] = (tuple(steps.findings), tuple(steps.obligations), tuple(steps.rights))
        return steps


def _fetch_error(error: FetchError, use: str) -> Verdict:
    revision = error.requested_revision
    message = (
        f"could not fetch {clip(error.repo_id, 100)}@{clip(revision, 40)} ({error.kind.value}): {clip(error.message)}"
    )
    finding = Finding(f"fetch-{error.kind.value}", Severity.ERROR, message, FETCH_FIXES.get(error.kind))
    return Verdict(Status.ERROR, use, message, (finding,), deciding=(finding,))


def _org(repo_id: str) -> str | None:
    return repo_id.split("/", 1)[0].lower() if "/" in repo_id else None


def _check_orgs(steps: Steps, rules: Rules, ref: ModelRef, hub: HubModel, resolution: LicenseResolution) -> None:
    denied = {org.lower() for org in rules.deny_orgs}
    allowed = {org.lower() for org in rules.allow_orgs}
    org = _org(hub.repo_id or ref.repo_id)
    if org is not None and org in denied:
        steps.add(
            "org-denied",
            Status.BLOCKED,
            f"models published by {org!r} are denied by the policy",
            "choose a model from another publisher, or remove the org from rules.orgs.deny",
        )
    elif allowed and org not in allowed:
        steps.act(
            rules.outside_allow_list,
            "org-not-allowed",
            f"the publisher {org or '(none)'!r} is not on the policy's allow list (rules.orgs.allow)",
            "choose a model from an allowed publisher, or have the publisher reviewed and added",
        )
    for link in resolution.lineage:
        base_org = _org(link.repo_id)
        if base_org is not None and base_org in denied:
            steps.add(
                "org-denied",
                Status.BLOCKED,
                f"base model {clip(link.repo_id, 100)} is published by {base_org!r}, which the policy denies",
                "choose a model not derived from that publisher's models",
                subject=clip(link.repo_id, 100),
            )


def _check_repo(steps: Steps, rules: Rules, ref: ModelRef, hub: HubModel) -> None:
    if hub.gated:
        action = rules.gated_repo
        steps.act(
            action,
            "gated-repo",
            f"the repo is gated ({clip(hub.gated, 20)}): downloading it requires accepting terms on the Hub, "
            "which bind whoever accepts them",
            "read the terms shown on the model's Hub page and accept them with a company account",
        )
        if action is Action.OBLIGATION:
            steps.oblige("Accept the model's access terms on the Hub with a company account and keep a record of them")
    if ref.revision is None or not _PINNED.match(ref.revision):
        written = ref.revision or "the default branch"
        sha = hub.sha[:12] if hub.sha else "unknown"
        steps.act(
            rules.unpinned_revision,
            "revision-not-pinned",
            f"the model is referenced by {clip(written, 60)}, which can move; this verdict holds for commit {sha}",
            f"pin it as {clip(ref.repo_id, 100)}@{hub.sha} in the model list or inventory",
        )


def _check_resolution_findings(steps: Steps, rules: Rules, resolution: LicenseResolution) -> None:
    for finding in resolution.findings:
        lineage = finding.rule in (RULE_CONFLICT_WITH_BASE, RULE_BASE_UNRESOLVED)
        limit = MAX_LINEAGE_TEXT if lineage else MAX_RESOLUTION_TEXT
        rule_name = RESOLUTION_RULES.get(finding.rule)
        severity: Severity = finding.severity
        if finding.severity is Severity.INFO:
            # A note (e.g. `other`, then identified by its LICENSE text): shown, but it decides nothing.
            effect = Status.APPROVED
        elif rule_name is not None:
            action: Action = getattr(rules, rule_name)
            effect = action.status
            severity = max(finding.severity, SEVERITY[action], key=lambda s: s.rank)
        else:
            # Fail closed: evidence the policy has no rule for (an ambiguous or modified text, several
            # licenses declared, an unreadable card) is for a person to weigh.
            effect = Status.NEEDS_REVIEW
        if finding.severity is Severity.ERROR and effect.rank < Status.NEEDS_REVIEW.rank:
            effect = Status.NEEDS_REVIEW  # fail closed: an error in the evidence is never approved
        steps.add(
            finding.rule,
            effect,
            clip(finding.message, limit),
            clip(finding.fix, limit) if finding.fix else None,
            severity=severity,
            subject=clip(finding.subject, 100) if finding.subject else None,
        )


def _applies(obligation: Obligation, spec: UseSpec) -> bool:
    if obligation.when == "always":
        return True
    if obligation.when == "distribution":
        return spec.distributes
    if obligation.when == "derivatives":
        return spec.modifies and spec.distributes
    return True  # an unknown trigger: show the duty rather than hide it


def _check_licenses(
    steps: Steps, rules: Rules, resolution: LicenseResolution, kb: KnowledgeLookup, spec: UseSpec
) -> list[LicenseEntry]:
    """One decision per license that governs the model (its own and its bases'); the known entries."""
    keys = resolution.all_keys
    if not keys:
        covered = any(
            RESOLUTION_RULES.get(f.rule) in ("missing_license", "unresolved_other") for f in resolution.findings
        )
        if not covered:
            steps.act(
                rules.missing_license,
                "no-license-identified",
                "no license could be identified for this model",
                "ask the publisher to declare a license, or have legal review the repo's terms",
            )
        return []
    entries: list[LicenseEntry] = []
    for key in keys:
        entry = kb.get(key)
        origin = _origin(key, resolution)
        if entry is None:
            steps.act(
                rules.unknown_license,
                "license-not-in-knowledge-base",
                f"license {clip(key, 60)!r}{origin} is not in the license knowledge base; its terms cannot be checked",
                "add the license to rules/licenses.yaml, or have legal review it",
            )
            continue
        entries.append(entry)
        duties = [o for o in entry.obligations if _applies(o, spec)]
        for duty in duties:
            steps.oblige(duty.text)
        for restriction in entry.restrictions:
            # A prohibition is never a duty: shown as what it is; the rights decide what it blocks.
            steps.add(
                "license-restriction",
                Status.APPROVED,
                f"{entry.name}{origin} forbids: {clip(restriction.text, 300)}",
                subject=entry.key,
            )
        decision, source = spec.decide(entry.key, entry.category)
        # Plain English for the reader; the policy setting that decided travels beside it (`Finding.policy`).
        what = (f"{entry.name} ({entry.spdx})" if entry.spdx else entry.name) + origin
        kind = "by name in the policy" if source == "license" else f"as {_a(entry.category)} {entry.category} license"
        by = f"uses.{spec.name}.licenses" if source == "license" else f"uses.{spec.name}.categories.{entry.category}"
        if decision is None:
            steps.add(
                "policy-no-decision",
                Status.NEEDS_REVIEW,
                f"{what}: the policy does not say whether {spec.name} allows {entry.category} licenses",
                f"add `{entry.category}: allow | allow-with-obligations | review | deny` under "
                f"uses.{spec.name}.categories",
                policy=f"uses.{spec.name}.categories",
            )
        elif decision is Decision.DENY:
            steps.add(
                "license-denied",
                Status.BLOCKED,
                f"{what} is not allowed for {spec.name} ({kind})",
                "choose a model under a license the policy allows for this use, or record a signed-off waiver",
                policy=by,
            )
        elif decision is Decision.REVIEW:
            steps.add(
                "license-review",
                Status.NEEDS_REVIEW,
                f"{what} needs legal review for {spec.name} ({kind})",
                "have legal review the license for this use and record the outcome as a waiver",
                policy=by,
            )
        else:
            effect = Status.APPROVED
            if decision is Decision.ALLOW_WITH_OBLIGATIONS and duties:
                effect = Status.APPROVED_WITH_OBLIGATIONS
            steps.add(LICENSE_ALLOWED, effect, f"{what} is allowed for {spec.name} ({kind})", policy=by)
    return entries


def _origin(key: str, resolution: LicenseResolution) -> str:
    """Where a governing license comes from, for messages: "" for the model's own."""
    return "" if key in resolution.keys else inherited_from(key, resolution.lineage)


def _check_terms(
    steps: Steps,
    rules: Rules,
    company: Company,
    entry: LicenseEntry,
    spec: UseSpec,
    origin: str,
    traits: Mapping[str, ModelTrait],
) -> None:
    """The rights the use needs and the conditions they depend on, for one governing license."""
    check_territories(steps, rules, company, entry)
    check_class_exclusions(steps, rules, company, entry, traits)
    if not entry.rights_recorded:
        # Written before rights were data: judged by its category and commercial status, as before.
        steps.rights.extend(
            RightCheck(entry.key, right.value, Grant.UNKNOWN.value, NOT_RECORDED, Status.APPROVED, _UNRECORDED_NOTE)
            for right in spec.needs
        )
        if spec.commercial:
            conditional = entry.commercial is Commercial.CONDITIONAL
            allows = f"{entry.name} allows commercial use" if conditional else None
            check_terms(steps, rules, company, entry, unverifiable=allows)
        return
    pending = check_rights(steps, rules, company, spec, entry, origin)
    if pending.needs_terms:
        mark = len(steps.findings)
        rights = ", ".join(check.right for check in pending.conditional)
        check_terms(steps, rules, company, entry, unverifiable=f"{entry.name}{origin} grants {rights}")
        settle_conditional(steps, pending, mark)


_UNRECORDED_NOTE = "the license entry records no rights yet: judged by its category and commercial status"


def _check_commercial(steps: Steps, resolution: LicenseResolution, entries: list[LicenseEntry], spec: UseSpec) -> None:
    """A commercial use needs a license that permits it: `no` blocks, `unknown` needs review.

    For licenses whose rights are recorded, the commercial-use right decides (policy/rights.py); this
    covers the others, and a model none of whose terms are known.
    """
    if not spec.commercial:
        return
    # Entries with rights are judged by their commercial-use right; the resolution's own status still
    # counts (unknown when terms outside the entries may apply: an unread license file, a lost base).
    entries = [e for e in entries if not e.rights_recorded]
    forbidding = [e for e in entries if e.commercial is Commercial.NO]
    unknown = [e for e in entries if e.commercial is Commercial.UNKNOWN]
    if forbidding or resolution.commercial is Commercial.NO:
        names = ", ".join(e.name for e in forbidding) or "the license resolved for this model"
        steps.add(
            "commercial-use-not-permitted",
            Status.BLOCKED,
            f"{names} does not permit commercial use, and {spec.name} is a commercial use",
            "choose a model whose license permits commercial use, or obtain a commercial license and record a waiver",
        )
    elif unknown or resolution.commercial is Commercial.UNKNOWN:
        subject = (
            f"whether {', '.join(e.name for e in unknown)} permits commercial use is not known"
            if unknown
            else "the terms this model inherits from its base models are not known"
        )
        steps.add(
            "commercial-use-unknown",
            Status.NEEDS_REVIEW,
            f"{subject}, and {spec.name} is a commercial use",
            "have legal read the license text and record the outcome as a waiver",
        )


def _check_confidence(steps: Steps, rules: Rules, resolution: LicenseResolution) -> None:
    threshold = rules.low_confidence
    if resolution.all_keys and resolution.confidence < threshold.below:
        steps.act(
            threshold.action,
            "low-confidence",
            f"the license was identified with confidence {resolution.confidence:.2f}, "
            f"below the policy's threshold of {threshold.below:.2f}",
            "check the license by hand (card, LICENSE file) and pin the model once confirmed",
        )


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _deciding(steps: Steps, status: Status) -> list[Finding]:
    """Every finding that set the verdict, most severe first (a base that could not be read explains
    better than its consequence); for an approval, the licenses that were allowed."""
    deciding = [f for f, effect in steps.findings if effect is status]
    deciding.sort(key=lambda f: -f.severity.rank)
    if status.rank < Status.NEEDS_REVIEW.rank:
        deciding = [f for f, _ in steps.findings if f.rule == LICENSE_ALLOWED] or deciding
    return deciding


def _reason(steps: Steps, status: Status, deciding: list[Finding]) -> str:
    """One line for a table: the first finding that set the verdict (`deciding`, from `_deciding`), and
    how many others agree."""
    if not deciding:
        return status.value
    text = deciding[0].message
    if status.rank >= Status.NEEDS_REVIEW.rank and len(deciding) > 1:
        text += f" (+{len(deciding) - 1} more)"
    elif status is Status.APPROVED_WITH_OBLIGATIONS and steps.obligations:
        count = len(steps.obligations)
        text += f"; {count} obligation{'s' if count != 1 else ''} in total"
    return clip(text, 240)


def _find_waiver(
    policy: Policy, ref: ModelRef, hub: HubModel, use: str, today: datetime.date
) -> tuple[Waiver | None, list[Finding]]:
    """The waiver that lifts this verdict, if any, and notes on this model's waivers that do not apply."""
    notes: list[Finding] = []
    candidates: list[Waiver] = []
    for waiver in policy.waivers:
        if not (waiver_rules.same_model(waiver, ref.repo_id) or waiver_rules.same_model(waiver, hub.repo_id)):
            continue
        name = waiver_rules.label(waiver, policy.path)
        if not waiver_rules.covers_use(waiver, use):
            notes.append(
                Finding(
                    "waiver-other-use",
                    Severity.INFO,
                    f"{name} covers {', '.join(waiver.uses)}, not {use}",
                    subject=waiver.model,
                )
            )
        elif not waiver_rules.covers_sha(waiver, hub.sha):
            notes.append(
                Finding(
                    "waiver-other-revision",
                    Severity.INFO,
                    f"{name} is pinned to revision {waiver.revision}, but the audited commit is {hub.sha[:12]}",
                    "re-review the new revision and update the waiver's revision, or pin the model to the waived one",
                    subject=waiver.model,
                )
            )
        elif waiver_rules.is_expired(waiver, today):
            notes.append(
                Finding(
                    "waiver-expired",
                    Severity.WARNING,
                    f"{name} expired on {waiver.expires} and no longer applies",
                    "renew the waiver with a new expiry date and sign-off, or stop using the model",
                    subject=waiver.model,
                )
            )
        else:
            candidates.append(waiver)
    # A waiver pinned to this exact commit is more specific than one for any revision.
    candidates.sort(key=lambda w: w.revision is None)
    return (candidates[0] if candidates else None), notes
