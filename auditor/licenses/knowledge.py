"""The license knowledge base: rules/licenses.yaml loaded, validated and indexed for lookups.

Every fact about a license lives in that file (and reference texts in rules/texts/); this module only
knows how to read it. A bad file is refused at load with the line of the offending entry, because a
silently wrong knowledge base would approve models it should not.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import platformdirs
import yaml

from auditor.errors import InputFileError, KnowledgeBaseError
from auditor.licenses import expression as spdx
from auditor.licenses import kbcache
from auditor.licenses.entry import LicenseEntry
from auditor.licenses.entryfile import Written, build_entry, check_alias_shadowing, check_entries
from auditor.licenses.text import MAX_ID_CHARS, slug
from auditor.models import Commercial
from auditor.resources import rules_dir, rules_file
from auditor.yamlfile import MAX_FILE_BYTES, LinedDict, LinedList, parse_yaml
from auditor.yamlfile import _build as _build_lined

SCHEMA_VERSION = 1
KB_FILE = "licenses.yaml"
SCHEMA_FILE = "licenses.schema.json"
TEXTS_DIR = "texts"

HUB_OTHER = "other"
"""The Hub's id for "a license not on our list: see license_name, license_link and the LICENSE file"."""
HUB_UNKNOWN = "unknown"
"""The Hub's id for "no idea": a placeholder, never a license."""

MAX_URL_CHARS = 2048
MAX_REFERENCE_TEXT_BYTES = 512 * 1024


class _Resource(Protocol):
    """What is read from rules/: a Path in a checkout, an importlib Traversable when installed."""

    @property
    def name(self) -> str: ...

    def read_bytes(self) -> bytes: ...

    def is_file(self) -> bool: ...

    def is_dir(self) -> bool: ...

    def iterdir(self) -> Iterator[Any]: ...


@dataclass(frozen=True)
class ReferenceText:
    """A license's full reference text (rules/texts/<name>.txt), for similarity detection."""

    key: str  # the knowledge-base entry it belongs to
    name: str  # the file stem: the entry key, one of its Hub ids or its SPDX id (e.g. a version of a family)
    text: str


class KnowledgeBase:
    """Indexed, read-only view of the license entries. Lookups return entries, never guesses."""

    def __init__(
        self,
        entries: Iterable[LicenseEntry],
        *,
        path: str = "<memory>",
        reference_texts: Iterable[ReferenceText] = (),
    ) -> None:
        self.path = path
        self._entries: tuple[LicenseEntry, ...] = tuple(entries)
        self._by_key: dict[str, LicenseEntry] = {}
        self._by_hub_id: dict[str, LicenseEntry] = {}
        self._exact: dict[str, LicenseEntry] = {}  # slug of alias (then of key / Hub id) -> entry
        self._by_name: dict[str, LicenseEntry] = {}  # slug of the display name (lower priority)
        self._by_spdx: dict[str, LicenseEntry] = {}
        self._by_url: dict[str, LicenseEntry] = {}
        self._name_patterns: list[tuple[re.Pattern[str], LicenseEntry]] = []
        self._url_patterns: list[tuple[re.Pattern[str], LicenseEntry]] = []
        self._by_raw: dict[str, LicenseEntry] = {}  # key or Hub id, exactly as written (case-folded)
        for entry in self._entries:
            self._index(entry)
        self._index_id_slugs()
        self.reference_texts: tuple[ReferenceText, ...] = tuple(reference_texts)
        for ref in self.reference_texts:
            if ref.key not in self._by_key:
                raise ValueError(f"reference text {ref.name!r} names unknown entry {ref.key!r}")
        self.detection_cache: dict[str, Any] = {}  # detect.py keeps its prepared markers/shingles here
        self.memo: dict[Any, Any] = {}  # memo.py keeps results of resolution phases here

    def _index(self, entry: LicenseEntry) -> None:
        if entry.key in self._by_key:
            raise ValueError(f"duplicate license key {entry.key!r}")
        self._by_key[entry.key] = entry
        _claim(self._by_raw, entry.key.casefold(), entry, "key")
        for hub_id in entry.hub_ids:
            _claim(self._by_hub_id, hub_id.casefold(), entry, "Hub id")
            _claim(self._by_raw, hub_id.casefold(), entry, "Hub id")
        for alias in entry.aliases:
            key = slug(alias)
            if key and self._exact.get(key, entry) is not entry:
                raise ValueError(f"alias {alias!r} of {entry.key!r} already names {self._exact[key].key!r}")
            if key:
                self._exact[key] = entry
        for ident in (entry.spdx, entry.licenseref):
            if ident:
                _claim(self._by_spdx, ident.casefold(), entry, "SPDX id / LicenseRef")
        self._name_patterns.extend((re.compile(p), entry) for p in entry.name_patterns)
        self._url_patterns.extend((re.compile(p, re.IGNORECASE), entry) for p in entry.url_patterns)

    def _index_id_slugs(self) -> None:
        """Keys, Hub ids, display names and URLs also match loosely (by slug, by URL without scheme),
        unless two entries share the loose form (`openrail` and `openrail++`): then neither matches
        that way, never a guess between them."""
        ids: dict[str, set[str]] = {}
        names: dict[str, set[str]] = {}
        urls: dict[str, set[str]] = {}
        for entry in self._entries:
            for ident in (entry.key, *entry.hub_ids):
                if key := slug(ident):
                    ids.setdefault(key, set()).add(entry.key)
            if key := slug(entry.name):
                names.setdefault(key, set()).add(entry.key)
            if entry.url:
                urls.setdefault(_url_key(entry.url), set()).add(entry.key)
        for key, keys in ids.items():
            if len(keys) == 1 and key not in self._exact:
                self._exact[key] = self._by_key[next(iter(keys))]
        for index, owners in ((self._by_name, names), (self._by_url, urls)):
            for key, keys in owners.items():
                if len(keys) == 1:
                    index[key] = self._by_key[next(iter(keys))]

    # ------------------------------------------------------------ lookups

    def __iter__(self) -> Iterator[LicenseEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __getitem__(self, key: str) -> LicenseEntry:
        return self._by_key[key]

    def get(self, key: str) -> LicenseEntry | None:
        return self._by_key.get(key)

    def by_hub_id(self, hub_id: str) -> LicenseEntry | None:
        """The entry for a Hub license id (`apache-2.0`, `llama3.1`, `other`), case-insensitive."""
        return self._by_hub_id.get(hub_id.strip().casefold())

    def by_spdx(self, identifier: str) -> LicenseEntry | None:
        """The entry for an SPDX id or LicenseRef; deprecated SPDX ids count as their replacement."""
        ident = identifier.strip()
        found = self._by_spdx.get(ident.casefold())
        if found is None and ident and len(ident) <= MAX_ID_CHARS:
            canonical = spdx.canonical_spdx_id(ident)
            if canonical is not None:
                found = self._by_spdx.get(canonical.casefold())
        return found

    def match_exact(self, value: str) -> LicenseEntry | None:
        """The entry whose key or Hub id is this value, else whose alias, key or Hub id has its slug,
        else whose display name has it."""
        raw = self._by_raw.get(value.strip().casefold())
        if raw is not None:
            return raw
        key = slug(value)
        if not key or len(key) > MAX_ID_CHARS:
            return None
        return self._exact.get(key) or self._by_name.get(key)

    def match_name(self, license_name: str) -> list[LicenseEntry]:
        """Entries a card's `license_name` may mean: an exact alias first, else every name pattern hit.

        More than one entry back means the name is ambiguous: the caller must not pick one.
        """
        exact = self.match_exact(license_name)
        if exact is not None:
            return [exact]
        key = slug(license_name)
        if not key or len(key) > MAX_ID_CHARS:
            return []
        return _unique(entry for pattern, entry in self._name_patterns if pattern.search(key))

    def match_url(self, link: str) -> list[LicenseEntry]:
        """Entries a card's `license_link` points at, by the entry URL or its url_patterns. Never fetched."""
        link = link.strip()
        if not link or len(link) > MAX_URL_CHARS:
            return []
        exact = self._by_url.get(_url_key(link))
        if exact is not None:
            return [exact]
        return _unique(entry for pattern, entry in self._url_patterns if pattern.search(link))

    def filter(self, category: str | None = None, commercial: str | Commercial | None = None) -> list[LicenseEntry]:
        """Entries of one category and/or commercial status, in file order (for `auditor licenses`)."""
        wanted = Commercial(commercial) if commercial is not None else None
        return [
            e
            for e in self._entries
            if (category is None or e.category == category) and (wanted is None or e.commercial is wanted)
        ]

    def is_other(self, entry: LicenseEntry) -> bool:
        """Is this the Hub's `other`: a pointer to license_name/LICENSE, not a license."""
        return HUB_OTHER in (h.casefold() for h in entry.hub_ids)

    def is_placeholder(self, entry: LicenseEntry) -> bool:
        """Is this the Hub's `unknown` (and its aliases such as `tbd`): no license at all."""
        return HUB_UNKNOWN in (h.casefold() for h in entry.hub_ids)

    def identifier_for_hub_id(self, hub_id: str, entry: LicenseEntry) -> str:
        """The SPDX id a Hub id stands for (`cc-by-2.0` -> `CC-BY-2.0` even in a family entry), else the
        entry's own id or LicenseRef."""
        exact = spdx.canonical_spdx_id(hub_id)
        if exact is not None and exact.casefold() == hub_id.strip().casefold():
            return exact
        return spdx.identifier(entry)


def _claim(index: dict[str, LicenseEntry], key: str, entry: LicenseEntry, what: str) -> None:
    if index.get(key, entry) is not entry:
        raise ValueError(f"{what} {key!r} of {entry.key!r} already belongs to {index[key].key!r}")
    index[key] = entry


def _unique(entries: Iterable[LicenseEntry]) -> list[LicenseEntry]:
    return list({e.key: e for e in entries}.values())


def _url_key(url: str) -> str:
    key = url.strip().casefold()
    key = re.sub(r"^[a-z][a-z0-9+.-]*://", "", key)
    key = key.removeprefix("www.")
    return key.rstrip("/")


# ------------------------------------------------------------------ loading


def load_knowledge_base(path: Path | str | None = None) -> KnowledgeBase:
    """Load and validate a knowledge base; None means the bundled rules/licenses.yaml (loaded once).

    Beside `licenses.yaml`, every `licenses-*.yaml` in the same folder is part of it (e.g. the long
    tail of vendor licenses), so families can live in files of their own; keys must be unique across all.
    """
    if path is None:
        return _bundled()
    path = Path(path)
    texts = path.parent / TEXTS_DIR
    siblings = sorted(path.parent.glob(f"{path.stem}-*{path.suffix}")) if path.suffix else []
    files = [(_read(p, str(p)), str(p)) for p in (path, *siblings)]
    return _load(files, texts if texts.is_dir() else None)


@functools.lru_cache(maxsize=1)
def _bundled() -> KnowledgeBase:
    source = rules_file(KB_FILE)
    stem, _, suffix = KB_FILE.rpartition(".")
    extra = sorted(
        (item for item in rules_dir().iterdir() if _is_part(item.name, stem, suffix) and item.is_file()),
        key=lambda item: item.name,
    )
    files = [(_read(item, str(item)), str(item)) for item in (source, *extra)]
    texts = rules_file(TEXTS_DIR)
    return _load(files, texts if texts.is_dir() else None)


def _is_part(name: str, stem: str, suffix: str) -> bool:
    return name.startswith(f"{stem}-") and name.endswith(f".{suffix}")


def _import_jsonschema() -> Any:
    """jsonschema, without the optional IRI format checker it would otherwise load on import.

    That checker (rfc3987_syntax, pulled in by some extras) compiles a grammar for ~2 s at import, on
    every run of the CLI; the knowledge-base schema uses no IRI formats, so it is not needed here.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import jsonschema

    return jsonschema


@functools.lru_cache(maxsize=4)
def _schema(file: str = SCHEMA_FILE) -> dict[str, Any]:
    """A JSON Schema under rules/ (this knowledge base's, or another knowledge file's), checked once."""
    jsonschema = _import_jsonschema()

    source = rules_file(file)
    try:
        schema: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeBaseError(str(source), None, f"cannot read the schema {file}: {exc}") from None
    jsonschema.validators.validator_for(schema).check_schema(schema)
    return schema


def _read(source: _Resource, name: str) -> str:
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseError(name, None, f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise KnowledgeBaseError(name, None, f"file is larger than {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(name, None, f"not UTF-8 text ({exc.reason})") from None


def _parse(text: str, name: str) -> Any:
    """parse_yaml, through libyaml when present: the pure-Python parser takes half a second on this
    file, paid by every CLI run. Same lines, same safe constructor; errors are re-read the slow way."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        loader = fast(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                return _build_lined(loader, node, name)
        except (yaml.YAMLError, InputFileError):
            pass
        finally:
            loader.dispose()
    return parse_yaml(text, name)


def _load(files: Sequence[tuple[str, str]], texts: _Resource | None) -> KnowledgeBase:
    """Entries of every file (text, name), validated file by file, then checked across all of them."""
    written: list[Written] = []
    for text, name in files:
        data = _parsed_and_valid(text, name)
        written.extend(Written(item, name, build_entry(item, name)) for item in data["licenses"])
    check_entries(written)
    check_alias_shadowing(written)
    entries = [w.entry for w in written]
    references = _reference_texts(texts, entries) if texts is not None else []
    name = files[0][1]
    try:
        return KnowledgeBase(entries, path=name, reference_texts=references)
    except ValueError as exc:  # check_entries should have caught it with a line; never load it anyway
        raise KnowledgeBaseError(name, None, str(exc)) from None


def _cache_folder() -> Path:
    return Path(platformdirs.user_cache_dir("auditor")) / "knowledge"


def prepared_texts(what: str, code: bytes, texts: Sequence[str], prepare: Callable[[str], str]) -> list[str]:
    """`[prepare(text) for text in texts]`, kept in the knowledge cache under what it is made of: `what`,
    `code` (whatever decides how `prepare` prepares, e.g. its module's source) and the texts themselves.

    Preparing the reference texts for comparison (normalising ~220 KB, splitting it into words) costs
    ~13 ms at a run's first license file; reading them back ~2 ms. Trusted as knowledge entries are
    (kbcache: this user's own 0600 JSON, the digest it was looked up by); anything else is prepared again."""
    try:
        folder: Path | None = _cache_folder()
        key = kbcache.digest_of(what.encode(), code, *(text.encode("utf-8", "surrogatepass") for text in texts))
    except OSError:
        folder, key = None, ""
    saved = kbcache.load(folder, key) if folder is not None else None
    if isinstance(saved, list) and len(saved) == len(texts) and all(type(item) is str for item in saved):
        return saved
    made = [prepare(text) for text in texts]
    if folder is not None:
        kbcache.save(folder, key, made)
    return made


def _parsed_and_valid(text: str, name: str) -> Any:
    """The file's data, checked against the schema: parsed here, or as an earlier run saved it (kbcache)."""
    try:
        folder: Path | None = _cache_folder()
        key = kbcache.digest(text, rules_file(SCHEMA_FILE).read_bytes())
    except OSError:
        folder, key = None, ""
    data = kbcache.load(folder, key) if folder is not None else None
    if data is not None:
        return data
    try:
        data = _parse(text, name)
    except InputFileError as exc:
        raise KnowledgeBaseError(exc.path, exc.line, exc.message) from None
    _validate_schema(data, name)
    if folder is not None:
        kbcache.save(folder, key, data)
    return data


def _validate_schema(data: Any, name: str, *, schema_file: str = SCHEMA_FILE, instance: Any = None) -> None:
    """Raise the first schema error at its line in `data`; `instance` is what is validated when the
    schema needs another shape of the same document (dates as text)."""
    jsonschema = _import_jsonschema()

    schema = _schema(schema_file)
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = list(validator.iter_errors(data if instance is None else instance))
    if not errors:
        return
    located = sorted(((_line_at(data, e.absolute_path), e) for e in errors), key=lambda le: le[0] or 0)
    line, first = located[0]
    where = _path_text(first.absolute_path)
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    message = first.message if len(first.message) <= 300 else first.message[:299] + "…"
    raise KnowledgeBaseError(name, line, f"{where}: {message}{more}" if where else f"{message}{more}")


def _line_at(data: Any, path: Iterable[Any]) -> int | None:
    """The line of the deepest value on a jsonschema error path that the YAML still has."""
    node = data
    line: int | None = getattr(data, "line", None)
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        line, node = child
    return line


def _child(node: Any, part: Any) -> tuple[int, Any] | None:
    if isinstance(node, LinedDict) and isinstance(part, str) and part in node:
        return node.line_of(part), node[part]
    if isinstance(node, LinedList) and isinstance(part, int) and 0 <= part < len(node):
        return node.line_of(part), node[part]
    return None


def _path_text(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reference_texts(texts: _Resource, entries: Sequence[LicenseEntry]) -> list[ReferenceText]:
    """rules/texts/<name>.txt, where name is an entry's key, one of its Hub ids or its SPDX id."""
    owners: dict[str, str] = {}
    for entry in entries:
        for name in (entry.key, *entry.hub_ids, entry.spdx or ""):
            if name:
                owners.setdefault(name.casefold(), entry.key)
    found: list[ReferenceText] = []
    for item in sorted(texts.iterdir(), key=lambda t: t.name):
        if not item.name.endswith(".txt") or not item.is_file():
            continue
        stem = item.name[: -len(".txt")]
        where = f"{texts}/{item.name}"
        owner = owners.get(stem.casefold())
        if owner is None:
            raise KnowledgeBaseError(where, None, f"reference text {stem!r} matches no license key, Hub id or SPDX id")
        data = _read(item, where)
        if len(data) > MAX_REFERENCE_TEXT_BYTES:
            raise KnowledgeBaseError(where, None, f"reference text larger than {MAX_REFERENCE_TEXT_BYTES} bytes")
        found.append(ReferenceText(key=owner, name=stem, text=data))
    return found
