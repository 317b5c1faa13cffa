"""SPDX license expressions: parsing and normalising with `license-expression`, and building them.

The Hub's ids are lowercase (`apache-2.0`); SBOMs and reports want SPDX ids (`Apache-2.0`). A Hub id
with no SPDX id becomes the knowledge base's `LicenseRef-…`. Parsing never raises on card input: a
value that is not a valid expression is simply not one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from license_expression import AND as AndNode
from license_expression import OR as OrNode
from license_expression import LicenseSymbol, LicenseWithExceptionSymbol, Licensing, get_spdx_licensing

from auditor.licenses.entry import LicenseEntry
from auditor.licenses.text import MAX_ID_CHARS

if TYPE_CHECKING:
    from auditor.licenses.knowledge import KnowledgeBase

AND = "AND"
OR = "OR"

_EXPRESSION_HINT = re.compile(r"\s(?:and|or|with)\s|[()]", re.IGNORECASE)
_LICENSEREF_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


@functools.lru_cache(maxsize=1)
def licensing() -> Licensing:
    """The SPDX licensing (license list and aliases) bundled with license-expression; loaded once."""
    return get_spdx_licensing()


@functools.lru_cache(maxsize=4096)
def canonical_spdx_id(value: str) -> str | None:
    """The SPDX id for one license id in any case, deprecated ids mapped to their replacement
    (`apache-2.0` -> `Apache-2.0`, `gpl-3.0` -> `GPL-3.0-only`); None when it is not one SPDX id."""
    value = value.strip()
    if not value or len(value) > MAX_ID_CHARS or _EXPRESSION_HINT.search(f" {value} "):
        return None
    lic = licensing()
    try:
        parsed = lic.parse(value, validate=False)
    except Exception:  # license-expression raises several unrelated types on bad input
        return None
    if parsed is None or not isinstance(parsed, LicenseSymbol) or lic.unknown_license_keys(parsed):
        return None
    key = parsed.key
    return key if isinstance(key, str) else None


def licenseref_for_key(key: str) -> str:
    """A valid SPDX LicenseRef for a knowledge-base key that has neither SPDX id nor LicenseRef."""
    return "LicenseRef-" + (_LICENSEREF_UNSAFE.sub("-", key).strip("-") or "unnamed")


def identifier(entry: LicenseEntry) -> str:
    """The id to write in an SPDX expression for an entry: its SPDX id, else its LicenseRef."""
    return entry.spdx or entry.licenseref or licenseref_for_key(entry.key)


def looks_like_expression(value: str) -> bool:
    """Does a card value use SPDX operators (`MIT OR Apache-2.0`) rather than name one license?"""
    return bool(_EXPRESSION_HINT.search(f" {value} "))


@dataclass(frozen=True)
class Symbol:
    """One license in a parsed expression, as written (`name`), plus any `WITH` exception."""

    name: str
    exception: str | None = None


@dataclass(frozen=True)
class Operation:
    operator: str  # AND | OR
    args: tuple[Symbol | Operation, ...]


Node = Symbol | Operation


def parse_expression(value: str) -> Node | None:
    """Parse `A OR (B AND C)` into a tree of the symbols as written; None when it is not an expression."""
    if not value.strip() or len(value) > MAX_ID_CHARS:
        return None
    lic = licensing()
    try:
        parsed = lic.parse(value, validate=False, simple=False)
    except Exception:  # bad card input is "not an expression", never a crash
        return None
    if parsed is None:
        return None
    return _convert(parsed)


def _convert(node: Any) -> Node | None:
    if isinstance(node, LicenseWithExceptionSymbol):
        return Symbol(str(node.license_symbol.key), str(node.exception_symbol.key))
    if isinstance(node, LicenseSymbol):
        return Symbol(str(node.key))
    operator = AND if isinstance(node, AndNode) else OR if isinstance(node, OrNode) else None
    if operator is None:
        return None
    args = [_convert(arg) for arg in node.args]
    if any(arg is None for arg in args):
        return None
    return Operation(operator, tuple(a for a in args if a is not None))


def combine(parts: Iterable[str | None], operator: str = AND) -> str | None:
    """Join expressions with one operator, dropping duplicates and keeping their order; None if any
    part is unknown (an expression with a hole in it would claim more than we know)."""
    if operator not in (AND, OR):
        raise ValueError(f"operator must be {AND} or {OR}")
    seen: list[str] = []
    for part in parts:
        if part is None:
            return None
        if part not in seen:
            seen.append(part)
    if not seen:
        return None
    if len(seen) == 1:
        return seen[0]
    return f" {operator} ".join(f"({p})" if _needs_parens(p, operator) else p for p in seen)


def _needs_parens(part: str, operator: str) -> bool:
    other = OR if operator == AND else AND
    return f" {other} " in f" {part} " and not (part.startswith("(") and part.endswith(")"))


def render(node: Node, names: dict[str, str] | None = None) -> str:
    """An expression tree back to text, each symbol renamed through `names` (as written -> SPDX id)."""
    names = names or {}
    if isinstance(node, Symbol):
        base = names.get(node.name, node.name)
        return f"{base} WITH {node.exception}" if node.exception else base
    rendered = [render(arg, names) for arg in node.args]
    return combine(rendered, node.operator) or ""


def symbols(node: Node) -> list[Symbol]:
    if isinstance(node, Symbol):
        return [node]
    return [s for arg in node.args for s in symbols(arg)]


def expression_for_keys(kb: KnowledgeBase, keys: Sequence[str], operator: str = AND) -> str | None:
    """An SPDX expression for knowledge-base keys (for reports); None if a key is not in the base."""
    entries = [kb.get(key) for key in keys]
    return combine((identifier(e) if e is not None else None for e in entries), operator)


def is_valid(expression: str) -> bool:
    """Does license-expression accept this as an SPDX expression (LicenseRefs allowed)?"""
    try:
        licensing().parse(expression, validate=False)
    except Exception:  # any parse failure means: not valid
        return False
    return True
