"""The Hub's model listing (`--author`, `--search`) kept on disk, beside the answers per commit (cache.py).

Layout under one endpoint's folder (cache.py's `hub_root`), file names are hashes:
    listings/<query hash>/index.json      {"query", "listed_at", "count", "chunks": [sha256, ...]}
    listings/<query hash>/<sha256>.json   {"entries": [...]}: up to 1,000 listed models, named by digest
The query is the author, the search text, whose view it is (anonymous, or a digest of the token: a
token also lists the private models it can see) and the fields asked for. An entry is what the
listing said of one model in the Hub API's JSON shape (id, sha, cardData, siblings, gated, tags,
private, lastModified); checked here, and rebuilt into a `ModelInfo` by huggingface_hub's own parser
when the client first fetches that model, so a cached listing answers `fetch` exactly as a fresh one
does, with no model_info call (and a run the cache answers entirely never imports huggingface_hub).
A model whose entry cannot be kept is stored by id alone and asked about with model_info.

Fresh for `max_age` seconds, as a branch's sha is (cache.py); at any age with --offline, which
without one stops the run (exit 3: its models are unknown). Chunks are written before the index that
names them, so a reader sees a whole listing or none; a chunk whose bytes no longer match its name,
an index for another query, an entry outside the author or a listing dated in the future is refused
(counted as `listing_corrupt`) and the Hub is asked again.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from auditor.errors import HubUnavailableError
from auditor.fileio import write_atomic
from auditor.hub.cache import FORMAT, MAX_ENTRY_BYTES, read_entry
from auditor.hub.content import CardError, is_full_sha, iso_datetime, plain_data
from auditor.hub.stats import LISTING_COUNTERS, Counters

if TYPE_CHECKING:
    from huggingface_hub import ModelInfo
    from huggingface_hub.hf_api import RepoSibling

# What the org listing is asked for (`expand`): all that model_info would have told per model.
LISTED_FIELDS = ("cardData", "sha", "siblings", "gated", "tags", "private", "lastModified")

CHUNK_MODELS = 1000
_CHUNK_BYTES = 4 * 1024 * 1024  # well under the read bound (MAX_ENTRY_BYTES), whatever the cards weigh
_CLOCK_SKEW = 60.0  # a listing dated later than this is forged or from a broken clock: never fresh
_HEX64 = frozenset("0123456789abcdef")
# The Hub's repo names (huggingface_hub's validate_repo_id, without importing it): the client checks
# each id again before any request; offline an id is only a hashed cache key and an escaped string.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"{_NAME}/{_NAME}")


class Lister(Protocol):
    """The client side of a listing (HfHubSource, or the DeferredClient standing for it)."""

    def list_infos(self, *, author: str | None = None, search: str | None = None) -> tuple[ModelInfo, ...]: ...

    def adopt_listed(self, infos: Iterable[ModelInfo | Mapping[str, Any]], listed_at: float | None = None) -> None: ...


def query_options(author: str | None, search: str | None) -> str:
    """The options that ask for this listing, for messages: `--author org --search 'text'`."""
    return " ".join(p for p in (author and f"--author {author}", search and f"--search {search!r}") if p)


def token_scope(token: str | None) -> str:
    """Whose view a listing is: anonymous, or a short digest of the token (never the token itself)."""
    return "anonymous" if token is None else "token-" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


class ListingCache:
    """`list_models` from disk while fresh, else from the Hub (then stored); hands the entries to the client."""

    def __init__(
        self,
        client: Lister,
        root: Path,
        *,
        scope: str,
        max_age: float,
        offline: bool = False,
        clock: Callable[[], float] = time.time,
        shown_dir: Path | None = None,
    ) -> None:
        self._client = client
        self._root = root / "listings"
        self._scope = scope
        self._max_age = max_age
        self._offline = offline
        self._clock = clock
        self._shown_dir = shown_dir if shown_dir is not None else root
        self._counters = Counters(LISTING_COUNTERS)

    def stats(self) -> Mapping[str, int]:
        return self._counters.snapshot()

    def list_models(self, *, author: str | None = None, search: str | None = None) -> tuple[str, ...]:
        query = {"author": author, "search": search, "scope": self._scope, "fields": list(LISTED_FIELDS)}
        folder = self._root / _digest(json.dumps(query, sort_keys=True).encode("utf-8"))[:32]
        cached = self._load(folder, query, author)
        if cached is not None:
            entries, listed_at = cached
            self._counters.add("listing_cache_hits")
            self._client.adopt_listed((entry for entry in entries if "sha" in entry), listed_at)
            return tuple(entry["id"] for entry in entries)
        if self._offline:
            raise HubUnavailableError(
                f"--offline: no cached listing for {query_options(author, search)} in {self._shown_dir}; "
                "run it once without --offline"
            )
        self._counters.add("listing_cache_misses")
        listed_at = self._clock()  # before the request: the listing is at least this old
        infos = self._client.list_infos(author=author, search=search)
        self._store(folder, query, listed_at, infos)
        return tuple(info.id for info in infos)

    # ------------------------------------------------------------------ reading

    def _load(
        self, folder: Path, query: Mapping[str, Any], author: str | None
    ) -> tuple[list[dict[str, Any]], float] | None:
        """The cached listing and when it was listed, if it is whole, valid and fresh; None otherwise
        (counted when corrupt)."""
        index = read_entry(folder / "index.json", self._corrupt)
        if index is None:
            return None
        chunks, at, count = index.get("chunks"), index.get("listed_at"), index.get("count")
        if (
            index.get("query") != query
            or not isinstance(at, (int, float))
            or isinstance(at, bool)
            or not isinstance(count, int)
            or not isinstance(chunks, list)
            or not all(isinstance(c, str) and len(c) == 64 and set(c) <= _HEX64 for c in chunks)
        ):
            self._corrupt()
            return None
        now = self._clock()
        if at > now + _CLOCK_SKEW:
            self._corrupt()
            return None
        if not self._offline and now - at >= self._max_age:
            return None
        infos: list[dict[str, Any]] = []
        for name in chunks:
            entries = self._load_chunk(folder / f"{name}.json", name)
            if entries is None:
                return None
            infos.extend(entries)
        ids = [info["id"] for info in infos]
        prefix = None if author is None else author.casefold() + "/"
        if (
            len(infos) != count
            or len(set(ids)) != len(ids)
            or (prefix and not all(i.casefold().startswith(prefix) for i in ids))
        ):
            self._corrupt()
            return None
        return infos, float(at)

    def _load_chunk(self, path: Path, name: str) -> list[dict[str, Any]] | None:
        data = read_entry(path, self._corrupt)
        if data is None:
            return None  # missing (a newer listing replaced it): list again, nothing is wrong
        entries = data.get("entries")
        try:
            if not isinstance(entries, list) or _digest(_chunk_bytes(entries)) != name:
                raise ValueError("chunk does not match its name")
            return [_checked(entry) for entry in entries]
        except (ValueError, TypeError, KeyError, RecursionError):
            self._corrupt()
            return None

    def _corrupt(self) -> None:
        self._counters.add("listing_corrupt")

    # ------------------------------------------------------------------ writing

    def _store(self, folder: Path, query: Mapping[str, Any], listed_at: float, infos: Sequence[ModelInfo]) -> None:
        """Chunks first, then the index naming them; a listing that cannot be written is listed again next run."""
        names: list[str] = []
        try:
            for chunk in _chunks([_info_to_json(info) for info in infos]):
                payload = {"format": FORMAT, "entries": chunk}
                name = _digest(_chunk_bytes(chunk))
                write_atomic(folder / f"{name}.json", json.dumps(payload, sort_keys=True, ensure_ascii=False))
                names.append(name)
            index = {"format": FORMAT, "query": query, "listed_at": listed_at, "count": len(infos), "chunks": names}
            write_atomic(folder / "index.json", json.dumps(index, sort_keys=True))
        except (OSError, ValueError, RecursionError):
            return
        keep = {f"{name}.json" for name in names} | {"index.json"}
        for old in folder.glob("*.json"):  # chunks of earlier listings of this query
            if old.name not in keep:
                old.unlink(missing_ok=True)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chunk_bytes(entries: list[Any]) -> bytes:
    return json.dumps(entries, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _chunks(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Groups of at most CHUNK_MODELS entries and about _CHUNK_BYTES; an entry too large to read back
    is kept by id alone (its model is then asked about with model_info)."""
    out: list[list[dict[str, Any]]] = [[]]
    size = 0
    for entry in entries:
        weight = len(json.dumps(entry, ensure_ascii=False).encode("utf-8"))
        if weight > MAX_ENTRY_BYTES // 2:
            entry, weight = {"id": entry["id"]}, 64
        if out[-1] and (len(out[-1]) >= CHUNK_MODELS or size + weight > _CHUNK_BYTES):
            out.append([])
            size = 0
        out[-1].append(entry)
        size += weight
    return out if out[-1] else []


def _info_to_json(info: ModelInfo) -> dict[str, Any]:
    """What the listing said of one model, as the Hub's API spells it; by id alone when it cannot be kept."""
    try:
        card = plain_data(info.card_data.to_dict()) if info.card_data is not None else None  # type: ignore[no-untyped-call]
    except (CardError, ValueError, TypeError, RecursionError):
        return {"id": info.id}  # model_info will give the Hub's reading (and its error) again
    return {
        "id": info.id,
        "sha": info.sha,
        "cardData": card,
        "siblings": None if info.siblings is None else [_sibling_to_json(s) for s in info.siblings],
        "gated": info.gated,
        "tags": info.tags,
        "private": info.private,
        "lastModified": iso_datetime(info.last_modified),
    }


def _checked(entry: Any) -> dict[str, Any]:
    """A stored entry whose every field has the shape the Hub's API gives it (the cache is not trusted)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not _REPO_ID.fullmatch(entry["id"]):
        raise ValueError("entry without a valid repo id")
    if set(entry) == {"id"}:
        return entry  # kept by id alone: not adopted, model_info asks
    siblings, tags, modified = entry.get("siblings"), entry.get("tags"), entry.get("lastModified")
    valid = (
        is_full_sha(entry.get("sha"))
        and isinstance(entry.get("cardData"), (dict, type(None)))
        and (siblings is None or (isinstance(siblings, list) and all(_sibling(s) for s in siblings)))
        and isinstance(entry.get("gated"), (bool, str, type(None)))
        and (tags is None or (isinstance(tags, list) and all(isinstance(t, str) for t in tags)))
        and isinstance(entry.get("private"), (bool, type(None)))
        and (modified is None or (isinstance(modified, str) and _dt.datetime.fromisoformat(modified).tzinfo))
        and set(entry) <= {"id", "sha", "cardData", "siblings", "gated", "tags", "private", "lastModified"}
    )
    if not valid:
        raise ValueError("entry fields of the wrong shape")
    return entry


def _sibling_to_json(sibling: RepoSibling) -> dict[str, Any]:
    """A file as the listing named it: its name, and its blob id, size and LFS digest when it gave them."""
    out: dict[str, Any] = {"rfilename": sibling.rfilename}
    if sibling.blob_id is not None:
        out["blobId"] = sibling.blob_id
    if sibling.size is not None:
        out["size"] = sibling.size
    if sibling.lfs is not None:
        lfs = sibling.lfs
        out["lfs"] = {"size": lfs.size, "sha256": lfs.sha256, "pointerSize": lfs.pointer_size}
    return out


def _sibling(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("rfilename"), str):
        return False
    lfs = value.get("lfs")
    return (
        set(value) <= {"rfilename", "blobId", "size", "lfs"}
        and isinstance(value.get("blobId", ""), str)
        and _count(value.get("size", 0))
        and (
            lfs is None
            or (
                isinstance(lfs, dict)
                and set(lfs) == {"size", "sha256", "pointerSize"}
                and _count(lfs["size"])
                and _count(lfs["pointerSize"])
                and isinstance(lfs["sha256"], str)
            )
        )
    )


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
