"""License entries as written in rules/licenses*.yaml: built into LicenseEntry, then checked across entries.

The JSON Schema has already checked each entry's shape; this builds the frozen entries and checks what a
schema cannot say (uniqueness across entries and files, real SPDX ids, regexes that compile, rights that
agree with the entry's summary fields), each failure at its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from auditor.errors import KnowledgeBaseError
from auditor.licenses import expression as spdx
from auditor.licenses.entry import CATEGORIES, OBLIGATION_TRIGGERS, ClassExclusion, Conditions, LicenseEntry, Obligation
from auditor.licenses.rights import Grant, ModelClass, Right, RightGrant, TerritoryBasis, reads_as_prohibition
from auditor.licenses.text import slug
from auditor.models import Commercial
from auditor.yamlfile import LinedDict, LinedList

MIN_MARKER_CHARS = 8
"""A marker shorter than this ("MIT", "GPL") occurs in too many texts to identify one license."""


@dataclass(frozen=True)
class Written:
    """One entry as read: its YAML mapping (with lines), the file it is in, and what it was built into."""

    item: LinedDict
    name: str  # the file, for messages
    entry: LicenseEntry


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


_UNCERTAIN_CONDITIONS = ("registration_required", "requires_licensor_approval")
"""Yes/no conditions that may be null in the file: not established, which is not the same as no."""


def _conditions(cond: Mapping[str, Any]) -> Conditions:
    return Conditions(
        max_monthly_active_users=_int(cond.get("max_monthly_active_users")),
        max_annual_revenue_usd=_int(cond.get("max_annual_revenue_usd")),
        max_daily_active_users=_int(cond.get("max_daily_active_users")),
        max_monthly_visits=_int(cond.get("max_monthly_visits")),
        excluded_territories=_strs(cond.get("excluded_territories")),
        excluded_territories_by_model_class=tuple(
            ClassExclusion(
                model_class=ModelClass(str(x["model_class"])),
                territories=_strs(x["territories"]),
                basis=TerritoryBasis(str(x["basis"])),
                clause=str(x["clause"]),
            )
            for x in cond.get("excluded_territories_by_model_class") or ()
        ),
        registration_required=bool(cond.get("registration_required") or False),
        requires_licensor_approval=bool(cond.get("requires_licensor_approval") or False),
        notes=_opt(cond.get("notes")),
        not_established=tuple(name for name in _UNCERTAIN_CONDITIONS if name in cond and cond[name] is None),
    )


def _rights(value: Mapping[str, Any] | None) -> Mapping[Right, RightGrant]:
    if not value:
        return MappingProxyType({})
    return MappingProxyType(
        {Right(str(key)): RightGrant(Grant(str(r["grant"])), str(r["clause"]).strip()) for key, r in value.items()}
    )


def build_entry(item: LinedDict, name: str) -> LicenseEntry:
    """The entry for one schema-valid mapping; a value the schema let through but cannot build fails here."""
    key = str(item["key"])
    try:
        written = tuple(
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
            conditions=_conditions(item.get("conditions") or {}),
            # A line that forbids something is not a duty: it is kept apart, never listed as an obligation.
            obligations=tuple(o for o in written if not reads_as_prohibition(o.id, o.text)),
            restrictions=tuple(o for o in written if reads_as_prohibition(o.id, o.text)),
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
            rights=_rights(item.get("rights")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KnowledgeBaseError(name, item.line, f"license {key!r}: {exc}") from None


_LICENSEREF = re.compile(r"LicenseRef-[A-Za-z0-9.-]+")
_SUMMARY_GRANT = {
    Commercial.YES: Grant.YES,
    Commercial.NO: Grant.NO,
    Commercial.CONDITIONAL: Grant.CONDITIONAL,
    Commercial.UNKNOWN: Grant.UNKNOWN,
}


def _fail(written: Written, field: str, index: int | None, message: str) -> KnowledgeBaseError:
    item = written.item
    line = item.line_of(field) if field in item else item.line
    value = item.get(field)
    if index is not None and isinstance(value, LinedList):
        line = value.line_of(index)
    return KnowledgeBaseError(written.name, line, f"license {item.get('key')!r}: {message}")


def check_entries(entries: Sequence[Written]) -> None:
    """What a schema cannot say: uniqueness across entries (and files), real SPDX ids, sound regexes,
    rights that agree with the entry's summary."""
    keys: dict[str, str] = {}
    hub_ids: dict[str, str] = {}
    aliases: dict[str, str] = {}  # alias slug -> owning key
    idents: dict[str, str] = {}
    raw_ids: dict[str, str] = {}  # keys and Hub ids as written -> owning key

    for written in entries:
        entry = written.entry
        if entry.key in keys:
            raise _fail(written, "key", None, "duplicate key")
        keys[entry.key] = entry.key
        if entry.category not in CATEGORIES:
            raise _fail(written, "category", None, f"category must be one of {', '.join(CATEGORIES)}")
        for i, obligation in enumerate(entry.obligations):
            if obligation.when not in OBLIGATION_TRIGGERS:
                raise _fail(
                    written, "obligations", i, f"obligation 'when' must be one of {', '.join(OBLIGATION_TRIGGERS)}"
                )
        for i, hub_id in enumerate(entry.hub_ids):
            owner = hub_ids.setdefault(hub_id.casefold(), entry.key)
            if owner != entry.key:
                raise _fail(written, "hub_ids", i, f"Hub id {hub_id!r} already belongs to {owner!r}")
        for field, values in (("key", (entry.key,)), ("hub_ids", entry.hub_ids)):
            for i, value in enumerate(values):
                owner = raw_ids.setdefault(value.casefold(), entry.key)
                if owner != entry.key:
                    raise _fail(written, field, i if field != "key" else None, f"{value!r} already names {owner!r}")
        for i, alias in enumerate(entry.aliases):
            norm = slug(alias)
            if not norm:
                raise _fail(written, "aliases", i, f"alias {alias!r} has no letters or digits to match")
            owner = aliases.setdefault(norm, entry.key)
            if owner != entry.key:
                raise _fail(written, "aliases", i, f"alias {alias!r} (as {norm!r}) already names {owner!r}")
        _check_ids(written, idents)
        _check_patterns(written)
        _check_rights(written)


def _check_ids(written: Written, idents: dict[str, str]) -> None:
    entry = written.entry
    if entry.spdx is not None:
        canonical = spdx.canonical_spdx_id(entry.spdx)
        if canonical is None or entry.spdx.startswith("LicenseRef-"):
            raise _fail(written, "spdx", None, f"{entry.spdx!r} is not an SPDX license id (use licenseref instead)")
        if canonical != entry.spdx:
            raise _fail(
                written, "spdx", None, f"{entry.spdx!r} is deprecated or misspelt: the SPDX id is {canonical!r}"
            )
    if entry.licenseref is not None and not _LICENSEREF.fullmatch(entry.licenseref):
        raise _fail(written, "licenseref", None, f"{entry.licenseref!r} must look like LicenseRef-[A-Za-z0-9.-]+")
    for field, ident in (("spdx", entry.spdx), ("licenseref", entry.licenseref)):
        if ident is not None:
            owner = idents.setdefault(ident.casefold(), entry.key)
            if owner != entry.key:
                raise _fail(written, field, None, f"{ident!r} already identifies {owner!r}")


def _check_patterns(written: Written) -> None:
    entry = written.entry
    for field, patterns, flags in (
        ("name_patterns", entry.name_patterns, 0),
        ("url_patterns", entry.url_patterns, re.IGNORECASE),
    ):
        for i, pattern in enumerate(patterns):
            try:
                compiled = re.compile(pattern, flags)
            except re.error as exc:
                raise _fail(written, field, i, f"regex {pattern!r} does not compile: {exc}") from None
            if compiled.search(""):
                raise _fail(written, field, i, f"regex {pattern!r} matches the empty string, so it matches everything")
    for i, marker in enumerate(entry.markers):
        if len(marker.strip()) < MIN_MARKER_CHARS:
            raise _fail(written, "markers", i, f"marker {marker!r} is too short to identify a license")


def _check_rights(written: Written) -> None:
    """`commercial` summarises the commercial-use right: the two must say the same, or reports (which
    show `commercial`) and verdicts (which use the right) would disagree."""
    entry = written.entry
    if not entry.rights_recorded:
        return
    stated = entry.right(Right.COMMERCIAL_USE).grant
    if stated is not _SUMMARY_GRANT[entry.commercial]:
        raise _fail(
            written,
            "commercial",
            None,
            f"commercial is {entry.commercial.value!r} but rights.commercial-use grants {stated.value!r}; "
            "they must agree (commercial summarises that right)",
        )


def check_alias_shadowing(entries: Sequence[Written]) -> None:
    """An alias must not read as another license's key or Hub id: `llama-3` may not mean llama3.1."""
    id_owner: dict[str, set[str]] = {}
    for written in entries:
        for ident in (written.entry.key, *written.entry.hub_ids):
            id_owner.setdefault(slug(ident), set()).add(written.entry.key)
    for written in entries:
        entry = written.entry
        for i, alias in enumerate(entry.aliases):
            owners = id_owner.get(slug(alias), set())
            if owners and entry.key not in owners:
                raise _fail(written, "aliases", i, f"alias {alias!r} reads as the id of {sorted(owners)[0]!r}")
