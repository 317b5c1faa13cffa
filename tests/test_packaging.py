"""The wheel carries what the tool needs at run time: the rules and the report templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_rules_and_templates(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "auditor/rules/licenses.yaml" in names
    assert "auditor/rules/licenses.schema.json" in names
    assert "auditor/rules/policy.yaml" in names
    assert any(n.startswith("auditor/rules/texts/") for n in names)
    assert any(n.startswith("auditor/rules/examples/") for n in names)
    assert any(n.startswith("auditor/report/templates/") for n in names)
    assert "auditor/report/schema/report.schema.json" in names
    assert not any(n.startswith("tests/") for n in names)


def test_wheel_declares_console_script(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    assert "auditor = auditor.cli:main" in wheel.read(entry_points).decode()


def test_wheel_ships_every_package(wheel: zipfile.ZipFile) -> None:
    """A package missing from pyproject's list installs an `auditor` that fails on import."""
    names = set(wheel.namelist())
    for init in sorted((ROOT / "auditor").rglob("__init__.py")):
        assert init.relative_to(ROOT).as_posix() in names, init
