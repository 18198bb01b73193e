"""newsboat's `urls` file: one feed per line, then tags; `"~Title"` names the feed.

https://example.org/feed.xml tech "long tag" "~Example Blog"
# a comment
"query:Unread:unread = \\"yes\\""      (skipped: tuinews has its own views)
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tuinews.model import Subscription
from tuinews.sources.sanitize import clean_line, clean_url
from tuinews.sources.subscription_merge import merge_subscription

# newsboat's pseudo-feeds: saved searches and feeds produced by commands or filters.
# tuinews never runs commands named in a subscription list.
_UNSUPPORTED_PREFIXES = {
    "query:": "query feeds are not supported",
    "exec:": "exec: feeds run commands and are not supported",
    "filter:": "filter: feeds run commands and are not supported",
}


def _tokens(line: str) -> list[str]:
    """Split a line like newsboat does: spaces separate, double quotes group, `\\` escapes.

    A `#` starting a token outside quotes begins a comment.
    """
    tokens: list[str] = []
    index, length = 0, len(line)
    while index < length:
        char = line[index]
        if char.isspace():
            index += 1
            continue
        if char == "#":
            break
        if char == '"':
            index += 1
            chunk: list[str] = []
            while index < length and line[index] != '"':
                if line[index] == "\\" and index + 1 < length:
                    index += 1
                chunk.append(line[index])
                index += 1
            index += 1  # the closing quote (or the end of an unterminated token)
            tokens.append("".join(chunk))
            continue
        start = index
        while index < length and not line[index].isspace():
            index += 1
        tokens.append(line[start:index])
    return tokens


def parse_newsboat_urls_report(text: str, source: str) -> tuple[list[Subscription], list[str]]:
    """Subscriptions in file order (duplicates merged), and one line per skipped entry."""
    found: dict[str, Subscription] = {}
    skipped: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        tokens = _tokens(raw)
        if not tokens:
            continue
        first = clean_url(tokens[0])
        reason = next(
            (why for prefix, why in _UNSUPPORTED_PREFIXES.items() if first.startswith(prefix)),
            None,
        )
        if reason is None:
            try:
                parts = urlsplit(first) if "\\" not in first else None
                if not (parts and parts.scheme.lower() in {"http", "https"} and parts.hostname):
                    reason = "not an http(s) URL"
            except ValueError as error:  # a malformed [IPv6] host
                reason = f"malformed URL ({error})"
        if reason is not None:
            shown = clean_line(tokens[0])
            shown = shown if len(shown) <= 80 else shown[:79] + "…"
            skipped.append(f"skipped line {number} {shown!r}: {reason}")
            continue
        title: str | None = None
        tags: list[str] = []
        for token in tokens[1:]:
            if token.startswith("~"):
                title = title or clean_line(token[1:]) or None
                continue
            tag = clean_line(token)
            if tag and tag not in tags:
                tags.append(tag)
        merge_subscription(found, Subscription(first, title, tuple(tags)))
    return list(found.values()), skipped


def parse_newsboat_urls(text: str, source: str) -> list[Subscription]:
    """Subscriptions of a newsboat `urls` file; `source` names it in reports."""
    return parse_newsboat_urls_report(text, source)[0]
