"""The license knowledge base: rules/licenses.yaml loaded, validated and indexed for lookups.

Every fact about a license lives in that file (and reference texts in rules/texts/); this module only
knows how to read it. A bad file is refused at load with the line of the offending entry, because a
silently wrong knowledge base would approve models it should not.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import platformdirs
import yaml

from auditor.errors import InputFileError, KnowledgeBaseError
from auditor.licenses import expression as spdx
from auditor.licenses.entry import CATEGORIES, OBLIGATION_TRIGGERS, Conditions, LicenseEntry, Obligation
from auditor.licenses.text import MAX_ID_CHARS, slug
from auditor.models import Commercial
from auditor.resources import rules_file
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
MIN_MARKER_CHARS = 8
"""A marker shorter than this ("MIT", "GPL") occurs in too many texts to identify one license."""
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
    """Load and validate a knowledge base; None means the bundled rules/licenses.yaml (loaded once)."""
    if path is None:
        return _bundled()
    path = Path(path)
    texts = path.parent / TEXTS_DIR
    return _load(_read(path, str(path)), str(path), texts if texts.is_dir() else None)


@functools.lru_cache(maxsize=1)
def _bundled() -> KnowledgeBase:
    source = rules_file(KB_FILE)
    name = str(source)
    texts = rules_file(TEXTS_DIR)
    return _load(_read(source, name), name, texts if texts.is_dir() else None)


def _import_jsonschema() -> Any:
    """jsonschema, without the optional IRI format checker it would otherwise load on import.

    That checker (rfc3987_syntax, pulled in by some extras) compiles a grammar for ~2 s at import, on
    every run of the CLI; the knowledge-base schema uses no IRI formats, so it is not needed here.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import jsonschema

    return jsonschema


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    jsonschema = _import_jsonschema()

    source = rules_file(SCHEMA_FILE)
    try:
        schema: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeBaseError(str(source), None, f"cannot read the knowledge-base schema: {exc}") from None
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


def _load(text: str, name: str, texts: _Resource | None) -> KnowledgeBase:
    try:
        data = _parse(text, name)
    except InputFileError as exc:
        raise KnowledgeBaseError(exc.path, exc.line, exc.message) from None
    stamp = _validation_stamp(text)
    if stamp is None or not stamp.exists():
        _validate_schema(data, name)
        _remember_valid(stamp)
    entries = [_entry(item, name) for item in data["licenses"]]
    _check_semantics(data["licenses"], entries, name)
    _check_alias_shadowing(data["licenses"], entries, name)
    references = _reference_texts(texts, entries) if texts is not None else []
    try:
        return KnowledgeBase(entries, path=name, reference_texts=references)
    except ValueError as exc:  # _check_semantics should have caught it with a line; never load it anyway
        raise KnowledgeBaseError(name, None, str(exc)) from None


def _validation_stamp(text: str) -> Path | None:
    """Where a passed schema validation of exactly this text (and schema) is remembered.

    Checking 4,700 lines against the JSON Schema costs ~0.5 s, on every run of the CLI; the same
    bytes pass the same way every time, so a success is recorded once per content in the user cache.
    The cheaper semantic checks below run on every load.
    """
    try:
        schema = rules_file(SCHEMA_FILE).read_bytes()
        folder = Path(platformdirs.user_cache_dir("auditor")) / "validated"
    except OSError:
        return None
    digest = hashlib.sha256(schema + b"\0" + text.encode("utf-8", "surrogatepass")).hexdigest()
    return folder / f"licenses-{digest}"


def _remember_valid(stamp: Path | None) -> None:
    if stamp is None:
        return
    with contextlib.suppress(OSError):
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()


def _validate_schema(data: Any, name: str) -> None:
    jsonschema = _import_jsonschema()

    schema = _schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = list(validator.iter_errors(data))
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


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v is not None)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value)


def _entry(item: LinedDict, name: str) -> LicenseEntry:
    key = str(item["key"])
    try:
        cond = item.get("conditions") or {}
        conditions = Conditions(
            max_monthly_active_users=_int(cond.get("max_monthly_active_users")),
            max_annual_revenue_usd=_int(cond.get("max_annual_revenue_usd")),
            excluded_territories=_strs(cond.get("excluded_territories")),
            registration_required=bool(cond.get("registration_required") or False),
            requires_licensor_approval=bool(cond.get("requires_licensor_approval") or False),
            notes=_opt(cond.get("notes")),
            not_established=tuple(name for name in _UNCERTAIN_CONDITIONS if name in cond and cond[name] is None),
        )
        obligations = tuple(
            Obligation(id=str(o["id"]), text=str(o["text"]), when=str(o.get("when") or "distribution"))
            for o in item.get("obligations") or ()
        )
        verified = item.get("text_verified")
        return LicenseEntry(
            key=key,
            name=str(item["name"]),
            spdx=_opt(item.get("spdx")),
            licenseref=_opt(item.get("licenseref")),
            hub_ids=_strs(item.get("hub_ids")),
            aliases=_strs(item.get("aliases")),
            category=str(item["category"]),
            commercial=Commercial(str(item["commercial"])),
            conditions=conditions,
            obligations=obligations,
            markers=_strs(item.get("markers")),
            name_patterns=_strs(item.get("name_patterns")),
            url_patterns=_strs(item.get("url_patterns")),
            use_restrictions=_opt(item.get("use_restrictions")),
            output_training_restriction=_opt(item.get("output_training_restriction")),
            version=_opt(item.get("version")),
            url=_opt(item.get("url")),
            text_verified=verified is True or (isinstance(verified, str) and verified.lower().startswith("yes")),
            sources=_strs(item.get("sources")),
            notes=_opt(item.get("notes")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KnowledgeBaseError(name, item.line, f"license {key!r}: {exc}") from None


_LICENSEREF = re.compile(r"LicenseRef-[A-Za-z0-9.-]+")
_UNCERTAIN_CONDITIONS = ("registration_required", "requires_licensor_approval")
"""Yes/no conditions that may be null in the file: not established, which is not the same as no."""


def _check_semantics(items: LinedList, entries: Sequence[LicenseEntry], name: str) -> None:
    """What a schema cannot say: uniqueness across entries, real SPDX ids, regexes that compile."""
    keys: dict[str, str] = {}
    hub_ids: dict[str, str] = {}
    aliases: dict[str, str] = {}  # alias slug -> owning key
    idents: dict[str, str] = {}
    raw_ids: dict[str, str] = {}  # keys and Hub ids as written -> owning key

    def fail(item: LinedDict, field: str, index: int | None, message: str) -> None:
        line = item.line_of(field)
        value = item.get(field)
        if index is not None and isinstance(value, LinedList):
            line = value.line_of(index)
        raise KnowledgeBaseError(name, line, f"license {item.get('key')!r}: {message}")

    for item, entry in zip(items, entries, strict=True):
        if entry.key in keys:
            fail(item, "key", None, "duplicate key")
        keys[entry.key] = entry.key
        if entry.category not in CATEGORIES:
            fail(item, "category", None, f"category must be one of {', '.join(CATEGORIES)}")
        for i, obligation in enumerate(entry.obligations):
            if obligation.when not in OBLIGATION_TRIGGERS:
                fail(item, "obligations", i, f"obligation 'when' must be one of {', '.join(OBLIGATION_TRIGGERS)}")
        for i, hub_id in enumerate(entry.hub_ids):
            owner = hub_ids.setdefault(hub_id.casefold(), entry.key)
            if owner != entry.key:
                fail(item, "hub_ids", i, f"Hub id {hub_id!r} already belongs to {owner!r}")
        for field, values in (("key", (entry.key,)), ("hub_ids", entry.hub_ids)):
            for i, value in enumerate(values):
                owner = raw_ids.setdefault(value.casefold(), entry.key)
                if owner != entry.key:
                    fail(item, field, i if field != "key" else None, f"{value!r} already names {owner!r}")
        for i, alias in enumerate(entry.aliases):
            norm = slug(alias)
            if not norm:
                fail(item, "aliases", i, f"alias {alias!r} has no letters or digits to match")
            owner = aliases.setdefault(norm, entry.key)
            if owner != entry.key:
                fail(item, "aliases", i, f"alias {alias!r} (as {norm!r}) already names {owner!r}")
        if entry.spdx is not None:
            canonical = spdx.canonical_spdx_id(entry.spdx)
            if canonical is None or entry.spdx.startswith("LicenseRef-"):
                fail(item, "spdx", None, f"{entry.spdx!r} is not an SPDX license id (use licenseref instead)")
            elif canonical != entry.spdx:
                fail(item, "spdx", None, f"{entry.spdx!r} is deprecated or misspelt: the SPDX id is {canonical!r}")
        if entry.licenseref is not None and not _LICENSEREF.fullmatch(entry.licenseref):
            fail(item, "licenseref", None, f"{entry.licenseref!r} must look like LicenseRef-[A-Za-z0-9.-]+")
        for field, ident in (("spdx", entry.spdx), ("licenseref", entry.licenseref)):
            if ident is not None:
                owner = idents.setdefault(ident.casefold(), entry.key)
                if owner != entry.key:
                    fail(item, field, None, f"{ident!r} already identifies {owner!r}")
        for field, patterns, flags in (
            ("name_patterns", entry.name_patterns, 0),
            ("url_patterns", entry.url_patterns, re.IGNORECASE),
        ):
            for i, pattern in enumerate(patterns):
                try:
                    compiled = re.compile(pattern, flags)
                except re.error as exc:
                    fail(item, field, i, f"regex {pattern!r} does not compile: {exc}")
                if compiled.search(""):
                    fail(item, field, i, f"regex {pattern!r} matches the empty string, so it matches everything")
        for i, marker in enumerate(entry.markers):
            if len(marker.strip()) < MIN_MARKER_CHARS:
                fail(item, "markers", i, f"marker {marker!r} is too short to identify a license")


def _check_alias_shadowing(items: LinedList, entries: Sequence[LicenseEntry], name: str) -> None:
    """An alias must not read as another license's key or Hub id: `llama-3` may not mean llama3.1."""
    id_owner: dict[str, set[str]] = {}
    for entry in entries:
        for ident in (entry.key, *entry.hub_ids):
            id_owner.setdefault(slug(ident), set()).add(entry.key)
    for item, entry in zip(items, entries, strict=True):
        for i, alias in enumerate(entry.aliases):
            owners = id_owner.get(slug(alias), set())
            if owners and entry.key not in owners:
                line = item["aliases"].line_of(i) if isinstance(item.get("aliases"), LinedList) else item.line
                raise KnowledgeBaseError(
                    name, line, f"license {entry.key!r}: alias {alias!r} reads as the id of {sorted(owners)[0]!r}"
                )


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
