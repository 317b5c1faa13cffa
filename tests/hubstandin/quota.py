"""The Hub's rate limits, as the stand-in enforces them: three buckets, fixed windows, IETF headers.

From the Hub's published rate limits (huggingface.co/docs/hub/rate-limits): every request falls in
one of three buckets, each counted over a fixed 5-minute window, per caller (a token, or the client
address when anonymous):

    bucket      what                                          anonymous   token (free account)
    api         /api/... (model_info, listings, tree, refs)       500          1000
    resolvers   URLs with a /resolve/ segment                    3000          5000
    pages       web pages, /raw/ and /blob/ included              100           200

Every answer announces its bucket with ``RateLimit: "api";r=<remaining>;t=<seconds to reset>`` and
``RateLimit-Policy: "fixed window";"api";q=<quota>;w=<window seconds>`` (the shapes that
``huggingface_hub.utils.parse_ratelimit_headers`` reads). Past the quota the answer is 429 with
``Retry-After``. The window can be shortened (``window_s``) so tests and benchmarks see several
windows in seconds; the quotas stay the Hub's unless overridden.

One judgement call: a non-LFS ``/resolve/`` answers 307 to ``/api/resolve-cache/...``. That hop is
part of serving the resolve, so it is counted in the resolvers bucket, not the API bucket.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

API = "api"
RESOLVERS = "resolvers"
PAGES = "pages"
BUCKETS = (API, RESOLVERS, PAGES)
HUB_WINDOW_S = 300.0
# (anonymous, token) per bucket, from the Hub's published table.
HUB_QUOTAS: Mapping[str, tuple[int, int]] = {API: (500, 1000), RESOLVERS: (3000, 5000), PAGES: (100, 200)}


def bucket_of(raw_path: str) -> str:
    """The bucket of a request path, as the Hub sorts them."""
    if raw_path.startswith("/api/resolve-cache/"):
        return RESOLVERS
    if raw_path.startswith("/api/"):
        return API
    segments = raw_path.split("/")
    if len(segments) > 3 and segments[3] == "resolve":
        return RESOLVERS
    if len(segments) > 4 and segments[1] in ("datasets", "spaces") and segments[4] == "resolve":
        return RESOLVERS
    return PAGES


@dataclass(frozen=True)
class Decision:
    """What the quota says about one request: served or refused, and the headers to send either way."""

    allowed: bool
    headers: tuple[tuple[str, str], ...]
    retry_after: int


class Quotas:
    """Fixed windows per (caller, bucket); thread-safe. Windows start when the object is created."""

    def __init__(
        self,
        window_s: float = HUB_WINDOW_S,
        quotas: Mapping[str, tuple[int, int]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.window_s = float(window_s)
        self.quotas = dict(HUB_QUOTAS if quotas is None else quotas)
        for bucket in BUCKETS:
            if bucket not in self.quotas:
                raise ValueError(f"quotas lack the {bucket!r} bucket")
        self._clock = clock
        self._origin = clock()
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str, int], int] = {}

    def check(self, caller: str, authenticated: bool, raw_path: str) -> Decision:
        """Count the request against its bucket (when allowed) and say what to answer."""
        bucket = bucket_of(raw_path)
        quota = self.quotas[bucket][1 if authenticated else 0]
        now = self._clock()
        index = int((now - self._origin) // self.window_s)
        reset = max(1, math.ceil(self._origin + (index + 1) * self.window_s - now))  # never 0: the header is int
        with self._lock:
            key = (caller, bucket, index)
            used = self._used.get(key, 0)
            allowed = used < quota
            if allowed:
                used += 1
                self._used[key] = used
            if len(self._used) > 10_000:  # forget windows long gone
                self._used = {k: v for k, v in self._used.items() if k[2] >= index}
        window = max(1, round(self.window_s))
        headers = (
            ("RateLimit", f'"{bucket}";r={quota - used};t={reset}'),
            ("RateLimit-Policy", f'"fixed window";"{bucket}";q={quota};w={window}'),
        )
        return Decision(allowed, headers, reset)
