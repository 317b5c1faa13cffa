"""`auditor explain`: the decision behind one verdict, step by step, as plain text (the CLI prints it)."""

from __future__ import annotations

from auditor.models import Severity, Verdict
from auditor.policy.model import Company, Policy

# Severity of the step, not the verdict: an error in the evidence may still only need review.
_MARK = {Severity.INFO: "info", Severity.WARNING: "WARN", Severity.ERROR: "ERROR"}


def _facts(company: Company) -> list[str]:
    def number(value: int | None, usd: bool = False) -> str:
        if value is None:
            return "not declared"
        return f"USD {value:,}" if usd else f"{value:,}"

    def text(value: str | None) -> str:
        return value if value is not None else "not declared"

    territories = ", ".join(company.territories) if company.territories else None
    entity = company.entity_type.value if company.entity_type is not None else None
    provider = None if company.service_provider is None else ("true" if company.service_provider else "false")
    facts = {
        "monthly_active_users": number(company.monthly_active_users),
        "annual_revenue_usd": number(company.annual_revenue_usd, usd=True),
        "territories": text(territories),
        "daily_active_users": number(company.daily_active_users),
        "monthly_visits": number(company.monthly_visits),
        "principal_place_of_business": text(company.principal_place_of_business),
        "entity_type": text(entity),
        "service_provider": text(provider),
    }
    return [f"  {(name + ':').ljust(22)}{value}" for name, value in facts.items()]


def _rights(verdict: Verdict, use: str) -> list[str]:
    """Each right the use needs, per governing license: the license's answer, its clause, the outcome."""
    if not verdict.rights:
        return [f"Rights {use} needs: none checked"]
    lines = [f"Rights {use} needs, checked against every license that governs the model:"]
    for check in verdict.rights:
        note = f"; {check.note}" if check.note else ""
        lines.append(f"  - {check.license}: {check.right} = {check.grant} -> {check.outcome.value}{note}")
        lines.append(f"      clause: {check.clause}")
    return lines


def explain_verdict(verdict: Verdict, policy: Policy, use: str) -> str:
    """Walk through a verdict: the use, the company facts, each rule applied, the duties and any waiver."""
    spec = policy.use(use)
    yes_no = {True: "yes", False: "no"}
    title = policy.info.name or "policy"
    kind = "a commercial use" if spec.commercial else "not a commercial use"
    reasons = [f.message for f in verdict.deciding] or [verdict.reason]
    lines = [
        f"Verdict for use {use!r} ({kind}): {verdict.status.value}",
        *(f"  - {text}" for text in reasons),
        "",
        f"Policy: {title} - {policy.path} (sha256 {policy.sha256[:12]})",
        f"Use {spec.name}: {spec.description}",
        f"  commercial: {yes_no[spec.commercial]}; made available to others: {yes_no[spec.distributes]}; "
        f"modified: {yes_no[spec.modifies]}",
        f"  needs: {', '.join(r.value for r in spec.needs) or 'no right'}",
        "",
        "Company facts the license conditions are checked against:",
        *_facts(policy.company),
        "",
        *_rights(verdict, use),
        "",
        "How the verdict was reached:",
    ]
    if not verdict.findings:
        lines.append("  (no rules applied)")
    for number, finding in enumerate(verdict.findings, 1):
        about = f" [{finding.subject}]" if finding.subject else ""
        lines.append(f"  {number:>2}. {_MARK[finding.severity]} {finding.rule}{about}: {finding.message}")
        if finding.policy:
            lines.append(f"      policy: {finding.policy}")
        if finding.fix:
            lines.append(f"      fix: {finding.fix}")
    lines.append("")
    if verdict.obligations:
        lines.append(f"Obligations for {use} ({len(verdict.obligations)}):")
        lines.extend(f"  - {text}" for text in verdict.obligations)
    else:
        lines.append(f"Obligations for {use}: none")
    lines.append("")
    waiver = verdict.waiver
    if waiver is None:
        lines.append("Waiver: none applied")
    else:
        where = f"{policy.path}:{waiver.line}" if waiver.line else policy.path
        pinned = f" at revision {waiver.revision}" if waiver.revision else " (any revision)"
        lines += [
            f"Waiver applied: {waiver.model}{pinned}, written at {where}",
            f"  approved by {waiver.approved_by}" + (f", ticket {waiver.ticket}" if waiver.ticket else ""),
            f"  in force until {waiver.expires} (it no longer applies from that day)",
            f"  reason: {waiver.reason}",
        ]
    return "\n".join(lines) + "\n"
