"""`auditor explain api:PROVIDER/MODEL`: the offering's facts, each with its source and verification date."""

from __future__ import annotations

import textwrap

from auditor.providers.knowledge import Fact, Match, Offering


def _value(value: str | tuple[str, ...]) -> str:
    return "; ".join(value) if isinstance(value, tuple) else value


def explain_offering(offering: Offering, model: str) -> str:
    lines = [
        f"{offering.provider_name}: {offering.name}",
        f"  model:     {model}",
        f"  offering:  {offering.provider}/{offering.key} ({offering.kind}"
        + (f", resells {offering.resells}" if offering.resells else "")
        + ")",
        "",
        "Facts (unknown = not confirmed from the provider's own terms):",
    ]
    for fact in Fact:
        found = offering.fact(fact)
        lines.append(f"  {fact.label}: {_value(found.value)}")
        for label, text in (
            ("detail", found.detail),
            ("source", found.source),
            ("quote", found.quote),
            ("note", found.note),
        ):
            if not text:
                continue
            if label == "source" and found.verified:
                text += (
                    f" (verified {found.verified}"
                    + (f"; page dated {found.page_date}" if found.page_date else "")
                    + ")"
                )
            if label == "quote":
                text = f"\u201c{text}\u201d"
            lines += textwrap.wrap(text, 100, initial_indent=f"      {label}: ", subsequent_indent=" " * 14)
    return "\n".join(lines)


def explain_match(match: Match, model: str) -> str:
    if match.offering is not None:
        return explain_offering(match.offering, model)
    lines = [f"No provider terms: {match.message}"]
    if match.provider is not None:
        for offering in match.provider.offerings:
            lines.append("")
            lines.append(explain_offering(offering, model))
    return "\n".join(lines)
