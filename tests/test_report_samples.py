"""The sample reports in reports/ are what the documented command produces today."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = "html,markdown,json,csv,spdx,cyclonedx,sarif,junit,notice"


def test_sample_reports_are_up_to_date(tmp_path: Path) -> None:
    command = (ROOT / "reports" / "README.md").read_text()
    assert f"--format {FORMATS} -o reports/" in command  # the documented command is the one checked here
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["SOURCE_DATE_EPOCH"] = "1795910400"
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", "--hub-dir", "examples/hub", "-r", "examples/inventory.yaml",
         "--no-cache", "--exit-zero", "--format", FORMATS, "-o", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    produced = sorted(p.name for p in tmp_path.iterdir())
    shipped = sorted(p.name for p in (ROOT / "reports").iterdir() if p.name != "README.md")
    assert produced == shipped
    stale = [name for name in produced if (tmp_path / name).read_bytes() != (ROOT / "reports" / name).read_bytes()]
    assert not stale, f"reports/ is out of date ({', '.join(stale)}): regenerate with the command in reports/README.md"
