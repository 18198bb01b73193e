"""Bounded decompression of HTTP bodies (gzip, deflate, Brotli).

We decode ourselves instead of letting httpx do it because httpx inflates each network
chunk in one go: 64 KB of a gzip bomb becomes 64 MB before anyone can count it. Here each
step yields at most 64 KB, so the caller stops a bomb at its size limit.
"""

from __future__ import annotations

import functools
import importlib
import zlib
from collections.abc import Iterator
from typing import Protocol

from tuinews.sources.sanitize import clean_line

_INFLATE_STEP = 64 * 1024


class UnsupportedEncoding(ValueError):
    """A Content-Encoding we cannot decode; `str()` is the user's line."""


class CorruptBody(ValueError):
    """A compressed body that does not decompress; `str()` is the user's line."""


def _corrupt(coding: str) -> CorruptBody:
    return CorruptBody(
        f"Content-Encoding says {coding}, but the body does not decompress as {coding}"
    )


class Decoder(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...

    def ended(self) -> bool:
        """After `flush`: whether the stream came to its own end. A gzip or deflate
        stream knows where it ends; one that stops before was cut off on its way, even
        when no Content-Length says how long it should have been."""
        ...


class _Identity:
    def decode(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())

    def ended(self) -> bool:
        return True  # only its length, when declared, says


class _Zlib:
    """gzip or deflate, inflated in bounded steps so the caller can stop a bomb early."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._started = False
        self._head = b""  # the bytes before zlib could judge a header (2), for raw deflate
        self._between = b""  # after a gzip member: perhaps the next one's magic, cut in two
        self._plain = False  # labelled gzip but sent as it is (see `decode`)
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._plain:
            yield data
            return
        # Judged on the first bytes only (the first may have come alone): not a copy of
        # every chunk of the body.
        if self._gzip and not self._started and data and not self._starts_as_gzip(data):
            # A gzip body starts with its two magic bytes; without them, a server labelled
            # an uncompressed body gzip (a misconfigured cache or proxy compressing twice
            # shows the same). The bytes are read as they are, and the parser judges them.
            self._plain = True
            yield self._head + data
            return
        try:
            yield from self._inflated(data)
        except zlib.error:
            raise _corrupt("gzip" if self._gzip else "deflate") from None

    def _starts_as_gzip(self, data: bytes) -> bool:
        seen = self._head + data[:2]
        return seen.startswith(b"\x1f\x8b"[: len(seen)])

    def _inflated(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while pending:
            if self._obj.eof:
                # A second gzip member, or trailing junk after a deflate stream. The
                # bytes are those left after the member and those that came since: the
                # network may cut the next member's magic in two.
                rest, self._between = self._between + pending, b""
                if not self._gzip:
                    return
                if len(rest) < 2 and b"\x1f\x8b".startswith(rest):
                    self._between = rest
                    return
                if not rest.startswith(b"\x1f\x8b"):
                    return
                self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
                pending = rest
            judging = not self._started  # zlib has yet to see the 2 bytes of a header
            if judging:
                self._head += pending
                self._started = len(self._head) >= 2
            try:
                piece = self._obj.decompress(pending, _INFLATE_STEP)
            except zlib.error:
                if self._gzip or not judging:
                    raise
                # Many servers send raw deflate (no zlib header) as "deflate": read again
                # from the first byte, which may have come alone.
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                piece = self._obj.decompress(self._head, _INFLATE_STEP)
            if self._started:
                self._head = b""
            if piece:
                yield piece
            pending = self._obj.unconsumed_tail
            if self._obj.eof and self._obj.unused_data:
                pending = self._obj.unused_data

    def flush(self) -> Iterator[bytes]:
        if self._plain:
            return
        try:
            tail = self._obj.flush()
        except zlib.error:
            raise _corrupt("gzip" if self._gzip else "deflate") from None
        if tail:
            yield tail

    def ended(self) -> bool:
        # An empty body is no stream: the parser says what it lacks.
        return self._plain or not self._started or self._obj.eof


class _Brotli:
    def __init__(self) -> None:
        brotli = importlib.import_module("brotli")
        self._obj = brotli.Decompressor()
        self._error: type[Exception] = brotli.error
        self._started = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        self._started = self._started or bool(data)
        try:
            yield from self._pieces(data)
        except self._error:
            raise _corrupt("br") from None

    def _pieces(self, data: bytes) -> Iterator[bytes]:
        obj = self._obj
        piece = obj.process(data, output_buffer_limit=_INFLATE_STEP)
        while piece:
            yield piece
            # Drained a step at a time until a step gives nothing: brotli 1.2 says it
            # can accept more data while output is still pending, and waiting for it to
            # say otherwise lost every step after the first (60 KB of a 370 KB feed).
            piece = obj.process(b"", output_buffer_limit=_INFLATE_STEP)

    def flush(self) -> Iterator[bytes]:
        return iter(())

    def ended(self) -> bool:
        return bool(self._obj.is_finished()) or not self._started


@functools.cache
def _has_brotli() -> bool:
    try:
        brotli = importlib.import_module("brotli")
    except ImportError:
        return False
    # Older brotli cannot bound its output, so a bomb could not be stopped: not offered.
    return hasattr(brotli.Decompressor(), "can_accept_more_data")


def accept_encoding() -> str:
    """What we can decode with bounded output (we decode ourselves, not httpx)."""
    return "gzip, deflate, br" if _has_brotli() else "gzip, deflate"


# Codings one body may list (`gzip, gzip` from a server compressing twice); more is
# taken for garbage rather than given a decompressor each.
MAX_CODINGS = 3


class _Chain:
    """Codings applied one after another, undone in the reverse order: each decoder's
    pieces go through the next, so every step stays bounded."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders  # in the order to undo them

    def _onward(self, index: int, pieces: Iterator[bytes]) -> Iterator[bytes]:
        """`pieces` decoded by decoder `index`, through the decoders after it."""
        if index + 1 == len(self._decoders):
            yield from pieces
            return
        for piece in pieces:
            yield from self._onward(index + 1, self._decoders[index + 1].decode(piece))

    def decode(self, data: bytes) -> Iterator[bytes]:
        return self._onward(0, self._decoders[0].decode(data))

    def flush(self) -> Iterator[bytes]:
        for index, decoder in enumerate(self._decoders):
            yield from self._onward(index, decoder.flush())

    def ended(self) -> bool:
        return all(decoder.ended() for decoder in self._decoders)


def _decoder(coding: str) -> Decoder:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if coding == "deflate":
        return _Zlib(gzip=False)
    if coding == "br" and _has_brotli():
        return _Brotli()
    raise UnsupportedEncoding(f"unsupported content encoding '{clean_line(coding)[:40]}'")


def decoder_for(content_encoding: str | None) -> Decoder:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _Identity()
    if len(codings) > MAX_CODINGS:
        listed = clean_line(",".join(codings))[:60]
        raise UnsupportedEncoding(f"unsupported content encoding '{listed}'")
    # Listed in the order they were applied (RFC 9110 8.4): the last one is undone first.
    decoders = [_decoder(coding) for coding in reversed(codings)]
    return decoders[0] if len(decoders) == 1 else _Chain(decoders)
