"""Snapshots: everything a run fetched, in one JSON file, replayable with no network.

A snapshot is the evidence archive behind a report: every HubModel (card data, tags, gating,
license texts, the commit sha and when it was fetched) and every FetchError, so legal can have the
same report regenerated bit for bit months later. Keys are sorted, so saving the same answers twice
gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from auditor import __version__, limits
from auditor.errors import InputFileError
from auditor.fileio import write_output
from auditor.hub.base import HubSource
from auditor.hub.content import is_full_sha, iso_utc, printable
from auditor.hub.serial import result_from_json, result_to_json
from auditor.hub.stats import Counters, merge
from auditor.inputfile import load_json_bounded
from auditor.models import FetchError, FetchErrorKind, FetchResult, HubModel

FORMAT_NAME = "auditor-hub-snapshot"
FORMAT_VERSION = 1
MAX_SNAPSHOT_BYTES = limits.SNAPSHOT_BYTES


class SnapshotRecorder:
    """Passes fetches through to `inner` and keeps every answer; `save()` writes them all."""

    def __init__(
        self, inner: HubSource, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time
    ) -> None:
        self.inner = inner
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], dict[str, Any]] = {}
        self._counters = Counters(["snapshot_recorded"])

    def describe(self) -> str:
        return self.inner.describe()

    def stats(self) -> Mapping[str, int]:
        return merge(self.inner.stats(), self._counters.snapshot())

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        result = self.inner.fetch(repo_id, revision)
        if isinstance(result, HubModel):
            fetched_at = result.fetched_at
        else:  # a replayed error keeps its original time, so re-saving a snapshot changes nothing
            recorded = self.inner.recorded_at(repo_id, result.requested_revision) if isinstance(
                self.inner, SnapshotSource
            ) else None
            fetched_at = recorded or iso_utc(self._clock())
        entry = {
            "repo_id": repo_id,
            "requested_revision": result.requested_revision,
            "sha": result.sha if isinstance(result, HubModel) else None,
            "fetched_at": fetched_at,
            "result": result_to_json(result),
        }
        with self._lock:
            self._entries[(repo_id, result.requested_revision)] = entry
        self._counters.add("snapshot_recorded")
        return result

    def save(self) -> None:
        """Write the snapshot (atomically, as any output); raises `OutputFileError` (exit 2) if it cannot be."""
        with self._lock:
            entries = [self._entries[key] for key in sorted(self._entries)]
        document = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "tool": {"name": "auditor", "version": __version__},
            "source": self.inner.describe(),
            "entries": entries,
        }
        text = json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
        write_output(self.path, text)


class SnapshotSource:
    """Replays a snapshot: no network; a repo it does not hold is an `offline-miss` naming the file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._results: dict[tuple[str, str], FetchResult] = {}
        self._by_sha: dict[tuple[str, str], HubModel] = {}
        self._fetched_at: dict[tuple[str, str], str] = {}
        self._counters = Counters(["snapshot_hits", "snapshot_misses"])
        self._recorded_source = ""
        self._load()

    def describe(self) -> str:
        return f"snapshot:{self.path}"

    def stats(self) -> Mapping[str, int]:
        return self._counters.snapshot()

    def recorded_at(self, repo_id: str, requested: str) -> str | None:
        """When the replayed answer was fetched (errors carry no time of their own)."""
        return self._fetched_at.get((repo_id, requested))

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        requested = revision or "main"
        found = self._results.get((repo_id, requested))
        if found is None and is_full_sha(revision):
            same = self._by_sha.get((repo_id, requested))
            if same is not None:
                found = dataclasses.replace(same, requested_revision=requested)
        if found is None:
            self._counters.add("snapshot_misses")
            return FetchError(
                repo_id=repo_id,
                requested_revision=requested,
                kind=FetchErrorKind.OFFLINE_MISS,
                message=printable(f"{repo_id}@{requested}: not in the snapshot {self.path}", 1000),
            )
        self._counters.add("snapshot_hits")
        return found

    def _load(self) -> None:
        name = str(self.path)
        # A snapshot can be handed over like any input file: the one bounded reader, a JSON depth limit.
        document = load_json_bounded(self.path, MAX_SNAPSHOT_BYTES, "snapshot")
        if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
            raise InputFileError(name, None, "not an auditor snapshot (saved with --save-snapshot)")
        if document.get("version") != FORMAT_VERSION:
            raise InputFileError(name, None, f"unsupported snapshot version {document.get('version')!r}")
        entries = document.get("entries")
        if not isinstance(entries, list):
            raise InputFileError(name, None, "snapshot has no list of entries")
        for index, entry in enumerate(entries):
            try:
                if not isinstance(entry, dict):
                    raise ValueError("entry must be an object")
                result = result_from_json(entry.get("result"))
            except ValueError as exc:
                raise InputFileError(name, None, f"snapshot entry {index + 1} is invalid: {exc}") from None
            self._results[(result.repo_id, result.requested_revision)] = result
            if isinstance(entry.get("fetched_at"), str):
                self._fetched_at[(result.repo_id, result.requested_revision)] = entry["fetched_at"]
            if isinstance(result, HubModel):
                self._by_sha.setdefault((result.repo_id, result.sha), result)
