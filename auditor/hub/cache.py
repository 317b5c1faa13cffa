"""On-disk cache of Hub answers: one entry per model and revision asked for, by commit sha.

Layout under `<cache_dir>/hub-v2/<endpoint hash>/models/<2 hex>/<entry hash>.json`. The entry hash is the
sha256 of the repo id and the revision, so no repo id or revision can escape the folder, and the 256
folders are shared by all entries: a cold run creates them once, not one per model. An entry is
    {"format", "repo_id", "revision", "sha", "resolved_at", "authenticated", "model": <HubModel>}
- A revision that is a full 40-hex sha is its own resolution: that entry never expires, so a warm
  run of pinned models sends no request at all.
- A branch or tag's entry is fresh for `max_age` seconds. After that one `model_info` says whether it
  still points at the entry's commit, whose files then need no new request.
- A pinned lookup also takes the `main` entry when it holds that commit (a scan by branch followed by
  `lock` or `check`); when a branch moves on, its old entry is kept under its commit's name.
One file per model fetched: format 1 wrote a model file and a ref file, each in a folder of its own
(two folders and two atomic writes per model in a cold run). Writes are atomic (temp file +
os.replace) and not fsynced: an entry a crash left short fails to parse, is counted corrupt and
refetched. An entry that cannot be read, is too large or does not match its key is ignored and
refetched, never a crash. Errors are not cached: the next run tries again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from auditor import limits
from auditor.fileio import write_atomic
from auditor.hub.base import HubSource
from auditor.hub.content import epoch_of, is_full_sha, printable
from auditor.hub.serial import model_from_json, model_to_json
from auditor.hub.stats import Counters, merge
from auditor.inputfile import read_head
from auditor.models import FetchError, FetchErrorKind, FetchResult, HubModel

FORMAT = 2
DEFAULT_MAX_AGE = 3600.0
MAX_ENTRY_BYTES = limits.CACHE_ENTRY_BYTES
DEFAULT_BRANCH = "main"


@runtime_checkable
class ReusingSource(Protocol):
    """A source that can skip file downloads for a commit the cache already holds."""

    def fetch_reusing(
        self, repo_id: str, revision: str | None, reuse: Callable[[str], HubModel | None] | None
    ) -> FetchResult: ...


@dataclasses.dataclass(frozen=True)
class _Entry:
    """A model read back from disk, with when its revision was resolved to its commit."""

    model: HubModel
    resolved_at: float


class _Listing:
    """The entry names on disk, folder by folder, each folder listed once per run on first use.

    A cold run looks each model up twice before fetching it (its revision, then its commit): 2,000
    failed opens for 1,000 models, each a system call that hands the interpreter to another thread.
    A folder listed once answers the later lookups in it from memory. An entry another process
    writes after the listing is not seen: a miss, and the model is fetched again, never a wrong
    answer. Listings are kept up to `MAX_NAMES` names (a few MB); past that, lookups go to disk.
    """

    MAX_NAMES = 65536

    def __init__(self) -> None:
        self._folders: dict[Path, set[str] | None] = {}  # None: too many to keep, ask the disk
        self._names = 0
        self._lock = threading.Lock()

    def may_hold(self, path: Path) -> bool:
        """False only when the entry is known to be absent."""
        with self._lock:
            known = path.parent in self._folders
            names = self._folders.get(path.parent)
        if not known:
            names = self._list(path.parent)
        return names is None or path.name in names

    def add(self, path: Path) -> None:
        """An entry this run wrote (into a folder not listed yet, the listing will see it on disk)."""
        with self._lock:
            names = self._folders.get(path.parent)
            if names is not None and path.name not in names:
                names.add(path.name)
                self._names += 1

    def _list(self, folder: Path) -> set[str] | None:
        try:
            listed: set[str] | None = set(os.listdir(folder))
        except FileNotFoundError:
            listed = set()
        except OSError:
            listed = None  # cannot list it: let each open say
        with self._lock:
            if folder in self._folders:  # another thread listed it meanwhile
                return self._folders[folder]
            if listed is not None and self._names + len(listed) > self.MAX_NAMES:
                listed = None
            self._folders[folder] = listed
            self._names += len(listed) if listed is not None else 0
            return listed


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
        hold: int = 0,
        hold_seconds: float = 30.0,
    ) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)
        self.max_age = max_age
        self.offline = offline
        self._clock = clock
        self._root = hub_root(self.cache_dir, namespace if namespace is not None else inner.describe())
        self._has_token = bool(getattr(inner, "has_token", False)) if has_token is None else has_token
        # A Protocol isinstance check walks the protocol's members: once, not per model.
        self._reusing: ReusingSource | None = inner if isinstance(inner, ReusingSource) else None
        self._counters = Counters(
            ["cache_hits", "cache_misses", "cache_corrupt", "cache_write_errors", "offline_misses"]
        )
        self._listing = _Listing()
        self._folders = [self._root / "models" / f"{i:02x}" for i in range(256)]  # joined once, not per lookup
        # Entries held back and written together (see `flush`); 0: each is written when fetched.
        self._hold = hold
        self._hold_seconds = hold_seconds
        self._held: dict[Path, Mapping[str, Any]] = {}
        self._held_since = 0.0  # when the oldest entry held now was held
        self._held_lock = threading.Lock()

    def describe(self) -> str:
        return self.inner.describe()

    def stats(self) -> Mapping[str, int]:
        return merge(self.inner.stats(), self._counters.snapshot())

    def flush(self) -> None:
        """Write the entries held back. Why hold them: a cold run writes a file per model, and each
        write done between two network waits costs several times what it costs among other writes
        (measured: 0.3-0.4 s vs 0.06 s of CPU per 1,000 models), the kernel's and the processor's
        caches having gone cold meanwhile. Held entries answer lookups as written ones do. Up to
        `hold` entries are held, none for more than `hold_seconds`: a run killed before its flush
        loses at most those, and the next run fetches them again."""
        with self._held_lock:
            held, self._held = self._held, {}
        for path, data in held.items():
            self._write_now(path, data)

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        requested = revision or DEFAULT_BRANCH
        pinned = is_full_sha(revision)
        entry = self._load(repo_id, requested)
        model: HubModel | None = None
        if entry is not None and (pinned or self.offline or self._clock() - entry.resolved_at < self.max_age):
            model = entry.model
        elif pinned:
            model = self._on_branch(repo_id, requested)
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
        stale = entry.model if entry is not None else None
        if not pinned and self._reusing is not None:  # pinned: already known not to be here
            reuse = functools.partial(self._reusable, repo_id, requested, stale=stale)
            result = self._reusing.fetch_reusing(repo_id, revision, reuse)
        else:
            result = self.inner.fetch(repo_id, revision)
        if isinstance(result, HubModel):
            if stale is not None and stale.sha != result.sha:  # the branch moved on: keep its old commit
                self._keep(repo_id, requested, stale.sha)
            self._store(repo_id, requested, result)
        return result

    # ------------------------------------------------------------------ entries

    def _path(self, repo_id: str, revision: str) -> Path:
        digest = _digest(f"{repo_id}\n{revision}")
        return self._folders[int(digest[:2], 16)] / f"{digest[2:40]}.json"

    def _on_branch(self, repo_id: str, sha: str) -> HubModel | None:
        """The default branch's entry, when it holds this commit (fresh or not: a commit never changes)."""
        entry = self._load(repo_id, DEFAULT_BRANCH)
        return entry.model if entry is not None and entry.model.sha == sha else None

    def _reusable(self, repo_id: str, requested: str, sha: str, stale: HubModel | None) -> HubModel | None:
        """The files of this commit, if the cache holds it: the expired entry itself, the commit's own
        entry, or the default branch's (already read when it is the one asked for)."""
        if stale is not None and stale.sha == sha:
            return stale
        entry = self._load(repo_id, sha)
        if entry is not None:
            return entry.model
        return self._on_branch(repo_id, sha) if requested != DEFAULT_BRANCH else None

    def _load(self, repo_id: str, revision: str) -> _Entry | None:
        data = self._read(self._path(repo_id, revision))
        if data is None:
            return None
        try:
            model = model_from_json(data.get("model"))
            at = data.get("resolved_at")
            authenticated = data.get("authenticated")
            if not isinstance(at, int | float) or isinstance(at, bool) or not isinstance(authenticated, bool):
                raise ValueError("entry fields of the wrong type")
            # Under its revision's name, or a branch's old entry kept under its commit's (see _keep).
            named = data.get("revision") == revision or model.sha == revision
            if not named or data.get("repo_id") != repo_id or model.repo_id != repo_id or model.sha != data.get("sha"):
                raise ValueError("entry does not match its key")
            if not is_full_sha(model.sha):
                raise ValueError("entry without a commit sha")
        except (ValueError, TypeError):
            self._counters.add("cache_corrupt")
            return None
        if self._has_token and not authenticated and any(p.kind == "gated" for p in model.file_problems):
            return None  # read without a token; now that we have one, the gated files may be readable
        if not model.source.startswith("cache:"):
            model = dataclasses.replace(model, source=f"cache:{model.source}")
        return _Entry(model, float(at))

    def _store(self, repo_id: str, revision: str, model: HubModel) -> None:
        if model.source.startswith("cache:"):
            model = dataclasses.replace(model, source=model.source[len("cache:") :])
        entry = {
            "format": FORMAT,
            "repo_id": repo_id,
            "revision": revision,
            "sha": model.sha,
            # No later than the Hub's answer: one taken from a cached listing is as old as that listing.
            "resolved_at": min(self._clock(), epoch_of(model.fetched_at)),
            "authenticated": self._has_token,
            "model": model_to_json(model),
        }
        self._write(self._path(repo_id, revision), entry)

    def _keep(self, repo_id: str, revision: str, sha: str) -> None:
        """Move a branch's superseded entry to its commit's name (best effort: a cache, not a record)."""
        source, target = self._path(repo_id, revision), self._path(repo_id, sha)
        with self._held_lock:
            if source in self._held:  # not written yet: it is written under its commit's name instead
                self._held[target] = self._held.pop(source)
                return
        with contextlib.suppress(OSError):
            try:
                os.replace(source, target)
            except FileNotFoundError:  # the commit's folder is new (or the entry is gone: then this fails too)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
            self._listing.add(target)

    def _read(self, path: Path) -> Mapping[str, Any] | None:
        if self._held:
            with self._held_lock:
                held = self._held.get(path)
            if held is not None:
                return held
        if not self._listing.may_hold(path):
            return None
        return read_entry(path, lambda: self._counters.add("cache_corrupt"))

    def _write(self, path: Path, data: Mapping[str, Any]) -> None:
        if self._hold:
            now = self._clock()
            with self._held_lock:
                if not self._held:
                    self._held_since = now
                self._held[path] = data
                # A bound on memory, and on what a run killed before its flush loses (the next run refetches it).
                full = len(self._held) >= self._hold or now - self._held_since >= self._hold_seconds
            if full:
                self.flush()
            return
        self._write_now(path, data)

    def _write_now(self, path: Path, data: Mapping[str, Any]) -> None:
        """Atomic: readers see the old entry or the new one, never half of one. Failure is not fatal."""
        try:
            write_atomic(path, json.dumps(data, sort_keys=True, ensure_ascii=False))
        except (OSError, ValueError, TypeError):  # a disk problem, or a value JSON or UTF-8 cannot carry
            self._counters.add("cache_write_errors")
        else:
            self._listing.add(path)


def hub_root(cache_dir: Path, namespace: str) -> Path:
    """The folder of one endpoint's answers (the listing cache, listcache.py, keeps its own beside them)."""
    return cache_dir / f"hub-v{FORMAT}" / _digest(namespace)[:16]


def read_entry(path: Path, corrupt: Callable[[], None]) -> dict[str, Any] | None:
    """One entry of this format, read with a bound; None when absent, and `corrupt()` is called when
    it cannot be read, is too large, is not JSON or is of another format."""
    try:  # a FIFO, device or link planted in the folder is refused, never waited on or followed
        raw, _size, cut = read_head(path, MAX_ENTRY_BYTES, follow_links=False)
    except FileNotFoundError:
        return None
    except OSError:
        corrupt()
        return None
    try:
        if cut:
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
