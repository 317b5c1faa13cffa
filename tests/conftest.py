"""Shared pytest fixtures.

Hub stand-in (see ``tests/hubstandin``): a real HTTP server that the real ``huggingface_hub``
client talks to. ``hub_standin`` serves the researched corpus in ``tests/fixtures/hub`` for the
whole session (do not edit its files; restore faults you set, or use ``make_hub``).
``make_hub`` builds repos in a tmp dir and serves them for one test. ``hf_env`` keeps the
client away from the user's cache, token and telemetry.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR.parent) not in sys.path:  # `pytest` run without `python -m`
    sys.path.insert(0, str(TESTS_DIR.parent))

from tests.hubstandin import HubStandIn, write_repo  # noqa: E402

HUB_FIXTURES = TESTS_DIR / "fixtures" / "hub"

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

MakeHub = Callable[..., HubStandIn]


@pytest.fixture(scope="session")
def hub_standin() -> Iterator[HubStandIn]:
    """The stand-in serving ``tests/fixtures/hub`` (read-only), shared by the session."""
    with HubStandIn(HUB_FIXTURES) as hub:
        yield hub


@pytest.fixture
def hf_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HF_HOME in a tmp dir, telemetry off, no token from the environment. Returns HF_HOME."""
    hf_home = tmp_path / "hf_home"
    hf_home.mkdir()
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_CACHE", str(hf_home / "hub"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    return hf_home


@pytest.fixture
def make_hub(tmp_path: Path) -> Iterator[MakeHub]:
    """Factory: ``make_hub(repos=None, *, copy=(), root=None, **HubStandIn kwargs) -> started HubStandIn``.

    ``copy`` names corpus repos to copy from ``tests/fixtures/hub`` (``"all"`` for every one);
    ``repos`` maps ``"org/name"`` to ``{path: str | bytes | dict}`` files to write (a dict is
    written as JSON, e.g. ``"_hub.json": {"gated": "manual"}``). The served folder is
    ``hub.root``: edit files there during the test. Each call gets its own folder and server;
    all are stopped at teardown.
    """
    started: list[HubStandIn] = []

    def factory(
        repos: Mapping[str, Mapping[str, str | bytes | Mapping[str, Any]]] | None = None,
        *,
        copy: Iterable[str] | str = (),
        root: Path | None = None,
        **kwargs: Any,
    ) -> HubStandIn:
        hub_root = root if root is not None else tmp_path / f"hub{len(started)}"
        hub_root.mkdir(parents=True, exist_ok=True)
        names = [p.relative_to(HUB_FIXTURES).as_posix() for p in HUB_FIXTURES.glob("*/*") if p.is_dir()]
        for repo_id in sorted(names) if copy == "all" else [copy] if isinstance(copy, str) else copy:
            shutil.copytree(HUB_FIXTURES / repo_id, hub_root / repo_id, dirs_exist_ok=True)
        for repo_id, files in (repos or {}).items():
            write_repo(hub_root, repo_id, files)
        hub = HubStandIn(hub_root, **kwargs)
        hub.start()
        started.append(hub)
        return hub

    yield factory
    for hub in started:
        hub.stop()


@dataclass
class CliRun:
    """One in-process run of `auditor`: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def annotations(self) -> list[str]:
        """The GitHub workflow commands (`::error file=…`) among what it printed."""
        return [line for line in self.out.splitlines() if line.startswith("::")]


CliRunner = Callable[..., CliRun]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """`cli("scan", "org/m", ...)` runs the real entry point in-process and returns a `CliRun`."""
    from auditor.cli import main

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        else:
            code = 0
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


def assert_same_lined(a: Any, b: Any, where: str = "") -> None:
    """Equal YAML data as auditor.yamlfile builds it: values, types and the line of every key and item."""
    from auditor.yamlfile import LinedDict, LinedList

    assert type(a) is type(b), where
    if isinstance(a, LinedDict):
        assert (a.line, a.key_lines, list(a)) == (b.line, b.key_lines, list(b)), where
        for key in a:
            assert_same_lined(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, LinedList):
        assert (a.line, a.item_lines, len(a)) == (b.line, b.item_lines, len(b)), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_lined(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and a != a:  # NaN
        assert b != b, where
    else:
        assert a == b, where
