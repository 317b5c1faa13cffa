"""Small text helpers shared by the license modules: slugs for matching, and bounding untrusted text.

Card fields are written by strangers: anything quoted back in evidence or a finding is capped and
stripped of control characters here, so no caller has to remember to.
"""

from __future__ import annotations

import re
import unicodedata

from auditor.escape import line

MAX_QUOTED_CHARS = 200
"""Untrusted text quoted in evidence or messages is cut to this many characters."""

MAX_ID_CHARS = 256
"""A license id or name longer than this is not one: it is matched as unrecognised, never regex-searched."""

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SPACE = re.compile(r"\s+")


def slug(value: str) -> str:
    """Lowercase, runs of non-alphanumerics to '-', no leading/trailing '-': `Tongyi Qianwen LICENSE` ->
    `tongyi-qianwen-license`. Unicode letters are kept, so a Chinese name never collapses to nothing."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return _NON_WORD.sub("-", folded).strip("-")


def quote(value: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """Untrusted text made safe to store and show: one line, no control characters, capped."""
    return line(value, limit)


def describe_value(value: object) -> str:
    """How a non-string YAML value reads to a person, including the YAML 1.1 `no` -> false surprise."""
    if isinstance(value, bool):
        hint = " (YAML 1.1 reads a bare no/off as false and yes/on as true)"
        return f"the boolean {str(value).lower()}{hint}"
    if isinstance(value, (int, float)):
        return f"the number {quote(value)}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"
