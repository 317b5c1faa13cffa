"""The README's commands and examples stay true."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.licenses import load_knowledge_base
from auditor.policy import check_policy_file

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_policy_example_is_a_valid_policy(tmp_path: Path) -> None:
    block = re.search(r"```yaml\n(company:.*?)```", README, re.S)
    assert block is not None
    path = tmp_path / "policy.yaml"
    path.write_text(block.group(1))
    policy = check_policy_file(path, load_knowledge_base())
    assert set(policy.use_names) == {"commercial-product", "internal-research"}


def test_ci_runs_the_readme_test_command() -> None:
    test_command = "pip install '.[test]' && python -m pytest"
    assert test_command in README
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_quick_start_uses_the_bundled_example() -> None:
    assert "pip install . && auditor scan --hub-dir examples/hub -r examples/models.txt" in README
    assert (ROOT / "examples" / "hub" / "index.json").is_file()
