"""Walking the tree: which files are read, as what, within which limits."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from auditor.errors import InputFileError
from auditor.inputfile import limit_note, read_bytes_bounded
from auditor.sources.discover.configs import scan_json, scan_toml, scan_yaml
from auditor.sources.discover.model import Discovery, Reference
from auditor.sources.discover.notebook import scan_notebook
from auditor.sources.discover.python import scan_python
from auditor.sources.discover.shell import scan_shell
from auditor.sources.discover.sink import Context, Sink
from auditor.sources.discover.vocabulary import (
    MAX_CODE_BYTES,
    MAX_NOTEBOOK_BYTES,
    PYTHON_SUFFIXES,
    SHELL_NAMES,
    SHELL_SUFFIXES,
    SKIP_DIRS,
)


def discover(paths: Sequence[Path | str], *, exclude: Sequence[str] = (), cwd: Path | None = None) -> Discovery:
    """Scan files and directories (recursively) for model references.

    Directories skip `.git`, hidden directories, `node_modules` and virtualenvs; paths given explicitly
    are always read. `exclude` holds glob patterns matched against paths relative to each scanned root
    and against base names.
    """
    base = Path(cwd) if cwd is not None else Path.cwd()
    roots = []
    for raw in paths:
        path = Path(raw)
        if not path.is_absolute():
            path = base / path
        if not path.exists():
            raise InputFileError(str(raw), None, "no such file or directory")
        roots.append(path)
    context = Context(cwd=base, roots=tuple(r if r.is_dir() else r.parent for r in roots))
    seen: set[str] = set()
    for root in roots:
        for file, kind in _iter_files(root, exclude):
            key = os.path.abspath(file)
            if key in seen:
                continue
            seen.add(key)
            before = len(context.references), len(context.unresolved)
            _scan_file(file, kind, context)
            # within a file, report in line order whatever the scanning order (notebook shell cells come last)
            context.references[before[0] :] = sorted(context.references[before[0] :], key=_line_key)
            context.unresolved[before[1] :] = sorted(context.unresolved[before[1] :], key=_line_key)
    return Discovery(
        references=tuple(context.references),
        unresolved=tuple(context.unresolved),
        warnings=tuple(context.warnings),
        files_scanned=context.files,
    )


def _line_key(ref: Reference) -> int:
    return ref.origin.line or 0


def _excluded(relative: str, name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def _iter_files(root: Path, exclude: Sequence[str]) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        kind = _file_kind(root)
        if kind is not None:
            yield root, kind
        return
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        kept = []
        for name in sorted(dirnames):
            sub = here / name
            relative = sub.relative_to(root).as_posix()
            if name.startswith(".") or name in SKIP_DIRS or _excluded(relative, name, exclude):
                continue
            if (sub / "pyvenv.cfg").exists() or (sub / "conda-meta").is_dir():
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            file = here / name
            if _excluded(file.relative_to(root).as_posix(), name, exclude) or file.is_symlink():
                continue
            kind = _file_kind(file)
            if kind is not None:
                yield file, kind


def _file_kind(path: Path) -> str | None:
    name = path.name.lower()
    suffix = path.suffix.lower()
    if suffix in PYTHON_SUFFIXES:
        return "python"
    if suffix == ".ipynb":
        return "notebook"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".toml":
        return "toml"
    if suffix in SHELL_SUFFIXES or name in SHELL_NAMES or name.startswith(("dockerfile.", "containerfile.")):
        return "shell"
    if not suffix:
        try:
            with path.open("rb") as handle:
                first = handle.readline(200)
        except OSError:
            return None
        if first.startswith(b"#!"):
            if b"python" in first:
                return "python"
            if re.search(rb"\b(?:ba|z|k|da)?sh\b", first):
                return "shell"
    return None


def _read_text(path: Path, limit: int, context: Context, *, warn_size: bool = True) -> str | None:
    shown = context.display(path)
    try:
        size = path.stat().st_size
        if size > limit:
            if warn_size:
                mib = limit // (1024 * 1024)
                context.warnings.append(f"{shown}: skipped, larger than {mib} MiB ({limit_note(limit)})")
            return None
        data = read_bytes_bounded(path, limit)  # and still a regular file of at most `limit` when read
    except OSError as exc:
        context.warnings.append(f"{shown}: cannot read: {exc.strerror or exc}")
        return None
    except InputFileError as exc:
        context.warnings.append(f"{shown}: skipped: {exc.message}")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        context.warnings.append(f"{shown}: skipped, not UTF-8 text")
        return None


def _scan_file(path: Path, kind: str, context: Context) -> None:
    limit = MAX_NOTEBOOK_BYTES if kind == "notebook" else MAX_CODE_BYTES
    # a big JSON or YAML file is data (a vocabulary, a dataset), not configuration: skipped without a word
    text = _read_text(path, limit, context, warn_size=kind not in ("json", "yaml", "toml"))
    if text is None:
        return
    context.files += 1
    shown = context.display(path)
    sink = Sink(context, shown, path.parent)
    if kind == "python":
        scan_python(text, sink)
    elif kind == "notebook":
        scan_notebook(text, sink)
    elif kind == "yaml":
        scan_yaml(text, sink)
    elif kind == "json":
        scan_json(text, sink)
    elif kind == "toml":
        scan_toml(text, sink)
    else:
        scan_shell(text, sink, make_vars=path.suffix.lower() == ".mk" or "makefile" in path.name.lower())
