"""The lean transport (hub/transport.py) against a real socket server that answers as scripted: keep-alive,
bodies by length and by chunks, and each way a server can fail, raised as httpcore raises it."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx2
import pytest

from auditor.hub.transport import StdlibTransport, new_session

Script = Callable[[socket.socket, bytes], bool]  # answers one request; False: close the connection


class ScriptedServer:
    """Accepts connections on 127.0.0.1 and answers each request with `script`; counts connections."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.hung_up = threading.Semaphore(0)  # released as each connection is closed by this side
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                buffered = b""
                while True:
                    while b"\r\n\r\n" not in buffered:
                        data = conn.recv(65536)
                        if not data:
                            return
                        buffered += data
                    head, _, buffered = buffered.partition(b"\r\n\r\n")
                    if not self.script(conn, head):
                        return
        finally:
            self.hung_up.release()

    def close(self) -> None:
        self._sock.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Script], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def make(script: Script) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def answer(body: bytes, *headers: str, status: str = "200 OK") -> Script:
    def script(conn: socket.socket, head: bytes) -> bool:
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return True

    return script


def dripping(head: bytes, stop: threading.Event) -> Script:
    """Sends `head`, then a space every 50 ms until `stop` is set: a body that never ends in time."""

    def script(conn: socket.socket, _head: bytes) -> bool:
        with contextlib.suppress(OSError):
            conn.sendall(head)
            while not stop.wait(0.05):
                conn.sendall(b" ")
        return False

    return script


def get(client: httpx2.Client, url: str, timeout: float = 5.0) -> httpx2.Response:
    return client.send(client.build_request("GET", url, timeout=timeout))


def test_requests_to_the_endpoint_share_one_kept_alive_connection(serve: Callable[[Script], ScriptedServer]) -> None:
    server = serve(answer(b'{"id": "org/a"}', "Content-Type: application/json", "X-Repo-Commit: abc"))
    client = new_session(server.url)
    for _ in range(3):
        response = get(client, f"{server.url}/api/models/org/a")
        assert response.status_code == 200
        assert response.json() == {"id": "org/a"}
        assert response.headers["x-repo-commit"] == "abc"
    assert server.connections == 1


def test_the_request_carries_httpx_headers_once(serve: Callable[[Script], ScriptedServer]) -> None:
    seen: list[bytes] = []

    def script(conn: socket.socket, head: bytes) -> bool:
        seen.append(head)
        return answer(b"ok")(conn, head)

    server = serve(script)
    get(new_session(server.url), f"{server.url}/a%20b/resolve/main/README.md?x=1")
    lines = seen[0].split(b"\r\n")
    assert lines[0] == b"GET /a%20b/resolve/main/README.md?x=1 HTTP/1.1"
    names = [line.split(b":")[0].lower() for line in lines[1:]]
    assert names.count(b"host") == 1
    assert names.count(b"accept-encoding") == 1


def test_chunked_and_compressed_bodies_are_decoded(serve: Callable[[Script], ScriptedServer]) -> None:
    packed = gzip.compress(b"Apache License 2.0 text")

    def script(conn: socket.socket, head: bytes) -> bool:
        half = len(packed) // 2
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (packed[:half], packed[half:]))
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" + chunks + b"0\r\n\r\n"
        )
        return True

    server = serve(script)
    client = new_session(server.url)
    assert get(client, server.url + "/x").content == b"Apache License 2.0 text"
    assert get(client, server.url + "/x").content == b"Apache License 2.0 text"
    assert server.connections == 1  # a chunked body read to its end frees the connection too


def test_latin1_header_values_come_through_unchanged(serve: Callable[[Script], ScriptedServer]) -> None:
    server = serve(answer(b"", "X-Note: caf\xe9"))
    response = get(new_session(server.url), server.url + "/x")
    assert response.headers.raw[-1] == (b"X-Note", b"caf\xe9")


def test_a_body_cut_short_is_a_protocol_error_and_the_connection_is_not_reused(
    serve: Callable[[Script], ScriptedServer],
) -> None:
    def script(conn: socket.socket, head: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 40)
        return False

    server = serve(script)
    client = new_session(server.url)
    with pytest.raises(httpx2.RemoteProtocolError, match="complete message body"):
        get(client, server.url + "/x")
    with pytest.raises(httpx2.RemoteProtocolError):
        get(client, server.url + "/x")
    assert server.connections == 2


def test_a_server_that_hangs_up_without_answering_is_a_protocol_error(
    serve: Callable[[Script], ScriptedServer],
) -> None:
    server = serve(lambda conn, head: False)
    with pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"):
        get(new_session(server.url), server.url + "/x")


def test_an_idle_connection_the_server_closed_is_replaced_not_an_error(
    serve: Callable[[Script], ScriptedServer],
) -> None:
    answered = answer(b"ok")

    def script(conn: socket.socket, head: bytes) -> bool:
        answered(conn, head)
        return False  # closes after answering, without saying Connection: close

    server = serve(script)
    client = new_session(server.url)
    assert get(client, server.url + "/x").content == b"ok"
    assert server.hung_up.acquire(timeout=5)
    time.sleep(0.05)  # the hang-up crosses the loopback
    assert get(client, server.url + "/x").content == b"ok"
    assert server.connections == 2


def test_timeouts_and_refusals_are_httpx_exceptions(serve: Callable[[Script], ScriptedServer]) -> None:
    release = threading.Event()

    def slow(conn: socket.socket, head: bytes) -> bool:
        release.wait(5)
        return False

    server = serve(slow)
    with pytest.raises(httpx2.ReadTimeout):
        get(new_session(server.url), server.url + "/x", timeout=0.2)
    release.set()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = f"http://127.0.0.1:{port}"
    with pytest.raises(httpx2.ConnectError):
        get(new_session(closed), closed + "/x")


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n",  # too many headers
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"y" * 70000 + b"\r\n\r\n",  # a line past http.client's bound
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  # a chunk size that is no number
    ],
)
def test_malformed_answers_are_protocol_errors(serve: Callable[[Script], ScriptedServer], head: bytes) -> None:
    def script(conn: socket.socket, _head: bytes) -> bool:
        conn.sendall(head)
        return False

    server = serve(script)
    with pytest.raises(httpx2.RemoteProtocolError):
        get(new_session(server.url), server.url + "/x")


def test_other_origins_and_proxies_keep_httpx_transport(
    serve: Callable[[Script], ScriptedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(answer(b"ok"))
    client = new_session(server.url)
    assert isinstance(client._transport_for_url(httpx2.URL(server.url + "/x")), StdlibTransport)
    assert not isinstance(client._transport_for_url(httpx2.URL("http://cdn.example/x")), StdlibTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    proxied = new_session(server.url)
    assert not isinstance(proxied._transport_for_url(httpx2.URL(server.url + "/x")), StdlibTransport)


def test_informational_answers_are_skipped_never_taken_for_the_answer(
    serve: Callable[[Script], ScriptedServer],
) -> None:
    """http.client alone skips only 100 Continue: a 103 taken for the answer would leave the real one
    to be read as the next request's, pairing one model with another model's data."""

    def script(conn: socket.socket, head: bytes) -> bool:
        path = head.split(b" ")[1]
        hints = b"HTTP/1.1 103 Early Hints\r\nLink: </x.css>; rel=preload\r\n\r\n"
        conn.sendall(
            hints
            + b"HTTP/1.1 100 Continue\r\n\r\n"
            + b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(path), path)
        )
        return True

    server = serve(script)
    client = new_session(server.url)
    assert [get(client, f"{server.url}/{name}").content for name in ("first", "second")] == [b"/first", b"/second"]
    assert server.connections == 1


def test_a_switch_of_protocols_nobody_asked_for_is_a_protocol_error(serve: Callable[[Script], ScriptedServer]) -> None:
    def script(conn: socket.socket, head: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n")
        return True

    server = serve(script)
    with pytest.raises(httpx2.RemoteProtocolError, match="101"):
        get(new_session(server.url), server.url + "/x")


@pytest.mark.parametrize(
    ("head", "match"),
    [
        (b"HTTP/1.1 200 OK\r\nthis is not a header\r\nContent-Length: 2\r\n\r\nok", "malformed header block"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nok", "conflicting Content-Length"),
        (
            b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"y" * 1000) for i in range(90)) + b"\r\n",
            "head over",
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"X-T: y\r\n" * 200, "trailer lines"),
    ],
    ids=["junk-line", "two-lengths", "head-too-big", "endless-trailer"],
)
def test_answers_h11_refuses_are_refused_too(
    serve: Callable[[Script], ScriptedServer], head: bytes, match: str
) -> None:
    def script(conn: socket.socket, _head: bytes) -> bool:
        conn.sendall(head)
        time.sleep(0.5)  # keep the connection open: the refusal must not wait for the server to close
        return False

    server = serve(script)
    started = time.monotonic()
    with pytest.raises(httpx2.RemoteProtocolError, match=match):
        get(new_session(server.url), server.url + "/x").read()
    assert time.monotonic() - started < 0.45


def test_a_head_dripped_byte_by_byte_times_out_as_a_whole(serve: Callable[[Script], ScriptedServer]) -> None:
    stop = threading.Event()

    def script(conn: socket.socket, head: bytes) -> bool:
        with contextlib.suppress(OSError):
            for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 1000:
                if stop.wait(0.05):
                    break
                conn.sendall(bytes([byte]))
        return False

    server = serve(script)
    started = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout):
        get(new_session(server.url), server.url + "/x", timeout=0.3)  # each byte within it, the head not
    stop.set()
    assert time.monotonic() - started < 2


def test_a_dripped_body_is_handed_on_a_read_at_a_time(serve: Callable[[Script], ScriptedServer]) -> None:
    """So that a caller's deadline (hfclient's for a file body) is looked at while the body drips in."""
    stop = threading.Event()
    server = serve(dripping(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", stop))
    client = new_session(server.url)
    response = client.send(client.build_request("GET", server.url + "/x", timeout=5), stream=True)
    started = time.monotonic()
    for number, _chunk in enumerate(response.iter_raw(), 1):
        if number == 3:
            break
    stop.set()
    response.close()
    assert time.monotonic() - started < 1


def test_a_system_proxy_keeps_httpx_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    monkeypatch.setattr(urllib.request, "getproxies", lambda: {"https": "http://proxy.example:3128"})
    client = new_session("https://huggingface.co")
    assert not isinstance(client._transport_for_url(httpx2.URL("https://huggingface.co/api/models/x")), StdlibTransport)


def test_a_model_info_answer_is_read_within_a_size_and_a_time(
    serve: Callable[[Script], ScriptedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Hub client reads an answer whole only up to `hub-answer-bytes`, and within three read timeouts."""
    import auditor.hub.hfclient as hfclient
    from auditor.limits import Limit
    from auditor.models import FetchError, FetchErrorKind

    big = serve(answer(b'{"id": "org/a", "sha": "' + b"a" * 40 + b'", "siblings": []}' + b" " * 500))
    monkeypatch.setattr(hfclient, "HUB_ANSWER_BYTES", Limit("hub-answer-bytes", 200, "bytes", "a test's"))
    got = hfclient.HfHubSource(big.url, None, retries=0, timeout=5).fetch("org/a", None)
    assert isinstance(got, FetchError) and got.kind is FetchErrorKind.INVALID and "longer than 200 bytes" in got.message

    stop = threading.Event()
    slow = serve(
        dripping(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", stop)
    )
    started = time.monotonic()
    got = hfclient.HfHubSource(slow.url, None, retries=0, timeout=0.3).fetch("org/a", None)
    stop.set()
    assert isinstance(got, FetchError) and got.kind is FetchErrorKind.NETWORK
    assert time.monotonic() - started < 3


def test_a_compressed_model_info_answer_is_read_once_decoded(serve: Callable[[Script], ScriptedServer]) -> None:
    """The Hub compresses JSON for clients that accept it (httpx says it does): the answer read whole is
    decoded once, not handed on with headers that would have it decoded again."""
    import json

    from auditor.hub.hfclient import HfHubSource
    from auditor.models import HubModel

    info = {"id": "org/a", "sha": "a" * 40, "siblings": [], "tags": [], "cardData": {"license": "mit"}}
    packed = gzip.compress(json.dumps(info).encode())
    server = serve(answer(packed, "Content-Type: application/json", "Content-Encoding: gzip"))
    got = HfHubSource(server.url, None, retries=0).fetch("org/a", None)
    assert isinstance(got, HubModel) and got.card_data == {"license": "mit"}
