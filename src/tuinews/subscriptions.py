"""Editing the settings file: subscriptions and remembered settings, in place.

The user's comments, blank lines and order survive every edit. tomlkit alone does not
give that here: it attaches the comment above a `[[feeds]]` entry to the entry before,
so removing a feed would take its neighbour's comment, and it appends new keys after a
table's trailing comments. So edits are made on the text, at lines found by
`TomlLayout`, with values rendered by tomlkit. Every edit is checked before it is
saved: the new text must parse to exactly the expected data and pass `parse_config`.
A file that does not load is never written.

Writes are atomic (temporary file in the same directory, fsync, os.replace), keep the
file's mode and follow a symlinked config file to its target. If another program
changed the file while we edited, the edit is redone on the new text.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from tuinews.config import (
    SETTINGS_TABLES,
    Config,
    canonical_feed_url,
    decode_config,
    load_config,
    parse_config,
    parse_toml,
)
from tuinews.errors import ConfigError
from tuinews.feed_urls import check_host_characters
from tuinews.model import Subscription
from tuinews.sources.sanitize import without_password
from tuinews.sources.subscription_merge import merge_subscription
from tuinews.toml_layout import Header, TomlLayout

T = TypeVar("T")

NEW_FILE_HEADER = "# tuinews settings and subscriptions"
_FEED_FILE_EXTENSIONS = {"rss", "xml", "atom", "json", "opml", "rdf", "md", "txt", "html", "htm"}
_HOST_LIKE = re.compile(r"^(?:[A-Za-z0-9-]+\.)+([A-Za-z]{2,})(?::\d+)?$")
_ADDRESS_LIKE = re.compile(r"^(localhost|[0-9.]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?$", re.IGNORECASE)
# A commented-out table ("# [[feeds]]"): another entry the user set aside, never a note
# on the entry above it.
_COMMENTED_HEADER = re.compile(r"\s*#+\s*\[")
_SNIFF_BYTES = 8192
_ATTEMPTS = 5


def validate_feed_ref(text: str) -> str:
    """What a user typed for `tuinews add`, as a subscription URL or absolute path.

    No network: an http(s) URL is only checked for form; a path or `file://` URL must
    exist. Raises ConfigError with the reason.
    """
    value = text.strip()
    if not value:
        raise ConfigError("not a URL or an existing path: ''")
    canonical = canonical_feed_url(value)
    if canonical.startswith(("http://", "https://")):
        check_host_characters(canonical)
        return canonical
    if os.path.exists(canonical):
        if not os.path.isfile(canonical) and not os.path.isdir(canonical):
            # Each refresh would fail on it, as import says of one a list names.
            from tuinews.sources.local import not_regular

            reason = not_regular(os.stat(canonical).st_mode)
            raise ConfigError(f"{reason}: {without_password(canonical)!r}")
        _refuse_subscription_list(value, canonical)
        return canonical
    shown = without_password(value)
    if re.match(r"(?i)https?:(?!//)", value):
        # "http:/feed" or "https:example.org": an address with its slashes mistyped,
        # not a file path (which it would otherwise be taken for).
        raise ConfigError(f"malformed URL (expected http:// or https://): {shown!r}")
    first, slash, _rest = value.partition("/")
    host = _HOST_LIKE.match(first)
    if host and host.group(1).lower() not in _FEED_FILE_EXTENSIONS:
        raise ConfigError(
            f"not a URL or an existing path: {shown!r} (did you mean 'https://{shown}'?)"
        )
    if _is_address(first):
        # 127.0.0.1:8080/feed, localhost:8080/feed: a server on this computer or the
        # local network, rarely one with a certificate, hence http. Still a hint only:
        # the user may have meant a file.
        raise ConfigError(
            f"not a URL or an existing path: {shown!r} (did you mean 'http://{shown}'?)"
        )
    if value.lower().startswith("file:") or slash or value.startswith(("~", ".")):
        raise ConfigError(f"no such file or directory: {without_password(canonical)!r}")
    suffix = value.rpartition(".")[2].lower()
    if "." in value and suffix in _FEED_FILE_EXTENSIONS:
        raise ConfigError(f"no such file or directory: {without_password(canonical)!r}")
    raise ConfigError(f"not a URL or an existing path: {shown!r}")


def _is_address(text: str) -> bool:
    """Whether `text` is an IP address or `localhost`, with or without a :port."""
    found = _ADDRESS_LIKE.match(text)
    if found is None:
        return False
    host = found.group(1).strip("[]")
    if host.lower() == "localhost":
        return True
    import ipaddress  # here: only a mistyped address needs it (start-up)

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _refuse_subscription_list(typed: str, path: str) -> None:
    """ConfigError when the regular file at `path` is an OPML list or a newsboat urls
    file: subscribed, it would fail at every refresh, or be read as one text article.
    Only its first few KB are read; a FIFO or device is not opened at all (it could
    block), and a file that cannot be read is left to refresh."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except (OSError, ValueError):
        return
    from tuinews.sources.detect import sniff_structured
    from tuinews.sources.encoding import strip_bom
    from tuinews.sources.newsboat import looks_like_urls_file

    body, marked = strip_bom(head)
    # An OPML list in UTF-16 or UTF-32 is told by its text, as `import` tells it.
    text = body.decode(marked, "replace").encode() if marked and marked != "utf-8" else head
    if sniff_structured(text) != "opml" and not looks_like_urls_file(head):
        return
    from tuinews.sources.feeds import subscription_list_reason

    raise ConfigError(f"{typed}: {subscription_list_reason(typed)}")


class AddCounts(NamedTuple):
    """What `add_many` did with each entry it was given."""

    added: int
    already_subscribed: int
    repeated: int  # entries naming a feed an earlier entry of the same batch names


class NotSubscribed(ConfigError):
    """The settings file does not list the feed (any more)."""


class SubscriptionFile:
    """The `[[feeds]]` entries and settings of one config file, edited in place."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Subscription]:
        """The subscriptions, in file order (none when the file does not exist)."""
        return list(load_config(self.path).feeds)

    def add(self, sub: Subscription) -> None:
        """Append a feed; ConfigError "already subscribed: <url>" if it is there."""
        counts = self._edit(lambda doc: doc.add_feeds([sub], refuse_duplicates=True))
        assert counts.added == 1

    def add_many(self, subs: Iterable[Subscription]) -> AddCounts:
        """Append feeds (an import). A feed the batch names twice (in any spelling) is
        added once, with the tags of both entries."""
        wanted = list(subs)
        return self._edit(lambda doc: doc.add_feeds(wanted, refuse_duplicates=False))

    def nest_folders(self, folders: Mapping[str, Sequence[str]]) -> None:
        """Note in [folders] that each tag sits inside the tags given (an imported list's
        nesting), beside the ones noted before. One save, however many folders."""

        def change(doc: _Document) -> None:
            changed: dict[str, object] = {}
            for tag, outer in folders.items():
                known = list(doc.config.folders.get(tag, ()))
                merged = known + [name for name in outer if name not in known and name != tag]
                if merged != known:
                    changed[tag] = merged[0] if len(merged) == 1 else merged
            if changed:
                doc.set_values("folders", changed)

        self._edit(change)

    def remove(self, ref: str, titles: Mapping[str, str] | None = None) -> Subscription:
        """Remove the feed `ref` names: exact URL, else exact title, else a unique
        case-insensitive part of a title. `titles` (URL -> title) names the feeds the
        file gives no title, as `tuinews feeds` shows them (the feed's own title)."""
        return self._edit(lambda doc: doc.remove_feed(ref, titles or {}))

    def replace_url(self, old: str, new: str) -> None:
        """Change a feed's URL (a permanent redirect); its title, tags and comments stay."""
        self._edit(lambda doc: doc.replace_url(old, new))

    def set_value(self, table: str, key: str, value: object) -> None:
        """Set one setting, e.g. ("ui", "theme", "nord"); None removes the key."""
        self._edit(lambda doc: doc.set_value(table, key, value))

    # -------------------------------------------------------------- internals

    def _read(self) -> tuple[bytes | None, _Document]:
        try:
            raw: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        text = decode_config(raw, self.path) if raw is not None else ""
        return raw, _Document(self.path, text, bom=raw is not None and raw[:3] == b"\xef\xbb\xbf")

    def _edit(self, change: Callable[[_Document], T]) -> T:
        with _editing(Path(os.path.realpath(self.path)).parent):
            for _attempt in range(_ATTEMPTS):
                before, doc = self._read()
                result = change(doc)
                if not doc.changed:
                    return result
                data = doc.checked_text().encode()
                if doc.bom:
                    data = b"\xef\xbb\xbf" + data
                if self._write(data, before):
                    return result
        raise ConfigError(f"{self.path}: keeps changing while being saved; try again")

    def _write(self, data: bytes, expected: bytes | None) -> bool:
        """Replace the file atomically, unless it changed since we read `expected`."""
        target = Path(os.path.realpath(self.path))  # a symlinked dotfile stays a symlink
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                current: bytes | None = target.read_bytes()
                mode: int | None = stat.S_IMODE(target.stat().st_mode)
            except FileNotFoundError:
                current = mode = None
            if current != expected:
                return False
            if mode is not None and (not mode & 0o222 or not os.access(target, os.W_OK)):
                # The user made it read-only: a rename over it would still succeed (and
                # root may write any file: the mode says what its owner meant).
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                if mode is not None:
                    os.chmod(temp, mode)
                os.replace(temp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        _fsync_directory(target.parent)
        return True


@contextlib.contextmanager
def _editing(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the config's folder while one tuinews process reads,
    changes and replaces the file: ten `tuinews add` at once (or the reader saving a
    setting) each keep their change. The folder, not the file, is locked because the
    file is replaced by a new one at each save. `_write` still refuses a file that
    changed under it (an editor does not take the lock). Best effort: without flock,
    or when the folder cannot be made or opened, only that check stays."""
    try:
        import fcntl
    except ImportError:  # not a Unix
        yield
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)  # the first `add` of a new user too
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# Said above a table the commands add, for whoever edits the file next.
_TABLE_NOTES = {
    "folders": (
        "# Folders inside folders, as an imported list nested them (for `tuinews export`):",
        "# each tag = the tag, or tags, it sits in.",
    ),
}


def _toml(value: object) -> str:
    import tomlkit

    if isinstance(value, tuple):
        value = list(value)
    return tomlkit.item(value).as_string()


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml(key)


def starred_kept(count: int) -> str:
    """What unsubscribing leaves behind, for `remove` and the reader alike: "" when no
    starred article of the feed stays."""
    if count > 1:
        return f"its {count} starred articles stay"
    return "its starred article stays" if count == 1 else ""


def match_feed(ref: str, feeds: Sequence[tuple[str, str]]) -> int:
    """The index of the feed `ref` names among (url, title) pairs: the URL as typed or in
    canonical form (or as shown, its password masked), else an exact title, else a whole
    title in any case, else a unique case-insensitive part of a title, else of the
    address.

    ConfigError when no feed or several feeds match. `remove` and the store commands'
    `--feed` share it, so a name one accepts the other accepts too.
    """
    return match_feed_how(ref, feeds)[0]


def match_feed_how(ref: str, feeds: Sequence[tuple[str, str]]) -> tuple[int, bool]:
    """`match_feed`, and whether `ref` named the feed only by a part of its title or
    address (`remove` asks before it drops such a feed's articles)."""
    wanted = ref.strip()
    if not wanted:
        # Every title holds the empty string: "matches several feeds" would mislead.
        raise ConfigError("no feed named: the name is empty (give a URL or a title)")
    urls = {wanted}
    with contextlib.suppress(ConfigError):
        urls.add(canonical_feed_url(wanted))
    for index, (url, _title) in enumerate(feeds):
        if url in urls:
            return index, False
    # As `feeds`, `--json` and messages show a URL holding a password (user:***@host).
    masked = [i for i, (url, _title) in enumerate(feeds) if without_password(url) in urls]
    if len(masked) == 1:
        return masked[0], False
    if len(masked) > 1:
        raise ConfigError(
            f"{ref!r} names {len(masked)} feeds whose URLs differ only in their password; "
            "give the URL with its password"
        )
    # An untitled feed goes by its address: a part of it names that feed as it names the
    # others at that address (below), never as a title only that feed would "hold".
    # Compared composed (NFC): a title pasted from macOS comes decomposed, "é" as e + ´.
    wanted = unicodedata.normalize("NFC", wanted)
    titles = ["" if title == url else unicodedata.normalize("NFC", title) for url, title in feeds]
    exact = [i for i, title in enumerate(titles) if title == wanted]
    folded = wanted.casefold()
    # A whole title in another case names that feed, not every title holding it.
    whole = [i for i, title in enumerate(titles) if title.casefold() == folded]
    partial = [i for i, title in enumerate(titles) if folded in title.casefold()]
    # Last, a part of the address: an untitled feed goes by it (`feeds` shows host and
    # path), and `remove gone.rss` names it as well as its whole URL would.
    in_url = [i for i, (url, _title) in enumerate(feeds) if folded in _address(url).casefold()]
    for found in (exact, whole, partial, in_url):
        if len(found) == 1:
            return found[0], found is partial or found is in_url
        if len(found) > 1:
            # Titles alone can be alike (two untitled feeds of one host go by the host):
            # the URL tells them apart and is what the user can type next.
            names = [_title_and_url(*feeds[i]) for i in found[:5]]
            more = f" and {len(found) - 5} more" if len(found) > 5 else ""
            raise ConfigError(
                f"{ref!r} matches several feeds: {', '.join(names)}{more}; name one by its URL"
            )
    raise ConfigError(f"no feed matches {ref!r}")


def moved_feed(
    ref: str, current: Collection[str], former: Mapping[str, str]
) -> tuple[str, str] | None:
    """(the former address, the address now) when `ref` names one of the feeds at the
    `current` addresses by an address it had before a move (`former`: former address ->
    address now, `Store.former_urls`), as typed or in canonical form. None when `ref` is
    a current address (a later subscription to the old address is named by it, not the
    feed that moved away) or no former one: `match_feed` then names the feed, or says
    why none. Checked before `match_feed`, so an old address never falls through to a
    title or to part of another feed's address."""
    wanted = ref.strip()
    urls = [wanted]
    with contextlib.suppress(ConfigError):
        urls.append(canonical_feed_url(wanted))
    if any(url in current for url in urls):
        return None
    for url in urls:
        now = former.get(url)
        if now is not None and now in current:
            return url, now
    # An address as `feeds` shows one, without its scheme (`host/path`): a feed's
    # address now names it first (often the same feed, moved from http to https).
    if "://" in wanted or any(_address(url) == wanted for url in current):
        return None
    for old, now in former.items():
        if _address(old) == wanted and now in current:
            return old, now
    return None


def _address(url: str) -> str:
    """A URL as `feeds` shows an untitled feed's: no scheme, no password."""
    return without_password(url).partition("://")[2] or url


def _title_and_url(url: str, title: str) -> str:
    shown = without_password(url)
    return f"{without_password(title)} ({shown})" if title and title != url else shown


class _Document:
    """One config file's text being edited, with the data it must parse to afterwards."""

    def __init__(self, path: Path, text: str, *, bom: bool) -> None:
        self.path = path
        self.bom = bom
        self.newline = "\r" if "\r\n" in text else ""  # lines keep "\r"; "\n" joins them
        if self.newline and text and not text.endswith("\n"):
            text += "\r\n"  # the last line gets the file's line ending before lines follow it
        self.data = parse_toml(text, path)
        self.config: Config = parse_config(text, path, self.data)
        # Each [[feeds]] entry's canonical URL, ignored duplicates included: the file's
        # entries, not `config.feeds`, are what the edits below find and delete.
        entries = self.data.get("feeds", [])
        assert isinstance(entries, list)  # parse_config has checked the entries
        self.entry_urls = [
            canonical_feed_url(entry["url"], base_dir=path.parent) for entry in entries
        ]
        self.layout = TomlLayout(text)
        self.lines = list(self.layout.lines)
        self.expected: dict[str, Any] = copy.deepcopy(self.data)
        self.changed = False

    # ---------------------------------------------------------------- feeds

    def _feed_headers(self) -> list[Header]:
        """The header of each [[feeds]] entry, in order; refuses layouts we cannot edit."""
        headers = [h for h in self.layout.headers if h.array and h.path == ("feeds",)]
        # `feeds = []` has no entry and no header either: an appended [[feeds]] would
        # make the file invalid.
        written_inline = not headers and "feeds" in self.data
        if len(headers) != len(self.entry_urls) or written_inline:
            raise ConfigError(
                f"{self.path}: cannot edit feeds written as `feeds = [...]`; "
                "write them as [[feeds]] tables"
            )
        return headers

    def _entries_of(self, url: str) -> list[int]:
        """The entries naming `url`: the one that counts and any ignored duplicates."""
        return [index for index, entry_url in enumerate(self.entry_urls) if entry_url == url]

    def add_feeds(self, subs: list[Subscription], *, refuse_duplicates: bool) -> AddCounts:
        headers = self._feed_headers()
        known = {sub.url for sub in self.config.feeds}
        wanted: dict[str, Subscription] = {}
        for sub in subs:
            try:
                url = canonical_feed_url(sub.url)
            except ConfigError as exc:
                raise ConfigError(f"{without_password(sub.url)!r}: {exc}") from None
            merge_subscription(wanted, replace(sub, url=url))
        repeated = len(subs) - len(wanted)
        block: list[str] = []
        added = already = 0
        for url, sub in wanted.items():
            if url in known:
                if refuse_duplicates:
                    raise ConfigError(f"already subscribed: {without_password(url)}")
                already += 1
                continue
            entry: dict[str, object] = {"url": url}
            if sub.title:
                entry["title"] = sub.title
            # A blank tag is no tag: the file reads `tags = [""]` as none, and so is
            # one never written.
            tags = [tag for tag in sub.tags if tag.strip()]
            if tags:
                entry["tags"] = tags
            if sub.html_url:
                entry["site"] = sub.html_url
            block += ["", "[[feeds]]", *(f"{k} = {_toml(v)}" for k, v in entry.items())]
            self.expected.setdefault("feeds", []).append(entry)
            added += 1
        counts = AddCounts(added, already, repeated)
        if not added:
            return counts
        if headers:
            after = self._end_of_last_entry(headers[-1])
        else:
            after = len(self.lines)
            if not self.lines:
                block.insert(0, NEW_FILE_HEADER)
        self._insert(after, block)
        return counts

    def _end_of_last_entry(self, header: Header) -> int:
        """Where a new entry goes: after the last entry and the comments that follow it,
        but before comments that belong to a table further down."""
        end = self.layout.section_end(header)
        if end < len(self.lines):
            end = self.layout.attached_comments_start(end)
        while end > header.line + 1 and self.layout.kinds[end - 1] == "blank":
            end -= 1
        return end

    def remove_feed(self, ref: str, titles: Mapping[str, str]) -> Subscription:
        headers = self._feed_headers()
        index = match_feed(
            ref, [(sub.url, sub.title or titles.get(sub.url, "")) for sub in self.config.feeds]
        )
        removed = self.config.feeds[index]
        # Its duplicates go too: left behind, the next would subscribe to it again.
        for entry in reversed(self._entries_of(removed.url)):  # later lines first
            _header, last = self._own_lines(headers[entry])
            first = self._first_line_taken(headers, entry)
            above = self.layout.attached_comments_start(first)
            # A commented-out entry left right above keeps its blank line after, and so
            # does the file's opening comment: it would run into the next feed's.
            kept_apart = above == 0 < first or any(
                _COMMENTED_HEADER.match(text) for text in self.lines[above:first]
            )
            if not kept_apart:
                while last < len(self.lines) and self.layout.kinds[last] == "blank":
                    last += 1
            del self.lines[first:last]
            del self.expected["feeds"][entry]
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()  # the removed entry was last: no blank tail
        if not self.expected["feeds"]:
            del self.expected["feeds"]
        self.changed = True
        return removed

    def _first_line_taken(self, headers: list[Header], entry: int) -> int:
        """Where an entry's removal starts: its header, or the comments right above it
        when the next feed (the previous one, for the last) has such comments too: one
        comment per feed, so this one is the removed feed's. Otherwise they may head a
        group that goes on after it; and the file's opening comment is never taken."""
        line = headers[entry].line
        above = self.layout.attached_comments_start(line)
        if above in (line, 0) or len(headers) == 1:
            return line
        if any(_COMMENTED_HEADER.match(text) for text in self.lines[above:line]):
            return line  # a commented-out entry set aside there, not a note on this one
        neighbour = headers[entry + 1 if entry + 1 < len(headers) else entry - 1].line
        return above if self.layout.attached_comments_start(neighbour) < neighbour else line

    def _own_lines(self, header: Header) -> tuple[int, int]:
        """The lines an entry's removal takes: its header, keys and values, and the
        comments among and right after them. Not the comments above its header (they
        may head a group of feeds), nor comments after a blank line, nor comments that
        run straight into the next table's header (they are that table's), nor a
        commented-out table and what follows it."""
        last = self.layout.last_own_line(header) + 1
        end = self.layout.section_end(header)
        after = last
        while (
            after < end
            and self.layout.kinds[after] == "comment"
            and not _COMMENTED_HEADER.match(self.lines[after])
        ):
            after += 1
        if after < end or end == len(self.lines):
            last = after
        return header.line, last

    def replace_url(self, old: str, new: str) -> None:
        headers = self._feed_headers()
        old_url, new_url = canonical_feed_url(old), canonical_feed_url(new)
        entries = self._entries_of(old_url)
        if not entries and self._entries_of(new_url):
            # Moved already: by another refresh that read the file after this one (two
            # at once), or by hand. Nothing to do, and the store must not move back.
            return
        if not entries:
            raise NotSubscribed(f"not subscribed: {without_password(old_url)}")
        if old_url == new_url:
            return
        if self._entries_of(new_url):
            raise ConfigError(f"already subscribed: {without_password(new_url)}")
        # Duplicates follow: left with the old URL, the next would subscribe to it again.
        for index in reversed(entries):  # later lines first: a value may span lines
            key = self.layout.find_key((*headers[index].prefix, "url"))
            if key is None:
                shown = without_password(old_url)
                raise ConfigError(f"{self.path}: cannot find the url line of {shown}")
            self._replace_value(key.line, key.start, key.end_line, key.end, _toml(new_url))
            self.expected["feeds"][index]["url"] = new_url

    # ------------------------------------------------------------- settings

    def set_value(self, table: str, key: str, value: object) -> None:
        if table not in SETTINGS_TABLES:
            raise ConfigError(f"not a settings table: {table!r}")
        section = self.expected.setdefault(table, {})
        if not isinstance(section, dict):
            raise ConfigError(f"{self.path}: {table} is not a table")
        if value is None:
            section.pop(key, None)
            if not section:
                del self.expected[table]
        else:
            section[key] = list(value) if isinstance(value, tuple) else value
        if self.expected == self.data:
            return
        line = f"{_toml_key(key)} = {_toml(value)}" if value is not None else ""
        found = self.layout.find_key((table, key))
        header = next((h for h in self.layout.headers if h.path == (table,) and not h.array), None)
        if found is not None and found.full == (table, key) and header is not None:
            if value is None:
                del self.lines[found.line : found.end_line + 1]
                self.changed = True
            else:
                self._replace_value(
                    found.line, found.start, found.end_line, found.end, _toml(value)
                )
        elif found is None and header is not None and value is not None:
            self._insert(self.layout.last_own_line(header) + 1, [line])
        elif found is None and table not in self.data and value is not None:
            self._insert_table(table, line)
        else:  # dotted keys or an inline table: rare, and tomlkit edits those well
            self._edit_with_tomlkit(table, key, value)

    def set_values(self, table: str, values: Mapping[str, object]) -> None:
        """`set_value` for several keys of one table, in one edit: a table made anew is
        written whole; in a table already there, the keys are set bottom up, so that
        the layout read at the start still holds for the lines above each edit."""
        section = self.expected.setdefault(table, {})
        for key, value in values.items():
            section[key] = list(value) if isinstance(value, tuple) else value
        if table not in self.data:
            self._insert_table(table, *(f"{_toml_key(k)} = {_toml(v)}" for k, v in values.items()))
            return
        header = next((h for h in self.layout.headers if h.path == (table,) and not h.array), None)
        found = {key: self.layout.find_key((table, key)) for key in values}
        if header is None or any(
            line is not None and line.full != (table, key) for key, line in found.items()
        ):
            self._edit_with_tomlkit_all(table, values)  # dotted keys, an inline table: rare
            return
        # The new keys at the table's end first, then each value there already, the
        # lowest first.
        added = [f"{_toml_key(k)} = {_toml(v)}" for k, v in values.items() if found[k] is None]
        if added:
            self._insert(self.layout.last_own_line(header) + 1, added)
        present = [(line, values[key]) for key, line in found.items() if line is not None]
        for line, value in sorted(present, key=lambda item: item[0].line, reverse=True):
            self._replace_value(line.line, line.start, line.end_line, line.end, _toml(value))

    def _insert_table(self, table: str, *lines: str) -> None:
        """A new [table] goes before the first [[feeds]] entry (settings first), else last."""
        feeds = [h.line for h in self.layout.headers if h.array]
        header = [*_TABLE_NOTES.get(table, ()), f"[{table}]"]
        if not feeds:
            at = len(self.lines)
            block = ["", *header, *lines] if self.lines else [NEW_FILE_HEADER, "", *header, *lines]
        else:
            at = self.layout.attached_comments_start(feeds[0])
            block = [*header, *lines, ""]
            if at > 0 and self.lines[at - 1].strip():
                block.insert(0, "")
        self._insert(at, block)

    def _edit_with_tomlkit(self, table: str, key: str, value: object) -> None:
        self._edit_with_tomlkit_all(table, {key: value})

    def _edit_with_tomlkit_all(self, table: str, values: Mapping[str, object]) -> None:
        import tomlkit

        document = tomlkit.parse("\n".join(self.lines) + "\n")
        section = document.setdefault(table, tomlkit.table())
        for key, value in values.items():
            if value is None:
                section.pop(key, None)
            else:
                section[key] = list(value) if isinstance(value, tuple) else value
        lines = document.as_string().split("\n")[:-1]
        # tomlkit ends the lines it writes with "\n" alone: a CRLF file stays CRLF.
        self.lines = [
            line if line.endswith(self.newline) else line + self.newline for line in lines
        ]
        self.changed = True

    # ---------------------------------------------------------------- text

    def _insert(self, at: int, block: list[str]) -> None:
        if block and not block[0] and (at == 0 or not self.lines[at - 1].strip()):
            block = block[1:]  # one blank line between blocks is enough
        block = [line + self.newline for line in block]
        if at < len(self.lines) and self.lines[at].strip() and block[-1].strip():
            block.append(self.newline)  # keep a blank line before what follows
        self.lines[at:at] = block
        self.changed = True

    def _replace_value(self, line: int, start: int, end_line: int, end: int, text: str) -> None:
        self.lines[line : end_line + 1] = [
            self.lines[line][:start] + text + self.lines[end_line][end:]
        ]
        self.changed = True

    def checked_text(self) -> str:
        """The new text, refused unless it loads and holds exactly the intended data."""
        text = "\n".join(self.lines) + "\n" if self.lines else ""
        data = parse_toml(text, self.path)
        if data != self.expected:
            raise ConfigError(
                f"{self.path}: cannot make this change safely in this file's layout; "
                "please edit it by hand"
            )
        parse_config(text, self.path, data)  # the new value must be valid too
        return text
