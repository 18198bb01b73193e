"""Reading the settings file: defaults, every setting, and errors that point at the line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tuinews import paths
from tuinews.config import (
    Config,
    RefreshSettings,
    RetentionSettings,
    UISettings,
    canonical_feed_url,
    load_config,
)
from tuinews.errors import ConfigError
from tuinews.model import Subscription
from tuinews.toml_layout import TomlLayout

FULL = """\
# tuinews settings
[refresh]
interval_minutes = 45
concurrency = 8
per_host = 2
connect_timeout = 5
timeout = 20.5
max_bytes = 1048576
max_redirects = 3
user_agent = "tuinews-test/1"

[retention]
days = 90          # or absent: keep forever
per_feed = 500

[ui]
theme = "nord"
browser = "w3m %u"
mark_read = "manual"

[keymap]
"next_unread" = "n,N"
back_or_quit = "q"

[[feeds]]
url = "https://Example.ORG/feed.xml"
title = "Example"
tags = ["news", "tech"]

[[feeds]]
url = "~/feeds/local.rss"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_missing_file_gives_defaults_and_creates_nothing(tmp_path: Path) -> None:
    path = paths.config_file()
    assert load_config(path) == Config()
    assert not path.exists()
    assert not path.parent.exists()


def test_every_setting_is_read(tmp_path: Path, isolated_home: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert config.refresh == RefreshSettings(
        interval_minutes=45.0,
        concurrency=8,
        per_host=2,
        connect_timeout=5.0,
        timeout=20.5,
        max_bytes=1048576,
        max_redirects=3,
        user_agent="tuinews-test/1",
    )
    assert config.retention == RetentionSettings(days=90, per_feed=500)
    assert config.ui == UISettings(
        theme="nord",
        browser="w3m %u",
        mark_read="manual",
        keymap={"next_unread": "n,N", "back_or_quit": "q"},
    )
    assert config.feeds == (
        Subscription("https://example.org/feed.xml", "Example", ("news", "tech")),
        Subscription(str(isolated_home / "feeds" / "local.rss")),
    )


def test_absent_tables_keep_their_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[ui]\ntheme = 'nord'\n"))
    assert config.refresh == RefreshSettings()
    assert config.retention == RetentionSettings(days=None, per_feed=None)
    assert config.ui.mark_read == "on_open"
    assert config.feeds == ()


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[refresh]\ninterval_minutes = 30\nconcurrency = = 4\n")
    path = tmp_path / "config.toml"
    assert message == f"{path}:3:15: invalid value"
    assert "\n" not in message


def test_syntax_error_at_end_of_file(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[ui]\ntheme = "nord')
    assert message == f"{tmp_path / 'config.toml'}:2:14: unterminated string at the end of the file"


def test_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    text = "# settings\n[refresh]\ninterval_minutes = 30\nconcurrency = 'many'\n"
    message = error_of(tmp_path, text)
    path = tmp_path / "config.toml"
    assert message == (
        f'{path}:4: refresh.concurrency: expected a whole number from 1 to 1000, got "many"'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[refresh]\n\ntimeout = 0\n",
            ":3: refresh.timeout: expected a number of seconds above 0 and up to 86400 (a day),"
            " got 0",
        ),
        (
            "[refresh]\nconcurrency = true\n",
            ":2: refresh.concurrency: expected a whole number from 1 to 1000, got true",
        ),
        (
            "[retention]\ndays = 1.5\n",
            ":2: retention.days: expected a whole number of days from 1 to 36500 (about 100 years),"
            " got 1.5",
        ),
        (
            "[ui]\nmark_read = 'never'\n",
            ':2: ui.mark_read: expected one of on_open, on_leave, manual, got "never"',
        ),
        ("[ui]\nbrowser = 'w3m \"%u'\n", ":2: ui.browser: cannot split"),
        ("[ui]\nbrowser = '%u --new-tab'\n", ":2: ui.browser: expected a program before %u"),
        ("[keymap]\nquit = ''\n", ":2: keymap.quit: expected a non-empty one-line string"),
        ("refresh.timeout = -1\n", ":1: refresh.timeout: expected a number of seconds"),
        ("ui = 3\n", ":1: ui: expected a table [ui], got 3"),
        ("[[feeds]]\ntitle = 'x'\n", ":1: feeds[1]: missing url"),
        (
            "[[feeds]]\nurl = 'https://a.org/'\ntags = 'news'\n",
            ":3: feeds[1].tags: expected a list of strings",
        ),
        (
            "[[feeds]]\nurl = 'https://a.org/'\n[[feeds]]\nurl = 'ftp://b.org/'\n",
            ":4: feeds[2].url: unsupported URL scheme 'ftp' (use http, https or a local path)",
        ),
        ("[[feeds]]\nurl = 'http://'\n", ":2: feeds[1].url: URL has no host: 'http://'"),
    ],
)
def test_bad_values_are_reported_at_their_line(tmp_path: Path, text: str, expected: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(str(tmp_path / "config.toml") + expected)


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[refresh]\ninterval_minutes = 30\nconcurency = 4\n")
    assert message == (
        f"{tmp_path / 'config.toml'}:3: refresh.concurency: "
        "unknown key (did you mean 'concurrency'?)"
    )


def test_unknown_table_and_feed_key_are_errors(tmp_path: Path) -> None:
    assert ":1: refrsh: unknown table or key" in error_of(tmp_path, "[refrsh]\nx = 1\n")
    message = error_of(tmp_path, "[[feeds]]\nurl = 'https://a.org/'\ntitel = 'A'\n")
    assert ":3: feeds[1].titel: unknown key (did you mean 'title'?)" in message


def test_a_feed_listed_twice_loads_with_a_warning_naming_both_lines(tmp_path: Path) -> None:
    # An exact copy: the same rule as two spellings of one URL (below).
    path = write(
        tmp_path,
        "[[feeds]]\nurl = 'https://a.org/feed'\ntitle = 'First'\n\n"
        "[[feeds]]\nurl = 'https://b.org/feed'\n\n"
        "[[feeds]]\nurl = 'https://a.org/feed'\ntitle = 'Second'\n",
    )
    config = load_config(path)
    assert [(sub.url, sub.title) for sub in config.feeds] == [
        ("https://a.org/feed", "First"),
        ("https://b.org/feed", None),
    ]
    assert config.warnings == (f"{path}:9: the same feed as line 2 (ignored; delete one of them)",)
    assert load_config(write(tmp_path, FULL)).warnings == ()


def test_feed_titles_and_tags_are_cleaned(tmp_path: Path) -> None:
    text = (
        '[[feeds]]\nurl = "https://a.org/"\n'
        'title = "Evil\\u001b]0;x\\u0007 feed"\ntags = ["a", "a", " b "]\n'
    )
    (feed,) = load_config(write(tmp_path, text)).feeds
    assert "\x1b" not in (feed.title or "") and "\x07" not in (feed.title or "")
    assert feed.tags == ("a", "b")


def test_relative_and_file_url_feeds_become_absolute_paths(tmp_path: Path) -> None:
    text = "[[feeds]]\nurl = 'local/x.rss'\n\n[[feeds]]\nurl = 'file:///srv/My%20Feeds/y.xml'\n"
    config = load_config(write(tmp_path, text))
    assert [f.url for f in config.feeds] == [
        str(tmp_path / "local" / "x.rss"),
        "/srv/My Feeds/y.xml",
    ]


def test_relative_feed_paths_follow_a_relative_config_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "s1").mkdir()
    write(tmp_path / "s1", "[[feeds]]\nurl = 'sub/k.rss'\n")
    expected = [str(tmp_path / "s1" / "sub" / "k.rss")]
    monkeypatch.chdir(tmp_path / "s1")
    assert [f.url for f in load_config(Path("config.toml")).feeds] == expected
    monkeypatch.chdir(tmp_path)
    assert [f.url for f in load_config(Path("s1/config.toml")).feeds] == expected


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.mkdir()
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(path)
    other = tmp_path / "latin1.toml"
    other.write_bytes(b"[ui]\ntheme = 'caf\xe9'\n")
    with pytest.raises(ConfigError, match=r"latin1\.toml:2: not UTF-8"):
        load_config(other)


def test_byte_order_mark_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[ui]\r\ntheme = 'nord'\r\n")
    assert load_config(path).ui.theme == "nord"


def test_env_variable_points_at_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[ui]\ntheme = 'nord'\n")
    monkeypatch.setenv("TUINEWS_CONFIG", os.fspath(path))
    assert load_config(paths.config_file()).ui.theme == "nord"


def test_canonical_feed_url() -> None:
    assert canonical_feed_url("  HTTPS://User:Pw@Example.ORG:8080/Feed?A=1 ") == (
        "https://User:Pw@example.org:8080/Feed?A=1"
    )
    assert canonical_feed_url("feed://example.org/rss") == "http://example.org/rss"
    assert canonical_feed_url("feed:https://example.org/rss") == "https://example.org/rss"
    assert canonical_feed_url("file://localhost/tmp/a.rss") == "/tmp/a.rss"
    with pytest.raises(ConfigError, match="invalid port"):
        canonical_feed_url("http://example.org:port/")
    with pytest.raises(ConfigError, match="another computer"):
        canonical_feed_url("file://server/share/a.rss")


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("http://example.com/ok1#", "http://example.com/ok1"),
        ("http://example.com/ok1#frag", "http://example.com/ok1"),
        ("http://example.com/ok1?", "http://example.com/ok1"),
        ("http://example.com/./ok1", "http://example.com/ok1"),
        ("http://example.com/a/../ok1", "http://example.com/ok1"),
        ("http://example.com:80/feed", "http://example.com/feed"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:080/feed", "http://example.com/feed"),
        ("http://example.com/%7Efoo", "http://example.com/~foo"),
        ("http://example.com/%7efoo%2fbar", "http://example.com/~foo%2Fbar"),
        ("http://bücher.example/feed", "http://xn--bcher-kva.example/feed"),
        ("http://BÜCHER.example/feed", "http://xn--bcher-kva.example/feed"),
        ("http://example.com", "http://example.com/"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        # feed:// around a full URL names that URL (it became http://https//host/...)
        ("feed://https://example.com/feed.xml", "https://example.com/feed.xml"),
        ("FEED://HTTP://Example.com/x", "http://example.com/x"),
        ("feed://example.com/x", "http://example.com/x"),
        # Non-ASCII in the path and query: UTF-8 escapes in capitals, as browsers send it.
        ("http://example.com/€", "http://example.com/%E2%82%AC"),
        ("http://example.com/%e2%82%ac", "http://example.com/%E2%82%AC"),
        ("http://example.com/caf%C3%A9?q=café", "http://example.com/caf%C3%A9?q=caf%C3%A9"),
        ("http://bücher.example/bücher#ü", "http://xn--bcher-kva.example/b%C3%BCcher"),
    ],
)
def test_one_feed_spelled_differently_has_one_canonical_form(spelling: str, canonical: str) -> None:
    assert canonical_feed_url(spelling) == canonical
    assert canonical_feed_url(canonical) == canonical  # and the canonical form stays


def test_canonical_form_keeps_the_query_and_the_path_case() -> None:
    # Some servers care about the order and spelling of the query: kept as written.
    url = "https://example.com:8443/Feeds/RSS?b=2&a=%7e1&&x=/./"
    assert canonical_feed_url(url) == url
    assert canonical_feed_url("http://example.com/Feed?b=2&a=1#top") == (
        "http://example.com/Feed?b=2&a=1"
    )
    with pytest.raises(ConfigError, match="invalid host name"):
        canonical_feed_url("http://bü..example/feed")


def test_a_config_naming_one_feed_two_ways_loads_and_the_first_wins(tmp_path: Path) -> None:
    # Older versions kept the fragment and the default port: both entries were theirs.
    path = write(
        tmp_path,
        '[[feeds]]\nurl = "http://bücher.example/feed"\n\n'
        '[[feeds]]\nurl = "http://h.example/feed.xml#top"\ntitle = "Top"\n\n'
        '[[feeds]]\nurl = "http://xn--bcher-kva.example:80/./feed#latest"\n\n'
        '[[feeds]]\nurl = "http://h.example/feed.xml"\ntitle = "Plain"\n',
    )
    config = load_config(path)
    assert [(sub.url, sub.title) for sub in config.feeds] == [
        ("http://xn--bcher-kva.example/feed", None),
        ("http://h.example/feed.xml", "Top"),
    ]
    assert config.warnings == (
        f"{path}:9: the same feed as line 2 (ignored; delete one of them)",
        f"{path}:12: the same feed as line 5 (ignored; delete one of them)",
    )


def test_adding_another_spelling_of_a_subscription_is_refused(tmp_path: Path) -> None:
    from tuinews.subscriptions import SubscriptionFile

    subs = SubscriptionFile(tmp_path / "config.toml")
    subs.add(Subscription(url="http://example.com/~me/feed"))
    with pytest.raises(
        ConfigError, match=re.escape("already subscribed: http://example.com/~me/feed")
    ):
        subs.add(Subscription(url="HTTP://Example.com:80/%7Eme/./feed?#x"))
    assert [sub.url for sub in subs.load()] == ["http://example.com/~me/feed"]


def test_layout_finds_lines_in_awkward_places() -> None:
    text = (
        'title = """\n[refresh]\nconcurrency = 1\n"""\n'  # a header-like line inside a string
        "[refresh]\n"
        "user_agent = 'x' # [not a header]\n"
        "tags = [\n  'a', # ]\n  'b',\n]\n"
        '"quoted.key" = 1\n'
        "concurrency = 4\n"
        "[[feeds]]\nurl = 'a'\n[[feeds]]\n  url = 'b'\n"
    )
    layout = TomlLayout(text)
    assert layout.line_of(("refresh", "concurrency")) == 12
    assert layout.line_of(("refresh", "quoted.key")) == 11
    assert layout.line_of(("refresh", "missing")) == 5
    assert layout.line_of(("feeds", 1, "url")) == 16
    key = layout.find_key(("refresh", "tags"))
    assert key is not None and (key.line, key.end_line) == (6, 9)
