"""Thread-safe counters each source layer keeps, merged on the way up for `--stats`."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

# What the Hub client counts (with `quota_wait_s`); reported at zero before it is made (hub/deferred.py).
CLIENT_COUNTERS = (
    "requests", "requests_model_info", "requests_file", "requests_api", "requests_resolvers", "retries",
    "rate_limited", "failures", "blob_mismatches", "requests_listing",
)  # fmt: skip
# What the listing cache counts; reported at zero before a run lists models (hub/deferred.py).
LISTING_COUNTERS = ("listing_cache_hits", "listing_cache_misses", "listing_corrupt")


class Counters:
    """Named integer counters; every name given at creation is reported, even at zero."""

    def __init__(self, names: Iterable[str]) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(names, 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] = self._values.get(name, 0) + amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)


def merge(*parts: Mapping[str, int]) -> dict[str, int]:
    """Sum counters from several layers; layers use distinct names, so this mostly concatenates."""
    total: dict[str, int] = {}
    for part in parts:
        for name, value in part.items():
            total[name] = total.get(name, 0) + value
    return dict(sorted(total.items()))
