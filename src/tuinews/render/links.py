"""Numbered links of a rendered article: resolution, numbering and the closing list."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from rich.style import Style
from rich.text import Span, Text

from tuinews.sources.sanitize import UNSAFE_URL_SCHEMES, clean_line, clean_url, drawable_url

NOT_OPENED = "(not opened)"
# A `data:` URL can be megabytes of base64; the list shows its start only.
SHOWN_URL_LIMIT = 300
LINK_TEXT_LIMIT = 200

LINK_NUMBER_STYLE = Style(color="cyan")
LINKS_HEADING_STYLE = Style(bold=True)
UNSAFE_STYLE = Style(color="red")


@dataclass(frozen=True, slots=True)
class Link:
    """One numbered link: `[number]` follows its text in the body."""

    number: int
    url: str
    text: str

    @property
    def is_safe(self) -> bool:
        """False for javascript:, data:, vbscript: and file: URLs (shown, never opened)."""
        return not is_unsafe_url(self.url)


# What browsers (and urlsplit) ignore when reading a URL: leading/trailing C0 controls
# and spaces, and tabs or newlines anywhere ("java\tscript:" is javascript:).
_URL_EDGE_NOISE = "".join(map(chr, range(0x21)))
_URL_INNER_NOISE = str.maketrans("", "", "\t\n\r")


def url_scheme(url: str) -> str:
    """The lower-case scheme of `url` as a browser reads it, or "" for a relative URL."""
    url = url.translate(_URL_INNER_NOISE).strip(_URL_EDGE_NOISE)
    head, sep, _ = url.partition(":")
    if not sep or not head or not head[0].isalpha():
        return ""
    if not all(ch.isalnum() or ch in "+-." for ch in head):
        return ""
    return head.lower()


def is_unsafe_url(url: str) -> bool:
    return url_scheme(url) in UNSAFE_URL_SCHEMES


def is_http_url(url: str | None) -> bool:
    return bool(url) and url_scheme(url or "") in ("http", "https")


def pick_base_url(link: str | None, feed: str | None) -> str | None:
    """Relative URLs resolve against the article link, else the feed URL, when http(s)."""
    for candidate in (link, feed):
        if candidate and is_http_url(candidate):
            return candidate
    return None


def resolve_url(raw: str, base: str | None) -> str:
    """`raw` cleaned and made absolute against `base` (unchanged when that is impossible)."""
    url = clean_url(raw)
    if not url or base is None or url_scheme(url):
        return url
    try:
        return urljoin(base, url)
    except ValueError:  # malformed authority such as "http://[" in the base or the link
        return url


def host_of(url: str) -> str:
    """The host name of an absolute URL, or ""."""
    try:
        return clean_line(urlsplit(url).hostname or "")
    except ValueError:
        return ""


def file_name_of(url: str) -> str:
    """The last path segment of a URL, for an image without alt text."""
    if url_scheme(url) == "data":
        return ""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    return clean_line(unquote(path.rstrip("/").rpartition("/")[2]))[:LINK_TEXT_LIMIT]


class LinkRegistry:
    """Hands out link numbers in order of appearance; one number per distinct URL."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        # "scheme://host" of the base, for the common root-relative link ("/news/1").
        self._origin: str | None = None
        if base_url:
            try:
                parts = urlsplit(base_url)
            except ValueError:
                parts = None
            if parts is not None and parts.netloc:
                self._origin = f"{parts.scheme}://{parts.netloc}"
        self._numbers: dict[str, int] = {}
        self.links: list[Link] = []

    def add(self, raw_url: str, text: str) -> int | None:
        """The number for `raw_url`, or None for an empty or in-page (`#...`) link."""
        raw = clean_url(raw_url)
        if not raw or raw.startswith("#"):
            return None
        if self._origin and raw[:1] == "/" and raw[:2] != "//" and "/." not in raw:
            url = self._origin + raw  # what urljoin gives, for a fraction of the cost
        else:
            url = resolve_url(raw, self.base_url)
        # Shown, opened and copied alike (the list, the link picker, `tuinews read`).
        url = drawable_url(url)
        number = self._numbers.get(url)
        if number is None:
            number = len(self.links) + 1
            self._numbers[url] = number
            self.links.append(Link(number, url, clean_line(text)[:LINK_TEXT_LIMIT]))
        return number


def links_section(links: list[Link]) -> Text:
    """The closing "Links:" list, one `[n] url` line each (overlong URLs fold at the width).

    Built as one string plus spans: an article can hold thousands of links.
    """
    pieces = ["Links:"]
    spans = [Span(0, 6, LINKS_HEADING_STYLE)]
    position = 6
    for link in links:
        number = f"\n[{link.number}]"
        spans.append(Span(position + 1, position + len(number), LINK_NUMBER_STYLE))
        shown = link.url if len(link.url) <= SHOWN_URL_LIMIT else link.url[:SHOWN_URL_LIMIT] + "…"
        pieces += (number, " ", shown)
        position += len(number) + 1 + len(shown)
        if not link.is_safe:
            pieces.append(" " + NOT_OPENED)
            spans.append(Span(position + 1, position + 1 + len(NOT_OPENED), UNSAFE_STYLE))
            position += 1 + len(NOT_OPENED)
    return Text("".join(pieces), spans=spans, overflow="fold")
