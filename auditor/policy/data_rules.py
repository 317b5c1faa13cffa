"""Data rules: judge a model by the data classes it receives and what its destination offers.

A hosted (closed) model is judged by its provider offering's facts (rules/providers.yaml) against the
policy's `data:` rules for every data class the inventory says it receives. A Hub model runs on company
machines, so data rules restrict it only where a class says `self_hosted: review|deny`.

Fail closed: an unknown provider or model, a class without a rule, or a fact a rule needs that is not
confirmed gives needs-review, naming it. Provider facts verified too long ago give a warning.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from auditor.models import DataClass, Finding, ModelRef, ProviderFact, Severity, Status, Verdict, Waiver
from auditor.policy import waivers as waiver_rules
from auditor.policy.data_model import (
    Agreement,
    ClassRule,
    DataRule,
    DataRules,
    Destination,
    Requirement,
    TransferBasis,
)
from auditor.policy.model import Policy
from auditor.policy.steps import STATUS_SEVERITY, clip
from auditor.policy.territories import EU_MEMBERS, expand
from auditor.providers.knowledge import Fact, Match, MatchProblem, Offering
from auditor.yamlfile import LinedDict, LinedList

if TYPE_CHECKING:
    from auditor.policy.loader import _Reader

DATA_KEYS = ("max_fact_age_days", "transfer_bases", "agreements", "classes")
AGREEMENT_KEYS = ("provider", "offering", "dpa", "zero_data_retention", "training_opt_out", "ticket")
CLASS_KEYS = ("hosted", "requires", "self_hosted")
TRANSFER_KEYS = ("provider", "basis", "ticket")
UNKNOWN = "unknown"

# The fact each requirement is checked against.
REQUIREMENT_FACT = {
    Requirement.NO_TRAINING: Fact.TRAINING_ON_INPUTS,
    Requirement.ZERO_DATA_RETENTION: Fact.ZERO_DATA_RETENTION,
    Requirement.DPA: Fact.DPA,
    Requirement.EU_RESIDENCY: Fact.DATA_RESIDENCY,
    Requirement.EU_RESIDENCY_OR_TRANSFER_BASIS: Fact.DATA_RESIDENCY,
}
_MATCH_FIXES = {
    MatchProblem.UNKNOWN_PROVIDER: "add the provider to rules/providers.yaml with sourced facts, "
    "or fix the id (api:PROVIDER/MODEL)",
    MatchProblem.UNKNOWN_MODEL: "add the model's name pattern to the provider's offering in rules/providers.yaml, "
    "or fix the name",
    MatchProblem.UNKNOWN_OFFERING: "name one of the offerings in the inventory entry (offering: {offerings})",
    MatchProblem.AMBIGUOUS_OFFERING: "say which offering the entry uses (offering: one of {offerings})",
}


# ---------------------------------------------------------------- reading the policy's `data:` section


def read_data_rules(reader: _Reader, value: Any, line: int) -> DataRules:
    """The `data:` section of a policy, every value checked at its line (see rules/policy.yaml)."""
    node = reader.mapping(value, "data", line)
    reader.keys(node, DATA_KEYS, "data")
    age = reader.count(node, "max_fact_age_days", "data")
    classes: dict[DataClass, ClassRule] = {}
    if node.get("classes") is not None:
        classes_node = reader.mapping(node["classes"], "data.classes", node.line_of("classes"))
        for name in classes_node:
            try:
                data_class = DataClass(name)
            except ValueError:
                known = ", ".join(c.value for c in DataClass)
                raise reader.fail(
                    classes_node.line_of(name), f"data.classes: unknown data class {name!r}; known: {known}"
                ) from None
            classes[data_class] = _class_rule(reader, data_class, classes_node[name], classes_node.line_of(name))
    bases = _transfer_bases(reader, node) if node.get("transfer_bases") is not None else ()
    agreements = _agreements(reader, node) if node.get("agreements") is not None else ()
    return DataRules(
        classes=classes,
        max_fact_age_days=age if age is not None else DataRules().max_fact_age_days,
        transfer_bases=bases,
        agreements=agreements,
        line=line,
    )


def _agreements(reader: _Reader, node: LinedDict) -> tuple[Agreement, ...]:
    value = node["agreements"]
    where = "data.agreements"
    if not isinstance(value, LinedList):
        raise reader.fail(node.line_of("agreements"), f"{where} must be a list of `- provider: …` entries")
    out = []
    for index, item in enumerate(value):
        entry = reader.mapping(item, "each agreement", value.line_of(index))
        reader.keys(entry, AGREEMENT_KEYS, where)
        flags = {key: reader.flag(entry, key, where) if key in entry else False for key in AGREEMENT_KEYS[2:5]}
        if not any(flags.values()):
            raise reader.fail(
                value.line_of(index),
                f"{where}: say what was agreed (dpa, zero_data_retention or training_opt_out: true)",
            )
        out.append(
            Agreement(
                provider=reader.text(entry, "provider", where, required=True) or "",
                offering=reader.text(entry, "offering", where),
                ticket=reader.text(entry, "ticket", where),
                line=value.line_of(index),
                **flags,
            )
        )
    return tuple(out)


def _class_rule(reader: _Reader, data_class: DataClass, value: Any, line: int) -> ClassRule:
    where = f"data.classes.{data_class.value}"
    node = reader.mapping(value, where, line)
    reader.keys(node, CLASS_KEYS, where)
    hosted = reader.choice(node, "hosted", where, Destination, Destination) if "hosted" in node else Destination.REVIEW
    self_hosted = (
        reader.choice(node, "self_hosted", where, Destination, Destination)
        if "self_hosted" in node
        else Destination.ALLOW
    )
    requires: list[Requirement] = []
    if node.get("requires") is not None:
        for text, item_line in reader.string_list(node, "requires", where):
            try:
                requires.append(Requirement(text))
            except ValueError:
                known = ", ".join(r.value for r in Requirement)
                raise reader.fail(
                    item_line, f"{where}.requires: unknown requirement {text!r}; known: {known}"
                ) from None
        if hosted is not Destination.ALLOW:
            raise reader.fail(node.line_of("requires"), f"{where}: requires applies only with hosted: allow")
    return ClassRule(data_class, hosted, tuple(dict.fromkeys(requires)), self_hosted, line)


def _transfer_bases(reader: _Reader, node: LinedDict) -> tuple[TransferBasis, ...]:
    value = node["transfer_bases"]
    if not isinstance(value, LinedList):
        raise reader.fail(
            node.line_of("transfer_bases"), "data.transfer_bases must be a list of `- provider: …` entries"
        )
    out = []
    for index, item in enumerate(value):
        entry = reader.mapping(item, "each transfer basis", value.line_of(index))
        reader.keys(entry, TRANSFER_KEYS, "data.transfer_bases")
        out.append(
            TransferBasis(
                provider=reader.text(entry, "provider", "data.transfer_bases", required=True) or "",
                basis=reader.text(entry, "basis", "data.transfer_bases", required=True) or "",
                ticket=reader.text(entry, "ticket", "data.transfer_bases"),
                line=value.line_of(index),
            )
        )
    return tuple(out)


# ---------------------------------------------------------------- evaluation


def _rule_id(rule: str) -> str:
    """The plain id a finding carries (an enum member would format as its name in some renderers)."""
    return rule.value if isinstance(rule, DataRule) else rule


@dataclass
class _Outcome:
    """What the data rules found: findings with their effect on the verdict, and duties."""

    findings: list[tuple[Finding, Status]] = field(default_factory=list)
    obligations: dict[str, None] = field(default_factory=dict)

    def add(
        self,
        rule: str,
        effect: Status,
        message: str,
        fix: str | None = None,
        subject: str | None = None,
        policy: str | None = None,
    ) -> None:
        finding = Finding(_rule_id(rule), STATUS_SEVERITY[effect], clip(message, 400), fix, subject, policy)
        self.findings.append((finding, effect))

    def note(self, rule: str, severity: Severity, message: str, fix: str | None = None) -> None:
        """A finding that informs or warns without changing the verdict."""
        self.findings.append((Finding(_rule_id(rule), severity, clip(message, 400), fix), Status.APPROVED))

    def oblige(self, text: str) -> None:
        self.obligations.setdefault(text, None)

    @property
    def status(self) -> Status:
        effects = [effect for _, effect in self.findings]
        if self.obligations:
            effects.append(Status.APPROVED_WITH_OBLIGATIONS)
        return max(effects, key=lambda s: s.rank, default=Status.APPROVED)

    def deciding(self) -> list[Finding]:
        """Every finding that set the verdict (reports list them all); for an approval, what allowed it."""
        status = self.status
        if status.rank >= Status.NEEDS_REVIEW.rank:
            return [f for f, effect in self.findings if effect is status]
        return [f for f, _ in self.findings if f.rule == DataRule.ALLOWED]

    def reason(self) -> str:
        status = self.status
        deciding = self.deciding() if status.rank >= Status.NEEDS_REVIEW.rank else []
        if deciding:
            more = f" (+{len(deciding) - 1} more)" if len(deciding) > 1 else ""
            return clip(deciding[0].message + more, 240)
        allowed = [f for f, _ in self.findings if f.rule == DataRule.ALLOWED]
        text = allowed[0].message if allowed else status.value
        if self.obligations:
            count = len(self.obligations)
            text += f"; {count} obligation{'s' if count != 1 else ''}"
        return clip(text, 240)


def _where(policy: Policy, line: int | None) -> str:
    return f"{policy.path}:{line}" if line else policy.path


def _source(fact: ProviderFact) -> str:
    when = f", verified {fact.verified}" if fact.verified else ""
    return f"{fact.source}{when}" if fact.source else "no source"


def _eu_company(policy: Policy) -> bool | None:
    """Whether EU data-protection transfer rules apply to the company; None when the policy does not say."""
    company = policy.company
    place, territories = company.principal_place_of_business, company.territories
    if territories is None and place is None:
        return None
    codes = [*(territories or ()), *([place] if place else [])]
    return bool(expand(codes) & EU_MEMBERS)


def _has_eu(value: object) -> bool:
    return isinstance(value, tuple) and bool(expand(value) & EU_MEMBERS)


def check_requirement(
    out: _Outcome, requirement: Requirement, offering: Offering, policy: Policy, classes: str
) -> None:
    """One requirement of a data class rule against the offering's facts."""
    fact = offering.fact(REQUIREMENT_FACT[requirement])
    who = offering.name
    subject = f"{offering.provider}/{offering.key}:{fact.name}"
    if requirement in (Requirement.EU_RESIDENCY, Requirement.EU_RESIDENCY_OR_TRANSFER_BASIS):
        _check_residency(out, requirement, offering, policy, classes)
        return
    agreement = policy.data.agreement(offering.provider, offering.key, requirement)
    if agreement is not None:
        ticket = f" ({agreement.ticket})" if agreement.ticket else ""
        out.note(
            DataRule.AGREEMENT,
            Severity.INFO,
            f"{requirement.value} for {classes} data: settled by the company's agreement with {who} "
            f"at {_where(policy, agreement.line)}{ticket}",
        )
        return
    if not fact.known:
        out.add(
            DataRule.FACT_UNKNOWN,
            Status.NEEDS_REVIEW,
            f"{classes} data requires {requirement.value}, but whether {who} offers it ({Fact(fact.name).label}) "
            f"is not confirmed: {fact.note or 'no primary source'}",
            f"confirm `{fact.name}` from the provider's own terms and record it in rules/providers.yaml "
            "with its source, or have legal review this use and record a waiver",
            subject,
        )
        return
    value = fact.value
    if requirement is Requirement.NO_TRAINING:
        if value == "no":
            out.note(
                DataRule.REQUIREMENT_MET, Severity.INFO, f"{who} does not train on inputs by default ({_source(fact)})"
            )
        else:
            out.add(
                DataRule.TRAINS_ON_INPUTS,
                Status.NEEDS_REVIEW,
                f"{who} uses inputs for training by default, and {classes} data requires {requirement.value} "
                f"({_source(fact)})",
                f"opt out first ({fact.detail or 'see the provider terms'}) and record the opt-out as a waiver, "
                "or use an offering that does not train on inputs",
                subject,
            )
    elif requirement is Requirement.ZERO_DATA_RETENTION:
        if value == "yes":
            out.oblige(
                f"Enable zero data retention with {who} before sending {classes} data ({fact.detail or _source(fact)})"
            )
        elif value == "on-request":
            out.add(
                DataRule.ZERO_RETENTION_ON_REQUEST,
                Status.NEEDS_REVIEW,
                f"{classes} data requires zero data retention, which {who} grants only on request ({_source(fact)})",
                "obtain the provider's approval, enable it, and record it as a waiver for this model",
                subject,
            )
        else:
            out.add(
                DataRule.NO_ZERO_RETENTION,
                Status.BLOCKED,
                f"{classes} data requires zero data retention, which {who} does not offer ({_source(fact)})",
                "send this data to a self-hosted model or a provider offering zero data retention",
                subject,
            )
    elif requirement is Requirement.DPA:
        if value == "yes":
            out.oblige(f"Conclude {who}'s data processing agreement before sending {classes} data ({_source(fact)})")
        else:
            out.add(
                DataRule.NO_DPA,
                Status.BLOCKED,
                f"{classes} data requires a data processing agreement, which {who} does not offer ({_source(fact)})",
                "send this data to a self-hosted model or a provider with a DPA",
                subject,
            )


def _check_residency(out: _Outcome, requirement: Requirement, offering: Offering, policy: Policy, classes: str) -> None:
    fact = offering.fact(Fact.DATA_RESIDENCY)
    who = offering.name
    eu = _eu_company(policy)
    if eu is None:
        out.add(
            DataRule.UNDECLARED_FACT,
            Status.NEEDS_REVIEW,
            f"{classes} data requires {requirement.value} for a company in the EU, but the policy does not declare "
            "the company's territories",
            "declare company.territories (and principal place of business) in the policy",
            "company.territories",
        )
        return
    if not eu:
        out.note(DataRule.NOT_APPLICABLE, Severity.INFO, f"{requirement.value}: the company is not in the EU")
        return
    basis = policy.data.transfer_basis(offering.provider)
    if _has_eu(fact.value):
        out.oblige(f"Use {who}'s EU data residency for {classes} data ({fact.detail or _source(fact)})")
        return
    if requirement is Requirement.EU_RESIDENCY_OR_TRANSFER_BASIS and basis is not None:
        ticket = f" ({basis.ticket})" if basis.ticket else ""
        out.note(
            DataRule.TRANSFER_BASIS,
            Severity.INFO,
            f"{classes} data leaves the EU under the transfer basis documented at "
            f"{_where(policy, basis.line)}{ticket}: {basis.basis}",
        )
        return
    if not fact.known:
        out.add(
            DataRule.FACT_UNKNOWN,
            Status.NEEDS_REVIEW,
            f"{classes} data requires {requirement.value}, but where {who} processes data is not confirmed: "
            f"{fact.note or 'no primary source'}",
            "confirm `data_residency` from the provider's terms and record it in rules/providers.yaml, "
            "or document a transfer basis under data.transfer_bases in the policy",
            f"{offering.provider}/{offering.key}:{fact.name}",
        )
        return
    if requirement is Requirement.EU_RESIDENCY:
        out.add(
            DataRule.NO_EU_RESIDENCY,
            Status.BLOCKED,
            f"{classes} data of a company in the EU must stay in the EU; {who} offers no EU residency "
            f"({_source(fact)})",
            "use a self-hosted model or a provider offering EU data residency",
            f"{offering.provider}/{offering.key}:{fact.name}",
        )
    else:
        out.add(
            DataRule.NO_TRANSFER_BASIS,
            Status.NEEDS_REVIEW,
            f"{classes} data of a company in the EU would leave the EU: {who} offers no EU residency "
            f"({_source(fact)}) and the policy documents no transfer basis for {offering.provider}",
            f"have legal document the transfer basis (e.g. standard contractual clauses in the DPA) under "
            f"data.transfer_bases for provider {offering.provider}",
            f"{offering.provider}/{offering.key}:{fact.name}",
        )


def _check_age(out: _Outcome, offering: Offering, rules: DataRules, today: datetime.date) -> None:
    limit = today - datetime.timedelta(days=rules.max_fact_age_days)
    stale = sorted(
        {
            f"{f.name} ({f.verified})"
            for f in offering.facts
            if f.known and f.verified and datetime.date.fromisoformat(f.verified) < limit
        }
    )
    if stale:
        out.note(
            DataRule.STALE_FACTS,
            Severity.WARNING,
            f"facts about {offering.name} were verified more than "
            f"{rules.max_fact_age_days} days ago: {', '.join(stale)}",
            "re-read the provider's current terms and update rules/providers.yaml (value, source, verified date)",
        )


def _check_class(
    out: _Outcome, rule: ClassRule | None, data_class: DataClass, offering: Offering, policy: Policy
) -> None:
    name = data_class.value
    if rule is None:
        out.add(
            DataRule.NO_RULE,
            Status.NEEDS_REVIEW,
            f"the policy has no data rule for {name} data, so whether it may go to a hosted model is undecided",
            f"add data.classes.{name} to the policy",
            name,
        )
        return
    where = _where(policy, rule.line)
    if rule.hosted is Destination.DENY:
        out.add(
            DataRule.CLASS_DENIED,
            Status.BLOCKED,
            f"{name} data may not be sent to hosted models; it stays on self-hosted models",
            f"run a self-hosted open model for {name} data, or stop sending it to {offering.provider_name}",
            name,
            policy=f"{where}: data.classes.{name}.hosted: deny",
        )
        return
    if rule.hosted is Destination.REVIEW:
        out.add(
            DataRule.CLASS_REVIEW,
            Status.NEEDS_REVIEW,
            f"{name} data sent to a hosted model needs a person's decision",
            "have the data-protection officer review this use and record a waiver",
            name,
            policy=f"{where}: data.classes.{name}.hosted: review",
        )
        return
    for requirement in rule.requires:
        check_requirement(out, requirement, offering, policy, name)


def evaluate_hosted(
    *,
    ref: ModelRef,
    match: Match,
    policy: Policy,
    use: str,
    today: datetime.date,
    data: Sequence[DataClass] | None = None,
) -> Verdict:
    """The verdict for a hosted model under one use: its offering's facts against the data rules."""
    policy.use(use)  # an unknown use is a usage error, as for Hub models
    out = _Outcome()
    offering = match.offering
    if offering is None:
        problem = match.problem or MatchProblem.UNKNOWN_PROVIDER
        out.add(
            problem.value,
            Status.NEEDS_REVIEW,
            match.message,
            _MATCH_FIXES.get(problem, "").format(offerings=", ".join(match.candidates)),
            ref.repo_id,
        )
        return _verdict(out, ref, policy, use, today)
    classes = tuple(data if data is not None else ref.data)
    _check_age(out, offering, policy.data, today)
    if not classes:
        out.add(
            DataRule.UNDECLARED_DATA,
            Status.NEEDS_REVIEW,
            "the inventory does not say which data classes this hosted model receives",
            f"add data: [...] to the inventory entry (one or more of: {', '.join(c.value for c in DataClass)})",
        )
    for data_class in classes:
        _check_class(out, policy.data.rule(data_class), data_class, offering, policy)
    restrictions = offering.fact(Fact.USE_RESTRICTIONS)
    if not restrictions.known:
        out.note(
            DataRule.TERMS_UNCONFIRMED,
            Severity.WARNING,
            f"the use restrictions in the terms of {offering.name} are not confirmed: "
            f"{restrictions.note or 'no source'}",
            "read the provider's terms (e.g. limits on training other models with outputs) before relying on them",
        )
    elif isinstance(restrictions.value, tuple):
        out.note(
            DataRule.USE_RESTRICTIONS,
            Severity.INFO,
            f"{offering.provider_name} terms restrict use: {'; '.join(restrictions.value)} ({_source(restrictions)})",
        )
    if classes and out.status.rank < Status.NEEDS_REVIEW.rank:
        out.findings.insert(
            0,
            (
                Finding(
                    DataRule.ALLOWED.value,
                    Severity.INFO,
                    f"{', '.join(c.value for c in classes)} data may go to {offering.name} "
                    "under the policy's data rules",
                ),
                Status.APPROVED,
            ),
        )
    return _verdict(out, ref, policy, use, today)


def _verdict(out: _Outcome, ref: ModelRef, policy: Policy, use: str, today: datetime.date) -> Verdict:
    status, reason, deciding = out.status, out.reason(), out.deciding()
    findings = [f for f, _ in out.findings]
    obligations = tuple(out.obligations)
    waiver: Waiver | None = None
    if status in (Status.NEEDS_REVIEW, Status.BLOCKED):
        waiver = next(
            (
                w
                for w in policy.waivers
                if waiver_rules.same_model(w, ref.repo_id)
                and waiver_rules.covers_use(w, use)
                and not waiver_rules.is_expired(w, today)
            ),
            None,
        )
        if waiver is not None:
            lifted = Status.APPROVED_WITH_OBLIGATIONS if obligations else Status.APPROVED
            findings.append(
                Finding(
                    "waiver-applied",
                    Severity.INFO,
                    f"{waiver_rules.label(waiver, policy.path)} approved by {clip(waiver.approved_by, 80)} lifts "
                    f"{status.value} to {lifted.value} until {waiver.expires}: {clip(waiver.reason)}",
                    subject=waiver.model,
                )
            )
            who = clip(waiver.ticket or waiver.approved_by, 40)
            reason = clip(f"waived ({who}, until {waiver.expires}) from {status.value}: {reason}", 240)
            deciding = [findings[-1], *deciding]
            status = lifted
    return Verdict(status, use, reason, tuple(findings), obligations, waiver, deciding=tuple(deciding))


def apply_self_hosted(verdict: Verdict, ref: ModelRef, policy: Policy) -> Verdict:
    """A Hub model's verdict with the data rules that restrict self-hosted use (`self_hosted: review|deny`)."""
    if not ref.data or verdict.status is Status.ERROR:
        return verdict
    out = _Outcome()
    for data_class in ref.data:
        rule = policy.data.rule(data_class)
        if rule is None or rule.self_hosted is Destination.ALLOW:
            continue
        where = _where(policy, rule.line)
        effect = rule.self_hosted.status
        out.add(
            DataRule.SELF_HOSTED_REVIEW if rule.self_hosted is Destination.REVIEW else DataRule.SELF_HOSTED_DENY,
            effect,
            f"{data_class.value} data needs {'review' if effect is Status.NEEDS_REVIEW else 'a decision'} even on "
            f"self-hosted models ({where}: self_hosted: {rule.self_hosted.value})",
            "have the data-protection officer review this processing and record a waiver",
            data_class.value,
        )
    if not out.findings:
        return verdict
    status = max(verdict.status, out.status, key=lambda s: s.rank)
    reason = out.reason() if status is not verdict.status else verdict.reason
    deciding = out.deciding() if status is not verdict.status else verdict.deciding
    if status is verdict.status and status.rank >= Status.NEEDS_REVIEW.rank:
        deciding = (*verdict.deciding, *(f for f, effect in out.findings if effect is status))
    return replace(
        verdict,
        status=status,
        reason=reason,
        findings=(*verdict.findings, *(f for f, _ in out.findings)),
        deciding=tuple(deciding),
    )


# ---------------------------------------------------------------- explain


# About the offering, not a data class: said once after the per-class lines.
_ONCE = (DataRule.STALE_FACTS, DataRule.TERMS_UNCONFIRMED, DataRule.USE_RESTRICTIONS)


def explain_data_rules(ref: ModelRef, match: Match, policy: Policy, use: str, today: datetime.date) -> str:
    """The policy's rule for every data class and what it gives for this hosted model."""
    under = f" under {match.offering.name}" if match.offering is not None else ""
    lines = [f"Data rules of {policy.path} for {ref.repo_id}{under} (use: {use}):"]
    if policy.data.line is None:
        lines.append("  the policy has no `data:` section: every hosted model needs review")
    for data_class in DataClass:
        rule = policy.data.rule(data_class)
        if rule is None:
            lines.append(f"  {data_class.value:<17} no rule -> needs-review")
            continue
        needs = f", requires {', '.join(r.value for r in rule.requires)}" if rule.requires else ""
        verdict = evaluate_hosted(ref=ref, match=match, policy=policy, use=use, today=today, data=(data_class,))
        lines.append(
            f"  {data_class.value:<17} hosted: {rule.hosted.value}{needs} (line {rule.line}) -> {verdict.status.value}"
        )
        for finding in verdict.findings:
            if finding.rule in _ONCE or finding.rule in (DataRule.ALLOWED, DataRule.REQUIREMENT_MET):
                continue
            lines.append(f"      {finding.severity.value}: {finding.message}")
    general = evaluate_hosted(ref=ref, match=match, policy=policy, use=use, today=today, data=())
    for finding in general.findings:
        if finding.rule in _ONCE:
            lines.append(f"  {finding.severity.value}: {finding.message}")
    return "\n".join(lines)
