"""Shell scripts, Dockerfiles and Makefiles: `hf download`, `huggingface-cli download`, `git clone` of Hub repos."""

from __future__ import annotations

import os
import re
import shlex

from auditor.sources.discover.sink import Sink, short_expression
from auditor.sources.discover.vocabulary import (
    GIT_CLONE_OPTIONS,
    HF_DOWNLOAD_OPTIONS,
    HF_URL_RE,
    MAKE_VAR_RE,
    MAX_RESOLVE_DEPTH,
    SHELL_ASSIGN_RE,
    SHELL_STOP,
    SHELL_VAR_RE,
)


def _logical_lines(text: str) -> list[tuple[str, int]]:
    """Lines with backslash continuations joined, each with the number of its first physical line."""
    result: list[tuple[str, int]] = []
    buffer: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        if line.rstrip().endswith("\\"):
            buffer.append(line.rstrip()[:-1])
            continue
        buffer.append(line)
        result.append((" ".join(buffer), start))
        buffer = []
    if buffer:
        result.append((" ".join(buffer), start))
    return result


def _shell_variables(lines: list[tuple[str, int]], make_vars: bool) -> dict[str, str | None]:
    """Top-level `NAME=value` (and ARG/ENV, Make's `:=` `?=`); a name assigned twice differently is unknown."""
    variables: dict[str, str | None] = {}
    for line, _ in lines:
        if make_vars:
            line = MAKE_VAR_RE.sub(r"${\1}", line)
        match = SHELL_ASSIGN_RE.match(line)
        if not match or line.startswith("\t"):
            continue
        name, raw = match.group(1), match.group(2).strip()
        try:
            words = shlex.split(raw, comments=True)
        except ValueError:
            continue
        value = words[0] if len(words) == 1 else None
        if name in variables and variables[name] != value:
            value = None
        variables[name] = value
    return variables


def _expand(token: str, variables: dict[str, str | None], depth: int = 0) -> str | None:
    """Substitute known variables; None when any is unknown."""
    if "$" not in token:
        return token
    if depth > MAX_RESOLVE_DEPTH:
        return None
    unknown = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unknown
        value = variables.get(match.group(1) or match.group(2))
        if value is None:
            unknown = True
            return ""
        return value

    expanded = SHELL_VAR_RE.sub(substitute, token)
    if unknown or ("$" in expanded and expanded == token):
        return None
    return _expand(expanded, variables, depth + 1)


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return line.split()


def scan_shell(text: str, sink: Sink, *, make_vars: bool) -> None:
    sink.lines = text.splitlines()
    lines = _logical_lines(text)
    if make_vars:
        lines = [(MAKE_VAR_RE.sub(r"${\1}", line), number) for line, number in lines]
    scan_shell_lines(lines, sink, _shell_variables(lines, make_vars=False))


def scan_shell_lines(lines: list[tuple[str, int]], sink: Sink, variables: dict[str, str | None]) -> None:
    for line, number in lines:
        if ("download" not in line and "clone" not in line) or sink.ignored(number):
            continue
        tokens = _tokens(MAKE_VAR_RE.sub(r"${\1}", line))
        for index, token in enumerate(tokens):
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if os.path.basename(token) in ("huggingface-cli", "hf") and following == "download":
                _hf_download(tokens[index + 2 :], line, number, sink, variables)
            elif os.path.basename(token) == "git" and following == "clone":
                _git_clone(tokens[index + 2 :], number, sink)


def _physical_line(sink: Sink, number: int, needle: str) -> int:
    """The physical line, within a backslash-continued command starting at `number`, that holds `needle`."""
    index = number - 1
    while 0 <= index < len(sink.lines):
        if needle in sink.lines[index]:
            return index + 1
        if not sink.lines[index].rstrip().endswith("\\"):
            break
        index += 1
    return number


def _hf_download(args: list[str], line: str, number: int, sink: Sink, variables: dict[str, str | None]) -> None:
    positional: list[str] = []
    options: dict[str, str] = {}
    waiting: str | None = None
    for arg in args:
        if arg in SHELL_STOP:
            break
        if waiting is not None:
            options[waiting] = arg
            waiting = None
        elif arg.startswith("--"):
            name, sep, value = arg.partition("=")
            if sep:
                options[name] = value
            elif name in HF_DOWNLOAD_OPTIONS:
                waiting = name
        elif arg.startswith("-") and len(arg) > 1:
            continue
        else:
            positional.append(arg)
    if not positional or options.get("--repo-type", "model") != "model":
        return
    via = "hf download"
    number = _physical_line(sink, number, positional[0])
    if sink.ignored(number):
        return
    expanded = _expand(positional[0], variables)
    revision = _expand(options["--revision"], variables) if "--revision" in options else None
    if expanded is None:
        sink.found(number, via, expression=short_expression(line.strip()))
        return
    repo_id = sink.classify(expanded, allow_bare=True)
    if repo_id is not None:
        sink.found(number, via, repo_id=repo_id, revision=revision)


def _git_clone(args: list[str], number: int, sink: Sink) -> None:
    skip_next = False
    branch: str | None = None
    for position, arg in enumerate(args):
        if arg in SHELL_STOP:
            return
        if skip_next:
            skip_next = False
            continue
        if arg in GIT_CLONE_OPTIONS:
            skip_next = True
            if arg in ("-b", "--branch") and position + 1 < len(args):
                branch = args[position + 1]
            continue
        if arg.startswith("-"):
            if arg.startswith("--branch="):
                branch = arg.split("=", 1)[1]
            continue
        match = HF_URL_RE.match(arg)
        repo_id = sink.classify(match.group(1), allow_bare=False) if match else None
        number = _physical_line(sink, number, arg)
        if repo_id is not None and not sink.ignored(number):
            sink.found(number, "git clone", repo_id=repo_id, revision=branch)
        return
