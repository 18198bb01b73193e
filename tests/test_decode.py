"""Compressed HTTP bodies decoded whole, however the network splits them, and a stream
that stops before its end told apart from one that ends (testers' finds)."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from feedserver import CutOff, FeedServer, blog_rss, rss
from test_fetch import fetch
from tuinews.refresh.decode import decoder_for


def decoded(coding: str, body: bytes, cuts: list[int]) -> tuple[bytes, bool]:
    """`body` fed to the decoder in pieces split at `cuts`: (what came out, ended)."""
    decoder = decoder_for(coding)
    out, start = [], 0
    for end in [*cuts, len(body)]:
        out.extend(decoder.decode(body[start:end]))
        start = end
    out.extend(decoder.flush())
    return b"".join(out), decoder.ended()


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def test_a_big_brotli_body_comes_out_whole() -> None:
    """brotli 1.2 says it can take more input while output is pending: only the first
    60 KB of a 370 KB feed came out, and the feed failed as cut short."""
    whole = blog_rss(200, item_bytes=1650)
    packed = brotli.compress(whole)
    for cuts in ([], list(range(1000, len(packed), 1000))):
        assert decoded("br", packed, cuts) == (whole, True)


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_a_second_gzip_member_whose_magic_the_network_splits_is_read(cut: int) -> None:
    whole = rss(20)
    first = gzip.compress(whole[:900])
    body = first + gzip.compress(whole[900:])
    assert decoded("gzip", body, [len(first) + cut - 1]) == (whole, True)
    assert decoded("gzip", body, [1]) == (whole, True)  # and the first's magic


@pytest.mark.parametrize("packed", [raw_deflate(rss(20)), zlib.compress(rss(20))])
def test_deflate_raw_or_wrapped_is_read_when_its_first_byte_comes_alone(packed: bytes) -> None:
    assert decoded("deflate", packed, [1]) == (rss(20), True)
    assert decoded("deflate", packed, [1, 2]) == (rss(20), True)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "gzip, gzip"])
def test_a_stream_that_stops_before_its_end_has_not_ended(coding: str) -> None:
    whole = rss(20)
    pack = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "gzip, gzip": lambda data: gzip.compress(gzip.compress(data)),
    }[coding]
    packed = pack(whole)
    assert decoded(coding, packed, []) == (whole, True)
    assert not decoded(coding, packed[:-4], [])[1]


async def test_a_whole_body_holding_a_cut_stream_is_not_called_a_closed_connection(
    server: FeedServer,
) -> None:
    """All the bytes the Content-Length promised came: the server holds a cut file."""
    from test_fetch import failure

    packed = gzip.compress(rss(20))[:-10]
    url = server.route("/cut.gz", CutOff(packed, declared=len(packed), encoding="gzip"))
    assert (await failure(url)).reason == (
        f"the compressed body stops before its end (got {len(packed):,} bytes)"
    )


async def test_a_big_brotli_feed_is_fetched_whole(server: FeedServer) -> None:
    whole = blog_rss(200, item_bytes=1650)
    packed = brotli.compress(whole)
    url = server.route("/big.br", CutOff(packed, declared=len(packed), encoding="br"))
    assert (await fetch(url)).body == whole
