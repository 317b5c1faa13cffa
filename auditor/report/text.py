"""Text helpers for renderers: column widths, and links built only from validated ids and shas.

Every renderer passes card-derived strings through `printable` (from `auditor.escape`, the one module
that escapes untrusted text) before any format-specific escaping.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

from auditor.escape import ELLIPSIS as ELLIPSIS
from auditor.escape import markdown as markdown
from auditor.escape import printable as printable
from auditor.escape import truncate as truncate
from auditor.escape import unsafe
from auditor.models import ModelResult
from auditor.sources.refs import id_problem

_SHA_RE = re.compile(r"^[0-9a-f]{40}$")

HUB_URL = "https://huggingface.co"


def display_width(text: str) -> int:
    """Terminal columns `text` takes: wide East Asian characters take two, combining marks none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """Cut `text` to `width` terminal columns (with an ellipsis) and pad it to exactly that width."""
    if display_width(text) > width:
        out, used = [], 0
        for ch in text:
            w = 0 if unicodedata.combining(ch) else (2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
            if used + w > width - 1:
                break
            out.append(ch)
            used += w
        text = "".join(out) + ELLIPSIS
    return text + " " * (width - display_width(text))


def valid_repo_id(repo_id: str | None) -> bool:
    return bool(repo_id) and id_problem(str(repo_id)) is None


def valid_sha(sha: str | None) -> bool:
    return bool(sha) and _SHA_RE.match(str(sha)) is not None


_ENDPOINT_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*/?$")
_CACHED = "cache:"


def endpoint_of(source: str | None) -> str | None:
    """The Hub endpoint a model was audited against, from `HubModel.source`, for links to it.

    An endpoint URL (also behind the cache, `cache:URL`, or recorded in a snapshot) links there; an offline
    mirror (`hub-dir:PATH`), a snapshot with no endpoint, or anything odd gets no link at all: a link to
    huggingface.co would show whatever is there now, not what was audited.
    """
    if not source:
        return None
    source = source.removeprefix(_CACHED)
    if not _ENDPOINT_RE.match(source):
        return None
    return source.rstrip("/")


def result_endpoint(result: ModelResult) -> str | None:
    """The endpoint a result (and its base models, fetched through the same source) was audited against."""
    return endpoint_of(result.hub.source) if result.hub else None


def repo_url(repo_id: str | None, sha: str | None, endpoint: str | None = HUB_URL) -> str | None:
    """The repo pinned at a commit on `endpoint`, built only from a valid id and a 40-hex sha (never from a
    card); None without an endpoint (see `endpoint_of`)."""
    if endpoint is None or not (valid_repo_id(repo_id) and valid_sha(sha)):
        return None
    return f"{endpoint}/{repo_id}/tree/{sha}"


def file_url(repo_id: str | None, sha: str | None, path: str | None, endpoint: str | None = HUB_URL) -> str | None:
    """A file of the repo at a commit; the path (from the repo listing) is percent-encoded."""
    base = repo_url(repo_id, sha, endpoint)
    if base is None or not path or path.startswith("/") or ".." in path.split("/"):
        return None
    if any(unsafe(ch) for ch in path):
        return None
    return f"{endpoint}/{repo_id}/blob/{sha}/{urllib.parse.quote(path, safe='/')}"


def short_sha(sha: str | None) -> str:
    return sha[:12] if sha and valid_sha(sha) else (printable(sha, limit=16) if sha else "")
