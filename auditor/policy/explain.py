"""`auditor explain`: the decision behind one verdict, step by step, as plain text (the CLI prints it)."""

from __future__ import annotations

from auditor.models import Severity, Verdict
from auditor.policy.model import Company, Policy

_MARK = {Severity.INFO: "info", Severity.WARNING: "WARN", Severity.ERROR: "FAIL"}


def _facts(company: Company) -> list[str]:
    def number(value: int | None, usd: bool = False) -> str:
        if value is None:
            return "not declared"
        return f"USD {value:,}" if usd else f"{value:,}"

    territories = ", ".join(company.territories) if company.territories else "not declared"
    return [
        f"  monthly_active_users: {number(company.monthly_active_users)}",
        f"  annual_revenue_usd:   {number(company.annual_revenue_usd, usd=True)}",
        f"  territories:          {territories}",
    ]


def explain_verdict(verdict: Verdict, policy: Policy, use: str) -> str:
    """Walk through a verdict: the use, the company facts, each rule applied, the duties and any waiver."""
    spec = policy.use(use)
    yes_no = {True: "yes", False: "no"}
    title = policy.info.name or "policy"
    lines = [
        f"Verdict for use {use!r}: {verdict.status.value}",
        f"  {verdict.reason}",
        "",
        f"Policy: {title} - {policy.path} (sha256 {policy.sha256[:12]})",
        f"Use {spec.name}: {spec.description}",
        f"  commercial: {yes_no[spec.commercial]}; made available to others: {yes_no[spec.distributes]}; "
        f"modified: {yes_no[spec.modifies]}",
        "",
        "Company facts the license conditions are checked against:",
        *_facts(policy.company),
        "",
        "How the verdict was reached:",
    ]
    if not verdict.findings:
        lines.append("  (no rules applied)")
    for number, finding in enumerate(verdict.findings, 1):
        about = f" [{finding.subject}]" if finding.subject else ""
        lines.append(f"  {number:>2}. {_MARK[finding.severity]} {finding.rule}{about}: {finding.message}")
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
