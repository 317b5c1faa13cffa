"""Thread-safe counters each source layer keeps, merged on the way up for `--stats`."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping


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
