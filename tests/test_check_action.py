"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml) call `auditor check` right.

The Action's script is run with bash against a stub `auditor` that records its arguments, so the way
inputs become arguments (and never script text) is tested without GitHub.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.cli import main

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def _step(name: str) -> dict[str, Any]:
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == name or s.get("name") == name]
    return step  # type: ignore[no-any-return]


def test_action_is_composite_with_documented_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"paths", "requirements", "lock", "policy", "use", "fail-on", "token", "sarif", "upload-sarif"} <= set(
        ACTION["inputs"]
    )
    assert ACTION["inputs"]["fail-on"]["default"] == "needs-review"
    assert all(spec.get("description") for spec in ACTION["inputs"].values())
    install = _step("Install auditor")
    assert "$ACTION_PATH" in install["run"], "installs auditor from the action's own checkout"
    upload = _step("Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in upload["if"]


def test_action_scripts_never_expand_inputs() -> None:
    """`${{ inputs.x }}` inside `run:` would let an input inject shell; they must go through env."""
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            {
                "INPUT_PATHS": "src\nconfigs  notebooks/",
                "INPUT_FAIL_ON": "needs-review",
                "INPUT_SARIF": "auditor.sarif",
            },
            [
                "check",
                "--fail-on",
                "needs-review",
                "--discover",
                "src",
                "--discover",
                "configs",
                "--discover",
                "notebooks/",
                "--sarif",
                "auditor.sarif",
            ],
        ),
        (
            {
                "INPUT_PATHS": "",
                "INPUT_REQUIREMENTS": "models.txt inventory.yaml",
                "INPUT_LOCK": "models.lock",
                "INPUT_POLICY": "policy.yaml",
                "INPUT_USE": "saas",
                "INPUT_FAIL_ON": "blocked",
                "INPUT_JUNIT": "junit.xml",
                "INPUT_ARGS": "--exclude tests --diff base.json",
            },
            [
                "check",
                "--fail-on",
                "blocked",
                "-r",
                "models.txt",
                "-r",
                "inventory.yaml",
                "--lock",
                "models.lock",
                "--policy",
                "policy.yaml",
                "--use",
                "saas",
                "--junit",
                "junit.xml",
                "--exclude",
                "tests",
                "--diff",
                "base.json",
            ],
        ),
        (
            {"INPUT_PATHS": "$(touch pwned) `touch pwned` ;touch pwned", "INPUT_FAIL_ON": "error"},
            ["check", "--fail-on", "error"]
            + [
                arg
                for word in ("$(touch", "pwned)", "`touch", "pwned`", ";touch", "pwned")
                for arg in ("--discover", word)
            ],
        ),
    ],
)
def test_action_builds_the_check_command(tmp_path: Path, inputs: dict[str, str], expected: list[str]) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "auditor"
    stub.write_text(
        "#!/usr/bin/env bash\n"
        'printf "%s\\n" "$@" > "$ARGS_FILE"\n'
        'echo "token=${HF_TOKEN-unset}" >> "$ARGS_FILE"\n'
        "exit 1\n"
    )
    stub.chmod(0o755)
    env = {name: "" for name in _step("check")["env"]}
    env.update(inputs)
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        ARGS_FILE=str(tmp_path / "args"),
        GITHUB_OUTPUT=str(tmp_path / "output"),
    )
    proc = subprocess.run(["bash", "-c", _step("check")["run"]], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1, "the action fails with auditor's exit code"
    *args, token = (tmp_path / "args").read_text().splitlines()
    assert args == expected
    assert token == "token=unset", "an empty token input is not passed on as an empty token"
    assert (tmp_path / "output").read_text() == "exit-code=1\n"
    assert not (tmp_path / "pwned").exists()


def test_pre_commit_hook_runs_check_on_discovered_models(capsys: pytest.CaptureFixture[str]) -> None:
    (hook,) = HOOKS
    assert hook["id"] == "auditor-check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["entry"] == "auditor check --discover"
    argv = shlex.split(hook["entry"])[1:] + hook["args"]
    assert argv == ["check", "--discover", "."]
    code = 0
    try:
        main([*argv, "--help"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 0
    assert "--discover PATH" in capsys.readouterr().out
    files = re.compile(hook["files"])
    for path in (
        "app.py",
        "nb/explore.ipynb",
        "configs/train.yaml",
        "Dockerfile",
        "docker/Dockerfile.gpu",
        "models.lock",
    ):
        assert files.search(path), path
    for path in ("README.md", "docs/img.png"):
        assert not files.search(path), path
