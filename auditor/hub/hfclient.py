"""The real Hub client: huggingface_hub's HTTP stack (an httpx2 client, made as its default one is, over
the transport in transport.py), headers, `ModelInfo`, error parsing and paged `list_models`, and the
behaviours the client lacks (timeouts, retries, pacing per rate-limit bucket, honest errors).

huggingface_hub 2.x sends `model_info` with no timeout and no retry, and `hf_hub_download` quietly
serves an older cached copy when the Hub answers with an error. So this module times out every
request, retries transient failures with capped exponential backoff and full jitter, holds requests
back while their rate-limit bucket is known to be empty (see ratelimit.py; a 429 waits for the reset
the Hub names), reads files through `/resolve/<sha>/<path>` (the Resolvers bucket, never `/raw/` or
`/blob/`, which count as Pages at a twentieth of the quota), and turns every failure into a value: a
`FetchError` for the model, or a `FileProblem` for a file that is gated, missing or too large.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urljoin, urlsplit

import httpx2
from huggingface_hub import ModelInfo, hf_raise_for_status
from huggingface_hub.errors import HFValidationError, RemoteEntryNotFoundError
from huggingface_hub.utils import build_hf_headers, validate_repo_id  # type: ignore[attr-defined]  # public

from auditor import __version__ as VERSION
from auditor.errors import HubUnavailableError
from auditor.hub.blobs import BlobRef, BlobStore, blob_refs, git_blob_sha1, mismatch, redirect_ref
from auditor.hub.content import (
    MAX_FILE_BYTES,
    PROBED_FILES,
    CardError,
    card_from_head,
    card_settles_license,
    check_card_size,
    decode_file,
    derived_tags,
    is_full_sha,
    iso_datetime,
    iso_utc,
    normalise_gated,
    plain_data,
    printable,
    same_origin,
    wanted_files,
)
from auditor.hub.deferred import DEFAULT_ENDPOINT, DEFAULT_RETRIES, DEFAULT_TIMEOUT
from auditor.hub.failures import (
    BadBody,
    Cancelled,
    Failed,
    Failure,
    FileAnswer,
    classify,
    drain,
    failure_message,
    int_or_none,
    read_capped,
)
from auditor.hub.listcache import LISTED_FIELDS, query_options
from auditor.hub.ratelimit import Bucket, Pacer, Wait, bucket_of
from auditor.hub.stats import CLIENT_COUNTERS, Counters
from auditor.hub.transport import new_session
from auditor.limits import HUB_ANSWER_BYTES
from auditor.models import FetchError, FetchErrorKind, FetchResult, FileProblem, HubModel, LicenseFile

_MAX_REDIRECTS = 3
_MAX_REDIRECT_BODY = 64 * 1024  # read to its end, a redirect's connection serves the next hop (see `drain`)
_T = TypeVar("_T")


class HfHubSource:
    """Fetches from a Hub (or any Hub-compatible server) through huggingface_hub.

    Per repo, with a token: one `model_info` (API bucket, with blob ids), a resolve (two hops, Resolvers
    bucket) per license file whose blob was not read before (blobs.py), README.md only when the Hub gave
    no card data. Anonymous with `card_first`: README.md through the Resolvers bucket gives the card and,
    in `X-Repo-Commit`, the commit; model_info only when the card does not name its license outright or
    the README is gated or missing. Models an org listing returned need no model_info. The token goes
    only to the endpoint, never into a message; `token=None` is anonymous (`open_source` decides).
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
        card_first: bool = False,
        blob_store: BlobStore | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if retries < 0:
            raise ValueError("retries must be zero or more")
        self.endpoint = endpoint.rstrip("/")
        self._token = token or None
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
        # License files by blob id (see blobs.py): memory only for this run unless the cache gives a folder.
        self._blobs = blob_store if blob_store is not None else BlobStore(None, max_bytes=max_file_bytes)
        self._host = (urlsplit(self.endpoint).hostname or "").lower()
        self._state_lock = threading.Lock()
        self._unreachable = False
        # Anonymous: a README readable without a token proves the repo public and not gated, so the card
        # can come through the Resolvers bucket. With a token only model_info can tell gating. Off by
        # default: without model_info's file list a LICENSE.md or PDF beside the card goes unseen.
        self._card_first = card_first and not self.has_token
        self._listed: dict[str, tuple[ModelInfo | Mapping[str, Any], float | None]] = {}  # entry, listed at
        self._pacer = Pacer(clock=clock, sleep=self._sleep, cancelled=self._cancelled.is_set)
        self._counters = Counters(CLIENT_COUNTERS)
        self._session = new_session(self.endpoint)
        # The session's default headers and the client's, merged once rather than per request (build_request).
        # token=False: never pick up a token saved on this machine; the caller decides (see factory).
        ours = build_hf_headers(token=self._token or False, library_name="auditor", library_version=VERSION)
        self._endpoint_headers = httpx2.Headers(self._session.headers)
        self._endpoint_headers.update(ours)
        self._other_headers = self._endpoint_headers.copy()  # the token goes to the endpoint only
        self._other_headers.pop("authorization", None)
        self._extensions = {"timeout": httpx2.Timeout(timeout).as_dict()}

    # ------------------------------------------------------------------ HubSource

    def describe(self) -> str:
        return self.endpoint

    def stats(self) -> Mapping[str, int]:
        counts = {**self._counters.snapshot(), **self._blobs.stats()}
        return {**counts, "quota_wait_s": round(self._pacer.waited_seconds())}

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
        except Failed as failed:
            return self._error(repo_id, requested, failed.failure.kind, self._message(repo_id, requested, failed))
        except Exception as exc:  # a bug or an unforeseen answer must not end the run: fail closed
            return self._error(
                repo_id, requested, FetchErrorKind.INVALID, f"unexpected {type(exc).__name__}: {self._scrub(str(exc))}"
            )

    # ------------------------------------------------------------------ fetching

    def _fetch(
        self, repo_id: str, revision: str | None, requested: str, reuse: Callable[[str], HubModel | None] | None
    ) -> FetchResult:
        listed = self._listed.get(repo_id) if revision in (None, "main") else None
        if listed is not None:  # the org listing already said what model_info would (see list_models)
            entry, listed_at = listed
            info = entry if isinstance(entry, ModelInfo) else ModelInfo(**entry)  # type: ignore[no-untyped-call]
            got = self._from_info(info, repo_id, requested, reuse)
            if listed_at is None or not isinstance(got, HubModel):
                return got
            return dataclasses.replace(got, fetched_at=iso_utc(listed_at))  # as old as its listing, not this run
        if self._card_first:
            lean = self._fetch_card_first(repo_id, revision, requested, reuse)
            if isinstance(lean, (HubModel, FetchError)):
                return lean
            revision = lean or revision  # the card did not settle it: ask model_info, at the commit just seen
        info = self._with_retries("model_info", lambda: self._model_info(repo_id, revision))
        return self._from_info(info, repo_id, requested, reuse)

    def _model_info(self, repo_id: str, revision: str | None) -> ModelInfo:
        """`HfApi.model_info`'s one GET, through the pacer so its RateLimit headers are read. `blobs=true`
        (`files_metadata=True`) lists each file's blob id: a blob read before needs no request (blobs.py)."""
        path = f"/api/models/{quote(repo_id, safe='/')}"
        if revision is not None:
            path += f"/revision/{quote(revision, safe='')}"
        path += "?blobs=true"
        response = self._send(Bucket.API, "GET", self.endpoint + path, stream=False)
        hf_raise_for_status(response)
        return ModelInfo(**response.json())  # type: ignore[no-untyped-call]  # the client's own parser

    def _fetch_card_first(
        self, repo_id: str, revision: str | None, requested: str, reuse: Callable[[str], HubModel | None] | None
    ) -> FetchResult | str | None:
        """The card and the commit through the Resolvers bucket; model_info only when they do not settle it.

        Returns a result, or the sha to ask model_info about (None: the commit is not known yet).
        A README that anonymous callers can read proves the repo is public and not gated. When the card
        names its license outright (no `other`, no `license_name`), the repo's `LICENSE` is read too (a
        probe: its absence is no problem) and its in-repo `license_link`, but the full file list, which
        only model_info gives, is not asked for. benchmarks/README.md weighs what that leaves out.
        """
        try:
            head, _size, truncated, headers = self._with_retries(
                "file", lambda: self._get(self._file_url(repo_id, revision or "main", "README.md"))
            )
        except Failed as failed:
            if failed.failure.retry:
                raise
            return None  # no README, gated, missing repo: model_info says which, and lists the files
        sha = (headers.get("x-repo-commit") or "").strip()
        if not is_full_sha(sha) or (is_full_sha(revision) and sha != revision):
            return None
        known = reuse(sha) if reuse is not None else None
        if known is not None:
            return dataclasses.replace(
                known, repo_id=repo_id, requested_revision=requested, fetched_at=iso_utc(self._clock())
            )
        try:
            card = card_from_head(head, truncated)
        except CardError:
            return sha  # the Hub's own reading of a broken card, as the full path reports it
        if not card_settles_license(card):
            return sha
        names, problems = wanted_files(None, card, repo_id, [self._host])
        files, found = self._read_files(repo_id, sha, names, problems)
        probe = next((n for n in PROBED_FILES if n not in names), None)
        if probe is not None:
            try:
                body, size, truncated, _headers = self._get_file(repo_id, sha, probe, by_blob=True)
            except FileAnswer as answer:
                if answer.problem.kind != "missing":
                    problems.append(answer.problem)
            else:
                lic, problem = decode_file(probe, body, size, truncated)
                files += [lic] if lic is not None else []
                problems += [problem] if problem is not None else []
                found.append(probe)
        siblings = ("README.md", *found)
        return HubModel(
            repo_id=repo_id,
            requested_revision=requested,
            sha=sha,
            card_data=card,
            tags=derived_tags(card, siblings),
            siblings=siblings,
            license_files=tuple(files),
            file_problems=tuple(problems),
            fetched_at=iso_utc(self._clock()),
            source=self.endpoint,
        )

    def _from_info(
        self, info: ModelInfo, repo_id: str, requested: str, reuse: Callable[[str], HubModel | None] | None
    ) -> FetchResult:
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
                check_card_size(card_data)  # a mirror reads only the head: both keep to one limit
            except CardError as exc:
                card_error = str(exc)
        elif siblings is not None and "README.md" in siblings:
            card_data, card_error = self._read_card(repo_id, sha, blob_refs(info.siblings, ["README.md"]))
        if card_error is not None:
            card_data = {}

        names, problems = wanted_files(siblings, card_data, repo_id, [self._host])
        # A gated repo's file list is public, its files are not: bytes held from elsewhere must not stand in for
        # a file this caller may not be allowed to read (the verdict would then depend on what ran before).
        refs = blob_refs(info.siblings, names)
        files, _found = self._read_files(repo_id, sha, names, problems, refs, from_store=gated is None)
        return dataclasses.replace(
            base,
            card_data=card_data,
            license_files=tuple(files),
            file_problems=tuple(problems),
            card_error=card_error,
        )

    def _read_files(
        self,
        repo_id: str,
        sha: str,
        names: list[str],
        problems: list[FileProblem],
        refs: Mapping[str, BlobRef] | None = None,
        from_store: bool = True,
    ) -> tuple[list[LicenseFile], list[str]]:
        """Each named file at the commit; problems are appended to `problems`. Returns the texts and the names found."""
        files: list[LicenseFile] = []
        found: list[str] = []
        for name in names:
            ref = refs.get(name) if refs is not None else None
            lic, problem = self._read_license(repo_id, sha, name, ref, from_store)
            if lic is not None:
                files.append(lic)
            if problem is None or problem.kind not in ("missing", "gated"):
                found.append(name)
            if problem is not None:
                problems.append(problem)
        return files, found

    def _read_card(self, repo_id: str, sha: str, refs: Mapping[str, BlobRef]) -> tuple[dict[str, Any], str | None]:
        """README.md front matter, read only when the Hub gave no card data (it may be invalid)."""
        try:
            head, _size, truncated, _headers = self._get_file(repo_id, sha, "README.md")
        except FileAnswer as answer:
            return {}, f"README.md could not be read ({answer.problem.kind})"
        ref = refs.get("README.md")
        if ref is not None and not truncated and not ref.matches(head):
            return {}, f"README.md: {mismatch(ref)}"
        try:
            return card_from_head(head, truncated), None
        except CardError as exc:
            return {}, str(exc)

    def _read_license(
        self, repo_id: str, sha: str, path: str, ref: BlobRef | None, from_store: bool
    ) -> tuple[LicenseFile | None, FileProblem | None]:
        """A license file at the commit. One the Hub listed with its blob id comes from the blob store when
        those bytes were read before (and `from_store`), else is read and checked against the id: bytes that
        differ are no evidence."""
        try:
            if ref is None or (ref.size is not None and ref.size > self._max_file_bytes):  # a head: nothing to check
                head, size, truncated, _headers = self._get_file(repo_id, sha, path, by_blob=ref is None)
                return decode_file(path, head, size, truncated)
            if from_store:
                body = self._blobs.read(ref, self._timeout, lambda: self._get_file(repo_id, sha, path)[0])
            else:
                body = self._blobs.check(ref, self._get_file(repo_id, sha, path)[0])
        except FileAnswer as answer:
            return None, answer.problem
        if body is None:
            self._counters.add("blob_mismatches")
            return None, FileProblem(path, "error", mismatch(ref))
        return decode_file(path, body, len(body), False)

    def _file_url(self, repo_id: str, revision: str, path: str) -> str:
        """`/resolve/`, the Resolvers bucket (the Hub's highest quota); never `/raw/` or `/blob/` (Pages)."""
        return f"{self.endpoint}/{quote(repo_id, safe='/')}/resolve/{quote(revision, safe='')}/{quote(path, safe='/')}"

    def _get_file(
        self, repo_id: str, sha: str, path: str, by_blob: bool = False
    ) -> tuple[bytes, int | None, bool, Mapping[str, str]]:
        """One read of the file at the pinned commit; the head up to the cap, its size, truncated?, headers.

        Gated, missing and refused files raise `FileAnswer` (a fact about the repo); failures that
        outlive the retries raise `Failed` and fail the model (its evidence would be incomplete).
        """
        url = self._file_url(repo_id, sha, path)
        try:
            return self._with_retries("file", lambda: self._get(url, by_blob))
        except Failed as failed:
            failure = failed.failure
            if failure.retry:
                raise
            if failure.kind is FetchErrorKind.GATED:
                why = (
                    "gated: the token has no access to this repo's files"
                    if self.has_token
                    else "gated: a token with access to this repo is needed to read it"
                )
                raise FileAnswer(FileProblem(path, "gated", why)) from None
            if failure.status == 404 or isinstance(failure.error, RemoteEntryNotFoundError):
                raise FileAnswer(FileProblem(path, "missing", "the repo has no such file at this commit")) from None
            raise FileAnswer(FileProblem(path, "error", self._message(repo_id, sha, failed))) from None

    def _send(self, bucket: Bucket, method: str, url: str, *, stream: bool) -> httpx2.Response:
        """One request, paced: held back while its bucket is known to be empty, its headers recorded."""
        if not self._pacer.acquire(bucket):
            raise Cancelled()
        self._counters.add(f"requests_{bucket.value}")
        answered = False
        try:
            response = self._session.send(self._request(method, url), stream=True, follow_redirects=False)
            answered = True
            self._pacer.observe(bucket, response.headers, status=response.status_code)
        finally:
            if not answered:
                self._pacer.release(bucket)
        if stream:
            return response
        try:  # an answer read whole is read within bounds: see read_capped (three read timeouts in all)
            body, cut = read_capped(response, HUB_ANSWER_BYTES, time.monotonic() + 3 * self._timeout)
        finally:
            response.close()
        if cut:
            raise BadBody(f"the answer is longer than {int(HUB_ANSWER_BYTES)} bytes ({HUB_ANSWER_BYTES.note})")
        # The body is decoded now: the headers that described the bytes on the wire would have it decoded again.
        plain = [(k, v) for k, v in response.headers.raw if k.lower() not in (b"content-encoding", b"content-length")]
        return httpx2.Response(response.status_code, headers=plain, content=body, request=response.request)

    def _request(self, method: str, url: str) -> httpx2.Request:
        """The token goes to the endpoint only: an LFS file redirects to a CDN on another origin."""
        headers = self._endpoint_headers if same_origin(url, self.endpoint) else self._other_headers
        return httpx2.Request(method, url, headers=headers, extensions=self._extensions)

    def _get(self, url: str, by_blob: bool = False) -> tuple[bytes, int | None, bool, Mapping[str, str]]:
        """GET a file, following the resolver's redirects hop by hop (each hop is paced in its bucket).

        `by_blob`: a license file no listing gave a blob id for. The resolver's redirect names it, so a
        blob read before needs no second hop, and one read now is kept (blobs.py).
        """
        named: BlobRef | None = None
        cap = self._max_file_bytes
        deadline = time.monotonic() + self._timeout  # real time: a server dripping bytes must not stall a run
        for _hop in range(_MAX_REDIRECTS + 1):
            bucket = bucket_of(urlsplit(url).path) if same_origin(url, self.endpoint) else None
            response = (
                self._send(bucket, "GET", url, stream=True)
                if bucket is not None
                else self._session.send(self._request("GET", url), stream=True, follow_redirects=False)
            )
            try:
                location = response.headers.get("location")
                if response.is_redirect and location:
                    url = urljoin(url, location)
                    drain(response, _MAX_REDIRECT_BODY, deadline)
                    named = redirect_ref(url) if by_blob and same_origin(url, self.endpoint) else None
                    known = self._blobs.get(named) if named is not None else None
                    if known is not None:
                        return known, len(known), False, response.headers
                    continue
                if response.status_code >= 400:
                    response.read()
                hf_raise_for_status(response)
                body, truncated = read_capped(response, cap, deadline)
                headers = response.headers
            finally:
                response.close()
            encoded = "content-encoding" in headers
            declared = int_or_none(headers.get("content-length")) if not encoded else None
            etag = (headers.get("etag") or "").strip('"')
            if truncated:
                return body, declared, True, headers
            if declared is not None and declared != len(body):
                raise BadBody(f"body is {len(body)} bytes, Content-Length says {declared}")
            if is_full_sha(etag) and etag not in (git_blob_sha1(body), hashlib.sha1(body).hexdigest()):  # noqa: S324
                raise BadBody("body does not match its ETag (cut short?)")
            if named is not None and named.matches(body):
                self._blobs.put(named, body)
            return body, len(body), False, headers
        raise BadBody(f"more than {_MAX_REDIRECTS} redirects")

    # ------------------------------------------------------------------ retries

    def _with_retries(self, kind: str, operation: Callable[[], _T]) -> _T:
        attempt = 0
        while True:
            if self._cancelled.is_set():
                raise Failed(Failure(FetchErrorKind.NETWORK, "cancelled: the run is stopping"), attempt)
            self._counters.add("requests")
            self._counters.add(f"requests_{kind}")
            try:
                result = operation()
            except Cancelled:
                raise Failed(Failure(FetchErrorKind.NETWORK, "cancelled: the run is stopping"), attempt) from None
            except Exception as exc:
                failure = self._classify(exc)
                with self._state_lock:
                    give_up_fast = failure.connect and self._unreachable
                if not failure.retry or attempt >= self._retries or give_up_fast:
                    if failure.connect:
                        with self._state_lock:
                            self._unreachable = True
                    raise Failed(failure, attempt + 1) from None
                self._counters.add("retries")
                if failure.status == 429:
                    # The pacer now holds the bucket empty until the Hub's reset (Retry-After, or the
                    # RateLimit header): the retry waits for it there, and so does every other request.
                    self._counters.add("rate_limited")
                else:
                    self._sleep(self._delay(attempt, failure.retry_after))
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

    # ------------------------------------------------------------------ listing

    def list_models(self, *, author: str | None = None, search: str | None = None) -> tuple[str, ...]:
        """The ids of the models an author publishes (or whose id contains `search`); see `list_infos`."""
        return tuple(info.id for info in self.list_infos(author=author, search=search))

    def list_infos(self, *, author: str | None = None, search: str | None = None) -> tuple[ModelInfo, ...]:
        """The Hub's paged listing (`/api/models` with `expand`, as `HfApi.list_models` asks it), page by page
        through the Link header: ~1 API request per 1,000 models, each paced, timed out and retried like
        model_info. A listing that still fails means the run cannot know its models: `HubUnavailableError`
        (exit 3), never a partial list."""
        query = [("author", author), ("search", search), *(("expand", field) for field in LISTED_FIELDS)]
        url: str | None = f"{self.endpoint}/api/models?{urlencode([(k, v) for k, v in query if v])}"
        infos: list[ModelInfo] = []
        try:
            while url is not None:
                page, url = self._with_retries("listing", functools.partial(self._listing_page, url))
                infos += page
        except Failed as failed:
            what = query_options(author, search)
            message = self._message(what, "main", failed)
            raise HubUnavailableError(message if message.startswith(what) else f"listing {what}: {message}") from None
        self.adopt_listed(infos)
        return tuple(infos)

    def _listing_page(self, url: str) -> tuple[list[ModelInfo], str | None]:
        response = self._send(Bucket.API, "GET", url, stream=False)
        hf_raise_for_status(response)
        items, after = response.json(), response.links.get("next", {}).get("url")
        following = urljoin(url, after) if after else None
        if not isinstance(items, list) or (following and urlsplit(following).hostname != urlsplit(url).hostname):
            raise BadBody("not a page of the model listing")
        ok = [i for i in items if isinstance(i, dict) and isinstance(i.get("id"), str) and is_full_sha(i.get("sha"))]
        return [ModelInfo(**i) for i in ok], following  # type: ignore[no-untyped-call]  # the client's own parser

    def adopt_listed(self, infos: Iterable[ModelInfo | Mapping[str, Any]], listed_at: float | None = None) -> None:
        """Listing entries `fetch` answers from, as from model_info: fresh, or a cached listing's (checked
        by listcache.py, in the Hub API's JSON shape) within its TTL, listed at `listed_at`."""
        self._listed.update(((i.id if isinstance(i, ModelInfo) else i["id"]), (i, listed_at)) for i in infos)

    def quota_wait(self) -> Wait | None:
        """The longest wait for a rate-limit bucket in progress (for a progress display), or None."""
        return self._pacer.waiting()

    def _classify(self, exc: BaseException) -> Failure:
        return classify(exc, timeout=self._timeout, has_token=self.has_token, scrub=self._scrub, clock=self._clock)

    # ------------------------------------------------------------------ messages

    def _message(self, repo_id: str, revision: str, failed: Failed) -> str:
        stopped = self._cancelled.is_set()
        return failure_message(repo_id, revision, failed, self.endpoint, has_token=self.has_token, stopped=stopped)

    def _scrub(self, text: str) -> str:
        """Bounded and token-free: messages end up in reports, logs and CI annotations."""
        if self._token:
            text = text.replace(self._token, "***")
        return printable(text)

    def _error(self, repo_id: str, requested: str, kind: FetchErrorKind, message: str) -> FetchError:
        self._counters.add("failures")
        return FetchError(repo_id=repo_id, requested_revision=requested, kind=kind, message=self._scrub(message))
