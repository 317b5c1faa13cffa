"""Find the Hub models a code base uses, with file and line, without running the code.

Teams rarely keep a list of their models: the code is the list. Discovery reads Python (through `ast`, so
comments, docstrings and unrelated strings never match), notebooks, YAML/JSON/TOML configs and shell
scripts, Dockerfiles and Makefiles. A reference whose model id is computed at run time (an argument, an
environment variable, an f-string over unknown parts) is kept as *unresolved* with its location and
expression, never dropped: a model CI cannot see is a model CI cannot gate.

A line containing `auditor: ignore` (in a comment) is skipped, for the rare true false positive.
"""

from __future__ import annotations

import ast
import bisect
import fnmatch
import functools
import json
import json.decoder
import json.scanner
import os
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import InputFileError
from auditor.models import ModelRef, Origin
from auditor.sources.refs import id_problem

IGNORE_MARKER = "auditor: ignore"
MAX_CODE_BYTES = 2 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024  # notebooks carry their outputs, images included
MAX_CANDIDATES = 16  # values one expression may resolve to (IfExp, loops over literals)
MAX_EXPRESSION = 160
MAX_RESOLVE_DEPTH = 8
MAX_NOTE_LOCATIONS = 5

# Directories that hold other people's code or tool state, never the project's own model use.
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "virtualenv"})

_PYTHON_SUFFIXES = frozenset({".py", ".pyw"})
_SHELL_SUFFIXES = frozenset({".sh", ".bash", ".zsh", ".ksh", ".mk", ".dockerfile", ".containerfile"})
_SHELL_NAMES = frozenset({"dockerfile", "containerfile", "makefile", "gnumakefile"})

# Config keys whose value names a model that is used (not produced: `hub_model_id` is a push target).
_CONFIG_KEYS = frozenset(
    {
        "model",
        "model_name",
        "model_id",
        "model_name_or_path",
        "pretrained_model_name_or_path",
        "base_model",
        "base_model_name_or_path",
        "repo_id",
        "_name_or_path",
        "tokenizer_name",
        "tokenizer_name_or_path",
    }
)
_CONFIG_SUFFIXES = ("_model", "_model_id", "_model_name", "_model_name_or_path")
_CONFIG_EXCLUDED = frozenset({"hub_model_id", "push_to_hub_model_id", "output_model", "served_model_name"})

# Names of calls (the last dotted part) whose result is a local path: never a Hub id.
_PATH_CALLS = frozenset(
    {
        "join",
        "abspath",
        "expanduser",
        "expandvars",
        "realpath",
        "normpath",
        "dirname",
        "joinpath",
        "resolve",
        "absolute",
        "Path",
        "PurePath",
        "PosixPath",
        "WindowsPath",
        "mkdtemp",
        "gettempdir",
        "TemporaryDirectory",
        "cwd",
        "home",
    }
)
_ENV_CALLS = frozenset({"getenv", "get"})  # os.getenv(NAME, default), os.environ.get(NAME, default)
_FILE_EXTENSIONS = frozenset(
    {
        "json", "bin", "safetensors", "pt", "pth", "ckpt", "onnx", "txt", "yaml", "yml", "py", "gguf", "h5",
        "msgpack", "csv", "md", "toml", "model", "tflite", "pb", "pkl", "npz", "npy", "tar", "gz", "zip",
        "tgz", "jsonl", "parquet", "ipynb", "sh", "cfg", "ini", "xml", "html", "png", "jpg", "wav",
    }
)  # fmt: skip
_INTERPOLATION_RE = re.compile(r"\$\{|\{\{|^\$[A-Za-z_]|%\(")
_HF_URL_RE = re.compile(r"^https?://(?:huggingface\.co|hf\.co)/(?!datasets/|spaces/)([^/\s]+/[^/\s]+?)(?:\.git)?/?$")
_MAKE_VAR_RE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_SHELL_ASSIGN_RE = re.compile(
    r"^\s*(?:export\s+|readonly\s+|ARG\s+|ENV\s+|declare\s+(?:-\w+\s+)*)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|\?=|=)\s*(.*)$"
)
_SHELL_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_SHELL_STOP = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "|&"})
_HF_DOWNLOAD_OPTIONS = frozenset(
    {"--repo-type", "--revision", "--include", "--exclude", "--local-dir", "--cache-dir", "--token", "--max-workers",
     "--local-dir-use-symlinks", "--format", "--etag-timeout"}
)  # fmt: skip
_GIT_CLONE_OPTIONS = frozenset(
    {"--depth", "-b", "--branch", "-c", "--config", "--origin", "-o", "--jobs", "-j", "--reference",
     "--separate-git-dir", "--template", "--shallow-since", "--shallow-exclude", "--filter", "-u", "--upload-pack"}
)  # fmt: skip
_MODEL_CALL_RE = re.compile(
    r"from_pretrained|pipeline|hf_hub_download|snapshot_download|SentenceTransformer|CrossEncoder|SparseEncoder"
    r"|create_model"
)
_TOML_LINE_RE = re.compile(r"""^\s*(?:[A-Za-z0-9_.-]+\.)?["']?([A-Za-z0-9_-]+)["']?\s*=\s*(.+)$""")
_TOML_INLINE_RE = re.compile(r"""[{,]\s*["']?([A-Za-z0-9_-]+)["']?\s*=\s*(["'][^"']*["'])""")
_QUOTED_RE = re.compile(r"""(["'])((?:(?!\1).)*)\1""")


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Reference:
    """One place a model is named. `repo_id` is None when the id is computed at run time (unresolved)."""

    origin: Origin  # the path as shown to people (relative to the working directory) and the file's line
    via: str  # how it was found: `AutoModel.from_pretrained`, `config key 'base_model'`, `hf download`…
    repo_id: str | None = None
    revision: str | None = None
    expression: str | None = None  # the source text, for unresolved references
    label: str | None = None  # a finer position where the file line is not how people count: `cell 3:line 2`

    @property
    def resolved(self) -> bool:
        return self.repo_id is not None

    @property
    def where(self) -> str:
        return f"{self.origin.path}:{self.label}" if self.label else str(self.origin)

    @property
    def ref_text(self) -> str:
        if self.repo_id is None:
            return "?"
        return self.repo_id if self.revision is None else f"{self.repo_id}@{self.revision}"


@dataclass(frozen=True)
class Discovery:
    """Everything found under the scanned paths, in file and line order."""

    references: tuple[Reference, ...] = ()
    unresolved: tuple[Reference, ...] = ()
    warnings: tuple[str, ...] = ()  # files that could not be read or parsed, revisions not resolved
    files_scanned: int = 0

    def models(self) -> list[tuple[str, str | None, list[Reference]]]:
        """Distinct (repo_id, revision) pairs with every place each is named, in first-seen order."""
        grouped: dict[tuple[str, str | None], list[Reference]] = {}
        for ref in self.references:
            if ref.repo_id is not None:
                grouped.setdefault((ref.repo_id, ref.revision), []).append(ref)
        return [(repo_id, revision, refs) for (repo_id, revision), refs in grouped.items()]


def to_model_refs(discovery: Discovery) -> list[ModelRef]:
    """One ModelRef per distinct model, its origin the first place it is named; the others go in notes."""
    refs = []
    for repo_id, revision, found in discovery.models():
        others = [r.where for r in found[1:]]
        notes = None
        if others:
            shown = ", ".join(others[:MAX_NOTE_LOCATIONS])
            more = len(others) - MAX_NOTE_LOCATIONS
            notes = f"also at {shown}" + (f" and {more} more" if more > 0 else "")
        if found[0].label:
            notes = f"at {found[0].where}" + (f"; {notes}" if notes else "")
        refs.append(ModelRef(repo_id, revision, origin=found[0].origin, notes=notes))
    return refs


# ---------------------------------------------------------------- walking the tree


@dataclass
class _Context:
    cwd: Path
    roots: tuple[Path, ...]
    references: list[Reference] = field(default_factory=list)
    unresolved: list[Reference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: int = 0

    def display(self, path: Path) -> str:
        absolute = os.path.abspath(path)
        relative = os.path.relpath(absolute, self.cwd)
        shown = absolute if relative == ".." or relative.startswith(".." + os.sep) else relative
        return Path(shown).as_posix()

    def is_local_dir(self, value: str, base: Path) -> bool:
        """A value that names a directory in the scanned tree is a local checkpoint, not a Hub id."""
        for root in (base, *self.roots, self.cwd):
            try:
                if (root / value).is_dir():
                    return True
            except OSError:
                continue
        return False


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
    context = _Context(cwd=base, roots=tuple(r if r.is_dir() else r.parent for r in roots))
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
            if name.startswith(".") or name in _SKIP_DIRS or _excluded(relative, name, exclude):
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
    if suffix in _PYTHON_SUFFIXES:
        return "python"
    if suffix == ".ipynb":
        return "notebook"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".toml":
        return "toml"
    if suffix in _SHELL_SUFFIXES or name in _SHELL_NAMES or name.startswith(("dockerfile.", "containerfile.")):
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


def _read_text(path: Path, limit: int, context: _Context, *, warn_size: bool = True) -> str | None:
    shown = context.display(path)
    try:
        size = path.stat().st_size
        if size > limit:
            if warn_size:
                context.warnings.append(f"{shown}: skipped, larger than {limit // (1024 * 1024)} MiB")
            return None
        data = path.read_bytes()
    except OSError as exc:
        context.warnings.append(f"{shown}: cannot read: {exc.strerror or exc}")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        context.warnings.append(f"{shown}: skipped, not UTF-8 text")
        return None


def _scan_file(path: Path, kind: str, context: _Context) -> None:
    limit = MAX_NOTEBOOK_BYTES if kind == "notebook" else MAX_CODE_BYTES
    # a big JSON or YAML file is data (a vocabulary, a dataset), not configuration: skipped without a word
    text = _read_text(path, limit, context, warn_size=kind not in ("json", "yaml", "toml"))
    if text is None:
        return
    context.files += 1
    shown = context.display(path)
    sink = _Sink(context, shown, path.parent)
    if kind == "python":
        _scan_python(text, sink)
    elif kind == "notebook":
        _scan_notebook(text, sink)
    elif kind == "yaml":
        _scan_yaml(text, sink)
    elif kind == "json":
        _scan_json(text, sink)
    elif kind == "toml":
        _scan_toml(text, sink)
    else:
        _scan_shell(text, sink, make_vars=path.suffix.lower() == ".mk" or "makefile" in path.name.lower())


# ---------------------------------------------------------------- classifying values


class _Sink:
    """Collects one file's references; decides which values are Hub ids and which lines are ignored."""

    def __init__(self, context: _Context, shown: str, directory: Path) -> None:
        self.context = context
        self.path = shown
        self.directory = directory
        self.lines: list[str] = []
        self.line_map: Callable[[int], tuple[int, str | None]] = lambda line: (line, None)

    def ignored(self, line: int) -> bool:
        return 0 < line <= len(self.lines) and IGNORE_MARKER in self.lines[line - 1]

    def classify(self, value: str, *, allow_bare: bool) -> str | None:
        """The repo id `value` names, or None when it is a local path, a URL or no model id at all."""
        value = value.strip()
        if not value or "://" in value or value.startswith(("/", "./", "../", "~", "\\", ".")):
            return None
        if "\\" in value or re.match(r"^[A-Za-z]:", value) or "@" in value:
            return None
        if id_problem(value) is not None:
            return None
        if "/" not in value and not allow_bare:
            return None
        last = value.rsplit("/", 1)[-1]
        if "." in last and last.rsplit(".", 1)[-1].lower() in _FILE_EXTENSIONS:
            return None
        if self.context.is_local_dir(value, self.directory):
            return None
        return value

    def warn(self, line: int, message: str) -> None:
        file_line, label = self.line_map(line)
        self.context.warnings.append(f"{self.path}:{label or file_line}: {message}")

    def found(
        self,
        line: int,
        via: str,
        *,
        repo_id: str | None = None,
        revision: str | None = None,
        expression: str | None = None,
    ) -> None:
        file_line, label = self.line_map(line)
        ref = Reference(
            origin=Origin(self.path, file_line),
            via=via,
            repo_id=repo_id,
            revision=revision,
            expression=_short(expression) if expression is not None else None,
            label=label,
        )
        (self.context.references if repo_id is not None else self.context.unresolved).append(ref)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_EXPRESSION else text[: MAX_EXPRESSION - 1] + "…"


# ---------------------------------------------------------------- Python


@dataclass
class _Scope:
    kind: str  # module | function | class | comprehension
    bindings: dict[str, list[tuple[str, ast.expr | None]]]  # name -> (assign|iter|path|other, value)
    global_names: frozenset[str]  # declared `global` here: they live in the module scope
    global_bindings: dict[str, list[tuple[str, ast.expr | None]]]  # what this scope assigns to them


_Stack = tuple[ast.AST, ...]  # the enclosing scope nodes, module first; their bindings are computed on demand
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _bindings(node: ast.AST) -> _Scope:
    """The names a scope binds (Python's rule: any binding anywhere in the body makes a name local)."""
    bindings: dict[str, list[tuple[str, ast.expr | None]]] = {}
    declared_global: set[str] = set()

    def bind(name: str, kind: str, value: ast.expr | None) -> None:
        bindings.setdefault(name, []).append((kind, value))

    def target(node: ast.expr, kind: str, value: ast.expr | None) -> None:
        if isinstance(node, ast.Name):
            bind(node.id, kind, value)
        elif isinstance(node, (ast.Tuple, ast.List)):
            values = value.elts if kind == "assign" and isinstance(value, (ast.Tuple, ast.List)) else None
            if (
                values is not None
                and len(values) == len(node.elts)
                and not any(isinstance(e, ast.Starred) for e in (*values, *node.elts))
            ):
                for sub, sub_value in zip(node.elts, values, strict=True):
                    target(sub, "assign", sub_value)
            else:
                for sub in node.elts:
                    target(sub, "other", None)
        elif isinstance(node, ast.Starred):
            target(node.value, "other", None)

    def visit(child: ast.AST) -> None:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(child.name, "other", None)
            return
        if isinstance(child, (ast.Lambda, *_COMPREHENSIONS)):
            return
        if isinstance(child, ast.Assign):
            for t in child.targets:
                target(t, "assign", child.value)
        elif isinstance(child, ast.AnnAssign) and child.value is not None:
            target(child.target, "assign", child.value)
        elif isinstance(child, ast.AugAssign):
            target(child.target, "other", None)
        elif isinstance(child, (ast.For, ast.AsyncFor)):
            target(child.target, "iter", child.iter)
        elif isinstance(child, (ast.With, ast.AsyncWith)):
            for item in child.items:
                if item.optional_vars is not None:
                    kind = "path" if _call_name(item.context_expr)[0] in _PATH_CALLS else "other"
                    target(item.optional_vars, kind, None)
        elif isinstance(child, ast.NamedExpr):
            target(child.target, "assign", child.value)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            for alias in child.names:
                bind(alias.asname or alias.name.split(".")[0], "other", None)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            bind(child.name, "other", None)
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            if isinstance(child, ast.Global):
                declared_global.update(child.names)
            else:
                for name in child.names:
                    bind(name, "other", None)
        elif isinstance(child, (ast.MatchAs, ast.MatchStar)) and child.name:
            bind(child.name, "other", None)
        for grandchild in ast.iter_child_nodes(child):
            visit(grandchild)

    kind = "module"
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        kind = "function"
        arguments = node.args
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            bind(arg.arg, "other", None)
        for extra in (arguments.vararg, arguments.kwarg):
            if extra is not None:
                bind(extra.arg, "other", None)
        body: list[ast.AST] = [node.body] if isinstance(node, ast.Lambda) else list(node.body)
    elif isinstance(node, ast.ClassDef):
        kind = "class"
        body = list(node.body)
    elif isinstance(node, _COMPREHENSIONS):
        kind = "comprehension"
        for generator in node.generators:
            target(generator.target, "iter", generator.iter)
        body = []
    else:
        body = list(ast.iter_child_nodes(node))
    for child in body:
        visit(child)
    global_bindings = {name: bindings.pop(name) for name in declared_global if name in bindings}
    return _Scope(kind, bindings, frozenset(declared_global), global_bindings)


def _call_name(func: ast.AST) -> tuple[str | None, str | None]:
    """(called name, the name it is called on): `AutoModel.from_pretrained` -> (from_pretrained, AutoModel)."""
    if isinstance(func, ast.Call):
        func = func.func
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        receiver = func.value
        if isinstance(receiver, ast.Call):
            receiver = receiver.func
        if isinstance(receiver, ast.Name):
            return func.attr, receiver.id
        if isinstance(receiver, ast.Attribute):
            return func.attr, receiver.attr
        return func.attr, None
    return None, None


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    for name in names:
        for keyword in call.keywords:
            if keyword.arg == name:
                return keyword.value
    return None


def _positional(call: ast.Call, index: int) -> ast.expr | None:
    for position, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None  # positions after *args cannot be known
        if position == index:
            return arg
    return None


class _Resolution:
    """What an expression evaluates to, as far as can be told: known texts, and whether more is unknown."""

    def __init__(self, values: Sequence[str] = (), unknown: bool = False) -> None:
        self.values = list(dict.fromkeys(values))[:MAX_CANDIDATES]
        self.unknown = unknown

    def __or__(self, other: _Resolution) -> _Resolution:
        return _Resolution([*self.values, *other.values], self.unknown or other.unknown)


_UNKNOWN = _Resolution(unknown=True)
_NOTHING = _Resolution()


class _PythonScanner:
    def __init__(self, tree: ast.Module, source: str, sink: _Sink) -> None:
        self.tree = tree
        self.source = source
        self.sink = sink
        self._scopes: dict[int, _Scope] = {}

    def scope(self, node: ast.AST) -> _Scope:
        key = id(node)
        if key not in self._scopes:
            self._scopes[key] = _bindings(node)
        return self._scopes[key]

    def run(self) -> None:
        if "global" in self.source:
            module = self.scope(self.tree)
            for node in ast.walk(self.tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for name, bound in self.scope(node).global_bindings.items():
                        # a function may rebind a module name: a text constant is one more candidate, else unknown
                        for kind, value in bound:
                            plain = kind == "assign" and isinstance(value, ast.Constant)
                            module.bindings.setdefault(name, []).append((kind, value) if plain else ("other", None))
        self.visit(self.tree, (self.tree,))

    def visit(self, node: ast.AST, stack: _Stack) -> None:
        if isinstance(node, ast.Call):
            self.check_call(node, stack)
        if isinstance(node, (*_SCOPE_NODES, *_COMPREHENSIONS)):
            inner = (*stack, node)
            body: list[Any] = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                body = list(node.body)
            elif isinstance(node, ast.Lambda):
                body = [node.body]
            elif isinstance(node, _COMPREHENSIONS):
                body = [child for child in ast.iter_child_nodes(node)]
            inside = {id(child) for child in body}
            for child in ast.iter_child_nodes(node):
                self.visit(child, inner if id(child) in inside else stack)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, stack)

    # ------------------------------------------------------------ resolving expressions

    def lookup(self, name: str, stack: _Stack, depth: int) -> _Resolution:
        for index in range(len(stack) - 1, -1, -1):
            scope = self.scope(stack[index])
            if scope.kind == "class" and index != len(stack) - 1:
                continue  # class bodies are not visible from the functions inside them
            if name in scope.global_names:
                return self.lookup(name, stack[:1], depth)
            if name in scope.bindings:
                result = _NOTHING
                for kind, value in scope.bindings[name]:
                    if kind == "assign" and value is not None:
                        result = result | self.resolve(value, stack[: index + 1], depth + 1)
                    elif kind == "iter" and value is not None:
                        result = result | self.elements(value, stack[: index + 1], depth + 1)
                    elif kind != "path":
                        result = result | _UNKNOWN
                return result
        return _UNKNOWN

    def container(self, node: ast.expr, stack: _Stack, depth: int) -> tuple[ast.expr, _Stack] | None:
        """Follow a name to the list, tuple, set or dict literal it is bound to, if it is bound once."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            return node, stack
        if isinstance(node, ast.Name) and depth < MAX_RESOLVE_DEPTH:
            for index in range(len(stack) - 1, -1, -1):
                scope = self.scope(stack[index])
                if scope.kind == "class" and index != len(stack) - 1:
                    continue
                if node.id in scope.bindings:
                    bound = scope.bindings[node.id]
                    if len(bound) == 1 and bound[0][0] == "assign" and bound[0][1] is not None:
                        return self.container(bound[0][1], stack[: index + 1], depth + 1)
                    return None
        return None

    def elements(self, node: ast.expr, stack: _Stack, depth: int) -> _Resolution:
        found = self.container(node, stack, depth)
        if found is None:
            return _UNKNOWN
        literal, where = found
        items: list[ast.expr | None] = (
            list(literal.keys) if isinstance(literal, ast.Dict) else list(literal.elts)  # type: ignore[attr-defined]
        )
        result = _NOTHING
        for item in items:
            result = result | (self.resolve(item, where, depth + 1) if item is not None else _UNKNOWN)
        return result

    def resolve(self, node: ast.expr, stack: _Stack, depth: int = 0) -> _Resolution:
        if depth > MAX_RESOLVE_DEPTH:
            return _UNKNOWN
        if isinstance(node, ast.Constant):
            return _Resolution([node.value]) if isinstance(node.value, str) else _NOTHING
        if isinstance(node, ast.Name):
            return self.lookup(node.id, stack, depth)
        if isinstance(node, ast.JoinedStr):
            parts: list[_Resolution] = []
            for value in node.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    parts.append(_Resolution([value.value]))
                elif isinstance(value, ast.FormattedValue) and value.format_spec is None and value.conversion == -1:
                    parts.append(self.resolve(value.value, stack, depth + 1))
                else:
                    parts.append(_UNKNOWN)
            return _concat(parts)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                return _concat([self.resolve(node.left, stack, depth + 1), self.resolve(node.right, stack, depth + 1)])
            if isinstance(node.op, ast.Div):
                return _NOTHING  # pathlib's `/`: a local path
            return _UNKNOWN
        if isinstance(node, ast.IfExp):
            return self.resolve(node.body, stack, depth + 1) | self.resolve(node.orelse, stack, depth + 1)
        if isinstance(node, ast.BoolOp):
            result = _NOTHING
            for value in node.values:
                result = result | self.resolve(value, stack, depth + 1)
            return result
        if isinstance(node, ast.Subscript):
            found = self.container(node.value, stack, depth)
            key = node.slice
            if found is not None and isinstance(key, ast.Constant):
                literal, where = found
                if isinstance(literal, ast.Dict):
                    for item_key, item_value in zip(literal.keys, literal.values, strict=True):
                        if isinstance(item_key, ast.Constant) and item_key.value == key.value:
                            return self.resolve(item_value, where, depth + 1)
                elif (
                    isinstance(literal, (ast.List, ast.Tuple))
                    and isinstance(key.value, int)
                    and -len(literal.elts) <= key.value < len(literal.elts)
                ):
                    return self.resolve(literal.elts[key.value], where, depth + 1)
            return _UNKNOWN
        if isinstance(node, ast.Call):
            name, receiver = _call_name(node.func)
            if name in _PATH_CALLS:
                return _NOTHING
            if name == "str" and len(node.args) == 1:
                return self.resolve(node.args[0], stack, depth + 1)
            if name in _ENV_CALLS and (name == "getenv" or receiver == "environ"):
                default = _positional(node, 1) or _keyword(node, "default")
                return (self.resolve(default, stack, depth + 1) if default is not None else _NOTHING) | _UNKNOWN
            return _UNKNOWN
        return _UNKNOWN

    def is_object(self, node: ast.expr, stack: _Stack) -> bool:
        """True when the argument is a loaded model or tokenizer object rather than a name."""
        if isinstance(node, ast.Call):
            name, receiver = _call_name(node.func)
            return not (name == "str" or name in _PATH_CALLS or (name in _ENV_CALLS and receiver in ("os", "environ")))
        if isinstance(node, ast.Name):
            for index in range(len(stack) - 1, -1, -1):
                bound = self.scope(stack[index]).bindings.get(node.id)
                if bound:
                    values = [value for kind, value in bound if kind == "assign"]
                    return (
                        bool(values)
                        and len(values) == len(bound)
                        and all(value is not None and self.is_object(value, stack[: index + 1]) for value in values)
                    )
        return False

    # ------------------------------------------------------------ the calls that load models

    def check_call(self, call: ast.Call, stack: _Stack) -> None:
        name, receiver = _call_name(call.func)
        if name is None:
            return
        revision = _keyword(call, "revision")
        if name == "from_pretrained":
            index = 1 if receiver is not None and receiver.startswith("PeftModel") else 0
            target = _keyword(call, "pretrained_model_name_or_path", "model_id", "model_name_or_path")
            via = f"{receiver}.from_pretrained" if receiver else "from_pretrained"
            self.emit(target or _positional(call, index), call, stack, via, revision)
        elif name == "pipeline":
            model = _keyword(call, "model") or _positional(call, 1)
            self.emit(model, call, stack, "pipeline", revision, objects_allowed=True)
            tokenizer = _keyword(call, "tokenizer")
            self.emit(tokenizer, call, stack, "pipeline tokenizer", revision, objects_allowed=True)
        elif name in ("hf_hub_download", "snapshot_download"):
            repo_type = _keyword(call, "repo_type")
            if repo_type is not None:
                kinds = self.resolve(repo_type, stack)
                if kinds.unknown or any(kind != "model" for kind in kinds.values):
                    return  # a dataset or a space, or a type we cannot tell
            self.emit(_keyword(call, "repo_id") or _positional(call, 0), call, stack, name, revision)
        elif name in ("SentenceTransformer", "CrossEncoder", "SparseEncoder"):
            target = _keyword(call, "model_name_or_path", "model_name") or _positional(call, 0)
            self.emit(target, call, stack, name, revision)
        elif name in ("create_model", "create_model_and_transforms", "create_model_from_pretrained"):
            target = _keyword(call, "model_name") or _positional(call, 0)
            if target is not None:
                values = [v for v in self.resolve(target, stack).values if v.startswith(("hf-hub:", "hf_hub:"))]
                for value in values:
                    self.report_value(value[7:], target, call, f"{receiver or ''}.{name}".lstrip("."), None)

    def emit(
        self,
        target: ast.expr | None,
        call: ast.Call,
        stack: _Stack,
        via: str,
        revision_node: ast.expr | None,
        *,
        objects_allowed: bool = False,
    ) -> None:
        if target is None:
            # `f(*args)` / `f(**kwargs)` may pass a model id we cannot see: keep it as unresolved
            splat = any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)
            if splat and not self.sink.ignored(call.lineno) and not objects_allowed:
                self.sink.found(call.lineno, via, expression=self.text(call))
            return
        if objects_allowed and self.is_object(target, stack):
            return
        line = getattr(target, "lineno", call.lineno)
        if self.sink.ignored(line) or self.sink.ignored(call.lineno):
            return
        revision = None
        if revision_node is not None:
            revisions = self.resolve(revision_node, stack)
            if len(revisions.values) == 1 and not revisions.unknown:
                revision = revisions.values[0]
            elif revisions.values or revisions.unknown:
                self.sink.warn(
                    line, f"revision not resolved ({self.text(revision_node)}); the default branch is audited"
                )
        resolution = self.resolve(target, stack)
        for value in resolution.values:
            self.report_value(value, target, call, via, revision)
        if resolution.unknown:
            self.sink.found(line, via, expression=self.text(call))

    def report_value(self, value: str, target: ast.expr, call: ast.Call, via: str, revision: str | None) -> None:
        repo_id = self.sink.classify(value, allow_bare=True)
        if repo_id is not None:
            self.sink.found(getattr(target, "lineno", call.lineno), via, repo_id=repo_id, revision=revision)

    def text(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.source, node)
        return segment if segment is not None else ast.unparse(node)


def _concat(parts: Sequence[_Resolution]) -> _Resolution:
    values = [""]
    unknown = False
    for part in parts:
        unknown = unknown or part.unknown
        if not part.values:
            return _Resolution([], True) if part.unknown or unknown else _NOTHING
        values = [left + right for left in values for right in part.values][:MAX_CANDIDATES]
    if unknown:
        return _UNKNOWN  # a partly known id ("org/" + name) is no id: report the expression
    return _Resolution(values)


def _scan_python(source: str, sink: _Sink) -> None:
    sink.lines = source.splitlines()
    if not _MODEL_CALL_RE.search(source):
        return  # every call discovery matches names itself literally: no such name, nothing to find
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 0
        sink.warn(line, f"not scanned, Python syntax error: {getattr(exc, 'msg', exc)}")
        return
    try:
        _PythonScanner(tree, source, sink).run()
    except RecursionError:
        sink.warn(0, "not scanned completely: nested too deeply")


# ---------------------------------------------------------------- notebooks


class _PosStr(str):
    """A JSON string that remembers the offset of its opening quote, to give notebook cells file lines."""

    pos: int


class _PositionDecoder(json.JSONDecoder):
    def __init__(self) -> None:
        super().__init__()
        scanstring = json.decoder.scanstring  # type: ignore[attr-defined]

        def parse_string(text: str, end: int, strict: bool) -> tuple[str, int]:
            value, new_end = scanstring(text, end, strict)
            marked = _PosStr(value)
            marked.pos = end - 1
            return marked, new_end

        self.parse_string = parse_string
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


class _Lines:
    """Offset -> 1-based line, for texts parsed without line tracking."""

    def __init__(self, text: str) -> None:
        self.starts = [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) + 1


_CELL_MAGIC_PYTHON = frozenset({"%%capture", "%%time", "%%timeit", "%%prun", "%%debug"})
_CELL_MAGIC_SHELL = frozenset({"%%bash", "%%sh", "%%script"})


def _scan_notebook(text: str, sink: _Sink) -> None:
    try:
        data = _PositionDecoder().decode(text)
    except ValueError as exc:
        sink.warn(0, f"not scanned, invalid notebook JSON: {exc}")
        return
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        sink.warn(0, "not scanned, not an nbformat 4 notebook (no 'cells' list)")
        return
    lines_of = _Lines(text)
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
    if _MODEL_CALL_RE.search(source):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            _scan_cells_separately(python, mapping, sink)
    if tree is not None:
        _PythonScanner(tree, source, sink).run()
    for line, file_line, cell, in_cell in shell:
        shell_sink = _Sink(sink.context, sink.path, sink.directory)
        shell_sink.lines = [line]
        shell_sink.line_map = functools.partial(_fixed_position, file_line, f"cell {cell}:line {in_cell}")
        _scan_shell_lines([(line, 1)], shell_sink, {})


def _fixed_position(file_line: int, label: str, _line: int) -> tuple[int, str | None]:
    return file_line, label


def _shifted(line_map: Callable[[int], tuple[int, str | None]], offset: int, line: int) -> tuple[int, str | None]:
    return line_map(line + offset)


def _cell_lines(source: object, lines_of: _Lines) -> list[tuple[str, int]]:
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
        file_lines.append(lines_of.line_of(piece.pos) if isinstance(piece, _PosStr) else 0)
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


def _scan_cells_separately(python: list[str], mapping: list[tuple[int, int, int]], sink: _Sink) -> None:
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
        else:
            offset = start
            cell_sink = _Sink(sink.context, sink.path, sink.directory)
            cell_sink.lines = python[start:end]
            cell_sink.line_map = functools.partial(_shifted, sink.line_map, offset)
            _PythonScanner(tree, source, cell_sink).run()
        start = end


# ---------------------------------------------------------------- configs


def _config_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    key = key.strip().lower().replace("-", "_")
    if key in _CONFIG_EXCLUDED:
        return False
    return key in _CONFIG_KEYS or key.endswith(_CONFIG_SUFFIXES)


def _config_value(sink: _Sink, value: str, line: int, key: str) -> None:
    if sink.ignored(line):
        return
    via = f"config key {key!r}"
    if _INTERPOLATION_RE.search(value):
        sink.found(line, via, expression=f"{key}: {value}")
        return
    repo_id = sink.classify(value, allow_bare=False)
    if repo_id is not None:
        sink.found(line, via, repo_id=repo_id)


def _scan_yaml(text: str, sink: _Sink) -> None:
    sink.lines = text.splitlines()
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        sink.warn(
            mark.line + 1 if mark is not None else 0, f"not scanned, invalid YAML: {getattr(exc, 'problem', exc)}"
        )
        documents = []
    for document in documents:
        if document is not None:
            _walk_yaml(document, sink, 0)
    if "download" in text or "clone" in text:
        _scan_shell_lines([(line, number) for number, line in enumerate(sink.lines, start=1)], sink, {})


def _walk_yaml(node: yaml.Node, sink: _Sink, depth: int) -> None:
    if depth > 100:
        return
    if isinstance(node, yaml.MappingNode):
        siblings = {
            k.value: v.value for k, v in node.value if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
        }
        repo_type = siblings.get("repo_type")
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and _config_key(key) and repo_type in (None, "model"):
                values = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for item in values:
                    if isinstance(item, yaml.ScalarNode) and item.tag == "tag:yaml.org,2002:str":
                        _config_value(sink, str(item.value), item.start_mark.line + 1, str(key))
            _walk_yaml(value_node, sink, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk_yaml(item, sink, depth + 1)


def _scan_json(text: str, sink: _Sink) -> None:
    sink.lines = text.splitlines()
    try:
        data = _PositionDecoder().decode(text)
    except ValueError:
        return  # JSON that does not parse is data, not configuration (JSON5, JSONC, fragments)
    lines_of = _Lines(text)

    def walk(value: object, depth: int) -> None:
        if depth > 100:
            return
        if isinstance(value, dict):
            repo_type = value.get("repo_type")
            for key, item in value.items():
                if _config_key(key) and repo_type in (None, "model"):
                    for candidate in item if isinstance(item, list) else [item]:
                        if isinstance(candidate, _PosStr):
                            _config_value(sink, str(candidate), lines_of.line_of(candidate.pos), key)
                walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                walk(item, depth + 1)

    walk(data, 0)


def _scan_toml(text: str, sink: _Sink) -> None:
    """Line by line: key = "value", key = ["a", "b"] and inline tables; multi-line arrays are not read."""
    sink.lines = text.splitlines()
    for number, line in enumerate(sink.lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "[")):
            continue
        pairs: list[tuple[str, str]] = []
        match = _TOML_LINE_RE.match(line)
        if match:
            pairs.append((match.group(1), match.group(2)))
        pairs.extend((m.group(1), m.group(2)) for m in _TOML_INLINE_RE.finditer(line))
        for key, rest in pairs:
            if not _config_key(key):
                continue
            rest = rest.strip()
            if rest.startswith("{"):
                continue  # an inline table: its own keys are matched above
            if rest.startswith("["):
                rest = rest.split("]", 1)[0]
            elif rest[:1] in ("'", '"'):
                quoted_value = _QUOTED_RE.match(rest)
                rest = quoted_value.group(0) if quoted_value else ""
            else:
                continue
            for quoted in _QUOTED_RE.finditer(rest):
                _config_value(sink, quoted.group(2), number, key)


# ---------------------------------------------------------------- shell, Dockerfiles, Makefiles


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
            line = _MAKE_VAR_RE.sub(r"${\1}", line)
        match = _SHELL_ASSIGN_RE.match(line)
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

    expanded = _SHELL_VAR_RE.sub(substitute, token)
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


def _scan_shell(text: str, sink: _Sink, *, make_vars: bool) -> None:
    sink.lines = text.splitlines()
    lines = _logical_lines(text)
    if make_vars:
        lines = [(_MAKE_VAR_RE.sub(r"${\1}", line), number) for line, number in lines]
    _scan_shell_lines(lines, sink, _shell_variables(lines, make_vars=False))


def _scan_shell_lines(lines: list[tuple[str, int]], sink: _Sink, variables: dict[str, str | None]) -> None:
    for line, number in lines:
        if ("download" not in line and "clone" not in line) or sink.ignored(number):
            continue
        tokens = _tokens(_MAKE_VAR_RE.sub(r"${\1}", line))
        for index, token in enumerate(tokens):
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if os.path.basename(token) in ("huggingface-cli", "hf") and following == "download":
                _hf_download(tokens[index + 2 :], line, number, sink, variables)
            elif os.path.basename(token) == "git" and following == "clone":
                _git_clone(tokens[index + 2 :], number, sink)


def _physical_line(sink: _Sink, number: int, needle: str) -> int:
    """The physical line, within a backslash-continued command starting at `number`, that holds `needle`."""
    index = number - 1
    while 0 <= index < len(sink.lines):
        if needle in sink.lines[index]:
            return index + 1
        if not sink.lines[index].rstrip().endswith("\\"):
            break
        index += 1
    return number


def _hf_download(args: list[str], line: str, number: int, sink: _Sink, variables: dict[str, str | None]) -> None:
    positional: list[str] = []
    options: dict[str, str] = {}
    waiting: str | None = None
    for arg in args:
        if arg in _SHELL_STOP:
            break
        if waiting is not None:
            options[waiting] = arg
            waiting = None
        elif arg.startswith("--"):
            name, sep, value = arg.partition("=")
            if sep:
                options[name] = value
            elif name in _HF_DOWNLOAD_OPTIONS:
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
        sink.found(number, via, expression=_short(line.strip()))
        return
    repo_id = sink.classify(expanded, allow_bare=True)
    if repo_id is not None:
        sink.found(number, via, repo_id=repo_id, revision=revision)


def _git_clone(args: list[str], number: int, sink: _Sink) -> None:
    skip_next = False
    branch: str | None = None
    for position, arg in enumerate(args):
        if arg in _SHELL_STOP:
            return
        if skip_next:
            skip_next = False
            continue
        if arg in _GIT_CLONE_OPTIONS:
            skip_next = True
            if arg in ("-b", "--branch") and position + 1 < len(args):
                branch = args[position + 1]
            continue
        if arg.startswith("-"):
            if arg.startswith("--branch="):
                branch = arg.split("=", 1)[1]
            continue
        match = _HF_URL_RE.match(arg)
        repo_id = sink.classify(match.group(1), allow_bare=False) if match else None
        number = _physical_line(sink, number, arg)
        if repo_id is not None and not sink.ignored(number):
            sink.found(number, "git clone", repo_id=repo_id, revision=branch)
        return


# ---------------------------------------------------------------- output


def _sorted_models(discovery: Discovery) -> list[tuple[str, str | None, list[Reference]]]:
    return sorted(discovery.models(), key=lambda item: (item[0].lower(), item[1] or ""))


def render_list(discovery: Discovery) -> str:
    """A list file `auditor scan -r` reads back: each model with `# file:line` comments above it."""
    lines = [
        "# Models found by `auditor discover`: one ORG/NAME[@REVISION] per line, where each is used above it.",
    ]
    for repo_id, revision, found in _sorted_models(discovery):
        lines.append("# " + ", ".join(ref.where for ref in found))
        lines.append(repo_id if revision is None else f"{repo_id}@{revision}")
    if discovery.unresolved:
        lines.append("")
        lines.append("# Unresolved: the model id is computed at run time. Add the models they load by hand:")
        for ref in discovery.unresolved:
            lines.append(f"#   {ref.where}: {_one_line(ref.expression or '')}")
    return "\n".join(lines) + "\n"


def render_inventory(discovery: Discovery) -> str:
    """An inventory (`models:` list) to complete with each model's intended use and owner."""
    lines = [
        "# Models found by `auditor discover`. Add `use:` and `owner:` to each, then: auditor scan -r THIS_FILE",
        "models:",
    ]
    models = _sorted_models(discovery)
    if not models:
        lines[-1] = "models: []"
    for repo_id, revision, found in models:
        lines.append(f"  - id: {json.dumps(repo_id)}")
        if revision is not None:
            lines.append(f"    revision: {json.dumps(revision)}")
        lines.append(
            f"    notes: {json.dumps('found at ' + ', '.join(ref.where for ref in found), ensure_ascii=False)}"
        )
    for ref in discovery.unresolved:
        lines.append(f"  # unresolved at {ref.where}: {_one_line(ref.expression or '')}")
    return "\n".join(lines) + "\n"


def render_json(discovery: Discovery) -> str:
    def location(ref: Reference) -> dict[str, object]:
        data: dict[str, object] = {"path": ref.origin.path, "line": ref.origin.line, "where": ref.where, "via": ref.via}
        if ref.expression is not None:
            data["expression"] = ref.expression
        return data

    document = {
        "version": 1,
        "files_scanned": discovery.files_scanned,
        "models": [
            {"id": repo_id, "revision": revision, "locations": [location(ref) for ref in found]}
            for repo_id, revision, found in _sorted_models(discovery)
        ],
        "unresolved": [location(ref) for ref in discovery.unresolved],
        "warnings": list(discovery.warnings),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


RENDERERS: dict[str, Callable[[Discovery], str]] = {
    "list": render_list,
    "inventory": render_inventory,
    "json": render_json,
}

__all__ = [
    "IGNORE_MARKER",
    "RENDERERS",
    "Discovery",
    "Reference",
    "discover",
    "render_inventory",
    "render_json",
    "render_list",
    "to_model_refs",
]
