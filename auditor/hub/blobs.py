"""Content-addressed license files: bytes already read under a blob id are not requested again.

`model_info` with `blobs=true` lists, for every file at the commit, its git blob id (the sha1 of
`b"blob <size>\\0" + content`) and, for a Git LFS file, the sha256 of its content. Equal ids are
equal bytes, and many repos carry byte-identical license files (the Apache-2.0 text, the Llama and
Gemma licenses copied into thousands of fine-tunes). So the bytes of a license file are kept by
that id: in memory for the run and, when there is a cache, on disk across runs. The id is
recomputed from the bytes whenever they are stored or read back from disk, so an entry can only
ever stand for the bytes the Hub listed at the audited commit: a verdict rests on the same evidence
as when the file is downloaded, and a tampered entry is ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from auditor.fileio import write_atomic
from auditor.hub.stats import Counters
from auditor.inputfile import read_head

if TYPE_CHECKING:  # the factory imports this module; huggingface_hub is imported only when the Hub is asked
    from huggingface_hub.hf_api import RepoSibling

BLOBS_FOLDER = "blobs-v1"
"""Under the cache folder: `<kind>/<2 hex>/<digest>`, kind `git` (blob id) or `sha256` (LFS content)."""

MEMORY_BYTES = 8 * 1024 * 1024
"""Bytes held in memory for the run: a few hundred license texts, the distinct ones a large audit meets."""

_GIT_ID = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def git_blob_sha1(body: bytes) -> str:
    """git's object id of a file's bytes (its blob id). Here, not in failures.py, so that the blob store,
    made before the Hub client, imports no HTTP stack (hub/deferred.py)."""
    return hashlib.sha1(b"blob %d\x00" % len(body) + body).hexdigest()  # noqa: S324 - git's object id


@dataclass(frozen=True)
class BlobRef:
    """What the Hub lists for one file at a commit: its git blob id, its size, and for LFS its sha256."""

    blob_id: str
    size: int | None = None
    lfs_sha256: str | None = None

    @property
    def key(self) -> str:
        """The content's address. An LFS file's git blob is its pointer; its content is named by the sha256."""
        return f"sha256/{self.lfs_sha256}" if self.lfs_sha256 is not None else f"git/{self.blob_id}"

    def matches(self, data: bytes) -> bool:
        """Are these the listed bytes? Recomputed from the bytes, never taken from a header or file name."""
        if self.size is not None and len(data) != self.size:
            return False
        if self.lfs_sha256 is not None:
            return hashlib.sha256(data).hexdigest() == self.lfs_sha256
        return git_blob_sha1(data) == self.blob_id


def blob_ref(blob_id: object, size: object, lfs_sha256: object) -> BlobRef | None:
    """A ref from a sibling of the Hub's answer; None when the answer names no well-formed content id."""
    if not isinstance(blob_id, str) or _GIT_ID.fullmatch(blob_id) is None:
        return None
    if lfs_sha256 is not None and (not isinstance(lfs_sha256, str) or _SHA256.fullmatch(lfs_sha256) is None):
        return None
    known_size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None
    return BlobRef(blob_id, known_size, lfs_sha256)


def blob_refs(siblings: Iterable[RepoSibling] | None, names: Collection[str]) -> dict[str, BlobRef]:
    """The refs model_info lists for these file names. A listing's siblings carry names only: then none."""
    refs: dict[str, BlobRef] = {}
    for s in siblings or ():
        if s.blob_id is not None and s.rfilename in names:
            ref = blob_ref(s.blob_id, s.size, s.lfs.sha256 if s.lfs is not None else None)
            if ref is not None:
                refs[s.rfilename] = ref
    return refs


def redirect_ref(url: str) -> BlobRef | None:
    """The blob a resolver's redirect names (the caller checks it stays on the endpoint): the Hub sends
    `/resolve/<sha>/<path>` on to `/api/resolve-cache/models/<repo>/<sha>/<path>?...&etag="<blob id>"`."""
    parts = urlsplit(url)
    if not parts.path.startswith("/api/resolve-cache/"):
        return None
    etags = parse_qs(parts.query).get("etag")
    return blob_ref(etags[-1].strip('"'), None, None) if etags else None


def mismatch(ref: BlobRef) -> str:
    """Why a file read from the Hub is not used: its bytes are not the ones the Hub listed for the commit."""
    return (
        f"the bytes served are not the blob {ref.blob_id[:12]} the Hub lists for this file at this commit "
        "(changed in transit or by a proxy): not used as evidence"
    )


class BlobStore:
    """Verified bytes by content address: memory for the run, then `root` (None: memory only). Thread-safe.

    While one worker reads a blob, the others asking for the same one wait for its answer instead of
    sending the same request (a cold run meets the Apache-2.0 text on every worker at once).
    """

    def __init__(self, root: Path | None, *, max_bytes: int, memory_bytes: int = MEMORY_BYTES) -> None:
        self._root = root
        self._max_bytes = max_bytes
        self._memory_bytes = memory_bytes
        self._held = 0
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._reading: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._counters = Counters(["blob_hits", "blob_corrupt", "blob_write_errors"])

    def stats(self) -> Mapping[str, int]:
        return self._counters.snapshot()

    def read(self, ref: BlobRef, wait: float, fetch: Callable[[], bytes]) -> bytes | None:
        """The bytes of `ref`: held ones, else `fetch()`'s when they match (then kept); None when they do not.

        While one worker fetches a blob, others asking for it wait (at most `wait` seconds) for its
        answer instead of sending the same request. Exceptions from `fetch` pass through.
        """
        key = ref.key
        while True:
            with self._lock:
                data = self._memory.get(key)
                pending = self._reading.get(key) if data is None else None
                if data is not None:
                    self._memory.move_to_end(key)
                elif pending is None:
                    mine = self._reading[key] = threading.Event()
                    break
            if data is not None:
                self._counters.add("blob_hits")
                return data
            assert pending is not None
            if not pending.wait(wait):  # the other reader is slow: read it too rather than stall
                return self.check(ref, fetch())
        try:
            held = self.get(ref)  # kept on disk by an earlier run
            return held if held is not None else self.check(ref, fetch())
        finally:
            with self._lock:
                del self._reading[key]
            mine.set()

    def get(self, ref: BlobRef) -> bytes | None:
        """The verified bytes of `ref` when held, without waiting for a read in progress."""
        with self._lock:
            data = self._memory.get(ref.key)
        if data is None:
            data = self._load(ref)
            if data is not None:
                self._remember(ref.key, data)
        if data is not None:
            self._counters.add("blob_hits")
        return data

    def check(self, ref: BlobRef, data: bytes) -> bytes | None:
        """`data` when it is the blob `ref` names (then kept for later reads), else None."""
        if not ref.matches(data):
            return None
        self.put(ref, data)
        return data

    def put(self, ref: BlobRef, data: bytes) -> None:
        """Keep `data`, which matches `ref`, in memory and on disk (a larger one than the cap is not kept)."""
        if len(data) > self._max_bytes:
            return
        self._remember(ref.key, data)
        path = self._path(ref)
        if path is not None:
            try:
                write_atomic(path, data)
            except OSError:
                self._counters.add("blob_write_errors")

    def _remember(self, key: str, data: bytes) -> None:
        with self._lock:
            if key in self._memory or len(data) > self._memory_bytes:
                return
            self._memory[key] = data
            self._held += len(data)
            while self._held > self._memory_bytes:
                _old, dropped = self._memory.popitem(last=False)
                self._held -= len(dropped)

    def _path(self, ref: BlobRef) -> Path | None:
        if self._root is None:
            return None
        kind, _, digest = ref.key.partition("/")
        return self._root / kind / digest[:2] / digest

    def _load(self, ref: BlobRef) -> bytes | None:
        """An entry from disk, bounded and verified again: a file changed on disk is not evidence."""
        path = self._path(ref)
        if path is None:
            return None
        try:  # a FIFO, device or link planted in the store is refused, never waited on or followed
            data, _size, cut = read_head(path, self._max_bytes, follow_links=False)
        except FileNotFoundError:
            return None
        except OSError:
            self._counters.add("blob_corrupt")
            return None
        if cut or not ref.matches(data):
            self._counters.add("blob_corrupt")
            return None
        return data
