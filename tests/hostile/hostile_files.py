"""Hostile inputs as a pull request could commit them: shared by the hostile tests and benchmarks/hostile_bench.py."""

from __future__ import annotations

import os
from pathlib import Path


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A YAML 'billion laughs': `levels` anchors, each a list of `width` aliases of the one before (~350 bytes)."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def deep_yaml(levels: int = 100_000) -> str:
    return "models: " + "[" * levels + "]" * levels + "\n"


def deep_json(levels: int = 100_000) -> str:
    return '{"models": ' + "[" * levels + "]" * levels + "}"


def sparse_file(path: Path, size: int) -> Path:
    """A file that claims `size` bytes without using the disk (a hole): the size check must come first."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
