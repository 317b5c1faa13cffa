"""The one way auditor reads a file a person or a pull request wrote: bounded, and never stuck.

Policy, inventory, model list, lock file, the `--diff` report and the configuration file all come
through here. In CI these files come from pull requests, so a file may be huge, may be `/dev/zero`,
may be a FIFO nobody writes to, or may nest a million levels deep. Each is checked before it is
read: the size from `fstat`, then a read of at most the limit; non-regular files are refused (they
have no size to check, and a FIFO would block the run); `-` reads standard input, with the same cap.

Every failure is an `InputFileError` (exit 2) naming the file, and the line when there is one.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from auditor import limits
from auditor.errors import InputFileError

STDIN = "-"
# POSIX flags where the platform has them (Windows has no FIFOs to guard against, nor these flags).
_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def display_name(path: Path | str) -> str:
    """How messages name an input: its path, or `<stdin>` for `-`."""
    return "<stdin>" if str(path) == STDIN else str(path)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def limit_note(limit: int) -> str:
    """`limit NAME = VALUE UNIT` for a named limit; a bare number for a caller's own."""
    return limit.note if isinstance(limit, limits.Limit) else f"limit {int(limit)}"


def _too_large(name: str, limit: int) -> InputFileError:
    return InputFileError(name, None, f"file is larger than {int(limit)} bytes ({limit_note(limit)})")


def read_bytes_bounded(path: Path | str, limit: int = limits.INPUT_FILE_BYTES, what: str = "file") -> bytes:
    """The bytes of a regular file (or of stdin for `-`), refusing anything larger than `limit`."""
    name = str(path)
    if name == STDIN:
        data = _read_at_most(sys.stdin.buffer.fileno(), limit) if _has_fileno() else sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise _too_large("<stdin>", limit)
        return data
    try:
        fd, info = open_regular(name)
    except OSError as exc:
        raise InputFileError(name, None, f"cannot read {what}: {exc.strerror or exc}") from None
    try:
        if info.st_size > limit:
            raise _too_large(name, limit)
        data = _read_at_most(fd, limit)
    except OSError as exc:
        raise InputFileError(name, None, f"cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # the file grew between fstat and read
        raise _too_large(name, limit)
    return data


def open_regular(path: Path | str, *, follow_links: bool = True) -> tuple[int, os.stat_result]:
    """A descriptor of a regular file and its `fstat`, or OSError naming what the path is instead.

    O_NONBLOCK: opening a FIFO with no writer must not wait (the fstat then refuses it); without
    `follow_links` the last component is opened O_NOFOLLOW, so a link is refused, not followed.
    """
    flags = os.O_RDONLY | _OPEN_FLAGS | (0 if follow_links else getattr(os, "O_NOFOLLOW", 0))
    fd = os.open(path, flags)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise OSError(f"{_kind(info.st_mode)}, not a regular file")
    return fd, info


def read_head(path: Path | str, cap: int, *, follow_links: bool = True) -> tuple[bytes, int, bool]:
    """At most `cap` bytes of a regular file, its size, and whether it was cut; raises OSError.

    For files whose head is enough (a card, a license text), where a cut file is a finding, not an error.
    """
    fd, info = open_regular(path, follow_links=follow_links)
    try:
        head = _read_at_most(fd, cap)
    finally:
        os.close(fd)
    return head[:cap], info.st_size, len(head) > cap


def _has_fileno() -> bool:
    try:
        sys.stdin.buffer.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (a leading BOM dropped), or an input error naming the file."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputFileError(name, None, f"not UTF-8 text ({exc.reason})") from None


def read_text_bounded(path: Path | str, limit: int = limits.INPUT_FILE_BYTES, what: str = "file") -> str:
    """A UTF-8 text file read through `read_bytes_bounded`."""
    return decode_text(read_bytes_bounded(path, limit, what), display_name(path))


# ---------------------------------------------------------------- JSON


def _depth_exceeded(value: Any, depth_limit: int) -> bool:
    """Is `value` nested deeper than `depth_limit`? Iterative, so it cannot itself overflow the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > depth_limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json_bounded(text: str, name: str, depth: int = limits.JSON_DEPTH) -> Any:
    """JSON with a depth limit; an error names the line where the parser stopped."""
    too_deep = f"nested deeper than {int(depth)} levels ({limit_note(depth)})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(name, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:  # the C parser gives up near 1000 levels; far past the limit either way
        raise InputFileError(name, None, too_deep) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InputFileError(name, None, f"not valid JSON: {exc}") from None
    if _depth_exceeded(data, depth):
        raise InputFileError(name, None, too_deep)
    return data


def load_json_bounded(path: Path | str, limit: int = limits.INPUT_FILE_BYTES, what: str = "JSON file") -> Any:
    """A JSON file a person wrote, read bounded and parsed with a depth limit."""
    name = display_name(path)
    return parse_json_bounded(read_text_bounded(path, limit, what), name)


# ---------------------------------------------------------------- TOML (pyproject.toml's [tool.auditor])


def load_toml_bounded(path: Path | str, limit: int = limits.INPUT_FILE_BYTES, what: str = "TOML file") -> Any:
    """A TOML file read bounded; nesting past the stack is an input error, not a crash."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10: the backport, when installed
        try:
            import tomli as tomllib
        except ImportError:
            raise InputFileError(str(path), None, "reading TOML on Python 3.10 needs the tomli package") from None
    name = display_name(path)
    text = read_text_bounded(path, limit, what)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise InputFileError(name, None, f"nested too deeply ({limits.JSON_DEPTH.note})") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError says "(at line N, column M)"
        raise InputFileError(name, _toml_line(str(exc)), f"not valid TOML: {exc}") from None
    if _depth_exceeded(data, limits.JSON_DEPTH):
        raise InputFileError(
            name, None, f"nested deeper than {int(limits.JSON_DEPTH)} levels ({limits.JSON_DEPTH.note})"
        )
    return data


def _toml_line(message: str) -> int | None:
    import re

    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else None
