"""Running the CLI in-process for the hostile tests, and what every failure must look like."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main

ROOT = Path(__file__).resolve().parents[2]
HUB_DIR = str(ROOT / "examples" / "hub")
MODEL = "openai-community/gpt2"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code: int | str | None = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert isinstance(code, int)
    return code, out, err


def assert_one_line_error(code: int, err: str, path: Path | str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"auditor: error: {path}"), lines[0]
    assert "internal error" not in err and "Traceback" not in err
