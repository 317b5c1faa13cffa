"""Limits are stated once (auditor/limits.py, and the README table made from it), and every finding or
error a limit causes names it."""

from __future__ import annotations

import importlib
import json
import pickle
import re
from pathlib import Path

import pytest

from auditor import limits
from auditor.errors import InputFileError
from auditor.hub import cache, content, dirsource, snapshot
from auditor.hub.content import CardError, parse_front_matter
from auditor.hub.dirsource import DirSource
from auditor.licenses import lineage, load_knowledge_base, resolve
from auditor.models import HubModel
from auditor.sources.discover import discover, vocabulary
from auditor.yamlfile import MAX_FILE_BYTES
from tests.hostile.helpers import HUB_DIR, ROOT, run_cli
from tests.hostile.hostile_files import alias_bomb, sparse_file
from tests.hubstandin import write_repo


def test_every_limit_is_named_once_with_a_positive_value() -> None:
    names = [limit.name for limit in limits.ALL]
    assert len(names) == len(set(names))
    declared = [value for value in vars(limits).values() if isinstance(value, limits.Limit)]
    assert set(map(id, declared)) == set(map(id, limits.ALL))
    for limit in limits.ALL:
        assert int(limit) > 0 and limit.unit and limit.why
        assert limit.note == f"limit {limit.name} = {int(limit)} {limit.unit}"
        assert pickle.loads(pickle.dumps(limit)).note == limit.note


def test_modules_take_their_limits_from_the_one_place() -> None:
    assert content.MAX_FILE_BYTES is limits.CARD_BYTES
    assert content.MAX_CARD_NODES is limits.CARD_NODES and content.MAX_CARD_DEPTH is limits.CARD_DEPTH
    assert content.MAX_LICENSE_FILES is limits.LICENSE_FILES
    assert dirsource.MAX_SIBLINGS is limits.MIRROR_FILES
    assert lineage.MAX_BASES is limits.BASES_PER_MODEL and lineage.MAX_LINEAGE_DEPTH is limits.LINEAGE_DEPTH
    assert MAX_FILE_BYTES is limits.INPUT_FILE_BYTES
    assert cache.MAX_ENTRY_BYTES is limits.CACHE_ENTRY_BYTES and snapshot.MAX_SNAPSHOT_BYTES is limits.SNAPSHOT_BYTES
    declared = importlib.import_module("auditor.licenses.declared")  # the package exports a function `resolve`
    assert declared.MAX_LIST_ITEMS is limits.CARD_LICENSES
    assert vocabulary.MAX_CODE_BYTES is limits.DISCOVER_CODE_BYTES
    assert vocabulary.MAX_NOTEBOOK_BYTES is limits.DISCOVER_NOTEBOOK_BYTES


def test_readme_table_matches_the_limits() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| ([0-9_]+) ", readme, flags=re.MULTILINE))
    assert rows == {limit.name: f"{int(limit):_}" for limit in limits.ALL}


def test_a_real_report_is_far_from_the_json_depth_limit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "scan", "--hub-dir", HUB_DIR, "-r", str(ROOT / "examples" / "models.txt"), "-f", "json"
    )
    assert code in (0, 1)

    def depth(value: object) -> int:
        if isinstance(value, dict):
            return 1 + max(map(depth, value.values()), default=0)
        if isinstance(value, list):
            return 1 + max(map(depth, value), default=0)
        return 0

    assert depth(json.loads(out)) * 4 <= limits.JSON_DEPTH


# ---------------------------------------------------------------- each limit, named where it bites


def test_card_limits_are_named() -> None:
    with pytest.raises(CardError, match=re.escape(limits.CARD_NODES.note)):
        parse_front_matter("---\n" + alias_bomb(levels=7) + "license: mit\n---\n")
    with pytest.raises(CardError, match=re.escape(limits.CARD_DEPTH.note)):
        parse_front_matter("---\nlicense: " + "[" * 40 + "]" * 40 + "\n---\n")


def test_bases_per_model_is_named() -> None:
    bases = [f"org/base-{n}" for n in range(limits.BASES_PER_MODEL + 4)]
    hub = HubModel("acme/merge", "main", "c" * 40, card_data={"license": "mit", "base_model": bases})
    messages = [f.message for f in resolve(hub, load_knowledge_base()).findings]
    assert any(limits.BASES_PER_MODEL.note in message for message in messages), messages


def test_card_licenses_is_named() -> None:
    card = {"license": ["mit"] * (limits.CARD_LICENSES + 3)}
    hub = HubModel("acme/many", "main", "c" * 40, card_data=card)
    messages = [f.message for f in resolve(hub, load_knowledge_base()).findings]
    assert any(limits.CARD_LICENSES.note in message for message in messages), messages


def test_discover_size_limit_is_named(tmp_path: Path) -> None:
    sparse_file(tmp_path / "huge.py", limits.DISCOVER_CODE_BYTES + 1)
    found = discover([tmp_path])
    assert any(limits.DISCOVER_CODE_BYTES.note in warning for warning in found.warnings), found.warnings


def test_lineage_depth_is_named() -> None:
    assert limits.LINEAGE_DEPTH.note in lineage.depth_cap_error(limits.LINEAGE_DEPTH)


def test_license_files_and_mirror_meta_limits_are_named(tmp_path: Path) -> None:
    files: dict[str, str] = {f"LICENSE-{n}": "MIT License\n" for n in range(limits.LICENSE_FILES + 2)}
    files["README.md"] = "---\nlicense: mit\n---\n"
    files["_hub.json"] = '{"tags": ["' + "x" * limits.MIRROR_META_BYTES + '"]}'
    write_repo(tmp_path, "acme/many", files)
    result = DirSource(tmp_path).fetch("acme/many", None)
    assert isinstance(result, HubModel)
    details = [p.message for p in result.file_problems]
    assert any(limits.LICENSE_FILES.note in d for d in details), details
    assert any(limits.MIRROR_META_BYTES.note in d for d in details), details


def test_input_file_limits_are_named(tmp_path: Path) -> None:
    from auditor.inputfile import read_bytes_bounded

    big = tmp_path / "models.txt"
    big.write_bytes(b"#" * (limits.INPUT_FILE_BYTES + 1))
    with pytest.raises(InputFileError, match=re.escape(limits.INPUT_FILE_BYTES.note)):
        read_bytes_bounded(big)


def test_cut_card_names_the_limit_in_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_repo(
        tmp_path, "acme/huge", {"README.md": "---\nlicense: mit\nx: " + "y" * (limits.CARD_BYTES + 10) + "\n---\n"}
    )
    code, out, _ = run_cli(capsys, "scan", "--hub-dir", str(tmp_path), "acme/huge", "-f", "json")
    model = json.loads(out)["models"][0]
    assert code == 0 and model["verdict"] == "needs-review"  # cut: a person must look, never approved
    assert limits.CARD_BYTES.note in json.dumps(model["findings"])
