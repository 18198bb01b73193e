"""newsboat's `urls` file: one feed per line, then tags; `"~Title"` names the feed.

https://example.org/feed.xml tech "long tag" "~Example Blog"
# a comment
"query:Unread:unread = \\"yes\\""      (skipped: tuinews has its own views)
file:///home/me/generated.xml            (newsboat reads file:// feeds off the disk)
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from tuinews.errors import ConfigError, SourceError, UnknownHome
from tuinews.model import Subscription
from tuinews.paths import expand_home
from tuinews.sources.sanitize import clean_line, clean_url, without_password
from tuinews.sources.subscription_merge import (
    LocalFiles,
    local_entry,
    merge_subscription,
    quoted,
)

# A line of a urls file, as `add` tells one from a feed or an article: a web address,
# quoted or not, or one of newsboat's pseudo-feeds.
_URLS_LINE = re.compile(r'"?(https?://|file://|query:|exec:|filter:)', re.IGNORECASE)


def looks_like_urls_file(head: bytes) -> bool:
    """Whether the start of a file reads as a newsboat urls file: every line that is not
    blank or a comment starts with an address (the last, perhaps cut, aside)."""
    from tuinews.sources.encoding import strip_bom

    # A byte-order mark (UTF-8's, or UTF-16's: Windows editors write them) is no text.
    body, marked = strip_bom(head)
    text = body.decode(marked or "utf-8", "replace")
    lines = text.splitlines()
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines.pop()  # perhaps cut by the read: half a line
    entries = [line.strip() for line in lines]
    entries = [line for line in entries if line and not line.startswith("#")]
    return bool(entries) and all(_URLS_LINE.match(line) for line in entries)


# What a line's first word looks like when it means to be an address, good or bad:
# `scheme:rest` (http, ftp, query, exec, file...), a path, or a host name ("example.org",
# "example.org/feed"). Prose ("Note:", "e.g.") does not, nor does a word.
_ADDRESS_LIKE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:\S+|[/~]\S*|(?:[\w-]+\.)+[A-Za-z]{2,}\.?(?:[/:?#]\S*)?"
)


# newsboat's pseudo-feeds: saved searches and feeds produced by commands or filters.
# tuinews never runs commands named in a subscription list.
_UNSUPPORTED_PREFIXES = {
    "query:": "query feeds are not supported",
    "exec:": "exec: feeds run commands and are not supported",
    "filter:": "filter: feeds run commands and are not supported",
}


_ESCAPED = {"n": "\n", "r": "\r", "t": "\t"}


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
                    # As newsboat reads them: `\t` a tab (the cleaning makes it a space).
                    chunk.append(_ESCAPED.get(line[index], line[index]))
                else:
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


def _resolve(first: str, base: Path | None, local_files: LocalFiles) -> tuple[str | None, str]:
    """The subscription URL of a line's first token, or None and why not."""
    reason = next(
        (why for prefix, why in _UNSUPPORTED_PREFIXES.items() if first.startswith(prefix)),
        None,
    )
    if reason is not None:
        return None, reason
    try:
        parts = urlsplit(first) if "\\" not in first else None
    except ValueError as error:  # a malformed [IPv6] host
        return None, f"malformed URL ({error})"
    scheme = parts.scheme.lower() if parts else ""
    if scheme in {"http", "https"}:
        from tuinews.feed_urls import canonical_feed_url

        try:
            canonical_feed_url(first)  # as `add` checks it (`http://::1/feed`: brackets)
        except ConfigError as error:
            # Without the address it ends with: the skipped line names it already.
            reason = str(error)
            return None, reason.rpartition(": '")[0] if reason.endswith("'") else reason
        return first, ""
    if scheme == "file":
        from tuinews.sources.local import path_from_file_url

        try:
            return local_entry(path_from_file_url(first), base, local_files)
        except SourceError as error:
            return None, error.reason
    if not scheme and first.startswith("~") and "/" not in first:
        # `"~My Blog"`: a title, which newsboat reads after the URL, put first (its
        # spaces are gone by now: the user named would not be the one written).
        try:
            expand_home(first)
        except UnknownHome:
            return None, 'not a URL, nor a user\'s home folder (a "~title" goes after the URL)'
    if not scheme and first.startswith(("/", "~")):
        # newsboat itself wants file:// here; `tuinews add` takes a path, and so does this.
        return local_entry(Path(first), base, local_files)
    return None, "not an http(s) URL"


def parse_newsboat_urls_report(
    text: str,
    source: str,
    *,
    base: Path | None = None,
    local_files: LocalFiles = "inside",
    merge: bool = True,
    notes: list[str] | None = None,
) -> tuple[list[Subscription], list[str]]:
    """Subscriptions in file order, and one line per skipped entry.

    `base` is the folder of a local urls file; `local_files` says which local files its
    lines may name (none without `base`). Repeated URLs are merged unless `merge` is
    False (a caller that counts them). `notes`, when given, gets a line per feed taken
    with a newsboat feature left out (the hidden-feed mark: a tag starting with "!").
    Raises `SourceError` when no line is a feed and most are not addresses at all: text
    of another kind, not a urls file.
    """
    found: dict[str, Subscription] = {}
    entries: list[Subscription] = []
    skipped: list[str] = []
    lines = not_addresses = 0  # lines holding an entry; skipped ones not even addresses
    text = text.removeprefix("\ufeff")  # a BOM would make a first `#` line an entry
    for number, raw in enumerate(text.splitlines(), start=1):
        tokens = _tokens(raw)
        if not tokens:
            continue
        lines += 1
        url, reason = _resolve(clean_url(tokens[0]), base, local_files)
        spaced = any(char.isspace() for char in tokens[0].strip())
        if spaced and url is not None and url.lower().startswith(("http://", "https://")):
            # A quoted URL: clean_url dropped its spaces, naming another address.
            url, reason = None, "URL contains spaces"
        if url is None:
            shown = clean_line(without_password(tokens[0]))  # as OPML's skips show it
            shown = shown if len(shown) <= 80 else shown[:79] + "…"
            skipped.append(f"skipped line {number} {quoted(shown)}: {reason}")
            first_word = tokens[0].split()[0] if tokens[0].strip() else ""  # "query:a b"
            not_addresses += _ADDRESS_LIKE.fullmatch(first_word) is None
            continue
        title: str | None = None
        tags: list[str] = []
        hidden = False
        for token in tokens[1:]:
            if token.startswith("~"):
                title = title or clean_line(token[1:]) or None
                continue
            tag = clean_line(token)
            if tag.startswith("!"):
                # newsboat hides a feed with a tag starting with "!" ("!" alone, or a name
                # for the hidden ones); tuinews lists every feed. Said, as the other newsboat
                # features left out are: the user chose to hide it.
                if notes is not None and not hidden:
                    shown = quoted(without_password(url))
                    notes.append(
                        f"line {number} {shown}: newsboat's hidden-feed mark {quoted(tag)} "
                        "is not supported; imported as a visible feed"
                    )
                hidden = True
                continue
            if tag and tag not in tags:
                tags.append(tag)
        entry = Subscription(url, title, tuple(tags))
        if merge:
            merge_subscription(found, entry)
        else:
            entries.append(entry)
    if not found and not entries and not_addresses * 2 > lines:
        # One line per line of a text file would bury the one thing to say.
        where = f"its {lines} lines" if lines != 1 else "its only line"
        raise SourceError(source, f"not OPML or a newsboat urls file (no feed address in {where})")
    return (list(found.values()) if merge else entries), skipped


def parse_newsboat_urls(text: str, source: str) -> list[Subscription]:
    """Subscriptions of a newsboat `urls` file; `source` names it in reports."""
    return parse_newsboat_urls_report(text, source)[0]
