"""The HTTP session the Hub client sends through: httpx's client over the standard library's HTTP/1.1.

huggingface_hub 2.x sends through an `httpx2.Client`, and `set_client_factory` exists so that users
can give it a transport of their own. httpx's default transport (httpcore over h11) costs about
0.1 ms of CPU a request more than `http.client`, which does the same HTTP/1.1 work with keep-alive,
and an audit sends a request or more per model. So requests to the Hub endpoint go through
`StdlibTransport`, a pool of `http.client` connections behind httpx's public `BaseTransport`;
everything above it (the client, requests, headers, `Response`, content decoding, huggingface_hub's
error parsing) is what it was. Failures are raised as the exceptions httpcore raises for them, so
retries and error messages do not depend on the transport.

Behind a proxy (a proxy variable in the environment) httpx's own transport is kept: it honours them.
TLS uses httpx's default context: the same certificates and environment switches.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import select
import ssl
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx2

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")  # what httpx reads, in either case
_CHUNK = 64 * 1024
_MAX_IDLE = 32  # idle connections kept per origin; one more is closed
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CUT_SHORT = "peer closed connection without sending complete message body"  # httpcore's words
_NO_RESPONSE = "server disconnected without sending a response"
_Origin = tuple[str, str, int]


def new_session(endpoint: str) -> httpx2.Client:
    """A client for `endpoint`: the lean transport for its origin, httpx's for any other (an LFS CDN)."""
    mounts: dict[str, httpx2.BaseTransport] = {}
    origin = urlsplit(endpoint)
    proxied = any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES)
    if origin.scheme in _DEFAULT_PORTS and origin.hostname and not proxied:
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
        with _mapped(request, conn, "connect"):
            conn.connect()
        return conn


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
            raise httpx2.RemoteProtocolError(f"malformed response ({type(exc).__name__})", request=request) from exc
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
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class _Body(httpx2.SyncByteStream):
    """The response body; the connection goes back to the pool once the body was read to its end."""

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
                chunk = self._answer.read(_CHUNK)  # closes the answer at its end (read1 would not)
                if not chunk and self._answer.length:  # read(amt) stops quietly where read() would raise
                    raise http.client.IncompleteRead(b"", self._answer.length)
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
