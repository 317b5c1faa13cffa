"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml) call `auditor check` right.

The Action's script is run as GitHub runs it (`bash -e -o pipefail`), against a stub `auditor` that
records its arguments (how inputs become arguments, never script text) and against the real auditor
failing (the `exit-code` output is written whatever happens).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
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


def _project_dependencies() -> list[str]:
    """The names of pyproject's [project] dependencies."""
    text = (ROOT / "pyproject.toml").read_text()
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    return [re.split(r"[<>=!~;\[ ]", line.strip().strip('",'))[0] for line in block.splitlines() if '"' in line]


def _run_check_step(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The `auditor check` step's script, as GitHub runs `shell: bash`: `bash -e -o pipefail`."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", _step("check")["run"]],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


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
                "--sarif-category",
                "auditor",
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
    proc = _run_check_step(env, tmp_path)
    assert proc.returncode == 1, "the action fails with auditor's exit code"
    *args, token = (tmp_path / "args").read_text().splitlines()
    assert args == expected
    assert token == "token=unset", "an empty token input is not passed on as an empty token"
    assert (tmp_path / "output").read_text() == "exit-code=1\n"
    assert not (tmp_path / "pwned").exists()


def test_pre_commit_hooks_check_the_changed_files_or_the_whole_tree(capsys: pytest.CaptureFixture[str]) -> None:
    hooks = {hook["id"]: hook for hook in HOOKS}
    assert set(hooks) == {"auditor-check", "auditor-check-all"}
    changed = hooks["auditor-check"]
    assert changed["language"] == "python"
    assert changed["pass_filenames"] is True  # pre-commit appends the changed files to the command
    assert shlex.split(changed["entry"])[1:] == ["check", "--files"]
    whole = hooks["auditor-check-all"]
    assert whole["pass_filenames"] is False
    assert shlex.split(whole["entry"])[1:] + whole["args"] == ["check", "--discover", "."]
    code = 0
    try:
        main(["check", "--help"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 0
    assert "--files" in capsys.readouterr().out
    files = re.compile(changed["files"])
    for path in ("app.py", "nb/explore.ipynb", "configs/train.yaml", "Dockerfile", "docker/Dockerfile.gpu"):
        assert files.search(path), path
    for path in ("README.md", "docs/img.png"):
        assert not files.search(path), path


def test_pre_commit_changed_files_hook_looks_at_those_files_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "changed.py").write_text(
        'from transformers import AutoModel\nAutoModel.from_pretrained("openai-community/gpt2")\n'
    )
    (tmp_path / "untouched.py").write_text('AutoModel.from_pretrained("meta-llama/Meta-Llama-3-8B-Instruct")\n')
    argv = [*shlex.split(HOOKS[0]["entry"])[1:], "--hub-dir", str(ROOT / "examples" / "hub"), "--no-cache"]
    code = 0
    try:
        main([*argv, "changed.py"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 model" in out and "Llama" not in out  # the untouched file is not looked at
    try:
        main([*argv, "gone.py"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 2
    assert "--files: no such file: gone.py" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_writes_the_exit_code_when_the_real_auditor_fails(tmp_path: Path) -> None:
    """The real auditor, failing on findings and on bad input, under GitHub's `bash -e -o pipefail`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "auditor"
    wrapper.write_text(f'#!/usr/bin/env bash\nexec "{sys.executable}" -m auditor "$@"\n')
    wrapper.chmod(0o755)
    for requirements, expected in (("examples/inventory.yaml", 1), ("does-not-exist.txt", 2)):
        output = tmp_path / f"output-{expected}"
        env = {name: "" for name in _step("check")["env"]}
        env.update(
            PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            PYTHONPATH=str(ROOT),
            HOME=str(tmp_path),
            INPUT_PATHS="",
            INPUT_REQUIREMENTS=requirements,
            INPUT_FAIL_ON="approved-with-obligations",
            INPUT_SARIF=str(tmp_path / "auditor.sarif"),
            INPUT_SARIF_CATEGORY="models/backend",
            INPUT_ARGS=f"--hub-dir {ROOT / 'examples' / 'hub'} --no-cache",
            GITHUB_OUTPUT=str(output),
        )
        proc = _run_check_step(env, ROOT)
        assert proc.returncode == expected, proc.stderr
        assert output.read_text() == f"exit-code={expected}\n"
    sarif = (tmp_path / "auditor.sarif").read_text()
    assert '"id": "models/backend/"' in sarif


def test_action_pins_third_party_actions_by_sha_and_installs_pinned_hashes() -> None:
    for step in ACTION["runs"]["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    install = _step("Install auditor")["run"]
    assert "--require-hashes" in install and '"$VENV/bin/python" -m pip' in install
    requirements = (ROOT / "action" / "requirements.txt").read_text()
    pins = re.findall(r"^([a-z0-9._-]+)==([^ ;\\]+)", requirements, flags=re.MULTILINE)
    pinned = {name for name, _ in pins}
    declared = _project_dependencies()
    missing = [name for name in declared if re.sub(r"[-_.]+", "-", name.lower()) not in pinned]
    assert not missing, f"action/requirements.txt lacks {missing}: regenerate it (command at its top)"
    for block in requirements.split("\n\n"):
        for entry in re.split(r"\n(?=[a-z])", block.strip()):
            if entry and not entry.startswith("#"):
                assert "--hash=sha256:" in entry, entry.splitlines()[0]
    caches = [s for s in ACTION["runs"]["steps"] if s.get("uses", "").startswith("actions/cache@")]
    assert any("steps.keys.outputs.lock" in s["with"]["key"] for s in caches)  # the Hub cache, on the lock
    assert any("steps.keys.outputs.requirements" in s["with"]["key"] for s in caches)  # pip, on the pins
    upload = _step("Upload SARIF to code scanning")
    assert upload["with"]["category"] == "${{ inputs.sarif-category }}"


def _tool(name: str) -> str:
    return shutil.which(name) or str(Path(sys.executable).parent / name)


def test_action_and_the_readme_workflow_pass_the_schemas_github_tools_use(tmp_path: Path) -> None:
    """SchemaStore's github-action and github-workflow schemas (via check-jsonschema), and the README's
    workflow uses only inputs the action declares."""
    checker = _tool("check-jsonschema")
    proc = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    readme = (ROOT / "README.md").read_text()
    (workflow,) = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if ".github/workflows/" in b]
    (tmp_path / "workflow.yml").write_text(workflow)
    proc = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(tmp_path / "workflow.yml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = yaml.safe_load(workflow)["jobs"]["auditor"]["steps"]
    ours = [s for s in steps if s["uses"].startswith("auditor-project/auditor@")]
    assert ours and set(ours[0]["with"]) <= set(ACTION["inputs"])
    others = [s["uses"] for s in steps if s not in ours]
    assert all(re.search(r"@[0-9a-f]{40}$", uses) for uses in others), others


def test_pre_commit_accepts_the_hooks_manifest() -> None:
    proc = subprocess.run(
        [_tool("pre-commit"), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
