"""The conventions users bring from pip-audit and ruff: -V, -q, -v, --color, --format/-o on scan and check,
`-o -`, one lock flag name, suggestions on typos, and settings from flags > env > pyproject.toml > defaults."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor import __version__
from tests.conftest import CliRunner, MakeHub
from tests.hubstandin import HubStandIn

APACHE = {"README.md": "---\nlicense: apache-2.0\n---\n# a permissive model\n"}
NON_COMMERCIAL = {"README.md": "---\nlicense: cc-by-nc-4.0\n---\n# research only\n"}


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, hf_env: Path, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("AUDITOR_", "GITHUB_")) or name in ("NO_COLOR", "HF_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # no pyproject.toml above a tmp dir


@pytest.fixture
def hub(make_hub: MakeHub) -> HubStandIn:
    return make_hub({"org/ok": APACHE, "org/nc": NON_COMMERCIAL})


def hub_args(hub: HubStandIn) -> list[str]:
    return ["--endpoint", hub.url, "--no-cache", "--retries", "0"]


def test_version_short_and_long(cli: CliRunner) -> None:
    for flag in ("-V", "--version"):
        run = cli(flag)
        assert run.code == 0
        assert __version__ in run.out


def test_quiet_keeps_results_and_drops_notes(cli: CliRunner, hub: HubStandIn, tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    loud = cli("scan", "org/ok", "-f", "json", "-o", str(target), *hub_args(hub))
    assert loud.code == 0
    assert f"wrote {target}" in loud.err
    assert "auditor scan: 1 model: 1 approved; 0 failing — passed" in loud.err, "the verdict summary after -o"
    quiet = cli("scan", "-q", "org/ok", "-f", "json", "-o", str(target), *hub_args(hub))
    assert quiet.code == 0
    assert quiet.err == ""
    assert json.loads(target.read_text())["models"][0]["id"] == "org/ok"


def test_color_flag_overrides_the_terminal_and_no_color(
    cli: CliRunner, hub: HubStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "\x1b[" not in cli("scan", "org/ok", *hub_args(hub)).out, "a pipe gets no colour"
    assert "\x1b[" in cli("scan", "--color", "org/ok", *hub_args(hub)).out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" in cli("scan", "--color", "org/ok", *hub_args(hub)).out, "the flag wins over NO_COLOR"
    assert "\x1b[" not in cli("scan", "--no-color", "org/ok", *hub_args(hub)).out


def test_dash_output_is_stdout(cli: CliRunner, hub: HubStandIn, tmp_path: Path) -> None:
    run = cli("scan", "org/ok", "-f", "json", "-o", "-", *hub_args(hub))
    assert run.code == 0
    assert json.loads(run.out)["models"][0]["id"] == "org/ok"
    assert not (Path.cwd() / "-").exists()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text('from_pretrained("org/ok")\n')
    found = cli("discover", str(tmp_path / "src"), "-o", "-")
    assert found.code == 0
    assert "org/ok" in found.out


def test_check_takes_format_and_output_like_scan(cli: CliRunner, hub: HubStandIn, tmp_path: Path) -> None:
    sarif = tmp_path / "a.sarif"
    run = cli("check", "org/nc", "--use", "commercial-product", "-f", "sarif", "-o", str(sarif), *hub_args(hub))
    assert run.code == 1
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert "FAIL  blocked" in run.out, "the concise lines still go to the log"
    old = tmp_path / "b.sarif"
    assert cli("check", "org/nc", "--use", "commercial-product", "--sarif", str(old), *hub_args(hub)).code == 1
    assert json.loads(old.read_text())["version"] == "2.1.0", "--sarif stays as an alias"
    to_stdout = cli("check", "org/ok", "-f", "json", *hub_args(hub))
    assert to_stdout.code == 0
    assert json.loads(to_stdout.out)["models"][0]["id"] == "org/ok", "a format on stdout goes there alone"
    assert "auditor check: 1 model" in to_stdout.err


def test_one_lock_flag_name_with_the_old_one_kept(cli: CliRunner, hub: HubStandIn, tmp_path: Path) -> None:
    lock = tmp_path / "m.lock"
    assert cli("lock", "org/ok", "--lock-file", str(lock), *hub_args(hub)).code == 0
    assert cli("check", "--lock-file", str(lock), *hub_args(hub)).code == 0
    assert cli("check", "--lock", str(lock), *hub_args(hub)).code == 0
    assert cli("lock", "org/ok", "--lock", str(lock), *hub_args(hub)).code == 0
    for command in ("lock", "check"):
        assert "--lock-file, --lock" in cli(command, "--help").out


def test_lock_help_documents_only_its_own_options(cli: CliRunner) -> None:
    text = cli("lock", "--help").out
    assert "--fail-on" not in text
    assert "Exit codes: 0 every model locked" in " ".join(text.split())


def test_a_refused_token_is_said_once(cli: CliRunner, hub: HubStandIn) -> None:
    run = cli("scan", "org/ok", "--token", "hf_not_a_real_token", *hub_args(hub))
    assert run.code == 3
    assert run.err.count("refused the token") == 1, run.err


def test_typos_get_the_nearest_name(cli: CliRunner, hub: HubStandIn) -> None:
    assert "did you mean 'scan'" in cli("scna").err
    assert "Did you mean '--fail-on'" in cli("scan", "--fial-on", "blocked", "org/ok").err
    bad_format = cli("scan", "org/ok", "-f", "jsno", *hub_args(hub))
    assert bad_format.code == 2
    assert "did you mean 'json'" in bad_format.err


# ---------------------------------------------------------------- settings: flags > env > pyproject.toml > defaults


def write_config(root: Path, body: str) -> Path:
    path = root / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n' + body)
    return path


def test_settings_precedence_and_verbose_sources(
    cli: CliRunner, hub: HubStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "deep" / "er").mkdir(parents=True)
    write_config(project, '[tool.auditor]\nuse = "saas"\njobs = 2\n\n[tool.auditor.check]\nfail-on = "blocked"\n')
    monkeypatch.chdir(project / "deep" / "er")  # the nearest pyproject.toml is two levels up
    run = cli("check", "-v", "org/nc", *hub_args(hub))
    assert "setting use = saas  [" in run.err and "pyproject.toml [tool.auditor]]" in run.err
    assert "setting fail-on = blocked" in run.err
    assert "setting retries = 0  [command line]" in run.err
    assert "setting timeout = 20.0  [default]" in run.err
    assert "blocked" in run.out and run.code == 1  # non-commercial is blocked for saas, and fails at blocked
    monkeypatch.setenv("AUDITOR_USE", "internal-research")
    env = cli("check", "-v", "org/nc", *hub_args(hub))
    assert "setting use = internal-research  [environment AUDITOR_USE]" in env.err, "env beats the file"
    flag = cli("check", "-v", "org/nc", "--use", "commercial-product", *hub_args(hub))
    assert "setting use = commercial-product  [command line]" in flag.err, "a flag beats env and file"
    assert "token = (not set)" in flag.err


def test_config_paths_are_relative_to_the_file(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "mirror" / "org" / "ok").mkdir(parents=True)
    (project / "mirror" / "org" / "ok" / "README.md").write_text(APACHE["README.md"])
    write_config(project, '[tool.auditor]\nhub-dir = "mirror"\n')
    monkeypatch.chdir(project / "sub")
    run = cli("scan", "org/ok")
    assert run.code == 0, run.err
    assert "approved" in run.out


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[tool.auditor]\nfial-on = "blocked"\n',
            "pyproject.toml:5: [tool.auditor]: unknown option 'fial-on' (did you mean 'fail-on'?)",
        ),
        ('[tool.auditor.scna]\nuse = "saas"\n', "no command 'scna' (did you mean 'scan'?)"),
        ('[tool.auditor]\ntoken = "hf_x"\n', "'token' cannot be set here"),
        ("[tool.auditor\n", "not valid TOML"),
    ],
)
def test_a_bad_config_is_one_line_with_its_place(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, expected: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    write_config(project, body)
    monkeypatch.chdir(project)
    run = cli("scan", "org/ok")
    assert run.code == 2
    assert expected in run.err
    assert len(run.err.strip().splitlines()) == 1, run.err


def test_an_oversized_config_is_refused_before_reading(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    write_config(project, "# " + "x" * (1024 * 1024 + 10) + "\n")
    monkeypatch.chdir(project)
    run = cli("scan", "org/ok")
    assert run.code == 2
    assert "limit config-bytes" in run.err  # named in auditor/limits.py


def test_the_readme_config_example_loads(tmp_path: Path) -> None:
    import re

    from auditor.cli import cli as group
    from auditor.cli.config import load_config

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = re.search(r"```toml\n(\[tool\.auditor\].*?)```", readme, re.S)
    assert block is not None
    (tmp_path / "pyproject.toml").write_text(block.group(1))
    config = load_config(group, tmp_path)
    assert config is not None
    assert config.default_map["check"]["fail_on"] == "blocked"
    assert config.default_map["scan"]["use"] == "saas"
    assert config.default_map["check"]["policy_path"] == str((tmp_path / "compliance/policy.yaml").resolve())
