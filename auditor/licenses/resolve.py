"""Which license governs a model, from all the evidence the Hub gives, and how sure we are.

Evidence, in the order it is weighed:
  1. the card's `license` (a Hub id, a list of them, rarely an SPDX expression), else the Hub's
     `license:` tags; `other` and placeholders are slots still to be filled;
  2. `license_name` (a slug the knowledge base may know), which fills an `other` slot;
  3. the license files' text (markers, then similarity), which fills what is still open and confirms
     or contradicts everything above;
  4. `license_link` (matched against known URLs, never fetched), the weakest: fills a slot last.
Every disagreement is a `license-conflict`; then no single expression is claimed, every candidate's
terms count, and the model needs a person. Base models' terms reach the derivative: the effective
commercial status is the most restrictive of the model's and its bases'.

Finding severities: ERROR means the governing terms are not established (unknown, unreadable,
contradicted, edited, or several licenses whose combination a person must confirm): never approvable
as is. WARNING means the license is established but something beside it deserves a look (an unreadable
file next to a declared license, a junk base_model). INFO is a note.

Pure: no network, no clock. Never raises on card input, never guesses: unknown stays unknown.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from auditor.licenses import expression as spdx
from auditor.licenses.confidence import (
    BOOST_LINK as BOOST_LINK,
)
from auditor.licenses.confidence import (
    BOOST_NAME as BOOST_NAME,
)
from auditor.licenses.confidence import (
    BOOST_TEXT as BOOST_TEXT,
)
from auditor.licenses.confidence import (
    CONFIDENCE_CARD_ALIAS as CONFIDENCE_CARD_ALIAS,
)
from auditor.licenses.confidence import (
    CONFIDENCE_CARD_ID as CONFIDENCE_CARD_ID,
)
from auditor.licenses.confidence import (
    CONFIDENCE_CONFLICT as CONFIDENCE_CONFLICT,
)
from auditor.licenses.confidence import (
    CONFIDENCE_LINK as CONFIDENCE_LINK,
)
from auditor.licenses.confidence import (
    CONFIDENCE_MAX as CONFIDENCE_MAX,
)
from auditor.licenses.confidence import (
    CONFIDENCE_NAME as CONFIDENCE_NAME,
)
from auditor.licenses.confidence import (
    CONFIDENCE_PATTERN as CONFIDENCE_PATTERN,
)
from auditor.licenses.confidence import (
    CONFIDENCE_PDF_NAME as CONFIDENCE_PDF_NAME,
)
from auditor.licenses.confidence import (
    CONFIDENCE_TAG as CONFIDENCE_TAG,
)
from auditor.licenses.confidence import (
    CONFIDENCE_TEXT_MARKERS as CONFIDENCE_TEXT_MARKERS,
)
from auditor.licenses.confidence import (
    CONFIDENCE_TEXT_ONE_MARKER as CONFIDENCE_TEXT_ONE_MARKER,
)
from auditor.licenses.confidence import (
    CONFIDENCE_TEXT_SIMILARITY as CONFIDENCE_TEXT_SIMILARITY,
)
from auditor.licenses.confidence import (
    MULTIPLE_FACTOR as MULTIPLE_FACTOR,
)
from auditor.licenses.declared import LICENSE_TAG, read_declared, report_slots
from auditor.licenses.declared import Group as _Group
from auditor.licenses.declared import Slot as _Slot
from auditor.licenses.declared import Tree as _Tree
from auditor.licenses.declared import declared_licenseref as _declared_licenseref
from auditor.licenses.declared import declared_text as _declared_text
from auditor.licenses.declared import said as _said
from auditor.licenses.declared import tree_commercial as _commercial
from auditor.licenses.declared import tree_confidence as _confidence
from auditor.licenses.declared import tree_expression as _expression
from auditor.licenses.detect import TextMatch
from auditor.licenses.entry import LicenseEntry
from auditor.licenses.files import is_code_file as _is_code_file
from auditor.licenses.files import read_license_files
from auditor.licenses.files import text_confidence as _text_confidence
from auditor.licenses.inherit import NOT_LOOKED_UP as NOT_LOOKED_UP
from auditor.licenses.inherit import ResolvedBase as ResolvedBase
from auditor.licenses.inherit import most_restrictive as _most_restrictive
from auditor.licenses.inherit import read_lineage
from auditor.licenses.knowledge import KnowledgeBase
from auditor.licenses.memo import plain, remembered
from auditor.licenses.notes import Notes, distinct
from auditor.licenses.rule_ids import (
    RULE_BASE_UNRESOLVED as RULE_BASE_UNRESOLVED,
)
from auditor.licenses.rule_ids import (
    RULE_CARD_UNREADABLE as RULE_CARD_UNREADABLE,
)
from auditor.licenses.rule_ids import (
    RULE_CONFLICT as RULE_CONFLICT,
)
from auditor.licenses.rule_ids import (
    RULE_CONFLICT_WITH_BASE as RULE_CONFLICT_WITH_BASE,
)
from auditor.licenses.rule_ids import (
    RULE_FILE_UNREADABLE as RULE_FILE_UNREADABLE,
)
from auditor.licenses.rule_ids import (
    RULE_MULTIPLE as RULE_MULTIPLE,
)
from auditor.licenses.rule_ids import (
    RULE_NAME_AMBIGUOUS as RULE_NAME_AMBIGUOUS,
)
from auditor.licenses.rule_ids import (
    RULE_NO_LICENSE as RULE_NO_LICENSE,
)
from auditor.licenses.rule_ids import (
    RULE_OTHER_UNNAMED as RULE_OTHER_UNNAMED,
)
from auditor.licenses.rule_ids import (
    RULE_PLACEHOLDER as RULE_PLACEHOLDER,
)
from auditor.licenses.rule_ids import (
    RULE_TEXT_AMBIGUOUS as RULE_TEXT_AMBIGUOUS,
)
from auditor.licenses.rule_ids import (
    RULE_TEXT_MODIFIED as RULE_TEXT_MODIFIED,
)
from auditor.licenses.rule_ids import (
    RULE_UNRECOGNISED as RULE_UNRECOGNISED,
)
from auditor.licenses.text import quote
from auditor.licenses.traits import model_traits
from auditor.models import (
    Commercial,
    Evidence,
    EvidenceSource,
    Finding,
    HubModel,
    LicenseFile,
    LicenseResolution,
    Severity,
)

_NO_BASES: Mapping[str, ResolvedBase] = MappingProxyType({})


@dataclass(frozen=True)
class _OwnTerms:
    """The model's own terms, before its bases are weighed: what `_Resolver.own_terms` found."""

    evidence: tuple[Evidence, ...]
    findings: tuple[Finding, ...]
    keys: tuple[str, ...]
    commercial: Commercial
    expression: str | None
    confidence: float
    declared: str | None


def resolve(hub: HubModel, kb: KnowledgeBase, bases: Mapping[str, ResolvedBase] = _NO_BASES) -> LicenseResolution:
    """The license that governs `hub`, with evidence, findings, lineage and a confidence."""
    return _Resolver(hub, kb).run(bases)


class _Resolver(Notes):
    def __init__(self, hub: HubModel, kb: KnowledgeBase) -> None:
        super().__init__(hub, kb)
        self.conflict_keys: list[str] = []
        self.unsettled = 0  # conflicts and edited license texts: the governing terms are not established
        self.texts: list[tuple[LicenseFile, TextMatch]] = []
        self.unread_pdfs = 0  # PDF license files with no text version: their terms are unknown

    # ------------------------------------------------------------ the run

    def run(self, bases: Mapping[str, ResolvedBase]) -> LicenseResolution:
        hub = self.hub
        own = remembered(self.kb, self.own_key, self.own_terms)
        self.evidence, self.findings = list(own.evidence), list(own.findings)
        own_keys, own_commercial, expression = own.keys, own.commercial, own.expression
        inheritance = read_lineage(hub, self.kb, bases, own_keys, own_commercial, expression)
        self.take(inheritance.evidence, inheritance.findings)
        lineage, inherited, effective = inheritance.links, inheritance.inherited, inheritance.effective
        self.settle_severities(expression is not None)
        traits = model_traits(hub, ((b.repo_id, b.resolution) for b in bases.values() if b.resolution is not None))
        for trait in traits:
            # Evidence where the governing terms depend on it (Llama 3.2: multimodal models in the EU).
            if self.terms_depend_on(trait.name, (*own_keys, *inherited)):
                shown = {True: "yes", False: "no", None: "unknown"}[trait.value]
                self.add_evidence(EvidenceSource.MODEL_PROPERTY, f"{trait.name}: {shown}", detail=trait.evidence)
        return LicenseResolution(
            expression=expression,
            keys=own_keys,
            commercial=effective,
            confidence=round(own.confidence, 3),
            evidence=tuple(self.evidence),
            findings=tuple(self.findings),
            lineage=lineage,
            inherited_keys=inherited,
            declared=own.declared,
            traits=traits,
        )

    def own_key(self) -> Hashable:
        """Everything `own_terms` reads from the model, exactly: the card's license fields, its license
        tags and files (see memo.py); never the model's id, which no part of its own terms depends on."""
        card, hub = self.card, self.hub
        return (
            "own-terms",
            hub.card_error,
            plain(card.get("license")),
            plain(card.get("license_name")),
            plain(card.get("license_link")),
            tuple(t for t in hub.tags if isinstance(t, str) and t.startswith(LICENSE_TAG)),
            hub.license_files,
            hub.file_problems,
        )

    def own_terms(self) -> _OwnTerms:
        """The model's own license from its card, tags and files, before its bases are weighed."""
        hub, card = self.hub, self.card
        if hub.card_error:
            self.find(
                RULE_CARD_UNREADABLE,
                Severity.WARNING,
                f"the model card's metadata could not be read: {quote(hub.card_error)}",
                "Fix the YAML front matter of README.md so the Hub (and this audit) can read the license.",
            )

        said = read_declared(hub, self.kb)
        self.take(said.evidence, said.findings)
        tree, list_size = said.tree, said.list_size
        tag_slots = list(said.tag_slots)
        from_tags = False
        if tree is None and tag_slots:
            tree = tag_slots[0] if len(tag_slots) == 1 else _Group(spdx.AND, list(tag_slots))
            list_size = len(tag_slots)
            from_tags = True

        name_entries, name_how = list(said.name_entries), said.name_how
        link_entries = list(said.link_entries)
        reading = read_license_files(hub, self.kb)
        texts = list(reading.texts)
        self.texts, self.unread_pdfs = texts, reading.unread_pdfs
        pdf_keys = dict(reading.pdf_keys)
        self.take(reading.evidence, reading.findings)

        slots = (tree.slots() if isinstance(tree, _Group) else [tree]) if tree is not None else []
        holes = [s for s in slots if not s.resolved]
        text_keys = distinct(m.key for lf, m in texts if m.key is not None and not _is_code_file(lf))
        text_keys = distinct([*text_keys, *pdf_keys.values()])

        if tree is None:
            tree = self.undeclared_tree(name_entries, name_how, text_keys, link_entries)
            slots = (tree.slots() if isinstance(tree, _Group) else [tree]) if tree is not None else []
        else:
            self.fill_holes(slots, holes, name_entries, name_how, text_keys, link_entries)

        governing = distinct(s.entry.key for s in slots if s.entry is not None)
        self.corroborate(slots, name_entries, link_entries, texts)
        self.cross_check(governing, slots, tag_slots, from_tags, name_entries, link_entries, texts)
        self.cross_check_pdfs(governing, slots, pdf_keys)
        report_slots(self, slots, tree, list_size)

        if tree is None and not any(f.severity is Severity.ERROR for f in self.findings) and not hub.file_problems:
            seen = (
                f" (what there is: {', '.join(dict.fromkeys(e.source for e in self.evidence))})"
                if self.evidence
                else ""
            )
            self.find(
                RULE_NO_LICENSE,
                Severity.ERROR,
                "the model declares no license: no `license` in its card, no license tag, no license file "
                f"we could read{seen}",
                "Ask the publisher which license applies, or treat the model as all rights reserved.",
            )

        own_keys = tuple(distinct([*governing, *self.conflict_keys]))
        own_commercial = _commercial(tree) if tree is not None else Commercial.UNKNOWN
        for key in self.conflict_keys:
            own_commercial = _most_restrictive(own_commercial, self.kb[key].commercial)
        if self.unsettled or self.unread_pdfs:  # contradicted or unread terms are never better than unknown
            own_commercial = _most_restrictive(own_commercial, Commercial.UNKNOWN)
        expression = _expression(tree) if tree is not None and not self.unsettled else None
        confidence = _confidence(tree, list_size) if tree is not None else 0.0
        if self.unsettled:
            confidence = min(confidence, CONFIDENCE_CONFLICT)

        return _OwnTerms(
            tuple(self.evidence),
            tuple(self.findings),
            own_keys,
            own_commercial,
            expression,
            confidence,
            _declared_text(card.get("license")),
        )


    # ------------------------------------------------------------ evidence gathering

    def cross_check_pdfs(self, governing: list[str], slots: list[_Slot], pdf_keys: dict[str, str]) -> None:
        """A PDF named as another license than the card declares is a conflict, as a text file would be."""
        gov = set(governing)
        for pdf, key in pdf_keys.items():
            if governing and key not in gov:
                name = self.kb[key].name
                self.conflict(
                    f"the card declares {_said(slots)} but {quote(pdf, 120)!r} is named as the {name} ({key})",
                    [key],
                    "Read the PDF and the card; ask the publisher to make them agree.",
                )

    # ------------------------------------------------------------ deciding

    def undeclared_tree(
        self,
        name_entries: list[LicenseEntry],
        name_how: str,
        text_keys: list[str],
        link_entries: list[LicenseEntry],
    ) -> _Tree | None:
        """No license field and no tags: the name, else the files, else the link decide. A code
        license file (LICENSE-CODE) never decides: it does not cover the weights."""
        if len(name_entries) == 1:
            e = name_entries[0]
            conf = CONFIDENCE_NAME if name_how == "known alias" else CONFIDENCE_PATTERN
            return self.filled(e, EvidenceSource.CARD_LICENSE_NAME, conf, "license_name")
        if text_keys:
            slots: list[_Slot | _Group] = [self.from_text(key) for key in text_keys]
            return slots[0] if len(slots) == 1 else _Group(spdx.AND, slots)
        if len(link_entries) == 1:
            return self.filled(link_entries[0], EvidenceSource.CARD_LICENSE_LINK, CONFIDENCE_LINK, "license_link")
        return None

    def filled(self, entry: LicenseEntry, source: EvidenceSource, confidence: float, how: str) -> _Slot:
        return _Slot(entry.key, source, "license", entry, spdx.identifier(entry), confidence, how)

    def from_text(self, key: str, slot: _Slot | None = None) -> _Slot:
        entry = self.kb[key]
        match = self._text_match_for(key)
        confidence = _text_confidence(match) if match is not None else CONFIDENCE_PDF_NAME
        ident = spdx.identifier(entry)
        if match is not None and match.variant:
            ident = self.kb.identifier_for_hub_id(match.variant, entry)
        if slot is None:
            return _Slot(key, EvidenceSource.LICENSE_FILE, "license", entry, ident, confidence, "license file text")
        slot.entry, slot.ident, slot.confidence, slot.filled_from = (
            entry,
            ident,
            confidence,
            EvidenceSource.LICENSE_FILE,
        )
        return slot

    def _text_match_for(self, key: str) -> TextMatch | None:
        return next((m for lf, m in self.texts if m.key == key and not _is_code_file(lf)), None) or next(
            (m for _, m in self.texts if m.key == key), None
        )

    def fill_holes(
        self,
        slots: list[_Slot],
        holes: list[_Slot],
        name_entries: list[LicenseEntry],
        name_how: str,
        text_keys: list[str],
        link_entries: list[LicenseEntry],
    ) -> None:
        """Fill `other` (and unknown or unrecognised) slots: license_name, then the files, then the link."""
        if not holes:
            return
        declared = {s.entry.key for s in slots if s.entry is not None}
        name_pick: LicenseEntry | None = name_entries[0] if len(name_entries) == 1 else None
        if name_pick is None and len(name_entries) > 1:  # an ambiguous name narrowed by the files or link
            narrowed = [e for e in name_entries if e.key in text_keys or e in link_entries]
            name_pick = narrowed[0] if len(narrowed) == 1 else None
        texts = [k for k in text_keys if k not in declared]
        for hole in holes:
            if name_pick is not None and hole.kind == "other":
                conf = CONFIDENCE_NAME if name_how == "known alias" else CONFIDENCE_PATTERN
                hole.entry, hole.ident, hole.confidence = name_pick, spdx.identifier(name_pick), conf
                hole.filled_from = EvidenceSource.CARD_LICENSE_NAME
                name_pick = None
            elif texts:
                self.from_text(texts.pop(0), hole)
            elif name_pick is not None:
                hole.entry, hole.ident, hole.confidence = name_pick, spdx.identifier(name_pick), CONFIDENCE_PATTERN
                hole.filled_from = EvidenceSource.CARD_LICENSE_NAME
                name_pick = None
            elif len(link_entries) == 1:
                entry = link_entries[0]
                hole.entry, hole.ident, hole.confidence = entry, spdx.identifier(entry), CONFIDENCE_LINK
                hole.filled_from = EvidenceSource.CARD_LICENSE_LINK
                link_entries = []
            elif hole.kind == "other" and name_how == "not recognised":
                # Name the license the card declares, as SPDX does for licenses off its list; its terms stay
                # unknown (no entry, no keys, confidence 0), so nothing downstream can approve it.
                hole.ident = _declared_licenseref(self.card.get("license_name"))

    def corroborate(
        self,
        slots: list[_Slot],
        name_entries: list[LicenseEntry],
        link_entries: list[LicenseEntry],
        texts: list[tuple[LicenseFile, TextMatch]],
    ) -> None:
        """Raise a slot's confidence for each independent source that says the same."""
        for s in slots:
            if s.entry is None:
                continue
            key = s.entry.key
            boost = 0.0
            origin = s.filled_from or s.source
            if origin != EvidenceSource.LICENSE_FILE and any(
                m.key == key and not m.modified and not _is_code_file(lf) for lf, m in texts
            ):
                boost += BOOST_TEXT
            if origin != EvidenceSource.CARD_LICENSE_LINK and any(e.key == key for e in link_entries):
                boost += BOOST_LINK
            if origin != EvidenceSource.CARD_LICENSE_NAME and len(name_entries) == 1 and name_entries[0].key == key:
                boost += BOOST_NAME
            s.confidence = min(CONFIDENCE_MAX, s.confidence + boost)

    def conflict(self, message: str, keys: list[str], fix: str) -> None:
        self.unsettled += 1
        for key in keys:
            if key not in self.conflict_keys:
                self.conflict_keys.append(key)
        self.find(RULE_CONFLICT, Severity.ERROR, message, fix)

    def cross_check(
        self,
        governing: list[str],
        slots: list[_Slot],
        tag_slots: list[_Slot],
        from_tags: bool,
        name_entries: list[LicenseEntry],
        link_entries: list[LicenseEntry],
        texts: list[tuple[LicenseFile, TextMatch]],
    ) -> None:
        """Every source that names a license must name one of the governing ones."""
        if not governing:
            self.check_texts_alone(texts)
            return
        said = _said(slots)
        gov = set(governing)
        fix = (
            "Read the license file and the card; ask the publisher to make them agree. Until then the "
            "terms of every license named here are treated as applying."
        )
        if not from_tags:
            tag_keys = distinct(s.entry.key for s in tag_slots if s.entry is not None)
            odd = [k for k in tag_keys if k not in gov]
            if odd:
                self.conflict(
                    f"the card declares {said} but the Hub's license tags say {', '.join(odd)}",
                    odd,
                    fix,
                )
        used_name = any(
            s.filled_from == EvidenceSource.CARD_LICENSE_NAME or s.source == EvidenceSource.CARD_LICENSE_NAME
            for s in slots
        )
        if len(name_entries) == 1 and not used_name and name_entries[0].key not in gov:
            key = name_entries[0].key
            self.conflict(f"the card declares {said} but its license_name names {key}", [key], fix)
        if link_entries and not any(e.key in gov for e in link_entries):
            keys = [e.key for e in link_entries]
            self.conflict(
                f"the card declares {said} but its license_link points to {' or '.join(keys)}",
                keys,
                fix,
            )
        for lf, match in texts:
            path = quote(lf.path, 120)
            if _is_code_file(lf):
                continue
            if match.key is not None and match.key not in gov:
                self.conflict(
                    f"the card declares {said} but {path} is the {self.kb[match.key].name} ({match.key})",
                    [match.key],
                    fix,
                )
            elif match.key is not None and match.modified:
                self.unsettled += 1
                self.find(
                    RULE_TEXT_MODIFIED,
                    Severity.ERROR,
                    f"{path} resembles the {match.key} text but its wording departs from it "
                    f"({match.describe()}): it may add or change terms",
                    "Compare the file with the standard license text and have the differences reviewed.",
                    subject=lf.path,
                )
            elif match.ambiguous:
                severity = Severity.INFO if gov & set(match.candidates) else Severity.ERROR
                self.find(
                    RULE_TEXT_AMBIGUOUS,
                    severity,
                    f"{path} could be any of {', '.join(match.candidates)} ({match.describe()})",
                    "Read the file's title and version line and confirm it matches the declared license.",
                    subject=lf.path,
                )
            elif match.key is None:
                self.find(
                    RULE_UNRECOGNISED,
                    Severity.WARNING,
                    f"{path} is not a license text we recognise; the card declares {said}",
                    "Read the file: it may add terms to, or replace, the declared license.",
                    subject=lf.path,
                )

    def check_texts_alone(self, texts: list[tuple[LicenseFile, TextMatch]]) -> None:
        for lf, match in texts:
            path = quote(lf.path, 120)
            if _is_code_file(lf):
                continue
            if match.ambiguous:
                self.find(
                    RULE_TEXT_AMBIGUOUS,
                    Severity.ERROR,
                    f"{path} could be any of {', '.join(match.candidates)} ({match.describe()})",
                    "Read the file's title and version line, then declare the license in the card.",
                    subject=lf.path,
                )
            elif match.key is None:
                self.find(
                    RULE_UNRECOGNISED,
                    Severity.ERROR,
                    f"{path} is not a license text we recognise",
                    "Read the file and decide; ask the publisher to declare the license in the card.",
                    subject=lf.path,
                )

    def terms_depend_on(self, model_class: str, keys: tuple[str, ...]) -> bool:
        entries = (self.kb.get(key) for key in keys)
        return any(
            x.model_class.value == model_class
            for entry in entries
            if entry is not None
            for x in entry.conditions.excluded_territories_by_model_class
        )

    def settle_severities(self, resolved: bool) -> None:
        """A file we could not read matters most when nothing else says what the license is."""
        if resolved:
            return
        self.findings = [
            replace(f, severity=Severity.ERROR)
            if f.rule in (RULE_FILE_UNREADABLE, RULE_CARD_UNREADABLE) and f.severity is Severity.WARNING
            else f
            for f in self.findings
        ]
