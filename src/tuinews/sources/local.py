"""Local sources: one file, a directory of files, stdin, `file://` URLs.

A single article file is a feed of one article; a feed file is parsed as a feed; an OPML
file gives subscriptions; a directory is one feed of its files (one level), newest first.
"""

from __future__ import annotations

import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tuinews.errors import SourceError
from tuinews.model import Article, Direction, Feed, Subscription, article_id, article_key
from tuinews.sources import detect
from tuinews.sources.sanitize import clean_line, title_or_fallback

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DIRECTORY_FILES = 5000
STDIN_NAME = "-"
NOT_SUPPORTED = "not a feed, article or OPML file"


def path_from_file_url(url: str) -> Path:
    """The local path a `file://` URL names (percent-decoded); other hosts are refused."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        raise SourceError(url, "not a file:// URL")
    if parts.netloc not in {"", "localhost"}:
        raise SourceError(url, f"file URL names another host ({parts.netloc})")
    path = unquote(parts.path)
    if not path or "\x00" in path:
        raise SourceError(url, "file URL has no path")
    return Path(path)


def _reason(error: OSError) -> str:
    if error.errno in {errno.ENOENT, errno.ENOTDIR}:
        return "no such file or directory"
    if error.errno in {errno.EACCES, errno.EPERM}:
        return "permission denied"
    if error.errno == errno.EISDIR:
        return "is a directory"
    return (error.strerror or type(error).__name__).lower()


def _too_large(size: int) -> str:
    return (
        f"too large ({size // (1024 * 1024)} MB; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB)"
    )


def _read_bounded(path: Path) -> tuple[bytes, datetime]:
    """The file's bytes and modification time; SourceError for anything unreadable."""
    source = str(path)
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise SourceError(source, "is a directory")
            if info.st_size > MAX_FILE_BYTES:
                raise SourceError(source, _too_large(info.st_size))
            # Read one byte past the limit: pipes and devices report no size.
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise SourceError(source, _reason(error)) from error
    except ValueError as error:  # embedded NUL in the path
        raise SourceError(source, "no such file or directory") from error
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(source, _too_large(len(data)))
    return data, datetime.fromtimestamp(info.st_mtime, UTC)


def _absolute(path: Path) -> Path:
    # Not resolve(): the user's path (through symlinks) stays the feed's key.
    return Path(os.path.normpath(path.expanduser().absolute()))


def load_path(path: Path) -> Feed | list[Subscription]:
    """A file or directory as a feed, or an OPML file's subscriptions."""
    path = _absolute(path)
    source = str(path)
    try:
        is_directory = path.is_dir()
    except (OSError, ValueError) as error:
        raise SourceError(source, "no such file or directory") from error
    if is_directory:
        return load_directory(path)
    data, mtime = _read_bounded(path)
    return load_bytes(data, path.name, source, mtime, base=path.parent)


def load_bytes(
    data: bytes, name: str, source: str, mtime: datetime | None, *, base: Path | None = None
) -> Feed | list[Subscription]:
    """Bytes of a file (or stdin, `name` "-") as a feed or a list of subscriptions.

    `source` is the feed key and the name in errors; `base` is the folder relative OPML
    entries resolve against.
    """
    if not data.strip():
        raise SourceError(source, "is empty")
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(source, _too_large(len(data)))
    from tuinews.sources.feeds import ungzipped

    opened = ungzipped(data, source)  # feed.xml.gz, saved as served: what is inside
    if opened is not data:
        data, name = opened, name.removesuffix(".gz").removesuffix(".GZ")
    kind = detect.detect_kind(data, name)
    if kind == "opml":
        from tuinews.sources.opml import parse_opml

        return parse_opml(data, source, base=base)
    if kind == "feed":
        return _parse_feed(data, source)
    _refuse_non_article(data, name, source)
    feed_title = "standard input" if name == STDIN_NAME else clean_line(name) or source
    article = article_from_bytes(
        data, kind, name, source, mtime, feed=source, feed_title=feed_title
    )
    return Feed(url=source, title=feed_title, articles=[article])


def _parse_feed(data: bytes, source: str) -> Feed:
    try:
        from tuinews.sources.feeds import parse_feed
    except ImportError as error:  # the feed parser lands separately
        raise SourceError(source, "feed files are not supported in this build") from error
    return parse_feed(data, source)


def _refuse_non_article(data: bytes, name: str, source: str) -> None:
    suffix = Path(name).suffix.lower() if name != STDIN_NAME else ""
    if detect.looks_binary(data) or suffix in detect.DATA_EXTENSIONS:
        raise SourceError(source, NOT_SUPPORTED)


def article_from_bytes(
    data: bytes,
    kind: detect.Kind,
    name: str,
    path: str,
    mtime: datetime | None,
    *,
    feed: str,
    feed_title: str,
) -> Article:
    """One local article; its guid is the file's absolute path, its date the file's
    metadata date, else the modification time."""
    from tuinews.sources.sanitize import html_to_plain

    fallback_title = "" if name == STDIN_NAME else clean_line(Path(name).stem)
    link: str | None = None
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    language: str | None = None
    direction: Direction | None = None
    categories: tuple[str, ...] = ()
    dateline: str | None = None
    if kind == "html":
        from tuinews.sources.htmlpage import parse_html_page

        page = parse_html_page(detect.decode_text(data, detect.declared_charset(data)))
        title, content, summary = page.title, page.body, page.summary
        link, author, published = page.link, page.author, page.published
        language, direction = page.language, page.direction
        body_text = html_to_plain(content)
    elif kind == "markdown":
        from tuinews.sources.markdown import parse_markdown

        doc = parse_markdown(detect.decode_text(data))
        title, content, summary = doc.title, doc.body, doc.summary
        link, author, published, updated = doc.link, doc.author, doc.published, doc.updated
        language, categories = doc.language, doc.categories
        body_text = summary
    else:
        from tuinews.sources.plaintext import first_paragraph, parse_plain_text, shorten

        text = parse_plain_text(detect.decode_text(data))
        title, content, dateline = text.title, text.body, text.dateline
        summary = shorten(first_paragraph(content))
        body_text = summary
    title = title_or_fallback(title or fallback_title, body_text, link)
    published = published or updated or mtime
    key = article_key(path, link, title, published)
    return Article(
        id=article_id(feed, key),
        feed=feed,
        title=title,
        link=link,
        guid=path,
        author=author,
        published=published,
        updated=updated,
        summary=summary,
        content=content,
        content_type="markdown" if kind == "markdown" else "html" if kind == "html" else "text",
        categories=categories,
        language=language,
        direction=direction,
        feed_title=feed_title,
        dateline=dateline,
    )


def load_directory(path: Path) -> Feed:
    """A directory as one feed: its article and feed files (one level), newest first.

    Hidden files, OPML lists, binaries and unreadable files are skipped.
    """
    source = str(path)
    title = clean_line(path.name) or source
    try:
        entries = sorted(os.scandir(path), key=lambda entry: entry.name)
    except OSError as error:
        raise SourceError(source, _reason(error)) from error
    articles: list[Article] = []
    for entry in entries[:MAX_DIRECTORY_FILES]:
        if entry.name.startswith("."):
            continue
        try:
            if not entry.is_file():
                continue
        except OSError:
            continue
        articles.extend(_directory_entry(Path(entry.path), source, title))
    articles.sort(key=_newest_first)
    return Feed(url=source, title=title, articles=articles)


def _newest_first(article: Article) -> tuple[bool, float]:
    moment = article.date
    return (moment is None, -moment.timestamp() if moment else 0.0)


def _directory_entry(path: Path, feed: str, feed_title: str) -> list[Article]:
    try:
        data, mtime = _read_bounded(path)
    except SourceError:
        return []
    if not data.strip():
        return []
    kind = detect.detect_kind(data, path.name)
    try:
        if kind == "opml":
            return []
        if kind == "feed":
            parsed = _parse_feed(data, str(path))
            for article in parsed.articles:
                # Re-key under the directory: the directory is the feed the store knows.
                article.feed = feed
                key = article_key(article.guid, article.link, article.title, article.published)
                article.id = article_id(feed, key)
            return parsed.articles
        _refuse_non_article(data, path.name, str(path))
    except SourceError:
        return []
    return [
        article_from_bytes(
            data, kind, path.name, str(path), mtime, feed=feed, feed_title=feed_title
        )
    ]
