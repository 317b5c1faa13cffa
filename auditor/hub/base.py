"""The one interface behind which the network (or a mirror, cache or snapshot) lives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from auditor.models import FetchResult


class HubSource(Protocol):
    """Answers "what does the Hub say about this repo at this revision?".

    Implementations never raise for a single repo's failure: they return a `FetchError` value, so
    one bad model never stops a run. They must be safe to call from several threads at once.
    """

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        """Model info, card data, tags, gating and license file texts, pinned to a commit sha."""
        ...

    def describe(self) -> str:
        """Where answers come from, for reports: an endpoint URL, `hub-dir:PATH`, `snapshot:PATH`."""
        ...

    def stats(self) -> Mapping[str, int]:
        """Counters for `--stats`: requests made, cache hits, retries…"""
        ...


@runtime_checkable
class HoldsWrites(Protocol):
    """A source that holds writes back (the on-disk cache) until told to write them."""

    def flush(self) -> None:
        """Write what is held: at the end of a run, before its counters are read."""
        ...
