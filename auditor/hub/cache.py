"""On-disk cache of Hub answers: content by commit sha (immutable), branch -> sha with a TTL.

Layout under `<cache_dir>/hub-v1/<endpoint hash>/` (one JSON file per entry, file names are hashes
so no repo id or revision can escape the folder):
    models/<repo hash>/<sha>.json       a HubModel at that commit; never expires
    refs/<repo hash>/<revision hash>.json   {"sha", "resolved_at"}; fresh for `max_age` seconds
A full 40-hex sha is its own resolution, so a warm run of pinned models sends no request at all.
Writes are atomic (temp file + os.replace); an entry that cannot be read or does not match its key
is ignored and refetched, never a crash. Errors are not cached: the next run tries again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from auditor import limits
from auditor.fileio import write_atomic
from auditor.hub.base import HubSource
from auditor.hub.content import is_full_sha, printable
from auditor.hub.serial import model_from_json, model_to_json
from auditor.hub.stats import Counters, merge
from auditor.models import FetchError, FetchErrorKind, FetchResult, HubModel

FORMAT = 1
DEFAULT_MAX_AGE = 3600.0
MAX_ENTRY_BYTES = limits.CACHE_ENTRY_BYTES


@runtime_checkable
class ReusingSource(Protocol):
    """A source that can skip file downloads for a commit the cache already holds."""

    def fetch_reusing(
        self, repo_id: str, revision: str | None, reuse: Callable[[str], HubModel | None] | None
    ) -> FetchResult: ...


class CachedSource:
    """Answers from disk when it can, else asks `inner` and remembers the answer."""

    def __init__(
        self,
        inner: HubSource,
        cache_dir: str | os.PathLike[str],
        *,
        max_age: float = DEFAULT_MAX_AGE,
        offline: bool = False,
        clock: Callable[[], float] = time.time,
        namespace: str | None = None,
        has_token: bool | None = None,
    ) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)
        self.max_age = max_age
        self.offline = offline
        self._clock = clock
        self._root = hub_root(self.cache_dir, namespace if namespace is not None else inner.describe())
        self._has_token = bool(getattr(inner, "has_token", False)) if has_token is None else has_token
        self._counters = Counters(
            ["cache_hits", "cache_misses", "cache_corrupt", "cache_write_errors", "offline_misses"]
        )

    def describe(self) -> str:
        return self.inner.describe()

    def stats(self) -> Mapping[str, int]:
        return merge(self.inner.stats(), self._counters.snapshot())

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        requested = revision or "main"
        pinned = is_full_sha(revision)
        ref: Mapping[str, Any] | None = None
        if pinned:
            assert revision is not None
            model = self._load_model(repo_id, revision)
        else:
            ref = self._load_ref(repo_id, requested)
            fresh = ref is not None and (self.offline or self._clock() - float(ref["resolved_at"]) < self.max_age)
            model = self._load_model(repo_id, str(ref["sha"])) if ref is not None and fresh else None
        if model is not None:
            self._counters.add("cache_hits")
            return dataclasses.replace(model, requested_revision=requested)
        if self.offline:
            self._counters.add("offline_misses")
            return FetchError(
                repo_id=repo_id,
                requested_revision=requested,
                kind=FetchErrorKind.OFFLINE_MISS,
                message=printable(f"{repo_id}@{requested}: not in the cache at {self.cache_dir} (offline)", 1000),
            )
        self._counters.add("cache_misses")
        if not pinned and isinstance(self.inner, ReusingSource):  # pinned: already known not to be here
            result = self.inner.fetch_reusing(repo_id, revision, lambda sha: self._load_model(repo_id, sha))
        else:
            result = self.inner.fetch(repo_id, revision)
        if isinstance(result, HubModel):
            self._store_model(result)
            if not pinned:
                self._write(
                    self._ref_path(repo_id, requested),
                    {
                        "format": FORMAT,
                        "repo_id": repo_id,
                        "revision": requested,
                        "sha": result.sha,
                        "resolved_at": self._clock(),
                    },
                )
        return result

    # ------------------------------------------------------------------ entries

    def _model_path(self, repo_id: str, sha: str) -> Path:
        return self._root / "models" / _digest(repo_id)[:32] / f"{sha}.json"

    def _ref_path(self, repo_id: str, revision: str) -> Path:
        return self._root / "refs" / _digest(repo_id)[:32] / f"{_digest(revision)[:32]}.json"

    def _load_ref(self, repo_id: str, revision: str) -> Mapping[str, Any] | None:
        data = self._read(self._ref_path(repo_id, revision))
        if data is None:
            return None
        sha = data.get("sha")
        at = data.get("resolved_at")
        valid = (
            data.get("repo_id") == repo_id
            and data.get("revision") == revision
            and isinstance(sha, str)
            and is_full_sha(sha)
            and isinstance(at, (int, float))
            and not isinstance(at, bool)
        )
        if not valid:
            self._counters.add("cache_corrupt")
            return None
        return data

    def _load_model(self, repo_id: str, sha: str) -> HubModel | None:
        if not is_full_sha(sha):
            return None
        data = self._read(self._model_path(repo_id, sha))
        if data is None:
            return None
        try:
            model = model_from_json(data.get("model"))
            authenticated = data.get("authenticated")
            if model.repo_id != repo_id or model.sha != sha or not isinstance(authenticated, bool):
                raise ValueError("entry does not match its key")
        except (ValueError, TypeError):
            self._counters.add("cache_corrupt")
            return None
        if self._has_token and not authenticated and any(p.kind == "gated" for p in model.file_problems):
            return None  # read without a token; now that we have one, the gated files may be readable
        if not model.source.startswith("cache:"):
            model = dataclasses.replace(model, source=f"cache:{model.source}")
        return model

    def _store_model(self, model: HubModel) -> None:
        if model.source.startswith("cache:"):
            model = dataclasses.replace(model, source=model.source[len("cache:") :])
        self._write(
            self._model_path(model.repo_id, model.sha),
            {"format": FORMAT, "authenticated": self._has_token, "model": model_to_json(model)},
        )

    def _read(self, path: Path) -> dict[str, Any] | None:
        return read_entry(path, lambda: self._counters.add("cache_corrupt"))

    def _write(self, path: Path, data: Mapping[str, Any]) -> None:
        """Atomic: readers see the old entry or the new one, never half of one. Failure is not fatal."""
        try:
            write_atomic(path, json.dumps(data, sort_keys=True, ensure_ascii=False))
        except OSError:
            self._counters.add("cache_write_errors")


def hub_root(cache_dir: Path, namespace: str) -> Path:
    """The folder of one endpoint's answers (the listing cache, listcache.py, keeps its own beside them)."""
    return cache_dir / f"hub-v{FORMAT}" / _digest(namespace)[:16]


def read_entry(path: Path, corrupt: Callable[[], None]) -> dict[str, Any] | None:
    """One entry of this format, read with a bound; None when absent, and `corrupt()` is called when
    it cannot be read, is too large, is not JSON or is of another format."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_ENTRY_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError:
        corrupt()
        return None
    try:
        if len(raw) > MAX_ENTRY_BYTES:
            raise ValueError("entry too large")
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not an entry of this format")
    except (ValueError, UnicodeDecodeError, RecursionError):
        corrupt()
        return None
    return data


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
