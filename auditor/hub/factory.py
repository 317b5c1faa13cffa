"""Composes the sources for one run from the command-line choices.

    snapshot replay | hub-dir mirror | on-disk cache -> HfHubSource      (where answers come from)
      -> snapshot recorder (with --save-snapshot)                         (what the run saw)
        -> per-run memo                                                   (each repo once per run)

Token: `--token`, else `HF_TOKEN`, else none. A token saved on this machine by `hf auth login` is
deliberately NOT used implicitly: an audit must give the same answer on a laptop and in CI, so
which credentials it ran with is always visible in the command or its environment.
Endpoint: `--endpoint`, else `HF_ENDPOINT`, else https://huggingface.co. `HF_HUB_OFFLINE=1` means
`--offline`, as it does for every Hugging Face tool.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import platformdirs

from auditor.errors import UsageError
from auditor.hub.base import HubSource
from auditor.hub.blobs import BLOBS_FOLDER, BlobStore
from auditor.hub.cache import DEFAULT_MAX_AGE, CachedSource, hub_root
from auditor.hub.content import MAX_FILE_BYTES
from auditor.hub.deferred import DEFAULT_ENDPOINT, DEFAULT_RETRIES, DEFAULT_TIMEOUT, DeferredClient, DeferredListings
from auditor.hub.memo import MemoSource
from auditor.hub.snapshot import SnapshotRecorder, SnapshotSource
from auditor.hub.stats import merge
from auditor.models import FetchResult

if TYPE_CHECKING:  # they import huggingface_hub: only runs that send a request pay for that (hub/deferred.py)
    from auditor.hub.listcache import ListingCache
    from auditor.hub.ratelimit import Wait

_TRUE = ("1", "true", "yes", "on")
HELD_ENTRIES = 1024  # cache entries held back before they are written (see CachedSource.flush): ~3-30 MB


class ComposedSource:
    """The source a run uses: a HubSource with `close()`, which saves the snapshot if one is recorded.

    Use it as a context manager, or call `close()` in a `finally`, so an interrupted run still
    leaves the evidence of what it fetched.
    """

    def __init__(
        self,
        top: HubSource,
        recorder: SnapshotRecorder | None = None,
        client: DeferredClient | None = None,
        *,
        offline: bool = False,
        listings: DeferredListings | None = None,
        cache: CachedSource | None = None,
    ) -> None:
        self._top = top
        self._cache = cache
        self._offline = offline
        self._listings = listings
        self._recorder = recorder
        self._client = client
        self._closed = False

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        return self._top.fetch(repo_id, revision)

    def describe(self) -> str:
        return self._top.describe()

    def stats(self) -> Mapping[str, int]:
        return merge(self._top.stats(), self._listings.stats() if self._listings is not None else {})

    def list_models(self, *, author: str | None = None, search: str | None = None) -> tuple[str, ...]:
        """The Hub's paged listing (see `HfHubSource.list_infos`), through the listing cache unless
        --no-cache; the models it lists are then fetched from what it said, with no model_info call
        each. A mirror or a snapshot has no listing; --offline has the cached one."""
        if self._listings is not None:
            return self._listings.list_models(author=author, search=search)
        if self._client is None or self._offline:
            raise UsageError(
                "--author and --search list models on the Hub: not with --hub-dir, --snapshot, uncached --offline"
            )
        return self._client.list_models(author=author, search=search)

    def quota_wait(self) -> Wait | None:
        """The wait for a Hub rate-limit bucket in progress, for the progress display; None if none."""
        return self._client.quota_wait() if self._client is not None else None

    def flush(self) -> None:
        """Write the cache entries held back (see `CachedSource.flush`)."""
        if self._cache is not None:
            self._cache.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._client is not None:
            self._client.cancel()  # workers still backing off (after Ctrl-C) give up instead of holding the exit
        self.flush()
        if self._recorder is not None:
            self._recorder.save()

    def __enter__(self) -> ComposedSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _listings(
    client: DeferredClient,
    cache_root: Path,
    token: str | None,
    max_age: float,
    offline: bool,
    clock: Callable[[], float],
) -> ListingCache:
    from auditor.hub.listcache import ListingCache, token_scope

    return ListingCache(
        client,
        hub_root(cache_root, client.describe()),
        scope=token_scope(token),
        max_age=max_age,
        offline=offline,
        clock=clock,
        shown_dir=cache_root,
    )


def resolve_endpoint(endpoint: str | None) -> str:
    value = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"endpoint must be an http(s) URL, got {value!r}")
    return value


def resolve_token(token: str | None) -> str | None:
    """`--token`, else `HF_TOKEN`; never the token file saved by `hf auth login` (see module doc)."""
    value = token if token is not None else os.environ.get("HF_TOKEN")
    value = (value or "").strip()
    return value or None


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("auditor"))


def open_source(
    *,
    endpoint: str | None = None,
    token: str | None = None,
    hub_dir: str | os.PathLike[str] | None = None,
    snapshot: str | os.PathLike[str] | None = None,
    save_snapshot: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    no_cache: bool = False,
    offline: bool = False,
    max_age: float = DEFAULT_MAX_AGE,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.time,
    card_first: bool = False,
) -> ComposedSource:
    """The source for one run. Raises `UsageError` for contradictory choices, `InputFileError` for a
    snapshot that cannot be read. Call `close()` at the end: it saves `save_snapshot` and makes
    requests still backing off give up (so Ctrl-C is not held up by a long Retry-After).
    `card_first`: see `HfHubSource` (anonymous runs only; off by default: it skips the file list)."""
    if snapshot is not None and hub_dir is not None:
        raise UsageError("--snapshot and --hub-dir both say where models come from: choose one")
    if offline and no_cache and snapshot is None and hub_dir is None:
        raise UsageError("--offline answers from the cache, so it cannot be combined with --no-cache")
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    if retries < 0:
        raise UsageError("--retries must be zero or more")
    if max_age < 0:
        raise UsageError("--max-age must be zero or more")
    offline = offline or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE

    base: HubSource
    cache: CachedSource | None = None
    client: DeferredClient | None = None
    listings: DeferredListings | None = None
    if snapshot is not None:
        base = SnapshotSource(snapshot)
    elif hub_dir is not None:
        root = Path(hub_dir)
        if not root.is_dir():
            raise UsageError(f"--hub-dir {root}: not a directory")
        from auditor.hub.dirsource import DirSource

        base = DirSource(root, clock=clock)
    else:
        cache_root = None if no_cache else Path(cache_dir) if cache_dir is not None else default_cache_dir()
        client = DeferredClient(
            resolve_endpoint(endpoint),
            resolve_token(token),
            timeout=timeout,
            retries=retries,
            sleep=sleep,
            clock=clock,
            card_first=card_first,
            # Content-addressed and checked on every read, so one folder serves every endpoint.
            blob_store=BlobStore(cache_root / BLOBS_FOLDER if cache_root else None, max_bytes=MAX_FILE_BYTES),
        )
        if cache_root is None:
            base = client
        else:
            base = cache = CachedSource(
                client, cache_root, max_age=max_age, offline=offline, clock=clock, hold=HELD_ENTRIES
            )
            listings = DeferredListings(
                functools.partial(_listings, client, cache_root, resolve_token(token), max_age, offline, clock)
            )

    recorder = SnapshotRecorder(base, save_snapshot, clock=clock) if save_snapshot is not None else None
    top = MemoSource(recorder if recorder is not None else base)
    return ComposedSource(top, recorder, client, offline=offline, listings=listings, cache=cache)
