"""One HTTP fetch against the loopback server: limits, errors worded for users."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from feedserver import (
    CutOff,
    FeedServer,
    GzipBomb,
    Oversize,
    Reset,
    Stall,
    closed_port_url,
    http_date,
    redirect,
    rss,
    static,
    status,
)
from tuinews.config import RefreshSettings
from tuinews.refresh.client import make_client
from tuinews.refresh.fetch import Fetcher, FetchError, FetchResult, parse_retry_after

SETTINGS = RefreshSettings(timeout=5.0, connect_timeout=2.0)


async def fetch(url: str, settings: RefreshSettings = SETTINGS, **validators: str) -> FetchResult:
    async with make_client(settings) as client:
        return await Fetcher(client, settings).fetch(url, **validators)


async def failure(url: str, settings: RefreshSettings = SETTINGS) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetch(url, settings)
    return caught.value


async def test_ok_body_and_validators(server: FeedServer) -> None:
    body = rss(2)
    url = server.route("/f", static(body, etag='"e1"', last_modified=http_date(0)))
    result = await fetch(url)
    assert result.body == body
    assert result.etag == '"e1"'
    assert result.last_modified == http_date(0)
    assert result.moved_to is None
    seen = server.requests("/f")[0].headers
    assert seen["User-Agent"].startswith("tuinews/")


async def test_conditional_get_gives_not_modified(server: FeedServer) -> None:
    url = server.route("/f", static(rss(2), etag='"e1"', last_modified=http_date(0)))
    result = await fetch(url, etag='"e1"', last_modified=http_date(0))
    assert result.not_modified and result.body == b""
    seen = server.requests("/f")[0].headers
    assert seen["If-None-Match"] == '"e1"'
    assert seen["If-Modified-Since"] == http_date(0)


@pytest.mark.parametrize(
    ("code", "permanent"), [(301, True), (308, True), (302, False), (307, False)]
)
async def test_redirects(server: FeedServer, code: int, permanent: bool) -> None:
    target = server.route("/new", static(rss(1)))
    url = server.route("/old", redirect("/new", code))
    result = await fetch(url)
    assert result.url == target
    assert result.moved_to == (target if permanent else None)


async def test_temporary_hop_stops_the_permanent_chain(server: FeedServer) -> None:
    server.route("/c", static(rss(1)))
    server.route("/b", redirect("/c", 302))
    url = server.route("/a", redirect("/b", 301))
    result = await fetch(url)
    assert result.moved_to == server.url("/b")


async def test_redirect_loop(server: FeedServer) -> None:
    server.route("/a", redirect("/b", 302))
    url = server.route("/b", redirect("/a", 302))
    assert (await failure(url)).reason == f"redirect loop ({url} -> /a -> /b)"


async def test_too_many_redirects_counts_hops(server: FeedServer) -> None:
    for hop in range(3):
        server.route(f"/{hop}", redirect(f"/{hop + 1}", 302))
    server.route("/3", static(rss(1)))
    assert (await fetch(server.url("/0"), replace(SETTINGS, max_redirects=3))).status == 200
    error = await failure(server.url("/0"), replace(SETTINGS, max_redirects=2))
    assert error.reason == "more than 2 redirects"


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (404, "HTTP 404 Not Found"),
        (500, "HTTP 500 Internal Server Error"),
        (410, "gone (HTTP 410): feed disabled"),
    ],
)
async def test_error_statuses(server: FeedServer, code: int, line: str) -> None:
    url = server.route("/f", status(code, body=b"<html>oops</html>"))
    error = await failure(url)
    assert error.reason == line
    assert error.status == code
    assert error.gone == (code == 410)


async def test_retry_after_seconds_and_date(server: FeedServer) -> None:
    url = server.route("/slow", status(429, headers={"Retry-After": "120"}))
    error = await failure(url)
    assert error.reason.startswith("HTTP 429 Too Many Requests (server asks to retry after ")
    assert error.retry_after is not None
    wait = error.retry_after - datetime.now(UTC)
    assert timedelta(seconds=100) < wait <= timedelta(seconds=120)
    later = datetime.now(UTC) + timedelta(hours=2)
    url = server.route("/busy", status(503, headers={"Retry-After": http_date(later.timestamp())}))
    error = await failure(url)
    assert error.retry_after is not None
    assert abs((error.retry_after - later).total_seconds()) < 2


def test_retry_after_garbage_is_ignored() -> None:
    now = datetime.now(UTC)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after("99999999999", now) == now + timedelta(days=7)
    # Too large for a timedelta (it read as "invalid URL: port out of range"), and a
    # digit that is not ASCII (a traceback).
    assert parse_retry_after("9" * 20, now) == now + timedelta(days=7)
    assert parse_retry_after("\u00b2", now) is None


async def test_connection_refused() -> None:
    assert (await failure(closed_port_url())).reason == "connection refused"


async def test_unresolvable_host_fails_at_once() -> None:
    error = await failure("http://nonexistent.invalid/feed.xml")
    assert error.reason == "cannot resolve host 'nonexistent.invalid'"


async def test_stall_times_out_with_the_whole_feed_limit(server: FeedServer) -> None:
    url = server.route("/stall", Stall(interval=0.2))
    error = await failure(url, replace(SETTINGS, timeout=1.0))
    assert error.reason == "timed out after 1 s"


async def test_cut_off_body(server: FeedServer) -> None:
    url = server.route("/cut", CutOff(rss(3)[:200], declared=5000))
    assert (await failure(url)).reason == (
        "the connection closed before the whole body arrived (got 200 of 5,000 bytes)"
    )


async def test_reset_mid_body(server: FeedServer) -> None:
    url = server.route("/reset", Reset(partial=rss(3)[:100]))
    assert (await failure(url)).reason == "connection reset mid-body"


async def test_reset_before_any_response(server: FeedServer) -> None:
    url = server.route("/reset", Reset(before_headers=True))
    assert (await failure(url)).reason == "connection reset by the server"


@pytest.mark.parametrize("declared", [True, False])
async def test_oversize_body(server: FeedServer, declared: bool) -> None:
    url = server.route("/big", Oversize(3 * 1024 * 1024, declare_length=declared))
    error = await failure(url, replace(SETTINGS, max_bytes=1024 * 1024))
    assert error.reason == "response larger than 1 MB"


async def test_gzip_bomb_stops_at_the_limit(server: FeedServer) -> None:
    url = server.route("/bomb", GzipBomb(inflated=10 * 1024 * 1024))
    error = await failure(url, replace(SETTINGS, max_bytes=512 * 1024))
    assert error.reason == "response larger than 512 KB"


async def test_gzip_within_limit_is_decoded(server: FeedServer) -> None:
    import gzip

    body = rss(5)
    url = server.route("/gz", static(gzip.compress(body), headers={"Content-Encoding": "gzip"}))
    assert (await fetch(url)).body == body


async def test_a_plain_body_labelled_gzip_is_read_as_it_is(server: FeedServer) -> None:
    # A misconfigured server: no gzip magic bytes, so nothing was compressed.
    body = rss(5)
    url = server.route("/plain", static(body, headers={"Content-Encoding": "gzip"}))
    assert (await fetch(url)).body == body


async def test_codings_applied_one_after_another_are_undone_in_turn(server: FeedServer) -> None:
    # RFC 9110 8.4: Content-Encoding lists the codings in the order they were applied.
    import gzip
    import zlib

    body = rss(5)
    twice = gzip.compress(gzip.compress(body))
    server.route("/twice", static(twice, headers={"Content-Encoding": "gzip, gzip"}))
    mixed = gzip.compress(zlib.compress(body))
    server.route("/mixed", static(mixed, headers={"Content-Encoding": "deflate, x-gzip"}))
    assert (await fetch(server.url("/twice"))).body == body
    assert (await fetch(server.url("/mixed"))).body == body


async def test_a_bomb_compressed_twice_stops_at_the_limit(server: FeedServer) -> None:
    import gzip

    bomb = gzip.compress(gzip.compress(bytes(10 * 1024 * 1024), 9), 9)
    url = server.route("/bomb", static(bomb, headers={"Content-Encoding": "gzip, gzip"}))
    error = await failure(url, replace(SETTINGS, max_bytes=512 * 1024))
    assert error.reason == "response larger than 512 KB"


@pytest.mark.parametrize(
    ("coding", "said"),
    [("gzip, zstd", "zstd"), ("gzip, " * 4 + "gzip", "gzip,gzip,gzip,gzip,gzip")],
)
async def test_unknown_or_too_many_codings_are_named(
    server: FeedServer, coding: str, said: str
) -> None:
    url = server.route("/odd", static(rss(1), headers={"Content-Encoding": coding}))
    assert (await failure(url)).reason == f"unsupported content encoding '{said}'"


@pytest.mark.parametrize(
    ("coding", "body"),
    [("gzip", b"\x1f\x8b\x08\x00garbage after the magic"), ("deflate", b"\xff\x00not deflate")],
)
async def test_a_corrupt_compressed_body_says_which_coding(
    server: FeedServer, coding: str, body: bytes
) -> None:
    url = server.route("/bad", static(body, headers={"Content-Encoding": coding}))
    assert (await failure(url)).reason == (
        f"Content-Encoding says {coding}, but the body does not decompress as {coding}"
    )


async def test_brotli_and_deflate_are_decoded(server: FeedServer) -> None:
    import zlib

    brotli = pytest.importorskip("brotli")
    body = rss(5)
    server.route("/br", static(brotli.compress(body), headers={"Content-Encoding": "br"}))
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    deflated = raw.compress(body) + raw.flush()
    server.route("/deflate", static(deflated, headers={"Content-Encoding": "deflate"}))
    assert (await fetch(server.url("/br"))).body == body
    assert (await fetch(server.url("/deflate"))).body == body


async def test_unsupported_scheme_is_one_line() -> None:
    error = await failure("ftp://example.com/feed")
    assert "unsupported URL scheme" in error.reason


@pytest.mark.parametrize(
    ("size", "said"),
    [
        (25 * 1024 * 1024, "25 MB"),
        (1536 * 1024, "1.5 MB"),
        (1000, "1,000 bytes"),
        (1000 * 1024, "1000 KB"),
        (10_000, "10,000 bytes"),  # not "9.8 KB": a decimal limit shown as set
        (1_000_000, "1,000,000 bytes"),
    ],
)
def test_sizes_read_as_a_person_would_write_them(size: int, said: str) -> None:
    from tuinews.refresh.fetch import format_size

    assert format_size(size) == said  # was "0.976562 KB" for 1000 bytes
