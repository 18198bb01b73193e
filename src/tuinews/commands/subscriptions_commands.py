"""`tuinews add`, `remove`, `feeds`, `import` and `export`: the subscription list."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tuinews.commands.common import (
    config_path,
    db_path,
    load_settings,
    open_store,
    read_stdin_bytes,
    short_date,
    stdout_console,
    store_origin,
    warn,
)
from tuinews.errors import ConfigError, TuinewsError
from tuinews.model import Subscription
from tuinews.sources.sanitize import without_password

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from tuinews.sources.subscription_merge import LocalFiles
    from tuinews.store import FeedInfo


def add_command(ns: argparse.Namespace) -> int:
    from tuinews.sources.sanitize import clean_line
    from tuinews.subscriptions import SubscriptionFile, validate_feed_ref

    url = validate_feed_ref(ns.url)
    # Cleaned as an imported title is: no escape sequence or line break in the file.
    title = clean_line(ns.title or "") or None
    sub = Subscription(url=url, title=title, tags=_one_tag_each(ns.tag))
    # The edit parses and validates the whole file first: a broken one is refused unchanged.
    SubscriptionFile(config_path(ns)).add(sub)
    # Shown without its password; the settings file keeps the URL as given.
    for old, now in _moved_onto_subscribed(ns, [url]).items():
        # Added all the same (the site may have put another feed there), but if it
        # still redirects, every refresh fails on it: said now, when it is fresh.
        warn(
            f"{without_password(old)} moved to {without_password(now)}, which you subscribe "
            "to; if it still redirects there, `tuinews remove` it again"
        )
    print(f"subscribed to {without_password(url)}; `tuinews refresh` fetches it")
    return 0


def _moved_onto_subscribed(ns: argparse.Namespace, urls: Sequence[str]) -> dict[str, str]:
    """Those of `urls` that a subscribed feed had as its address before a move (a
    permanent redirect the store followed) -> the feed's address now."""
    from tuinews.store.peek import former_addresses

    former = former_addresses(db_path(ns))
    if not former:
        return {}
    subscribed = {sub.url for sub in load_settings(ns).feeds}
    return {url: former[url] for url in urls if former.get(url) in subscribed}


def _one_tag_each(given: list[str]) -> tuple[str, ...]:
    """The tags of `--tag` options, one per option and whole: a comma is part of a tag
    (an OPML folder may be named "News, world", and import keeps it so)."""
    from tuinews.commands.common import UsageError
    from tuinews.sources.sanitize import clean_line

    tags: dict[str, None] = {}
    for tag in given:
        cleaned = clean_line(tag)
        if not cleaned:
            # Said, not dropped: the user asked for a tag and would look for it.
            raise UsageError(f"--tag {tag!r}: a tag cannot be empty or blank")
        tags.setdefault(cleaned)
    return tuple(tags)


def remove_command(ns: argparse.Namespace) -> int:
    from tuinews.commands.articles import current_names
    from tuinews.subscriptions import SubscriptionFile, starred_kept

    subs = load_settings(ns).feeds
    titles: dict[str, str] = {}
    if store_origin(ns) is not None and not db_path(ns).exists():
        # A store named by --db or TUINEWS_DB that is not there holds nothing to drop,
        # and is not made here (a typo in its name would leave an empty store behind).
        ref = _confirmed_name(ns, ns.feed, subs, titles)
        removed = SubscriptionFile(config_path(ns)).remove(ref)
        starred = 0
    else:
        # The store opens first: when it cannot, the subscription stays as it was.
        with open_store(ns) as store:
            from tuinews.store import StoreUnwritable

            with contextlib.suppress(StoreUnwritable):
                # The file's titles as they are now: one deleted by hand names no feed.
                store.sync_feeds_if_changed(subs)
            # Named as `tuinews feeds` shows them: a feed without a title in the file
            # goes by the title it gives itself.
            titles = {info.url: info.title for info in store.feeds()}
            (ref,) = current_names(
                [ns.feed], [sub.url for sub in subs], store, "unsubscribing from it"
            )
            ref = _confirmed_name(ns, ref, subs, titles)
            # Moved while the prompt waited: the feed's articles could not go, so the
            # subscription stays (checked again by the store's write, a moment later).
            store.refuse_if_moved()
            try:
                removed = SubscriptionFile(config_path(ns)).remove(ref, titles)
            except ConfigError:
                # A refresh running now may have moved the feed (a permanent redirect)
                # in the settings file since they were read: its new address, once.
                # (`ref`, not what was typed: a part of a title confirmed at the prompt
                # has become the feed's address.)
                now = [sub.url for sub in load_settings(ns).feeds]
                (moved,) = current_names([ref], now, store, "unsubscribing from it")
                if moved == ref:
                    raise
                removed = SubscriptionFile(config_path(ns)).remove(moved, titles)
            feed = store.feed_by_url(removed.url)
            moved_to = store.former_urls().get(removed.url) if feed is None else None
            if moved_to is not None and moved_to not in {sub.url for sub in subs}:
                # A refresh running now has just moved the feed (a permanent redirect)
                # and not yet said so in the settings file.
                feed = store.feed_by_url(moved_to)
            starred = store.remove_feed(feed.id) if feed is not None else 0
    kept = starred_kept(starred)
    # A feed without a title in the file is named as `feeds` showed it: its own title.
    # (By its old address, when a running refresh moved it meanwhile.)
    known = titles.get(removed.url) or titles.get(ref)
    name = without_password(removed.title or known or removed.url)
    print(f"unsubscribed from {name}" + (f"; {kept}" if kept else ""))
    return 0


def _confirmed_name(
    ns: argparse.Namespace, ref: str, subs: Sequence[Subscription], titles: Mapping[str, str]
) -> str:
    """`ref`, or the URL of the feed it names by only a part of its title or address
    once the user said yes (or gave --yes). Run again from the shell's history,
    `remove News` would otherwise drop "Kernel News" once "News" is gone. Off a
    terminal (a script), such a name is refused without --yes."""
    from tuinews.subscriptions import match_feed_how

    index, by_part = match_feed_how(ref, [(s.url, s.title or titles.get(s.url, "")) for s in subs])
    if not by_part:
        return ref
    sub = subs[index]
    if ns.yes:
        return sub.url
    name = without_password(sub.title or titles.get(sub.url) or sub.url)
    named = f"{ref.strip()!r} is only a part of the name of {name} ({without_password(sub.url)})"
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise TuinewsError(f"{named}: give its whole title or URL, or add --yes to remove it")
    sys.stderr.write(f"tuinews: {named}; unsubscribe and drop its articles? [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise  # "interrupted", as anywhere else
    if not answer.endswith("\n"):
        # Ctrl-D: the terminal moved to no new line, and what was typed before it was
        # not an answer given with Enter ("y" then Ctrl-D to back out must not remove).
        sys.stderr.write("\n")
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise TuinewsError(f"{name}: not removed")
    return sub.url


def feeds_command(ns: argparse.Namespace) -> int:
    config = load_settings(ns)
    if not config.feeds:
        warn("no subscriptions yet: add one with `tuinews add URL`")
        return 0

    origin = store_origin(ns)
    path = db_path(ns)
    if origin is None and not path.exists():
        feeds = subscribed_as_stored(config.feeds, [])  # nothing fetched yet: none made
    elif origin is not None and not path.exists():
        # Listed from the settings file alone, the store not made: a typo in its name
        # must neither leave an empty store behind nor pass for one unnoticed.
        if path.parent.is_dir():
            warn(f"{path}: no such store yet (given by {origin}); `tuinews refresh` creates it")
        else:  # refresh would not make it either
            warn(f"{path}: no such folder {path.parent} (given by {origin})")
        feeds = subscribed_as_stored(config.feeds, [])
    else:
        feeds = _feeds_in_store(ns, config.feeds)
    if ns.json:
        _print_feeds_json(feeds)
    else:
        _print_feeds(feeds)
    return 0


def _feeds_in_store(ns: argparse.Namespace, subs: Sequence[Subscription]) -> list[FeedInfo]:
    from tuinews.store import StoreUnwritable

    with open_store(ns) as store:
        try:
            if store.read_only:
                raise StoreUnwritable(f"{store.path}: the store is read-only")
            store.sync_feeds(subs)
        except StoreUnwritable:
            # A store that refuses writes (read-only, disk full) is listed as it is.
            return subscribed_as_stored(subs, store.feeds())
        # The store also keeps feeds no longer subscribed (for their starred articles).
        subscribed = {sub.url for sub in subs}
        return [f for f in store.feeds() if f.url in subscribed]


def _print_feeds_json(feeds: Sequence[FeedInfo]) -> None:
    """JSON Lines for scripts: what the table shows, exact (tags are a list: a tag may
    hold a comma), and the state behind "next try" (URLs without their password). The
    error is the reason only: when the feed is tried next is `next_fetch`."""
    import json

    from tuinews.commands.common import iso_utc
    from tuinews.refresh.shown_error import plain_error

    for f in feeds:
        record = {
            # null for a feed known only by its address (the store names it by its URL)
            "title": None if f.title == f.url else without_password(f.title),
            "url": without_password(f.url),
            "tags": list(f.tags),
            "unread": f.unread,
            "total": f.total,
            "last_refresh": iso_utc(f.last_refresh),
            "last_status": f.last_status,
            "last_error": None if f.last_error is None else plain_error(f.last_error),
            "last_error_at": iso_utc(f.last_error_at),
            "failures": f.failures,
            "next_fetch": None if f.disabled else iso_utc(f.next_fetch),
            "disabled": f.disabled,
        }
        print(json.dumps(record, ensure_ascii=False))


def _print_feeds(feeds: Sequence[FeedInfo]) -> None:
    """The table (tab-separated in a pipe), its text as a terminal draws it (`drawable`:
    a code point a terminal draws as it pleases would move the columns after it)."""
    from datetime import UTC, datetime

    from tuinews.sources.sanitize import drawable

    now = datetime.now(UTC)
    if not sys.stdout.isatty():
        from tuinews.refresh.shown_error import plain_error

        # Scripts get tab-separated columns; the error is its reason, without a time
        # (`--json` has `next_fetch`).
        for f in feeds:
            refreshed = short_date(f.last_refresh).strip() or "never"
            fields = [
                without_password(f.title),
                ",".join(f.tags),
                f"{f.unread}/{f.total}",
                refreshed,
                plain_error(f.last_error or ""),
                without_password(f.url),
            ]
            print(drawable("\t".join(fields)))
        return
    from rich.table import Table
    from rich.text import Text

    from tuinews.feed_names import address_label, told_apart

    # Feeds of one title (a site's Atom and JSON feeds) are told apart by their address.
    by_title: dict[str, list[str]] = {}
    for f in feeds:
        by_title.setdefault(f.title, []).append(without_password(f.url))

    def others(feed: FeedInfo) -> list[str]:
        return [url for url in by_title[feed.title] if url != without_password(feed.url)]

    rows = [
        (
            told_apart(f.title, without_password(f.url), 60, others(f))
            if len(by_title[f.title]) > 1
            else drawable(without_password(f.title)),
            drawable(", ".join(f.tags)),
            f"{f.unread}/{f.total}",
            short_date(f.last_refresh).strip() or "never",
            drawable(_error_with_state(f, now)),
        )
        for f in feeds
    ]
    headers = ("Title", "Tags", "Unread/Total", "Last refresh", "Last error")
    console = stdout_console()
    widths = _column_widths(headers, rows, console.width)
    # One line per feed at any width: long titles, tags and errors are cut with "…";
    # the counts and the date never are (a wrapped date doubled the table at 80 columns).
    table = Table(box=None, header_style="bold", pad_edge=False)
    shown = [index for index, width in enumerate(widths) if width > 0]
    for index in shown:
        table.add_column(headers[index], no_wrap=True, overflow="ellipsis", width=widths[index])
    for feed, row in zip(feeds, rows, strict=True):
        cells = list(row)
        if feed.title == feed.url and widths[0] > 0:
            # Known only by its address: host and the end of the path, which tell
            # feeds apart, rather than the start of the URL cut with "…".
            cells[0] = address_label(without_password(feed.url), widths[0])
        elif len(by_title[feed.title]) > 1 and widths[0] > 0:
            cells[0] = told_apart(feed.title, without_password(feed.url), widths[0], others(feed))
        table.add_row(*(Text(cells[i], style="red" if i == 4 else "") for i in shown))
    console.print(table)
    _print_cut_errors(console, feeds, rows, widths[4])


def _error_with_state(feed: FeedInfo, now: datetime) -> str:
    """The feed's last error, with when it is tried next (back-off) or that it is off.
    The next try is told only while it is to come: once over, the next refresh fetches
    the feed, and the error stands alone (a stored error never holds a time)."""
    from tuinews.refresh.shown_error import next_try, plain_error

    error = plain_error(feed.last_error or "")
    if not error:
        return ""
    if feed.disabled:
        gone = error.removesuffix(": feed disabled")
        return f"disabled: {gone}; `tuinews refresh FEED` tries it again"
    retry_at = next_try(feed, now)
    if retry_at is not None:
        from tuinews.refresh.outcome import minute_after

        return f"{error} (next try after {short_date(minute_after(retry_at))})"
    return error


def _print_cut_errors(
    console: Console, feeds: Sequence[FeedInfo], rows: Sequence[Sequence[str]], room: int
) -> None:
    """The errors the table had to cut or leave out, in full under it: after a failed
    refresh they are what `feeds` is run for, and 80 columns leave them a few letters."""
    from rich.text import Text

    notes: list[Text] = []
    for feed, row in zip(feeds, rows, strict=True):
        if len(row[4]) <= room:
            continue
        note = Text(row[0] or without_password(feed.url), style="bold")
        note.append(": ")
        note.append(row[4], style="red")
        notes.append(note)
    if notes:
        console.print()
        for note in notes:
            console.print(note)


# Where room is short, columns give way in these steps (column, width it may shrink
# to): the error first, to a few words (the reader's feed view has it whole), then the
# title, then the tags and the error go entirely, then the title shrinks further. The
# counts and the date never shrink.
_SHRINK_STEPS = ((4, 10), (0, 16), (1, 0), (4, 0), (0, 8))
_MAX_WIDTHS = (48, 20, None, None, None)
_USEFUL_WIDTH = 5


def _column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], room: int) -> list[int]:
    """Widths that fit `room` columns with two spaces between: each column as wide as
    its widest cell (within its maximum), shrunk where needed by `_SHRINK_STEPS`."""
    from rich.cells import cell_len  # terminal cells: a CJK title is twice its length

    widths = []
    for index, header in enumerate(headers):
        want = max([cell_len(header), *(cell_len(row[index]) for row in rows)])
        cap = _MAX_WIDTHS[index]
        widths.append(min(want, cap) if cap else want)
    natural = list(widths)
    excess = sum(widths) + 2 * (len(widths) - 1) - room
    wanted_title = widths[0]
    for index, floor in _SHRINK_STEPS:
        if excess <= 0:
            break
        give = min(excess, max(0, widths[index] - floor))
        widths[index] -= give
        excess -= give
    for index in (1, 4):
        empty = not any(row[index] for row in rows)
        if widths[index] > 0 and (empty or widths[index] < min(_USEFUL_WIDTH, natural[index])):
            # An empty column, or one shrunk to a letter or two, says nothing: it goes,
            # the title gets the room (with the gap before it). Short tags ("dev") stay.
            widths[0] = min(wanted_title, widths[0] + widths[index] + 2)
            widths[index] = 0
    return widths


def subscribed_as_stored(subs: Sequence[Subscription], stored: list[FeedInfo]) -> list[FeedInfo]:
    """The subscriptions in the settings file's order, each with what the store holds of
    it (what `sync_feeds` would show, without writing): a feed the store has never seen
    is listed with no articles and never refreshed."""
    from dataclasses import replace

    from tuinews.store import FeedInfo

    by_url = {info.url: info for info in stored}
    unique: dict[str, Subscription] = {}
    for sub in subs:
        unique.setdefault(sub.url, sub)  # the first of a repeated URL wins, as in the store
    feeds: list[FeedInfo] = []
    for sub in unique.values():
        info = by_url.get(sub.url)
        if info is None:
            info = FeedInfo(
                id=0,
                url=sub.url,
                title=sub.title or sub.url,
                tags=tuple(sub.tags),
                unread=0,
                total=0,
                last_refresh=None,
                last_status=None,
                last_error=None,
                last_error_at=None,
                failures=0,
                next_fetch=None,
                disabled=False,
                etag=None,
                last_modified=None,
                source_mtime=None,
            )
        else:
            info = replace(info, title=sub.title or info.title, tags=tuple(sub.tags))
        feeds.append(info)
    return feeds


def import_command(ns: argparse.Namespace) -> int:
    from tuinews.refresh.locations import local_path, location_kind
    from tuinews.sources.subscription_merge import quoted
    from tuinews.subscriptions import SubscriptionFile

    source = ns.file
    shown = without_password(source)  # a list's URL may carry a password
    base: Path | None = None
    # Which local files the list may name: see `LocalFiles`. A list the user gives as a
    # file or on standard input (`tuinews export | tuinews import -`) may name feed files
    # anywhere, so what `export` wrote comes back; a list from the web names none.
    local_files: LocalFiles = "any" if getattr(ns, "trust_local", False) else "any_feed"
    if not source.strip():
        # Read as a path, "" is the working folder: ": Is a directory" named nothing.
        raise TuinewsError("import: no file named (give a file, an http(s) URL or -)")
    if source == "-":
        data = read_stdin_bytes(25 * 1024 * 1024)
    elif location_kind(source) == "http":
        data = _download(ns, source)
        local_files = "none"
    elif location_kind(source) == "local":
        path = local_path(source)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise TuinewsError(f"{shown}: {error.strerror or error}") from None
        base = path.resolve().parent
    else:
        raise TuinewsError(
            f"{shown}: import reads a local file or an http(s) URL (OPML or newsboat urls)"
        )
    list_url = source if location_kind(source) == "http" else None
    folders: dict[str, list[str]] = {}
    entries, skipped, kind = _parse_subscription_list(
        data, shown, base, local_files, list_url, folders
    )
    entries = _usable(entries, skipped, base)
    from tuinews.sources.opml import DAMAGE_NOTE

    # The lines name skipped entries, but for a first one on damaged XML.
    damage = skipped[0] if skipped and skipped[0].endswith(DAMAGE_NOTE) else None
    unusable = len(skipped) - (damage is not None)
    if damage and not entries and not unusable:  # nothing read: the damage is why
        raise TuinewsError(f"{shown}: no feeds found ({damage.removesuffix(DAMAGE_NOTE)})")
    for line in skipped:
        warn(f"{shown}: {line}")
    if not entries:
        if unusable:  # every entry skipped: the lines above say why
            raise TuinewsError(f"{shown}: the list names no usable feed ({unusable} skipped)")
        if kind == "opml":
            # Read as OPML: "expected OPML" would say the file was not understood.
            raise TuinewsError(f"{shown}: the OPML list has no feeds")
        raise TuinewsError(f"{shown}: no feeds found (expected OPML or a newsboat urls file)")
    for outside in dict.fromkeys(sub.url for sub in entries if _outside(sub.url, base)):
        # Named, so that a list naming a feed file one did not expect does not go unseen.
        warn(f"{shown}: subscribing to the local file {quoted(outside)}, outside the list's folder")
    moved = _moved_onto_subscribed(ns, [sub.url for sub in entries])
    for old, now in moved.items():
        # An older list (a backup from before a feed moved): its old address would be
        # a second subscription, failing on the redirect at every refresh.
        warn(f"{shown}: {without_password(old)} moved to {without_password(now)}, subscribed")
    entries = [sub for sub in entries if sub.url not in moved]
    settings = SubscriptionFile(config_path(ns))
    counts = settings.add_many(entries)
    settings.nest_folders(folders)  # for `export` to nest the folders again
    already = counts.already_subscribed + len(moved)
    print(_import_summary(counts.added, already, counts.repeated, unusable))
    return 0


def _outside(url: str, folder: Path | None) -> bool:
    """Whether `url` is a local file outside `folder` (None: standard input's none)."""
    return url.startswith("/") and (folder is None or not Path(url).is_relative_to(folder))


def _import_summary(added: int, already: int, repeated: int, skipped: int) -> str:
    """`imported N feeds (...)`, accounting for every entry of the list."""
    notes = []
    if already:
        notes.append(f"{already} already subscribed")
    if repeated:
        # Merged, not dropped: a feed listed in two folders gains both tags.
        notes.append(f"{repeated} repeated entr{'ies' if repeated != 1 else 'y'} merged")
    if skipped:
        notes.append(f"{skipped} unusable entr{'ies' if skipped != 1 else 'y'} skipped")
    summary = f"imported {added} feed{'s' if added != 1 else ''}"
    return summary + (f" ({', '.join(notes)})" if notes else "")


def _download(ns: argparse.Namespace, url: str) -> bytes:
    """The body at `url`, fetched as `refresh` fetches a feed (its size limit, timeouts
    and redirect limit from the [refresh] settings)."""
    import asyncio

    from tuinews.config import load_config
    from tuinews.refresh.client import make_client
    from tuinews.refresh.fetch import Fetcher, FetchError

    # The file may not exist yet: import creates it.
    settings = load_config(config_path(ns)).refresh

    async def fetch() -> bytes:
        client = make_client(settings)
        try:
            return (await Fetcher(client, settings).fetch(url)).body
        finally:
            await client.aclose()

    try:
        return asyncio.run(fetch())
    except FetchError as error:
        raise TuinewsError(f"{without_password(url)}: {error.reason}") from None


def _parse_subscription_list(
    data: bytes,
    source: str,
    base: Path | None,
    local_files: LocalFiles,
    list_url: str | None = None,
    folders: dict[str, list[str]] | None = None,
) -> tuple[list[Subscription], list[str], Literal["opml", "urls"]]:
    """Every usable entry of the list (repeats kept: `add_many` counts them), one line
    per entry skipped, and which kind of list it was read as. `list_url`: where a list
    from the web came from, password and all, against which its relative addresses are
    read."""
    from tuinews.sources.detect import SNIFF_BYTES, looks_binary, sniff_structured
    from tuinews.sources.encoding import strip_bom, utf8_or_cp1252

    # XML in UTF-16 or UTF-32 (a byte-order mark, or UTF-16's "<" beside a zero byte)
    # starts with "<" once decoded only, and its zero bytes are no binary data.
    head, marked = strip_bom(data[:SNIFF_BYTES])
    text = head.decode(marked or "utf-8", errors="replace").lstrip(" \t\r\n")
    xml = text.startswith("<")
    if looks_binary(data) and not (xml and marked):
        # Read as a urls file, every line of it would come back as a skipped entry.
        raise TuinewsError(f"{source}: not OPML or a newsboat urls file (binary data)")
    if sniff_structured(text.encode() if xml and marked else data) == "feed":
        import shlex

        target = shlex.quote(source) if source != "-" else "URL"
        raise TuinewsError(
            f"{source}: this is a feed, not a subscription list; "
            f"subscribe to it with: tuinews add {target}"
        )
    if xml:
        from tuinews.sources.opml import parse_opml_report

        notes: list[str] = []
        found = parse_opml_report(
            data,
            source,
            base=base,
            local_files=local_files,
            merge=False,
            base_url=list_url,
            notes=notes,
            folders=folders,
        )
        for note in notes:  # as for a urls file, below
            warn(f"{source}: {note}")
        return (*found, "opml")
    from tuinews.sources.newsboat import parse_newsboat_urls_report

    text, assumed = utf8_or_cp1252(data)
    notes = []
    found = parse_newsboat_urls_report(
        text, source, base=base, local_files=local_files, merge=False, notes=notes
    )
    if assumed is not None:
        # Said once, so that titles and tags get a look: the file may be in another one.
        warn(f"{source}: not UTF-8 text; read as {assumed}")
    for note in notes:
        warn(f"{source}: {note}")
    return (*found, "urls")


def _usable(subs: list[Subscription], skipped: list[str], base: Path | None) -> list[Subscription]:
    """Entries whose URL a subscription can hold; the others join the skipped lines."""
    from dataclasses import replace

    from tuinews.config import canonical_feed_url
    from tuinews.errors import ConfigError
    from tuinews.feed_urls import check_host_characters
    from tuinews.sources.subscription_merge import quoted

    usable = []
    refused: set[str] = set()
    for sub in subs:
        if sub.url in refused:
            continue  # the same feed in another folder: said and counted once
        try:
            url = canonical_feed_url(sub.url, base)
            check_host_characters(url)
            usable.append(replace(sub, url=url))
        except ConfigError as error:
            refused.add(sub.url)
            skipped.append(f"skipped {quoted(sub.title or without_password(sub.url))}: {error}")
    return usable


def _with_known_titles(ns: argparse.Namespace, feeds: Sequence[Subscription]) -> list[Subscription]:
    """Feeds without a title in the file get the title the feed gives itself (as
    `tuinews feeds` shows it), when the store has fetched it: a reader importing the
    list then shows names, not bare URLs. Not the name a feed without a title goes by
    (its host): written out, it would become that feed's title for good."""
    import dataclasses

    from tuinews.errors import StoreError
    from tuinews.sources.feed_build import fallback_title

    if all(sub.title for sub in feeds) or not db_path(ns).exists():
        return list(feeds)
    try:
        with open_store(ns) as store:
            titles = {info.url: info.title for info in store.feeds()}
    except StoreError as error:
        # The list is the settings file's: a store this version cannot read (newer,
        # damaged) costs the feeds' own titles, never the export.
        warn(f"{error}; exported without the titles feeds give themselves")
        return list(feeds)
    return [
        sub
        if sub.title or titles.get(sub.url, sub.url) in (sub.url, fallback_title(sub.url))
        else dataclasses.replace(sub, title=titles[sub.url])
        for sub in feeds
    ]


def _refuse_own_files(ns: argparse.Namespace, name: str) -> None:
    """`export -o` onto the settings file (or the store) would replace every
    subscription and setting with the list: refused, naming the file."""
    from tuinews.paths import expand_home

    target = expand_home(name)  # `~NAME/…` naming no user: one line, not a traceback
    store = db_path(ns)
    own = [
        (config_path(ns), "the settings file"),
        (store, "the store"),
        (store.with_name(store.name + "-wal"), "the store's journal"),
        (store.with_name(store.name + "-shm"), "the store's journal"),
    ]
    for path, what in own:
        with contextlib.suppress(OSError):
            if target.samefile(path):
                raise TuinewsError(f"{name}: is {what} ({path}); export to another file")


def _say_local_needing_trust(feeds: Sequence[Subscription]) -> None:
    """A note on the local subscriptions (folders, articles) that an import of this
    export takes only when told to: a backup must not lose them unnoticed."""
    from tuinews.sources.subscription_merge import local_entry

    # Refused by a plain import, taken with --trust-local (which takes any folder or
    # regular file there is).
    refused = [
        sub.url
        for sub in feeds
        if sub.url.startswith("/")
        and (Path(sub.url).is_dir() or Path(sub.url).is_file())
        and local_entry(Path(sub.url), None, "any_feed")[0] is None
    ]
    if refused:
        count = len(refused)
        warn(
            f"note: {count} local subscription{'s' if count != 1 else ''} (folders or "
            f"articles, not feed files) {'come' if count != 1 else 'comes'} back from this "
            "list only with `tuinews import --trust-local`"
        )


def export_command(ns: argparse.Namespace) -> int:
    from tuinews.sources.opml import write_opml

    config = load_settings(ns)
    document = write_opml(_with_known_titles(ns, config.feeds), folders=config.folders)
    _say_local_needing_trust(config.feeds)
    if ns.output and ns.output != "-":  # `-o -` is standard output, as for most tools
        from tuinews.commands.common import write_output

        _refuse_own_files(ns, ns.output)
        # Like the settings file it comes from: a feed's password is no one else's.
        private = any(
            sub.url.startswith(("http://", "https://")) and without_password(sub.url) != sub.url
            for sub in config.feeds
        )
        write_output(ns.output, document, private=private)
        count = len(config.feeds)
        print(f"wrote {count} feed{'s' if count != 1 else ''} to {ns.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
    return 0
