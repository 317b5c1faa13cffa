"""The parsed knowledge-base cache: the same data and lines as a parse, and only this user's own files trusted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import KnowledgeBaseError
from auditor.licenses import kbcache, knowledge, load_knowledge_base
from tests.conftest import assert_same_lined

RULES = Path(__file__).resolve().parent.parent / "rules"
MINI = Path(__file__).resolve().parent / "fixtures" / "licenses" / "mini" / "licenses.yaml"


@pytest.mark.parametrize("name", ["licenses.yaml", "licenses-longtail.yaml"])
def test_the_bundled_files_come_back_with_every_value_and_line(tmp_path: Path, name: str) -> None:
    text = (RULES / name).read_text(encoding="utf-8")
    parsed = knowledge._parse(text, name)
    key = kbcache.digest(text, b"schema")
    kbcache.save(tmp_path, key, parsed)
    assert_same_lined(parsed, kbcache.load(tmp_path, key))
    assert (tmp_path / f"{key}.json").stat().st_mode & 0o777 == 0o600


def test_the_key_depends_on_text_and_schema() -> None:
    assert kbcache.digest("a", b"s") != kbcache.digest("b", b"s")
    assert kbcache.digest("a", b"s") != kbcache.digest("a", b"t")
    assert kbcache.digest("ab", b"") != kbcache.digest("a", b"b")  # parts are length-prefixed


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG cache for the run, and a copy of the mini knowledge base to load by path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    shutil.copy(MINI, tmp_path / "licenses.yaml")
    return tmp_path / "xdg" / "auditor" / "knowledge"


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, name: str) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr(knowledge, "_parse", refuse)


def test_a_second_load_reads_the_cache_and_gives_the_same_base(
    cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_knowledge_base(tmp_path / "licenses.yaml")
    assert [p.stat().st_mode & 0o777 for p in cache_home.iterdir()] == [0o600]
    _no_parse(monkeypatch)
    second = load_knowledge_base(tmp_path / "licenses.yaml")
    assert list(second) == list(first)


def test_an_edited_file_is_parsed_and_validated_again(
    cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_knowledge_base(tmp_path / "licenses.yaml")
    text = (tmp_path / "licenses.yaml").read_text(encoding="utf-8")
    (tmp_path / "licenses.yaml").write_text(text.replace("schema_version: 1", "schema_version: 2"), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"licenses\.yaml:\d+"):
        load_knowledge_base(tmp_path / "licenses.yaml")


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: p.chmod(0o664), id="group-writable"),
        pytest.param(lambda p: p.chmod(0o606), id="world-writable"),
        pytest.param(lambda p: p.write_text("{not json", encoding="utf-8"), id="corrupt"),
        pytest.param(lambda p: p.write_text('{"format": "x", "data": {}}', encoding="utf-8"), id="other-format"),
        pytest.param(lambda p: p.write_text("[]", encoding="utf-8"), id="shape"),
    ],
)
def test_an_untrusted_or_broken_entry_is_ignored(
    cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spoil: Any
) -> None:
    first = load_knowledge_base(tmp_path / "licenses.yaml")
    (entry,) = cache_home.iterdir()
    spoil(entry)
    parsed: list[str] = []
    real = knowledge._parse

    def counting(text: str, name: str) -> Any:
        parsed.append(name)
        return real(text, name)

    monkeypatch.setattr(knowledge, "_parse", counting)
    assert list(load_knowledge_base(tmp_path / "licenses.yaml")) == list(first)
    assert parsed == [str(tmp_path / "licenses.yaml")]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_another_users_entry_is_ignored(cache_home: Path, tmp_path: Path) -> None:
    load_knowledge_base(tmp_path / "licenses.yaml")
    (entry,) = cache_home.iterdir()
    os.chown(entry, 12345, 12345)
    key = entry.name.removesuffix(".json")
    assert kbcache.load(cache_home, key) is None


def test_a_symlinked_entry_is_ignored(cache_home: Path, tmp_path: Path) -> None:
    load_knowledge_base(tmp_path / "licenses.yaml")
    (entry,) = cache_home.iterdir()
    target = tmp_path / "elsewhere.json"
    entry.rename(target)
    entry.symlink_to(target)
    assert kbcache.load(cache_home, entry.name.removesuffix(".json")) is None


def test_values_json_would_not_give_back_are_not_cached(tmp_path: Path) -> None:
    dated = knowledge._parse("when: 2025-01-01\n", "x.yaml")
    kbcache.save(tmp_path, "k", dated)
    nul_key = knowledge._parse('"\\0x": 1\n', "x.yaml")
    kbcache.save(tmp_path, "n", nul_key)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_cache_costs_only_a_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the folder should be
    shutil.copy(MINI, tmp_path / "licenses.yaml")
    assert len(load_knowledge_base(tmp_path / "licenses.yaml")) > 0


def test_only_the_entries_written_last_are_kept(tmp_path: Path) -> None:
    data = knowledge._parse("a: 1\n", "x.yaml")
    for i in range(kbcache.KEEP + 3):
        kbcache.save(tmp_path, f"k{i:02d}", data)
        os.utime(tmp_path / f"k{i:02d}.json", (1_700_000_000 + i, 1_700_000_000 + i))
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [f"k{i:02d}.json" for i in range(3, kbcache.KEEP + 3)]


def test_prepared_texts_are_kept_by_what_they_are_made_of(cache_home: Path) -> None:
    made: list[str] = []

    def prepare(text: str) -> str:
        made.append(text)
        return text.upper()

    assert knowledge.prepared_texts("words", b"code", ["a", "b"], prepare) == ["A", "B"]
    assert knowledge.prepared_texts("words", b"code", ["a", "b"], prepare) == ["A", "B"] and made == ["a", "b"]
    assert [p.stat().st_mode & 0o777 for p in cache_home.iterdir()] == [0o600]
    for what, code, texts in (
        ("other", b"code", ["a", "b"]),
        ("words", b"new code", ["a", "b"]),
        ("words", b"code", ["a"]),
    ):
        made.clear()
        knowledge.prepared_texts(what, code, texts, prepare)
        assert made == texts, (what, code, texts)
    # An entry of another shape under the right name is prepared again (and replaced).
    key = kbcache.digest_of(b"words", b"code", b"a", b"b")
    for wrong in (["A"], [1, 2], ["A", None]):
        kbcache.save(cache_home, key, wrong)
        made.clear()
        assert knowledge.prepared_texts("words", b"code", ["a", "b"], prepare) == ["A", "B"] and made == ["a", "b"]


def test_reference_texts_are_split_into_words_once_per_content_and_code(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.licenses import detect

    kb = load_knowledge_base()
    fresh = [detect._comparable_words(ref.text) for ref in kb.reference_texts]
    assert detect._reference_words(kb) == fresh and all(fresh)

    def refuse(text: str, words: list[str] | None = None) -> list[str]:
        raise AssertionError("prepared again")

    monkeypatch.setattr(detect, "_comparable_words", refuse)
    assert detect._reference_words(kb) == fresh  # read back: the same words
    monkeypatch.setattr(detect, "_preparing_code", lambda: b"the module after an edit")
    with pytest.raises(AssertionError, match="prepared again"):
        detect._reference_words(kb)
