"""Fuzzing what strangers write: card front matter, license expressions, policies, inventories, lock
files and the files `discover` reads. Whatever the input, the outcome is a value or an auditor error
(exit 2 with a message); no other exception may escape to become `internal error` (exit 70).

Examples are bounded so the suite stays fast; the strategies mix random text with YAML's sharp
edges (anchors, aliases, merge keys, tags, flow nesting, impossible dates) and mutations of real files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import AuditorError
from auditor.hub.content import CardError, parse_front_matter
from auditor.licenses import load_knowledge_base, resolve
from auditor.licenses.expression import canonical_spdx_id, combine, is_valid, looks_like_expression, parse_expression
from auditor.models import HubModel
from auditor.policy import load_policy
from auditor.policy.loader import parse_policy
from auditor.resources import rules_file
from auditor.sources import read_inventory
from auditor.sources.discover import discover
from auditor.sources.lockfile import read_lock

KB = load_knowledge_base()
FUZZ = settings(
    max_examples=int(os.environ.get("AUDITOR_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

YAML_PIECES = [
    "a",
    "id",
    "models",
    "uses",
    "license",
    "base_model",
    "saas",
    "mit",
    "llama3.1",
    "version",
    "1",
    "sha",
    ":",
    ": ",
    " ",
    "  ",
    "\n",
    "\n  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&x ",
    "*x",
    "&y ",
    "*y",
    "<<: *x",
    "!!str ",
    "!!binary ",
    "!!python/object:os.system ",
    "!!set ",
    "? ",
    "|",
    ">",
    "'",
    '"',
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "2025-13-01",
    "1e400",
    "0x1F",
    "~",
    "\t",
    "\ufeff",
    "\x00",
    "é",
    "null",
    "no",
]
yaml_soup = st.lists(st.sampled_from(YAML_PIECES), max_size=80).map("".join)
scalars = st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.booleans(), st.none())
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
yaml_texts = st.one_of(yaml_soup, documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), st.text(max_size=200))


def _mutate(text: str, data: st.DataObject) -> str:
    """A real file with a few lines replaced, dropped or doubled: errors deep inside valid structure."""
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        if not lines:
            break
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["replace", "drop", "double", "alias"]))
        if action == "replace":
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            lines[index] = indent + data.draw(yaml_soup)
        elif action == "drop":
            del lines[index]
        elif action == "double":
            lines.insert(index, lines[index])
        else:
            lines[index] = lines[index] + " &x" if ":" in lines[index] else lines[index] + " *x"
    return "\n".join(lines) + "\n"


POLICY_TEXT = rules_file("policy.yaml").read_text(encoding="utf-8")
INVENTORY_TEXT = (Path(__file__).resolve().parents[2] / "examples" / "inventory.yaml").read_text(encoding="utf-8")
LOCK_TEXT = """version: 1
policy_sha256: null
models:
  openai-community/gpt2@50cb9b88cd767d7aa0ea16839788604a2d3d2d56:
    evidence_sha256: "%s"
    inherited_keys: []
    license: "MIT"
    license_files: {}
    license_keys: [mit]
    sha: "50cb9b88cd767d7aa0ea16839788604a2d3d2d56"
    verdicts: {"commercial-product": "approved"}
""" % ("0" * 64)


def _in_file(text: str, name: str, reader: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(AuditorError):
            reader(path)


# ---------------------------------------------------------------- cards and license expressions


@FUZZ
@given(st.one_of(yaml_texts, documents.map(lambda d: yaml.safe_dump({"license": d}))), st.text(max_size=100))
def test_card_front_matter_is_data_or_a_card_error(front: str, body: str) -> None:
    try:
        card = parse_front_matter(f"---\n{front}\n---\n{body}")
    except CardError:
        return
    assert isinstance(card, dict)
    resolve(HubModel("acme/model", "main", "c" * 40, card_data=card), KB)  # and resolution takes it as it is


EXPRESSION_PIECES = ["MIT", "Apache-2.0", "llama3.1", "other", "AND", "OR", "WITH", "(", ")", " ", "+", "LicenseRef-x"]


@FUZZ
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(EXPRESSION_PIECES), max_size=12).map(" ".join)))
def test_license_expressions_never_raise(value: str) -> None:
    looks_like_expression(value)
    canonical_spdx_id(value)
    is_valid(value)
    node = parse_expression(value)
    combine([value, "MIT"])
    resolve(HubModel("acme/model", "main", "c" * 40, card_data={"license": value}), KB)
    assert node is None or node is not None


# ---------------------------------------------------------------- files a pull request writes


@FUZZ
@given(st.data())
def test_policy_loading_is_a_policy_or_an_input_error(data: st.DataObject) -> None:
    text = data.draw(st.one_of(yaml_texts, st.just(POLICY_TEXT).map(lambda t: _mutate(t, data))))
    with contextlib.suppress(AuditorError):
        parse_policy(text.encode("utf-8", errors="surrogatepass"), "policy.yaml", KB)


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_policy_files_load_through_the_bounded_reader(data: st.DataObject) -> None:
    _in_file(_mutate(POLICY_TEXT, data), "policy.yaml", lambda path: load_policy(path, KB))


@FUZZ
@given(st.data())
def test_inventory_loading_is_models_or_an_input_error(data: st.DataObject) -> None:
    text = data.draw(st.one_of(yaml_texts, st.just(INVENTORY_TEXT).map(lambda t: _mutate(t, data))))
    _in_file(text, "inventory.yaml", read_inventory)


@FUZZ
@given(st.data())
def test_lock_loading_is_a_lock_or_an_input_error(data: st.DataObject) -> None:
    text = data.draw(st.one_of(yaml_texts, st.just(LOCK_TEXT).map(lambda t: _mutate(t, data))))
    _in_file(text, "models.lock", read_lock)


# ---------------------------------------------------------------- what discover reads in a repo

PY_PIECES = [
    "from_pretrained(",
    "pipeline(",
    "hf_hub_download(",
    "'org/model'",
    '"gpt2"',
    "model=",
    "repo_id=",
    ")",
    "(",
    "[",
    "]",
    "{",
    "}",
    ",",
    " ",
    "\n",
    "    ",
    "x = ",
    "x",
    "+",
    "f'{x}'",
    "if ",
    "else ",
    "for x in ",
    ":",
    "lambda",
    "*",
    "**",
    "#",
    "'''",
    "\\",
    "import transformers\n",
    "AutoModel.",
    "def f(",
    "return ",
    "@",
    "\x00",
]
py_soup = st.lists(st.sampled_from(PY_PIECES), max_size=80).map("".join)
notebook = st.one_of(
    st.text(max_size=200),
    st.lists(py_soup, max_size=3).map(
        lambda cells: yaml.safe_dump(  # JSON is YAML; safe_dump in flow style writes JSON-compatible text
            {"cells": [{"cell_type": "code", "source": [c]} for c in cells], "nbformat": 4}, default_flow_style=True
        )
    ),
)
FILES = {
    "app.py": py_soup,
    "notebook.ipynb": notebook,
    "config.yaml": yaml_texts,
    "config.json": st.one_of(
        st.text(max_size=200), documents.map(lambda d: yaml.safe_dump(d, default_flow_style=True))
    ),
    "pyproject.toml": st.text(max_size=200),
    "run.sh": st.lists(
        st.sampled_from(["hf download ", "huggingface-cli download ", "org/m", "$X", " ", "\n", "\\"]), max_size=30
    ).map("".join),
    "Dockerfile": st.text(max_size=200),
}


@FUZZ
@given(st.fixed_dictionaries({name: strategy for name, strategy in FILES.items()}))
def test_discover_parsers_never_raise(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            (Path(folder) / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        found = discover([folder])
    assert found.files_scanned >= 1
