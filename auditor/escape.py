"""The one place untrusted text (model cards, license files, server messages, inventories, policies) is
made safe, with one function per output context:

    line(text, limit)          stored values and messages: one line, invisible characters out, capped
    printable(text, …)         a terminal or CI log: control, bidi and invisible characters shown as U+FFFD
    markdown(text)             literal Markdown (GFM/CommonMark) text: no link, image, HTML, emphasis or cell
    markdown_fence(text)       multi-line text in a code fence nothing inside can close
    github_data / _property    GitHub workflow commands (`::error file=…::message`)
HTML and XML are escaped by their libraries (Jinja autoescape, markupsafe, ElementTree) after `printable`.

Every function here shares one idea of a dangerous character (`unsafe`): control characters can rewrite a
terminal (ESC sequences), break XML (XML 1.0 forbids most C0 characters even escaped) or hide text (NUL);
bidi overrides and zero-width characters make `evil` read as `live` (Trojan Source, CVE-2021-42574).
"""

from __future__ import annotations

import re
import unicodedata

REPLACEMENT = "\ufffd"
ELLIPSIS = "…"

# Invisible characters that reorder or hide text.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")


def unsafe(ch: str) -> bool:
    """Never shown as is in any output: controls, surrogates, bidi, zero-width and non-characters."""
    if ch in BIDI or ch in ZERO_WIDTH or ch in "\ufffe\uffff":
        return True
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def line(text: object, limit: int) -> str:
    """One line for storing or a message: dangerous characters become spaces, runs of whitespace one space,
    at most `limit` characters (an ellipsis when cut). Non-strings are shown by their repr."""
    value = (text if isinstance(text, str) else repr(text))[: limit * 4]
    if not (value.isascii() and value.isprintable()):  # printable ASCII has nothing unsafe: skip the scan
        value = "".join(" " if unsafe(ch) else ch for ch in value)
    return truncate(" ".join(value.split()), limit)


def printable(text: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """`text` with dangerous characters replaced by U+FFFD (so a reader sees something was there),
    optionally capped. Single-line (the default) turns line breaks and tabs into spaces so one field
    stays one line (a table row, a CSV cell, a Markdown cell); multi-line keeps `\\n` and tabs only."""
    value = "" if text is None else str(text)
    if limit is not None:
        value = truncate(value, limit)
    if value.isascii() and value.isprintable():  # no control, break or tab: nothing to replace
        return value
    if multiline:  # CRLF and lone CR (old Mac files) both become LF: a CR must never overwrite a line
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in value:
        if multiline and ch in "\n\t":
            out.append(ch)
        elif not multiline and (ch in LINE_BREAKS or ch == "\t"):
            out.append(" ")
        elif unsafe(ch):
            out.append(REPLACEMENT)
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- Markdown

# Characters that start Markdown syntax anywhere in a line: emphasis, code, links/images (`[`), raw
# HTML (`<`, entities), table cells (`|`), strikethrough, math (`$`), headings, email autolinks (`@`).
_MD_ALWAYS = frozenset("\\`*_[]|~$#@")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Autolinkers (GFM's extension, linkify) find `scheme:`, `//host`, `www.` and bare `host.tld`:
# a backslash in front of the `:`, the second `/` or the `.` leaves the text readable but unlinkable.
_MD_AUTOLINK = (
    (re.compile(r"(?<=[A-Za-z]):"), r"\\:"),
    (re.compile(r"/(?=/)"), r"/\\"),
    (re.compile(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z])"), r"\\."),
)
_MD_BLOCK_START = re.compile(r"^(?:(\d{1,9})([.)])(?=\s|$)|([-+=])(?=\s|$|=))")


def markdown(text: object, limit: int | None = None) -> str:
    """One line of untrusted text as literal Markdown text: no link, image, HTML, emphasis, table cell
    or block structure can come out of it."""
    out = []
    for ch in printable(text, limit=limit).strip():
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_ALWAYS:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    for pattern, replacement in _MD_AUTOLINK:
        escaped = pattern.sub(replacement, escaped)
    # A value that opens a line (a list item's text) must not start a nested list or a heading underline.
    return _MD_BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped)


def markdown_fence(text: object) -> str:
    """Multi-line untrusted text in a fenced code block nothing inside can close."""
    body = printable(text, multiline=True).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


# ---------------------------------------------------------------- GitHub workflow commands


def github_data(text: str) -> str:
    """The message part of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A `file=`/`title=` property of a workflow command."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")
