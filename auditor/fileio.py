"""The one way auditor writes a file: reports, lock files, `discover -o`, and its own cache.

What the target is decides how it is written:

- `-` is standard output.
- A regular file, or nothing yet, is written atomically (a temp file in the same folder, then a
  rename), so a reader or a run killed half-way sees the old file or the new one, never half. The
  new file gets the mode the umask gives (0644 under umask 022), as a shell redirect would.
- A character device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written through, never
  replaced by a regular file.
- A symbolic link is never replaced and never written through to a regular file: a link committed
  in a pull request could point at any file the CI runner can write. A link to a device or a FIFO
  (`/dev/stdout` is one) is written through, as a stream.
- A directory, a socket or a block device is refused.

Errors are `OutputFileError` (exit 2) naming the path; the lower-level `write_atomic` raises OSError.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from auditor.errors import OutputFileError

STDOUT = "-"
_NEW_FILE_MODE = 0o666  # the kernel applies the umask, as for any file a shell creates

Payload = bytes | str | Iterable[bytes | str]
"""What is written: text (as UTF-8), bytes, or either in pieces (a report streamed model by model is
never held whole)."""


_SLICE = 1 << 20  # characters encoded at a time: a 60 MB HTML report is not held a second time as bytes


def _pieces(data: Payload) -> Iterator[bytes]:
    for piece in (data,) if isinstance(data, bytes | str) else data:
        if isinstance(piece, bytes):
            yield piece
            continue
        for start in range(0, len(piece), _SLICE):  # slices of code points: no character is cut
            yield piece[start : start + _SLICE].encode("utf-8")


def write_atomic(path: Path, data: Payload, *, mode: int = _NEW_FILE_MODE) -> None:
    """Write `data` to `path` through a temp file in the same folder and os.replace; raises OSError.

    The temp file is created with `mode` less the umask, by default 0666 (mkstemp's 0600 would make
    every report private to its writer); an existing symlink at `path` is replaced by the file, not followed.
    The cache writes a file per model from several threads, and every system call lets another thread
    take the interpreter: text or bytes go out in plain writes (no buffered file object, whose set-up
    costs three more calls), under a temp name that needs no call to the random source.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)

    def create() -> tuple[int, str]:
        try:
            tmp = str(path.parent / f".{path.name}.{_TEMP_PREFIX}{next(_temp_numbers):x}.tmp")
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:  # another process with our prefix (a fork): a name of its own, unguessable
            tmp = str(path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp")
            return os.open(tmp, flags, mode), tmp

    try:
        fd, tmp = create()
    except FileNotFoundError:  # the folder is new; checking first would cost a call on every write
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = create()
    try:
        if isinstance(data, bytes | str):
            try:
                _write_all(fd, data.encode("utf-8") if isinstance(data, str) else data)
            finally:
                os.close(fd)
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.writelines(_pieces(data))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_TEMP_PREFIX = secrets.token_hex(6)
"""Temp names are `.<name>.<this process's random prefix><counter>.tmp`: O_EXCL refuses any name that exists."""
_temp_numbers = itertools.count()


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def _write_stream(path: Path, data: Payload) -> None:
    """A device or FIFO: open for writing (a FIFO waits for its reader, as a shell redirect does)."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "wb") as handle:
        handle.writelines(_pieces(data))


def write_output(target: Path | str, data: Payload) -> None:
    """Write a report, lock file or list to `target` as the module docstring describes."""
    name = str(target)
    if name == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.writelines(_pieces(data))
        sys.stdout.buffer.flush()
        return
    path = Path(target)
    try:
        try:
            link = path.lstat()
        except FileNotFoundError:
            link = None
        if link is not None and stat.S_ISLNK(link.st_mode):
            try:
                followed = path.stat()
            except OSError:
                followed = None
            if followed is None or not (stat.S_ISCHR(followed.st_mode) or stat.S_ISFIFO(followed.st_mode)):
                raise OutputFileError(
                    name,
                    "is a symbolic link; auditor does not write through links to files "
                    "(remove the link, or name the file it points to)",
                )
            _write_stream(path, data)
            return
        if link is not None and (stat.S_ISCHR(link.st_mode) or stat.S_ISFIFO(link.st_mode)):
            _write_stream(path, data)
            return
        if link is not None and not stat.S_ISREG(link.st_mode):
            kind = "a directory" if stat.S_ISDIR(link.st_mode) else "not a regular file"
            raise OutputFileError(name, f"cannot write: {kind}")
        write_atomic(path, data)
    except OSError as exc:
        raise OutputFileError(name, f"cannot write: {exc.strerror or exc}") from None
