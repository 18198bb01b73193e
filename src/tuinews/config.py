"""Settings and subscriptions: one TOML file, read with tomllib, edited by `subscriptions`.

`load_config` turns the file into typed settings. A broken file is never replaced by
defaults: every problem is a `ConfigError` whose one line names the file, the line and
the key, so the user can fix it. Unknown keys are errors too, because a typo that is
silently ignored (`concurency = 4`) looks exactly like a setting that works.

One thing is not an error: a feed listed twice (as written, or two spellings of one
URL). Its meaning is plain, and a newer tuinews that canonicalises URLs more strictly
must not refuse a file the older one read and lock the user out of every command; the
first entry counts and `Config.warnings` says which line is ignored.

Error messages find their line numbers with `toml_layout.TomlLayout`, the scanner that
`subscriptions` also edits the file with. No work at import time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from tuinews import __version__
from tuinews.errors import ConfigError

# Re-exported: the URL rules lived here, and the subscriptions and commands import them so.
from tuinews.feed_urls import canonical_feed_url as canonical_feed_url
from tuinews.feed_urls import site_address
from tuinews.feed_urls import without_feed_scheme as without_feed_scheme
from tuinews.model import Subscription
from tuinews.sources.sanitize import clean_line
from tuinews.toml_layout import Header, KeyLine, KeyPath, TomlLayout
from tuinews.toml_text import show_value, syntax_message, toml_key

MarkReadMode = Literal["on_open", "on_leave", "manual"]
MARK_READ_MODES: tuple[str, ...] = get_args(MarkReadMode)


@dataclass(frozen=True, slots=True)
class RefreshSettings:
    """How feeds are fetched ([refresh] table)."""

    interval_minutes: float = 30.0  # the TUI refreshes on start when the last one is older
    concurrency: int = 16  # feeds fetched at once in total
    per_host: int = 4  # feeds fetched at once from one host
    connect_timeout: float = 10.0  # seconds to connect
    timeout: float = 30.0  # seconds for a whole feed
    max_bytes: int = 25 * 1024 * 1024  # body limit, also applied after decompression
    max_redirects: int = 5
    user_agent: str = f"tuinews/{__version__}"


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """What `tuinews cleanup` drops ([retention] table); None keeps everything."""

    days: int | None = None
    per_feed: int | None = None


@dataclass(frozen=True, slots=True)
class UISettings:
    """The reader's look and keys ([ui] and [keymap] tables)."""

    theme: str = "textual-dark"
    browser: str | None = None  # a command like "w3m %u", run as an argument list
    mark_read: MarkReadMode = "on_open"
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys
    # "<file>:<line>: keymap.x: no such key binding ...": shown by the reader, the one
    # place keys matter (a cron `refresh --quiet` must not mail them at every run).
    keymap_warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    feeds: tuple[Subscription, ...] = ()
    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    ui: UISettings = field(default_factory=UISettings)
    # [folders]: tag -> the tags it sits inside (an imported list's nested folders), for
    # `export` to nest them again; a tag not named here is a top folder.
    folders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # One line each ("<file>:<line>: ..."), for the commands to show: things that load
    # but that the user should tidy up, such as a feed listed twice.
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------- loading


def load_config(path: Path) -> Config:
    """The settings in `path`; a missing file gives the defaults and creates nothing."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_config(decode_config(data, path), path)


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is saved (by anyone); None when it is not there."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def decode_config(data: bytes, path: Path) -> str:
    """The file's text; TOML is UTF-8 (a byte-order mark from Windows editors is allowed)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (TOML files must be UTF-8)") from None


def parse_config(text: str, path: Path, data: Mapping[str, object] | None = None) -> Config:
    """Validate the text of a config file; `path` names it in errors and anchors paths.

    `data`, when given, is `parse_toml(text, path)` already done by the caller.
    """
    return _Reader(path, text).config(parse_toml(text, path) if data is None else data)


def parse_toml(text: str, path: Path) -> dict[str, object]:
    """tomllib's reading, with a syntax error turned into "<file>:<line>:<col>: <reason>"."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(syntax_message(path, text, str(exc))) from None


class _Invalid(Exception):
    """A value of the wrong type or range; the reader adds file, line and key."""


Converter = Callable[[object], object]


def _whole_number(
    low: int, high: int, unit: str = "", note: str = "", advice: str = ""
) -> Converter:
    """An integer setting from `low` to `high`. The bounds keep every use of the value
    within what dates and SQLite integers hold (a huge one crashed `cleanup`); `advice`
    follows a value out of range."""
    expected = f"expected a whole number{unit} from {low} to {high}{note}"

    def convert(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            if low <= value <= high:
                return value
            raise _Invalid(f"{expected}, got {show_value(value)}{advice}")
        raise _Invalid(f"{expected}, got {show_value(value)}")

    return convert


def _number(high: int, unit: str, note: str = "") -> Converter:
    """A positive number (integer or decimal) of at most `high`."""
    expected = f"expected a number of {unit} above 0 and up to {high}{note}"

    def convert(value: object) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= high:
            return float(value)
        raise _Invalid(f"{expected}, got {show_value(value)}")

    return convert


def _one_line(value: object) -> str:
    if isinstance(value, str) and value.strip() and clean_line(value) == value.strip():
        return value.strip()
    raise _Invalid(f"expected a non-empty one-line string, got {show_value(value)}")


class _Unsendable(_Invalid):
    """A value that cannot go into an HTTP header: said, and the default used. Earlier
    versions read such values (only a refresh failed on them): refusing the file now
    would lock the user out of every command after an upgrade."""


def _header_value(value: object) -> str:
    text = _one_line(value)
    # httpx encodes header values as ASCII; anything else fails at the first request.
    if not all(" " <= char <= "~" for char in text):
        raise _Unsendable(f"expected printable ASCII (HTTP headers are), got {show_value(text)}")
    return text


def _command(value: object) -> str:
    import shlex

    text = _one_line(value)
    try:
        words = shlex.split(text)
    except ValueError as exc:  # an unclosed quote
        raise _Invalid(f"cannot split {show_value(text)} into arguments: {exc}") from None
    if not words:
        raise _Invalid('expected a command like "w3m %u", got an empty one')
    if words[0] == "%u":  # the link would be run as the program
        raise _Invalid(f'expected a program before %u, like "w3m %u", got {show_value(text)}')
    return text


def _mark_read(value: object) -> str:
    if isinstance(value, str) and value in MARK_READ_MODES:
        return value
    raise _Invalid(f"expected one of {', '.join(MARK_READ_MODES)}, got {show_value(value)}")


def _keys(value: object) -> str:
    text = _one_line(value)
    if any(not part.strip() for part in text.split(",")):
        raise _Invalid(f'expected keys separated by commas like "n,N", got {show_value(value)}')
    return text


# Upper bounds, each far beyond any sensible value yet safe for what the setting feeds:
# `now - days` must stay a date, counts must fit SQLite's 64-bit integers, and timers
# and timeouts must stay within what datetime and the event loop can hold.
MAX_INTERVAL_MINUTES = 525_600  # a year
MAX_CONNECTIONS = 1_000
MAX_TIMEOUT_SECONDS = 86_400  # a day
MAX_BODY_BYTES = 2**40  # 1 TiB
MAX_REDIRECTS = 100
MAX_RETENTION_DAYS = 36_500  # a century
MAX_ARTICLES_PER_FEED = 1_000_000_000
_KEEP_ALL = "; leave {key} out to keep every article, however {what}"

_REFRESH: Mapping[str, Converter] = {
    "interval_minutes": _number(MAX_INTERVAL_MINUTES, "minutes", " (a year)"),
    "concurrency": _whole_number(1, MAX_CONNECTIONS),
    "per_host": _whole_number(1, MAX_CONNECTIONS),
    "connect_timeout": _number(MAX_TIMEOUT_SECONDS, "seconds", " (a day)"),
    "timeout": _number(MAX_TIMEOUT_SECONDS, "seconds", " (a day)"),
    "max_bytes": _whole_number(1, MAX_BODY_BYTES, " of bytes", " (1 TiB)"),
    "max_redirects": _whole_number(0, MAX_REDIRECTS),
    "user_agent": _header_value,
}
_RETENTION: Mapping[str, Converter] = {
    "days": _whole_number(
        1,
        MAX_RETENTION_DAYS,
        " of days",
        " (about 100 years)",
        _KEEP_ALL.format(key="days", what="old"),
    ),
    "per_feed": _whole_number(
        1, MAX_ARTICLES_PER_FEED, "", "", _KEEP_ALL.format(key="per_feed", what="many")
    ),
}
_UI: Mapping[str, Converter] = {"theme": _one_line, "browser": _command, "mark_read": _mark_read}
SETTINGS_TABLES: Mapping[str, Mapping[str, Converter] | None] = {
    "refresh": _REFRESH,
    "retention": _RETENTION,
    "ui": _UI,
    "keymap": None,  # any binding id
    "folders": None,  # any tag
}
FEED_KEYS = ("url", "title", "tags", "site")

# The names `[keymap]` can rebind: the ids of the reader's bindings (tuinews.ui.bindings
# and the dialogs' BINDINGS). Listed here because reading them from the UI would import
# Textual into every command; a test checks that the two lists agree.
KEYMAP_IDS: frozenset[str] = frozenset(
    (
        *("help", "cursor_down", "cursor_up", "first", "last", "page_down", "page_up"),
        *("open", "next_pane", "previous_pane", "pane_left", "pane_right", "space"),
        *("next_unread", "previous_unread", "toggle_read", "star", "mark_all_read", "undo"),
        *("refresh_feed", "refresh_all", "open_link", "copy_link", "links"),
        *(f"link_{n}" for n in range(1, 10)),
        *("search", "cycle_filter", "add_feed", "remove_feed", "feed_info"),
        *("toggle_sidebar", "back", "back_or_quit"),
        *("dialog.yes", "dialog.no", "dialog.cancel", "dialog.close", "help.close"),
        *("links.cancel", "links.copy", "links.open"),
        *("links.down", "links.up", "links.first", "links.last"),
    )
)


def _unknown(key: str, known: list[str], what: str = "key") -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
    return f"unknown {what}{hint}"


def _unknown_binding(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(KEYMAP_IDS), n=1)
    if not close and key:
        close = sorted(name for name in KEYMAP_IDS if key.lower() in name)[:3]
    if close:
        return f"no such key binding (did you mean {' or '.join(close)}?)"
    return "no such key binding (ids name the reader's actions, like next_unread or dialog.yes)"


class _Reader:
    """Turns parsed TOML into a Config; errors point at the line of the offending key."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._places: list[tuple[KeyPath, int]] | None = None
        self.warnings: list[str] = []

    def line(self, where: KeyPath) -> int | None:
        if self._places is None:  # scanned only when there is something to report
            self._places = _places(TomlLayout(self.text))
        return _line_of(self._places, where)

    def error(self, where: KeyPath, reason: str) -> ConfigError:
        line = self.line(where)
        location = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{location}: {key_path_text(where)}: {reason}")

    def config(self, data: Mapping[str, object]) -> Config:
        for key in data:
            if key not in SETTINGS_TABLES and key != "feeds":
                known = [*SETTINGS_TABLES, "feeds"]
                raise self.error((key,), _unknown(key, known, "table or key"))
        refresh = replace(RefreshSettings(), **self.settings(data, "refresh", _REFRESH))
        retention = replace(RetentionSettings(), **self.settings(data, "retention", _RETENTION))
        keymap, keymap_warnings = self.keymap(data)
        ui = replace(
            UISettings(),
            **self.settings(data, "ui", _UI),
            keymap=keymap,
            keymap_warnings=keymap_warnings,
        )
        feeds = self.feeds(data)
        return Config(
            feeds=feeds,
            refresh=refresh,
            retention=retention,
            ui=ui,
            folders=self.folders(data),
            warnings=tuple(self.warnings),
        )

    def folders(self, data: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
        folders: dict[str, tuple[str, ...]] = {}
        for tag, value in self.table(data, "folders").items():
            outer = [value] if isinstance(value, str) else value
            if not isinstance(outer, list) or not all(isinstance(name, str) for name in outer):
                raise self.error(
                    ("folders", tag),
                    f"expected the tag (or a list of the tags) it sits in, got {show_value(value)}",
                )
            if not all(name.strip() for name in outer):
                raise self.error(("folders", tag), "a tag cannot be empty or blank")
            folders[tag] = tuple(dict.fromkeys(outer))
        return folders

    def table(self, data: Mapping[str, object], name: str) -> dict[str, object]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.error((name,), f"expected a table [{name}], got {show_value(value)}")
        return value

    def settings(
        self, data: Mapping[str, object], name: str, spec: Mapping[str, Converter]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in self.table(data, name).items():
            convert = spec.get(key)
            if convert is None:
                raise self.error((name, key), _unknown(key, list(spec)))
            try:
                values[key] = convert(value)
            except _Unsendable as exc:
                self.warnings.append(f"{self.error((name, key), str(exc))}; the default is used")
            except _Invalid as exc:
                raise self.error((name, key), str(exc)) from None
        return values

    def keymap(self, data: Mapping[str, object]) -> tuple[dict[str, str], tuple[str, ...]]:
        keymap: dict[str, str] = {}
        warnings: list[str] = []
        for key, value in self.table(data, "keymap").items():
            try:
                keymap[key] = _keys(value)
            except _Invalid as exc:
                raise self.error(("keymap", key), str(exc)) from None
            if key not in KEYMAP_IDS:
                # A warning, not an error: a binding a newer tuinews added must not lock
                # an older one out of every command (the reader applies the others).
                line = self.line(("keymap", key))
                where = f"{self.path}:{line}" if line else str(self.path)
                shown = key_path_text(("keymap", key))
                warnings.append(f"{where}: {shown}: {_unknown_binding(key)}; ignored")
        return keymap, tuple(warnings)

    def feeds(self, data: Mapping[str, object]) -> tuple[Subscription, ...]:
        entries = data.get("feeds", [])
        if not isinstance(entries, list):
            raise self.error(("feeds",), f"expected [[feeds]] tables, got {show_value(entries)}")
        first_seen: dict[str, int] = {}
        feeds: list[Subscription] = []
        for index, entry in enumerate(entries):
            sub = self.feed(index, entry)
            if sub.url in first_seen:
                # The same rule for an exact copy and another spelling: the first wins.
                self.warnings.append(self.duplicate_warning(index, first_seen[sub.url]))
                continue
            first_seen[sub.url] = index
            feeds.append(sub)
        return tuple(feeds)

    def duplicate_warning(self, index: int, first: int) -> str:
        line = self.line(("feeds", index, "url"))
        first_line = self.line(("feeds", first, "url"))
        if line is None or first_line is None:  # only when the text is not the data's
            where = f"{self.path}: {key_path_text(('feeds', index))}"
            return f"{where}: the same feed as {key_path_text(('feeds', first))} (ignored)"
        return (
            f"{self.path}:{line}: the same feed as line {first_line} (ignored; delete one of them)"
        )

    def feed(self, index: int, entry: object) -> Subscription:
        if not isinstance(entry, dict):
            raise self.error(("feeds", index), "expected a table with url, title and tags")
        for key in entry:
            if key not in FEED_KEYS:
                raise self.error(("feeds", index, key), _unknown(key, list(FEED_KEYS)))
        if "url" not in entry:
            raise self.error(("feeds", index), "missing url")
        url = entry["url"]
        if not isinstance(url, str):
            raise self.error(("feeds", index, "url"), f"expected a string, got {show_value(url)}")
        try:
            url = canonical_feed_url(url, base_dir=self.path.parent)
        except ConfigError as exc:
            raise self.error(("feeds", index, "url"), str(exc)) from None
        title = entry.get("title")
        if title is not None and not isinstance(title, str):
            reason = f"expected a string, got {show_value(title)}"
            raise self.error(("feeds", index, "title"), reason)
        tags = entry.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            reason = f'expected a list of strings like ["news"], got {show_value(tags)}'
            raise self.error(("feeds", index, "tags"), reason)
        cleaned = (clean_line(tag) for tag in tags)
        # The feed's web site (OPML's htmlUrl), kept so that export gives it back.
        site = entry.get("site")
        if site is not None and not isinstance(site, str):
            raise self.error(("feeds", index, "site"), f"expected a string, got {show_value(site)}")
        try:
            # An empty one is none, as import leaves it out.
            html_url = site_address(site) if site is not None else None
        except ConfigError as exc:
            # Said, not refused: imports before this check wrote such sites (an OPML
            # htmlUrl of "javascript:…"), and refusing the file would lock the user out
            # of every command after an upgrade. Unused, a site cannot do harm.
            self.warnings.append(f"{self.error(('feeds', index, 'site'), str(exc))}; ignored")
            html_url = None
        return Subscription(
            url=url,
            title=clean_line(title) or None,
            tags=tuple(dict.fromkeys(tag for tag in cleaned if tag)),
            html_url=html_url,
        )


def _places(layout: TomlLayout) -> list[tuple[KeyPath, int]]:
    """Each header and key of the text with the path tomllib gives it, and its 0-based line.

    Unlike `Header.prefix`, a table under an array of tables belongs to the array's
    latest entry: `[feeds.extra]` after the second `[[feeds]]` is ("feeds", 1, "extra").
    """
    places: list[tuple[KeyPath, int]] = []
    entries: dict[tuple[str, ...], int] = {}  # each [[array]]'s latest entry so far
    raw: KeyPath = ()  # the current header's prefix as the layout has it
    resolved: KeyPath = ()
    items: list[Header | KeyLine] = [*layout.headers, *layout.keys]
    for item in sorted(items, key=lambda item: item.line):
        if isinstance(item, KeyLine):
            places.append(((*resolved, *item.full[len(raw) :]), item.line))
            continue
        if item.array:
            entries[item.path] = entries.get(item.path, -1) + 1
            for path in [p for p in entries if len(p) > len(item.path)]:
                if path[: len(item.path)] == item.path:  # a new entry starts its own
                    del entries[path]
        raw, resolved = item.prefix, _in_entries(item.path, entries, item.array)
        places.append((resolved, item.line))
    return places


def _in_entries(
    path: tuple[str, ...], entries: Mapping[tuple[str, ...], int], array: bool
) -> KeyPath:
    resolved: list[str | int] = []
    for length in range(1, len(path) + 1):
        resolved.append(path[length - 1])
        if path[:length] in entries and (length < len(path) or array):
            resolved.append(entries[path[:length]])
    return tuple(resolved)


def _line_of(places: list[tuple[KeyPath, int]], where: KeyPath) -> int | None:
    """The 1-based line of the key, else of the first key within it (a dotted
    `extra.x = 1` defines `extra`), else of its closest enclosing table."""
    best: tuple[float, int] | None = None
    for path, line in places:
        if where[: len(path)] == path:
            score = float(len(path))
        elif path[: len(where)] == where:
            score = len(where) - 0.5
        else:
            continue
        if best is None or score > best[0]:
            best = (score, line)
    return best[1] + 1 if best else None


def key_path_text(where: KeyPath) -> str:
    """("feeds", 2, "url") -> "feeds[3].url": entries count from 1, as people count."""
    text = ""
    for part in where:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{toml_key(part)}" if text else toml_key(part)
    return text
