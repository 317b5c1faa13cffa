"""Input as people give it: pasted Hub URLs, duplicates, typos, every policy mistake at once, FILE:LINE."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor import app
from auditor.app import Inputs
from auditor.errors import InputFileError, PolicyErrors, UsageError
from auditor.licenses import load_knowledge_base
from auditor.policy import check_policy_file
from auditor.report import render
from auditor.sources.refs import parse_model_id
from tests.conftest import CliRunner, MakeHub
from tests.fixtures.report.sample import sample_report
from tests.hubstandin import HubStandIn

APACHE = {"README.md": "---\nlicense: apache-2.0\n---\n# a permissive model\n"}


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, hf_env: Path, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("AUDITOR_", "GITHUB_")) or name == "HF_ENDPOINT":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def hub(make_hub: MakeHub) -> HubStandIn:
    return make_hub({"org/ok": APACHE})


def hub_args(hub: HubStandIn) -> list[str]:
    return ["--endpoint", hub.url, "--no-cache", "--retries", "0"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://huggingface.co/openai-community/gpt2", ("openai-community/gpt2", None)),
        ("https://huggingface.co/openai-community/gpt2/", ("openai-community/gpt2", None)),
        ("huggingface.co/org/m", ("org/m", None)),
        ("http://www.huggingface.co/org/m#model-card", ("org/m", None)),
        ("https://hf.co/org/m?library=transformers", ("org/m", None)),
        ("org/m/", ("org/m", None)),
        ("https://huggingface.co/org/m/tree/v1.0", ("org/m", "v1.0")),
        ("https://huggingface.co/org/m/tree/main/subfolder", ("org/m", "main")),
        (
            "https://huggingface.co/org/m/blob/0123456789abcdef0123456789abcdef01234567/LICENSE",
            ("org/m", "0123456789abcdef0123456789abcdef01234567"),
        ),
        ("https://huggingface.co/org/m/tree/refs%2Fpr%2F3", ("org/m", "refs/pr/3")),
    ],
)
def test_pasted_hub_urls_and_trailing_slashes(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_model_id(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://huggingface.co/datasets/org/d", "a dataset, not a model"),
        ("https://huggingface.co/spaces/org/s", "a Space, not a model"),
        ("https://example.com/org/m", "not a Hub model id"),
    ],
)
def test_urls_that_are_not_models_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_model_id(text)


def test_a_pasted_url_audits_the_model(cli: CliRunner, hub: HubStandIn) -> None:
    run = cli("scan", "https://huggingface.co/org/ok/", *hub_args(hub))
    assert run.code == 0, run.err
    assert "org/ok" in run.out


def test_duplicates_are_audited_once_and_said(cli: CliRunner, hub: HubStandIn, tmp_path: Path) -> None:
    listing = tmp_path / "models.txt"
    listing.write_text("org/ok\n# again\norg/ok\n")
    run = cli("scan", "org/ok", "-r", str(listing), "-f", "json", *hub_args(hub))
    assert run.code == 0
    assert run.out.count('"id": "org/ok"') == 1
    assert f"org/ok is named 3 times (the command line, {listing}:1, {listing}:3); audited once" in run.err
    gathered = app.gather(Inputs(model_ids=("org/ok", "ORG/ok", "org/ok@v1")))
    assert [str(r) for r in gathered.refs] == ["org/ok", "org/ok@v1"], "case-insensitive ids; revisions differ"


def test_same_model_for_two_uses_is_two_audits(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("models:\n  - {id: org/ok, use: saas}\n  - {id: org/ok, use: internal-research}\n")
    assert len(app.gather(Inputs(ref_files=(inventory,))).refs) == 2


def test_an_unknown_use_in_an_inventory_names_its_line(cli: CliRunner, hub: HubStandIn, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("models:\n  - id: org/ok\n    use: saas\n  - id: org/ok\n    use: saaas\n")
    run = cli("scan", "-r", str(inventory), *hub_args(hub))
    assert run.code == 2
    assert f"{inventory}:4: unknown use 'saaas' (did you mean 'saas'?)" in run.err
    with pytest.raises(InputFileError) as caught:
        app.scan(app.Settings(inputs=Inputs(ref_files=(inventory,)), hub=app.HubSettings(endpoint=hub.url)))
    assert caught.value.line == 4


def test_a_mistyped_use_flag_gets_a_suggestion(cli: CliRunner, hub: HubStandIn) -> None:
    run = cli("scan", "org/ok", "--use", "saaas", *hub_args(hub))
    assert run.code == 2
    assert "unknown use 'saaas' (did you mean 'saas'?)" in run.err
    with pytest.raises(UsageError, match="did you mean 'commercial-product'"):
        app.scan(app.Settings(inputs=Inputs(model_ids=("org/ok",)), use="comercial-product"))


BAD_POLICY = """\
name: bad
default_use: saaas
uses:
  saas:
    description: hosted
    commercial: maybe
  internal:
    description: inside
    colour: blue
waivers:
  - model: not a repo
    reason: x
"""


def test_policy_check_reports_every_mistake(cli: CliRunner, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(BAD_POLICY)
    run = cli("policy", "check", str(policy))
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert len(lines) >= 4, run.err
    assert all(line.startswith(f"auditor: error: {policy}:") for line in lines)
    for line_no, fragment in ((6, "commercial"), (9, "'colour'"), (2, "saaas"), (11, "not a repo")):
        assert any(f"{policy}:{line_no}:" in line and fragment in line for line in lines), (line_no, run.err)
    with pytest.raises(PolicyErrors) as caught:
        check_policy_file(policy, load_knowledge_base())
    assert len(caught.value.errors) == len(lines)


def test_table_never_cuts_a_model_id() -> None:
    report = sample_report()
    longest = max((str(r.ref) for r in report.results), key=len)
    for width in (60, 80, 120):
        text = str(render("table", report, width=width))
        assert longest in text, width
        assert all(str(r.ref) in text for r in report.results)


# Several mistakes inside one use and inside the company section: each is reported at its own line.
ONE_SECTION_POLICY = """\
name: t
version: "1"
company:
  monthly_active_users: lots
  territories: [XX]
default_use: saas
uses:
  saas:
    commercial: maybe
    distributes: true
    modifies: false
    needs: [hosting]
    categories:
      permissive: alow
      bogus: deny
"""


def test_policy_check_reports_every_mistake_within_one_section(cli: CliRunner, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(ONE_SECTION_POLICY)
    run = cli("policy", "check", str(policy))
    assert run.code == 2
    expected = ((4, "lots"), (5, "'XX'"), (9, "maybe"), (12, "hosting"), (14, "alow"), (15, "bogus"))
    for line_no, fragment in (*expected, (8, "description")):
        assert any(f"{policy}:{line_no}:" in line and fragment in line for line in run.err.splitlines()), (
            line_no,
            run.err,
        )
