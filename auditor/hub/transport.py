"""The HTTP session the Hub client sends through: httpx's client over the standard library's HTTP/1.1.

huggingface_hub 2.x sends through an `httpx2.Client`, and `set_client_factory` exists so that users
can give it a transport of their own. httpx's default transport (httpcore over h11) costs about
0.1 ms of CPU a request more than `http.client`, which does the same HTTP/1.1 work with keep-alive;
measured over a cold 1,000-model scan, ~0.2 s of its ~2 s. So requests to the Hub endpoint go through
`StdlibTransport`, a pool of `http.client` connections behind httpx's public `BaseTransport`, in a
client of auditor's own made as huggingface_hub's default one is (no redirects followed, no timeout
but the one each request names). Everything above the transport (requests, headers, `Response`,
content decoding, huggingface_hub's error parsing) is what it was, and failures are raised as the
httpcore exceptions for the same failure, so retries and messages do not depend on the transport.

`http.client` is more lenient than h11 where a server misbehaves, so `_Answer` holds it to h11's
line: every informational (1xx) answer is skipped, not taken for the answer (which would pair the
next request with this one's answer); the head must arrive within twice the read timeout and in 64 KB;
a malformed header block, conflicting Content-Lengths or an endless trailer are protocol errors; a
body is handed on one socket read at a time, so a caller's deadline sees a server that drips bytes.

With a proxy configured (environment, or the system's settings where urllib reads them) httpx's own
transport is kept: it honours proxies. TLS uses httpx's default context (same certificates, same
environment switches).
"""

from __future__ import annotations

import contextlib
import email.errors
import http.client
import io
import select
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx2

_CHUNK = 64 * 1024
_MAX_IDLE = 32  # idle connections kept per origin; one more is closed
_MAX_HEAD_BYTES = 64 * 1024  # status line and headers (h11 allows 16 KB; the Hub's Link and CSP headers are long)
_MAX_HEADER_LINES = _MAX_TRAILER_LINES = 100  # as http.client bounds a response's header lines
# What the email parser under http.client flags in a multipart body's content type, which a head cannot
# break (urllib3 lets the same two pass).
_HARMLESS = (email.errors.StartBoundaryNotFoundDefect, email.errors.MultipartInvariantViolationDefect)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CUT_SHORT = "peer closed connection without sending complete message body"  # h11's words, as httpx raises them
_NO_RESPONSE = "Server disconnected without sending a response."  # httpcore's
_Origin = tuple[str, str, int]


def new_session(endpoint: str) -> httpx2.Client:
    """A client for `endpoint`: the lean transport for its origin, httpx's for any other (an LFS CDN)."""
    mounts: dict[str, httpx2.BaseTransport] = {}
    origin = urlsplit(endpoint)
    if origin.scheme in _DEFAULT_PORTS and origin.hostname and not urllib.request.getproxies():
        mounts[f"{origin.scheme}://{origin.netloc}"] = StdlibTransport()
    return httpx2.Client(follow_redirects=False, timeout=None, mounts=mounts)


class StdlibTransport(httpx2.BaseTransport):
    """HTTP/1.1 keep-alive over `http.client`, a pool per origin; safe to share between threads."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context
        self._idle: dict[_Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx2.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}", request=request)
        origin: _Origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        timeouts = request.extensions.get("timeout", {})
        body = request.read() or None
        # An idle connection the server has closed is dropped before use (see `_usable`), as httpcore
        # does; one closed after the request went out is an error for the caller's retries, as there.
        conn = self._take(origin) or self._connect(origin, timeouts.get("connect"), request)
        with _mapped(request, conn, "write"):
            if conn.sock is not None:
                conn.sock.settimeout(timeouts.get("write"))
            conn.putrequest(request.method, url.raw_path.decode("ascii"), skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.raw:  # Host and Accept-Encoding among them, as httpx set them
                conn.putheader(name, value)
            conn.endheaders(body)
        with _mapped(request, conn, "read"):
            if conn.sock is not None:
                conn.sock.settimeout(timeouts.get("read"))
            answer = conn.getresponse()
        return httpx2.Response(
            answer.status,
            # http.client decoded the header block as Latin-1: encoding it back gives the bytes sent
            headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.getheaders()],
            stream=_Body(self, origin, conn, answer, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode("latin-1", "replace")},
        )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    def _take(self, origin: _Origin) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                conns = self._idle.get(origin)
                conn = conns.pop() if conns else None
            if conn is None or _usable(conn):
                return conn
            conn.close()

    def _give_back(self, origin: _Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            conns = self._idle.setdefault(origin, [])
            if len(conns) < _MAX_IDLE:
                conns.append(conn)
                return
        conn.close()

    def _connect(self, origin: _Origin, timeout: float | None, request: httpx2.Request) -> http.client.HTTPConnection:
        scheme, host, port = origin
        conn: http.client.HTTPConnection
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = httpx2.create_ssl_context()
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._ssl_context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.response_class = _Answer
        with _mapped(request, conn, "connect"):
            conn.connect()
        return conn


class _Wire(io.RawIOBase):
    """The connection's socket as `_Answer` reads it: while the head is read, within a deadline and a
    byte budget (http.client alone bounds each line, not their sum or their pace)."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._timeout = sock.gettimeout()  # the request's read timeout (None: wait as long as it takes)
        self._deadline: float | None = time.monotonic() + 2 * self._timeout if self._timeout else None
        self._budget: int | None = _MAX_HEAD_BYTES + io.DEFAULT_BUFFER_SIZE  # the buffer reads ahead into the body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the response head did not arrive in time")
            self._sock.settimeout(min(left, self._timeout) if self._timeout else left)
        got = self._raw.readinto(buffer)
        if self._budget is not None and got:
            self._budget -= got
            if self._budget < 0:
                raise http.client.HTTPException(f"response head over {_MAX_HEAD_BYTES} bytes")
        return got

    def head_done(self) -> None:
        """The body is read under the request's read timeout alone, as httpcore reads it."""
        if self._deadline is not None:
            self._sock.settimeout(self._timeout)
        self._deadline = self._budget = None

    def close(self) -> None:
        super().close()
        self._raw.close()  # the socket's own reader: lets the connection close the socket when it is done


class _Answer(http.client.HTTPResponse):
    """http.client's response, held to h11's rules where it is more lenient (see the module docstring)."""

    def __init__(self, sock: socket.socket, debuglevel: int = 0, method: str | None = None, url: str | None = None):
        super().__init__(sock, debuglevel, method, url)
        assert isinstance(self.fp, io.BufferedReader)
        self._wire = _Wire(self.fp.detach(), sock)
        self.fp = io.BufferedReader(self._wire)

    def begin(self) -> None:
        super().begin()
        self._wire.head_done()
        if any(not isinstance(d, _HARMLESS) for d in self.msg.defects):  # e.g. a line that is no header
            raise http.client.HTTPException("malformed header block")
        if len({value.strip() for value in self.msg.get_all("content-length") or ()}) > 1:
            raise http.client.HTTPException("conflicting Content-Length headers")

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]  # not in typeshed
            if status == 101:
                raise http.client.HTTPException("101 Switching Protocols, which no request here asks for")
            if not 100 <= status < 200:
                return version, status, reason
            for _line in range(_MAX_HEADER_LINES + 1):  # the informational answer's own headers, discarded
                line = self.fp.readline(_CHUNK + 1)
                if len(line) > _CHUNK:
                    raise http.client.LineTooLong("header line")
                if line in (b"\r\n", b"\n", b""):
                    break
            else:
                raise http.client.HTTPException("too many headers in an informational answer")

    def _read_and_discard_trailer(self) -> None:
        for _line in range(_MAX_TRAILER_LINES):
            line = self.fp.readline(_CHUNK + 1)
            if len(line) > _CHUNK:
                raise http.client.LineTooLong("trailer line")
            if line in (b"\r\n", b"\n", b""):
                return
        raise http.client.HTTPException(f"more than {_MAX_TRAILER_LINES} trailer lines")


_TIMEOUTS: dict[str, type[httpx2.TimeoutException]] = {
    "connect": httpx2.ConnectTimeout,
    "write": httpx2.WriteTimeout,
    "read": httpx2.ReadTimeout,
}
_NETWORK: dict[str, type[httpx2.NetworkError]] = {
    "connect": httpx2.ConnectError,  # refused, unreachable, no such name, TLS handshake or certificate
    "write": httpx2.WriteError,
    "read": httpx2.ReadError,
}


@contextlib.contextmanager
def _mapped(request: httpx2.Request, conn: http.client.HTTPConnection, phase: str) -> Iterator[None]:
    """Failures in `phase` as httpcore's exceptions; the connection is closed, never reused after one."""
    try:
        yield
    except BaseException as exc:
        conn.close()
        if isinstance(exc, TimeoutError):
            raise _TIMEOUTS[phase](str(exc) or f"{phase} timed out", request=request) from exc
        if isinstance(exc, http.client.RemoteDisconnected):
            raise httpx2.RemoteProtocolError(_NO_RESPONSE, request=request) from exc
        if isinstance(exc, http.client.IncompleteRead):
            raise httpx2.RemoteProtocolError(_CUT_SHORT, request=request) from exc
        if isinstance(exc, http.client.HTTPException):  # a bad status line, a line too long, too many headers
            raise httpx2.RemoteProtocolError(
                f"malformed response ({exc or type(exc).__name__})", request=request
            ) from exc
        if isinstance(exc, OSError):
            raise _NETWORK[phase](str(exc) or type(exc).__name__, request=request) from exc
        if isinstance(exc, ValueError) and phase == "write":  # a control character in the request line or a header
            raise httpx2.LocalProtocolError(str(exc), request=request) from exc
        if isinstance(exc, ValueError):
            raise httpx2.RemoteProtocolError(f"malformed response ({exc})", request=request) from exc
        raise


def _usable(conn: http.client.HTTPConnection) -> bool:
    """An idle connection with nothing to read: readable means the server closed it (or sent junk)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        if hasattr(select, "poll"):  # no limit on the descriptor's number, unlike select()
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return not poller.poll(0)
        return not select.select([sock], [], [], 0)[0]
    except (OSError, ValueError):
        return False


class _Body(httpx2.SyncByteStream):
    """The response body, a socket read at a time; the connection goes back to the pool once the body
    was read to its end."""

    def __init__(
        self,
        pool: StdlibTransport,
        origin: _Origin,
        conn: http.client.HTTPConnection,
        answer: http.client.HTTPResponse,
        request: httpx2.Request,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._conn: http.client.HTTPConnection | None = conn
        self._answer = answer
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        while True:
            with _mapped(self._request, conn, "read"):
                # read1: at most one socket read, so a caller's deadline is looked at between reads
                chunk = self._answer.read1(_CHUNK)
                if not chunk:
                    if self._answer.length:  # the server closed before Content-Length was reached
                        raise http.client.IncompleteRead(b"", self._answer.length)
                    self._answer.read()  # marks a body read to its end as done (read1 leaves that to read)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._answer.isclosed() and not self._answer.will_close:
            self._pool._give_back(self._origin, conn)
        else:  # not read to its end, or the server will close it: never reused
            self._answer.close()
            conn.close()
