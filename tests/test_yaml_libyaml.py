"""People's YAML (policy, lock, inventory) read through libyaml's parser gives exactly what the pure-Python
loader gives: the same values and lines, and for a bad file the same error at the same line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor import yamlfile
from auditor.errors import InputFileError
from auditor.yamlfile import LinedDict, parse_yaml
from tests.conftest import assert_same_lined

pytestmark = pytest.mark.skipif(not yamlfile._LIBYAML, reason="PyYAML built without libyaml")

REPO = Path(__file__).resolve().parent.parent

CASES = {
    "plain": "a: 1\nb: [x, y]\nc: {d: e}\n",
    "scalars": "i: 012\nh: 0x1F\nf: 1.5e3\ninf: .inf\nnan: .nan\nt: yes\nn: ~\ne: ''\n",
    "big int": "big: 123456789012345678901234567890\n",
    "dates": "d: 2025-01-31\nt: 2025-01-31T10:00:00Z\n",
    "bad date": "d: 2025-13-01\n",
    "block scalars": "lit: |\n  one\n   two\n\nfold: >-\n  a\n  b\n\n  c\nkeep: |+\n  x\n\n",
    "quoting": "s: \"tab\\there \\u00e9 \\x41\"\nq: 'it''s'\nm: plain # comment\nurl: http://x/y#z\n",
    "anchors": "base: &b {k: 1, l: [1, 2]}\nuse: *b\nmerged:\n  <<: *b\n  k: 2\n",
    "tags": "s: !!str 12\ni: !!int '7'\nb: !!binary aGVsbG8=\n",
    "nested lists": "- - - a\n    - b\n  - c\n- {x: [1, {y: 2}]}\n",
    "complex key": "? [a, b]\n: c\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "tab indent": "a:\n\tb: 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "explicit document": "--- \na: 1\n...\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "newer directive": "%YAML 1.2\n---\na: 1\n",
    "wrong directive": "%YAML 2.0\n---\na: 1\n",
    "empty": "",
    "only comment": "# nothing\n",
    "bom": "\ufeffa: 1\n",
    "control character": "a: b\x07c\n",
    "surrogate escape": 'a: "\\ud800"\n',
    "unclosed flow": "a: [1, 2\nb: 3\n",
    "unclosed quote": "a: 'open\nb: 2\n",
    "bad indent": "a:\n  b: 1\n c: 2\n",
    "undefined alias": "a: *nope\n",
    "unknown tag": "a: !custom 1\n",
    "python tag": "a: !!python/object:os.system ls\n",
    "deep": "a: " + "[" * 100 + "]" * 100 + "\n",
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6)),
    "long key": "k" * 2000 + ": 1\n",
    "crlf": "a: 1\r\nb:\r\n  - x\r\n",
    "unicode": "名前: 値\nemoji: \U0001f600\n",
    "non-scalar key": "{a: 1}: 2\n",
    "list top": "- 1\n- 2\n",
    "scalar top": "just text\n",
}


def _outcome(text: str) -> tuple[Any, str | None]:
    try:
        return parse_yaml(text, "f.yaml"), None
    except InputFileError as exc:
        return None, f"{exc.line}: {exc.message}"
    except ValueError as exc:  # as the pure-Python loader lets an impossible date through (the caller's line)
        return None, f"ValueError: {exc}"


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[Any, str | None], tuple[Any, str | None]]:
    fast = _outcome(text)
    with monkeypatch.context() as m:
        m.setattr(yamlfile, "_LIBYAML", False)
        slow = _outcome(text)
    return fast, slow


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_same_values_lines_and_errors(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (fast, fast_error), (slow, slow_error) = _both(CASES[name], monkeypatch)
    assert fast_error == slow_error
    assert_same_lined(fast, slow)


def _own_files() -> list[str]:
    """The YAML files this repo ships or tests with (policies, locks, inventories), not the knowledge base."""
    found = [p for folder in ("rules", "examples", "tests", "benchmarks") for p in (REPO / folder).rglob("*.y*ml")]
    return sorted(p.relative_to(REPO).as_posix() for p in found if not p.name.startswith("licenses"))


@pytest.mark.parametrize("path", _own_files())
def test_the_repos_own_files(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (REPO / path).read_text(encoding="utf-8", errors="surrogateescape")
    (fast, fast_error), (slow, slow_error) = _both(text, monkeypatch)
    assert fast_error == slow_error
    assert_same_lined(fast, slow)


def test_libyaml_really_reads_the_bundled_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken (not a silent fall back to the slow one) for a file people write."""
    monkeypatch.setattr(yamlfile, "BoundedLoader", None)  # the pure-Python loader is unusable now
    doc = parse_yaml((REPO / "rules" / "policy.yaml").read_text(encoding="utf-8"), "policy.yaml")
    assert isinstance(doc, LinedDict) and doc.line > 1 and "name" in doc  # after the header comments
