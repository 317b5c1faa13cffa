"""Discovery: every way code names a model is found at its file and line, and the look-alikes are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.cli import main
from auditor.errors import InputFileError
from auditor.sources.discover import Discovery, discover, render_inventory, render_json, render_list, to_model_refs
from auditor.sources.inventory import read_inventory
from auditor.sources.refs import read_list_file

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "discover"

# (path, file line, model[@revision]) for every reference in the fixture tree, and nothing else.
EXPECTED = {
    ("Dockerfile", 4, "acme-org/docker-arg"),
    ("Dockerfile", 5, "acme-org/docker-direct"),
    ("Makefile", 4, "acme-org/make-model"),
    ("Makefile", 5, "acme-org/make-git-clone"),
    ("app/models.py", 15, "acme-org/tokenizer-model"),
    ("app/models.py", 16, "acme-org/constant-model@v1.0"),
    ("app/models.py", 17, "acme-org/keyword-model"),
    ("app/models.py", 18, "acme-org/lora-adapter"),
    ("app/models.py", 20, "acme-org/diffusion-model@0123456789abcdef0123456789abcdef01234567"),
    ("app/models.py", 23, "acme-org/pipeline-keyword"),
    ("app/models.py", 24, "acme-org/pipeline-positional"),
    ("app/models.py", 25, "acme-org/pipeline-model-only"),
    ("app/models.py", 27, "acme-org/hub-download"),
    ("app/models.py", 28, "acme-org/hub-download-positional"),
    ("app/models.py", 29, "acme-org/snapshot-model"),
    ("app/models.py", 31, "sentence-transformers/all-MiniLM-L6-v2"),
    ("app/models.py", 32, "cross-encoder/ms-marco-MiniLM-L-6-v2"),
    ("app/models.py", 33, "gpt2"),
    ("app/models.py", 35, "acme-org/loop-a"),
    ("app/models.py", 35, "acme-org/loop-b"),
    ("app/models.py", 36, "acme-org/env-default"),
    ("app/models.py", 37, "acme-org/fstring-model"),
    ("app/models.py", 41, "acme-org/constant-model"),
    ("configs/app.toml", 3, "acme-org/toml-model"),
    ("configs/app.toml", 5, "acme-org/toml-embedder"),
    ("configs/serve.json", 2, "acme-org/json-model"),
    ("configs/serve.json", 5, "acme-org/json-base"),
    ("configs/train.yaml", 2, "acme-org/yaml-model"),
    ("configs/train.yaml", 3, "acme-org/yaml-tokenizer"),
    ("configs/train.yaml", 4, "acme-org/yaml-teacher"),
    ("configs/train.yaml", 11, "acme-org/yaml-base-a"),
    ("configs/train.yaml", 12, "acme-org/yaml-base-b"),
    ("configs/train.yaml", 15, "acme-org/yaml-workflow-download@v2"),
    ("notebooks/explore.ipynb", 17, "acme-org/notebook-cli"),
    ("notebooks/explore.ipynb", 29, "acme-org/notebook-constant"),
    ("scripts/download.sh", 5, "acme-org/shell-cli"),
    ("scripts/download.sh", 6, "acme-org/shell-variable"),
    ("scripts/download.sh", 7, "acme-org/shell-revision@v2.0"),
}

EXPECTED_UNRESOLVED = {
    ("app/models.py", 36),  # os.environ.get("MODEL_NAME", default): the default is found, the variable is not
    ("app/wrappers.py", 10),  # a parameter
    ("app/wrappers.py", 14),  # args.model_name_or_path
    ("app/wrappers.py", 18),  # f-string over a parameter
    ("app/wrappers.py", 22),  # a parameter shadowing a module constant
    ("app/wrappers.py", 25),  # imported from another module
    ("configs/train.yaml", 13),  # ${MODEL_NAME}
    ("scripts/download.sh", 10),  # "$UNKNOWN_MODEL"
}

# Ids in the fixture that must never be reported: comments, docstrings, markdown, unrelated calls and keys,
# datasets, push targets, skipped directories, ignored lines.
NEGATIVES = [
    "in-docstring",
    "in-comment",
    "unrelated-call",
    "unused-constant",
    "in-string",
    "url-model",
    "ignored-model",
    "a-dataset",
    "in-markdown",
    "in-node-modules",
    "in-hidden-dir",
    "in-virtualenv",
    "yaml-comment",
    "push-target",
    "some-dataset",
    "not-a-model-key",
    "json-dataset",
    "toml-not-a-model-key",
    "toml-comment",
    "shell-comment",
    "shell-dataset",
    "in-echo",
    "shadowed-constant",
]


@pytest.fixture(scope="module")
def found() -> Discovery:
    return discover([FIXTURE], cwd=FIXTURE)


def test_every_pattern_is_found_at_its_line(found: Discovery) -> None:
    got = {(r.origin.path, r.origin.line, r.ref_text) for r in found.references}
    assert got - EXPECTED == set(), "found something that is not a model reference"
    assert EXPECTED - got == set(), "missed a model reference"


def test_computed_ids_are_kept_as_unresolved(found: Discovery) -> None:
    assert {(r.origin.path, r.origin.line) for r in found.unresolved} == EXPECTED_UNRESOLVED
    by_line = {(r.origin.path, r.origin.line): r for r in found.unresolved}
    assert by_line[("app/wrappers.py", 14)].expression == "AutoModel.from_pretrained(args.model_name_or_path)"
    assert by_line[("configs/train.yaml", 13)].expression == "model: ${MODEL_NAME}"
    assert all(r.repo_id is None and r.expression for r in found.unresolved)


def test_look_alikes_are_not_reported(found: Discovery) -> None:
    reported = " ".join(r.ref_text for r in found.references)
    for name in NEGATIVES:
        assert f"acme-org/{name}" not in reported, name
    assert "models/local" not in reported, "a directory of the scanned tree is a local checkpoint"
    assert "gpt-4o" not in reported, "config values without an org are not Hub ids"
    assert found.warnings == ()


def test_lines_point_at_the_model_in_the_file(found: Discovery) -> None:
    for ref in found.references:
        line = (FIXTURE / ref.origin.path).read_text().splitlines()[ref.origin.line - 1]  # type: ignore[operator]
        assert (ref.repo_id or "?") in line or "download" in line or "from_pretrained(" in line, (ref.where, line)


def test_notebook_references_carry_cell_and_file_line(found: Discovery) -> None:
    notebook = {r.repo_id: r for r in found.references if r.origin.path.endswith(".ipynb")}
    constant = notebook["acme-org/notebook-constant"]
    assert constant.where == "notebooks/explore.ipynb:cell 3:line 3"
    assert constant.label == "cell 3:line 3"
    raw = (FIXTURE / "notebooks/explore.ipynb").read_text().splitlines()
    assert "from_pretrained(NB_MODEL)" in raw[constant.origin.line - 1]  # type: ignore[operator]
    assert notebook["acme-org/notebook-cli"].where == "notebooks/explore.ipynb:cell 2:line 2"


def test_scan_refs_use_first_occurrence_and_note_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('from x import AutoModel\nAutoModel.from_pretrained("acme/m")\n')
    (tmp_path / "b.py").write_text('\n\nSentenceTransformer("acme/m")\nSentenceTransformer("acme/m")\n')
    (ref,) = to_model_refs(discover([tmp_path], cwd=tmp_path))
    assert (ref.repo_id, str(ref.origin)) == ("acme/m", "a.py:2")
    assert ref.notes == "also at b.py:3, b.py:4"


def test_notebook_ref_notes_its_cell(found: Discovery) -> None:
    refs = {r.repo_id: r for r in to_model_refs(found)}
    notebook = refs["acme-org/notebook-constant"]
    assert str(notebook.origin) == "notebooks/explore.ipynb:29"
    assert notebook.notes == "at notebooks/explore.ipynb:cell 3:line 3"


def test_outputs_read_back(found: Discovery, tmp_path: Path) -> None:
    expected = {text for _, _, text in EXPECTED}
    listing = tmp_path / "models.txt"
    listing.write_text(render_list(found))
    assert {str(r) for r in read_list_file(listing)} == expected
    assert "# app/models.py:16\nacme-org/constant-model@v1.0\n" in listing.read_text()
    assert "#   app/wrappers.py:14: AutoModel.from_pretrained(args.model_name_or_path)" in listing.read_text()
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(render_inventory(found))
    assert {str(r) for r in read_inventory(inventory)} == expected
    document = json.loads(render_json(found))
    assert {m["id"] for m in document["models"]} == {text.split("@")[0] for text in expected}
    assert len(document["unresolved"]) == len(EXPECTED_UNRESOLVED)
    empty = tmp_path / "empty.yaml"
    empty.write_text(render_inventory(Discovery()))
    assert read_inventory(empty) == []


def test_exclude_and_explicit_paths() -> None:
    without = discover([FIXTURE], exclude=["configs", "*.ipynb", "Dockerfile"], cwd=FIXTURE)
    paths = {r.origin.path for r in without.references}
    assert not any(p.startswith("configs/") or p.endswith(".ipynb") or p == "Dockerfile" for p in paths)
    assert "app/models.py" in paths
    hidden = discover([FIXTURE / ".hidden"], cwd=FIXTURE)
    assert [r.ref_text for r in hidden.references] == ["acme-org/in-hidden-dir"], "a path given explicitly is read"
    with pytest.raises(InputFileError):
        discover([FIXTURE / "no-such-dir"])


def test_python_scopes_and_expressions(tmp_path: Path) -> None:
    source = """\
import os
from transformers import AutoModel, pipeline

BASE = "acme"
NAMES = {"small": "acme/small", "large": "acme/large"}
PAIR = ("acme/first", "acme/second")
A, B = "acme/unpacked-a", "acme/unpacked-b"
CHOICE = "acme/choice-a" if os.environ.get("X") else "acme/choice-b"


class Loader:
    NAME = "acme/class-attr"

    def load(self):
        return AutoModel.from_pretrained(NAME)


def local():
    name = "acme/local-constant"
    return AutoModel.from_pretrained(name)


def uses_global():
    global BASE
    return AutoModel.from_pretrained(BASE + "/via-global")


AutoModel.from_pretrained(NAMES["small"])
AutoModel.from_pretrained(PAIR[1])
AutoModel.from_pretrained(B)
AutoModel.from_pretrained(CHOICE)
AutoModel.from_pretrained(str(f"{BASE}/str-call"))
[AutoModel.from_pretrained(m) for m in ["acme/comp-a", "acme/comp-b"]]
pipeline("fill-mask", model=AutoModel.from_pretrained("acme/inner"), tokenizer="acme/tok")
AutoModel.from_pretrained(*args)
COUNTER = "acme/counter-initial"
SHADOW = "acme/module-level"


def bump():
    global COUNTER
    COUNTER = compute()
    return AutoModel.from_pretrained(COUNTER)


def outer():
    SHADOW = "acme/outer-local"

    def inner():
        global SHADOW
        return AutoModel.from_pretrained(SHADOW)
"""
    (tmp_path / "code.py").write_text(source)
    found = discover([tmp_path], cwd=tmp_path)
    got = {(r.origin.line, r.ref_text) for r in found.references}
    assert got == {
        (20, "acme/local-constant"),
        (25, "acme/via-global"),
        (28, "acme/small"),
        (29, "acme/second"),
        (30, "acme/unpacked-b"),
        (31, "acme/choice-a"),
        (31, "acme/choice-b"),
        (32, "acme/str-call"),
        (33, "acme/comp-a"),
        (33, "acme/comp-b"),
        (34, "acme/inner"),
        (34, "acme/tok"),
        (43, "acme/counter-initial"),
        (51, "acme/module-level"),
    }
    # a class attribute is not visible inside the class's methods; what *args holds cannot be read
    assert {(r.origin.line, r.expression) for r in found.unresolved} == {
        (15, "AutoModel.from_pretrained(NAME)"),
        (35, "AutoModel.from_pretrained(*args)"),
        (43, "AutoModel.from_pretrained(COUNTER)"),  # bump() assigns it a computed value
    }


def test_unparsable_files_are_warnings_not_failures(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text('AutoModel.from_pretrained("acme/unclosed"\n')
    (tmp_path / "unrelated-broken.py").write_text("def f(:\n")  # no model call in it: not worth a warning
    (tmp_path / "broken.yaml").write_text("model: [unclosed\n")
    (tmp_path / "broken.ipynb").write_text("{not json")
    (tmp_path / "latin1.py").write_bytes(b'x = "\xe9"\n')
    (tmp_path / "good.py").write_text('SentenceTransformer("acme/still-found")\n')
    found = discover([tmp_path], cwd=tmp_path)
    assert [r.ref_text for r in found.references] == ["acme/still-found"]
    warned = " ".join(found.warnings)
    for name in ("broken.py:1", "broken.yaml:", "broken.ipynb", "latin1.py"):
        assert name in warned
    assert "unrelated-broken.py" not in warned


def test_notebook_with_a_bad_cell_still_reads_the_others(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "source": ["%%writefile x.py\n", 'AutoModel.from_pretrained("acme/in-written-file")\n']},
        {"cell_type": "code", "source": "this is not python(\n"},
        {"cell_type": "code", "source": 'SentenceTransformer("acme/one-string-source")'},
        {"cell_type": "code", "source": ["%%bash\n", "hf download acme/from-bash-cell\n"]},
    ]
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5}, indent=1))
    found = discover([tmp_path], cwd=tmp_path)
    assert {(r.ref_text, r.label) for r in found.references} == {
        ("acme/one-string-source", "cell 3:line 1"),
        ("acme/from-bash-cell", "cell 4:line 2"),
    }
    assert any("cell 2:line 1" in w for w in found.warnings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), suffix=st.sampled_from([".py", ".yaml", ".json", ".toml", ".sh", ".ipynb"]))
def test_any_file_content_is_survivable(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"f{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    discover([path], cwd=tmp_path)  # never raises: a strange file is a warning at most


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_discover_command(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURE)
    assert _run(["discover", ".", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert len(json.loads(out)["models"]) == len({text for _, _, text in EXPECTED})
    assert "warning: app/wrappers.py:14: unresolved model reference" in err
    assert "unresolved" in err.splitlines()[-1]
    assert _run(["discover", "app/wrappers.py", "--fail-on-unresolved"]) == 1
    assert _run(["discover", "app/models.py", "--format", "list"]) == 0
    assert "acme-org/lora-adapter" in capsys.readouterr().out
    assert _run(["discover", "no-such-path"]) == 2
