"""Pacing per rate-limit bucket: never send a request into a bucket the Hub has said is empty.

The Hub counts requests in three buckets over fixed 5-minute windows (API: `/api/...`; Resolvers:
`/resolve/`; Pages: web pages, `/raw/` and `/blob/` included) and announces each answer's bucket
in IETF RateLimit headers (`RateLimit: "api";r=<remaining>;t=<seconds to reset>`). A pacer per
client reads them (with huggingface_hub's own `parse_ratelimit_headers`), keeps what is left in
each bucket, and holds a request back until its bucket's window resets when nothing is left.
Requests still in flight are counted against the remaining figure, so eight workers cannot all
spend the last request; until a bucket's first answer, one request at a time probes it (an earlier
run may have spent most of the window). A 429 (whatever the headers said) empties its bucket until `Retry-After`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from huggingface_hub.utils import parse_ratelimit_headers  # type: ignore[attr-defined]  # public, documented


class Bucket(str, Enum):
    """The Hub's rate-limit buckets, named as its `RateLimit` header names them."""

    API = "api"
    RESOLVERS = "resolvers"
    PAGES = "pages"


def bucket_of(path: str) -> Bucket:
    """The bucket of a URL path on the Hub. The 307 hop of a resolve (`/api/resolve-cache/`) serves it."""
    if path.startswith("/api/resolve-cache/"):
        return Bucket.RESOLVERS
    if path.startswith("/api/"):
        return Bucket.API
    return Bucket.RESOLVERS if "/resolve/" in path else Bucket.PAGES


@dataclass(frozen=True)
class Wait:
    """A request held back: which bucket, until when (clock time), and why."""

    bucket: Bucket
    until: float
    quota: int | None


@dataclass
class _State:
    remaining: int | None = None  # None: not announced yet, so not limited
    reset_at: float = 0.0
    quota: int | None = None
    window: float | None = None
    in_flight: int = 0
    heard: bool = False  # any answer yet? Until then one request probes the bucket (it may be nearly spent)


class Pacer:
    """Thread-safe bucket accounting for one Hub client. `clock`/`sleep` are injected for tests.

    A wait never exceeds `max_wait` (the Hub's window is 5 minutes, so no honest reset is further off).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        cancelled: Callable[[], bool] = lambda: False,
        max_wait: float = 300.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._cancelled = cancelled
        self._max_wait = max_wait
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._states = {bucket: _State() for bucket in Bucket}
        self._waiting: dict[int, Wait] = {}
        self._waited = 0.0

    def acquire(self, bucket: Bucket) -> bool:
        """True when a request may go to `bucket` (it then counts as in flight until `observe`/`release`);
        False when the run was cancelled while waiting."""
        me = threading.get_ident()
        while True:
            if self._cancelled():
                with self._lock:
                    self._waiting.pop(me, None)
                return False
            with self._lock:
                state = self._states[bucket]
                now = self._clock()
                if state.remaining is not None and now >= state.reset_at:
                    state.remaining = None  # a new window: the next answer says how much it holds
                if not state.heard and state.in_flight > 0:
                    self._answered.wait(0.05)  # the probe's answer says what is left; real time, briefly
                    continue
                if state.remaining is None or state.remaining - state.in_flight > 0:
                    state.in_flight += 1
                    self._waiting.pop(me, None)
                    return True
                wait = min(state.reset_at - now, self._max_wait)
                awaited = state.reset_at
                self._waiting[me] = Wait(bucket, now + wait, state.quota)
                self._waited += wait
            self._sleep(wait + 0.05)  # past the reset, not on it: windows are announced in whole seconds
            with self._lock:
                if state.reset_at <= awaited and state.remaining is not None:
                    state.remaining = None  # waited out (whatever the clock says): the next answer tells anew

    def observe(self, bucket: Bucket, headers: Mapping[str, str], *, status: int | None = None) -> None:
        """Record an answer's RateLimit headers (and a 429) for the request `acquire` let through."""
        info = parse_ratelimit_headers(headers)
        now = self._clock()
        with self._lock:
            # The answer names its own bucket; trust that over our guess from the URL.
            named = _bucket_named(info.resource_type) if info is not None else None
            state = self._states[bucket]
            state.in_flight = max(0, state.in_flight - 1)
            state.heard = True
            self._answered.notify_all()
            if named is not None and named is not bucket:
                state = self._states[named]
            if info is not None:
                reset_at = now + info.reset_in_seconds
                if state.remaining is None or reset_at > state.reset_at + 0.5:  # a new window
                    state.remaining = info.remaining
                    state.reset_at = reset_at
                else:  # same window: answers arrive out of order, and the lowest count is the latest
                    state.remaining = min(state.remaining, info.remaining)
                state.quota = info.limit if info.limit is not None else state.quota
                state.window = float(info.window_seconds) if info.window_seconds is not None else state.window
            if status == 429:
                state.remaining = 0
                state.reset_at = max(state.reset_at, now + _retry_after(headers, info))

    def release(self, bucket: Bucket) -> None:
        """The request got no answer (a dropped connection): it no longer counts as in flight."""
        with self._lock:
            state = self._states[bucket]
            state.in_flight = max(0, state.in_flight - 1)
            self._answered.notify_all()

    def empty(self, bucket: Bucket, seconds: float) -> None:
        """The Hub said 429 for this bucket with no usable headers: wait `seconds` before the next try."""
        with self._lock:
            state = self._states[bucket]
            state.remaining = 0
            state.reset_at = max(state.reset_at, self._clock() + seconds)

    def waiting(self) -> Wait | None:
        """The longest wait in progress, for a progress display; None when nothing is held back."""
        with self._lock:
            waits = list(self._waiting.values())
        return max(waits, key=lambda w: w.until) if waits else None

    def waited_seconds(self) -> float:
        """Total time requests were held back (summed over threads), for `--stats`."""
        with self._lock:
            return self._waited


def _bucket_named(name: str) -> Bucket | None:
    try:
        return Bucket(name.strip().lower())
    except ValueError:
        return None


def _retry_after(headers: Mapping[str, str], info: object) -> float:
    value = ""
    for key in headers:
        if key.lower() == "retry-after":
            value = headers[key].strip()
    if value.isdigit():
        return float(value)
    reset = getattr(info, "reset_in_seconds", None)
    return float(reset) if isinstance(reset, int) else 1.0
