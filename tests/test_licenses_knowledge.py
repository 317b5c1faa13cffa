"""The knowledge base: the bundled file loads and is complete; bad files are refused with their line."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.errors import EXIT_USAGE, KnowledgeBaseError
from auditor.licenses import KnowledgeBase, load_knowledge_base
from auditor.models import Commercial

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "licenses"
MINI = FIXTURES / "mini" / "licenses.yaml"

# The Hub's license ids: huggingface/hub-docs docs/hub/repositories-licenses.md at
# 242f4a1eeb867daf4ac3f44026a5df4a68908a3d (83 ids, as listed in the project's license research).
HUB_LICENSE_IDS = [
    "apache-2.0",
    "mit",
    "openrail",
    "bigscience-openrail-m",
    "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m",
    "afl-3.0",
    "artistic-2.0",
    "bsl-1.0",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "c-uda",
    "cc",
    "cc0-1.0",
    "cc-by-2.0",
    "cc-by-2.5",
    "cc-by-3.0",
    "cc-by-4.0",
    "cc-by-sa-3.0",
    "cc-by-sa-4.0",
    "cc-by-nc-2.0",
    "cc-by-nc-3.0",
    "cc-by-nc-4.0",
    "cc-by-nd-4.0",
    "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0",
    "cdla-sharing-1.0",
    "cdla-permissive-1.0",
    "cdla-permissive-2.0",
    "wtfpl",
    "ecl-2.0",
    "epl-1.0",
    "epl-2.0",
    "etalab-2.0",
    "eupl-1.1",
    "eupl-1.2",
    "agpl-3.0",
    "gfdl",
    "gpl",
    "gpl-2.0",
    "gpl-3.0",
    "lgpl",
    "lgpl-2.1",
    "lgpl-3.0",
    "isc",
    "h-research",
    "intel-research",
    "lppl-1.3c",
    "ms-pl",
    "apple-ascl",
    "apple-amlr",
    "mpl-2.0",
    "odc-by",
    "odbl",
    "openmdw-1.0",
    "openmdw-1.1",
    "openrail++",
    "osl-3.0",
    "postgresql",
    "ofl-1.1",
    "ncsa",
    "unlicense",
    "zlib",
    "pddl",
    "lgpl-lr",
    "deepfloyd-if-license",
    "fair-noncommercial-research-license",
    "llama2",
    "llama3",
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "llama4",
    "grok2-community",
    "gemma",
    "unknown",
    "other",
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def test_bundled_knowledge_base_is_loaded_once(kb: KnowledgeBase) -> None:
    assert load_knowledge_base() is kb
    assert len(kb) >= len(HUB_LICENSE_IDS) - 10  # families share entries, vendor licenses add more


def test_every_hub_license_id_has_an_entry(kb: KnowledgeBase) -> None:
    assert len(HUB_LICENSE_IDS) == 83
    missing = [hub_id for hub_id in HUB_LICENSE_IDS if kb.by_hub_id(hub_id) is None]
    assert missing == []


def test_licenses_behind_other_are_known_by_name(kb: KnowledgeBase) -> None:
    for name, key in [
        ("tongyi-qianwen-license-agreement", "tongyi-qianwen"),
        ("deepseek", "deepseek"),
        ("qwen-research", "qwen-research"),
        ("mnpl", "mistral-mnpl"),
        ("mrl", "mistral-mrl"),
        ("stabilityai-ai-community", "stabilityai-community"),
        ("tencent-hunyuanworld-mirror-community", "tencent-hunyuanworld-mirror-community"),
    ]:
        assert [e.key for e in kb.match_name(name)] == [key], name


def test_slug_collisions_match_only_the_exact_spelling(kb: KnowledgeBase) -> None:
    """`openrail` and `openrail++` have the same slug: each must still find its own entry."""
    assert kb.by_hub_id("openrail++") is not kb.by_hub_id("openrail")
    assert [e.key for e in kb.match_name("OpenRAIL++")] == [kb.by_hub_id("openrail++").key]  # type: ignore[union-attr]


def test_reference_texts_belong_to_entries(kb: KnowledgeBase) -> None:
    names = {ref.name for ref in kb.reference_texts}
    assert {"apache-2.0", "mit"} <= names
    for ref in kb.reference_texts:
        assert ref.key in kb and len(ref.text) > 200


def test_lookups_on_the_mini_base() -> None:
    kb = load_knowledge_base(MINI)
    assert kb.get("mit") is kb["mit"] and "mit" in kb and kb.get("nope") is None
    assert kb.by_hub_id(" APACHE-2.0 ") is kb["apache-2.0"]
    assert kb.by_spdx("Apache-2.0") is kb["apache-2.0"] and kb.by_spdx("LicenseRef-llama2") is kb["llama2"]
    assert [e.key for e in kb.match_name("Apache License 2.0")] == ["apache-2.0"]
    assert [e.key for e in kb.match_name("meta-llama-2-chat")] == ["llama2"]  # name pattern
    assert {e.key for e in kb.match_name("example-v3")} == {"research-nc", "example-community"}  # ambiguous
    assert kb.match_name("") == [] and kb.match_name("x" * 10_000) == []
    assert [e.key for e in kb.match_url("https://www.apache.org/licenses/LICENSE-2.0/")] == ["apache-2.0"]
    assert kb.match_url("https://evil.example/licenses") == []
    assert [e.key for e in kb.filter(commercial="no")] == ["research-nc", "cc-by-nc-4.0"]
    assert [e.key for e in kb.filter(category="permissive", commercial=Commercial.YES)] == ["apache-2.0", "mit"]
    assert kb.is_other(kb["other"]) and kb.is_placeholder(kb["unknown"]) and not kb.is_placeholder(kb["other"])


def test_identifier_for_family_hub_ids(kb: KnowledgeBase) -> None:
    entry = kb.by_hub_id("cc-by-2.0")
    assert entry is not None
    assert kb.identifier_for_hub_id("cc-by-2.0", entry) == "CC-BY-2.0"
    llama = kb.by_hub_id("llama2")
    assert llama is not None and kb.identifier_for_hub_id("llama2", llama) == llama.identifier


# ------------------------------------------------------------------ errors carry the line


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "licenses.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[nth - 1]


def _load_error(tmp_path: Path, text: str) -> KnowledgeBaseError:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(_write(tmp_path, text))
    assert caught.value.exit_code == EXIT_USAGE
    assert str(caught.value).startswith(str(tmp_path / "licenses.yaml"))
    return caught.value


MINI_TEXT = MINI.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "needle", "nth", "words"),
    [
        # (old, new) replacements of the mini file, the line the error must name, and its words
        (("commercial: 'no'", "commercial: no"), "commercial: no", 1, "commercial"),  # YAML 1.1 false
        (("  category: permissive", "  category: free"), "category: free", 1, "category"),
        (("- key: mit\n", "- key: apache-2.0\n"), "key: apache-2.0", 2, "duplicate key"),
        (("aliases: [example-community]", "aliases: [Example Research]"), "aliases: [Example Research]", 1, "alias"),
        (("name_patterns: ['^example(-|$)']", "name_patterns: ['^(example']"), "^(example", 1, "does not compile"),
        (("  spdx: MIT\n", "  spdx: MIT-ish\n"), "spdx: MIT-ish", 1, "not an SPDX license id"),
        (("  spdx: MIT\n", "  spdx: mit\n"), "spdx: mit", 1, "the SPDX id is 'MIT'"),
        (("hub_ids: [mit]", "hub_ids: [apache-2.0]"), "hub_ids: [apache-2.0]", 2, "already"),
        (("aliases: [example-research]", "aliases: [llama2]"), "aliases: [llama2]", 1, "reads as the id"),
        (("markers: [MIT License,", "markers: [MIT,"), "markers: [MIT,", 1, "too short"),
        (("name_patterns: ['^example(-|$)']", "name_patterns: ['x*']"), "name_patterns: ['x*']", 1, "empty string"),
        (
            ("  licenseref: LicenseRef-llama2", "  licenseref: LicenseRef-example-research"),
            "licenseref: LicenseRef-example-research",
            2,
            "already identifies",
        ),
    ],
)
def test_bad_entries_are_refused_with_their_line(
    tmp_path: Path, change: tuple[str, str], needle: str, nth: int, words: str
) -> None:
    old, new = change
    assert old in MINI_TEXT
    text = MINI_TEXT.replace(old, new, 1)
    error = _load_error(tmp_path, text)
    assert error.line == _line_of(text, needle, nth)
    assert words in error.message


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    text = MINI_TEXT.replace("  name: MIT License\n", "  name: [MIT License\n", 1)
    error = _load_error(tmp_path, text)
    assert error.line is not None and abs(error.line - _line_of(text, "name: [MIT License")) <= 2


def test_schema_errors_name_the_field(tmp_path: Path) -> None:
    text = MINI_TEXT.replace("  sources: [test data]\n", "", 1)
    error = _load_error(tmp_path, text)
    assert "sources" in error.message and "licenses[0]" in error.message
    assert error.line == _line_of(text, "- key: apache-2.0")


def test_unknown_reference_text_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_TEXT)
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "mit.txt").write_text("MIT License\n" * 30, encoding="utf-8")
    assert [r.key for r in load_knowledge_base(path).reference_texts] == ["mit"]
    (tmp_path / "texts" / "wtfpl.txt").write_text("text", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="wtfpl"):
        load_knowledge_base(path)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="cannot read"):
        load_knowledge_base(tmp_path / "absent.yaml")
    (tmp_path / "licenses.yaml").write_bytes(b"schema_version: 1\nlicenses: [\xff]\n")
    with pytest.raises(KnowledgeBaseError, match="UTF-8"):
        load_knowledge_base(tmp_path / "licenses.yaml")


def test_the_bundled_file_passes_the_same_checks_from_a_copy(tmp_path: Path) -> None:
    """The repo's rules/licenses.yaml, loaded by path like any other file (and its texts with it)."""
    rules = Path(__file__).resolve().parent.parent / "rules"
    for part in rules.glob("licenses*.yaml"):  # licenses.yaml and its licenses-*.yaml siblings
        shutil.copy(part, tmp_path / part.name)
    shutil.copytree(rules / "texts", tmp_path / "texts")
    kb = load_knowledge_base(tmp_path / "licenses.yaml")
    assert len(kb) == len(load_knowledge_base())
    hub_ids = re.findall(r"^  - ([a-z0-9][a-z0-9.+-]*)$", (rules / "licenses.yaml").read_text(), re.MULTILINE)
    assert hub_ids  # sanity: the regex above sees the file's lists


def test_loose_matches_shared_by_two_entries_match_neither() -> None:
    mini = load_knowledge_base(MINI)
    twin = replace(
        mini["research-nc"],
        key="twin",
        licenseref="LicenseRef-twin",
        aliases=(),
        name_patterns=(),
        url_patterns=(),
        name=mini["example-community"].name,
        url="https://example.org/terms",
    )
    first = replace(mini["example-community"], url="https://example.org/terms", name_patterns=(), url_patterns=())
    kb = KnowledgeBase([first, twin], path="<test>")
    assert kb.match_name("Example Community License") == []  # the shared display name decides nothing
    assert kb.match_url("http://example.org/terms/") == []
    assert kb.match_name("example-community") == [first]  # its own alias still does


def test_null_conditions_are_not_established_not_false() -> None:
    kb = load_knowledge_base(MINI)
    conditions = kb["example-community"].conditions
    assert conditions.registration_required is False
    assert conditions.not_established == ("registration_required",)
    assert kb["llama2"].conditions.not_established == ()
