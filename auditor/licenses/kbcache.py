"""A knowledge-base file parsed and schema-checked once per content, kept as JSON in this user's cache.

Parsing rules/licenses*.yaml (550 KB of YAML: libyaml, then a Python pass that records lines) is the
largest fixed cost of a CLI run after the imports (~0.1 s of CPU), and checking it against the JSON
Schema costs ~0.5 s more; the same bytes parse and validate the same way every time. So the parsed
data of a text that passed the schema is saved once, named by the SHA-256 of the format, PyYAML's
version, the schema and the text, and later runs read it back in a few milliseconds. Every mapping
key and list item keeps its line, so a later error still names the line it comes from.

What is read back must be as trustworthy as the text itself, and a cache folder may be shared:
- JSON of plain values only (str, int, float, bool, null, mappings, lists): never pickle or marshal,
  nothing in it can run;
- a regular file owned by the user reading it and writable by nobody else, so no other account can
  plant knowledge (written 0600, in a folder made 0700);
- the digest it records must be the digest it was looked up by.
Anything else (missing, foreign, corrupt, another shape) is ignored, and the text is parsed and
validated again. The semantic checks (entryfile.build_entry, check_entries) run on every load.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from auditor.fileio import write_atomic
from auditor.inputfile import open_regular
from auditor.yamlfile import LinedDict, LinedList

FORMAT = "auditor-kb-parsed/1"  # change it whenever yamlfile's lined data changes shape or meaning
_MAX_BYTES = 64 * 1024 * 1024
KEEP = 8  # entries kept: each edit of a knowledge file makes a new one (~0.5 MB for the bundled file)
_META = "\0"  # [line, lines of the keys or items]: YAML keys starting with NUL are never cached
_ITEMS = "\0items"  # marks a list: its items


class _Unsupported(Exception):
    """A value JSON would not give back as it was (a date, a NaN, a NUL key): that text is not cached."""


def digest(text: str, schema: bytes) -> str:
    """The name of `text`'s cache entry: what parsing and validating it depends on."""
    return digest_of(FORMAT.encode(), yaml.__version__.encode(), schema, text.encode("utf-8", "surrogatepass"))


def digest_of(*parts: bytes) -> str:
    """The name of an entry made from `parts` and nothing else (each length-prefixed: no two lists of
    parts read the same)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def load(folder: Path, key: str) -> Any | None:
    """The data saved under `key`, or None when there is none that can be trusted (see module doc)."""
    try:
        raw = _read_own(folder / f"{key}.json")
        if raw is None:
            return None
        saved = json.loads(raw, object_pairs_hook=_decode)
    except (OSError, ValueError, TypeError, _Unsupported):
        return None
    if not isinstance(saved, LinedDict) or saved.get("format") != FORMAT or saved.get("digest") != key:
        return None
    return saved.get("data")


def save(folder: Path, key: str, data: Any) -> None:
    """Save `data` under `key`; best effort (a read-only or full disk only costs the next run a parse)."""
    try:
        body = {"format": FORMAT, "digest": key, "data": _encode(data)}
        payload = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (_Unsupported, ValueError):
        return
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(folder / f"{key}.json", payload, mode=0o600)
        _prune(folder)


def _prune(folder: Path) -> None:
    """Keep the `KEEP` entries written last; older ones of this user go (an entry is only ever a shortcut)."""
    uid = getattr(os, "geteuid", lambda: None)()
    entries: list[tuple[float, Path]] = []
    for path in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            info = path.lstat()
            if stat.S_ISREG(info.st_mode) and (uid is None or info.st_uid == uid):
                entries.append((info.st_mtime, path))
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            path.unlink()


def _read_own(path: Path) -> bytes | None:
    """The file's bytes if it is a regular file of this user that nobody else can write.

    Opened as every bounded input is (`open_regular`): a FIFO or link under this name is refused, not
    waited on or followed; OSError then, as when the file is missing (`load` takes either as no entry)."""
    fd, info = open_regular(path, follow_links=False)
    with os.fdopen(fd, "rb") as handle:
        uid = getattr(os, "geteuid", None)  # absent on Windows, where the user cache folder is private
        if info.st_mode & 0o022 or (uid is not None and info.st_uid != uid()):
            return None
        if info.st_size > _MAX_BYTES:
            return None
        return handle.read(_MAX_BYTES + 1)


def _encode(value: Any) -> Any:
    """Lined data as JSON values: a mapping or list carries its line and its keys' or items' lines (a plain
    list, which lined data never holds, stays a plain list)."""
    if isinstance(value, LinedDict):
        if any(key.startswith(_META) for key in value):
            raise _Unsupported
        out: dict[str, Any] = {key: _encode(item) for key, item in value.items()}
        out[_META] = [value.line, [value.line_of(key) for key in value]]
        return out
    if isinstance(value, LinedList):
        return {_ITEMS: [_encode(item) for item in value], _META: [value.line, list(value.item_lines)]}
    if type(value) is list:  # plain data (prepared texts): a list with no lines
        return [_encode(item) for item in value]
    if value is None or type(value) in (str, bool, int):
        return value
    if type(value) is float and value == value and value not in (float("inf"), float("-inf")):
        return value
    raise _Unsupported


def _decode(pairs: list[tuple[str, Any]]) -> Any:
    """One JSON object back to lined data; the object holding the whole file has no lines."""
    *items, last = pairs or [("", None)]
    if last[0] != _META:
        return LinedDict(pairs)
    line, lines = last[1]
    if items and items[0][0] == _ITEMS:
        listed = LinedList(items[0][1])
        listed.line, listed.item_lines = int(line), [int(n) for n in lines]
        return listed
    mapping = LinedDict(items)
    mapping.line = int(line)
    mapping.key_lines = {key: int(n) for (key, _), n in zip(items, lines, strict=True)}
    return mapping
