"""A phase of license resolution: what the card and the Hub's tags say the license is, returned as one value.

The card's `license` (a Hub id, a list of them, rarely an SPDX expression) becomes a tree of slots, each
resolved to a knowledge-base entry or left as a hole (`other`, a placeholder, an unrecognised id) for the
later evidence to fill; the `license:` tags, `license_name` and `license_link` are read beside it. Every
value read is evidence, in reading order. Pure: no network, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from auditor import limits
from auditor.licenses import expression as spdx
from auditor.licenses.confidence import (
    CONFIDENCE_CARD_ALIAS,
    CONFIDENCE_CARD_ID,
    CONFIDENCE_NAME,
    CONFIDENCE_PATTERN,
    CONFIDENCE_TAG,
    MULTIPLE_FACTOR,
)
from auditor.licenses.entry import LicenseEntry
from auditor.licenses.knowledge import KnowledgeBase
from auditor.licenses.notes import Notes, distinct
from auditor.licenses.rule_ids import (
    RULE_MULTIPLE,
    RULE_NAME_AMBIGUOUS,
    RULE_OTHER_UNNAMED,
    RULE_PLACEHOLDER,
    RULE_UNRECOGNISED,
)
from auditor.licenses.text import MAX_ID_CHARS, describe_value, quote, slug
from auditor.models import Commercial, Evidence, EvidenceSource, Finding, HubModel, Severity

MAX_LIST_ITEMS = limits.CARD_LICENSES
MAX_TAG_IDS = 16
LICENSE_TAG = "license:"


@dataclass
class Slot:
    """One license in the declared license: resolved to an entry, or a hole still to fill."""

    raw: str
    source: EvidenceSource
    kind: str  # license | other | placeholder | unrecognised | invalid | ambiguous
    entry: LicenseEntry | None = None
    ident: str | None = None
    confidence: float = 0.0
    how: str = ""
    filled_from: EvidenceSource | None = None  # the source that filled a hole
    candidates: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.entry is not None


@dataclass
class Group:
    operator: str
    items: list[Slot | Group] = field(default_factory=list)

    def slots(self) -> list[Slot]:
        out: list[Slot] = []
        for item in self.items:
            out.extend(item.slots() if isinstance(item, Group) else [item])
        return out


Tree = Slot | Group


@dataclass(frozen=True)
class Declared:
    """What the card and tags declare: the `license` tree (None when absent), the tag slots, the
    entries `license_name` and `license_link` point at, and the evidence and findings in reading order.
    The slots are the resolver's working copies: later phases fill their holes."""

    tree: Tree | None
    list_size: int
    tag_slots: tuple[Slot, ...]
    name_entries: tuple[LicenseEntry, ...]
    name_how: str
    link_entries: tuple[LicenseEntry, ...]
    evidence: tuple[Evidence, ...] = ()
    findings: tuple[Finding, ...] = field(default=())


def read_declared(hub: HubModel, kb: KnowledgeBase) -> Declared:
    """The card's `license`, then the Hub's `license:` tags, `license_name` and `license_link`."""
    reader = _Reader(hub, kb)
    tree, list_size = reader.declared_tree(reader.card.get("license"))
    tag_slots = reader.tag_slots()
    name_entries, name_how = reader.license_name()
    link_entries = reader.license_link()
    return Declared(
        tree,
        list_size,
        tuple(tag_slots),
        tuple(name_entries),
        name_how,
        tuple(link_entries),
        tuple(reader.evidence),
        tuple(reader.findings),
    )


class _Reader(Notes):
    """Reads the declared license into slots; keeps what it read as evidence."""

    def lookup(self, value: str) -> tuple[LicenseEntry | None, str, float, tuple[str, ...]]:
        """(entry, how, confidence, candidates) for one license id as written in a card or tag."""
        text = value.strip()
        if len(text) > MAX_ID_CHARS:
            return None, "too long to be a license id", 0.0, ()
        entry = self.kb.by_hub_id(text)
        if entry is not None:
            return entry, "Hub license id", CONFIDENCE_CARD_ID, ()
        entry = self.kb.by_spdx(text) or self.kb.match_exact(text)
        if entry is not None:
            return entry, "SPDX id or known alias (not a Hub id)", CONFIDENCE_CARD_ALIAS, ()
        matches = self.kb.match_name(text)
        if len(matches) == 1:
            return matches[0], "name pattern", CONFIDENCE_PATTERN, ()
        if matches:
            return None, "matches several licenses", 0.0, tuple(e.key for e in matches)
        return None, "not recognised", 0.0, ()

    def slot(self, value: object, source: EvidenceSource) -> Slot:
        if not isinstance(value, str):
            return Slot(describe_value(value), source, "invalid", how=f"{describe_value(value)}, not a license id")
        raw = quote(value)
        if not slug(value):
            return Slot(raw, source, "placeholder", how="no letters or digits")
        entry, how, confidence, candidates = self.lookup(value)
        if entry is None:
            kind = "ambiguous" if candidates else "unrecognised"
            return Slot(raw, source, kind, how=how, candidates=candidates)
        if self.kb.is_other(entry):
            return Slot(raw, source, "other", how="Hub id for a license not on its list")
        if self.kb.is_placeholder(entry):
            return Slot(raw, source, "placeholder", how="placeholder, not a license")
        ident = self.kb.identifier_for_hub_id(value, entry)
        return Slot(raw, source, "license", entry, ident, confidence, how)

    def tree_from(self, value: object, source: EvidenceSource) -> Tree:
        if isinstance(value, str) and spdx.looks_like_expression(value):
            node = spdx.parse_expression(value)
            if isinstance(node, spdx.Operation) or (isinstance(node, spdx.Symbol) and node.exception):
                return self.tree_from_expression(node, source)
        return self.slot(value, source)

    def tree_from_expression(self, node: spdx.Node, source: EvidenceSource) -> Tree:
        if isinstance(node, spdx.Symbol):
            leaf = self.slot(node.name, source)
            if leaf.ident and node.exception:
                leaf.ident = f"{leaf.ident} WITH {node.exception}"
            return leaf
        return Group(node.operator, [self.tree_from_expression(arg, source) for arg in node.args])

    def declared_tree(self, raw: object) -> tuple[Tree | None, int]:
        if raw is None:
            return None, 0
        if isinstance(raw, (list, tuple)):
            items = list(raw)
            if not items:
                self.add_evidence(EvidenceSource.CARD_LICENSE, "[]", detail="an empty list")
                return None, 0
            if len(items) > MAX_LIST_ITEMS:
                self.find(
                    RULE_MULTIPLE,
                    Severity.WARNING,
                    f"the card lists {len(items)} licenses; only the first {MAX_LIST_ITEMS} were read "
                    f"({MAX_LIST_ITEMS.note})",
                    "List only the licenses that apply to this model.",
                )
                items = items[:MAX_LIST_ITEMS]
            group = Group(spdx.AND)
            seen: set[str] = set()
            for item in items:
                tree = self.tree_from(item, EvidenceSource.CARD_LICENSE)
                marker = item.strip().casefold() if isinstance(item, str) else repr(item)
                if marker in seen:
                    continue
                seen.add(marker)
                group.items.append(tree)
                self.evidence_for(tree)
            if len(group.items) == 1:
                return group.items[0], 1
            return group, len(group.items)
        tree = self.tree_from(raw, EvidenceSource.CARD_LICENSE)
        self.evidence_for(tree)
        return tree, 1

    def evidence_for(self, tree: Tree) -> None:
        for s in tree.slots() if isinstance(tree, Group) else [tree]:
            keys = (s.entry.key,) if s.entry else s.candidates
            self.add_evidence(s.source, s.raw, keys, s.how)

    def tag_slots(self) -> list[Slot]:
        ids = distinct(
            t[len(LICENSE_TAG) :].strip()
            for t in self.hub.tags
            if isinstance(t, str) and t.startswith(LICENSE_TAG) and t[len(LICENSE_TAG) :].strip()
        )[:MAX_TAG_IDS]
        slots = [self.slot(i, EvidenceSource.TAG) for i in ids]
        for s in slots:
            if s.kind == "license":
                s.confidence = CONFIDENCE_TAG
            self.add_evidence(
                EvidenceSource.TAG, f"{LICENSE_TAG}{s.raw}", (s.entry.key,) if s.entry else s.candidates, s.how
            )
        return slots

    def license_name(self) -> tuple[list[LicenseEntry], str]:
        raw = self.card.get("license_name")
        if raw is None:
            return [], ""
        if not isinstance(raw, str):
            self.add_evidence(EvidenceSource.CARD_LICENSE_NAME, raw, detail=f"{describe_value(raw)}, not a name")
            return [], "invalid"
        entries = self.kb.match_name(raw)
        exact = self.kb.match_exact(raw)
        how = "known alias" if exact is not None else "name pattern" if len(entries) == 1 else ""
        if len(entries) > 1:
            how = "matches several licenses"
        elif not entries:
            how = "not recognised"
        self.add_evidence(EvidenceSource.CARD_LICENSE_NAME, raw, tuple(e.key for e in entries), how)
        return entries, how

    def license_link(self) -> list[LicenseEntry]:
        raw = self.card.get("license_link")
        if raw is None:
            return []
        if not isinstance(raw, str):
            self.add_evidence(EvidenceSource.CARD_LICENSE_LINK, raw, detail=f"{describe_value(raw)}, not a link")
            return []
        entries = self.kb.match_url(raw)
        local = "://" not in raw and not raw.strip().lower().startswith("www.")
        where = "names a file in the repo" if local else "not fetched"
        how = f"known license URL; {where}" if entries else f"not a known license URL; {where}"
        if len(entries) > 1:
            how = f"URL of several licenses; {where}"
        self.add_evidence(EvidenceSource.CARD_LICENSE_LINK, raw, tuple(e.key for e in entries), how)
        return entries


# What a declared tree comes to


def tree_commercial(tree: Tree) -> Commercial:
    """AND: every license applies, so the most restrictive; OR: the licensee may choose, so the least."""
    if isinstance(tree, Slot):
        return tree.entry.commercial if tree.entry is not None else Commercial.UNKNOWN
    values = [tree_commercial(item) for item in tree.items]
    pick = max if tree.operator == spdx.AND else min
    return pick(values, key=lambda c: c.restrictiveness)


MAX_LICENSEREF_CHARS = 80


def declared_licenseref(name: object) -> str | None:
    """`LicenseRef-<name>` for a license_name we do not know, or None when nothing usable is left."""
    if not isinstance(name, str):
        return None
    cleaned = re.sub(r"[^A-Za-z0-9.]+", "-", name.strip()).strip("-.")[:MAX_LICENSEREF_CHARS].strip("-.")
    return f"LicenseRef-{cleaned}" if cleaned else None


def tree_expression(tree: Tree) -> str | None:
    if isinstance(tree, Slot):
        return tree.ident
    parts = [tree_expression(item) for item in tree.items]
    return spdx.combine(parts, tree.operator)


def tree_confidence(tree: Tree, list_size: int) -> float:
    slots = tree.slots() if isinstance(tree, Group) else [tree]
    value = min((s.confidence if s.entry is not None else 0.0) for s in slots)
    if len(slots) > 1 and list_size > 1:
        value *= MULTIPLE_FACTOR
    return value


def declared_text(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return quote(raw)
    if isinstance(raw, (list, tuple)):
        return quote(", ".join(item if isinstance(item, str) else repr(item) for item in raw[:MAX_LIST_ITEMS]))
    return quote(repr(raw))


def said(slots: list[Slot]) -> str:
    parts = [s.entry.key for s in slots if s.entry is not None]
    return " and ".join(dict.fromkeys(parts)) if parts else "no known license"


def report_slots(notes: Notes, slots: list[Slot], tree: Tree | None, list_size: int) -> None:
    """One finding per slot that was not a plain known license, and for several licenses."""
    for s in slots:
        filled = s.filled_from is not None
        via = f"; identified from {s.filled_from} as {s.entry.key}" if filled and s.entry else ""
        if s.kind == "other" and s.source != EvidenceSource.LICENSE_FILE:
            if not filled:
                notes.find(
                    RULE_OTHER_UNNAMED,
                    Severity.ERROR,
                    "the card says `license: other` and names no license we know "
                    "(no recognised license_name, license file or link)",
                    "Add license_name and a LICENSE file to the repo, or read the terms and waive.",
                )
            elif s.filled_from != EvidenceSource.CARD_LICENSE_NAME:
                notes.find(
                    RULE_OTHER_UNNAMED,
                    Severity.INFO if s.confidence >= CONFIDENCE_NAME else Severity.WARNING,
                    f"the card says `license: other` without a known license_name{via}",
                    "Set license_name in the card so the license is declared, not inferred.",
                )
        elif s.kind == "placeholder":
            notes.find(
                RULE_PLACEHOLDER,
                Severity.ERROR if not filled else Severity.WARNING,
                f"the card's license is the placeholder {s.raw!r}, not a license{via}",
                "Ask the publisher for the actual license; until then no terms are known.",
            )
        elif s.kind in ("unrecognised", "invalid"):
            what = f"{s.raw!r}" if s.kind == "unrecognised" else s.raw
            notes.find(
                RULE_UNRECOGNISED,
                Severity.ERROR if not filled else Severity.WARNING,
                f"{_source_text(s.source)} {what} is not a license we know ({s.how}){via}",
                "Check the spelling against `auditor licenses`; if it is a real license, add it to "
                "rules/licenses.yaml with its terms.",
            )
        elif s.kind == "ambiguous":
            notes.find(
                RULE_NAME_AMBIGUOUS,
                Severity.ERROR if not filled else Severity.INFO,
                f"{_source_text(s.source)} {s.raw!r} could be any of {', '.join(s.candidates)}{via}",
                "Use the exact Hub id or license name (see `auditor licenses`).",
            )
    raw_name = notes.card.get("license_name")
    name_used = any(
        s.filled_from == EvidenceSource.CARD_LICENSE_NAME or s.source == EvidenceSource.CARD_LICENSE_NAME
        for s in slots
    )
    if isinstance(raw_name, str) and not name_used and not notes.kb.match_name(raw_name):
        resolved = bool(slots) and all(s.resolved for s in slots)
        notes.find(
            RULE_UNRECOGNISED,
            Severity.WARNING if resolved else Severity.ERROR,
            f"license_name {quote(raw_name, 120)!r} is not a license we know",
            "Check the spelling against `auditor licenses`; if it is a real license, add it to "
            "rules/licenses.yaml with its terms.",
        )
    if isinstance(tree, Group) and len({s.raw.casefold() for s in slots}) > 1:
        if (
            list_size > 1
            and tree.operator == spdx.AND
            and all(s.source != EvidenceSource.LICENSE_FILE for s in slots)
        ):
            names = ", ".join(repr(s.raw) for s in slots)
            notes.find(
                RULE_MULTIPLE,
                Severity.ERROR,
                f"{len(slots)} licenses declared ({names}); read as all applying together "
                f"({tree_expression(tree) or 'partly unknown'})",
                "Confirm which license covers what (weights, code, data); if they are alternatives, "
                "the card should say so with an SPDX OR expression.",
            )
        elif any(s.source == EvidenceSource.LICENSE_FILE for s in slots):
            notes.find(
                RULE_MULTIPLE,
                Severity.ERROR,
                "the repo ships several different license texts and its card declares none; "
                f"read as all applying ({tree_expression(tree) or 'partly unknown'})",
                "Confirm which license covers the weights and declare it in the card.",
            )
        else:
            notes.find(
                RULE_MULTIPLE,
                Severity.INFO,
                f"the card declares the SPDX expression {tree_expression(tree) or 'with unknown parts'}",
                None,
            )


def _source_text(source: EvidenceSource) -> str:
    return {
        EvidenceSource.CARD_LICENSE: "the card's license",
        EvidenceSource.TAG: "the Hub tag license:",
        EvidenceSource.CARD_LICENSE_NAME: "license_name",
    }.get(source, source)
