"""The shape of the code: modules stay small, the CLI stays thin, and only the CLI prints or exits."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "auditor"
MAX_LINES = 620  # "about 600"


def test_no_module_over_about_600_lines() -> None:
    big = {
        path.relative_to(PACKAGE).as_posix(): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not big, big


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                names.add(f"{func.value.id}.{func.attr}")
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def test_only_the_cli_prints_or_exits() -> None:
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("cli/") or relative == "__main__.py":
            continue
        calls = _calls(path)
        assert not calls & {"print", "sys.exit", "click.echo"}, (relative, calls & {"print", "sys.exit", "click.echo"})


def test_the_cli_opens_no_hub_source_and_gathers_no_models_itself() -> None:
    for path in (PACKAGE / "cli").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for forbidden in (
            "open_source",
            "ThreadPoolExecutor",
            "read_refs_file",
            "refs_from_args",
            "check_lock",
            "run_audit",
        ):
            assert forbidden not in text, (path.name, forbidden)


def test_one_module_per_subcommand() -> None:
    from auditor.cli import cli
    from auditor.cli.config import subcommands

    commands = subcommands(cli)
    assert set(commands) == {"check", "discover", "explain", "licenses", "lock", "policy", "providers", "scan"}
    for name, command in commands.items():
        module = command.callback.__module__ if command.callback else ""
        assert module.startswith("auditor.cli."), (name, module)
    assert {p.stem for p in (PACKAGE / "cli").glob("*.py")} >= {"scan", "check", "lock", "explain", "discover"}


def test_exit_codes_are_decided_in_one_place() -> None:
    """The CLI passes results to the app's exit-code functions; it holds no verdict comparison of its own.
    (The entry point in cli/__init__.py maps process-level events: Ctrl-C, a closed pipe, a crash.)"""
    for path in (PACKAGE / "cli").glob("*.py"):
        if path.name == "__init__.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "at_least(" not in text, path.name
        assert "EXIT_FINDINGS" not in text and "EXIT_OK)" not in text, path.name


def test_the_cli_starts_without_the_heavy_libraries() -> None:
    """`auditor --help` or `-V` must not pay for huggingface_hub, Jinja or the renderers (start-up time)."""
    import subprocess
    import sys

    probe = (
        "import sys, auditor.cli; "
        "print(','.join(m for m in ('huggingface_hub', 'jinja2', 'auditor.report', 'auditor.licenses', "
        "'auditor.hub') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
