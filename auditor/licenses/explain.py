"""Plain-text explanations for people: one license, one model's resolution, the license list.

For `auditor explain` and `auditor licenses`. Nothing here prints: the CLI does. Texts from model
cards were already bounded and stripped of control characters when they became evidence.
"""

from __future__ import annotations

import textwrap
from typing import Any

from auditor.errors import UsageError
from auditor.licenses.confidence import CONFIDENCE_HIGH, CONFIDENCE_MEDIUM
from auditor.licenses.entry import CATEGORIES, LicenseEntry
from auditor.licenses.knowledge import KnowledgeBase
from auditor.licenses.rights import RIGHTS
from auditor.licenses.rule_ids import RULE_CONFLICT
from auditor.models import Commercial, EvidenceSource, HubModel, LicenseResolution, Severity, rename_licenses

WIDTH = 100
_LABEL = 16

# Which evidence decides, in the order resolve weighs it.
_PRECEDENCE = (
    EvidenceSource.CARD_LICENSE,
    EvidenceSource.TAG,
    EvidenceSource.CARD_LICENSE_NAME,
    EvidenceSource.LICENSE_FILE,
    EvidenceSource.CARD_LICENSE_LINK,
)
_SOURCE_NAMES = {
    EvidenceSource.CARD_LICENSE: "the card's `license`",
    EvidenceSource.TAG: "the Hub's license tag",
    EvidenceSource.CARD_LICENSE_NAME: "the card's `license_name`",
    EvidenceSource.CARD_LICENSE_LINK: "the card's `license_link`",
    EvidenceSource.LICENSE_FILE: "the license file",
    EvidenceSource.BASE_MODEL: "base model",
    EvidenceSource.MODEL_PROPERTY: "model property",
}


def _field(label: str, value: str) -> list[str]:
    indent = " " * (_LABEL + 2)
    body = textwrap.fill(value, WIDTH, initial_indent=indent, subsequent_indent=indent)
    return [f"  {label.ljust(_LABEL)}{body[len(indent) :]}"]


def _bullets(items: list[str], indent: int = 4) -> list[str]:
    pad = " " * indent
    return [textwrap.fill(item, WIDTH, initial_indent=f"{pad}- ", subsequent_indent=f"{pad}  ") for item in items]


def _conditions(entry: LicenseEntry) -> list[str]:
    c = entry.conditions
    out: list[str] = []
    if c.max_monthly_active_users is not None:
        out.append(
            f"at most {c.max_monthly_active_users:,} monthly active users; above that a separate license "
            "from the licensor is needed"
        )
    if c.max_annual_revenue_usd is not None:
        out.append(
            f"annual revenue at most USD {c.max_annual_revenue_usd:,}; above that this license does not cover you"
        )
    if c.max_daily_active_users is not None:
        out.append(f"at most {c.max_daily_active_users:,} daily active users")
    if c.max_monthly_visits is not None:
        out.append(f"at most {c.max_monthly_visits:,} monthly visits")
    if c.excluded_territories:
        out.append(f"not licensed in: {', '.join(c.excluded_territories)}")
    for x in c.excluded_territories_by_model_class:
        out.append(
            f"{x.model_class.value} models not licensed to licensees ({x.basis.value}) in "
            f"{', '.join(x.territories)}: {x.clause}"
        )
    if c.registration_required:
        out.append("registration with the licensor is required before commercial use")
    if c.requires_licensor_approval:
        out.append("commercial use needs the licensor's separate permission")
    if c.not_established:
        out.append(
            "not established (check before relying on it): "
            + ", ".join(name.replace("_", " ") for name in c.not_established)
        )
    if c.notes:
        out.append(c.notes)
    return out


def explain_license(entry: LicenseEntry) -> str:
    """Everything the knowledge base says about one license, for `auditor explain LICENSE`."""
    lines = [f"{entry.name}  [{entry.key}]", ""]
    ident = entry.spdx or f"{entry.licenseref or entry.identifier} (no SPDX id)"
    lines += _field("SPDX:", ident)
    lines += _field("Hub ids:", ", ".join(entry.hub_ids) or "none (used as `license: other` + license_name)")
    if entry.aliases:
        lines += _field("Also named:", ", ".join(entry.aliases))
    lines += _field("Category:", entry.category)
    lines += _field("Commercial use:", _commercial_text(entry.commercial))
    if entry.rights_recorded:
        lines.append("  Rights:")
        lines += _bullets([f"{r.value}: {entry.right(r).grant.value} - {entry.right(r).clause}" for r in RIGHTS])
    else:
        lines.append("  Rights:         not recorded (every right reads as unknown)")
    conditions = _conditions(entry)
    lines.append("  Conditions:" if conditions else "  Conditions:     none recorded")
    lines += _bullets(conditions)
    if entry.obligations:
        lines.append("  Obligations:")
        lines += _bullets([f"[{o.when}] {o.id}: {o.text}" for o in entry.obligations])
    else:
        lines.append("  Obligations:    none recorded")
    if entry.restrictions:
        lines.append("  Restrictions (prohibitions, not duties):")
        lines += _bullets([o.text for o in entry.restrictions])
    if entry.use_restrictions:
        lines += _field("Use limits:", entry.use_restrictions)
    if entry.output_training_restriction:
        lines += _field("Outputs:", entry.output_training_restriction)
    if entry.version:
        lines += _field("Version:", entry.version)
    if entry.url:
        lines += _field("Text:", entry.url)
    lines += _field(
        "Verified:",
        "facts checked against the license text" if entry.text_verified else "not checked against the full text",
    )
    if entry.sources:
        lines.append("  Sources:")
        lines += _bullets(list(entry.sources))
    if entry.notes:
        lines += _field("Notes:", entry.notes)
    lines += ["", "Not legal advice: the facts above are what the knowledge base records, with their sources."]
    return "\n".join(lines)


def _commercial_text(value: Commercial) -> str:
    return {
        Commercial.YES: "yes",
        Commercial.NO: "no",
        Commercial.CONDITIONAL: "conditional: allowed only under the conditions below",
        Commercial.UNKNOWN: "unknown: not established, so never cleared without review",
    }[value]


# Each source in the few words a reader needs ("card, LICENSE file and tags agree").
_SHORT_NAMES = {
    EvidenceSource.CARD_LICENSE: "card",
    EvidenceSource.TAG: "tags",
    EvidenceSource.CARD_LICENSE_NAME: "the card's license_name",
    EvidenceSource.CARD_LICENSE_LINK: "the card's license_link",
    EvidenceSource.LICENSE_FILE: "license file",
}


def confidence_label(confidence: float) -> str:
    if confidence >= CONFIDENCE_HIGH:
        return "high"
    if confidence >= CONFIDENCE_MEDIUM:
        return "medium"
    if confidence > 0:
        return "low"
    return "none"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def confidence_text(resolution: LicenseResolution) -> str:
    """What the confidence means, in words: its level, then which sources agree (or why none settle it),
    then the score the policy's `low_confidence` threshold is compared with."""
    score = f"(score {resolution.confidence:.2f})"
    level = confidence_label(resolution.confidence)
    if not resolution.keys:
        return f"{level}: nothing identifies the license {score}"
    if any(f.rule == RULE_CONFLICT for f in resolution.findings):
        return f"{level}: the evidence disagrees, so no one license is settled (see the findings) {score}"
    keys = set(resolution.keys)
    agreeing = [e for e in resolution.evidence if keys & set(e.keys) and e.source in _SHORT_NAMES]
    sources = sorted(dict.fromkeys(e.source for e in agreeing), key=_PRECEDENCE.index)
    if not sources:
        return f"{level}: identified from the evidence below {score}"
    words = []
    for source in sources:
        if source == EvidenceSource.LICENSE_FILE:
            paths = list(dict.fromkeys(e.path or "license file" for e in agreeing if e.source == source))
            words.append(f"{_and(paths)} file" if paths != ["license file"] else "license file")
        else:
            words.append(_SHORT_NAMES[source])
    basis = f"only the {words[0]} says so" if len(words) == 1 else f"{_and(words)} agree"
    if EvidenceSource.TAG in sources and EvidenceSource.CARD_LICENSE in sources and len(sources) == 2:
        basis = "only the card says so (the Hub's tags are read from the card, so they add nothing)"
    if EvidenceSource.LICENSE_FILE not in sources:
        basis += "; no license text confirms it"
    if resolution.expression is None:
        basis += "; part of the license is still unknown"
    return f"{level}: {basis} {score}"


def _why(resolution: LicenseResolution) -> str:
    if not resolution.keys:
        return "no evidence identifies a license"
    if any(f.rule == RULE_CONFLICT for f in resolution.findings):
        return "the evidence disagrees (see findings): every license named counts until a person decides"
    keys = set(resolution.keys)
    agreeing = [e.source for e in resolution.evidence if keys & set(e.keys) and e.source in _PRECEDENCE]
    ordered = sorted(dict.fromkeys(agreeing), key=_PRECEDENCE.index)
    if not ordered:
        return "identified from the evidence below"
    decided = _SOURCE_NAMES.get(ordered[0], ordered[0])
    # the Hub derives its license tags from the card: they confirm nothing the card said
    rest = [
        _SOURCE_NAMES.get(s, s)
        for s in ordered[1:]
        if not (s == EvidenceSource.TAG and ordered[0] == EvidenceSource.CARD_LICENSE)
    ]
    why = f"from {decided}" + (f", confirmed by {', '.join(rest)}" if rest else "")
    if resolution.expression is None:
        return f"only partly established: {', '.join(resolution.keys)} {why}; the rest is unknown (see findings)"
    return why


def explain_resolution(
    hub: HubModel, resolution: LicenseResolution, kb: KnowledgeBase | None = None, *, findings: bool = True
) -> str:
    """How a model's license was resolved: evidence, the choice and why, confidence, findings, lineage.

    With `kb`, license keys are shown with their names. `findings=False` leaves the findings to the
    verdict's steps that follow (which carry every one of them), so the two sections cannot disagree."""
    lines = [f"{hub.repo_id} @ {hub.sha[:12] or hub.requested_revision}", ""]
    lines += _field("License:", _plain_expression(resolution.expression, kb) if resolution.expression else "unknown")
    if resolution.keys:
        lines += _field("Keys:", _named(resolution.keys, kb))
    lines += _field("Declared:", resolution.declared if resolution.declared is not None else "(no license field)")
    lines += _field("Why:", _why(resolution))
    lines += _field("Confidence:", confidence_text(resolution))
    commercial = _commercial_text(resolution.commercial).split(":")[0]
    if resolution.inherited_keys or resolution.lineage:
        commercial += " (the most restrictive of this model's terms and its base models')"
    lines += _field("Commercial use:", commercial)
    if resolution.inherited_keys:
        lines += _field("Inherited:", _named(resolution.inherited_keys, kb))

    lines += ["", "Evidence:"]
    if not resolution.evidence:
        lines.append("    (none: the card has no license field and the repo no license file)")
    for ev in resolution.evidence:
        where = f" {ev.path}" if ev.path else ""
        found = f" -> {', '.join(ev.keys)}" if ev.keys else ""
        how = f" ({ev.detail})" if ev.detail else ""
        lines += _bullets([f"{ev.source}{where}: {ev.value!r}{found}{how}"])

    if findings:
        lines += _findings(resolution)
    lines += _traits(resolution)
    lines += _lineage(hub, resolution)
    return "\n".join(lines)


def _findings(resolution: LicenseResolution) -> list[str]:
    lines = ["", "Findings about the license evidence:"]
    if not resolution.findings:
        lines.append("    (none: the evidence raised no questions)")
    order = {s: -s.rank for s in Severity}
    for f in sorted(resolution.findings, key=lambda f: order[f.severity]):
        lines += _bullets([f"[{f.severity.value}] {f.rule}: {f.message}"])
        if f.fix:
            lines.append(textwrap.fill(f"fix: {f.fix}", WIDTH, initial_indent="      ", subsequent_indent="      "))
    return lines


def _traits(resolution: LicenseResolution) -> list[str]:
    if not resolution.traits:
        return []
    lines = ["", "Model properties some license terms depend on:"]
    shown = {True: "yes", False: "no", None: "unknown"}
    lines += _bullets([f"{t.name}: {shown[t.value]} ({t.evidence})" for t in resolution.traits])
    return lines


def _lineage(hub: HubModel, resolution: LicenseResolution) -> list[str]:
    lines = ["", "Lineage:"]
    if not resolution.lineage:
        lines.append("    (no base model declared)")
    else:
        lines.append(f"    {hub.repo_id}")
        for link in resolution.lineage:
            pad = "    " + "   " * link.depth
            sha = f" @ {link.sha[:12]}" if link.sha else ""
            terms = link.expression or (", ".join(link.keys) if link.keys else "license unknown")
            state = f"; not resolved: {link.error}" if link.error else f" ({link.commercial.value})"
            lines.append(f"{pad}└─ {link.relation} of {link.repo_id}{sha}: {terms}{state}")
    return lines


def _plain_expression(expression: str, kb: KnowledgeBase | None) -> str:
    """`Apache License 2.0 (Apache-2.0)`: the name first, the SPDX id beside it (a LicenseRef only in Keys)."""
    if kb is None:
        return expression
    names = {}
    for entry in kb:
        label = f"{entry.name} ({entry.spdx})" if entry.spdx else entry.name
        names[entry.identifier] = label
    return rename_licenses(expression, names)


def _named(keys: tuple[str, ...], kb: KnowledgeBase | None) -> str:
    if kb is None:
        return ", ".join(keys)
    return ", ".join(f"{key} ({entry.name})" if (entry := kb.get(key)) else key for key in keys)


def licenses_table(
    kb: KnowledgeBase, category: str | None = None, commercial: str | None = None
) -> list[dict[str, Any]]:
    """Rows for `auditor licenses`: key, hub_ids, spdx, licenseref, category, commercial, name."""
    if category is not None and category not in CATEGORIES:
        raise UsageError(f"unknown category {category!r}; one of: {', '.join(CATEGORIES)}")
    if commercial is not None and commercial not in {c.value for c in Commercial}:
        raise UsageError(f"unknown commercial status {commercial!r}; one of: yes, no, conditional, unknown")
    return [
        {
            "key": e.key,
            "hub_ids": list(e.hub_ids),
            "spdx": e.spdx,
            "licenseref": e.licenseref,
            "category": e.category,
            "commercial": e.commercial.value,
            "name": e.name,
        }
        for e in kb.filter(category=category, commercial=commercial)
    ]
