"""The hub layer: the only package that talks to the network.

`open_source(...)` composes, for one run, where answers come from (the Hub through
huggingface_hub, a local mirror, or a snapshot), the on-disk cache, snapshot recording and a
per-run memo. Every source returns a `HubModel` or a `FetchError` value; none raises for one
repo's failure.

Names are imported on first use: `auditor.hub.base` (all the audit engine needs) must not pull in
huggingface_hub, which only a run that sends a request needs (hub/deferred.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.hub.base import HubSource
    from auditor.hub.cache import CachedSource
    from auditor.hub.dirsource import DirSource
    from auditor.hub.factory import ComposedSource, default_cache_dir, open_source, resolve_endpoint, resolve_token
    from auditor.hub.hfclient import HfHubSource
    from auditor.hub.memo import MemoSource
    from auditor.hub.serial import result_from_json, result_to_json
    from auditor.hub.snapshot import SnapshotRecorder, SnapshotSource

_WHERE = {
    "CachedSource": "cache",
    "ComposedSource": "factory",
    "DirSource": "dirsource",
    "HfHubSource": "hfclient",
    "HubSource": "base",
    "MemoSource": "memo",
    "SnapshotRecorder": "snapshot",
    "SnapshotSource": "snapshot",
    "default_cache_dir": "factory",
    "open_source": "factory",
    "resolve_endpoint": "factory",
    "resolve_token": "factory",
    "result_from_json": "serial",
    "result_to_json": "serial",
}

__all__ = [
    "CachedSource",
    "ComposedSource",
    "DirSource",
    "HfHubSource",
    "HubSource",
    "MemoSource",
    "SnapshotRecorder",
    "SnapshotSource",
    "default_cache_dir",
    "open_source",
    "resolve_endpoint",
    "resolve_token",
    "result_from_json",
    "result_to_json",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
