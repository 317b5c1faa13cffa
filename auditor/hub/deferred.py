"""The Hub client (and the listing cache, which uses it), made on its first request.

Importing huggingface_hub's `HfApi` and its HTTP stack costs about 0.2 s of CPU, a third of a
CLI run's start-up. A run the on-disk cache answers entirely (a pinned rerun, `--offline`, a
fresh branch) sends no request, so it never pays it: the client is made, from the options the
run chose, when the first request is about to be sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from auditor.hub.blobs import BlobStore
from auditor.hub.content import MAX_FILE_BYTES
from auditor.hub.stats import CLIENT_COUNTERS, LISTING_COUNTERS
from auditor.models import FetchResult, HubModel

if TYPE_CHECKING:
    from huggingface_hub import ModelInfo

    from auditor.hub.hfclient import HfHubSource
    from auditor.hub.listcache import ListingCache
    from auditor.hub.ratelimit import Wait

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_TIMEOUT = 20.0
DEFAULT_RETRIES = 4


class DeferredClient:
    """Stands for `HfHubSource(endpoint, token, **options)` (same methods) and makes it when first asked."""

    def __init__(
        self, endpoint: str, token: str | None, *, blob_store: BlobStore | None = None, **options: Any
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._token = token or None
        # Made here when not given, as HfHubSource would, so its counters are there from the start.
        if blob_store is None:
            blob_store = BlobStore(None, max_bytes=options.get("max_file_bytes", MAX_FILE_BYTES))
        self._blobs = blob_store
        self._options = options
        self._lock = threading.Lock()
        self._client: HfHubSource | None = None
        self._cancelled = False
        # a cached listing's entries and when it was listed, until the client is made
        self._listed: list[tuple[list[ModelInfo | Mapping[str, Any]], float | None]] = []

    def client(self) -> HfHubSource:
        """The real client, made once (by whichever worker asks first)."""
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                from auditor.hub.hfclient import HfHubSource

                made = HfHubSource(self.endpoint, self._token, blob_store=self._blobs, **self._options)
                if self._cancelled:
                    made.cancel()
                for infos, listed_at in self._listed:
                    made.adopt_listed(infos, listed_at)
                self._listed = []
                self._client = made
            return self._client

    # ------------------------------------------------------------------ what HfHubSource offers

    def describe(self) -> str:
        return self.endpoint

    @property
    def has_token(self) -> bool:
        return self._token is not None

    def stats(self) -> Mapping[str, int]:
        if self._client is None:
            return {**dict.fromkeys(CLIENT_COUNTERS, 0), **self._blobs.stats(), "quota_wait_s": 0}
        return self._client.stats()

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        return self.client().fetch(repo_id, revision)

    def fetch_reusing(
        self, repo_id: str, revision: str | None, reuse: Callable[[str], HubModel | None] | None
    ) -> FetchResult:
        return self.client().fetch_reusing(repo_id, revision, reuse)

    def list_models(self, *, author: str | None = None, search: str | None = None) -> tuple[str, ...]:
        return self.client().list_models(author=author, search=search)

    def list_infos(self, *, author: str | None = None, search: str | None = None) -> tuple[ModelInfo, ...]:
        return self.client().list_infos(author=author, search=search)

    def adopt_listed(self, infos: Iterable[ModelInfo | Mapping[str, Any]], listed_at: float | None = None) -> None:
        """Kept for the client when it is made: a warm `--author` run may never need it."""
        with self._lock:
            if self._client is None:
                self._listed.append((list(infos), listed_at))
                return
        self._client.adopt_listed(infos, listed_at)

    def quota_wait(self) -> Wait | None:
        return self._client.quota_wait() if self._client is not None else None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._client is not None:
                self._client.cancel()


class DeferredListings:
    """Stands for the listing cache (hub/listcache.py, which needs the client) until a run lists models."""

    def __init__(self, make: Callable[[], ListingCache]) -> None:
        self._make = make
        self._listings: ListingCache | None = None

    def stats(self) -> Mapping[str, int]:
        return dict.fromkeys(LISTING_COUNTERS, 0) if self._listings is None else self._listings.stats()

    def list_models(self, *, author: str | None = None, search: str | None = None) -> tuple[str, ...]:
        if self._listings is None:
            self._listings = self._make()
        return self._listings.list_models(author=author, search=search)
