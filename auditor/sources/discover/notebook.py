"""Notebooks: code cells scanned as Python with their lines mapped back to the cell, shell cells as shell."""

from __future__ import annotations

import ast
import bisect
import functools
import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable

from auditor.sources.discover.python import PythonScanner
from auditor.sources.discover.shell import scan_shell_lines
from auditor.sources.discover.sink import Sink
from auditor.sources.discover.vocabulary import MODEL_CALL_RE


class PosStr(str):
    """A JSON string that remembers the offset of its opening quote, to give notebook cells file lines."""

    pos: int


class PositionDecoder(json.JSONDecoder):
    def __init__(self) -> None:
        super().__init__()
        scanstring = json.decoder.scanstring  # type: ignore[attr-defined]

        def parse_string(text: str, end: int, strict: bool) -> tuple[str, int]:
            value, new_end = scanstring(text, end, strict)
            marked = PosStr(value)
            marked.pos = end - 1
            return marked, new_end

        self.parse_string = parse_string
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


class LineIndex:
    """Offset -> 1-based line, for texts parsed without line tracking."""

    def __init__(self, text: str) -> None:
        self.starts = [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) + 1


_CELL_MAGIC_PYTHON = frozenset({"%%capture", "%%time", "%%timeit", "%%prun", "%%debug"})
_CELL_MAGIC_SHELL = frozenset({"%%bash", "%%sh", "%%script"})


def scan_notebook(text: str, sink: Sink) -> None:
    try:
        data = PositionDecoder().decode(text)
    except (ValueError, RecursionError) as exc:
        sink.warn(0, f"not scanned, invalid notebook JSON: {exc}")
        return
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        sink.warn(0, "not scanned, not an nbformat 4 notebook (no 'cells' list)")
        return
    lines_of = LineIndex(text)
    python: list[str] = []  # every code cell joined, so names defined in one cell resolve in the next
    mapping: list[tuple[int, int, int]] = []  # joined line -> (file line, cell number, line in cell)
    shell: list[tuple[str, int, int, int]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        cell_lines = _cell_lines(cell.get("source"), lines_of)
        first = cell_lines[0][0].strip() if cell_lines else ""
        magic = first.split()[0] if first.startswith("%%") else None
        if magic is not None and magic not in _CELL_MAGIC_PYTHON:
            if magic in _CELL_MAGIC_SHELL:
                for index, (line, file_line) in enumerate(cell_lines[1:], start=2):
                    shell.append((line, file_line, number, index))
            continue
        for index, (line, file_line) in enumerate(cell_lines, start=1):
            stripped = line.lstrip()
            indent = line[: len(line) - len(stripped)]
            if (index == 1 and magic is not None) or stripped.startswith(("%", "?")) or stripped.endswith("?"):
                line = indent + "pass" if stripped else line
            elif stripped.startswith("!"):
                shell.append((stripped[1:], file_line, number, index))
                line = indent + "pass"
            elif re.match(r"^[A-Za-z_][\w, ]*=\s*[!%]", stripped):
                line = indent + "pass"
            python.append(line)
            mapping.append((file_line, number, index))
        python.append("")
        mapping.append((0, number, len(cell_lines) + 1))

    def line_map(joined: int) -> tuple[int, str | None]:
        if 1 <= joined <= len(mapping):
            file_line, cell, in_cell = mapping[joined - 1]
            return file_line, f"cell {cell}:line {in_cell}"
        return 0, None

    sink.lines = python
    sink.line_map = line_map
    source = "\n".join(python)
    tree = None
    if MODEL_CALL_RE.search(source):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # MemoryError: the parser's own depth limit
            _scan_cells_separately(python, mapping, sink)
    if tree is not None:
        try:
            PythonScanner(tree, source, sink).run()
        except RecursionError:
            sink.warn(0, "not scanned completely: nested too deeply")
    for line, file_line, cell, in_cell in shell:
        shell_sink = Sink(sink.context, sink.path, sink.directory)
        shell_sink.lines = [line]
        shell_sink.line_map = functools.partial(_fixed_position, file_line, f"cell {cell}:line {in_cell}")
        scan_shell_lines([(line, 1)], shell_sink, {})


def _fixed_position(file_line: int, label: str, _line: int) -> tuple[int, str | None]:
    return file_line, label


def _shifted(line_map: Callable[[int], tuple[int, str | None]], offset: int, line: int) -> tuple[int, str | None]:
    return line_map(line + offset)


def _cell_lines(source: object, lines_of: LineIndex) -> list[tuple[str, int]]:
    """A cell's source lines, each with the file line it is written on.

    nbformat stores the source as one string or as a list of strings joined with "" (usually one line
    each); each string remembers its offset in the file, so a line maps to the string it starts in.
    """
    pieces = [source] if isinstance(source, str) else source if isinstance(source, list) else []
    joined = ""
    starts: list[int] = []
    file_lines: list[int] = []
    for piece in pieces:
        if not isinstance(piece, str):
            continue
        starts.append(len(joined))
        file_lines.append(lines_of.line_of(piece.pos) if isinstance(piece, PosStr) else 0)
        joined += piece
    result = []
    offset = 0
    for line in joined.split("\n"):
        index = bisect.bisect_right(starts, offset) - 1
        result.append((line, file_lines[index] if index >= 0 else 0))
        offset += len(line) + 1
    if joined.endswith("\n"):
        result.pop()
    return result


def _scan_cells_separately(python: list[str], mapping: list[tuple[int, int, int]], sink: Sink) -> None:
    """A cell that does not parse (e.g. an unknown magic) must not hide the models in the others."""
    start = 0
    while start < len(mapping):
        cell = mapping[start][1]
        end = start
        while end < len(mapping) and mapping[end][1] == cell:
            end += 1
        source = "\n".join(python[start:end])
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            sink.warn(start + (exc.lineno or 1), f"cell not scanned, Python syntax error: {exc.msg}")
        except (ValueError, RecursionError, MemoryError):
            sink.warn(start + 1, "cell not scanned: nested too deeply for the Python parser")
        else:
            offset = start
            cell_sink = Sink(sink.context, sink.path, sink.directory)
            cell_sink.lines = python[start:end]
            cell_sink.line_map = functools.partial(_shifted, sink.line_map, offset)
            try:
                PythonScanner(tree, source, cell_sink).run()
            except RecursionError:
                sink.warn(start + 1, "cell not scanned completely: nested too deeply")
        start = end
