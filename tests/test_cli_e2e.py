"""End to end through the installed command: the real huggingface_hub client against the stand-in Hub."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubstandin.server import HubStandIn

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "hub"


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GITHUB_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus plus a gated repo whose LICENSE needs a token."""
    root = tmp_path_factory.mktemp("hub")
    shutil.copytree(CORPUS, root, dirs_exist_ok=True)
    gated = root / "acme" / "gated-model"
    gated.mkdir(parents=True)
    (gated / "README.md").write_text("---\nlicense: other\nlicense_name: acme-model-license\n---\n# gated\n")
    (gated / "LICENSE").write_text("ACME MODEL LICENSE\nYou may not use this model commercially.\n")
    (gated / "_hub.json").write_text('{"gated": "manual"}')
    return root


@pytest.fixture(scope="module")
def hub(hub_root: Path) -> Iterator[HubStandIn]:
    server = HubStandIn(hub_root)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hub_env(hub: HubStandIn, tmp_path: Path) -> dict[str, str]:
    return {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_DISABLE_TELEMETRY": "1"}


def scan_json(hub_env: dict[str, str], tmp_path: Path, *args: str) -> tuple[int, dict[str, object], str]:
    out = tmp_path / "report.json"
    proc = run("scan", *args, "--format", "json", "-o", str(out), "--no-cache", env=hub_env)
    report = json.loads(out.read_text()) if out.exists() else {}
    return proc.returncode, report, proc.stderr


def by_id(report: dict[str, object]) -> dict[str, dict[str, object]]:
    return {m["id"]: m for m in report["models"]}  # type: ignore[index, union-attr]


def test_verdicts_follow_license_and_contract(hub_env: dict[str, str], tmp_path: Path) -> None:
    code, report, stderr = scan_json(
        hub_env,
        tmp_path,
        "google-bert/bert-base-uncased",
        "facebook/nllb-200-distilled-600M",
        "openbmb/MiniCPM-V-4_5",
        "--use",
        "commercial-product",
    )
    assert code == 1, stderr  # the non-commercial model is blocked
    assert report["schema_version"] == 1
    assert report["tool"]["name"] == "auditor"  # type: ignore[index]
    assert re.fullmatch(r"[0-9a-f]{64}", report["policy"]["sha256"])  # type: ignore[index]
    assert report["use"] == "commercial-product"
    models = by_id(report)
    bert = models["google-bert/bert-base-uncased"]
    assert bert["verdict"] == "approved"
    assert bert["license"]["expression"] == "Apache-2.0"  # type: ignore[index]
    assert re.fullmatch(r"[0-9a-f]{40}", bert["sha"])  # type: ignore[arg-type]
    assert bert["requested_revision"] == "main"
    nllb = models["facebook/nllb-200-distilled-600M"]
    assert nllb["verdict"] == "blocked"
    assert nllb["license"]["commercial"] == "no"  # type: ignore[index]
    assert nllb["findings"]
    no_license = models["openbmb/MiniCPM-V-4_5"]
    assert no_license["verdict"] in ("needs-review", "blocked")
    assert no_license["license"]["expression"] is None  # type: ignore[index]
    assert report["summary"] == {
        "approved": 1,
        "approved-with-obligations": 0,
        "needs-review": int(no_license["verdict"] == "needs-review"),
        "blocked": 1 + int(no_license["verdict"] == "blocked"),
        "error": 0,
    }


def test_missing_repo_is_an_error_verdict_and_the_run_goes_on(hub_env: dict[str, str], tmp_path: Path) -> None:
    code, report, _ = scan_json(
        hub_env, tmp_path, "google-bert/bert-base-uncased", "nobody/does-not-exist", "--exit-zero"
    )
    assert code == 0  # --exit-zero
    models = by_id(report)
    assert models["google-bert/bert-base-uncased"]["verdict"] == "approved"
    missing = models["nobody/does-not-exist"]
    assert missing["verdict"] == "error"
    assert missing["sha"] is None
    assert "not found" in json.dumps(missing["findings"]).lower()
    code, _, _ = scan_json(hub_env, tmp_path, "google-bert/bert-base-uncased", "nobody/does-not-exist")
    assert code == 1


def test_unreachable_hub_exits_3_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    proc = run(
        "scan", "google-bert/bert-base-uncased", "--no-cache", "--retries", "0",
        env={"HF_ENDPOINT": f"http://127.0.0.1:{port}", "HF_HOME": str(tmp_path)},
    )
    assert proc.returncode == 3, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "reach" in lines[0]
    assert "Traceback" not in proc.stderr


def test_malformed_list_file_names_file_and_line(tmp_path: Path) -> None:
    models = tmp_path / "models.txt"
    models.write_text("# models\ngoogle-bert/bert-base-uncased\n\nnot a model id!\n")
    proc = run("scan", "-r", str(models), "--hub-dir", str(CORPUS))
    assert proc.returncode == 2
    assert f"{models}:4:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_gated_license_without_token_is_a_finding(hub_env: dict[str, str], tmp_path: Path) -> None:
    code, report, stderr = scan_json(hub_env, tmp_path, "acme/gated-model", "--exit-zero")
    assert code == 0, stderr
    model = by_id(report)["acme/gated-model"]
    assert model["verdict"] not in ("approved", "approved-with-obligations", "error")
    assert model["gated"] == "manual"
    assert any("gated" in f["rule"] or "gated" in f["message"].lower() for f in model["findings"])  # type: ignore[union-attr]


def test_gated_license_with_token_is_read(hub_env: dict[str, str], tmp_path: Path) -> None:
    code, report, stderr = scan_json(
        {**hub_env, "HF_TOKEN": "hf_access_token"}, tmp_path, "acme/gated-model", "--exit-zero"
    )
    assert code == 0, stderr
    model = by_id(report)["acme/gated-model"]
    assert any(e["source"] == "license_file" for e in model["license"]["evidence"])  # type: ignore[index, union-attr]
    assert "hf_access_token" not in json.dumps(report)


def test_quick_start_on_the_bundled_example() -> None:
    proc = run("scan", "--hub-dir", "examples/hub", "-r", "examples/models.txt", "--no-cache")
    assert proc.returncode == 1, proc.stderr  # some example models are blocked for commercial use
    listed = [
        line.strip() for line in (ROOT / "examples/models.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for repo_id in listed:
        assert repo_id in proc.stdout
    for verdict in ("approved", "blocked"):
        assert verdict in proc.stdout


def test_help_teaches() -> None:
    proc = run("scan", "--help")
    assert proc.returncode == 0
    for word in ("--fail-on", "--hub-dir", "--endpoint", "Exit codes", "Examples"):
        assert word in proc.stdout


def test_a_scan_sends_nothing_to_a_host_it_was_not_pointed_at(hub: HubStandIn, tmp_path: Path) -> None:
    """huggingface_hub's user-agent builder fetches an agent registry from its default endpoint
    (HF_ENDPOINT) once a day unless telemetry is off; an audit of a mirror must not reach past it."""
    (tmp_path / "elsewhere").mkdir()
    with HubStandIn(tmp_path / "elsewhere") as elsewhere:  # plays huggingface.co
        env = {"HF_ENDPOINT": elsewhere.url, "HF_HOME": str(tmp_path / "hf")}  # telemetry not switched off
        proc = run("scan", "google-bert/bert-base-uncased", "--endpoint", hub.url, "--no-cache", env=env)
        assert proc.returncode == 0, proc.stderr
        assert elsewhere.stats()["total"] == 0, elsewhere.stats()["by_route"]
