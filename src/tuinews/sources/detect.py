"""What a local file or stdin holds, and how to turn its bytes into text.

Feeds and OPML are recognised by content (a file called `news.txt` may well be RSS);
articles by extension, then by content. Decoding never fails: UTF-8 (with or without
BOM), else a declared charset, else charset-normalizer's guess, else cp1252.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePath
from typing import Literal

Kind = Literal["feed", "opml", "html", "markdown", "text"]

SNIFF_BYTES = 8192

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn"})
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})
TEXT_EXTENSIONS = frozenset({".txt", ".text", ""})
# Structured formats: when such a file is not a feed or OPML, showing it as text is wrong.
DATA_EXTENSIONS = frozenset({".xml", ".rss", ".atom", ".rdf", ".json", ".opml", ".feed"})

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Prolog noise before the root element: whitespace, XML declaration, processing
# instructions, comments and a DOCTYPE.
_PROLOG = re.compile(
    r"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.DOTALL | re.IGNORECASE
)
_ROOT = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_ATOM_FEED = re.compile(r"<([A-Za-z_][\w.-]*:)?feed[\s>]")
# What tells a JSON Feed by its start, as keys, not words anywhere (a package.json whose
# keywords are "rss" and "channel" is no feed): its version (slashes escaped or not, as
# PHP writes them), RSS written as JSON ({"rss": {"channel": ...}}), or items with keys
# only a JSON Feed has, for a feed that writes its version after its items.
_JSON_FEED_VERSION = re.compile(r'"version"\s*:\s*"https?://jsonfeed\.org/version/')
_RSS_AS_JSON = re.compile(r'\A\s*\{\s*"rss"\s*:\s*\{')
_JSON_FEED_ITEMS = re.compile(r'"items"\s*:\s*\[')
_JSON_FEED_KEYS = re.compile(r'"(?:feed_url|home_page_url|content_html|content_text)"\s*:')
_HTML_DOCTYPE = re.compile(r"<!doctype\s+html", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_META_CHARSET = re.compile(rb"<meta[^>]*charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_MARKDOWN_START = re.compile(r"(?:---|\+\+\+)[ \t]*\n|#{1,6}[ \t]+\S")


def _bom(data: bytes) -> tuple[str | None, int]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None, 0


def sniff_text(data: bytes, limit: int = SNIFF_BYTES) -> str:
    """The first `limit` bytes as text, good enough for looking at markup."""
    encoding, skip = _bom(data)
    head = data[skip : skip + limit]
    return head.decode(encoding or "utf-8", errors="replace")


def declared_charset(data: bytes) -> str | None:
    """The charset an XML declaration or an HTML meta tag announces, if any."""
    head = data[:SNIFF_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Bytes to text, never failing: BOM, UTF-8, declared charset, guess, cp1252.

    The result may still hold controls; callers clean it through `sanitize`.
    """
    encoding, skip = _bom(data)
    if encoding:
        return data[skip:].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = _codec(declared)
    # A declaration of UTF-8 was just proven wrong; ASCII/UTF-16 ones are rarely truthful.
    if codec and codec not in {"utf-8", "ascii", "utf-16", "utf-32"}:
        return data.decode(codec, errors="replace")
    guess = _guess_encoding(data)
    if guess:
        return data.decode(guess, errors="replace")
    return data.decode("cp1252", errors="replace")


def _guess_encoding(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[: 256 * 1024]).best()
    except Exception:  # a guesser bug must not stop us reading the file
        return None
    if best is None:
        return None
    return _codec(str(best.encoding))


def root_name(head: str) -> str | None:
    """Local name of the first element after the prolog, lower-cased (None if no markup)."""
    prolog = _PROLOG.match(head)
    start = prolog.end() if prolog else 0
    match = _ROOT.match(head, start)
    return match.group(2).lower() if match else None


def looks_like_html(data: bytes) -> bool:
    """Whether the bytes start like an HTML page (a doctype or an html/head/body root)."""
    return _looks_like_html(sniff_text(data))


def _looks_like_html(head: str) -> bool:
    if _HTML_DOCTYPE.search(head[:1024]):
        return True
    return root_name(head) in {"html", "head", "body"}


def looks_binary(data: bytes) -> bool:
    """True when the bytes are clearly not text (NUL bytes outside UTF-16/32)."""
    encoding, _ = _bom(data)
    if encoding and encoding.startswith(("utf-16", "utf-32")):
        return False
    return b"\x00" in data[:SNIFF_BYTES]


def unpacked_head(head: bytes) -> bytes:
    """The start of what a gzip file holds (a feed.xml.gz saved as served), else `head`."""
    if head[:2] != b"\x1f\x8b":
        return head
    import zlib

    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, SNIFF_BYTES)
    except zlib.error:
        return head


def sniff_structured(data: bytes) -> Literal["feed", "opml"] | None:
    """Feed or OPML by content, else None."""
    head = sniff_text(data)
    stripped = head.lstrip()
    if stripped.startswith("{"):
        return "feed" if is_json_feed_head(head) else None
    root = root_name(head)
    if root in {"rss", "feed", "rdf"}:
        return "feed"
    if root == "opml":
        return "opml"
    # An XHTML page holding an Atom feed (some static site generators publish these).
    if root == "html" and _ATOM_FEED.search(head):
        return "feed"
    return None


def is_json_feed_head(head: str) -> bool:
    """Whether the start of a JSON document is a feed's: its JSON Feed version (slashes
    escaped or not, as PHP writes them), RSS written as JSON, or items with keys only a
    JSON Feed has. One test for files and for bodies fetched, which read the same."""
    head = head.lower().replace("\\/", "/")
    if _JSON_FEED_VERSION.search(head) or _RSS_AS_JSON.match(head):
        return True
    return bool(_JSON_FEED_ITEMS.search(head) and _JSON_FEED_KEYS.search(head))


def detect_kind(data: bytes, name: str) -> Kind:
    """What the bytes hold: feeds and OPML by content, articles by extension, then content.

    `name` is the file name ("-" for stdin: content only). Callers refuse binary data
    (`looks_binary`) before trusting a "text" answer.
    """
    structured = sniff_structured(data)
    if structured:
        return structured
    if name != "-":
        suffix = PurePath(name).suffix.lower()
        if suffix in MARKDOWN_EXTENSIONS:
            return "markdown"
        if suffix in HTML_EXTENSIONS:
            return "html"
        if suffix in TEXT_EXTENSIONS:
            return "text"
    head = sniff_text(data)
    if _looks_like_html(head):
        return "html"
    if name == "-" and _MARKDOWN_START.match(head.lstrip(" \t\r\n")):
        return "markdown"
    return "text"
