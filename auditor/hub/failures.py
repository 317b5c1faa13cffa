"""What a failed Hub request means, as values: its kind, a message fit for a report, and whether
another try may help. Kept apart from the client so the client reads as the sequence of requests."""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx2
from huggingface_hub.errors import (
    DisabledRepoError,
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import parse_ratelimit_headers  # type: ignore[attr-defined]  # public, documented

from auditor.models import FetchErrorKind, FileProblem

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class Cancelled(Exception):
    """The run is stopping: a request waiting for its quota gives up."""


class BadBody(Exception):
    """A response body that is cut short or does not match its ETag: worth another try."""


@dataclass(frozen=True)
class Failure:
    kind: FetchErrorKind
    detail: str
    retry: bool = False
    retry_after: float | None = None
    connect: bool = False  # the connection itself was refused: the Hub may be down
    status: int | None = None
    error: BaseException | None = None


class Failed(Exception):
    """Raised out of the retry loop once a request has failed for good."""

    def __init__(self, failure: Failure, attempts: int) -> None:
        super().__init__(failure.detail)
        self.failure = failure
        self.attempts = attempts


def classify(
    exc: BaseException, *, timeout: float, has_token: bool, scrub: Callable[[str], str], clock: Callable[[], float]
) -> Failure:
    """What a failed request means: its kind, a short message, and whether another try may help."""
    if isinstance(exc, HfHubHTTPError):
        return _classify_http(exc, has_token=has_token, scrub=scrub, clock=clock)
    if isinstance(exc, OfflineModeIsEnabled):
        return Failure(FetchErrorKind.NETWORK, "HF_HUB_OFFLINE is set: huggingface_hub refuses to connect")
    if isinstance(exc, httpx2.TimeoutException):
        return Failure(FetchErrorKind.NETWORK, f"no answer within {timeout:g} s", retry=True)
    if isinstance(exc, httpx2.ConnectError):
        return Failure(
            FetchErrorKind.NETWORK,
            f"cannot connect ({scrub(str(exc)) or 'refused'})",
            retry=True,
            connect=True,
        )
    if isinstance(exc, (httpx2.NetworkError, httpx2.RemoteProtocolError, httpx2.ProxyError)):
        return Failure(FetchErrorKind.NETWORK, f"connection failed: {scrub(str(exc))}", retry=True)
    if isinstance(exc, (httpx2.DecodingError, BadBody, json.JSONDecodeError)):
        return Failure(FetchErrorKind.INVALID, f"unreadable response: {scrub(str(exc))}", retry=True)
    if isinstance(exc, (httpx2.HTTPError, httpx2.InvalidURL)):
        return Failure(FetchErrorKind.NETWORK, f"{type(exc).__name__}: {scrub(str(exc))}")
    if isinstance(exc, OSError):
        return Failure(FetchErrorKind.NETWORK, f"{type(exc).__name__}: {scrub(str(exc))}", retry=True)
    return Failure(FetchErrorKind.INVALID, f"unexpected answer ({type(exc).__name__}: {scrub(str(exc))})")


def _classify_http(
    exc: HfHubHTTPError, *, has_token: bool, scrub: Callable[[str], str], clock: Callable[[], float]
) -> Failure:
    status = exc.response.status_code if exc.response is not None else None
    server = scrub((exc.server_message or "").strip().splitlines()[0] if exc.server_message else "")
    said = f": {server}" if server else ""
    if isinstance(exc, GatedRepoError):
        return Failure(FetchErrorKind.GATED, f"gated (HTTP {status})", status=status, error=exc)
    if isinstance(exc, RevisionNotFoundError):
        return Failure(FetchErrorKind.REVISION_NOT_FOUND, "revision not found", status=status, error=exc)
    if isinstance(exc, RemoteEntryNotFoundError):
        return Failure(FetchErrorKind.NOT_FOUND, "no such file", status=404, error=exc)
    if isinstance(exc, RepositoryNotFoundError):
        return Failure(FetchErrorKind.NOT_FOUND, "repo not found", status=status, error=exc)
    if isinstance(exc, DisabledRepoError):
        return Failure(FetchErrorKind.DISABLED, "access to this repo is disabled", status=status, error=exc)
    if status in (401, 403):
        if status == 401 and not has_token:
            return Failure(FetchErrorKind.NOT_FOUND, "repo not found", status=status, error=exc)
        return Failure(FetchErrorKind.AUTH, f"HTTP {status}{said}", status=status, error=exc)
    if status == 404:
        return Failure(FetchErrorKind.NOT_FOUND, f"HTTP 404{said}", status=status, error=exc)
    if status == 429:
        return Failure(
            FetchErrorKind.RATE_LIMITED,
            f"HTTP 429 Too Many Requests{said}",
            retry=True,
            retry_after=retry_after(exc.response.headers, clock),
            status=status,
            error=exc,
        )
    if status is not None and status >= 500:
        return Failure(
            FetchErrorKind.SERVER,
            f"HTTP {status}{said}",
            retry=status in RETRY_STATUS,
            retry_after=retry_after(exc.response.headers, clock),  # e.g. 503 during maintenance
            status=status,
            error=exc,
        )
    if status in RETRY_STATUS:
        return Failure(FetchErrorKind.NETWORK, f"HTTP {status}{said}", retry=True, status=status, error=exc)
    return Failure(FetchErrorKind.INVALID, f"HTTP {status}{said}", status=status, error=exc)


def retry_after(headers: Mapping[str, str], clock: Callable[[], float]) -> float | None:
    """Seconds the server asks to wait: Retry-After (seconds or a date), else an empty RateLimit bucket's reset."""
    value = (headers.get("retry-after") or "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None and when.tzinfo is not None:
                return max(0.0, when.timestamp() - clock())
    info = parse_ratelimit_headers(headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    return None


def failure_message(
    repo_id: str, revision: str, failed: Failed, endpoint: str, *, has_token: bool, stopped: bool
) -> str:
    """What a report says about a request that failed for good (`stopped`: the run is being cancelled)."""
    failure = failed.failure
    tries = f" (after {failed.attempts} attempts)" if failed.attempts > 1 else ""
    kind = failure.kind
    if kind is FetchErrorKind.NOT_FOUND:
        if has_token:
            return f"{repo_id}: not found, or private and the token has no access"
        return f"{repo_id}: not found, or private and no token with access"
    if kind is FetchErrorKind.REVISION_NOT_FOUND:
        return f"{repo_id}: revision {revision!r} not found"
    if kind is FetchErrorKind.AUTH:
        return f"the Hub refused the token ({failure.detail}); check --token / HF_TOKEN"
    if kind is FetchErrorKind.GATED:
        return f"{repo_id}: gated, and the token has no access"
    if kind is FetchErrorKind.DISABLED:
        return f"{repo_id}: access to this repo is disabled on the Hub"
    if kind is FetchErrorKind.RATE_LIMITED:
        return f"rate limited by {endpoint}{tries}; try later, or with a token (higher limits)"
    if kind is FetchErrorKind.SERVER:
        return f"server error from {endpoint}: {failure.detail}{tries}"
    if kind is FetchErrorKind.NETWORK and stopped:
        return f"{repo_id}: not fetched, the run was stopped"
    if kind is FetchErrorKind.NETWORK:
        return f"cannot reach {endpoint}: {failure.detail}{tries}"
    return f"invalid response from {endpoint}: {failure.detail}{tries}"


class FileAnswer(Exception):
    """Not a failure: the file is gated, missing or refused, which is a fact about the repo."""

    def __init__(self, problem: FileProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def drain(response: httpx2.Response, limit: int, deadline: float) -> None:
    """Read a small body (a redirect's line of text) to its end, so that closing the response hands its
    connection back to the pool: closed unread, the connection is dropped and the next request opens a
    new one (on the Hub, a TCP and TLS handshake per license file). Past `limit` bytes or `deadline`
    (`time.monotonic`) it stops, and the connection is dropped as before; a body cut short is no failure
    (the redirect's Location is all the answer holds), so it is not retried."""
    with contextlib.suppress(httpx2.HTTPError, OSError):  # past the deadline: read_capped's ReadTimeout
        read_capped(response, limit, deadline)


def read_capped(response: httpx2.Response, cap: int, deadline: float) -> tuple[bytes, bool]:
    """The body up to `cap` bytes, and whether there was more (left unread); a body still coming in at
    `deadline` (`time.monotonic`) is httpx's ReadTimeout, a transient failure: a server dripping bytes
    must not hold a worker for hours, nor one sending without end fill the memory."""
    buffer = bytearray()
    for chunk in response.iter_bytes():
        buffer += chunk
        if len(buffer) > cap:
            return bytes(buffer[:cap]), True
        if time.monotonic() > deadline:
            raise httpx2.ReadTimeout("body not received in time")
    return bytes(buffer), False
