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
from tuinews.model import (
    Article,
    Direction,
    Feed,
    Subscription,
    article_id,
    article_key,
    link_sharing,
)
from tuinews.paths import expand_home
from tuinews.sources import detect
from tuinews.sources.sanitize import clean_line, title_or_fallback

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DIRECTORY_FILES = 5000
STDIN_NAME = "-"
NOT_SUPPORTED = "not a feed, article or OPML file"


def path_from_file_url(url: str) -> Path:
    """The local path a `file://` URL names (percent-decoded); other hosts are refused."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # `file://[]/x`: a malformed [IPv6] host
        raise SourceError(url, f"malformed URL ({error})") from None
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


_FILE_TYPES = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def not_regular(mode: int) -> str:
    kind = next((name for test, name in _FILE_TYPES if test(mode)), "")
    return f"not a regular file ({kind})" if kind else "not a regular file"


def _size_text(size: int, unit: int, decimals: int) -> str:
    name = {1024 * 1024: "MB", 1024: "KB", 1: "bytes"}[unit]
    number = f"{size / unit:.{decimals}f}"
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"{number} {name}"


def too_large(size: int | None, limit: int) -> str:
    """`too large (50.3 MB; the limit is 50 MB)`: the size with as many decimals as it
    takes to differ from the limit, else in bytes; `size` None means reading stopped
    past the limit."""
    unit = next(unit for unit in (1024 * 1024, 1024, 1) if limit >= unit)
    shown_limit = _size_text(limit, unit, 2)
    if size is None:
        return f"too large (more than the limit of {shown_limit})"
    for decimals in (0, 1, 2):
        shown = _size_text(size, unit, decimals)
        if shown != _size_text(limit, unit, decimals):
            return f"too large ({shown}; the limit is {shown_limit})"
    return f"too large ({size:,} bytes; the limit is {limit:,} bytes)"


def _read_bounded(path: Path, max_bytes: int | None = None) -> tuple[bytes, datetime]:
    """The file's bytes and modification time; SourceError for anything unreadable.

    Only regular files are read: a FIFO would block until a writer came (for ever, in a
    refresh), and a device such as /dev/zero never ends.
    """
    source = str(path)
    max_bytes = _limit(max_bytes)
    try:
        info = os.stat(path)  # through symlinks: what would be read
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(source, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(source, not_regular(info.st_mode))
        if info.st_size > max_bytes:
            raise SourceError(source, too_large(info.st_size, max_bytes))
        # O_NONBLOCK: should the path become a FIFO after the stat, opening it must not
        # wait for a writer; the fstat below then refuses it.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(descriptor, "rb", buffering=0) as handle:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise SourceError(source, not_regular(info.st_mode))
            # One byte past the size (and never past the limit) tells a growing file.
            data = handle.read(min(info.st_size, max_bytes) + 1) or b""
            while max_bytes >= len(data) > info.st_size:
                more = handle.read(max_bytes + 1 - len(data))
                if not more:
                    break
                data += more
    except OSError as error:
        raise SourceError(source, _reason(error)) from error
    except ValueError as error:  # embedded NUL in the path
        raise SourceError(source, "no such file or directory") from error
    if len(data) > max_bytes:
        raise SourceError(source, too_large(None, max_bytes))
    return data, datetime.fromtimestamp(info.st_mtime, UTC)


def _limit(max_bytes: int | None) -> int:
    # Read at call time, not bound as a default: tests lower the module's limit.
    return MAX_FILE_BYTES if max_bytes is None else max_bytes


def _is_blank(data: bytes) -> bool:
    # isspace() reads in place; strip() would copy a large file to test it.
    return not data or data.isspace()


def _absolute(path: Path) -> Path:
    # Not resolve(): the user's path (through symlinks) stays the feed's key.
    return Path(os.path.normpath(expand_home(path).absolute()))


def load_path(path: Path, *, max_bytes: int | None = None) -> Feed | list[Subscription]:
    """A file or directory as a feed, or an OPML file's subscriptions.

    `max_bytes` bounds each file read (a refresh passes its `max_bytes` setting). A FIFO,
    socket or device, even through a symlink, is refused at once ("not a regular file").
    """
    path = _absolute(path)
    source = str(path)
    try:
        is_directory = path.is_dir()
    except (OSError, ValueError) as error:
        raise SourceError(source, "no such file or directory") from error
    if is_directory:
        return load_directory(path, max_bytes=max_bytes)
    data, mtime = _read_bounded(path, max_bytes)
    return load_bytes(data, path.name, source, mtime, base=path.parent, max_bytes=max_bytes)


def load_bytes(
    data: bytes,
    name: str,
    source: str,
    mtime: datetime | None,
    *,
    base: Path | None = None,
    max_bytes: int | None = None,
) -> Feed | list[Subscription]:
    """Bytes of a file (or stdin, `name` "-") as a feed or a list of subscriptions.

    `source` is the feed key and the name in errors; `base` is the folder relative OPML
    entries resolve against.
    """
    max_bytes = _limit(max_bytes)
    if len(data) > max_bytes:
        raise SourceError(source, too_large(len(data), max_bytes))
    if _is_blank(data):
        raise SourceError(source, "is empty")
    from tuinews.sources.feeds import ungzipped

    # feed.xml.gz, saved as served: what is inside, held to the same size limit
    opened = ungzipped(data, source, limit=max_bytes)
    if opened is not data:
        data, name = opened, name.removesuffix(".gz").removesuffix(".GZ")
    kind = detect.detect_kind(data, name)
    if kind == "opml":
        from tuinews.sources.opml import parse_opml_report

        # As `import` reads a list: an exported list names local feeds anywhere.
        return parse_opml_report(data, source, base=base, local_files="any_feed")[0]
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
    if detect.looks_binary(data):
        raise SourceError(source, NOT_SUPPORTED)
    if suffix in detect.DATA_EXTENSIONS:
        if detect.looks_like_html(data):  # a web page saved as feed.xml: name its feeds
            from tuinews.sources.htmlpage import html_page_reason

            raise SourceError(source, html_page_reason(data, source))
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


def load_directory(path: Path, *, max_bytes: int | None = None) -> Feed:
    """A directory as one feed: its article and feed files (one level), newest first.

    Hidden files, OPML lists, binaries, unreadable files, files over `max_bytes` and
    anything not a regular file are skipped.
    """
    source = str(path)
    title = clean_line(path.name) or source
    try:
        entries = directory_files(path)
    except OSError as error:
        raise SourceError(source, _reason(error)) from error
    articles: list[Article] = []
    cuts: list[str] = []
    for entry in entries:
        found, cut = _directory_entry(Path(entry.path), source, title, max_bytes)
        articles.extend(found)
        if cut:
            cuts.append(f"{clean_line(entry.name)}: {cut}")
    articles.sort(key=_newest_first)
    feed = Feed(url=source, title=title, articles=articles)
    # A file read while being written, say: the folder's refresh reads it again next time.
    feed.cut = "; ".join(cuts) or None
    return feed


def directory_files(path: Path) -> list[os.DirEntry[str]]:
    """The entries `load_directory` reads, by name: the first `MAX_DIRECTORY_FILES`,
    less hidden ones and anything not a file. OSError when the directory can't be listed.

    One listing, no reads: a refresh also uses it to tell whether the folder changed.
    """
    with os.scandir(path) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    files = []
    for entry in entries[:MAX_DIRECTORY_FILES]:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_file():
                files.append(entry)
        except OSError:
            continue
    return files


def _newest_first(article: Article) -> tuple[bool, float]:
    moment = article.date
    return (moment is None, -moment.timestamp() if moment else 0.0)


def _directory_entry(
    path: Path, feed: str, feed_title: str, max_bytes: int | None
) -> tuple[list[Article], str | None]:
    """The file's articles, and where its document ends early (`Feed.cut`)."""
    try:
        data, mtime = _read_bounded(path, max_bytes)
    except SourceError:
        return [], None
    if _is_blank(data):
        return [], None
    name = path.name
    try:
        from tuinews.sources.feeds import ungzipped

        opened = ungzipped(data, str(path), limit=max_bytes)  # feed.xml.gz, as in a file
        if opened is not data:
            data, name = opened, name.removesuffix(".gz").removesuffix(".GZ")
    except SourceError:
        return [], None
    kind = detect.detect_kind(data, name)
    try:
        if kind == "opml":
            return [], None
        if kind == "feed":
            parsed = _parse_feed(data, str(path))
            levels = link_sharing(parsed.articles) or [0] * len(parsed.articles)
            for article, level in zip(parsed.articles, levels, strict=True):
                # Re-key under the directory: the directory is the feed the store knows.
                article.feed = feed
                key = article_key(
                    article.guid,
                    article.link,
                    article.title,
                    article.published,
                    level,
                    article.content,
                )
                article.id = article_id(feed, key)
            return parsed.articles, parsed.cut
        _refuse_non_article(data, name, str(path))
    except SourceError as error:
        # A feed file cut before its first article (being written, say) is said as one
        # cut after some; other files that are no article stay unsaid, as ever.
        return [], error.reason if getattr(error, "cut", False) else None
    article = article_from_bytes(
        data, kind, name, str(path), mtime, feed=feed, feed_title=feed_title
    )
    return [article], None
