"""The real Hub client: `huggingface_hub.HfApi` for model info, the client's own HTTP plumbing for
license files, and the behaviours the client lacks (timeouts, retries, honest errors).

huggingface_hub 2.x sends `model_info` with no timeout and no retry, and `hf_hub_download` quietly
serves an older cached copy when the Hub answers with an error. So this module times out every
request, retries transient failures with capped exponential backoff and full jitter (honouring
`Retry-After`), reads each license file with exactly one GET of `/raw/<sha>/<path>` pinned to the
commit, and turns every failure into a value: a `FetchError` for the model, or a `FileProblem` for a
file that is gated, missing or too large.
"""

from __future__ import annotations

import dataclasses
import email.utils
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx2
from huggingface_hub import HfApi, get_session, hf_raise_for_status
from huggingface_hub.errors import (
    DisabledRepoError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import (  # type: ignore[attr-defined]  # public, documented; not re-exported for mypy
    build_hf_headers,
    parse_ratelimit_headers,
    validate_repo_id,
)

from auditor import __version__
from auditor.hub.content import (
    MAX_FILE_BYTES,
    CardError,
    decode_file,
    is_full_sha,
    iso_datetime,
    iso_utc,
    normalise_gated,
    parse_front_matter,
    plain_data,
    printable,
    wanted_files,
)
from auditor.hub.stats import Counters
from auditor.models import FetchError, FetchErrorKind, FetchResult, FileProblem, HubModel, LicenseFile

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_TIMEOUT = 20.0
DEFAULT_RETRIES = 4

_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_T = TypeVar("_T")


class _BadBody(Exception):
    """A response body that is cut short or does not match its ETag: worth another try."""


@dataclass(frozen=True)
class _Failure:
    kind: FetchErrorKind
    detail: str
    retry: bool = False
    retry_after: float | None = None
    connect: bool = False  # the connection itself was refused: the Hub may be down
    status: int | None = None
    error: BaseException | None = None


class _Failed(Exception):
    """Raised out of the retry loop once a request has failed for good."""

    def __init__(self, failure: _Failure, attempts: int) -> None:
        super().__init__(failure.detail)
        self.failure = failure
        self.attempts = attempts


class HfHubSource:
    """Fetches from a Hub (or any Hub-compatible server) through huggingface_hub.

    Requests per repo: one `model_info`, one GET per license file the siblings list (or the card's
    `license_link` names), and README.md only when the Hub returned no card data. The token is
    sent only to the endpoint and never appears in a message; `token=None` means anonymous (no
    token saved on the machine is picked up: `open_source` decides, from `--token` or `HF_TOKEN`).
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        max_retry_after: float = 60.0,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if retries < 0:
            raise ValueError("retries must be zero or more")
        self.endpoint = endpoint.rstrip("/")
        self._token = token or None
        # token=False: never pick up a token saved on this machine; the caller decides (see factory).
        self._api = HfApi(
            endpoint=self.endpoint, token=self._token or False, library_name="auditor", library_version=__version__
        )
        self._headers = build_hf_headers(
            token=self._token or False, library_name="auditor", library_version=__version__
        )
        self._timeout = timeout
        self._retries = retries
        self._cancelled = threading.Event()
        # Default: a sleep that `cancel()` cuts short, so Ctrl-C never waits out a 60 s Retry-After.
        self._sleep = sleep if sleep is not None else self._cancelled.wait
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._rng_lock = threading.Lock()
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._max_retry_after = max_retry_after
        self._max_file_bytes = max_file_bytes
        self._host = (urlsplit(self.endpoint).hostname or "").lower()
        self._state_lock = threading.Lock()
        self._pause_until = 0.0
        self._unreachable = False
        self._counters = Counters(["requests", "requests_model_info", "requests_file", "retries", "failures"])

    # ------------------------------------------------------------------ HubSource

    def describe(self) -> str:
        return self.endpoint

    def stats(self) -> Mapping[str, int]:
        return self._counters.snapshot()

    @property
    def has_token(self) -> bool:
        return self._token is not None

    def cancel(self) -> None:
        """Stop retrying: waits end now and further requests fail at once (the run is stopping)."""
        self._cancelled.set()

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        return self.fetch_reusing(repo_id, revision, None)

    def fetch_reusing(
        self, repo_id: str, revision: str | None, reuse: Callable[[str], HubModel | None] | None
    ) -> FetchResult:
        """Fetch, but take file contents from `reuse(sha)` when it already holds this commit.

        The cache uses this after a revision's TTL ran out: one `model_info` tells whether the branch
        still points at a known commit, and the license files at that commit need no new request.
        """
        requested = revision or "main"
        try:
            validate_repo_id(repo_id)
        except HFValidationError:
            return self._error(repo_id, requested, FetchErrorKind.INVALID_ID, f"{repo_id!r} is not a valid repo id")
        if revision is not None and (not revision.strip() or len(revision) > 256):
            return self._error(repo_id, requested, FetchErrorKind.REVISION_NOT_FOUND, "invalid revision")
        try:
            return self._fetch(repo_id, revision, requested, reuse)
        except _Failed as failed:
            return self._error(repo_id, requested, failed.failure.kind, self._message(repo_id, requested, failed))
        except Exception as exc:  # a bug or an unforeseen answer must not end the run: fail closed
            return self._error(
                repo_id, requested, FetchErrorKind.INVALID, f"unexpected {type(exc).__name__}: {self._scrub(str(exc))}"
            )

    # ------------------------------------------------------------------ fetching

    def _fetch(
        self,
        repo_id: str,
        revision: str | None,
        requested: str,
        reuse: Callable[[str], HubModel | None] | None,
    ) -> FetchResult:
        info = self._with_retries(
            "model_info", lambda: self._api.model_info(repo_id, revision=revision, timeout=self._timeout)
        )
        fetched_at = iso_utc(self._clock())
        sha = info.sha
        if not isinstance(sha, str) or not is_full_sha(sha):
            return self._error(repo_id, requested, FetchErrorKind.INVALID, "the Hub's model info has no commit sha")
        siblings = (
            tuple(s.rfilename for s in info.siblings if isinstance(s.rfilename, str))
            if info.siblings is not None
            else None
        )
        gated = normalise_gated(info.gated)
        tags = tuple(t for t in (info.tags or ()) if isinstance(t, str))
        base = HubModel(
            repo_id=repo_id,
            requested_revision=requested,
            sha=sha,
            tags=tags,
            gated=gated,
            private=bool(info.private),
            siblings=siblings or (),
            last_modified=iso_datetime(info.last_modified),
            fetched_at=fetched_at,
            source=self.endpoint,
        )
        known = reuse(sha) if reuse is not None else None
        if known is not None:
            return dataclasses.replace(
                known,
                repo_id=repo_id,
                requested_revision=requested,
                tags=base.tags,
                gated=base.gated,
                private=base.private,
                last_modified=base.last_modified,
                fetched_at=fetched_at,
                source=self.endpoint,
            )

        card_data: dict[str, Any] = {}
        card_error: str | None = None
        if info.card_data is not None:
            try:
                raw = info.card_data.to_dict()  # type: ignore[no-untyped-call]
                plain = plain_data(raw)
                card_data = plain if isinstance(plain, dict) else {}
            except CardError as exc:
                card_error = str(exc)
        elif siblings is not None and "README.md" in siblings:
            card_data, card_error = self._read_card(repo_id, sha)

        names, problems = wanted_files(siblings, card_data, repo_id, [self._host])
        files: list[LicenseFile] = []
        for name in names:
            lic, problem = self._read_license(repo_id, sha, name)
            if lic is not None:
                files.append(lic)
            if problem is not None:
                problems.append(problem)
        return dataclasses.replace(
            base,
            card_data=card_data,
            license_files=tuple(files),
            file_problems=tuple(problems),
            card_error=card_error,
        )

    def _read_card(self, repo_id: str, sha: str) -> tuple[dict[str, Any], str | None]:
        """README.md front matter, read only when the Hub gave no card data (it may be invalid)."""
        try:
            head, _size, _truncated = self._get_file(repo_id, sha, "README.md")
        except _FileAnswer as answer:
            return {}, f"README.md could not be read ({answer.problem.kind})"
        try:
            return parse_front_matter(head.decode("utf-8", errors="replace")), None
        except CardError as exc:
            return {}, str(exc)

    def _read_license(self, repo_id: str, sha: str, path: str) -> tuple[LicenseFile | None, FileProblem | None]:
        try:
            head, size, truncated = self._get_file(repo_id, sha, path)
        except _FileAnswer as answer:
            return None, answer.problem
        return decode_file(path, head, size, truncated)

    def _get_file(self, repo_id: str, sha: str, path: str) -> tuple[bytes, int | None, bool]:
        """One GET of the file at the pinned commit; the head up to the cap, its size, truncated?

        Gated, missing and refused files raise `_FileAnswer` (a fact about the repo); failures that
        outlive the retries raise `_Failed` and fail the model (its evidence would be incomplete).
        """
        url = f"{self.endpoint}/{quote(repo_id, safe='/')}/raw/{sha}/{quote(path, safe='/')}"
        try:
            return self._with_retries("file", lambda: self._download(url))
        except _Failed as failed:
            failure = failed.failure
            if failure.retry:
                raise
            if failure.kind is FetchErrorKind.GATED:
                why = (
                    "gated: the token has no access to this repo's files"
                    if self.has_token
                    else "gated: a token with access to this repo is needed to read it"
                )
                raise _FileAnswer(FileProblem(path, "gated", why)) from None
            if failure.status == 404 or isinstance(failure.error, RemoteEntryNotFoundError):
                raise _FileAnswer(FileProblem(path, "missing", "the repo has no such file at this commit")) from None
            raise _FileAnswer(FileProblem(path, "error", self._message(repo_id, sha, failed))) from None

    def _download(self, url: str) -> tuple[bytes, int | None, bool]:
        cap = self._max_file_bytes
        deadline = time.monotonic() + self._timeout  # real time: a server dripping bytes must not stall a run
        with get_session().stream("GET", url, headers=self._headers, timeout=self._timeout) as response:
            if response.status_code >= 400:
                response.read()
            hf_raise_for_status(response)
            buffer = bytearray()
            truncated = False
            for chunk in response.iter_bytes():
                buffer += chunk
                if len(buffer) > cap:
                    truncated = True
                    break
                if time.monotonic() > deadline:
                    raise httpx2.ReadTimeout("file body not received in time")
            encoded = "content-encoding" in response.headers
            declared = _int_or_none(response.headers.get("content-length")) if not encoded else None
            etag = (response.headers.get("etag") or "").strip('"')
        body = bytes(buffer[:cap])
        if truncated:
            return body, declared, True
        if declared is not None and declared != len(body):
            raise _BadBody(f"body is {len(body)} bytes, Content-Length says {declared}")
        if is_full_sha(etag) and etag not in (_git_blob_sha1(body), hashlib.sha1(body).hexdigest()):  # noqa: S324
            raise _BadBody("body does not match its ETag (cut short?)")
        return body, len(body), False

    # ------------------------------------------------------------------ retries

    def _with_retries(self, kind: str, operation: Callable[[], _T]) -> _T:
        attempt = 0
        while True:
            if self._cancelled.is_set():
                raise _Failed(_Failure(FetchErrorKind.NETWORK, "cancelled: the run is stopping"), attempt)
            self._await_pause()
            self._counters.add("requests")
            self._counters.add(f"requests_{kind}")
            try:
                result = operation()
            except Exception as exc:
                failure = self._classify(exc)
                with self._state_lock:
                    give_up_fast = failure.connect and self._unreachable
                if not failure.retry or attempt >= self._retries or give_up_fast:
                    if failure.connect:
                        with self._state_lock:
                            self._unreachable = True
                    raise _Failed(failure, attempt + 1) from None
                delay = self._delay(attempt, failure.retry_after)
                if failure.retry_after is not None:
                    self._pause_all(delay)
                self._counters.add("retries")
                self._sleep(delay)
                attempt += 1
            else:
                with self._state_lock:
                    self._unreachable = False
                return result

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter (uniform up to the exponential step); the server's Retry-After wins when given."""
        with self._rng_lock:
            if retry_after is not None:
                return min(retry_after, self._max_retry_after) + self._rng.uniform(0, 0.25)
            return self._rng.uniform(0, min(self._backoff_max, self._backoff_base * 2**attempt))

    def _pause_all(self, delay: float) -> None:
        """After a 429 every thread waits, not just the one told to: hammering on would be rude and futile."""
        with self._state_lock:
            self._pause_until = max(self._pause_until, self._clock() + delay)

    def _await_pause(self) -> None:
        with self._state_lock:
            wait = self._pause_until - self._clock()
        if wait > 0:
            self._sleep(min(wait, self._max_retry_after))

    def _classify(self, exc: BaseException) -> _Failure:
        if isinstance(exc, HfHubHTTPError):
            return self._classify_http(exc)
        if isinstance(exc, OfflineModeIsEnabled):
            return _Failure(FetchErrorKind.NETWORK, "HF_HUB_OFFLINE is set: huggingface_hub refuses to connect")
        if isinstance(exc, httpx2.TimeoutException):
            return _Failure(FetchErrorKind.NETWORK, f"no answer within {self._timeout:g} s", retry=True)
        if isinstance(exc, httpx2.ConnectError):
            return _Failure(
                FetchErrorKind.NETWORK,
                f"cannot connect ({self._scrub(str(exc)) or 'refused'})",
                retry=True,
                connect=True,
            )
        if isinstance(exc, (httpx2.NetworkError, httpx2.RemoteProtocolError, httpx2.ProxyError)):
            return _Failure(FetchErrorKind.NETWORK, f"connection failed: {self._scrub(str(exc))}", retry=True)
        if isinstance(exc, (httpx2.DecodingError, _BadBody, json.JSONDecodeError)):
            return _Failure(FetchErrorKind.INVALID, f"unreadable response: {self._scrub(str(exc))}", retry=True)
        if isinstance(exc, (httpx2.HTTPError, httpx2.InvalidURL)):
            return _Failure(FetchErrorKind.NETWORK, f"{type(exc).__name__}: {self._scrub(str(exc))}")
        if isinstance(exc, OSError):
            return _Failure(FetchErrorKind.NETWORK, f"{type(exc).__name__}: {self._scrub(str(exc))}", retry=True)
        return _Failure(FetchErrorKind.INVALID, f"unexpected answer ({type(exc).__name__}: {self._scrub(str(exc))})")

    def _classify_http(self, exc: HfHubHTTPError) -> _Failure:
        status = exc.response.status_code if exc.response is not None else None
        server = self._scrub((exc.server_message or "").strip().splitlines()[0] if exc.server_message else "")
        said = f": {server}" if server else ""
        if isinstance(exc, GatedRepoError):
            return _Failure(FetchErrorKind.GATED, f"gated (HTTP {status})", status=status, error=exc)
        if isinstance(exc, RevisionNotFoundError):
            return _Failure(FetchErrorKind.REVISION_NOT_FOUND, "revision not found", status=status, error=exc)
        if isinstance(exc, RemoteEntryNotFoundError):
            return _Failure(FetchErrorKind.NOT_FOUND, "no such file", status=404, error=exc)
        if isinstance(exc, RepositoryNotFoundError):
            return _Failure(FetchErrorKind.NOT_FOUND, "repo not found", status=status, error=exc)
        if isinstance(exc, DisabledRepoError):
            return _Failure(FetchErrorKind.DISABLED, "access to this repo is disabled", status=status, error=exc)
        if status in (401, 403):
            if status == 401 and not self.has_token:
                return _Failure(FetchErrorKind.NOT_FOUND, "repo not found", status=status, error=exc)
            return _Failure(FetchErrorKind.AUTH, f"HTTP {status}{said}", status=status, error=exc)
        if status == 404:
            return _Failure(FetchErrorKind.NOT_FOUND, f"HTTP 404{said}", status=status, error=exc)
        if status == 429:
            return _Failure(
                FetchErrorKind.RATE_LIMITED,
                f"HTTP 429 Too Many Requests{said}",
                retry=True,
                retry_after=self._retry_after(exc.response.headers),
                status=status,
                error=exc,
            )
        if status is not None and status >= 500:
            return _Failure(
                FetchErrorKind.SERVER,
                f"HTTP {status}{said}",
                retry=status in _RETRY_STATUS,
                retry_after=self._retry_after(exc.response.headers),  # e.g. 503 during maintenance
                status=status,
                error=exc,
            )
        if status in _RETRY_STATUS:
            return _Failure(FetchErrorKind.NETWORK, f"HTTP {status}{said}", retry=True, status=status, error=exc)
        return _Failure(FetchErrorKind.INVALID, f"HTTP {status}{said}", status=status, error=exc)

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
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
                    return max(0.0, when.timestamp() - self._clock())
        info = parse_ratelimit_headers(headers)
        if info is not None and info.remaining == 0:
            return float(info.reset_in_seconds)
        return None

    # ------------------------------------------------------------------ messages

    def _message(self, repo_id: str, revision: str, failed: _Failed) -> str:
        failure = failed.failure
        tries = f" (after {failed.attempts} attempts)" if failed.attempts > 1 else ""
        kind = failure.kind
        if kind is FetchErrorKind.NOT_FOUND:
            if self.has_token:
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
            return f"rate limited by {self.endpoint}{tries}; try later, or with a token (higher limits)"
        if kind is FetchErrorKind.SERVER:
            return f"server error from {self.endpoint}: {failure.detail}{tries}"
        if kind is FetchErrorKind.NETWORK and self._cancelled.is_set():
            return f"{repo_id}: not fetched, the run was stopped"
        if kind is FetchErrorKind.NETWORK:
            return f"cannot reach {self.endpoint}: {failure.detail}{tries}"
        return f"invalid response from {self.endpoint}: {failure.detail}{tries}"

    def _scrub(self, text: str) -> str:
        """Bounded and token-free: messages end up in reports, logs and CI annotations."""
        if self._token:
            text = text.replace(self._token, "***")
        return printable(text)

    def _error(self, repo_id: str, requested: str, kind: FetchErrorKind, message: str) -> FetchError:
        self._counters.add("failures")
        return FetchError(repo_id=repo_id, requested_revision=requested, kind=kind, message=self._scrub(message))


class _FileAnswer(Exception):
    """Not a failure: the file is gated, missing or refused, which is a fact about the repo."""

    def __init__(self, problem: FileProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _git_blob_sha1(body: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(body) + body).hexdigest()  # noqa: S324 - git's object id
