"""Through the CLI under injected faults: no model is lost or wrongly approved; Ctrl-C leaves a partial report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubstandin.server import HubStandIn, write_repo

ROOT = Path(__file__).resolve().parent.parent
RUN = [sys.executable, "-m", "auditor"]

CARDS = [
    ("apache-2.0", None),
    ("mit", None),
    ("cc-by-nc-4.0", None),
    ("llama3.1", None),
    ("other", "qwen-research"),
    ("other", "yi-license"),
]
MIT_TEXT = (ROOT / "rules" / "texts" / "mit.txt").read_text()


def card(license_id: str, name: str | None, base: str | None) -> str:
    lines = ["---", f"license: {license_id}"]
    if name:
        lines.append(f"license_name: {name}")
    if base:
        lines.append(f"base_model: {base}")
    return "\n".join([*lines, "---", "# model", ""])


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubStandIn]:
    root = tmp_path_factory.mktemp("hub")
    for i in range(120):
        license_id, name = CARDS[i % len(CARDS)]
        base = f"org/model-{i % 10:03d}" if i >= 100 else None  # fine-tunes of the first models
        files: dict[str, str] = {"README.md": card(license_id, name, base)}
        if i % 3 == 0 and license_id == "mit":
            files["LICENSE"] = "Copyright (c) 2024 Org\n\n" + MIT_TEXT
        write_repo(root, f"org/model-{i:03d}", files)
    with HubStandIn(root) as server:
        server.start()
        yield server


def clean_env(hub: HubStandIn, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / "hf"))
    return env


def scan(hub: HubStandIn, tmp_path: Path, name: str, *extra: str) -> dict[str, dict[str, object]]:
    out = tmp_path / f"{name}.json"
    ids = [f"org/model-{i:03d}" for i in range(120)]
    proc = subprocess.run(
        [*RUN, "scan", *ids, "--format", "json", "-o", str(out), "--no-cache", "--exit-zero", *extra],
        env=clean_env(hub, tmp_path), capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["complete"] is True
    assert len(report["models"]) == 120
    return {m["id"]: m for m in report["models"]}


def test_faults_lose_no_model_and_approve_nothing_wrongly(hub: HubStandIn, tmp_path: Path) -> None:
    hub.reset()
    baseline = scan(hub, tmp_path, "baseline")
    hub.set_faults(error_rate=0.1, drop_rate=0.05, truncate_rate=0.05, rate_limit_rate=0.02, retry_after=1, seed=7)
    try:
        faulty = scan(hub, tmp_path, "faulty", "--retries", "5", "--jobs", "8")
        faulted = hub.stats()["by_fault"]
    finally:
        hub.reset()
    assert sum(faulted.values()) > 20  # the faults really happened
    for repo_id, expected in baseline.items():
        got = faulty[repo_id]
        if got["verdict"] == "error":
            assert got["findings"], repo_id  # an error says why
            continue
        assert (got["verdict"], got["license"]["expression"], got["sha"]) == (  # type: ignore[index]
            expected["verdict"], expected["license"]["expression"], expected["sha"]  # type: ignore[index]
        ), repo_id
    errors = [r for r, m in faulty.items() if m["verdict"] == "error"]
    assert len(errors) < 12, errors  # retries recover nearly everything


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_writes_a_partial_report_marked_incomplete(hub: HubStandIn, tmp_path: Path) -> None:
    hub.reset()
    hub.set_faults(latency_ms=400)
    out = tmp_path / "partial.json"
    ids = [f"org/model-{i:03d}" for i in range(60)]
    try:
        proc = subprocess.Popen(
            [*RUN, "scan", *ids, "--format", "json", "-o", str(out), "--no-cache", "--jobs", "2"],
            env=clean_env(hub, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            # A job started in the background by a non-interactive shell (as CI may start us) inherits SIGINT
            # ignored, and Python then installs no KeyboardInterrupt handler: give the child a default one.
            preexec_fn=_default_sigint,
        )
        deadline = time.monotonic() + 60
        while hub.stats()["total"] < 8 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        hub.reset()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    report = json.loads(out.read_text())
    assert report["complete"] is False
    assert 0 < len(report["models"]) < 60
