"""Which license is this LICENSE file? Marker phrases first, then similarity to reference texts.

Markers (exact phrases from each license, in the knowledge base) identify vendor licenses from their
opening lines, which is often all a repo shows. Sibling licenses share wording, so a marker that is
shared, or that only occurs inside a longer marker of another license, never decides on its own.
Reference texts (rules/texts/) catch the common open-source licenses when the title is missing, tell
versions apart, and reveal a text that was edited (an "MIT" file with an added clause is not MIT).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditor.licenses.knowledge import KnowledgeBase, ReferenceText, prepared_texts

MAX_DETECT_CHARS = 512 * 1024
"""Only this much of a file is examined; the hub layer already caps files at 256 KiB."""

SHINGLE_WORDS = 3
"""Texts are compared as sets of 3-word sequences: robust to reflowed lines, sensitive to edits."""

SIMILARITY_MATCH = 0.80
"""Jaccard similarity at or above which a text IS the reference license (copyright line, typos aside)."""

SIMILARITY_POSSIBLE = 0.50
"""At or above this a similarity is reported as a possible match, but never decides."""

SIMILARITY_MARGIN = 0.05
"""The best reference must beat the runner-up by this much: CC licenses share most of their words."""

REFERENCE_CONTAINED = 0.95
"""Share of a reference text's wording found in a longer file for it to count as containing it."""

UNMODIFIED_MIN = 0.90
"""Share of a full-length text's wording that must be the reference's; less means added terms."""

FULL_LENGTH_RATIO = 0.80
"""A text at least this long relative to its reference is compared whole; shorter ones are excerpts."""

STRIP_COPYRIGHT_MAX_CHARS = 64 * 1024
"""Copyright lines are dropped before comparing texts up to this size; in longer ones they weigh nothing."""

_QUOTES = (("‘", "'"), ("’", "'"), ("‚", "'"), ("‛", "'"), ("“", '"'), ("”", '"'), ("„", '"'), ("‟", '"'))
_MARKUP = re.compile(r"\*\*|__|`")
_WORD = re.compile(r"[^\W_]+")
_COPYRIGHT_LINE = re.compile(
    r"^[ \t#*>-]*(?:copyright\b|\(c\)|©|all rights reserved)[^\n]*$", re.IGNORECASE | re.MULTILINE
)


def normalise(text: str) -> str:
    """Whitespace collapsed, curly quotes straightened, markdown emphasis dropped, case folded: the
    form markers were checked in."""
    text = unicodedata.normalize("NFKC", text)
    for curly, straight in _QUOTES:
        if curly in text:
            text = text.replace(curly, straight)
    text = _MARKUP.sub("", text)
    return " ".join(text.split()).casefold()


def _comparable_words(text: str, words: list[str] | None = None) -> list[str]:
    """The words compared with reference texts: copyright lines (whose holder differs in every copy)
    left out, except in long texts where they do not matter and stripping would cost time."""
    if words is not None and len(text) > STRIP_COPYRIGHT_MAX_CHARS:
        return words
    return _WORD.findall(normalise(_COPYRIGHT_LINE.sub(" ", text)))


def _shingles(words: list[str]) -> frozenset[int]:
    """Hashes of every run of SHINGLE_WORDS words (hashes, not tuples: twice as fast on big files)."""
    if len(words) < SHINGLE_WORDS:
        return frozenset({hash(tuple(words))}) if words else frozenset()
    return frozenset(map(hash, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))


@dataclass(frozen=True)
class _Marker:
    key: str
    text: str  # normalised
    original: str
    words: frozenset[str]


@dataclass(frozen=True)
class _Reference:
    ref: ReferenceText
    shingles: frozenset[int]
    length: int  # words


@dataclass(frozen=True)
class Similarity:
    """How close a text is to one reference text."""

    key: str
    variant: str  # the reference text's name, e.g. `gpl-3.0` for the `gpl` family entry
    jaccard: float  # shared 3-word sequences over all of them: 1.0 is identical
    reference_coverage: float  # share of the reference found in the text
    text_coverage: float  # share of the text found in the reference
    length_ratio: float  # text words / reference words


@dataclass(frozen=True)
class TextMatch:
    """What a license text is, and how we know. `key` is None when we cannot say (see `candidates`)."""

    key: str | None
    method: str  # marker | similarity | contains | none
    candidates: tuple[str, ...] = ()  # the keys in play: the winner, or the ones that tied
    markers: tuple[str, ...] = ()  # marker phrases found for the winner (or for the tied candidates)
    similarity: Similarity | None = None  # best reference comparison for the winner (or overall)
    modified: bool = False  # a full-length text whose wording departs from its reference
    partial: bool = False  # an opening or excerpt: its unread remainder may hold more terms

    @property
    def ambiguous(self) -> bool:
        return self.key is None and len(self.candidates) > 1

    @property
    def variant(self) -> str | None:
        return self.similarity.variant if self.similarity is not None and self.similarity.key == self.key else None

    def describe(self) -> str:
        """One line for evidence: how the text was recognised."""
        parts: list[str] = []
        if self.markers:
            shown = ", ".join(repr(m) for m in self.markers[:3])
            more = f" (+{len(self.markers) - 3})" if len(self.markers) > 3 else ""
            parts.append(f"marker{'s' if len(self.markers) > 1 else ''} {shown}{more}")
        if self.similarity is not None and self.similarity.jaccard >= SIMILARITY_POSSIBLE / 2:
            sim = self.similarity
            parts.append(f"similarity {sim.jaccard:.2f} to {sim.variant} (covers {sim.reference_coverage:.0%} of it)")
        if self.ambiguous:
            parts.append("ambiguous between " + ", ".join(self.candidates))
        if self.modified:
            parts.append("wording departs from the reference text")
        if self.partial and self.key is not None:
            parts.append("excerpt only")
        return "; ".join(parts) if parts else "not recognised"


def _prepared_markers(kb: KnowledgeBase) -> list[_Marker]:
    cached = kb.detection_cache.get("markers")
    if cached is None:
        cached = [
            _Marker(entry.key, norm, marker, frozenset(_WORD.findall(norm)))
            for entry in kb
            for marker in dict.fromkeys(entry.markers)
            if (norm := normalise(marker))
        ]
        kb.detection_cache["markers"] = cached
    markers: list[_Marker] = cached
    return markers


def _prepared_references(kb: KnowledgeBase) -> list[_Reference]:
    cached = kb.detection_cache.get("references")
    if cached is None:
        cached = []
        for ref, words in zip(kb.reference_texts, _reference_words(kb), strict=True):
            cached.append(_Reference(ref, _shingles(words), len(words)))
        kb.detection_cache["references"] = cached
    references: list[_Reference] = cached
    return references


@functools.cache
def _preparing_code() -> bytes | None:
    """What decides how a text is split into comparable words: this module's source, the Python (its
    regular expressions) and the Unicode tables NFKC and casefold use. None when the source cannot be read."""
    try:
        source = Path(__file__).read_bytes()
    except OSError:
        return None
    return b"\0".join((source, sys.version.encode(), unicodedata.unidata_version.encode()))


def _reference_words(kb: KnowledgeBase) -> list[list[str]]:
    """Each reference text's comparable words, prepared once per content and code (knowledge.prepared_texts).
    A word never holds a space, so a text's words are kept as one line."""
    texts = [ref.text for ref in kb.reference_texts]
    code = _preparing_code()

    def line(text: str) -> str:
        return " ".join(_comparable_words(text))

    lines = [line(text) for text in texts] if code is None else prepared_texts("reference-words", code, texts, line)
    return [words.split(" ") if words else [] for words in lines]


def _contains_phrase(haystack: str, phrase: str) -> bool:
    """`phrase` occurs in `haystack` on word boundaries (so `mit license` is not found in `permit license`)."""
    start = haystack.find(phrase)
    while start != -1:
        end = start + len(phrase)
        before_ok = start == 0 or not (haystack[start - 1].isalnum() and phrase[0].isalnum())
        after_ok = end == len(haystack) or not (haystack[end].isalnum() and phrase[-1].isalnum())
        if before_ok and after_ok:
            return True
        start = haystack.find(phrase, start + 1)
    return False


@dataclass
class _Text:
    """A text prepared once for both passes: normalised, split into words, shingled on demand."""

    raw: str
    norm: str
    words: list[str]
    _shingles: frozenset[int] | None = None
    _length: int = 0

    @classmethod
    def of(cls, text: str) -> _Text:
        raw = text[:MAX_DETECT_CHARS]
        norm = normalise(raw)
        return cls(raw, norm, _WORD.findall(norm))

    def shingles(self) -> tuple[frozenset[int], int]:
        if self._shingles is None:
            words = _comparable_words(self.raw, self.words)
            self._shingles, self._length = _shingles(words), len(words)
        return self._shingles, self._length


def match_markers(text: str, kb: KnowledgeBase) -> dict[str, list[str]]:
    """Every entry with at least one marker in the text, and the markers found (as written in the KB)."""
    return _match_markers(_Text.of(text), kb)


def _match_markers(text: _Text, kb: KnowledgeBase) -> dict[str, list[str]]:
    present = set(text.words)
    hits: dict[str, list[str]] = {}
    for marker in _prepared_markers(kb):
        if marker.words <= present and _contains_phrase(text.norm, marker.text):
            hits.setdefault(marker.key, []).append(marker.original)
    return hits


def _decide_markers(hits: dict[str, list[str]]) -> tuple[str | None, tuple[str, ...]]:
    """The winning key, or None and the tied candidates.

    A marker that only occurs inside a longer marker of another matched license ("Apache License" in
    Falcon's "based on the Apache License Version 2.0") is explained by that license and does not
    count. A marker is distinctive when no other matched license has it (or a longer form of it).
    """
    norm = {key: [normalise(m) for m in markers] for key, markers in hits.items()}

    def others(key: str) -> list[str]:
        return [m for other, ms in norm.items() if other != key for m in ms]

    score: dict[str, int] = {}
    distinctive: dict[str, int] = {}
    for key, markers in norm.items():
        rest = others(key)
        score[key] = sum(1 for m in markers if not any(m != o and m in o for o in rest))
        distinctive[key] = sum(1 for m in markers if not any(m in o for o in rest))
    best = max(score.values(), default=0)
    if best == 0:
        return None, ()
    top = [key for key, value in score.items() if value == best]
    if len(top) == 1 and distinctive[top[0]] > 0:
        return top[0], (top[0],)
    return None, tuple(sorted(top))


def compare(text: str, kb: KnowledgeBase, keys: Iterable[str] | None = None) -> list[Similarity]:
    """The text against reference texts (all, or those of `keys`), best first."""
    return _compare(_Text.of(text), kb, keys)


def _compare(text: _Text, kb: KnowledgeBase, keys: Iterable[str] | None = None) -> list[Similarity]:
    wanted = set(keys) if keys is not None else None
    shingles, length = text.shingles()
    results: list[Similarity] = []
    if not shingles:
        return results
    for ref in _prepared_references(kb):
        if (wanted is not None and ref.ref.key not in wanted) or not ref.shingles:
            continue
        shared = len(shingles & ref.shingles)
        union = len(shingles) + len(ref.shingles) - shared
        results.append(
            Similarity(
                key=ref.ref.key,
                variant=ref.ref.name,
                jaccard=shared / union,
                reference_coverage=shared / len(ref.shingles),
                text_coverage=shared / len(shingles),
                length_ratio=length / max(ref.length, 1),
            )
        )
    results.sort(key=lambda s: (-s.jaccard, -s.reference_coverage, s.variant))
    return results


def _decide_similarity(results: list[Similarity]) -> tuple[Similarity | None, str, tuple[str, ...]]:
    """(winner, method, candidates): a near-identical text, else one that contains a whole reference."""
    if not results:
        return None, "none", ()
    best = results[0]
    runner = next((r for r in results[1:] if r.key != best.key), None)
    if best.jaccard >= SIMILARITY_MATCH:
        if runner is None or best.jaccard - runner.jaccard >= SIMILARITY_MARGIN:
            return best, "similarity", (best.key,)
        return None, "similarity", tuple(sorted({best.key, runner.key}))
    contained = sorted(
        (r for r in results if r.reference_coverage >= REFERENCE_CONTAINED), key=lambda r: -r.reference_coverage
    )
    if contained:
        keys = tuple(dict.fromkeys(r.key for r in contained))
        if len(keys) == 1:
            return contained[0], "contains", keys
        return None, "contains", tuple(sorted(keys))
    if best.jaccard >= SIMILARITY_POSSIBLE:
        return None, "similarity", (best.key,)
    return None, "none", ()


def _is_modified(sim: Similarity) -> bool:
    return sim.length_ratio >= FULL_LENGTH_RATIO and sim.text_coverage < UNMODIFIED_MIN


def detect_text(text: str, kb: KnowledgeBase) -> TextMatch:
    """Identify the license in a text. Never guesses: ties and near-misses come back without a key.

    Memoised by content: most license files on the Hub are copies of a few texts (Apache, MIT…)."""
    return _detect_cached(text, kb)


@functools.lru_cache(maxsize=256)  # keyed by the text itself and the knowledge base object (identity)
def _detect_cached(text: str, kb: KnowledgeBase) -> TextMatch:
    prepared = _Text.of(text)
    hits = _match_markers(prepared, kb)
    winner, tied = _decide_markers(hits)
    if winner is not None:
        every = _compare(prepared, kb)
        sim = next((s for s in every if s.key == winner), None)
        others = [s for s in every if s.key != winner and s.jaccard >= SIMILARITY_MATCH]
        if sim is not None and others and others[0].jaccard - sim.jaccard >= SIMILARITY_MARGIN:
            # markers name one license, the whole text is another: the knowledge base or the file is odd
            return TextMatch(None, "marker", tuple(sorted({winner, others[0].key})), tuple(hits[winner]), others[0])
        return TextMatch(
            key=winner,
            method="marker",
            candidates=(winner,),
            markers=tuple(hits[winner]),
            similarity=sim,
            modified=sim is not None and _is_modified(sim),
            partial=sim is not None and sim.length_ratio < FULL_LENGTH_RATIO,
        )
    sims = _compare(prepared, kb)
    best, method, candidates = _decide_similarity(sims)
    if best is not None:
        return TextMatch(
            key=best.key,
            method=method,
            candidates=candidates,
            markers=tuple(m for key in candidates for m in hits.get(key, ())),
            similarity=best,
            modified=_is_modified(best) or method == "contains",
        )
    if tied:
        return TextMatch(
            key=None,
            method="marker",
            candidates=tied,
            markers=tuple(dict.fromkeys(m for key in tied for m in hits[key])),
            similarity=sims[0] if sims else None,
        )
    return TextMatch(key=None, method=method, candidates=candidates, similarity=sims[0] if sims else None)
