"""Naming a feed known only by its address, in a given width: host and the end of the
path (`example.org/…/feed.xml`), as the reader's sidebar, its status line, `tuinews
feeds` and the refresh's progress bar show it. Plain text, no I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rich.cells import cell_len, set_cell_size

from tuinews.sources.sanitize import clean_line, drawable

if TYPE_CHECKING:
    from collections.abc import Sequence


def is_web_address(text: str) -> bool:
    """Whether `text` is a whole http(s) URL (one word), as an untitled feed's name is."""
    if not text[:8].lower().startswith(("http://", "https://")) or " " in text:
        return False
    try:
        return bool(urlsplit(text).hostname)
    except ValueError:  # e.g. an unclosed "[" where the host is
        return False


def address_label(url: str, width: int) -> str:
    """A feed known only by its address, in `width` cells: host and the end of the
    path (`example.org/…/feed.xml`). The end tells feeds on one host apart, so it is
    kept whole and the host is cut first. A file path keeps its end. Credentials
    (`user:pass@`) are never shown. Plain text: the caller styles it as a run."""
    url = drawable(clean_line(url))
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed "[" in the host
        return _end_of(_without_credentials(url), width)
    if parts.scheme not in ("http", "https") or not hostname:
        return _end_of(_without_credentials(url), width)
    host = parts.netloc.rpartition("@")[2]
    query = f"?{parts.query}" if parts.query else ""
    full = host + (parts.path if query else parts.path.rstrip("/")) + query
    if cell_len(full) <= width:
        return full
    segments = [s for s in parts.path.split("/") if s]
    tail = (segments[-1] if segments else "") + query
    if not tail:
        return _start_of(host, width)
    middle = "/…/" if len(segments) > 1 else "/"
    if cell_len(host) + len(middle) + cell_len(tail) <= width:
        return host + middle + tail
    room = width - len("…/") - cell_len(tail)
    if room >= 4:
        return set_cell_size(host, room) + "…/" + tail
    return _end_of("…/" + tail if cell_len(tail) + 2 <= width else tail, width)


def told_apart(title: str, url: str, width: int, others: Sequence[str] = ()) -> str:
    """The title of a feed that shares it with the feeds at `others`, with its address,
    in `width` cells: "Daring Fireball (daringfireball.net/…/feed.json)". The title is
    cut first: the address is what tells them apart (and what `remove` asks for). Where
    that label is another's too (one host and one end: WordPress's
    `/category/NAME/feed/`; http and https), the address from where they differ:
    "Blog (…/alpha-news/feed)"."""
    title = drawable(clean_line(title))
    room = max(12, width - cell_len(title) - 3)
    address = address_label(url, room)
    if any(address_label(other, room) == address for other in others):
        address = _from_difference(url, others, room)
    room = width - cell_len(address) - 3
    if cell_len(title) > room:
        title = set_cell_size(title, max(1, room - 1)).rstrip() + "…"
    return f"{title} ({address})"


_SEPARATORS = "/.-_:?&=#"


def _from_difference(url: str, others: Sequence[str], width: int) -> str:
    """`url` (no credentials; no scheme when the others share its own) from just before
    the first character where it differs from one of `others`, in `width` cells."""
    scheme = url.partition("://")[0] + "://"
    same_scheme = all(other.startswith(scheme) for other in others)

    def shown(address: str) -> str:
        address = _without_credentials(drawable(clean_line(address)))
        return address.removeprefix(scheme) if same_scheme else address

    mine = shown(url)
    first = len(mine)
    for other in others:
        theirs = shown(other)
        same = 0
        while same < min(len(mine), len(theirs)) and mine[same] == theirs[same]:
            same += 1
        first = min(first, same)
    if cell_len(mine) <= width:
        return mine
    # From the separator before the difference (within a few letters of it), so that
    # the word that differs shows whole.
    start = max(0, min(first, len(mine) - 1) - 12)
    cut = max(mine.rfind(separator, start, first) for separator in _SEPARATORS)
    start = cut if cut > 0 else start
    if start == 0:
        return _start_of(mine, width)
    return _start_of("…" + mine[start:], width)


def _without_credentials(url: str) -> str:
    """`url` without the `user:pass@` of its authority (any scheme)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    return scheme + sep + authority.rpartition("@")[2] + slash + path


def _start_of(text: str, width: int) -> str:
    """`text`, or its start and "…" when it is wider than `width` cells."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…" if width > 0 else ""


def _end_of(text: str, width: int) -> str:
    """`text`, or "…" and its end when it is wider than `width` cells."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    end = text[len(text) - width + 1 :]  # at most width - 1 cells, fewer if some are wide
    while cell_len(end) > width - 1:
        end = end[1:]
    return "…" + end


def short_name(name: str, width: int) -> str:
    """A feed's name for a line that says more: an address as host and end of path,
    a title as it is drawn (the line is cut at the screen's edge)."""
    return address_label(name, width) if is_web_address(name) else drawable(name)


def some_of(names: list[str], shown: int = 2) -> str:
    """The first `shown` names and how many more: "A, B and 3 more"."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")
