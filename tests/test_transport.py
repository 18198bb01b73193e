"""The refresh's own HTTP/1.1 transport: keep-alive, stale connections, TLS, proxies.

The behaviours every fetch depends on (statuses, redirects, limits, hostile servers) are
tested through it in test_fetch.py, test_refresh.py and test_hostile_http.py; this file
covers what is the transport's own: reusing connections, recovering from a server that
dropped an idle one, verifying TLS, and leaving proxied refreshes to httpx.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feedserver import FeedServer, rss, static
from test_cli import Cli
from tuinews.config import RefreshSettings
from tuinews.refresh.client import make_client
from tuinews.refresh.fetch import Fetcher, FetchError
from tuinews.refresh.transport import H11Transport


class _Counting:
    """A raw asyncio HTTP/1.1 server that counts connections; `drop_idle` closes each
    connection right after its first response (without saying so), as servers with a
    short keep-alive timeout do."""

    def __init__(self, *, drop_idle: bool = False) -> None:
        self.drop_idle = drop_idle
        self.connections = 0
        self.requests = 0
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> _Counting:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        body = rss(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                self.requests += 1
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                if self.drop_idle:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def _fetch_all(urls: list[str]) -> list[int]:
    client = make_client(RefreshSettings())
    try:
        assert isinstance(client._transport, H11Transport)  # no proxy in the environment
        fetcher = Fetcher(client, RefreshSettings())
        results = []
        for url in urls:
            results.append((await fetcher.fetch(url)).status)
            await asyncio.sleep(0.01)  # lets a dropped connection's end-of-file arrive
        return results
    finally:
        await client.aclose()


async def test_one_connection_serves_many_fetches() -> None:
    async with _Counting() as server:
        urls = [f"http://127.0.0.1:{server.port}/feed{n}" for n in range(5)]
        assert await _fetch_all(urls) == [200] * 5
    assert (server.requests, server.connections) == (5, 1)


async def test_a_connection_the_server_dropped_is_replaced() -> None:
    async with _Counting(drop_idle=True) as server:
        urls = [f"http://127.0.0.1:{server.port}/feed{n}" for n in range(3)]
        assert await _fetch_all(urls) == [200] * 3
    assert (server.requests, server.connections) == (3, 3)


async def test_a_stale_connection_found_only_when_writing_is_retried_once() -> None:
    # The drop is not yet noticed when the request goes out (no pause between fetches).
    async with _Counting(drop_idle=True) as server:
        client = make_client(RefreshSettings())
        fetcher = Fetcher(client, RefreshSettings())
        try:
            for n in range(3):
                result = await fetcher.fetch(f"http://127.0.0.1:{server.port}/f{n}")
                assert result.status == 200
        finally:
            await client.aclose()
    # Each request after the first met a dropped connection, then went out on a new one.
    assert (server.requests, server.connections) == (3, 3)


async def test_a_proxy_in_the_environment_keeps_httpx_transports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = make_client(RefreshSettings())
    try:
        assert not isinstance(client._transport, H11Transport)
    finally:
        await client.aclose()


async def test_header_flood_is_refused_in_one_line() -> None:
    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n")
        try:
            for n in range(100_000):
                writer.write(f"X-Filler-{n}: {'a' * 100}\r\n".encode())
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(flood, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = make_client(RefreshSettings())
    try:
        with pytest.raises(FetchError) as caught:
            await Fetcher(client, RefreshSettings()).fetch(f"http://127.0.0.1:{port}/")
    finally:
        await client.aclose()
        server.close()
    assert caught.value.reason == "the server sent headers larger than 16 KB"


# ---- TLS: the real command against an https server on loopback -------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own authority)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[FeedServer]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = FeedServer()
    # The handshake runs in the handler thread, so a client that gives up cannot stall
    # the accepting loop.
    server._server.socket = context.wrap_socket(
        server._server.socket, server_side=True, do_handshake_on_connect=False
    )
    with server:
        yield server


def _subscribe(cli: Cli, url: str) -> None:
    cli.config.write_text(f'[[feeds]]\nurl = "{url}"\n')


def test_https_feed_with_a_trusted_certificate(
    cli: Cli, https_server: FeedServer, certificate: tuple[Path, Path]
) -> None:
    https_server.route("/feed", static(rss(2), etag='"t1"'))
    _subscribe(cli, https_server.url("/feed").replace("http://", "https://"))
    env = {"SSL_CERT_FILE": str(certificate[0])}
    first = cli.run("refresh", env=env)
    assert first.status == 0, first.err
    assert "2 new articles" in first.out
    second = cli.run("refresh", env=env)
    assert second.status == 0, second.err
    assert "1 not modified" in second.out


def test_https_feed_with_an_unknown_certificate_fails_in_one_line(
    cli: Cli, https_server: FeedServer
) -> None:
    https_server.route("/feed", static(rss(2)))
    url = https_server.url("/feed").replace("http://", "https://")
    _subscribe(cli, url)
    # certifi's authorities do not know this certificate (nor this machine's, which its
    # SSL_CERT_FILE may name: the line would name it)
    result = cli.run("refresh", env={"SSL_CERT_FILE": "", "SSL_CERT_DIR": ""})
    assert result.status == 1
    assert (
        result.err.strip()
        == f"tuinews: {url}: TLS certificate not trusted (self-signed or unknown issuer)"
    )
    assert "Traceback" not in result.err


def test_plain_http_to_a_tls_port_fails_in_one_line(cli: Cli, https_server: FeedServer) -> None:
    https_server.route("/feed", static(rss(2)))
    url = https_server.url("/feed")
    _subscribe(cli, url)
    result = cli.run("refresh")
    assert result.status == 1
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith(f"tuinews: {url}: ")
    assert "Traceback" not in result.err


def test_transport_closes_its_idle_connections() -> None:
    async def run() -> int:
        async with _Counting() as server:
            client = make_client(RefreshSettings())
            fetcher = Fetcher(client, RefreshSettings())
            await fetcher.fetch(f"http://127.0.0.1:{server.port}/a")
            transport = client._transport
            assert isinstance(transport, H11Transport)
            await client.aclose()
            return sum(len(idle) for idle in transport._idle.values())

    assert asyncio.run(run()) == 0
    assert threading.active_count() >= 1


def test_httpx_response_type_is_kept() -> None:
    # Fetcher code relies on httpx.Response (headers, aiter_raw, aclose).
    async def run() -> type:
        async with _Counting() as server:
            client = make_client(RefreshSettings())
            try:
                request = client.build_request("GET", f"http://127.0.0.1:{server.port}/")
                response = await client.send(request, stream=True)
                await response.aread()
                await response.aclose()
                return type(response)
            finally:
                await client.aclose()

    assert asyncio.run(run()) is httpx.Response


async def test_bytes_sent_unasked_are_never_read_as_the_next_answer() -> None:
    body = rss(1)
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(
                    b"HTTP/1.1 200 OK\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
                )
                # A second answer nobody asked for, left waiting on the idle connection.
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = make_client(RefreshSettings())
    fetcher = Fetcher(client, RefreshSettings())
    try:
        bodies = []
        for n in range(2):
            bodies.append((await fetcher.fetch(f"http://127.0.0.1:{port}/{n}")).body)
            await asyncio.sleep(0.05)  # the unasked bytes arrive meanwhile
    finally:
        await client.aclose()
        server.close()
    assert bodies == [body, body]
    assert connections == 2


async def _answer_with(raw: bytes, *, close: bool = True) -> bytes | str:
    """Fetch from a server that answers every request with `raw` and then closes (or,
    with `close=False`, keeps the connection open without a word more): the body, or the
    failure's line."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(raw)
            await writer.drain()
            if not close:
                await reader.read()  # until the client gives up
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limits = RefreshSettings(timeout=0.5, connect_timeout=0.5)
    client = make_client(limits)
    try:
        return (await Fetcher(client, limits).fetch(f"http://127.0.0.1:{port}/")).body
    except FetchError as error:
        return error.reason
    finally:
        await client.aclose()
        server.close()


async def test_chunked_body_is_joined() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = head + b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    assert await _answer_with(raw) == b"hello world"


async def test_a_body_ended_by_closing_the_connection_is_read_whole() -> None:
    assert await _answer_with(b"HTTP/1.0 200 OK\r\n\r\n<rss>all of it</rss>") == (
        b"<rss>all of it</rss>"
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"SMTP ready\r\n\r\n",
    ],
    ids=["bad chunk size", "two lengths", "bad status", "not http"],
)
async def test_broken_framing_fails_in_one_line(raw: bytes) -> None:
    assert await _answer_with(raw) == "the server broke the HTTP protocol"


async def test_a_server_that_closes_without_answering_is_named_so() -> None:
    assert await _answer_with(b"") == "the server closed the connection without answering"


async def test_a_chunked_body_cut_short_says_how_much_came() -> None:
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"
    assert await _answer_with(raw) == (
        "the connection closed before the whole body arrived (got 3 bytes)"
    )


# ---- any answer at all: a result or one line, never an exception of another kind --------

_STATUS_LINES = st.sampled_from(
    [b"HTTP/1.1 200 OK", b"HTTP/1.1 304 Not Modified", b"HTTP/1.0 200 OK", b"HTTP/1.1 301 x",
     b"HTTP/1.1 999 ?", b"HTTP/2 200", b"HTTP/1.1 200", b"", b"ICY 200 OK"]
)  # fmt: skip
_HEADERS = st.lists(
    st.one_of(
        st.sampled_from(
            [b"Content-Length: 5", b"Content-Length: -1", b"Content-Length: 99999999999",
             b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip, chunked",
             b"Content-Encoding: gzip", b"Content-Encoding: br", b"Location: //x",
             b"Connection: close", b"X: \x00\x1b]52;c;AAAA\x07", b": empty name", b"no colon"]
        ),
        st.binary(max_size=40),
    ),
    max_size=6,
)  # fmt: skip
_BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"5\r\nhello\r\n0\r\n\r\n", b"ffffffffffffffff\r\n", b"0\r\n\r\n", b"hello"]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=_STATUS_LINES, headers=_HEADERS, body=_BODIES, close=st.booleans())
# A corrupt Brotli body once escaped as brotli.error and ended the refresh.
@example(status=b"HTTP/1.1 200 OK", headers=[b"Content-Encoding: br"], body=b"\x16", close=False)
def test_any_answer_gives_a_result_or_one_line(
    status: bytes, headers: list[bytes], body: bytes, close: bool
) -> None:
    raw = b"\r\n".join([status, *headers]) + b"\r\n\r\n" + body
    outcome = asyncio.run(_answer_with(raw, close=close))
    if isinstance(outcome, str):
        assert outcome and "\n" not in outcome and outcome.isprintable()


def test_a_refresh_of_many_hosts_keeps_few_connections_open(cli: Cli) -> None:
    """One idle connection was kept per host until the refresh ended: a refresh of a
    thousand feeds on as many hosts ran out of file descriptors (`ulimit -n` 1024) and
    failed hundreds of them with "Too many open files" (a tester's find). Here: 160
    servers (one origin each), and a limit of 96 open files."""
    from test_cli import TUINEWS

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers = [
        asyncio.run_coroutine_threadsafe(_Counting().__aenter__(), loop).result(timeout=10)
        for _ in range(160)
    ]
    try:
        cli.config.write_text(
            "".join(f'[[feeds]]\nurl = "http://127.0.0.1:{s.port}/feed.xml"\n\n' for s in servers)
        )
        # The shell lowers the limit (a preexec_fn would run in a forked threaded process).
        # At 48, the idle connections kept are fewer than 32 (an eighth of the limit):
        # a regression tester's 300 hosts under `ulimit -n 64` failed 92 feeds.
        for limit in (96, 48):
            done = subprocess.run(
                ["/bin/sh", "-c", f'ulimit -n {limit} && exec "$0" refresh --force', TUINEWS],
                env=cli.env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.stderr == ""
            assert done.returncode == 0
            assert done.stdout.splitlines()[-1].startswith("160 feeds: ")
            assert " 0 failed," in done.stdout.splitlines()[-1]
    finally:
        for server in servers:
            asyncio.run_coroutine_threadsafe(server.__aexit__(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


class _OpenConnections:
    """Connections open at once across several servers (idle ones included)."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Counted a moment late: the client closes an idle connection just before it
        # opens another, and the close may reach this loop after the new connection.
        await asyncio.sleep(0.005)
        self.now += 1
        self.most = max(self.most, self.now)
        body = rss(1)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(0.02)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.now -= 1
            writer.close()


async def test_connections_open_at_once_stay_within_the_concurrency_setting(
    tmp_path: Path,
) -> None:
    """Idle keep-alive connections were kept beside those in use: a server counting a
    refresh's connections saw 45 open where `concurrency` said 16 (a tester's find)."""
    from tuinews.model import Subscription
    from tuinews.refresh import refresh_feeds

    counted = _OpenConnections()
    servers = [await asyncio.start_server(counted.serve, "127.0.0.1", 0) for _ in range(12)]
    try:
        subs = [
            Subscription(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/f{n}.xml")
            for server in servers
            for n in range(3)
        ]
        settings = RefreshSettings(concurrency=4, per_host=2)
        summary = await refresh_feeds(tmp_path / "store.db", subs, settings)
    finally:
        for server in servers:
            server.close()
    assert summary.failed == 0 and len(summary.outcomes) == 36, summary.outcomes[:3]
    assert 2 <= counted.most <= 4, counted.most
