"""SPDX expressions: normalising Hub ids, parsing card expressions, building them from keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.licenses import expression_for_keys, identifier, load_knowledge_base
from auditor.licenses.expression import (
    Operation,
    Symbol,
    canonical_spdx_id,
    combine,
    is_valid,
    licenseref_for_key,
    looks_like_expression,
    parse_expression,
    render,
)

MINI = Path(__file__).resolve().parent / "fixtures" / "licenses" / "mini" / "licenses.yaml"


@pytest.mark.parametrize(
    ("value", "spdx"),
    [
        ("apache-2.0", "Apache-2.0"),
        ("MIT", "MIT"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("gpl-3.0", "GPL-3.0-only"),  # deprecated id -> its replacement
        ("llama2", None),
        ("other", None),
        ("MIT OR Apache-2.0", None),  # an expression, not one id
        ("", None),
        ("x" * 1000, None),
    ],
)
def test_canonical_spdx_id(value: str, spdx: str | None) -> None:
    assert canonical_spdx_id(value) == spdx


def test_parse_expression_keeps_structure_and_normalises_known_ids() -> None:
    node = parse_expression("mit or (apache-2.0 and llama2)")
    assert node == Operation("OR", (Symbol("MIT"), Operation("AND", (Symbol("Apache-2.0"), Symbol("llama2")))))
    assert render(node, {"llama2": "LicenseRef-llama2"}) == "MIT OR (Apache-2.0 AND LicenseRef-llama2)"
    with_exception = parse_expression("GPL-2.0-only WITH Classpath-exception-2.0")
    assert with_exception == Symbol("GPL-2.0-only", "Classpath-exception-2.0")
    for junk in ("", "(", "mit and", "AND OR", "x" * 1000):
        assert parse_expression(junk) is None


def test_looks_like_expression() -> None:
    assert looks_like_expression("MIT OR Apache-2.0") and looks_like_expression("(mit)")
    assert not looks_like_expression("mit") and not looks_like_expression("android-license")


def test_combine() -> None:
    assert combine(["MIT", "Apache-2.0", "MIT"]) == "MIT AND Apache-2.0"
    assert combine(["MIT", "Apache-2.0 OR BSD-3-Clause"]) == "MIT AND (Apache-2.0 OR BSD-3-Clause)"
    assert combine(["MIT", None]) is None  # a hole makes the whole unknown
    assert combine([]) is None
    assert combine(["A", "B"], "OR") == "A OR B"
    with pytest.raises(ValueError, match="operator"):
        combine(["A"], "WITH")


def test_identifiers_for_entries_and_keys() -> None:
    kb = load_knowledge_base(MINI)
    assert identifier(kb["apache-2.0"]) == "Apache-2.0"
    assert identifier(kb["llama2"]) == "LicenseRef-llama2"
    assert licenseref_for_key("llama3_1") == "LicenseRef-llama3-1"
    assert expression_for_keys(kb, ["apache-2.0", "llama2"]) == "Apache-2.0 AND LicenseRef-llama2"
    assert expression_for_keys(kb, ["mit", "nope"]) is None
    assert is_valid("Apache-2.0 AND LicenseRef-llama2") and not is_valid("AND (")


def test_every_bundled_entry_has_a_valid_identifier() -> None:
    for entry in load_knowledge_base():
        assert is_valid(identifier(entry)), entry.key
