"""Refresh behaviour around the network's edges: proxies (SOCKS, bad settings, naming the proxy that
failed), plain TLS reasons, a feed removed while a refresh runs, and a moved feed kept
under its canonical URL. Real servers on 127.0.0.1 and real stores throughout."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from feedserver import Call, FeedServer, Handler, _send, closed_port_url, redirect, rss, static
from test_cli import Cli
from test_refresh import SETTINGS, only_outcome, refresh, stored
from tuinews.config import RefreshSettings
from tuinews.errors import TuinewsError
from tuinews.refresh import RefreshSummary
from tuinews.refresh.client import ProxyConfigError, make_client
from tuinews.refresh.fetch import Fetcher, FetchError
from tuinews.store import Store

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment with no proxy and no NO_PROXY (conftest sets NO_PROXY=*)."""
    for name in (*PROXY_VARIABLES, "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


class Socks5Server:
    """A SOCKS5 proxy (no authentication, CONNECT only) that sends every host name it
    is asked for to 127.0.0.1, so a name that resolves nowhere reaches the test server
    only through it. `asked` records the (host, port) pairs requested."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.asked: list[tuple[str, int]] = []
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            version, methods = await reader.readexactly(2)
            await reader.readexactly(methods)
            assert version == 5
            writer.write(b"\x05\x00")  # no authentication
            _version, command, _reserved, kind = await reader.readexactly(4)
            if kind == 1:
                host = socket.inet_ntoa(await reader.readexactly(4))
            elif kind == 3:
                (length,) = await reader.readexactly(1)
                host = (await reader.readexactly(length)).decode("ascii")
            else:
                host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            self.asked.append((host, port))
            assert command == 1  # CONNECT
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            writer.write(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + b"\x00\x00")
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Socks5Server]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("variable", "scheme"), [("ALL_PROXY", "socks5h"), ("http_proxy", "socks5")]
)
async def test_a_feed_is_fetched_through_a_socks_proxy(
    server: FeedServer, db: Path, proxy_env: pytest.MonkeyPatch, variable: str, scheme: str
) -> None:
    server.route("/feed", static(rss(2)))
    async with Socks5Server(server.port).running() as socks:
        proxy_env.setenv(variable, f"{scheme}://127.0.0.1:{socks.port}")
        url = "http://feeds.example.test/feed"  # resolvable only by the proxy
        outcome = only_outcome(await refresh(db, url))
    assert (outcome.status, outcome.new, outcome.error) == ("updated", 2, None)
    assert socks.asked == [("feeds.example.test", 80)]  # the proxy resolved the name
    assert server.requests("/feed")[0].headers["Host"] == "feeds.example.test"


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "ALL_PROXY",
            "ftp://x",
            "ALL_PROXY=ftp://x: unsupported proxy scheme 'ftp' "
            "(use http, https, socks5 or socks5h)",
        ),
        (
            "http_proxy",
            "garbage",
            "http_proxy=garbage: not a proxy address "
            "(expected http://host:port or socks5h://host:port)",
        ),
        (
            "HTTPS_PROXY",
            "http://user:secret@proxy.example:99999",
            "HTTPS_PROXY=http://user:***@proxy.example:99999: "
            "not a valid proxy URL (port out of range 0-65535)",
        ),
    ],
)
def test_a_proxy_setting_that_cannot_work_is_one_line_naming_it(
    cli: Cli, proxy_env: pytest.MonkeyPatch, variable: str, value: str, line: str
) -> None:
    # A feed that goes through the proxy: one that does not is fetched all the same.
    scheme = "https" if variable.lower() == "https_proxy" else "http"
    url = f"{scheme}://feeds.example.test/feed"
    cli.config.write_text(f'[[feeds]]\nurl = "{url}"\n')
    proxy_env.setenv(variable, value)
    for command in (["refresh"], ["list", url]):
        result = cli.call(*command)
        assert (result.status, result.err_lines) == (1, [f"tuinews: {line}"]), command
        assert "secret" not in result.err


async def test_a_bad_proxy_no_feed_goes_through_stops_nothing(
    db: Path, server: FeedServer, proxy_env: pytest.MonkeyPatch
) -> None:
    # NO_PROXY sends the feed directly: the broken http_proxy used to stop the refresh.
    feed = server.route("/feed.xml", static(rss(2)))
    away = server.route("/away", redirect("http://feeds.example.test/feed"))
    proxy_env.setenv("http_proxy", "http://bad proxy:99")
    proxy_env.setenv("no_proxy", "127.0.0.1")
    summary = await refresh(db, feed, away)
    outcomes = {o.url: o for o in summary.outcomes}
    assert outcomes[feed].status == "updated" and outcomes[feed].new == 2
    # A redirect that leads through the broken proxy fails with its line.
    assert outcomes[away].status == "failed"
    assert "http_proxy=http://bad proxy:99: a proxy address has no spaces" in str(
        outcomes[away].error
    )


async def test_the_reader_hears_a_bad_proxy_setting_as_one_line(
    db: Path, proxy_env: pytest.MonkeyPatch
) -> None:
    # The reader's refresh worker shows str() of any TuinewsError refresh_feeds raises.
    proxy_env.setenv("all_proxy", "gopher://proxy.example:70")
    with pytest.raises(TuinewsError) as raised:
        await refresh(db, "http://feeds.example.test/feed")
    assert isinstance(raised.value, ProxyConfigError)
    assert str(raised.value).startswith("all_proxy=gopher://proxy.example:70: unsupported")


async def test_a_dead_proxy_is_named_in_the_failure(
    db: Path, proxy_env: pytest.MonkeyPatch
) -> None:
    proxy = closed_port_url("")
    proxy_env.setenv("HTTP_PROXY", proxy)
    outcome = only_outcome(await refresh(db, "http://feeds.example.test/feed"))
    assert (outcome.status, outcome.error) == ("failed", f"proxy {proxy}: connection refused")


async def test_a_proxy_refusing_the_tunnel_says_the_answer_is_the_proxys(
    proxy_env: pytest.MonkeyPatch,
) -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # CONNECT feeds.example.test:443
        writer.write(b"HTTP/1.1 502 Proxy Says No\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async with await asyncio.start_server(refuse, "127.0.0.1", 0) as proxy_server:
        port = proxy_server.sockets[0].getsockname()[1]
        proxy_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
        async with make_client(SETTINGS) as client:
            with pytest.raises(FetchError) as raised:
                await Fetcher(client, SETTINGS).fetch("https://feeds.example.test/feed")
    assert raised.value.reason == (
        f"proxy http://127.0.0.1:{port}: HTTP 502 Bad Gateway (the proxy's answer, not the feed's)"
    )


async def test_https_to_a_plain_http_server_gives_a_plain_reason(server: FeedServer) -> None:
    server.route("/feed", static(rss(1)))
    async with make_client(SETTINGS) as client:
        with pytest.raises(FetchError) as raised:
            await Fetcher(client, SETTINGS).fetch(f"https://127.0.0.1:{server.port}/feed")
    assert raised.value.reason == (
        "TLS handshake failed: the server did not answer in TLS (is it really https?)"
    )


def test_a_feed_removed_during_the_refresh_is_skipped_not_failed(
    server: FeedServer, cli: Cli
) -> None:
    kept = server.route("/kept", static(rss(1, title="Kept")))

    def removed_meanwhile(handler: Handler) -> None:
        # What `tuinews remove` does to the store while this feed is being fetched.
        with Store.open(cli.db) as store:
            info = store.feed_by_url(gone)
            assert info is not None
            store.remove_feed(info.id)
        _send(handler, 200, {"Content-Type": "application/rss+xml"}, rss(2, title="Gone"))

    gone = server.route("/gone", Call(removed_meanwhile))
    cli.config.write_text(f'[[feeds]]\nurl = "{kept}"\n\n[[feeds]]\nurl = "{gone}"\n')
    result = cli.call("refresh")
    assert result.status == 0, result.err
    assert result.err == ""
    assert f"skipped  {gone}: removed during the refresh" in result.out
    assert "1 new article," in result.out and "0 failed, 1 skipped" in result.out
    with Store.open(cli.db) as store:
        assert store.feed_by_url(gone) is None


async def test_a_moved_feed_is_stored_under_its_canonical_url(server: FeedServer, db: Path) -> None:
    server.route("/feed", static(rss(1)))
    old = server.route("/old", redirect(f"http://127.0.0.1:{server.port}/x/../feed#latest"))
    outcome = only_outcome(await refresh(db, old))
    new = f"http://127.0.0.1:{server.port}/feed"
    assert (outcome.status, outcome.moved_to) == ("updated", new)
    assert stored(db, new).url == new


@contextlib.asynccontextmanager
async def _hanging_server() -> AsyncIterator[int]:
    """A server that takes every connection and never says a word; its port."""
    held: list[asyncio.StreamWriter] = []

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    async with await asyncio.start_server(hang, "127.0.0.1", 0) as hanging:
        yield hanging.sockets[0].getsockname()[1]
        for writer in held:
            writer.close()


async def test_servers_that_took_the_connection_are_not_taken_for_offline(
    server: FeedServer, db: Path, proxy_env: pytest.MonkeyPatch
) -> None:
    """An https address served in plain HTTP, and a server that takes the connection
    and hangs: every feed of the refresh failed so, and it said "no feed answered
    (offline?)" with no back-off, so each cron run asked them again (a tester's find)."""
    server.route("/feed", static(rss(1)))
    settings = RefreshSettings(timeout=1.0, connect_timeout=0.5)
    async with _hanging_server() as port:
        urls = [
            f"https://127.0.0.1:{server.port}/feed",
            f"http://127.0.0.1:{port}/feed",
            f"https://127.0.0.1:{port}/feed",  # took the connection, hung in the handshake
        ]
        summary = await refresh(db, *urls, settings=settings)
    assert not summary.offline
    assert [outcome.error for outcome in summary.outcomes] == [
        "TLS handshake failed: the server did not answer in TLS (is it really https?)",
        "timed out after 1 s",
        "the TLS handshake timed out after 0.5 s",
    ]
    with Store.open(db) as store:
        assert all(info.next_fetch is not None for info in store.feeds())  # backed off


async def _asks_for_credentials(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A proxy answering every request (and CONNECT) with 407."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
        b'Proxy-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n'
    )
    await writer.drain()
    writer.close()


def _asked_for_credentials(summary: RefreshSummary, port: int, db: Path) -> None:
    """Each feed said the proxy wants a password: not "offline?", and no back-off (the
    proxy setting is this machine's to fix)."""
    assert not summary.offline
    assert [outcome.error for outcome in summary.outcomes] == [
        f"proxy http://127.0.0.1:{port} wants a user name and password (HTTP 407)"
    ] * len(summary.outcomes)
    with Store.open(db) as store:
        assert [info.next_fetch for info in store.feeds()] == [None] * len(summary.outcomes)


async def _refresh_through(
    proxy: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    variable: str,
    proxy_env: pytest.MonkeyPatch,
    db: Path,
    urls: list[str],
    **options: Any,
) -> tuple[RefreshSummary, int]:
    """Refresh `urls` with `variable` naming a proxy served by `proxy`; and its port."""
    async with await asyncio.start_server(proxy, "127.0.0.1", 0) as proxy_server:
        port = proxy_server.sockets[0].getsockname()[1]
        proxy_env.setenv(variable, f"http://127.0.0.1:{port}")
        return await refresh(db, *urls, **options), port


async def test_a_hanging_proxy_is_named_and_a_407_asks_for_credentials(
    db: Path, proxy_env: pytest.MonkeyPatch
) -> None:
    """A proxy that hangs was not named ("timed out after 1 s", as if the feed's server
    were slow), and a 407 was folded into "no feed answered (offline?)" (a tester's
    find). A 407 is this machine's setting to fix: no back-off."""
    settings = RefreshSettings(timeout=1.0, connect_timeout=2.0)
    urls = ["http://feeds.example.test/a", "http://feeds.example.test/b"]
    async with _hanging_server() as port:
        proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        summary = await refresh(db, *urls, settings=settings)
    assert [outcome.error for outcome in summary.outcomes] == [
        f"timed out after 1 s (through proxy http://127.0.0.1:{port})"
    ] * 2

    summary, port = await _refresh_through(
        _asks_for_credentials, "HTTP_PROXY", proxy_env, db, urls, settings=settings, force=True
    )
    _asked_for_credentials(summary, port, db)


async def test_https_through_a_proxy_asking_for_a_password_or_tunnelling_to_plain_http(
    server: FeedServer, db: Path, proxy_env: pytest.MonkeyPatch
) -> None:
    """HTTPS_PROXY answering CONNECT with 407 was "no feed answered (offline?)", or a
    back-off; an https feed answered in plain HTTP through the proxy's tunnel was
    "offline?" too, not backed off (a regression tester's finds)."""
    server.route("/feed", static(rss(1)))

    async def tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # CONNECT 127.0.0.1:port: to the plain server
        target_reader, target_writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, target_writer), pipe(target_reader, writer))

    urls = [f"https://127.0.0.1:{server.port}/feed", f"https://localhost:{server.port}/feed"]
    summary, port = await _refresh_through(
        _asks_for_credentials, "HTTPS_PROXY", proxy_env, db, urls
    )
    _asked_for_credentials(summary, port, db)
    summary, port = await _refresh_through(tunnel, "HTTPS_PROXY", proxy_env, db, urls, force=True)
    assert not summary.offline
    assert [outcome.error for outcome in summary.outcomes] == [
        "TLS handshake failed: the server did not answer in TLS (is it really https?)"
    ] * 2
    with Store.open(db) as store:
        assert all(info.next_fetch is not None for info in store.feeds())  # backed off


async def _forbids(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A filtering proxy that answers every request 403 itself."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    writer.close()


async def test_an_error_through_a_proxy_names_the_proxy(
    db: Path, proxy_env: pytest.MonkeyPatch
) -> None:
    """A filtering proxy's 403 read "HTTP 403 Forbidden" as if the site had refused:
    the user looked at the wrong machine (a tester's find)."""
    summary, port = await _refresh_through(
        _forbids, "HTTP_PROXY", proxy_env, db, ["http://feeds.example.test/a"]
    )
    assert [outcome.error for outcome in summary.outcomes] == [
        f"HTTP 403 Forbidden (through proxy http://127.0.0.1:{port})"
    ]
