"""`tuinews list` and `tuinews read`: headlines and articles, from sources or the store."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tuinews.commands.common import (
    EXIT_CODES,
    db_path,
    error_line,
    is_source_ref,
    iso_utc,
    load_settings,
    open_store,
    read_stdin_bytes,
    require_config_file,
    say_moved,
    short_date,
    stdout_console,
    warn,
)
from tuinews.model import Article, Feed, Subscription

if TYPE_CHECKING:
    from rich.console import Console

    from tuinews.store import FeedInfo, Store, StoredArticle, View

_OLDEST = datetime.min.replace(tzinfo=UTC)


def load_feeds(ns: argparse.Namespace, specs: Sequence[str]) -> tuple[list[Feed], bool]:
    """Read each source; report failures one line each. Returns (feeds, all_ok)."""
    import asyncio

    from tuinews.refresh import load_sources

    settings = load_settings(ns).refresh
    stdin = read_stdin_bytes(settings.max_bytes) if "-" in specs else None
    results = asyncio.run(load_sources(specs, settings, stdin=stdin))
    feeds: list[Feed] = []
    ok = True
    for result in results:
        if result.feed is None:
            error_line(result.spec, result.error or "could not be read")
            ok = False
        else:
            if result.feed.cut:  # as `refresh` says it of the same document
                error_line(result.spec, f"{result.feed.cut}; its complete articles are shown")
            feeds.append(result.feed)
    return feeds, ok


def newest_first(articles: Iterable[Article]) -> list[Article]:
    # Undated articles keep their order, after the dated ones.
    return sorted(articles, key=lambda a: a.date or _OLDEST, reverse=True)


def article_json(article: Article, extra: dict[str, object] | None = None) -> str:
    from tuinews.sources.sanitize import without_password

    # A feed URL's password shown as ***, as `feeds --json` shows it.
    record: dict[str, object] = {
        "id": article.id,
        "feed": without_password(article.feed_title or article.feed),
        "feed_url": without_password(article.feed),
        "title": article.title,
        "link": article.link,
        "published": iso_utc(article.published),
        "updated": iso_utc(article.updated),
        "author": article.author,
        "summary": article.summary,
        "categories": list(article.categories),
        "enclosures": [
            {"url": e.url, "type": e.type, "length": e.length} for e in article.enclosures
        ],
    }
    if extra:
        record.update(extra)
    return json.dumps(record, ensure_ascii=False)


def _fit(text: str, width: int | None) -> str:
    """`text` in `width` cells (none: all of it), as a terminal draws it (`drawable`:
    a code point it draws as it pleases would move the columns after it). Cells, not
    characters: a CJK or emoji character takes two."""
    from tuinews.sources.sanitize import drawable

    text = drawable(text)
    if width is None or (text.isascii() and len(text) <= width):
        return text
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)) + "…"


def _column(text: str, width: int) -> str:
    """`text` fitted to and padded out to `width` cells: the columns after it align."""
    from rich.cells import cell_len

    fitted = _fit(text, width)
    return fitted + " " * (width - cell_len(fitted))


def _line_width() -> int | None:
    # Crop to the terminal; never crop what goes into a pipe.
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


# The headline is what a list is for: on a narrow terminal the feed column gives way
# first, narrowed while the headline keeps TITLE_ROOM cells, then left out.
TITLE_ROOM = 28  # what an 80-column terminal leaves it beside a full feed column
FEED_COLUMN_MIN = 8


def _feed_column_width(line_width: int | None, before: int, preferred: int) -> int:
    """Cells for the feed's name between `before` cells of columns and the headline;
    0: no feed column."""
    if line_width is None:
        return preferred
    spare = line_width - before - 2 * len(_GAP) - TITLE_ROOM
    if spare >= preferred:
        return preferred
    return spare if spare >= FEED_COLUMN_MIN else 0


_GAP = "  "
# Narrower still, the date gives up its century and time before the headline goes.
TITLE_MIN = 20


def _date_format(line_width: int | None, before: int) -> Callable[[datetime | None], str]:
    """The dates' form for rows with `before` cells of other columns (a full date)."""
    if line_width is None or line_width - before - len(_GAP) >= TITLE_MIN:
        return short_date
    return _compact_date


def _compact_date(moment: datetime | None) -> str:
    # The year stays (24-03-10): last year's articles beside this year's must not read
    # as this year's.
    return moment.astimezone().strftime("%y-%m-%d") if moment is not None else " " * 8


def _with_feed(feed_title: str, width: int) -> str:
    """The feed column and the gap after it; nothing when there is no room for it."""
    return _column(feed_title, width) + _GAP if width else ""


def list_command(ns: argparse.Namespace) -> int:
    if ns.sources:
        if ns.unread or ns.starred or ns.feed or ns.tag or ns.search:
            warn(
                "--unread, --starred, --feed, --tag and --search apply to the store, not to sources"
            )
        return _list_sources(ns)
    return _list_store(ns)


def _list_sources(ns: argparse.Namespace) -> int:
    feeds, ok = load_feeds(ns, ns.sources)
    rows: list[tuple[int, Article]] = []
    for feed in feeds:
        rows.extend((index, art) for index, art in enumerate(newest_first(feed.articles), 1))
    rows.sort(key=lambda row: row[1].date or _OLDEST, reverse=True)
    if ns.limit:
        rows = rows[: ns.limit]
    width = _line_width()
    before = len(f"{0:>4}  {short_date(None)}")
    feed_width = _feed_column_width(width, before, 24)
    date_of = _date_format(width, before)
    out = sys.stdout
    for index, article in rows:
        if ns.json:
            out.write(article_json(article, {"index": index}) + "\n")
        else:
            feed_column = _with_feed(article.feed_title, feed_width)
            line = f"{index:>4}  {date_of(article.date)}  {feed_column}{article.title}"
            out.write(_fit(line, width) + "\n")
    out.flush()
    return EXIT_CODES[ok]


def store_view(
    ns: argparse.Namespace,
    store: Store,
    subs: Sequence[Subscription],
    *,
    doing: str = "listing it there",
) -> View:
    """The store's articles the options select; --feed and --tag name feeds as the
    settings file (`subs`) does now, as `remove` and `feeds` do, not as the store knew
    them at the last refresh. A feed named by an address it had before a move is said
    to have moved (`doing`: what the command does with it)."""
    from tuinews.store import View

    feed_ids: tuple[int, ...] | None = None
    if getattr(ns, "feed", None) or getattr(ns, "tag", None):
        feeds = _named_feeds(store, subs)
        if getattr(ns, "feed", None):
            refs = current_names(ns.feed, [feed.url for feed in feeds], store, doing)
            feed_ids = tuple(resolve_feed(feeds, ref).id for ref in refs)
        if getattr(ns, "tag", None):
            feed_ids = (*(feed_ids or ()), *_tagged(feeds, ns.tag))
    return View(
        feed_ids=feed_ids,
        unread_only=bool(getattr(ns, "unread", False)),
        starred_only=bool(getattr(ns, "starred", False)),
        search=getattr(ns, "search", None) or None,
    )


def _named_feeds(store: Store, subs: Sequence[Subscription]) -> list[FeedInfo]:
    """The subscribed feeds with the titles and tags of the settings file (a feed never
    fetched yet has id 0, and no articles), then the stored feeds no longer subscribed,
    kept for their starred articles."""
    from tuinews.commands.subscriptions_commands import subscribed_as_stored

    stored = store.feeds()
    subscribed = subscribed_as_stored(subs, stored)
    urls = {feed.url for feed in subscribed}
    return subscribed + [feed for feed in stored if feed.url not in urls]


def _tagged(feeds: Sequence[FeedInfo], tags: list[str]) -> list[int]:
    """The feeds with any of `tags` (as the sidebar shows them, case aside)."""
    from tuinews.errors import TuinewsError

    wanted = {tag.casefold() for tag in tags}
    found = [feed.id for feed in feeds if wanted & {tag.casefold() for tag in feed.tags}]
    if not found:
        known = sorted({tag for feed in feeds for tag in feed.tags}, key=str.casefold)
        said = ", ".join(known) if known else "none yet"
        raise TuinewsError(f"no feed has the tag {', '.join(map(repr, tags))} (tags: {said})")
    return found


def current_names(refs: Sequence[str], urls: Sequence[str], store: Store, doing: str) -> list[str]:
    """`refs` (names of feeds, as the user gave them), each former address of one of the
    feeds at `urls` replaced by the feed's address now (`Store.former_urls`): said on
    stderr once per address, with what the command is `doing` there."""
    from tuinews.subscriptions import moved_feed

    current = {*urls, *map(_canonical, urls)}
    former: dict[str, str] | None = None
    said: set[str] = set()
    names = []
    for ref in refs:
        if ref.strip() in current:
            names.append(ref)
            continue
        if former is None:
            former = store.former_urls()
        moved = moved_feed(ref, current, former)
        if moved is None:
            names.append(ref)
            continue
        old, now = moved
        if old not in said:
            said.add(old)
            say_moved(old, now, doing)
        names.append(now)
    return names


def resolve_feed(feeds: Sequence[FeedInfo], ref: str) -> FeedInfo:
    """The feed `ref` names, as `tuinews remove` names one (URL, title, part of a title)."""
    from tuinews.subscriptions import match_feed

    pairs = [(_canonical(feed.url), "" if feed.title == feed.url else feed.title) for feed in feeds]
    return feeds[match_feed(ref, pairs)]


def _canonical(url: str) -> str:
    """A stored URL in today's canonical form: a store not yet synced with the settings
    may hold an older spelling (`…#latest`) of the URL the user types."""
    from tuinews.config import canonical_feed_url
    from tuinews.errors import ConfigError

    try:
        return canonical_feed_url(url)
    except ConfigError:
        return url


# The largest page of search results `list` asks for (a page is held in memory whole).
_SEARCH_PAGE_MAX = 16_000


def _list_store(ns: argparse.Namespace) -> int:
    # A broken settings file is reported, never silently ignored.
    subs = load_settings(ns).feeds
    search = getattr(ns, "search", None)
    if search is not None:  # `--search ''` too: listing everything would not be a search
        from tuinews.store.fts import search_terms

        if search_terms(search) is None:
            warn(
                f"nothing to search for in {search!r}: give a word of letters or digits "
                "(-word only leaves articles out)"
            )
            return 2
    with open_store(ns, must_exist=True) as store:
        from tuinews.store import StoreUnwritable

        with contextlib.suppress(StoreUnwritable):
            # Rows are labelled as the settings file names feeds now (as --feed takes
            # them), not as the store knew them at the last refresh.
            store.sync_feeds_if_changed(subs)
        view = store_view(ns, store, subs)
        limit = ns.limit or 1_000_000_000
        width = _line_width()
        out = sys.stdout
        after = None
        remaining = limit
        printed = 0
        page_size = 500
        while remaining > 0:
            page = store.headlines(
                view,
                limit=min(remaining, page_size),
                after=after,
                offset=printed if view.search else None,
            )
            if not page:
                break
            short = store.short_ids([row.article_id for row in page]) if not ns.json else []
            # An id made longer to stay unique pads the page's others: columns align.
            id_width = max(map(len, short), default=8)
            before = id_width + len(f" NN {short_date(None)}")
            feed_width = _feed_column_width(width, before, 20)
            date_of = _date_format(width, before)
            for number, row in enumerate(page):
                if ns.json:
                    stored = store.article(row.pk)
                    if stored is None:
                        continue
                    out.write(
                        article_json(
                            stored.article, {"read": stored.read, "starred": stored.starred}
                        )
                        + "\n"
                    )
                else:
                    mark = ("N" if not row.read else " ") + ("*" if row.starred else " ")
                    feed = _with_feed(row.feed_title, feed_width)
                    date = date_of(row.date)
                    line = f"{short[number]:<{id_width}} {mark} {date}  {feed}{row.title}"
                    out.write(_fit(line, width) + "\n")
            printed += len(page)
            remaining -= len(page)
            after = None if view.search else page[-1].sort_key
            if view.search:
                # Each page of a search scores and sorts every hit again: pages that
                # grow keep 100,000 hits to about ten rankings, not two hundred (80 s).
                page_size = min(page_size * 2, _SEARCH_PAGE_MAX)
        out.flush()
        note = store.unsearched_note() if view.search else None
        if note:
            warn(note)
        if printed == 0 and not ns.json and sys.stdout.isatty() and not store.feeds():
            warn(
                "the store is empty: add feeds with `tuinews add URL`, then "
                "`tuinews refresh` (or list a source: `tuinews list URL|FILE`)"
            )
    return 0


def read_command(ns: argparse.Namespace) -> int:
    console = stdout_console(ns.width)
    stored_too = _stored_article_also_a_file(ns)
    if stored_too is not None:
        # As for any stored article: the settings are read, and must be there if named.
        require_config_file(ns)
        load_settings(ns)
        warn(f"{ns.source}: also a file here; `tuinews read ./{ns.source}` reads the file")
        if ns.index is not None:
            warn("--index applies to a source, not to a stored article id")
        _print_article(console, stored_too.article)
        return 0
    if is_source_ref(ns.source):
        feeds, ok = load_feeds(ns, [ns.source])
        articles = newest_first(a for feed in feeds for a in feed.articles)
        if not ok:
            return 1
        if not articles:
            error_line(ns.source, "has no articles")
            return 1
        index = ns.index or 1
        if index > len(articles):
            count = f"{len(articles)} article" + ("s" if len(articles) > 1 else "")
            error_line(ns.source, f"has {count}; there is no number {index}")
            return 1
        _print_article(console, articles[index - 1])
        return 0
    if ns.index is not None:
        warn("--index applies to a source, not to a stored article id")
    load_settings(ns)
    with open_store(ns, must_exist=True) as store:
        stored: StoredArticle | None = store.find_article(ns.source)
        if stored is None:
            error_line(ns.source, "no such file, URL or stored article id")
            return 1
        _print_article(console, stored.article)
    return 0


def _stored_article_also_a_file(ns: argparse.Namespace) -> StoredArticle | None:
    """The stored article an id copied from `list` names, when a file in this folder
    has that name too: the id is what `read ID` was given (a file named like a hex id
    is rare; `./NAME` still reads it)."""
    import re

    from tuinews.errors import TuinewsError

    if not re.fullmatch(r"[0-9a-fA-F]{8,16}", ns.source) or not is_source_ref(ns.source):
        return None
    if not db_path(ns).is_file():
        return None
    try:
        with open_store(ns, must_exist=True) as store:
            return store.find_article(ns.source)
    except TuinewsError:  # not a usable store, or several matches: the file it is
        return None


def _print_article(console: Console, article: Article) -> None:
    from tuinews.render import render_article

    # Addresses whole on their line: the terminal wraps them as it draws (clicked, they
    # open whole), and `read ID | grep Link:` finds the whole address.
    console.print(render_article(article, fold_addresses=False).renderable, crop=False)
