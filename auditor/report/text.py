"""Making untrusted text (model-card fields, license files, messages) safe to show.

Every renderer passes card-derived strings through `printable` before any format-specific escaping:
control characters can rewrite a terminal (ESC sequences), break XML (XML 1.0 forbids most C0
characters even when escaped) or hide text (NUL), and bidi overrides can make `evil` read as `live`.
They are replaced, not dropped, so a reader can see that something was there.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

from auditor.sources.refs import id_problem

REPLACEMENT = "\ufffd"
ELLIPSIS = "…"

# Invisible characters that reorder or hide text (Trojan Source, CVE-2021-42574).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")

HUB_URL = "https://huggingface.co"


def _unsafe(ch: str) -> bool:
    if ch in _BIDI or ch in "\ufffe\uffff":
        return True
    return unicodedata.category(ch) in ("Cc", "Cs")


def printable(text: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """`text` with control, surrogate and bidi characters replaced by U+FFFD, optionally capped.

    Single-line (the default) turns every line break into a space so one field stays one line
    (a table row, a CSV cell, a Markdown table cell). Multi-line keeps `\\n` and tabs only.
    """
    value = "" if text is None else str(text)
    if limit is not None:
        value = truncate(value, limit)
    if multiline:  # CRLF and lone CR (old Mac files) both become LF: a CR must never overwrite a line
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in value:
        if multiline and ch in "\n\t":
            out.append(ch)
        elif (not multiline and ch in _LINE_BREAKS) or (not multiline and ch == "\t"):
            out.append(" ")
        elif _unsafe(ch):
            out.append(REPLACEMENT)
        else:
            out.append(ch)
    return "".join(out)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def display_width(text: str) -> int:
    """Terminal columns `text` takes: wide East Asian characters take two, combining marks none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """Cut `text` to `width` terminal columns (with an ellipsis) and pad it to exactly that width."""
    if display_width(text) > width:
        out, used = [], 0
        for ch in text:
            w = 0 if unicodedata.combining(ch) else (2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
            if used + w > width - 1:
                break
            out.append(ch)
            used += w
        text = "".join(out) + ELLIPSIS
    return text + " " * (width - display_width(text))


def valid_repo_id(repo_id: str | None) -> bool:
    return bool(repo_id) and id_problem(str(repo_id)) is None


def valid_sha(sha: str | None) -> bool:
    return bool(sha) and _SHA_RE.match(str(sha)) is not None


def repo_url(repo_id: str | None, sha: str | None) -> str | None:
    """The repo pinned at a commit, built only from a valid id and a 40-hex sha (never from a card)."""
    if not (valid_repo_id(repo_id) and valid_sha(sha)):
        return None
    return f"{HUB_URL}/{repo_id}/tree/{sha}"


def file_url(repo_id: str | None, sha: str | None, path: str | None) -> str | None:
    """A file of the repo at a commit; the path (from the repo listing) is percent-encoded."""
    base = repo_url(repo_id, sha)
    if base is None or not path or path.startswith("/") or ".." in path.split("/"):
        return None
    if any(_unsafe(ch) for ch in path):
        return None
    return f"{HUB_URL}/{repo_id}/blob/{sha}/{urllib.parse.quote(path, safe='/')}"


def short_sha(sha: str | None) -> str:
    return sha[:12] if sha and valid_sha(sha) else (printable(sha, limit=16) if sha else "")


def markdown_text(text: object, limit: int = 300) -> str:
    """Untrusted text as inert Markdown: no links, mentions, HTML or table breaks from a model card."""
    value = printable(text, limit=limit)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~@:])", r"\\\1", value)
