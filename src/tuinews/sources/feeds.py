"""Feed documents to `Feed` objects: format found by content, damage survived.

`parse_feed` tries, in order: JSON (JSON Feed, or RSS-as-JSON), the lxml fast path for
RSS/RDF/Atom (strict, then recover mode), and feedparser's loose parser as a last resort.
Bad input raises only `SourceError(url, reason)` with a short lowercase reason.

Limits (see feed_build): titles are cut at 1,000 characters, one-line fields at 2,000,
bodies at 2,000,000 per article; libxml2's default depth and entity limits stay on.
"""

from __future__ import annotations

import re

from tuinews.errors import SourceError
from tuinews.model import Feed
from tuinews.sources.detect import is_json_feed_head, root_name
from tuinews.sources.encoding import strip_bom

_SNIFF_BYTES = 8192
_FEED_MARKERS = re.compile(r"<(?:rss\b|rdf:rdf\b|feed\b|[a-z0-9]+:feed\b)")
_HTML_MARKERS = re.compile(r"<(?:!doctype\s+html|html\b|head\b|body\b)")


def _head_text(data: bytes) -> str:
    """The first few KB as lowercase text, good enough to look for markers."""
    body, encoding = strip_bom(data[: _SNIFF_BYTES * 4])
    if encoding and encoding.startswith(("utf-16", "utf-32")):
        return body.decode(encoding, errors="replace")[:_SNIFF_BYTES].lower()
    return body[:_SNIFF_BYTES].decode("latin-1").lower()


def subscription_list_reason(location: str | None = None) -> str:
    """What is said of an OPML list given where a feed belongs, from the web or a file
    (one wording everywhere); `location`, when given, is named in the command to run."""
    if location is None:
        command = "`tuinews import`"
    else:
        import shlex

        command = f"tuinews import {shlex.quote(location)}"
    return f"a subscription list, not a feed: add its feeds with {command}"


class BrokenFeedError(SourceError):
    """A feed document damaged or cut off before its first article. `feed_title` is the
    title read before the damage (None when there was none), for a store that has none."""

    def __init__(
        self, source: str, reason: str, feed_title: str | None, *, cut: bool = False
    ) -> None:
        super().__init__(source, reason)
        self.feed_title = feed_title
        self.cut = cut  # the document ends early (being written, say), not garbled


def looks_like_feed(data: bytes) -> bool:
    """Whether `data` starts like a feed (RSS, RDF, Atom or JSON Feed); a cheap sniff."""
    head = _head_text(data).lstrip()
    if head[:1] == "{":
        return is_json_feed_head(head)
    if head[:1] != "<":
        return False
    return _FEED_MARKERS.search(head) is not None


# A gzip file served as is (feed.xml.gz, no Content-Encoding) or saved on disk is opened
# up to this size, the refresh's default limit on a response.
GUNZIP_LIMIT = 25 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"  # the first two bytes of every gzip file


def parse_feed(
    data: bytes, url: str, *, content_type: str | None = None, max_bytes: int | None = None
) -> Feed:
    """The feed in `data`; `url` keys the feed and is the base for relative links. A
    gzip file (served as is, without Content-Encoding) unpacks up to `max_bytes`."""
    data = ungzipped(data, url, limit=max_bytes)
    head = _head_text(data).lstrip()
    if not head.strip("\x00"):
        raise SourceError(url, "empty document (0 bytes)" if not data else "blank document")
    first = head[:1]
    if first in "{[":
        from tuinews.sources.jsonfeed import parse_json_feed

        return parse_json_feed(data, url, content_type)
    if first != "<":
        if "\x00" in head or _mostly_binary(head):
            raise SourceError(url, "not a feed: binary data")
        raise SourceError(url, "not a feed: no XML or JSON found")
    return _parse_xml(data, url, content_type, head)


def ungzipped(data: bytes, url: str, *, limit: int | None = None) -> bytes:
    """`data` itself, or what it holds when it is a gzip file (up to `limit` bytes, a
    caller's size setting, else GUNZIP_LIMIT); SourceError when that gzip file is
    damaged, cut short, larger, or holds another."""
    if data[:2] != GZIP_MAGIC:
        return data
    import zlib

    budget = GUNZIP_LIMIT if limit is None else limit + 1
    pieces: list[bytes] = []
    size = 0
    rest = data
    while rest[:2] == GZIP_MAGIC:  # one member, and each one after it (`gzip -c b >> a.gz`)
        opener = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing
        try:
            # max_length 0 means "no limit" to zlib: a limit of 0 reads one byte instead.
            piece = opener.decompress(rest, max(1, budget - size))
        except zlib.error:
            raise SourceError(url, "not a feed: a damaged gzip file") from None
        pieces.append(piece)
        size += len(piece)
        if limit is not None and size > limit:
            from tuinews.sources.local import too_large

            # "too large (more than the limit of 2 KB)", as the same file unpacked would be.
            unpacked = too_large(None, limit).removeprefix("too large ")
            raise SourceError(url, f"too large once unpacked {unpacked}")
        if opener.unconsumed_tail:
            raise SourceError(url, f"not a feed: a gzip file larger than {GUNZIP_LIMIT >> 20} MB")
        if not opener.eof:
            raise SourceError(url, "not a feed: a gzip file cut short")
        rest = opener.unused_data  # anything else after the last member is ignored, as by gzip
    inner = b"".join(pieces)
    if inner[:2] == GZIP_MAGIC:
        raise SourceError(url, "not a feed: a gzip file inside a gzip file")
    return inner


def _mostly_binary(head: str) -> bool:
    sample = head[:1024]
    odd = sum(1 for char in sample if ord(char) < 9 or 13 < ord(char) < 32)
    return odd > len(sample) // 20


def _parse_xml(data: bytes, url: str, content_type: str | None, head: str) -> Feed:
    from tuinews.sources.xmlfeed import parse_xml_feed

    try:
        outcome = parse_xml_feed(data, url, content_type)
    except ValueError:
        # lxml signals text it cannot decode with UnicodeDecodeError (a ValueError);
        # the contract promises callers nothing but SourceError.
        raise SourceError(url, "not a feed: unreadable XML text") from None
    if outcome.feed is not None:
        return outcome.feed
    if outcome.broken and outcome.error:
        damage = outcome.cut.describe() if outcome.cut else _lower_first(outcome.error)
        raise BrokenFeedError(
            url, f"{damage}, before any article", outcome.title, cut=outcome.cut is not None
        )
    if root_name(head) == "opml":
        # Checked before the HTML markers: an OPML list has a <head> too.
        raise SourceError(url, subscription_list_reason())
    if outcome.html_page or (_HTML_MARKERS.search(head) and not _FEED_MARKERS.search(head)):
        from tuinews.sources.htmlpage import html_page_error

        raise html_page_error(data, url)
    if _FEED_MARKERS.search(head):
        from tuinews.sources.encoding import xml_as_utf8
        from tuinews.sources.feed_fallback import parse_with_feedparser

        feed = parse_with_feedparser(xml_as_utf8(data, content_type), url)
        if feed is not None:
            return feed
    if outcome.error:
        raise SourceError(url, _lower_first(outcome.error))
    raise SourceError(url, "not a feed: no RSS, Atom or JSON Feed root element")


def _lower_first(reason: str) -> str:
    # "XML error at line 3: ..." keeps its acronym; other reasons are lowercase already.
    return reason if reason.startswith("XML") else reason[:1].lower() + reason[1:]
