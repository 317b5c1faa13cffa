"""Python, through `ast`: calls that load models, with string constants resolved through scopes."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.sources.discover.sink import Sink
from auditor.sources.discover.vocabulary import (
    ENV_CALLS,
    MAX_CANDIDATES,
    MAX_RESOLVE_DEPTH,
    MODEL_CALL_RE,
    PATH_CALLS,
)


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
                    kind = "path" if _call_name(item.context_expr)[0] in PATH_CALLS else "other"
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


class PythonScanner:
    def __init__(self, tree: ast.Module, source: str, sink: Sink) -> None:
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
            if name in PATH_CALLS:
                return _NOTHING
            if name == "str" and len(node.args) == 1:
                return self.resolve(node.args[0], stack, depth + 1)
            if name in ENV_CALLS and (name == "getenv" or receiver == "environ"):
                default = _positional(node, 1) or _keyword(node, "default")
                return (self.resolve(default, stack, depth + 1) if default is not None else _NOTHING) | _UNKNOWN
            return _UNKNOWN
        return _UNKNOWN

    def is_object(self, node: ast.expr, stack: _Stack) -> bool:
        """True when the argument is a loaded model or tokenizer object rather than a name."""
        if isinstance(node, ast.Call):
            name, receiver = _call_name(node.func)
            return not (name == "str" or name in PATH_CALLS or (name in ENV_CALLS and receiver in ("os", "environ")))
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


def scan_python(source: str, sink: Sink) -> None:
    sink.lines = source.splitlines()
    if not MODEL_CALL_RE.search(source):
        return  # every call discovery matches names itself literally: no such name, nothing to find
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # the parser's own depth limits
        line = getattr(exc, "lineno", None) or 0
        sink.warn(line, f"not scanned, Python syntax error: {getattr(exc, 'msg', exc)}")
        return
    try:
        PythonScanner(tree, source, sink).run()
    except RecursionError:
        sink.warn(0, "not scanned completely: nested too deeply")
