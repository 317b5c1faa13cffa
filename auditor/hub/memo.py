"""Per-run memo: each (repo, revision) is fetched once per run, however many models ask for it.

A base model shared by fifty fine-tunes is asked for by many workers at nearly the same moment;
a lock per key makes the first one fetch while the others wait for its answer, instead of all of
them sending the same request.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping

from auditor.hub.base import HubSource
from auditor.hub.content import is_full_sha
from auditor.hub.stats import Counters, merge
from auditor.models import FetchResult, HubModel
from auditor.share import shared, shared_data, with_shared


class MemoSource:
    """Wraps a source; thread-safe; remembers answers (errors included) for the life of the object."""

    def __init__(self, inner: HubSource) -> None:
        self.inner = inner
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._results: dict[tuple[str, str], FetchResult] = {}
        self._by_sha: dict[tuple[str, str], HubModel] = {}
        self._counters = Counters(["memo_hits"])

    def describe(self) -> str:
        return self.inner.describe()

    def stats(self) -> Mapping[str, int]:
        return merge(self.inner.stats(), self._counters.snapshot())

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        key = (repo_id, revision or "main")
        with self._guard:
            known = self._known(key)
            if known is not None:
                self._counters.add("memo_hits")
                return known
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                known = self._known(key)
                if known is not None:
                    self._counters.add("memo_hits")
                    return known
            result = held(self.inner.fetch(repo_id, revision))
            with self._guard:
                self._results[key] = result
                if isinstance(result, HubModel):
                    self._by_sha.setdefault((repo_id, result.sha), result)
                # Later askers find the answer; those already waiting hold this lock object itself.
                del self._locks[key]
            return result

    def _known(self, key: tuple[str, str]) -> FetchResult | None:
        """An answer for this key, or for the same commit asked for by another name (branch vs sha)."""
        found = self._results.get(key)
        if found is not None:
            return found
        repo_id, revision = key
        if is_full_sha(revision):
            same = self._by_sha.get((repo_id, revision))
            if same is not None:
                return dataclasses.replace(same, requested_revision=revision)
        return None


def held(result: FetchResult) -> FetchResult:
    """The answer as the memo (and the run's results) keep it until the report is written: equal, with
    the strings and files that repeat from repo to repo (tags, file names, card keys and values, license
    files, the fetch time) shared (see auditor/share.py)."""
    if not isinstance(result, HubModel):
        return shared(result)
    kept = with_shared(result, *_MODEL_PARTS)
    return dataclasses.replace(
        kept,
        card_data=shared_data(result.card_data),
        # Each name, not the tuple: a repo's own set rarely repeats, and the memo behind `shared` would
        # hold its long file lists after the run.
        tags=tuple(shared(tag) for tag in result.tags),
        siblings=tuple(shared(name) for name in result.siblings),
    )


_MODEL_PARTS = (
    "requested_revision", "gated", "last_modified", "license_files", "file_problems", "card_error",
    "fetched_at", "source",
)  # fmt: skip
