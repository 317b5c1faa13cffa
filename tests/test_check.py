"""The CI gate end to end: `auditor check` / `lock` / `scan --discover` against the Hub stand-in.

The real huggingface_hub client talks to a local stand-in (tests/hubstandin); upstream changes are made
by editing the served repo's files, which gives `main` a new commit while the old one still resolves
(until `forget_history`).
"""

from __future__ import annotations

import json
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.escape import markdown as markdown_text
from auditor.report.ci import github_annotation
from tests.conftest import CliRunner as Cli
from tests.conftest import MakeHub
from tests.hubstandin import HubStandIn, write_repo

APACHE = {"README.md": "---\nlicense: apache-2.0\n---\n# a permissive model\n"}
MIT = {"README.md": "---\nlicense: mit\n---\n# another permissive model\n"}
NON_COMMERCIAL = {"README.md": "---\nlicense: cc-by-nc-4.0\n---\n# research only\n"}
NO_LICENSE = {"README.md": "---\ntags: [text-generation]\n---\n# no license\n"}
WITH_LICENSE_FILE = {
    "README.md": "---\nlicense: apache-2.0\n---\n# with a LICENSE file\n",
    "LICENSE": "Copyright 2024 Acme.\n\nLicensed under the Apache License, Version 2.0.\n",
}

APP = """\
from transformers import AutoModel

model = AutoModel.from_pretrained("org/non-commercial-model")
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, hf_env: Path) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_WORKSPACE", "HF_ENDPOINT", "AUDITOR_DEBUG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def hub_args(hub: HubStandIn) -> list[str]:
    return ["--endpoint", hub.url, "--no-cache", "--retries", "0"]


def use_models(project: Path, *repo_ids: str, name: str = "app.py") -> None:
    lines = ["from transformers import AutoModel", ""]
    lines += [f'm{i} = AutoModel.from_pretrained("{repo_id}")' for i, repo_id in enumerate(repo_ids)]
    (project / name).write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------- the done-when case


def test_non_commercial_model_fails_with_an_annotation_at_its_line(
    make_hub: MakeHub, project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub({"org/non-commercial-model": NON_COMMERCIAL})
    (project / "app.py").write_text(APP)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("check", "--discover", ".", *hub_args(hub))
    assert result.code == 1, result.err
    (annotation,) = result.annotations
    assert annotation.startswith(
        "::error file=app.py,line=3,title=auditor%3A blocked (org/non-commercial-model)::"
        "org/non-commercial-model is blocked for commercial-product: "
    )
    assert "CC-BY-NC-4.0" in annotation  # the license by name, with its SPDX id
    assert "FAIL  blocked       org/non-commercial-model  app.py:3" in result.out
    assert result.out.splitlines()[-1].startswith("auditor check: 1 model: 1 blocked — FAILED (fail-on: needs-review)")


def test_annotation_path_is_relative_to_the_workspace(
    make_hub: MakeHub, project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub({"org/non-commercial-model": NON_COMMERCIAL})
    (project / "app.py").write_text(APP)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(project.parent))
    result = cli("check", "--discover", ".", *hub_args(hub))
    assert result.annotations[0].startswith("::error file=project/app.py,line=3,")


def test_no_annotations_outside_github_actions(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/non-commercial-model": NON_COMMERCIAL})
    (project / "app.py").write_text(APP)
    result = cli("check", "--discover", ".", *hub_args(hub))
    assert result.code == 1
    assert result.annotations == []
    forced = cli("check", "--discover", ".", "--annotations", *hub_args(hub))
    assert len(forced.annotations) == 1


def test_annotation_escaping() -> None:
    assert (
        github_annotation("error", "50% done\r\nnext: a,b", file="dir,x/a:b.py", line=7, title="t: x, y%")
        == "::error file=dir%2Cx/a%3Ab.py,line=7,title=t%3A x%2C y%25::50%25 done%0D%0Anext: a,b"
    )
    assert github_annotation("warning", "plain") == "::warning::plain"


def test_job_summary_on_github_actions(
    make_hub: MakeHub, project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hub = make_hub({"org/non-commercial-model": NON_COMMERCIAL, "org/ok": APACHE})
    use_models(project, "org/ok", "org/non-commercial-model")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert cli("check", "--discover", ".", *hub_args(hub)).code == 1
    text = summary.read_text()
    assert text.startswith("earlier step\n### auditor check: failed\n"), "appended, never overwritten"
    (row,) = [line for line in text.splitlines() if line.startswith("| FAIL")]
    assert row.startswith("| FAIL | blocked | org/non-commercial-model | app\\.py\\:4 |")
    assert "org/ok" not in text, "approved models are not listed"


def test_markdown_text_is_inert() -> None:
    hostile = "[click](https://evil.example) @everyone <img src=x onerror=alert(1)> | col \x1b[2J"
    escaped = markdown_text(hostile)
    assert not re.search(r"(?<!\\)[\[\]@|`*_]", escaped), escaped  # no link, mention, cell or emphasis
    assert "https:" not in escaped and "//" not in escaped  # no autolink
    assert "<" not in escaped
    assert "&lt;img" in escaped
    assert "\x1b" not in escaped


def test_only_models_needing_attention_are_listed(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/ok": APACHE, "org/unknown": NO_LICENSE})
    use_models(project, "org/ok", "org/unknown")
    result = cli("check", "--discover", ".", *hub_args(hub))
    assert result.code == 1
    assert "org/unknown" in result.out
    assert "org/ok" not in result.out
    assert "2 models: 1 approved, 1 needs-review" in result.out


def test_unresolved_references_are_warned_not_dropped(
    make_hub: MakeHub, project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub({"org/ok": APACHE})
    (project / "load.py").write_text(
        "from transformers import AutoModel\n\n\ndef load(name):\n    return AutoModel.from_pretrained(name)\n"
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("check", "--discover", ".", *hub_args(hub))
    assert result.code == 0
    assert "warning: load.py:5: unresolved model reference" in result.err
    (annotation,) = result.annotations
    assert annotation.startswith("::warning file=load.py,line=5,title=auditor%3A unresolved model reference::")
    assert result.out.splitlines()[-1] == "auditor check: no model references found; 1 unresolved reference — passed"


# ---------------------------------------------------------------- lock and drift


def test_unchanged_lock_passes_with_zero_false_alarms(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/a": APACHE, "org/b": WITH_LICENSE_FILE})
    use_models(project, "org/a", "org/b")
    locked = cli("lock", "--discover", ".", *hub_args(hub))
    assert locked.code == 0, locked.err
    lock_text = (project / "models.lock").read_text()
    assert '"org/a":' in lock_text
    assert f'sha: "{hub.current_sha("org/a")}"' in lock_text
    again = cli("lock", "--discover", ".", *hub_args(hub))
    assert again.code == 0
    assert (project / "models.lock").read_text() == lock_text, "locking twice gives the same bytes"
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 0, checked.out
    assert "license-drift" not in checked.out
    assert checked.out.splitlines() == [
        "auditor check: 2 models: 2 approved; lock: no drift — passed (fail-on: needs-review)"
    ]


def test_new_commit_with_same_license_evidence_is_not_drift(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/a": APACHE})
    use_models(project, "org/a")
    assert cli("lock", "--discover", ".", *hub_args(hub)).code == 0
    before = hub.current_sha("org/a")
    write_repo(
        hub.root, "org/a", {"README.md": APACHE["README.md"] + "\nNew benchmark results.\n", "config.json": "{}"}
    )
    assert hub.current_sha("org/a") != before
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 0, checked.out
    assert "lock: 1 revision-moved — passed" in checked.out
    assert "license-drift" not in checked.out


def test_relicensed_model_fails_with_license_drift(
    make_hub: MakeHub, project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub({"org/a": APACHE})
    use_models(project, "org/a")
    assert cli("lock", "--discover", ".", *hub_args(hub)).code == 0
    write_repo(hub.root, "org/a", MIT)  # still approved by policy: only the lock catches the change
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 1
    assert "license changed since locked: Apache-2.0 -> MIT" in checked.out
    assert "FAIL  needs-review  org/a  app.py:3" in checked.out
    assert "lock: 1 license-drift" in checked.out
    (annotation,) = checked.annotations
    assert annotation.startswith("::error file=app.py,line=3,title=auditor%3A needs-review (org/a)::")
    assert "Apache-2.0 -> MIT" in annotation


def test_edited_license_file_fails_with_license_drift(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/b": WITH_LICENSE_FILE})
    use_models(project, "org/b")
    assert cli("lock", "--discover", ".", *hub_args(hub)).code == 0
    write_repo(
        hub.root, "org/b", {"LICENSE": WITH_LICENSE_FILE["LICENSE"] + "\nAdditional term: no use above 1000 users.\n"}
    )
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 1
    assert "license-drift" in checked.out
    assert "evidence changed" in checked.out or "license changed" in checked.out


def test_gated_license_checked_without_a_token_is_unreadable_not_drift(
    make_hub: MakeHub, project: Path, cli: Cli
) -> None:
    hub = make_hub({"org/gated": {**WITH_LICENSE_FILE, "_hub.json": {"gated": "manual"}}})
    use_models(project, "org/gated")
    locked = cli("lock", "--discover", ".", "--token", "hf_access_token", *hub_args(hub))
    assert locked.code == 0, locked.err
    assert '"LICENSE": "' in (project / "models.lock").read_text()
    anonymous = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert anonymous.code == 1
    assert "cannot confirm the locked license: LICENSE (gated" in anonymous.out
    assert "lock: 1 evidence-unreadable" in anonymous.out
    assert "license-drift" not in anonymous.out
    with_token = cli("check", "--discover", ".", "--lock", "models.lock", "--token", "hf_access_token", *hub_args(hub))
    assert with_token.code == 0, with_token.out


def test_forgotten_locked_commit_is_locked_revision_gone(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/a": APACHE})
    use_models(project, "org/a")
    assert cli("lock", "--discover", ".", *hub_args(hub)).code == 0
    write_repo(hub.root, "org/a", {"README.md": APACHE["README.md"] + "\nHistory squashed.\n"})
    hub.current_sha("org/a")
    hub.forget_history("org/a")
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 1, checked.out
    assert "locked-revision-gone" in checked.out
    assert "no longer exists on the Hub" in checked.out


def test_pinned_revision_that_is_gone(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/a": APACHE})
    sha = hub.current_sha("org/a")
    (project / "app.py").write_text(
        f'from transformers import AutoModel\n\nAutoModel.from_pretrained("org/a", revision="{sha}")\n'
    )
    assert cli("lock", "--discover", ".", *hub_args(hub)).code == 0
    assert f'"org/a@{sha}":' in (project / "models.lock").read_text()
    assert cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub)).code == 0
    write_repo(hub.root, "org/a", {"README.md": APACHE["README.md"] + "\nrewritten\n"})
    hub.current_sha("org/a")
    hub.forget_history("org/a")
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 1
    assert "locked-revision-gone" in checked.out


def test_model_not_in_lock(make_hub: MakeHub, project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = make_hub({"org/a": APACHE, "org/b": MIT})
    use_models(project, "org/a", "org/b")
    assert cli("lock", "org/a", *hub_args(hub)).code == 0
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 1
    assert "org/b is used but not in models.lock" in checked.out
    assert "lock: 1 not-in-lock" in checked.out
    (annotation,) = checked.annotations
    assert annotation.startswith("::error file=app.py,line=4,title=auditor%3A needs-review (org/b)::")


def test_check_with_only_a_lock_checks_the_locked_models(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/a": APACHE, "org/b": MIT})
    assert cli("lock", "org/a", "org/b", *hub_args(hub)).code == 0
    assert cli("check", "--lock", "models.lock", *hub_args(hub)).code == 0
    write_repo(hub.root, "org/b", APACHE)
    checked = cli("check", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 1
    assert "MIT -> Apache-2.0" in checked.out
    assert "models.lock:" in checked.out, "a model from the lock is located at its lock file line"
    relocked = cli("lock", *hub_args(hub))  # no models given: re-pin the lock's models
    assert relocked.code == 0
    assert cli("check", "--lock", "models.lock", *hub_args(hub)).code == 0


def test_stale_lock_entries_do_not_fail(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/a": APACHE, "org/b": MIT})
    assert cli("lock", "org/a", "org/b", *hub_args(hub)).code == 0
    use_models(project, "org/a")
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *hub_args(hub))
    assert checked.code == 0
    assert "lock: 1 stale-lock-entry" in checked.out


def test_lock_does_not_write_when_the_hub_is_down(project: Path, cli: Cli) -> None:
    use_models(project, "org/a")
    result = cli(
        "lock", "--discover", ".", "--endpoint", _dead_endpoint(), "--no-cache", "--retries", "0", "--timeout", "2"
    )
    assert result.code == 3
    assert not (project / "models.lock").exists()


# ---------------------------------------------------------------- exit codes, reports, --diff


def _dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def gate_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubStandIn]:
    root = tmp_path_factory.mktemp("gatehub")
    for repo_id, files in {"org/ok": APACHE, "org/nc": NON_COMMERCIAL, "org/unknown": NO_LICENSE}.items():
        write_repo(root, repo_id, files)
    with HubStandIn(root) as hub:
        yield hub


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["org/ok"], 0),
        (["org/ok", "org/nc"], 1),
        (["org/unknown"], 1),
        (["org/unknown", "--fail-on", "blocked"], 0),
        (["org/nc", "--exit-zero"], 0),
        (["org/does-not-exist"], 1),
        (["-r", "models.txt"], 0),
        (["-r", "bad-list.txt"], 2),
        (["org/ok", "--lock", "missing.lock"], 2),
        (["org/ok", "--lock", "bad.lock"], 2),
        (["org/ok", "--diff", "missing.json"], 2),
        (["not a model id"], 2),
        (["org/ok", "--use", "no-such-use"], 2),
        (["org/ok", "--no-such-option"], 2),
        ([], 2),
    ],
)
def test_check_exit_codes(gate_hub: HubStandIn, project: Path, cli: Cli, args: list[str], code: int) -> None:
    (project / "models.txt").write_text("# models\norg/ok\n")
    (project / "bad-list.txt").write_text("org/ok\nnot/a/model/id\n")
    (project / "bad.lock").write_text("version: 99\nmodels: {}\n")
    result = cli("check", *args, *hub_args(gate_hub))
    assert result.code == code, (result.out, result.err)
    if code == 2:
        assert result.err.strip(), "a usage error says why"


def test_check_exits_3_when_the_hub_is_unreachable(project: Path, cli: Cli) -> None:
    result = cli("check", "org/ok", "--endpoint", _dead_endpoint(), "--no-cache", "--retries", "0", "--timeout", "2")
    assert result.code == 3
    assert "could not be reached" in result.err


def test_sarif_junit_and_json_are_written(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/non-commercial-model": NON_COMMERCIAL})
    (project / "app.py").write_text(APP)
    result = cli(
        "check",
        "--discover",
        ".",
        "--sarif",
        "out/a.sarif",
        "--junit",
        "out/a.xml",
        "--json",
        "out/a.json",
        *hub_args(hub),
    )
    assert result.code == 1
    sarif = json.loads((project / "out/a.sarif").read_text())
    locations = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"]]
    assert {(loc["artifactLocation"]["uri"], loc["region"]["startLine"]) for loc in locations} == {("app.py", 3)}
    suite = ET.parse(project / "out/a.xml").getroot()
    assert suite.iter("failure") is not None
    assert any(case.get("file") == "app.py" and case.get("line") == "3" for case in suite.iter("testcase"))
    report = json.loads((project / "out/a.json").read_text())
    assert [m["verdict"] for m in report["models"]] == ["blocked"]
    assert "wrote out/a.sarif" in result.err


def test_diff_against_an_earlier_report(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/a": APACHE, "org/b": MIT})
    use_models(project, "org/a", "org/b")
    first = cli("scan", "--discover", ".", "--format", "json", "-o", "base.json", *hub_args(hub))
    assert first.code == 0, first.err
    write_repo(hub.root, "org/b", NON_COMMERCIAL)
    use_models(project, "org/b", "org/c-new")
    write_repo(hub.root, "org/c-new", APACHE)
    checked = cli("check", "--discover", ".", "--diff", "base.json", *hub_args(hub))
    assert checked.code == 1
    assert "Changes since base.json:" in checked.out
    assert "+ org/c-new: new, approved" in checked.out
    assert "- org/a: removed (was approved)" in checked.out
    assert "~ org/b: verdict approved -> blocked" in checked.out
    assert "~ org/b: license MIT -> CC-BY-NC-4.0" in checked.out
    scanned = cli("scan", "--discover", ".", "--format", "json", "--diff", "base.json", "--exit-zero", *hub_args(hub))
    assert scanned.code == 0
    assert json.loads(scanned.out)["models"], "stdout stays clean JSON"
    assert "~ org/b: verdict approved -> blocked" in scanned.err


def test_scan_discover_keeps_each_models_origin(make_hub: MakeHub, project: Path, cli: Cli) -> None:
    hub = make_hub({"org/a": APACHE, "org/b": MIT})
    use_models(project, "org/a", "org/b")
    use_models(project, "org/b", name="other.py")
    (project / "models.txt").write_text("org/b\n")
    result = cli("scan", "-r", "models.txt", "--discover", ".", "--format", "json", *hub_args(hub))
    assert result.code == 0, result.err
    origins = {m["id"]: m["origin"] for m in json.loads(result.out)["models"]}
    assert origins == {"org/b": {"path": "models.txt", "line": 1}, "org/a": {"path": "app.py", "line": 3}}


def test_drift_is_caught_through_a_warm_cache(make_hub: MakeHub, project: Path, cli: Cli, tmp_path: Path) -> None:
    hub = make_hub({"org/a": APACHE})
    use_models(project, "org/a")
    cached = ["--endpoint", hub.url, "--cache-dir", str(tmp_path / "cache"), "--retries", "0"]
    assert cli("lock", "--discover", ".", *cached).code == 0  # the cache now trusts org/a@main for an hour
    write_repo(hub.root, "org/a", MIT)
    checked = cli("check", "--discover", ".", "--lock", "models.lock", *cached)
    assert checked.code == 1
    assert "Apache-2.0 -> MIT" in checked.out
