"""What `tuinews refresh` says when a fetch fails: each line names what happened (a 304
nobody asked for, a body cut short, a redirect loop, a Retry-After, how long a timeout
waited, a size limit as it was set), against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from feedserver import (
    Call,
    CutOff,
    FeedServer,
    Handler,
    Oversize,
    Reset,
    Stall,
    http_date,
    redirect,
    rss,
    static,
    status,
)
from test_cli import Cli
from test_fetch import SETTINGS, failure, fetch
from tuinews.refresh.network_errors import describe_network_error
from tuinews.refresh.outcome import minute_after


def subscribe(cli: Cli, url: str, title: str) -> None:
    cli.config.write_text(f'[[feeds]]\nurl = "{url}"\ntitle = "{title}"\n')


def always_304(handler: Handler) -> None:
    """A server (or a cache in front of it) that answers 304 whatever it is asked."""
    handler.send_response(304)
    handler.send_header("ETag", '"v1"')
    handler.end_headers()


# ---- 1. a 304 to a request that sent no validators ----------------------------------

UNASKED_304 = "HTTP 304 Not Modified to a request that asked for the whole feed"


async def test_a_304_to_a_plain_get_is_a_failure(server: FeedServer) -> None:
    url = server.route("/feed", Call(always_304))
    error = await failure(url)
    assert (error.reason, error.status) == (UNASKED_304, 304)
    assert "If-None-Match" not in server.requests("/feed")[0].headers


async def test_a_304_to_a_conditional_get_is_still_not_modified(server: FeedServer) -> None:
    url = server.route("/feed", Call(always_304))
    assert (await fetch(url, etag='"v1"')).not_modified
    assert (await fetch(url, last_modified=http_date(0))).not_modified


def test_refresh_says_the_unasked_304_and_feeds_shows_the_feed_failing(
    cli: Cli, server: FeedServer
) -> None:
    url = server.route("/feed", Call(always_304))
    subscribe(cli, url, "Cached")
    result = cli.call("refresh")
    assert result.status == 1
    assert f"tuinews: Cached: {UNASKED_304}" in result.err_lines
    assert "0 not modified, 1 failed" in result.out
    assert UNASKED_304 in cli.call("feeds").out


# ---- 2. a body cut short by a clean close, and a real reset --------------------------


async def test_a_body_cut_short_by_a_close_says_how_much_came(server: FeedServer) -> None:
    url = server.route("/cut", CutOff(rss(3)[:200], declared=5000))
    assert (await failure(url)).reason == (
        "the connection closed before the whole body arrived (got 200 of 5,000 bytes)"
    )


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
@pytest.mark.parametrize("keep", [20, 70, 0.5])
async def test_a_compressed_body_cut_short_without_a_length_says_so(
    server: FeedServer, encoding: str, keep: float
) -> None:
    """A tester's find: a gzip body the server closed early, with no Content-Length,
    failed as "empty document (0 bytes)" or an XML error, as if the feed were broken,
    and from a few hundred bytes on its start was saved as the whole feed. The stream
    knows its end: the line says the body was cut."""
    import gzip
    import zlib

    import brotli

    whole = rss(40)
    packed = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
    }[encoding](whole)
    sent = packed[: int(len(packed) * keep) if isinstance(keep, float) else keep]
    url = server.route("/cut", CutOff(sent, declared=None, encoding=encoding))
    assert (await failure(url)).reason == (
        f"the connection closed before the whole body arrived (got {len(sent):,} bytes)"
    )
    server.route("/whole", CutOff(packed, declared=None, encoding=encoding))
    assert (await fetch(server.url("/whole"))).body == whole  # ended by its close, whole


async def test_a_reset_mid_body_is_still_called_a_reset(server: FeedServer) -> None:
    url = server.route("/reset", Reset(partial=rss(3)[:100]))
    assert (await failure(url)).reason == "connection reset mid-body"


def test_refresh_line_for_a_cut_body(cli: Cli, server: FeedServer) -> None:
    body = rss(20)
    url = server.route("/feed", CutOff(body[:500], declared=len(body)))
    subscribe(cli, url, "Short")
    result = cli.call("refresh")
    assert result.err_lines == [
        "tuinews: Short: the connection closed before the whole body arrived "
        f"(got 500 of {len(body):,} bytes)"
    ]


# ---- 3. a redirect loop named, a long chain counted ----------------------------------


async def test_a_redirect_loop_is_named_by_its_urls(server: FeedServer) -> None:
    server.route("/b", redirect("/a", 302))
    url = server.route("/a", redirect("/b", 302))
    assert (await failure(url)).reason == f"redirect loop ({url} -> /b -> /a)"


async def test_a_redirect_without_a_location_says_it_lacks_one(server: FeedServer) -> None:
    # A tester's find: "HTTP 301 Moved Permanently" alone read as if it had moved.
    url = server.route("/a", status(301))
    assert (await failure(url)).reason == (
        "HTTP 301 Moved Permanently without a Location header saying where to"
    )


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("", "a redirect whose Location header names no address"),
        ("   ", "a redirect whose Location header names no address"),
        ("//", "redirected to '//', an address without a host: not followed"),
        ("http://", "redirected to 'http://', an address without a host: not followed"),
    ],
)
async def test_a_redirect_to_no_address_says_so_not_loop(
    server: FeedServer, location: str, reason: str
) -> None:
    # A tester's find: these were called a "redirect loop" of the feed's own address.
    url = server.route("/a", status(301, headers={"Location": location}))
    assert (await failure(url)).reason == reason


@pytest.mark.parametrize("url", ["http://", "https:///feed.xml"])
async def test_a_web_address_without_a_host_says_so(url: str) -> None:
    # A tester's find: "unsupported URL scheme 'http'", as `add` does not say.
    assert (await failure(url)).reason == "URL has no host"


async def test_a_loop_across_hosts_shows_each_url_whole(server: FeedServer) -> None:
    # One route sends 127.0.0.1 to localhost and localhost back: a path alone would
    # hide which host each step was on.
    other = server.url("/feed", host="localhost")
    server.route("/feed", Call(lambda h: _redirect_by_host(h, other, server.url("/feed"))))
    url = server.url("/feed")
    assert (await failure(url)).reason == f"redirect loop ({url} -> {other} -> {url})"


def _redirect_by_host(handler: Handler, to_localhost: str, to_ip: str) -> None:
    target = to_ip if handler.headers.get("Host", "").startswith("localhost") else to_localhost
    handler.send_response(302)
    handler.send_header("Location", target)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


async def test_a_loop_does_not_show_the_password(server: FeedServer) -> None:
    server.route("/b", redirect("/a", 302))
    server.route("/a", redirect("/b", 302))
    url = f"http://reader:s3cret@127.0.0.1:{server.port}/a"
    reason = (await failure(url)).reason
    assert reason == f"redirect loop (http://reader:***@127.0.0.1:{server.port}/a -> /b -> /a)"


async def test_a_failure_after_a_redirect_does_not_show_the_password(
    server: FeedServer,
) -> None:
    # A relative Location keeps the feed URL's user:password@ (the same origin, as
    # curl does): the address named after the status must not print it.
    server.route("/old", redirect("/new", 302))
    url = f"http://reader:s3cret@127.0.0.1:{server.port}/old"
    reason = (await failure(url)).reason
    assert reason == f"HTTP 404 Not Found (at http://reader:***@127.0.0.1:{server.port}/new)"
    assert "s3cret" not in reason


async def test_a_connection_refused_after_a_redirect_names_where(server: FeedServer) -> None:
    # The subscribed server answered (a 302): the one that refused is the redirect's.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/feed.xml"
    server.route("/moved", redirect(closed, 302))
    reason = (await failure(server.url("/moved"))).reason
    assert reason == f"connection refused (at {closed})"


async def test_each_failure_after_a_redirect_names_where(server: FeedServer) -> None:
    """Too large, timed out, an unasked 304, an unknown encoding: the server that failed
    is the redirect's, as the other failures said and these did not (a tester's find)."""

    def zstd(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Encoding", "zstd")
        handler.send_header("Content-Length", "4")
        handler.end_headers()
        handler.wfile.write(b"zstd")

    cases = {
        "big": (Oversize(3_000_000), "response larger than 1,000,000 bytes"),
        "slow": (Stall(interval=0.2), "timed out after 1 s"),
        "cached": (Call(always_304), UNASKED_304),
        "packed": (Call(zstd), "unsupported content encoding 'zstd'"),
    }
    settings = replace(SETTINGS, max_bytes=1_000_000, timeout=1.0)
    for name, (handler, said) in cases.items():
        target = server.route(f"/{name}", handler)
        server.route(f"/to-{name}", redirect(f"/{name}", 302))
        reason = (await failure(server.url(f"/to-{name}"), settings)).reason
        assert reason.startswith(said) and reason.endswith(f" (at {target})"), reason


async def test_a_long_chain_says_more_than_the_limit(server: FeedServer) -> None:
    for hop in range(6):
        server.route(f"/{hop}", redirect(f"/{hop + 1}", 302))
    server.route("/6", static(rss(1)))
    assert (await failure(server.url("/0"))).reason == "more than 5 redirects"
    assert (await fetch(server.url("/0"), replace(SETTINGS, max_redirects=6))).status == 200


def test_refresh_line_for_a_redirect_loop(cli: Cli, server: FeedServer) -> None:
    server.route("/b", redirect("/a", 302))
    url = server.route("/a", redirect("/b", 302))
    subscribe(cli, url, "Loopy")
    assert cli.call("refresh").err_lines == [f"tuinews: Loopy: redirect loop ({url} -> /b -> /a)"]


# ---- 4. Retry-After in the line -------------------------------------------------------


def _clock(moment: datetime, shape: str = "%H:%M") -> str:
    return moment.astimezone().strftime(shape)


async def test_retry_after_seconds_shows_the_time_of_day(server: FeedServer) -> None:
    url = server.route("/busy", status(503, headers={"Retry-After": "3600"}))
    before = datetime.now(UTC) + timedelta(seconds=3600)
    error = await failure(url)
    after = datetime.now(UTC) + timedelta(seconds=3600)
    # The minute may turn during the fetch; in the day's last hour, the time is tomorrow's
    # and has its date. Said to the minute, rounded up: the retry is due then.
    today = datetime.now().astimezone().date()
    shown = [minute_after(when) for when in (before, after)]
    assert error.reason in {
        "HTTP 503 Service Unavailable (server asks to retry after "
        f"{_clock(when, '%H:%M' if when.astimezone().date() == today else '%Y-%m-%d %H:%M')})"
        for when in shown
    }
    assert error.retry_after is not None and before <= error.retry_after <= after


async def test_a_short_retry_after_is_in_seconds(server: FeedServer) -> None:
    url = server.route("/slow", status(429, headers={"Retry-After": "30"}))
    assert (await failure(url)).reason == (
        "HTTP 429 Too Many Requests (server asks to retry in 30 s)"
    )


async def test_retry_after_days_away_shows_the_date(server: FeedServer) -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    header = {"Retry-After": http_date(later.timestamp())}
    url = server.route("/busy", status(503, headers=header))
    assert (await failure(url)).reason == (
        "HTTP 503 Service Unavailable (server asks to retry after "
        f"{_clock(later, '%Y-%m-%d %H:%M')})"
    )


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ({"Retry-After": str(60 * 86400)}, " (server asks to wait 7 days or more)"),
        ({"Retry-After": "0"}, ""),
        ({"Retry-After": "soon"}, ""),
        ({}, ""),
    ],
)
async def test_retry_after_odd_values(
    server: FeedServer, header: dict[str, str], said: str
) -> None:
    url = server.route("/busy", status(503, headers=header))
    assert (await failure(url)).reason == "HTTP 503 Service Unavailable" + said


def test_refresh_line_for_a_retry_after(cli: Cli, server: FeedServer) -> None:
    url = server.route("/feed", status(429, headers={"Retry-After": "45"}))
    subscribe(cli, url, "Busy")
    assert cli.call("refresh").err_lines == [
        "tuinews: Busy: HTTP 429 Too Many Requests (server asks to retry in 45 s)"
    ]


# ---- 5. how long a timeout waited -----------------------------------------------------


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose listen queue is full: a connection there is never accepted, so
    connecting waits until the client gives up (as with a host that drops packets)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))  # in progress: not waited for
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_a_connect_timeout_says_how_long_it_waited(unanswered_port: int) -> None:
    await asyncio.sleep(0.05)  # the fillers' handshakes fill the queue
    settings = replace(SETTINGS, connect_timeout=0.3)
    error = await failure(f"http://127.0.0.1:{unanswered_port}/feed", settings)
    assert error.reason == "timed out connecting to '127.0.0.1' after 0.3 s"


def test_a_read_timeout_says_how_long_it_waited() -> None:
    # The whole-feed limit ("timed out after 30 s") usually ends a silent server first;
    # when the read timeout does, its line gives the wait too.
    line = describe_network_error(
        httpx.ReadTimeout("timed out"), "http://a.example/", body_started=True, read_timeout=30
    )
    assert line == "timed out waiting for the server after 30 s"


# ---- 6. the size limit as it was set --------------------------------------------------


@pytest.mark.parametrize("declared", [True, False])
async def test_a_decimal_size_limit_is_shown_as_set(server: FeedServer, declared: bool) -> None:
    url = server.route("/big", Oversize(3_000_000, declare_length=declared))
    error = await failure(url, replace(SETTINGS, max_bytes=1_000_000))
    assert error.reason == "response larger than 1,000,000 bytes"


async def test_a_binary_size_limit_keeps_its_unit(server: FeedServer) -> None:
    url = server.route("/big", Oversize(3 * 1024 * 1024))
    error = await failure(url, replace(SETTINGS, max_bytes=1536 * 1024))
    assert error.reason == "response larger than 1.5 MB"


def test_refresh_line_for_a_decimal_size_limit(cli: Cli, server: FeedServer) -> None:
    url = server.route("/feed", Oversize(3_000_000))
    cli.config.write_text(
        f'[refresh]\nmax_bytes = 1000000\n\n[[feeds]]\nurl = "{url}"\ntitle = "Huge"\n'
    )
    assert cli.call("refresh").err_lines == ["tuinews: Huge: response larger than 1,000,000 bytes"]
