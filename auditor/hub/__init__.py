"""The hub layer: the only package that talks to the network.

`open_source(...)` composes, for one run, where answers come from (the Hub through
huggingface_hub, a local mirror, or a snapshot), the on-disk cache, snapshot recording and a
per-run memo. Every source returns a `HubModel` or a `FetchError` value; none raises for one
repo's failure.
"""

from auditor.hub.base import HubSource
from auditor.hub.cache import CachedSource
from auditor.hub.dirsource import DirSource
from auditor.hub.factory import ComposedSource, default_cache_dir, open_source, resolve_endpoint, resolve_token
from auditor.hub.hfclient import HfHubSource
from auditor.hub.memo import MemoSource
from auditor.hub.serial import result_from_json, result_to_json
from auditor.hub.snapshot import SnapshotRecorder, SnapshotSource

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
