"""Model references from arguments, list files and inventories, with their origin."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputFileError, UsageError
from auditor.models import Origin
from auditor.sources import parse_model_id, read_inventory, read_list_file, read_refs_file, refs_from_args


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("org/name", ("org/name", None)),
        ("org/name@main", ("org/name", "main")),
        ("Qwen/Qwen2.5-3B@refs/pr/1", ("Qwen/Qwen2.5-3B", "refs/pr/1")),
        ("gpt2", ("gpt2", None)),
        ("  openai/whisper-large-v3  ", ("openai/whisper-large-v3", None)),
        ("a/b@0123456789abcdef0123456789abcdef01234567", ("a/b", "0123456789abcdef0123456789abcdef01234567")),
    ],
)
def test_valid_ids(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_model_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "org/",
        "/name",
        "a/b/c",
        "org/na me",
        "org/name@",
        "org--x/name",
        "org/..",
        "https://example.com/a/b",
        "a/b@;rm",
    ],
)
def test_invalid_ids(text: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        parse_model_id(text)


def test_args_errors_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        refs_from_args(["ok/model", "bad id"])


def test_list_file_keeps_origin(tmp_path: Path) -> None:
    path = tmp_path / "models.txt"
    path.write_text("# header\n\norg/a  # trailing comment\norg/b@v1\n")
    refs = read_list_file(path)
    assert [(r.repo_id, r.revision, r.origin) for r in refs] == [
        ("org/a", None, Origin(str(path), 3)),
        ("org/b", "v1", Origin(str(path), 4)),
    ]


def test_list_file_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "models.txt"
    path.write_text("org/a\norg/b c\n")
    with pytest.raises(InputFileError) as info:
        read_list_file(path)
    assert str(info.value).startswith(f"{path}:2: ")


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read"):
        read_refs_file(tmp_path / "nope.txt")


def test_inventory(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(
        "models:\n"
        "  - id: org/a\n    use: saas\n    owner: team\n"
        "  - org/b@v2\n"
        "  - id: org/c\n    revision: abc1234\n    notes: x\n"
    )
    refs = read_inventory(path)
    assert [(r.repo_id, r.revision, r.use, r.owner, r.origin) for r in refs] == [
        ("org/a", None, "saas", "team", Origin(str(path), 2)),
        ("org/b", "v2", None, None, Origin(str(path), 5)),
        ("org/c", "abc1234", None, None, Origin(str(path), 6)),
    ]
    assert read_refs_file(path) == refs


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("models:\n  - id: org/a\n    usage: saas\n", 3, "unknown key 'usage'"),
        ("models:\n  - id: not valid\n", 2, "not a Hub model id"),
        ("models:\n  - owner: x\n", 2, "without 'id'"),
        ("models: [\n", 2, "invalid YAML"),
        ("items: []\n", 1, "models"),
        ("models:\n  - id: org/a\n    use: 3\n", 3, "must be text"),
        ("models:\n  - id: org/a\n  - id: org/b\n    id: org/c\n", 4, "duplicate key"),
    ],
)
def test_inventory_errors_name_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(body)
    with pytest.raises(InputFileError) as info:
        read_inventory(path)
    assert info.value.line == line, str(info.value)
    assert message in info.value.message
