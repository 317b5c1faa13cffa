"""Cache folders may be shared or tampered with: a FIFO, device or link planted where an entry belongs
is refused at once, never waited on (a blocked open would hang the whole run) and never followed."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.hub.blobs import BlobStore, blob_ref
from auditor.hub.cache import read_entry
from auditor.licenses import kbcache

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")

_OID = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's id of the empty blob


def _returns(call: Callable[[], object]) -> object:
    """`call()`'s answer; fails (instead of hanging the suite) when it does not return within 5 s."""
    answers: list[object] = []
    worker = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "blocked on a planted FIFO"
    return answers[0]


def test_a_fifo_for_a_cache_entry_is_corrupt_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "entry.json"
    os.mkfifo(fifo)
    corrupt: list[bool] = []
    assert _returns(lambda: read_entry(fifo, lambda: corrupt.append(True))) is None
    assert corrupt == [True]


def test_a_link_for_a_cache_entry_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"format": 2}')
    (tmp_path / "entry.json").symlink_to(target)
    corrupt: list[bool] = []
    assert read_entry(tmp_path / "entry.json", lambda: corrupt.append(True)) is None
    assert corrupt == [True]


def test_a_fifo_in_the_blob_store_is_refused_not_a_hang(tmp_path: Path) -> None:
    ref = blob_ref(_OID, 0, None)
    assert ref is not None
    path = tmp_path / "git" / _OID[:2] / _OID
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    store = BlobStore(tmp_path, max_bytes=1024)
    assert _returns(lambda: store.get(ref)) is None
    assert store.stats()["blob_corrupt"] == 1


def test_a_fifo_in_the_knowledge_cache_is_ignored_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "k.json")
    assert _returns(lambda: kbcache.load(tmp_path, "k")) is None
