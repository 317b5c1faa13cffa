"""A local HTTP stand-in for the Hugging Face Hub, serving model repos from folders.

The real, unmodified ``huggingface_hub`` client talks to it over HTTP (``HfApi(endpoint=url)``
or ``HF_ENDPOINT=url``). Responses follow the shapes, headers and error codes that
huggingface_hub 2.4 expects (see ``shared/hub-client-notes.md``).

Layout served: ``<root>/<org>/<name>/`` is the model repo ``org/name``. Its files are every
regular file below it, except paths with a component starting with ``_`` (control files)
and ``.git``. ``_hub.json`` (optional) holds what is not a file on the Hub::

    {"gated": false | "auto" | "manual", "private": bool, "disabled": bool,
     "refs": {"v1.0": "<40-hex sha>"}, "lastModified": "...", "createdAt": "...",
     "tags": ["extra-tag"], "downloads": 0, "likes": 0}

``"lfs": ["*.bin", ...]`` (glob patterns) overrides which files are stored in LFS; by default
the Hub's usual binary extensions (:data:`LFS_EXTENSIONS`) and files over 10 MiB are. LFS files
resolve with a 302 to a second local listener playing the CDN (:attr:`HubStandIn.cdn_url`, another
origin, so the client drops its token), their blob is the LFS pointer, and ``/raw`` serves the pointer.

The commit sha of a repo is :func:`compute_repo_sha` of its files' blob oids, so it changes when a
file changes. Every snapshot served is kept in memory, so an old sha stays fetchable as a
revision until :meth:`HubStandIn.forget_history` (or ``POST /_standin/forget``).

Runtime control routes (never faulted, never counted): ``GET|POST /_standin/config``,
``GET /_standin/stats``, ``GET /_standin/requests``, ``POST /_standin/reset``,
``POST /_standin/forget``.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import dataclasses
import fnmatch
import hashlib
import json
import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlencode

import yaml

from .quota import HUB_QUOTAS, Quotas, bucket_of

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_ACCESS_TOKENS",
    "DEFAULT_USER_TOKENS",
    "LFS_EXTENSIONS",
    "FaultConfig",
    "HubStandIn",
    "RequestRecord",
    "StandInError",
    "compute_repo_sha",
    "git_blob_oid",
    "lfs_pointer",
    "write_repo",
]

CONTROL_PREFIX = "/_standin/"
DEFAULT_ACCESS_TOKENS: frozenset[str] = frozenset({"hf_access_token"})
DEFAULT_USER_TOKENS: frozenset[str] = frozenset({"hf_user_token"})

AuthKind = Literal["anonymous", "user", "access", "invalid"]
GatedValue = Literal[False, "auto", "manual"]

# Same front matter regex as huggingface_hub.repocard.
_YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")
_SHA_RE = re.compile(r"[0-9a-f]{40}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_BEARER_RE = re.compile(r"Bearer\s+(\S+)\s*", re.IGNORECASE)
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")
_RELATIONS = frozenset({"adapter", "merge", "quantized", "finetune"})
_TRUE = frozenset({"1", "true", "yes", "on"})
# Files newer than this are re-read on every request: mtime granularity can hide a quick edit.
_FRESH_NS = 2_000_000_000
_MAX_PAGE = 1000
# Stored in LFS on the Hub (its default .gitattributes), plus any file over 10 MiB.
# fmt: off
LFS_EXTENSIONS = frozenset({
    "7z", "arrow", "bin", "bz2", "ckpt", "ftz", "gguf", "gz", "h5", "joblib", "lfs", "mlmodel", "model", "msgpack",
    "npy", "npz", "onnx", "ot", "parquet", "pb", "pickle", "pkl", "pt", "pth", "rar", "safetensors", "tar", "tflite",
    "tgz", "wasm", "xz", "zip", "zst",
})
# fmt: on
LFS_MIN_SIZE = 10 * 1024 * 1024
_SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "trendingScore": "trendingScore",
    "trending_score": "trendingScore",
    "downloadsAllTime": "downloadsAllTime",
    "id": "id",
    "modelId": "id",
    "author": "author",
}
_LIST_DEFAULT_KEYS = (
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
    "pipeline_tag", "library_name", "createdAt", "modelId",
)  # fmt: skip
_LIST_FULL_KEYS = (
    "_id", "id", "author", "gated", "lastModified", "likes", "trendingScore", "private", "sha",
    "downloads", "tags", "pipeline_tag", "library_name", "createdAt", "modelId", "siblings",
)  # fmt: skip
_ERROR_STATUSES = (500, 502, 503, 504)
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class StandInError(Exception):
    """A problem with the served folders themselves (e.g. an invalid ``_hub.json``): answered with a 500."""


# --------------------------------------------------------------------------------------
# Hashing helpers
# --------------------------------------------------------------------------------------


def git_blob_oid(data: bytes) -> str:
    """The git blob sha1 of ``data``, as the Hub reports it (``blobId``, tree ``oid``, ``ETag``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def compute_repo_sha(oids: Mapping[str, str]) -> str:
    """The stand-in's commit sha for a repo whose files have these ``{path: blob oid}``.

    sha1 over ``"<path>\\0<oid>\\n"`` for each file, sorted by path.
    """
    h = hashlib.sha1()
    for path in sorted(oids):
        h.update(f"{path}\0{oids[path]}\n".encode())
    return h.hexdigest()


def write_repo(root: Path, repo_id: str, files: Mapping[str, str | bytes | Mapping[str, Any]]) -> Path:
    """Create or update the repo folder ``root/org/name`` with ``{path: content}`` and return it.

    ``str`` is written as UTF-8, ``bytes`` as is, and a mapping as JSON (handy for ``_hub.json``).
    Files not named are left alone.
    """
    org, sep, name = repo_id.partition("/")
    if not (sep and _NAME_RE.fullmatch(org) and _NAME_RE.fullmatch(name)):
        raise ValueError(f"repo_id must be 'org/name', got {repo_id!r}")
    repo_dir = Path(root) / org / name
    repo_dir.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        target = repo_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_text(json.dumps(dict(content), indent=1), encoding="utf-8")
    return repo_dir


def _tree_oid(entries: Iterable[tuple[str, str]]) -> str:
    h = hashlib.sha1(b"tree\0")
    for path, oid in entries:
        h.update(f"{path}\0{oid}\n".encode())
    return h.hexdigest()


def _iso(ts_ns: int) -> str:
    dt = datetime.fromtimestamp(ts_ns / 1e9, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _json_default(obj: object) -> object:
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    return str(obj)


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, default=_json_default, ensure_ascii=False).encode("utf-8")


def _as_str_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


# --------------------------------------------------------------------------------------
# Fault injection
# --------------------------------------------------------------------------------------


@dataclass
class FaultConfig:
    """Faults applied to every non-control request (mutable; also ``POST /_standin/config``).

    ``latency_ms`` is added to each request. Rates are probabilities in [0, 1], drawn once per
    request in this order: drop, error, rate limit, truncate. ``fail_first_n`` fails the first N
    requests to each path (query excluded) with ``fail_mode``: ``"status"`` (``fail_status``; 429
    comes with ``Retry-After``), ``"drop"``, or ``"truncate"`` (counts GETs only, HEADs pass),
    before any random fault. ``only_paths`` (regex, ``re.search`` on the URL path) limits all of
    these, latency included. ``tamper_paths`` (regex on the URL path) alters the bytes of files served
    there, keeping their length, with an ETag that matches the altered bytes (a hostile proxy or mirror),
    while model_info still lists the true blob ids.
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = _ERROR_STATUSES
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    seed: int | None = None
    only_paths: str | None = None
    fail_first_n: int = 0
    fail_status: int = 503
    fail_mode: Literal["status", "drop", "truncate"] = "status"
    quota_window_s: float = 0.0  # > 0: enforce the Hub's rate-limit buckets over windows this long (quota.py)
    tamper_paths: str | None = None

    def update(self, values: Mapping[str, Any]) -> None:
        """Set fields from a JSON-like mapping, checking names and types."""
        known = {f.name: f for f in dataclasses.fields(self)}
        for key in values:
            if key not in known:
                raise ValueError(f"unknown fault setting {key!r}; known: {sorted(known)}")
        new = dataclasses.replace(self)
        for key, value in values.items():
            setattr(new, key, value)
        new.validate()
        for key in values:
            setattr(self, key, getattr(new, key))

    def validate(self) -> None:
        """Normalise types; raise ValueError on bad values."""
        for name in ("latency_ms", "error_rate", "rate_limit_rate", "drop_rate", "truncate_rate", "quota_window_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number")
            setattr(self, name, float(value))
            if name not in ("latency_ms", "quota_window_s") and not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.latency_ms < 0 or self.quota_window_s < 0:
            raise ValueError("latency_ms and quota_window_s must be >= 0")
        for name in ("retry_after", "fail_first_n", "fail_status"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")
        statuses = tuple(self.error_statuses)
        if not statuses or not all(isinstance(s, int) and 400 <= s <= 599 for s in statuses):
            raise ValueError("error_statuses must be a non-empty list of 4xx/5xx codes")
        self.error_statuses = statuses
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ValueError("seed must be an integer or null")
        for name in ("only_paths", "tamper_paths"):
            pattern = getattr(self, name)
            if pattern is None:
                continue
            if not isinstance(pattern, str):
                raise ValueError(f"{name} must be a regex string or null")
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"{name} is not a valid regex: {e}") from e
        if self.fail_mode not in ("status", "drop", "truncate"):
            raise ValueError("fail_mode must be 'status', 'drop' or 'truncate'")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["error_statuses"] = list(self.error_statuses)
        return d


@dataclass(frozen=True)
class RequestRecord:
    """One logged (non-control) request."""

    method: str
    path: str
    query: str
    route: str
    status: int  # 0 when the connection was dropped
    auth: AuthKind
    fault: str | None
    elapsed_ms: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------------------
# Repo model
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Meta:
    gated: GatedValue = False
    private: bool = False
    disabled: bool = False
    refs: Mapping[str, str] = field(default_factory=dict)
    last_modified: str | None = None
    created_at: str | None = None
    tags: tuple[str, ...] = ()
    downloads: int = 0
    likes: int = 0
    lfs: tuple[str, ...] | None = None  # glob patterns; None = LFS_EXTENSIONS / LFS_MIN_SIZE


def _parse_meta(raw: bytes | None, repo_id: str) -> _Meta:
    if raw is None:
        return _Meta()
    try:
        data = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StandInError(f"{repo_id}/_hub.json is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise StandInError(f"{repo_id}/_hub.json must be a JSON object")
    gated_raw = data.get("gated", False)
    gated: GatedValue
    if gated_raw is None or gated_raw is False:
        gated = False
    elif gated_raw is True or gated_raw == "auto":
        gated = "auto"
    elif gated_raw == "manual":
        gated = "manual"
    else:
        raise StandInError(f"{repo_id}/_hub.json: gated must be false, 'auto' or 'manual'")
    refs = data.get("refs") or {}
    if not isinstance(refs, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in refs.items()):
        raise StandInError(f"{repo_id}/_hub.json: refs must map names to revisions")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise StandInError(f"{repo_id}/_hub.json: tags must be a list of strings")
    lfs = data.get("lfs")
    if lfs is not None and (not isinstance(lfs, list) or not all(isinstance(x, str) for x in lfs)):
        raise StandInError(f"{repo_id}/_hub.json: lfs must be a list of glob patterns")
    for key in ("lastModified", "createdAt"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise StandInError(f"{repo_id}/_hub.json: {key} must be a string")
    return _Meta(
        gated=gated,
        private=bool(data.get("private", False)),
        disabled=bool(data.get("disabled", False)),
        refs=dict(refs),
        last_modified=data.get("lastModified"),
        created_at=data.get("createdAt"),
        tags=tuple(tags),
        downloads=int(data.get("downloads", 0) or 0),
        likes=int(data.get("likes", 0) or 0),
        lfs=tuple(lfs) if lfs is not None else None,
    )


def _is_lfs(path: str, size: int, patterns: tuple[str, ...] | None) -> bool:
    name = path.rsplit("/", 1)[-1]
    if patterns is not None:
        return any(fnmatch.fnmatchcase(path, pat) or fnmatch.fnmatchcase(name, pat) for pat in patterns)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return ext in LFS_EXTENSIONS or size > LFS_MIN_SIZE


def lfs_pointer(data: bytes) -> tuple[str, bytes]:
    """``(sha256, pointer file bytes)`` of a file stored in LFS."""
    sha256 = hashlib.sha256(data).hexdigest()
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {len(data)}\n".encode()
    return sha256, pointer


@dataclass(frozen=True)
class Snapshot:
    """The files of a repo at one commit, with what the Hub derives from them."""

    repo_id: str
    sha: str
    files: Mapping[str, bytes]
    oids: Mapping[str, str]
    card: dict[str, Any] | None
    last_modified: str
    created_at: str
    derived_tags: tuple[str, ...]
    library_name: str | None
    pipeline_tag: str | None
    config: dict[str, Any] | None
    first_seen: float
    lfs: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (sha256, pointer)

    def lfs_info(self, path: str) -> dict[str, Any] | None:
        """The tree ``lfs`` entry of an LFS file, else None."""
        entry = self.lfs.get(path)
        if entry is None:
            return None
        return {"oid": entry[0], "size": len(self.files[path]), "pointerSize": len(entry[1])}

    def directories(self) -> dict[str, str]:
        """``{dir path: tree oid}`` for every directory (not the root)."""
        dirs: dict[str, list[tuple[str, str]]] = {}
        for path, oid in self.oids.items():
            parts = path.split("/")
            for i in range(1, len(parts)):
                dirs.setdefault("/".join(parts[:i]), []).append((path, oid))
        return {d: _tree_oid(sorted(entries)) for d, entries in dirs.items()}


def _parse_card(readme: bytes | None) -> dict[str, Any] | None:
    if readme is None:
        return None
    text = readme.decode("utf-8", "replace")
    match = _YAML_BLOCK.search(text)
    if match is None:
        return None
    try:
        data = yaml.safe_load(match.group(2))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _derive(
    files: Mapping[str, bytes], card: dict[str, Any] | None
) -> tuple[tuple[str, ...], str | None, str | None, dict[str, Any] | None]:
    """Tags, library_name, pipeline_tag and config, derived as the Hub does (simplified)."""
    card = card or {}
    names = {p.rsplit("/", 1)[-1] for p in files}
    config: dict[str, Any] | None = None
    if "config.json" in files:
        try:
            raw_config = json.loads(files["config.json"])
        except (UnicodeDecodeError, json.JSONDecodeError):
            raw_config = None
        if isinstance(raw_config, dict):
            config = {k: raw_config[k] for k in ("architectures", "model_type") if k in raw_config}

    library = card.get("library_name") if isinstance(card.get("library_name"), str) else None
    if library is None:
        if "adapter_config.json" in files:
            library = "peft"
        elif "config.json" in files:
            library = "transformers"
    pipeline = card.get("pipeline_tag") if isinstance(card.get("pipeline_tag"), str) else None

    tags: list[str] = []
    if library:
        tags.append(library)
    if any(n.endswith(".safetensors") for n in names):
        tags.append("safetensors")
    if any(n.endswith(".gguf") for n in names):
        tags.append("gguf")
    if config and isinstance(config.get("model_type"), str):
        tags.append(config["model_type"])
    if pipeline:
        tags.append(pipeline)
    tags.extend(_as_str_list(card.get("tags")))
    tags.extend(_as_str_list(card.get("language")))
    tags.extend(f"dataset:{d}" for d in _as_str_list(card.get("datasets")))
    base_models = _as_str_list(card.get("base_model"))
    if base_models:
        relation = card.get("base_model_relation")
        if not (isinstance(relation, str) and relation in _RELATIONS):
            adapter_file = any(n.startswith("adapter_") for n in names)
            relation = "adapter" if (library == "peft" or adapter_file) else "finetune"
        for bm in base_models:
            tags.append(f"base_model:{bm}")
            tags.append(f"base_model:{relation}:{bm}")
    tags.extend(f"license:{lic.strip().lower()}" for lic in _as_str_list(card.get("license")))
    return tuple(dict.fromkeys(tags)), library, pipeline, config


@dataclass(frozen=True)
class _RepoState:
    signature: tuple[tuple[str, int, int, int], ...]
    fresh: tuple[tuple[str, str, int], ...]  # (relpath, abspath, mtime_ns) of recently modified files
    raw_meta: bytes | None
    meta: _Meta
    snapshot: Snapshot


_ScanEntry = tuple[str, str, int, int, int]  # relpath, abspath, size, mtime_ns, inode


def _scan(directory: str) -> list[_ScanEntry] | None:
    out: list[_ScanEntry] = []
    stack = [("", directory)]
    while stack:
        prefix, path = stack.pop()
        try:
            it = os.scandir(path)
        except (FileNotFoundError, NotADirectoryError):
            if not prefix:
                return None
            continue
        with it:
            for entry in it:
                rel = prefix + entry.name
                try:
                    if entry.is_dir():
                        if entry.name != ".git":
                            stack.append((rel + "/", entry.path))
                    elif entry.is_file():
                        st = entry.stat()
                        out.append((rel, entry.path, st.st_size, st.st_mtime_ns, st.st_ino))
                except FileNotFoundError:
                    continue
    out.sort()
    return out


def _is_content(rel: str) -> bool:
    return not any(part.startswith("_") for part in rel.split("/"))


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except (FileNotFoundError, IsADirectoryError):
        return None


class _RepoStore:
    """Repo folders, their cached current state, and every snapshot served (history)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._current: dict[str, _RepoState] = {}
        self._history: dict[str, dict[str, Snapshot]] = {}

    @staticmethod
    def valid_id(repo_id: str) -> bool:
        parts = repo_id.split("/")
        return len(parts) == 2 and all(_NAME_RE.fullmatch(p) for p in parts)

    def list_ids(self) -> list[str]:
        ids: list[str] = []
        try:
            orgs = sorted(os.scandir(self.root), key=lambda e: e.name)
        except FileNotFoundError:
            return ids
        for org in orgs:
            if not org.is_dir() or not _NAME_RE.fullmatch(org.name):
                continue
            with os.scandir(org.path) as it:
                names = sorted(e.name for e in it if e.is_dir() and _NAME_RE.fullmatch(e.name))
            ids.extend(f"{org.name}/{n}" for n in names)
        return ids

    def get(self, repo_id: str) -> _RepoState | None:
        """Current state of the repo (None if there is no such folder); records it in history."""
        if not self.valid_id(repo_id):
            return None
        directory = os.path.join(self.root, *repo_id.split("/"))
        entries = _scan(directory)
        if entries is None:
            with self._lock:
                self._current.pop(repo_id, None)
            return None
        signature = tuple((rel, size, mtime, ino) for rel, _, size, mtime, ino in entries)
        cached = self._current.get(repo_id)
        if cached is not None and cached.signature == signature:
            still_fresh = self._fresh_unchanged(cached)
            if still_fresh is not None:
                if len(still_fresh) != len(cached.fresh):
                    cached = dataclasses.replace(cached, fresh=still_fresh)
                    with self._lock:
                        self._current[repo_id] = cached
                return cached
        state = self._build(repo_id, entries, signature)
        with self._lock:
            self._current[repo_id] = state
            history = self._history.setdefault(repo_id, {})
            old = history.get(state.snapshot.sha)
            if old is None or old.files != state.snapshot.files:
                history[state.snapshot.sha] = state.snapshot
            elif old.first_seen < state.snapshot.first_seen:
                # Same content: keep the first-seen time (commit order) but refresh derived metadata.
                history[state.snapshot.sha] = dataclasses.replace(state.snapshot, first_seen=old.first_seen)
        return state

    @staticmethod
    def _fresh_unchanged(state: _RepoState) -> tuple[tuple[str, str, int], ...] | None:
        """Re-read recently modified files (an edit within one mtime tick leaves stat unchanged).

        None if one changed; else the entries that are still recent. A file is checked once more
        after it has aged, then trusted on its stat alone.
        """
        now_ns = time.time_ns()
        still_fresh = []
        for rel, abspath, mtime in state.fresh:
            data = _read(abspath)
            if data != (state.raw_meta if rel == "_hub.json" else state.snapshot.files.get(rel)):
                return None
            if now_ns - mtime < _FRESH_NS:
                still_fresh.append((rel, abspath, mtime))
        return tuple(still_fresh)

    def _build(
        self, repo_id: str, entries: list[_ScanEntry], signature: tuple[tuple[str, int, int, int], ...]
    ) -> _RepoState:
        now_ns = time.time_ns()
        files: dict[str, bytes] = {}
        fresh: list[tuple[str, str, int]] = []
        raw_meta: bytes | None = None
        mtimes: list[int] = []
        for rel, abspath, _size, mtime, _ino in entries:
            is_meta = rel == "_hub.json"
            if not (is_meta or _is_content(rel)):
                continue
            data = _read(abspath)
            if data is None:
                continue
            if now_ns - mtime < _FRESH_NS:
                fresh.append((rel, abspath, mtime))
            if is_meta:
                raw_meta = data
            else:
                files[rel] = data
                mtimes.append(mtime)
        meta = _parse_meta(raw_meta, repo_id)
        lfs = {p: lfs_pointer(d) for p, d in files.items() if _is_lfs(p, len(d), meta.lfs)}
        # As in git: an LFS file's blob is its pointer file.
        oids = {p: git_blob_oid(lfs[p][1] if p in lfs else d) for p, d in files.items()}
        card = _parse_card(files.get("README.md"))
        tags, library, pipeline, config = _derive(files, card)
        newest = max(mtimes) if mtimes else now_ns
        oldest = min(mtimes) if mtimes else now_ns
        snapshot = Snapshot(
            repo_id=repo_id,
            sha=compute_repo_sha(oids),
            files=files,
            oids=oids,
            card=card,
            last_modified=meta.last_modified or _iso(newest),
            created_at=meta.created_at or _iso(oldest),
            derived_tags=tags,
            library_name=library,
            pipeline_tag=pipeline,
            config=config,
            first_seen=time.monotonic(),
            lfs=lfs,
        )
        return _RepoState(signature, tuple(fresh), raw_meta, meta, snapshot)

    def lookup(self, repo_id: str, sha: str) -> Snapshot | None:
        with self._lock:
            return self._history.get(repo_id, {}).get(sha)

    def history(self, repo_id: str) -> list[Snapshot]:
        """Known snapshots, oldest first."""
        with self._lock:
            return sorted(self._history.get(repo_id, {}).values(), key=lambda s: s.first_seen)

    def forget(self, repo_id: str) -> int:
        with self._lock:
            forgotten = len(self._history.pop(repo_id, {}))
            self._current.pop(repo_id, None)
        return forgotten


# --------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Route:
    kind: str
    repo_id: str | None = None
    rev: str | None = None
    path: str | None = None


def _parse_route(raw_path: str) -> _Route:
    segs = raw_path.split("/")[1:]
    if not segs or segs == [""]:
        return _Route("unknown")
    if segs[0] == "api" and len(segs) >= 2:
        rest = segs[1:]
        if rest == ["whoami-v2"]:
            return _Route("whoami")
        if len(rest) == 1 and rest[0] == "models":
            return _Route("list_models")
        if len(rest) == 1 and rest[0] in ("datasets", "spaces"):
            return _Route("list_other")
        if rest[0] in ("datasets", "spaces") and len(rest) >= 3:
            return _Route("other_repo", repo_id=f"{unquote(rest[1])}/{unquote(rest[2])}")
        if rest[0] == "models" and len(rest) >= 3:
            repo_id = f"{unquote(rest[1])}/{unquote(rest[2])}"
            tail = [s for s in rest[3:]]
            if tail and tail[-1] == "":
                tail = tail[:-1]
            if not tail:
                return _Route("model_info", repo_id=repo_id)
            if tail[0] == "revision" and len(tail) >= 2:
                return _Route("model_info_rev", repo_id=repo_id, rev=unquote("/".join(tail[1:])))
            if tail[0] == "tree" and len(tail) >= 2:
                sub = "/".join(unquote(s) for s in tail[2:] if s)
                return _Route("tree", repo_id=repo_id, rev=unquote(tail[1]), path=sub)
            if tail[0] == "paths-info" and len(tail) >= 2:
                return _Route("paths_info", repo_id=repo_id, rev=unquote("/".join(tail[1:])))
            if tail[0] == "commits" and len(tail) >= 2:
                return _Route("commits", repo_id=repo_id, rev=unquote("/".join(tail[1:])))
            if tail == ["refs"]:
                return _Route("refs", repo_id=repo_id)
            return _Route("unknown")
        if rest[0] == "resolve-cache" and len(rest) >= 6:
            repo_id = f"{unquote(rest[2])}/{unquote(rest[3])}"
            if rest[1] != "models":
                return _Route("other_repo", repo_id=repo_id)
            return _Route("resolve_cache", repo_id=repo_id, rev=unquote(rest[4]), path=unquote("/".join(rest[5:])))
        return _Route("unknown")
    if segs[0] in ("datasets", "spaces") and len(segs) >= 5 and segs[3] in ("resolve", "raw"):
        return _Route("other_repo", repo_id=f"{unquote(segs[1])}/{unquote(segs[2])}")
    if len(segs) >= 5 and segs[2] in ("resolve", "raw") and segs[0] != "api":
        return _Route(
            segs[2],
            repo_id=f"{unquote(segs[0])}/{unquote(segs[1])}",
            rev=unquote(segs[3]),
            path=unquote("/".join(segs[4:])),
        )
    return _Route("unknown")


def _parse_cdn_route(raw_path: str) -> _Route:
    segs = raw_path.split("/")[1:]
    if len(segs) == 4 and segs[0] == "repos":
        return _Route("cdn", repo_id=f"{unquote(segs[1])}/{unquote(segs[2])}", rev=segs[3])
    return _Route("cdn_unknown")


def _tampered(resp: _Response) -> _Response:
    """A file answer with other bytes of the same length, its ETag made to match them (``tamper_paths``)."""
    if resp.status != 200 or not any(k == "ETag" for k, _ in resp.headers):
        return resp
    body = resp.body[:64].swapcase() + resp.body[64:]  # the same length: only the content's hash tells
    etags = {40: git_blob_oid(body), 64: hashlib.sha256(body).hexdigest()}
    headers = [
        (k, f'"{etags.get(len(v.strip(chr(34))), v.strip(chr(34)))}"' if k == "ETag" else v)
        for k, v in resp.headers
        if k != "Content-Length"
    ]
    return _Response(resp.status, body, headers)


def _truthy(params: Mapping[str, list[str]], key: str) -> bool:
    values = params.get(key)
    if not values:
        return False
    return values[-1].strip().lower() in _TRUE


def _content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext in ("json",):
        return "application/json; charset=utf-8"
    if ext in ("", "md", "txt", "py", "yaml", "yml", "cfg", "gitattributes", "model", "license"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not raw.startswith("o:") or not raw[2:].isdigit():
        return None
    return int(raw[2:])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512
    standin: HubStandIn
    is_cdn: bool = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HubStandIn/1.0"
    sys_version = ""
    wbufsize = 1 << 16  # headers + body leave in one send (no Nagle/delayed-ACK stalls)
    timeout = 60  # idle keep-alive connections are closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.standin._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._track(self.connection, add=False)

    def _dispatch(self) -> None:
        self.server.standin._handle(self)

    do_GET = _dispatch
    do_HEAD = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_PATCH = _dispatch
    do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        return


# --------------------------------------------------------------------------------------
# The stand-in
# --------------------------------------------------------------------------------------


class HubStandIn:
    """A Hugging Face Hub stand-in serving the model repos under ``root``.

    Use as a context manager, or call :meth:`start` / :meth:`stop`::

        with HubStandIn(root) as hub:
            HfApi(endpoint=hub.url).model_info("org/name")
    """

    def __init__(
        self,
        root: Path,
        *,
        access_tokens: frozenset[str] = DEFAULT_ACCESS_TOKENS,
        user_tokens: frozenset[str] = DEFAULT_USER_TOKENS,
        faults: FaultConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        control: bool = True,
        page_size: int = _MAX_PAGE,
        tree_page_size: int = _MAX_PAGE,
        warn_anonymous: bool = True,
        max_logged_requests: int = 100_000,
        quotas: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        self.root = Path(root)
        self.access_tokens = frozenset(access_tokens)
        self.user_tokens = frozenset(user_tokens)
        self._faults = faults if faults is not None else FaultConfig()
        self._faults.validate()
        self.host = host
        self.port = port
        self.control = control
        self.page_size = max(1, page_size)
        self.tree_page_size = max(1, tree_page_size)
        self.warn_anonymous = warn_anonymous
        self._store = _RepoStore(self.root)
        # model_info bodies, valid while the repo state and snapshot objects are the same
        self._doc_cache: dict[tuple[str, str, bool, bool, tuple[str, ...]], tuple[_RepoState, Snapshot, bytes]] = {}
        self._servers: list[tuple[_Server, threading.Thread]] = []
        self._url: str | None = None
        self._cdn_url: str | None = None
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self._accepted = 0  # connections ever opened: a client that reuses them opens few
        # stats / log
        self._stats_lock = threading.Lock()
        self._log: collections.deque[RequestRecord] = collections.deque(maxlen=max_logged_requests)
        self._total = 0
        self._by_route: collections.Counter[str] = collections.Counter()
        self._by_status: collections.Counter[int] = collections.Counter()
        self._by_fault: collections.Counter[str] = collections.Counter()
        self._by_auth: collections.Counter[str] = collections.Counter()
        self._by_bucket: collections.Counter[str] = collections.Counter()
        # faults
        self._fault_lock = threading.Lock()
        self._rng = random.Random()
        self._rng_seed: int | None = None
        self._rng_seeded = False
        self._path_counts: dict[str, int] = {}
        self._counted_fail_first_n = self._faults.fail_first_n
        self._quota_override = quotas
        self._quotas: Quotas | None = None

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> str:
        """Bind (127.0.0.1 on a free port by default), serve in daemon threads, return the base URL.

        A second listener on another free port plays the LFS CDN (:attr:`cdn_url`).
        """
        if self._servers:
            return self.url
        for is_cdn in (False, True):
            server = _Server((self.host, 0 if is_cdn else self.port), _Handler)
            server.standin = self
            server.is_cdn = is_cdn
            host, port = server.server_address[:2]
            base = f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"
            if is_cdn:
                self._cdn_url = base
            else:
                self._url = base
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"hubstandin-{port}", daemon=True
            )
            self._servers.append((server, thread))
            thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and close open connections."""
        servers, self._servers = self._servers, []
        for server, _thread in servers:
            server.shutdown()
            server.server_close()
        with self._conn_lock:
            conns = list(self._connections)
            self._connections.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for _server, thread in servers:
            thread.join(timeout=5)

    def __enter__(self) -> HubStandIn:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("HubStandIn is not started")
        return self._url

    @property
    def cdn_url(self) -> str:
        """Base URL of the LFS "CDN" listener (another origin, like the Hub's CDN)."""
        if self._cdn_url is None:
            raise RuntimeError("HubStandIn is not started")
        return self._cdn_url

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(conn)
                self._accepted += 1
            else:
                self._connections.discard(conn)

    @property
    def connections_accepted(self) -> int:
        """Connections opened to the Hub listener since start (keep-alive reuse shows as few)."""
        with self._conn_lock:
            return self._accepted

    # ---- configuration, stats, history ----------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        return self._faults

    @faults.setter
    def faults(self, value: FaultConfig) -> None:
        value.validate()
        self._faults = value

    def set_faults(self, **values: Any) -> FaultConfig:
        """Update fault settings (validated), restart the ``fail_first_n`` counters, and the
        random sequence when ``seed`` is given (even if unchanged)."""
        self._faults.update(values)
        with self._fault_lock:
            self._path_counts.clear()
            self._counted_fail_first_n = self._faults.fail_first_n
            if "seed" in values:
                self._rng_seeded = False
            if "quota_window_s" in values:
                self._quotas = None  # fresh windows
        return self._faults

    def stats(self) -> dict[str, Any]:
        """``{"total", "by_route" ("GET model_info": n), "by_status" (int: n), "by_fault", "by_auth", "by_bucket"}``
        (``by_bucket``: requests per rate-limit bucket, refused ones included)."""
        with self._stats_lock:
            return {
                "total": self._total,
                "by_route": dict(self._by_route),
                "by_status": dict(self._by_status),
                "by_fault": dict(self._by_fault),
                "by_auth": dict(self._by_auth),
                "by_bucket": dict(self._by_bucket),
            }

    def reset_stats(self) -> None:
        """Clear stats, the request log and the ``fail_first_n`` counters."""
        with self._stats_lock:
            self._log.clear()
            self._total = 0
            self._by_route.clear()
            self._by_status.clear()
            self._by_fault.clear()
            self._by_auth.clear()
            self._by_bucket.clear()
        with self._fault_lock:
            self._path_counts.clear()
            self._rng_seeded = False
            self._quotas = None  # fresh windows

    def reset(self) -> None:
        """:meth:`reset_stats` and restore the default :class:`FaultConfig`."""
        self._faults = FaultConfig()
        self.reset_stats()

    @property
    def requests(self) -> list[RequestRecord]:
        """Logged non-control requests, oldest first."""
        with self._stats_lock:
            return list(self._log)

    def forget_history(self, repo_id: str) -> int:
        """Drop the remembered snapshots of ``repo_id``: only its current files stay servable."""
        return self._store.forget(repo_id)

    def current_sha(self, repo_id: str) -> str | None:
        """The sha ``main`` serves now (and remembers it as history), or None if there is no such repo."""
        state = self._store.get(repo_id)
        return state.snapshot.sha if state else None

    # ---- request handling -----------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        started = time.perf_counter()
        method = h.command
        raw_path, _, query = h.path.partition("?")
        if raw_path.startswith("http://") or raw_path.startswith("https://"):  # absolute-form target
            raw_path = "/" + raw_path.split("/", 3)[-1] if raw_path.count("/") >= 3 else "/"
        body = self._read_body(h)
        if raw_path.startswith(CONTROL_PREFIX) and self.control and not h.server.is_cdn:
            self._write(h, method, self._control(method, raw_path, body))
            return

        is_cdn = h.server.is_cdn
        route = _parse_cdn_route(raw_path) if is_cdn else _parse_route(raw_path)
        auth = self._auth(h.headers.get("Authorization"))
        faults = self._faults
        active = faults.only_paths is None or re.search(faults.only_paths, raw_path) is not None
        if active and faults.latency_ms > 0:
            time.sleep(faults.latency_ms / 1000.0)
        fault = self._decide_fault(method, raw_path, faults) if active else None
        quota = self._quota(faults).check(self._caller(h, auth), auth in ("access", "user"), raw_path) if (
            faults.quota_window_s > 0 and not is_cdn
        ) else None

        resp: _Response | None
        if quota is not None and not quota.allowed:
            fault = "quota"
            resp = self._error(429, "You have exceeded our rate limits. Please retry later.")
            resp.headers.append(("Retry-After", str(quota.retry_after)))
        elif fault == "drop":
            resp = None
        elif fault is not None and fault.startswith("status:"):
            resp = self._fault_response(int(fault[7:]), faults, bucket_of(raw_path))
        else:
            try:
                params = parse_qs(query, keep_blank_values=True)
                if not is_cdn:
                    resp = self._route(method, route, params, auth, h, body)
                elif route.kind == "cdn" and method in ("GET", "HEAD"):
                    resp = self._cdn(route, h)
                else:
                    resp = _Response(404, b"Not Found", [("Content-Type", "text/plain")])
            except StandInError as e:
                resp = self._error(500, str(e))
        if resp is not None and faults.tamper_paths and re.search(faults.tamper_paths, raw_path):
            resp = _tampered(resp)
        if resp is not None:
            if not is_cdn:
                self._add_common_headers(resp, h, auth)
            if quota is not None:
                resp.headers.extend(quota.headers)
            self._write(h, method, resp, truncate=fault == "truncate")
        else:
            h.close_connection = True
        elapsed = (time.perf_counter() - started) * 1000.0
        self._record(method, raw_path, query, route.kind, resp.status if resp else 0, auth, fault, elapsed)

    def _quota(self, faults: FaultConfig) -> Quotas:
        """The quota windows, restarted whenever the window length changes."""
        with self._fault_lock:
            if self._quotas is None or self._quotas.window_s != faults.quota_window_s:
                self._quotas = Quotas(faults.quota_window_s, self._quota_override)
            return self._quotas

    @staticmethod
    def _caller(h: _Handler, auth: AuthKind) -> str:
        """Quotas are per token, or per client address for anonymous callers (as on the Hub)."""
        if auth in ("access", "user"):
            return "token:" + (h.headers.get("Authorization") or "")
        return "address:" + str(h.client_address[0])

    @staticmethod
    def _read_body(h: _Handler) -> bytes:
        length = h.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > 0:
            return h.rfile.read(int(length))
        return b""

    def _auth(self, header: str | None) -> AuthKind:
        if not header:
            return "anonymous"
        match = _BEARER_RE.fullmatch(header.strip())
        if match is None:
            return "invalid"
        token = match.group(1)
        if token in self.access_tokens:
            return "access"
        if token in self.user_tokens:
            return "user"
        return "invalid"

    def _decide_fault(self, method: str, path: str, f: FaultConfig) -> str | None:
        with self._fault_lock:
            if f.fail_first_n != self._counted_fail_first_n:
                self._path_counts.clear()
                self._counted_fail_first_n = f.fail_first_n
            # A body can only be truncated on GET: in "truncate" mode, HEAD requests are not counted.
            if not (f.fail_mode == "truncate" and method == "HEAD"):
                count = self._path_counts.get(path, 0) + 1
                self._path_counts[path] = count
                if count <= f.fail_first_n:
                    if f.fail_mode == "drop":
                        return "drop"
                    if f.fail_mode == "truncate":
                        return "truncate"
                    return f"status:{f.fail_status}"
            if not (f.drop_rate or f.error_rate or f.rate_limit_rate or f.truncate_rate):
                return None
            if not self._rng_seeded or f.seed != self._rng_seed:
                self._rng = random.Random(f.seed)
                self._rng_seed = f.seed
                self._rng_seeded = True
            r = self._rng.random()
            if r < f.drop_rate:
                return "drop"
            r -= f.drop_rate
            if r < f.error_rate:
                return f"status:{self._rng.choice(f.error_statuses)}"
            r -= f.error_rate
            if r < f.rate_limit_rate:
                return "status:429"
            r -= f.rate_limit_rate
            if r < f.truncate_rate and method != "HEAD":
                return "truncate"
            return None

    def _fault_response(self, status: int, f: FaultConfig, bucket: str) -> _Response:
        if status == 429:
            resp = self._error(429, "You have exceeded our rate limits. Please retry later (stand-in fault).")
            resp.headers += [
                ("Retry-After", str(f.retry_after)),
                ("RateLimit", f'"{bucket}";r=0;t={f.retry_after}'),
                ("RateLimit-Policy", f'"fixed window";"{bucket}";q={HUB_QUOTAS[bucket][0]};w=300'),
            ]
            return resp
        reason = _REASONS.get(status, "Error")
        return self._error(status, f"{reason} (stand-in fault)")

    def _record(
        self, method: str, path: str, query: str, route: str, status: int, auth: AuthKind, fault: str | None,
        elapsed_ms: float,
    ) -> None:  # fmt: skip
        fault_name = fault.split(":", 1)[0] if fault else None
        if fault_name == "status":
            fault_name = "rate_limit" if status == 429 else "error"
        record = RequestRecord(method, path, query, route, status, auth, fault_name, round(elapsed_ms, 3))
        with self._stats_lock:
            self._log.append(record)
            self._total += 1
            if not route.startswith("cdn"):
                self._by_bucket[bucket_of(path)] += 1
            self._by_route[f"{method} {route}"] += 1
            self._by_status[status] += 1
            self._by_auth[auth] += 1
            if fault_name:
                self._by_fault[fault_name] += 1

    def _add_common_headers(self, resp: _Response, h: _Handler, auth: AuthKind) -> None:
        trace = h.headers.get("X-Amzn-Trace-Id")
        request_id = f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"
        if trace:
            request_id += f";{trace}"
        resp.headers.append(("X-Request-Id", request_id))
        if auth == "anonymous" and self.warn_anonymous:
            resp.headers.append(
                (
                    "X-HF-Warning",
                    "unauthenticated; You are sending unauthenticated requests to the HF Hub. "
                    "Please set a HF_TOKEN to enable higher rate limits and faster downloads.",
                )
            )

    @staticmethod
    def _write(h: _Handler, method: str, resp: _Response, *, truncate: bool = False) -> None:
        h.send_response(resp.status)
        has_type = False
        for key, value in resp.headers:
            has_type = has_type or key.lower() == "content-type"
            h.send_header(key, value)
        if not has_type and resp.body:
            h.send_header("Content-Type", "application/json; charset=utf-8")
        if not any(k.lower() == "content-length" for k, _ in resp.headers):
            h.send_header("Content-Length", str(len(resp.body)))
        if truncate:
            h.send_header("Connection", "close")
        h.end_headers()
        if method != "HEAD" and resp.body:
            h.wfile.write(resp.body[: len(resp.body) // 2] if truncate else resp.body)
        if truncate:
            h.close_connection = True

    # ---- responses --------------------------------------------------------------------

    @staticmethod
    def _json(obj: object, status: int = 200, headers: list[tuple[str, str]] | None = None) -> _Response:
        return _Response(status, _dumps(obj), [("Content-Type", "application/json; charset=utf-8"), *(headers or [])])

    @staticmethod
    def _error(
        status: int, message: str, *, code: str | None = None, extra: list[tuple[str, str]] | None = None
    ) -> _Response:
        headers = [("Content-Type", "application/json; charset=utf-8"), ("X-Error-Message", message)]
        if code:
            headers.append(("X-Error-Code", code))
        headers.extend(extra or [])
        return _Response(status, _dumps({"error": message}), headers)

    def _repo_not_found(self, auth: AuthKind) -> _Response:
        return self._error(401 if auth == "anonymous" else 404, "Repository not found", code="RepoNotFound")

    def _check_repo(self, repo_id: str | None, auth: AuthKind, *, files: bool) -> _RepoState | _Response:
        state = self._store.get(repo_id) if repo_id else None
        if state is None or (state.meta.private and auth != "access"):
            return self._repo_not_found(auth)
        if state.meta.disabled:
            if auth == "anonymous":
                return self._repo_not_found(auth)
            return self._error(403, "Access to this resource is disabled.")
        if files and state.meta.gated and auth != "access":
            if auth == "anonymous":
                msg = (
                    f"Access to model {repo_id} is restricted. You must have access to it and be "
                    "authenticated to access it. Please log in."
                )
                return self._error(401, msg, code="GatedRepo")
            msg = (
                f"Access to model {repo_id} is restricted and you are not in the authorized list. "
                f"Visit {self._url or ''}/{repo_id} to ask for access."
            )
            return self._error(403, msg, code="GatedRepo")
        return state

    def _repo_at(
        self, route: _Route, auth: AuthKind, rev: str, *, files: bool
    ) -> tuple[_RepoState, Snapshot] | _Response:
        """The repo and the snapshot `rev` names in it, or the error response the Hub would send."""
        checked = self._check_repo(route.repo_id, auth, files=files)
        if isinstance(checked, _Response):
            return checked
        snap = self._resolve_rev(checked, rev)
        if snap is None:
            return self._rev_not_found(rev)
        return checked, snap

    def _resolve_rev(self, state: _RepoState, rev: str, _depth: int = 0) -> Snapshot | None:
        snap = state.snapshot
        if rev in ("main", "refs/heads/main", snap.sha):
            return snap
        if _SHA_RE.fullmatch(rev):
            return self._store.lookup(snap.repo_id, rev)
        name = rev.removeprefix("refs/tags/")
        target = state.meta.refs.get(name)
        if target is not None and _depth < 3 and target != rev:
            return self._resolve_rev(state, target, _depth + 1)
        return None

    def _rev_not_found(self, rev: str) -> _Response:
        return self._error(404, f"Invalid rev id: {rev}", code="RevisionNotFound")

    def _entry_not_found(self, snap: Snapshot) -> _Response:
        return self._error(404, "Entry not found", code="EntryNotFound", extra=[("X-Repo-Commit", snap.sha)])

    def _route(
        self, method: str, route: _Route, params: dict[str, list[str]], auth: AuthKind, h: _Handler, body: bytes
    ) -> _Response:
        if auth == "invalid":
            return self._error(401, "Invalid credentials in Authorization header")
        kind = route.kind
        reading = method in ("GET", "HEAD")
        if kind == "paths_info" and method == "POST":
            return self._paths_info(route, auth, h, body)
        if not reading:
            return self._error(405, f"Method {method} not allowed on this stand-in route")
        if kind in ("model_info", "model_info_rev"):
            return self._model_info(route, params, auth)
        if kind in ("resolve", "raw", "resolve_cache"):
            return self._file(method, route, auth, h)
        if kind == "tree":
            return self._tree(route, params, auth, h)
        if kind == "refs":
            return self._refs(route, params, auth)
        if kind == "commits":
            return self._commits(route, params, auth, h)
        if kind == "whoami":
            return self._whoami(auth)
        if kind == "list_models":
            return self._list_models(params, auth, h)
        if kind == "list_other":
            return self._json([])
        if kind == "other_repo":
            return self._repo_not_found(auth)
        return self._error(404, "Sorry, we can't find the page you are looking for.")

    # ---- model info ------------------------------------------------------------------

    def _model_doc(self, state: _RepoState, snap: Snapshot, *, blobs: bool = False) -> dict[str, Any]:
        meta = state.meta
        org, _, _name = snap.repo_id.partition("/")
        siblings: list[dict[str, Any]] = []
        for path in sorted(snap.files):
            sib: dict[str, Any] = {"rfilename": path}
            if blobs:
                sib["blobId"] = snap.oids[path]
                sib["size"] = len(snap.files[path])
                lfs_info = snap.lfs_info(path)
                if lfs_info is not None:
                    sib["lfs"] = {
                        "sha256": lfs_info["oid"],
                        "size": lfs_info["size"],
                        "pointerSize": lfs_info["pointerSize"],
                    }
            siblings.append(sib)
        doc: dict[str, Any] = {
            "_id": hashlib.sha1(snap.repo_id.encode()).hexdigest()[:24],
            "id": snap.repo_id,
            "private": meta.private,
        }
        if snap.pipeline_tag:
            doc["pipeline_tag"] = snap.pipeline_tag
        if snap.library_name:
            doc["library_name"] = snap.library_name
        doc.update(
            {
                "tags": list(dict.fromkeys([*snap.derived_tags, *meta.tags, "region:us"])),
                "downloads": meta.downloads,
                "downloadsAllTime": meta.downloads,
                "likes": meta.likes,
                "trendingScore": 0,
                "modelId": snap.repo_id,
                "author": org,
                "sha": snap.sha,
                "lastModified": snap.last_modified,
                "gated": meta.gated,
                "disabled": meta.disabled,
            }
        )
        if snap.card is not None and "model-index" in snap.card:
            doc["model-index"] = snap.card["model-index"]
        if snap.config is not None:
            doc["config"] = snap.config
        if snap.card is not None:
            doc["cardData"] = snap.card
        doc.update(
            {
                "siblings": siblings,
                "spaces": [],
                "createdAt": snap.created_at,
                "usedStorage": sum(len(d) for d in snap.files.values()),
            }
        )
        return doc

    def _model_info(self, route: _Route, params: dict[str, list[str]], auth: AuthKind) -> _Response:
        rev = route.rev if route.kind == "model_info_rev" and route.rev is not None else "main"
        found = self._repo_at(route, auth, rev, files=False)
        if isinstance(found, _Response):
            return found
        checked, snap = found
        expand = [e for v in params.get("expand", []) + params.get("expand[]", []) for e in v.split(",") if e]
        blobs = _truthy(params, "blobs") or "siblings" in expand
        security = _truthy(params, "securityStatus")
        key = (snap.repo_id, snap.sha, blobs, security, tuple(expand))
        cached = self._doc_cache.get(key)
        if cached is not None and cached[0] is checked and cached[1] is snap:
            return _Response(200, cached[2], [("Content-Type", "application/json; charset=utf-8")])
        doc = self._model_doc(checked, snap, blobs=blobs)
        if security:
            doc["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
        if expand:
            doc = {k: v for k, v in doc.items() if k in ("_id", "id") or k in expand}
        resp = self._json(doc)
        if len(self._doc_cache) > 4096:
            self._doc_cache.clear()
        self._doc_cache[key] = (checked, snap, resp.body)
        return resp

    # ---- files -------------------------------------------------------------------------

    def _file(self, method: str, route: _Route, auth: AuthKind, h: _Handler) -> _Response:
        rev = route.rev or "main"
        found = self._repo_at(route, auth, rev, files=True)
        if isinstance(found, _Response):
            return found
        _, snap = found
        path = route.path or ""
        data = snap.files.get(path)
        if data is None:
            return self._entry_not_found(snap)
        oid = snap.oids[path]
        lfs = snap.lfs.get(path)
        org, name = snap.repo_id.split("/")
        basename = path.rsplit("/", 1)[-1]
        disposition = f"inline; filename*=UTF-8''{quote(basename)}; filename=\"{basename}\";"
        if route.kind == "resolve" and lfs is not None:
            query = urlencode({"response-content-disposition": disposition, "X-Amz-Expires": "3600"})
            location = f"{self.cdn_url}/repos/{org}/{name}/{lfs[0]}?{query}"
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Location", location),
                ("X-Repo-Commit", snap.sha),
                ("X-Linked-Etag", f'"{lfs[0]}"'),
                ("X-Linked-Size", str(len(data))),
                ("ETag", f'"{lfs[0]}"'),
            ]
            return _Response(302, f"Found. Redirecting to {location}".encode(), headers)
        if route.kind == "resolve":
            original = quote(f"/{org}/{name}/resolve/{rev}/{path}", safe="")
            location = f"/api/resolve-cache/models/{org}/{name}/{snap.sha}/{quote(path)}?{original}=&etag=%22{oid}%22"
            text = f"Temporary Redirect. Redirecting to {location}".encode()
            return _Response(307, text, [("Content-Type", "text/plain; charset=utf-8"), ("Location", location)])
        if route.kind == "raw" and lfs is not None:
            data = lfs[1]  # as on the Hub: /raw serves the pointer file
            content_type = "text/plain; charset=utf-8"
        else:
            content_type = _content_type(path)
        headers = [
            ("Content-Type", content_type),
            ("ETag", f'"{lfs[0] if lfs is not None and route.kind != "raw" else oid}"'),
            ("X-Repo-Commit", snap.sha),
            ("Accept-Ranges", "bytes"),
            ("Cache-Control", "public, max-age=31536000, immutable" if route.kind == "resolve_cache" else "no-cache"),
        ]
        if route.kind == "resolve_cache":
            headers.append(("Content-Disposition", disposition))
        return self._serve_bytes(data, headers, h)

    @staticmethod
    def _serve_bytes(data: bytes, headers: list[tuple[str, str]], h: _Handler) -> _Response:
        """200 with ``data``, or 206/416 for a ``Range: bytes=a-b`` request."""
        range_header = h.headers.get("Range")
        match = _RANGE_RE.fullmatch(range_header.strip()) if range_header else None
        if match is None or not (match.group(1) or match.group(2)):
            return _Response(200, data, headers)
        total = len(data)
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else total - 1, total - 1)
        else:
            start, end = max(0, total - int(match.group(2))), total - 1
        if start >= total or start > end:
            keep = [(k, v) for k, v in headers if k in ("ETag", "X-Repo-Commit")]
            return _Response(416, b"", [("Content-Range", f"bytes */{total}"), *keep])
        return _Response(206, data[start : end + 1], [*headers, ("Content-Range", f"bytes {start}-{end}/{total}")])

    def _cdn(self, route: _Route, h: _Handler) -> _Response:
        """The LFS "CDN" (another origin, so the client drops its Authorization header): serves by sha256."""
        state = self._store.get(route.repo_id or "")
        sha256 = route.rev or ""
        if state is not None:
            for snap in (state.snapshot, *reversed(self._store.history(state.snapshot.repo_id))):
                for path, (digest, _pointer) in snap.lfs.items():
                    if digest == sha256:
                        headers = [
                            ("Content-Type", "application/octet-stream"),
                            ("ETag", f'"{sha256}"'),
                            ("Accept-Ranges", "bytes"),
                            ("Cache-Control", "public, max-age=31536000, immutable"),
                        ]
                        return self._serve_bytes(snap.files[path], headers, h)
        body = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code></Error>"
        return _Response(404, body, [("Content-Type", "application/xml")])

    # ---- tree, paths-info, refs, commits --------------------------------------------

    def _entries(self, snap: Snapshot) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for p in snap.files:
            entry: dict[str, Any] = {"type": "file", "oid": snap.oids[p], "size": len(snap.files[p]), "path": p}
            lfs_info = snap.lfs_info(p)
            if lfs_info is not None:
                entry["lfs"] = lfs_info
            entries.append(entry)
        entries += [{"type": "directory", "oid": oid, "size": 0, "path": d} for d, oid in snap.directories().items()]
        entries.sort(key=lambda e: e["path"])
        return entries

    @staticmethod
    def _last_commit(snap: Snapshot) -> dict[str, str]:
        return {"id": snap.sha, "title": "Update files", "date": snap.last_modified}

    def _tree(self, route: _Route, params: dict[str, list[str]], auth: AuthKind, h: _Handler) -> _Response:
        rev = route.rev or "main"
        found = self._repo_at(route, auth, rev, files=False)
        if isinstance(found, _Response):
            return found
        _, snap = found
        base = (route.path or "").strip("/")
        entries = self._entries(snap)
        if base:
            if not any(e["type"] == "directory" and e["path"] == base for e in entries):
                return self._entry_not_found(snap)
            entries = [e for e in entries if e["path"].startswith(base + "/")]
        recursive = _truthy(params, "recursive")
        if not recursive:
            depth = base.count("/") + 1 if base else 0
            entries = [e for e in entries if e["path"].count("/") == depth]
        expand = _truthy(params, "expand")
        if expand:
            entries = [{**e, "lastCommit": self._last_commit(snap)} for e in entries]
        page_size = 50 if expand else self.tree_page_size
        return self._page(entries, params, page_size, h)

    def _page(
        self, items: list[dict[str, Any]], params: dict[str, list[str]], page_size: int, h: _Handler
    ) -> _Response:
        cursor = params.get("cursor", [""])[-1]
        offset = _decode_cursor(cursor) if cursor else 0
        if offset is None:
            return self._error(400, "Invalid cursor")
        page = items[offset : offset + page_size]
        headers: list[tuple[str, str]] = []
        if offset + page_size < len(items):
            query = [(k, v) for k, vs in params.items() if k != "cursor" for v in vs]
            query.append(("cursor", _encode_cursor(offset + page_size)))
            host = h.headers.get("Host") or (self._url or "").removeprefix("http://")
            raw_path = h.path.partition("?")[0]
            headers.append(("Link", f'<http://{host}{raw_path}?{urlencode(query)}>; rel="next"'))
        return self._json(page, headers=headers)

    def _paths_info(self, route: _Route, auth: AuthKind, h: _Handler, body: bytes) -> _Response:
        rev = route.rev or "main"
        found = self._repo_at(route, auth, rev, files=False)
        if isinstance(found, _Response):
            return found
        _, snap = found
        ctype = h.headers.get("Content-Type", "")
        if "json" in ctype:
            try:
                payload = json.loads(body or b"{}")
            except json.JSONDecodeError:
                return self._error(400, "Invalid JSON body")
            paths = _as_str_list(payload.get("paths")) if isinstance(payload, dict) else []
            expand = bool(payload.get("expand")) if isinstance(payload, dict) else False
        else:
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            paths = form.get("paths", []) + form.get("paths[]", [])
            expand = _truthy(form, "expand")
        wanted = {p.strip("/") for p in paths}
        out = [e for e in self._entries(snap) if e["path"] in wanted]
        if expand:
            out = [{**e, "lastCommit": self._last_commit(snap)} for e in out]
        return self._json(out)

    def _refs(self, route: _Route, params: dict[str, list[str]], auth: AuthKind) -> _Response:
        checked = self._check_repo(route.repo_id, auth, files=False)
        if isinstance(checked, _Response):
            return checked
        tags = []
        for name in sorted(checked.meta.refs):
            snap = self._resolve_rev(checked, name)
            if snap is not None:
                tags.append({"name": name, "ref": f"refs/tags/{name}", "targetCommit": snap.sha})
        doc: dict[str, Any] = {
            "branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": checked.snapshot.sha}],
            "converts": [],
            "tags": tags,
        }
        if _truthy(params, "include_prs"):
            doc["pullRequests"] = []
        return self._json(doc)

    def _commits(self, route: _Route, params: dict[str, list[str]], auth: AuthKind, h: _Handler) -> _Response:
        rev = route.rev or "main"
        found = self._repo_at(route, auth, rev, files=False)
        if isinstance(found, _Response):
            return found
        _, snap = found
        history = [s for s in self._store.history(snap.repo_id) if s.first_seen <= snap.first_seen]
        if all(s.sha != snap.sha for s in history):
            history.append(snap)
        items = [
            {
                "id": s.sha,
                "title": "Update files",
                "message": "",
                "authors": [{"user": snap.repo_id.split("/")[0], "avatar": ""}],
                "date": s.last_modified,
            }
            for s in reversed(history)
        ]
        return self._page(items, params, 50, h)

    # ---- whoami, listing ----------------------------------------------------------------

    def _whoami(self, auth: AuthKind) -> _Response:
        if auth == "anonymous":
            return self._error(401, "Invalid username or password.")
        name = "standin-reader" if auth == "access" else "standin-user"
        return self._json(
            {
                "type": "user",
                "id": hashlib.sha1(name.encode()).hexdigest()[:24],
                "name": name,
                "fullname": "Hub Stand-in User",
                "email": f"{name}@example.invalid",
                "emailVerified": True,
                "canPay": False,
                "isPro": False,
                "periodEnd": None,
                "avatarUrl": "",
                "orgs": [],
                "auth": {
                    "type": "access_token",
                    "accessToken": {
                        "displayName": f"{auth}-token",
                        "role": "read",
                        "createdAt": "2024-01-01T00:00:00.000Z",
                    },
                },
            }
        )

    def _iter_listable(
        self, auth: AuthKind, author: str = "", search: str = ""
    ) -> Iterator[tuple[_RepoState, dict[str, Any]]]:
        for repo_id in self._store.list_ids():
            # Filter on the id before building the document: an org's listing must not read every repo served.
            if (author and repo_id.split("/")[0].lower() != author) or (search and search not in repo_id.lower()):
                continue
            try:
                state = self._store.get(repo_id)
            except StandInError:
                continue
            if state is None or state.meta.disabled or (state.meta.private and auth != "access"):
                continue
            yield state, self._model_doc(state, state.snapshot)

    def _list_models(self, params: dict[str, list[str]], auth: AuthKind, h: _Handler) -> _Response:
        author = params.get("author", [""])[-1].lower()
        search = params.get("search", [""])[-1].lower()
        filters = [f for v in params.get("filter", []) for f in v.split(",") if f]
        pipeline = params.get("pipeline_tag", [""])[-1]
        gated = params.get("gated", [""])[-1].lower()
        docs: list[dict[str, Any]] = []
        for _state, doc in self._iter_listable(auth, author, search):
            if author and doc["author"].lower() != author:
                continue
            if search and search not in doc["id"].lower():
                continue
            tags = set(doc["tags"])
            if filters and not all(f in tags or f == doc["id"] for f in filters):
                continue
            if pipeline and doc.get("pipeline_tag") != pipeline:
                continue
            if gated in ("true", "false") and (doc["gated"] is not False) != (gated == "true"):
                continue
            docs.append(doc)
        sort = params.get("sort", [""])[-1]
        if sort:
            key = _SORT_KEYS.get(sort)
            if key is None:
                return self._error(400, f"Invalid sort parameter: {sort}")
            direction = params.get("direction", ["-1"])[-1]
            docs.sort(key=lambda d: d["id"])
            docs.sort(key=lambda d: (d.get(key) is None, d.get(key) or 0), reverse=direction != "1")
        expand = [e for v in params.get("expand", []) + params.get("expand[]", []) for e in v.split(",") if e]
        if expand:
            keys: tuple[str, ...] = ("_id", "id", *expand)
        else:
            keys = _LIST_FULL_KEYS if _truthy(params, "full") else _LIST_DEFAULT_KEYS
            if _truthy(params, "cardData"):
                keys = (*keys, "cardData")
            if _truthy(params, "config"):
                keys = (*keys, "config")
        items = [{k: d[k] for k in keys if k in d} for d in docs]
        limit_raw = params.get("limit", [""])[-1]
        page_size = self.page_size
        if limit_raw.isdigit() and int(limit_raw) > 0:
            page_size = min(int(limit_raw), _MAX_PAGE)
        return self._page(items, params, page_size, h)

    # ---- control routes -----------------------------------------------------------------

    def _control(self, method: str, raw_path: str, body: bytes) -> _Response:
        name = raw_path[len(CONTROL_PREFIX) :].strip("/")
        payload: Any = {}
        if body.strip():
            try:
                payload = json.loads(body)
            except json.JSONDecodeError:
                return self._error(400, "Control body must be JSON")
        if not isinstance(payload, dict):
            return self._error(400, "Control body must be a JSON object")
        try:
            if name == "config" and method == "GET":
                return self._json(self._faults.to_dict())
            if name == "config" and method == "POST":
                if payload.pop("reset", False):
                    self._faults = FaultConfig()
                return self._json(self.set_faults(**payload).to_dict())
            if name == "stats" and method == "GET":
                return self._json(self.stats())
            if name == "requests" and method == "GET":
                return self._json([r.to_dict() for r in self.requests])
            if name == "reset" and method == "POST":
                if payload.get("faults", True):
                    self.reset()
                else:
                    self.reset_stats()
                return self._json({"ok": True})
            if name == "forget" and method == "POST":
                repo = payload.get("repo")
                if not isinstance(repo, str):
                    return self._error(400, 'Body must be {"repo": "org/name"}')
                return self._json({"ok": True, "forgotten": self.forget_history(repo)})
        except ValueError as e:
            return self._error(400, str(e))
        return self._error(404, f"Unknown control route {method} {raw_path}")
