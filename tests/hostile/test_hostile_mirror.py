"""The offline mirror (--hub-dir) never reads outside its root; an oversized card means the same in the
mirror and on the Hub; `explain` fails like `scan` when the Hub refuses the token."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from auditor import limits
from auditor.hub.dirsource import DirSource
from auditor.models import FetchError, FetchErrorKind, HubModel
from tests.conftest import MakeHub
from tests.hostile.helpers import run_cli
from tests.hubstandin import write_repo

SECRET = "SECRET-LICENSE-TEXT outside the mirror\nApache License Version 2.0\n"
CARD = "---\nlicense: mit\n---\n# model\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Folders outside the mirror that links in it point to."""
    org = tmp_path / "outside" / "evil-org"
    write_repo(tmp_path / "outside", "evil-org/repo", {"README.md": "---\nlicense: other\n---\n", "LICENSE": SECRET})
    return org


def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    write_repo(root, "good/model", {"README.md": CARD})
    return root


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(capsys, "scan", *args, "--format", "json", "-o", "-", "--no-progress")
    return code, json.loads(out) if out.strip() else {}, err


def test_org_folder_linked_out_of_the_mirror_is_refused(
    tmp_path: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = mirror(tmp_path)
    (root / "linked-org").symlink_to(outside, target_is_directory=True)
    result = DirSource(root).fetch("linked-org/repo", None)
    assert isinstance(result, FetchError) and result.kind is FetchErrorKind.INVALID
    assert "outside the mirror" in result.message
    code, report, err = scan_json(capsys, "--hub-dir", str(root), "linked-org/repo", "good/model")
    assert "SECRET" not in json.dumps(report) + err
    verdicts = {m["id"]: m["verdict"] for m in report["models"]}
    assert verdicts == {"linked-org/repo": "error", "good/model": "approved"}
    assert code == 1


def test_repo_folder_linked_out_of_the_mirror_is_refused(tmp_path: Path, outside: Path) -> None:
    root = mirror(tmp_path)
    (root / "good" / "linked").symlink_to(outside / "repo", target_is_directory=True)
    result = DirSource(root).fetch("good/linked", None)
    assert isinstance(result, FetchError) and "outside the mirror" in result.message


def test_links_inside_the_mirror_are_followed(tmp_path: Path) -> None:
    root = mirror(tmp_path)
    (root / "alias-org").symlink_to(root / "good", target_is_directory=True)
    result = DirSource(root).fetch("alias-org/model", None)
    assert isinstance(result, HubModel) and result.card_data == {"license": "mit"}


def test_a_mirror_reached_through_a_link_is_still_its_own_root(tmp_path: Path) -> None:
    root = mirror(tmp_path)
    (tmp_path / "mirror-link").symlink_to(root, target_is_directory=True)
    assert isinstance(DirSource(tmp_path / "mirror-link").fetch("good/model", None), HubModel)


def test_linked_license_and_meta_files_are_not_read(tmp_path: Path, outside: Path) -> None:
    root = mirror(tmp_path)
    repo = root / "good" / "model"
    (repo / "LICENSE").symlink_to(outside / "repo" / "LICENSE")
    (repo / "_hub.json").symlink_to(outside / "repo" / "README.md")
    result = DirSource(root).fetch("good/model", None)
    assert isinstance(result, HubModel)
    assert all("SECRET" not in f.text for f in result.license_files)
    assert result.gated == "manual"  # its facts could not be read: nothing is approved on a guess
    assert any(p.path == "_hub.json" for p in result.file_problems)


def test_a_fifo_in_a_repo_does_not_block(tmp_path: Path) -> None:
    root = mirror(tmp_path)
    os.mkfifo(root / "good" / "model" / "LICENSE")
    result = DirSource(root).fetch("good/model", None)
    assert isinstance(result, HubModel) and result.card_data == {"license": "mit"}


# ---------------------------------------------------------------- oversized cards: the mirror and the Hub agree


def big_front_matter_card() -> str:
    """`license: mit`, then 3 MB of front matter (one long description): the head holds no end of it.
    (The issue measured 22 MB; past the limit the size changes nothing but the test's time.)"""
    return "---\nlicense: mit\ndescription: " + "x" * 3_000_000 + "\n---\n# model\n"


def big_body_card() -> str:
    """A short front matter, then ~1 MB of card text: the front matter ends within the head."""
    return CARD + ("Lorem ipsum dolor sit amet. " * 40_000)


def test_oversized_front_matter_is_cut_in_both_modes(
    make_hub: MakeHub, hf_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = make_hub({"big/card": {"README.md": big_front_matter_card()}, "big/body": {"README.md": big_body_card()}})
    models = ("big/card", "big/body")
    _, offline, _ = scan_json(capsys, "--hub-dir", str(hub.root), *models)
    _, online, _ = scan_json(capsys, "--endpoint", hub.url, "--no-cache", *models)
    for report in (offline, online):
        by_id = {m["id"]: m for m in report["models"]}
        cut, body = by_id["big/card"], by_id["big/body"]
        assert cut["verdict"] != "approved"
        assert limits.CARD_BYTES.note in cut["card_error"]
        assert body["verdict"] == "approved" and body["license"]["expression"] == "MIT"
    # Same verdicts and the same finding; the Hub mode also has the Hub's `license:mit` tag as evidence.
    assert [(m["verdict"], m["card_error"]) for m in offline["models"]] == [
        (m["verdict"], m["card_error"]) for m in online["models"]
    ]


# ---------------------------------------------------------------- a refused token


def test_explain_exits_3_when_the_hub_refuses_the_token(
    make_hub: MakeHub, hf_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = make_hub({"acme/model": {"README.md": CARD}})
    args = ("--endpoint", hub.url, "--no-cache", "--token", "hf_not_a_valid_token")
    code, _, err = run_cli(capsys, "explain", "acme/model", *args)
    assert code == 3, err
    assert "refused the token" in err and "hf_not_a_valid_token" not in err
    scan_code, _, _ = run_cli(capsys, "scan", "acme/model", *args)
    assert scan_code == 3
