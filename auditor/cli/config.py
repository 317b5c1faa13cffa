"""`[tool.auditor]` in the nearest pyproject.toml: project defaults for the command-line options.

Precedence, highest first: flags, environment (AUDITOR_*), this file, the tool's and the policy's
defaults. Click's `default_map` gives exactly that order, and `ctx.get_parameter_source` tells which
one a value came from (shown by `--verbose`).

    [tool.auditor]            # every command that has the option
    policy = "compliance/policy.yaml"
    use = "saas"
    [tool.auditor.check]      # one command only
    fail-on = "blocked"

Keys are the long option names (`fail-on` or `fail_on`); paths are relative to the pyproject.toml.
A key no command knows is an error at its line, with the nearest option suggested. The token is
refused: a secret does not belong in a file that is committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from auditor import limits
from auditor.errors import InputFileError, did_you_mean
from auditor.inputfile import load_toml_bounded

MAX_CONFIG_BYTES = limits.CONFIG_BYTES
FILE_NAME = "pyproject.toml"
_NEVER = {"token", "help", "version"}


@dataclass(frozen=True)
class Config:
    path: Path
    default_map: dict[str, dict[str, Any]]


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start`."""
    for folder in (start, *start.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    """Through the one bounded reader: a pyproject.toml comes with the pull request like any input."""
    data = load_toml_bounded(path, MAX_CONFIG_BYTES, "configuration")
    if not isinstance(data, dict):  # pragma: no cover - TOML documents are tables
        raise InputFileError(str(path), None, "not a TOML table")
    return data


def _line_of(path: Path, key: str) -> int | None:
    """Where `key` is written (TOML parsers keep no lines; the first assignment of the key is close enough)."""
    try:
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if text.strip().startswith((f"{key} ", f"{key}=", f'"{key}"')):
                return number
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _options(command: click.Command) -> dict[str, click.Option]:
    """The command's options by config key: long names without dashes, `-` and `_` both accepted."""
    out: dict[str, click.Option] = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        for flag in (*param.opts, *param.secondary_opts):
            if flag.startswith("--"):
                key = flag[2:]
                if key.startswith("no-") and param.is_flag and flag in param.secondary_opts:
                    continue
                out[key] = param
                out[key.replace("-", "_")] = param
    return out


def _value(param: click.Option, value: Any, base: Path, where: str) -> Any:
    """A config value as click would take it from the command line, paths made relative to the file."""
    if isinstance(param.type, click.Path):
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise click.BadParameter(f"{where}: expected a path")
        joined = [str((base / v).resolve()) if v != "-" else v for v in values]
        return joined if param.multiple else joined[0]
    if param.multiple and isinstance(value, str):
        return [value]
    if isinstance(value, list) and not param.multiple:  # a list of formats, for example
        return ",".join(str(v) for v in value)
    return value


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """Every subcommand of `group`, those it imports only when asked for included (cli/__init__.py)."""
    ctx = click.Context(group)
    return {name: command for name in group.list_commands(ctx) if (command := group.get_command(ctx, name))}


def load_config(group: click.Group, start: Path) -> Config | None:
    """`[tool.auditor]` of the nearest pyproject.toml as click default maps, or None when there is none."""
    path = find_pyproject(start)
    if path is None:
        return None
    tool = _read_toml(path).get("tool", {})
    section = tool.get("auditor") if isinstance(tool, dict) else None
    if section is None:
        return None
    if not isinstance(section, dict):
        raise InputFileError(str(path), _line_of(path, "auditor"), "[tool.auditor] must be a table")
    commands = {name: cmd for name, cmd in subcommands(group).items() if not isinstance(cmd, click.Group)}
    shared = {k: v for k, v in section.items() if not (isinstance(v, dict) and k in commands)}
    known = {key for cmd in commands.values() for key in _options(cmd)}
    for key in shared:
        if isinstance(shared[key], dict):
            hint = did_you_mean(key, list(commands))
            raise InputFileError(str(path), _line_of(path, f"[tool.auditor.{key}"), f"no command {key!r}{hint}")
        _check_key(path, key, known, "[tool.auditor]")
    default_map: dict[str, dict[str, Any]] = {}
    for name, cmd in commands.items():
        options = _options(cmd)
        table = section.get(name)
        own: dict[str, Any] = table if isinstance(table, dict) else {}
        for key in own:
            _check_key(path, key, set(options), f"[tool.auditor.{name}]")
        values: dict[str, Any] = {}
        for key, value in [*shared.items(), *own.items()]:
            param = options.get(key)
            if param is None or param.name is None:
                continue  # a shared key for another command
            try:
                values[param.name] = _value(param, value, path.parent, key)
            except click.BadParameter as exc:
                raise InputFileError(str(path), _line_of(path, key), str(exc.message)) from None
        if values:
            default_map[name] = values
    return Config(path, default_map)


def _check_key(path: Path, key: str, known: set[str], table: str) -> None:
    if key.replace("_", "-") in _NEVER:
        raise InputFileError(
            str(path), _line_of(path, key), f"{table}: {key!r} cannot be set here (a token is a secret: use HF_TOKEN)"
        )
    if key not in known:
        hint = did_you_mean(key, sorted(k for k in known if "_" not in k))
        raise InputFileError(str(path), _line_of(path, key), f"{table}: unknown option {key!r}{hint}")


def describe_source(ctx: click.Context, name: str, config: Config | None, env: Mapping[str, str]) -> str:
    """Where the value of option `name` came from, for `--verbose`."""
    source = ctx.get_parameter_source(name)
    if source is click.core.ParameterSource.COMMANDLINE:
        return "command line"
    if source is click.core.ParameterSource.ENVIRONMENT:
        param = next((p for p in ctx.command.params if p.name == name), None)
        names = param.envvar if param is not None else None
        envvars = [names] if isinstance(names, str) else list(names or [])
        used = next((e for e in envvars if e in env), None)
        return f"environment {used}" if used else "environment"
    if source is click.core.ParameterSource.DEFAULT_MAP:
        return f"{config.path} [tool.auditor]" if config is not None else "configuration"
    return "default"
