"""Files a pull request writes (policy, inventory, model list, lock, --diff report): hostile ones end with
exit 2 and one line naming the file, never an internal error, a hang or exhausted memory.

Time and memory are measured by benchmarks/hostile_bench.py, not here; these tests check the outcome.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor import limits
from auditor.errors import InputFileError
from auditor.inputfile import load_json_bounded, load_toml_bounded, read_bytes_bounded, read_text_bounded
from auditor.yamlfile import BoundedLoader, YAMLBudgetError, load_yaml_bounded, parse_yaml
from tests.hostile.helpers import HUB_DIR, MODEL, ROOT, assert_one_line_error, run_cli
from tests.hostile.hostile_files import alias_bomb, deep_json, deep_yaml, fifo, sparse_file, write

Make = Callable[[Path], Path]

# What each hostile file is, made under a tmp folder (the name keeps the suffix the reader goes by).
CASES: dict[str, Make] = {
    "alias-bomb": lambda d: write(d / "bomb.yaml", alias_bomb()),
    "deep-nesting": lambda d: write(d / "deep.yaml", deep_yaml()),
    "dev-zero": lambda d: _link(d / "zero.yaml", "/dev/zero"),
    "fifo": lambda d: fifo(d / "fifo.yaml"),
    "oversized": lambda d: sparse_file(d / "big.yaml", limits.INPUT_FILE_BYTES + 1),
}
JSON_CASES: dict[str, Make] = {
    "deep-nesting": lambda d: write(d / "deep.json", deep_json()),
    "dev-zero": lambda d: _link(d / "zero.json", "/dev/zero"),
    "fifo": lambda d: fifo(d / "fifo.json"),
    "oversized": lambda d: sparse_file(d / "big.json", limits.INPUT_FILE_BYTES + 1),
    "huge-number": lambda d: write(d / "number.json", '{"models": [' + "9" * 50_000 + "]}"),
}
LIST_CASES: dict[str, Make] = {
    "dev-zero": lambda d: _link(d / "zero.txt", "/dev/zero"),
    "fifo": lambda d: fifo(d / "fifo.txt"),
    "oversized": lambda d: sparse_file(d / "big.txt", limits.INPUT_FILE_BYTES + 1),
    "not-utf8": lambda d: _bytes(d / "latin1.txt", b"openai-community/gpt2 # caf\xe9\n"),
}


def _link(path: Path, target: str) -> Path:
    path.symlink_to(target)
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- through the CLI, each input a PR can write


# Each input a pull request can write: the hostile files it may be, and the command that reads it.
INPUTS: dict[str, tuple[dict[str, Make], Callable[[str], tuple[str, ...]]]] = {
    "policy": (CASES, lambda p: ("scan", "--hub-dir", HUB_DIR, "--policy", p, MODEL)),
    "policy-check": (CASES, lambda p: ("policy", "check", p)),
    "inventory": (CASES, lambda p: ("scan", "--hub-dir", HUB_DIR, "-r", p)),
    "check-lock": (CASES, lambda p: ("check", "--hub-dir", HUB_DIR, "--lock", p)),
    "existing-lock": (CASES, lambda p: ("lock", "--hub-dir", HUB_DIR, "--lock-file", p, MODEL)),
    "diff-base": (JSON_CASES, lambda p: ("scan", "--hub-dir", HUB_DIR, "--diff", p, MODEL)),
    "snapshot": (JSON_CASES, lambda p: ("scan", "--snapshot", p, MODEL)),
    "model-list": (LIST_CASES, lambda p: ("scan", "--hub-dir", HUB_DIR, "-r", p)),
}


@pytest.mark.parametrize(
    ("kind", "case"), [pytest.param(k, c, id=f"{k}-{c}") for k, (cases, _) in INPUTS.items() for c in sorted(cases)]
)
def test_hostile_input_is_exit_2_naming_the_file(
    kind: str, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases, command = INPUTS[kind]
    path = cases[case](tmp_path)
    code, _, err = run_cli(capsys, *command(str(path)))
    assert_one_line_error(code, err, path)


def test_stdin_is_a_model_list(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{MODEL}  # from stdin\n".encode())))
    code, out, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, "-r", "-", "--format", "json")
    assert code in (0, 1), err
    assert f'"{MODEL}"' in out


def test_stdin_policy_bomb_names_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(alias_bomb().encode())))
    code, _, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, "--policy", "-", MODEL)
    assert_one_line_error(code, err, "<stdin>")
    assert limits.YAML_ALIAS_VALUES.name in err


def test_stdin_is_read_with_the_same_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a" * 101)))
    with pytest.raises(InputFileError, match="larger than 100 bytes"):
        read_bytes_bounded("-", 100)


@pytest.mark.parametrize("case", ["deep-nesting", "fifo", "oversized"])
def test_hostile_pyproject_config_is_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pyproject.toml"
    if case == "deep-nesting":
        write(config, "[tool.auditor]\nuse = " + "[" * 100_000 + "]" * 100_000 + "\n")
    elif case == "fifo":
        fifo(config)
    else:
        sparse_file(config, limits.CONFIG_BYTES + 1)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, MODEL)
    if case == "fifo":  # not a regular file: not taken for a configuration at all
        assert code in (0, 1), err
        return
    assert_one_line_error(code, err, config)


# ---------------------------------------------------------------- the real process, for the headline cases


@pytest.mark.parametrize(
    ("args", "make"),
    [
        (("scan", "--hub-dir", HUB_DIR, MODEL, "--policy"), CASES["alias-bomb"]),
        (("scan", "--hub-dir", HUB_DIR, MODEL, "--diff"), JSON_CASES["dev-zero"]),
        (("scan", "--hub-dir", HUB_DIR, "-r"), LIST_CASES["fifo"]),
        (("check", "--hub-dir", HUB_DIR, "--lock"), CASES["deep-nesting"]),
    ],
    ids=["policy-bomb", "diff-dev-zero", "list-fifo", "lock-deep"],
)
def test_process_exits_2_with_one_line(args: tuple[str, ...], make: Make, tmp_path: Path) -> None:
    path = make(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GITHUB_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", *args, str(path)],
        capture_output=True,
        text=True,
        env={**env, "HF_HOME": str(tmp_path / "hf")},
        cwd=ROOT,
        timeout=120,  # a hang fails the test instead of the suite
    )
    assert_one_line_error(proc.returncode, proc.stderr, path)


# ---------------------------------------------------------------- the reader itself


def test_yaml_messages_name_the_line_and_the_limit(tmp_path: Path) -> None:
    nested = "".join("  " * level + f"k{level}:\n" for level in range(200))
    with pytest.raises(InputFileError) as too_deep:
        load_yaml_bounded(write(tmp_path / "nested.yaml", nested))
    assert too_deep.value.line == limits.YAML_DEPTH
    assert limits.YAML_DEPTH.note in str(too_deep.value)
    with pytest.raises(InputFileError, match=limits.YAML_ALIAS_VALUES.name):
        load_yaml_bounded(write(tmp_path / "bomb.yaml", alias_bomb()))


def test_value_budget_counts_while_composing() -> None:
    loader = BoundedLoader("[" + "1, " * 200 + "]", nodes=100)
    with pytest.raises(YAMLBudgetError, match="more than 100 values"):
        loader.get_single_node()


def test_alias_budget_leaves_shared_settings_alone() -> None:
    shared = "base: &b {use: saas, owner: x}\n" + "".join(f"m{n}: *b\n" for n in range(1000))
    assert len(parse_yaml(shared, "shared.yaml")) == 1001  # 3 values x 1000 aliases: within the budget


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(InputFileError, match=limits.YAML_DEPTH.name):
        parse_yaml("a: &a [*a]\n", "cycle.yaml")


def test_ordinary_anchors_still_work() -> None:
    data = parse_yaml("base: &b {use: saas}\nother: *b\nmerged:\n  <<: *b\n  extra: 1\n", "ok.yaml")
    assert data["other"] == {"use": "saas"} and data["merged"] == {"use": "saas", "extra": 1}


def test_json_depth_limit_and_line(tmp_path: Path) -> None:
    shallow = "[" * limits.JSON_DEPTH + "]" * limits.JSON_DEPTH
    assert load_json_bounded(write(tmp_path / "ok.json", shallow)) is not None
    deeper = "[" * (limits.JSON_DEPTH + 1) + "]" * (limits.JSON_DEPTH + 1)
    with pytest.raises(InputFileError, match=limits.JSON_DEPTH.name):
        load_json_bounded(write(tmp_path / "deep.json", deeper))
    with pytest.raises(InputFileError) as broken:
        load_json_bounded(write(tmp_path / "broken.json", '{\n  "a": 1,\n  oops\n}'))
    assert broken.value.line == 3


def test_toml_for_the_configuration_file(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", '[tool.auditor]\nuse = "saas"\n')
    assert load_toml_bounded(config) == {"tool": {"auditor": {"use": "saas"}}}
    with pytest.raises(InputFileError) as broken:
        load_toml_bounded(write(tmp_path / "bad.toml", "[tool.auditor]\nuse = \n"))
    assert broken.value.line == 2
    with pytest.raises(InputFileError, match="nested"):
        load_toml_bounded(write(tmp_path / "deep.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n"))
    with pytest.raises(InputFileError, match="not a regular file"):
        load_toml_bounded(fifo(tmp_path / "fifo.toml"))


def test_a_directory_and_a_missing_file_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="a directory, not a regular file"):
        read_text_bounded(tmp_path, what="policy")
    with pytest.raises(InputFileError, match="No such file"):
        read_text_bounded(tmp_path / "missing.yaml")


def test_a_fifo_with_a_writer_is_refused_without_blocking(tmp_path: Path) -> None:
    path = fifo(tmp_path / "held.yaml")
    writer = os.open(path, os.O_RDWR)  # someone holds it open and never writes: a blocking read would hang
    try:
        with pytest.raises(InputFileError, match="a FIFO"):
            load_yaml_bounded(path)
    finally:
        os.close(writer)
