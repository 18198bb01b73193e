"""Editing the config file: the user's comments, blank lines and order survive."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuinews.config import load_config
from tuinews.errors import ConfigError
from tuinews.model import Subscription
from tuinews.subscriptions import SubscriptionFile, validate_feed_ref

USER_FILE = """\
# tuinews settings -- written by hand
[refresh]
interval_minutes = 30  # half an hour

[ui]
theme = "textual-dark"  # my favourite

# News I read every morning
[[feeds]]
url = "https://alpha.example/feed"  # the main one
title = "Alpha Daily"
tags = ["news"]

# tech stuff
[[feeds]]
url = "https://beta.example/rss"
title = "Beta Tech"

[[feeds]]
url = "https://gamma.example/atom"
title = "Gamma Tech Weekly"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "settings" / "config.toml"
    path.parent.mkdir()
    path.write_text(USER_FILE, encoding="utf-8")
    return path


def entries(path: Path) -> list[str]:
    return [feed.url for feed in load_config(path).feeds]


def test_load_lists_subscriptions_in_file_order(config: Path) -> None:
    subs = SubscriptionFile(config).load()
    assert subs[0] == Subscription("https://alpha.example/feed", "Alpha Daily", ("news",))
    assert [s.title for s in subs] == ["Alpha Daily", "Beta Tech", "Gamma Tech Weekly"]
    assert SubscriptionFile(config.with_name("missing.toml")).load() == []


def test_add_appends_and_keeps_everything_else_byte_for_byte(config: Path) -> None:
    SubscriptionFile(config).add(Subscription("https://Delta.example/x", "Delta", ("a", "b")))
    assert config.read_text() == USER_FILE + (
        '\n[[feeds]]\nurl = "https://delta.example/x"\ntitle = "Delta"\ntags = ["a", "b"]\n'
    )
    assert entries(config)[-1] == "https://delta.example/x"


def test_add_goes_after_the_last_feed_and_before_a_later_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    text = "[[feeds]]\nurl = 'https://a.example/'\n\n# keys come last\n[keymap]\nquit = 'q'\n"
    path.write_text(text)
    SubscriptionFile(path).add(Subscription("https://b.example/"))
    assert path.read_text() == (
        "[[feeds]]\nurl = 'https://a.example/'\n\n"
        '[[feeds]]\nurl = "https://b.example/"\n\n'
        "# keys come last\n[keymap]\nquit = 'q'\n"
    )


@pytest.mark.parametrize("written", ["feeds = []\n", 'feeds = [{url = "https://b.example/"}]\n'])
def test_add_to_feeds_written_inline_is_refused_naming_the_file(
    tmp_path: Path, written: str
) -> None:
    """A tester's find: `feeds = []` was taken as no feed at all; the [[feeds]] added
    then made the file invalid, and the error named a line the user never wrote."""
    path = tmp_path / "config.toml"
    path.write_text(written)
    with pytest.raises(ConfigError) as raised:
        SubscriptionFile(path).add(Subscription("https://a.example/feed"))
    assert str(raised.value) == (
        f"{path}: cannot edit feeds written as `feeds = [...]`; write them as [[feeds]] tables"
    )
    assert path.read_text() == written


def test_add_creates_the_file_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "config.toml"
    SubscriptionFile(path).add(Subscription("https://a.example/feed", "A"))
    assert entries(path) == ["https://a.example/feed"]
    assert path.read_text().startswith("# tuinews settings and subscriptions\n\n[[feeds]]\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # URLs may carry private tokens


def test_add_duplicate_is_refused_and_the_file_is_untouched(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"^already subscribed: https://beta\.example/rss$"):
        SubscriptionFile(config).add(Subscription("HTTPS://BETA.example/rss"))
    assert config.read_text() == USER_FILE


def test_add_many_counts_added_and_skipped(config: Path) -> None:
    subs = [
        Subscription("https://alpha.example/feed"),
        Subscription("https://new1.example/", "New 1"),
        Subscription("https://new2.example/", tags=("imported",)),
        Subscription("HTTPS://NEW1.example:443/#top", tags=("again",)),  # twice in the import
    ]
    counts = SubscriptionFile(config).add_many(subs)
    assert (counts.added, counts.already_subscribed, counts.repeated) == (2, 1, 1)
    assert entries(config)[-2:] == ["https://new1.example/", "https://new2.example/"]
    # The repeat's tags join the first entry's, as for a feed a list names twice.
    assert load_config(config).feeds[-2] == Subscription(
        "https://new1.example/", "New 1", ("again",)
    )
    assert config.read_text().startswith(USER_FILE)
    assert SubscriptionFile(config).add_many(subs) == (0, 3, 1)


def test_add_many_scales_to_a_large_import(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    subs = [Subscription(f"https://site{i}.example/feed", f"Site {i}") for i in range(2000)]
    assert SubscriptionFile(path).add_many(subs) == (2000, 0, 0)
    assert len(SubscriptionFile(path).load()) == 2000


def test_remove_by_url_keeps_comments_blank_lines_and_order(config: Path) -> None:
    removed = SubscriptionFile(config).remove("https://beta.example/rss")
    assert removed == Subscription("https://beta.example/rss", "Beta Tech")
    # The entry's lines go; every comment the user wrote stays where it was.
    assert config.read_text() == USER_FILE.replace(
        '[[feeds]]\nurl = "https://beta.example/rss"\ntitle = "Beta Tech"\n\n', ""
    )


def test_remove_keeps_the_file_s_opening_comment_apart_from_the_next_feed_s(
    tmp_path: Path,
) -> None:
    """The opening comment stays (it may be the file's own), and the blank line after
    the removed entry stays with it: "# my header" ran into "# Blogs" (a tester's find)."""
    path = tmp_path / "config.toml"
    path.write_text(
        '# my header\n[[feeds]]\nurl = "https://a.example/rss"\n\n'
        '# Blogs\n[[feeds]]\nurl = "https://b.example/rss"\n'
    )
    SubscriptionFile(path).remove("https://a.example/rss")
    assert path.read_text() == '# my header\n\n# Blogs\n[[feeds]]\nurl = "https://b.example/rss"\n'


def test_remove_the_last_entry_leaves_no_blank_tail(config: Path) -> None:
    SubscriptionFile(config).remove("Gamma Tech Weekly")
    text = config.read_text()
    assert text.endswith('title = "Beta Tech"\n')
    assert text == USER_FILE.split('\n[[feeds]]\nurl = "https://gamma')[0]


def test_remove_by_exact_title_then_unique_substring(config: Path) -> None:
    subs = SubscriptionFile(config)
    assert subs.remove("Alpha Daily").url == "https://alpha.example/feed"
    assert subs.remove("weekly").url == "https://gamma.example/atom"
    assert entries(config) == ["https://beta.example/rss"]
    # One comment right above each feed's header: each is that feed's, and goes with it.
    assert "# News I read every morning" not in config.read_text()
    assert "# tech stuff\n[[feeds]]" in config.read_text()


def test_remove_by_part_of_the_address_when_no_title_holds_it(config: Path) -> None:
    # An untitled feed never refreshed goes by its address (`feeds` shows host and path).
    SubscriptionFile(config).add(Subscription("http://127.0.0.1:8771/gone.rss"))
    assert SubscriptionFile(config).remove("gone.rss").url == "http://127.0.0.1:8771/gone.rss"
    # A title holding the word wins over an address holding it.
    assert SubscriptionFile(config).remove("alpha").title == "Alpha Daily"


def test_remove_by_a_title_typed_decomposed(config: Path) -> None:
    # Pasted on macOS, "Café" arrives as "Cafe" + U+0301; the file holds it composed.
    SubscriptionFile(config).add(Subscription("https://cafe.example/feed", title="Café Crème"))
    assert SubscriptionFile(config).remove("Cafe\u0301 Cre\u0300me").title == "Café Crème"


def test_remove_ambiguous_or_unknown_is_refused(config: Path) -> None:
    subs = SubscriptionFile(config)
    with pytest.raises(ConfigError) as caught:
        subs.remove("tech")
    assert str(caught.value) == (
        "'tech' matches several feeds: Beta Tech (https://beta.example/rss), "
        "Gamma Tech Weekly (https://gamma.example/atom); name one by its URL"
    )
    with pytest.raises(ConfigError, match=r"^no feed matches 'nothing'$"):
        subs.remove("nothing")
    assert config.read_text() == USER_FILE


def test_a_part_of_the_address_is_never_taken_for_an_untitled_feeds_title(
    tmp_path: Path,
) -> None:
    """Three feeds on one host, one untitled (its name in the store is its URL):
    `remove 127.0.0.1` removed that one, the only "title" holding the words, without a
    word. It names all three, as a part of an address does."""
    path = tmp_path / "config.toml"
    subs = SubscriptionFile(path)
    urls = [f"http://127.0.0.1:8818/{name}" for name in ("news", "sport", "r404")]
    subs.add_many([Subscription(urls[0], "news"), Subscription(urls[1], "sport")])
    subs.add(Subscription(urls[2]))
    titles = {urls[0]: "news", urls[1]: "sport", urls[2]: urls[2]}  # as the store has them
    with pytest.raises(ConfigError, match=r"^'127.0.0.1' matches several feeds: news \("):
        subs.remove("127.0.0.1", titles)
    assert len(subs.load()) == 3
    assert subs.remove("r404", titles).url == urls[2]  # its own part of the address


def test_feeds_alike_by_title_are_told_apart_by_their_urls(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    subs = SubscriptionFile(path)
    subs.add_many(
        [
            Subscription("http://127.0.0.1:18801/notitle"),
            Subscription("http://user:secret@127.0.0.1:18801/notitle?lang=fr"),
            Subscription("https://a.example/feed", "Lower Feed"),
            Subscription("https://b.example/feed", "Lower Feed"),
        ]
    )
    # The store names an untitled feed by its host, as `tuinews feeds` shows it.
    by_host = {
        "http://127.0.0.1:18801/notitle": "127.0.0.1",
        "http://user:secret@127.0.0.1:18801/notitle?lang=fr": "127.0.0.1",
    }
    with pytest.raises(ConfigError) as caught:
        subs.remove("127.0.0.1", by_host)
    assert str(caught.value) == (
        "'127.0.0.1' matches several feeds: 127.0.0.1 (http://127.0.0.1:18801/notitle), "
        "127.0.0.1 (http://user:***@127.0.0.1:18801/notitle?lang=fr); name one by its URL"
    )
    with pytest.raises(ConfigError) as caught:
        subs.remove("Lower Feed")
    assert str(caught.value) == (
        "'Lower Feed' matches several feeds: Lower Feed (https://a.example/feed), "
        "Lower Feed (https://b.example/feed); name one by its URL"
    )
    assert subs.remove("https://b.example/feed").title == "Lower Feed"


def test_exact_title_wins_over_substring(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    subs = SubscriptionFile(path)
    subs.add_many(
        [
            Subscription("https://a.example/", "News"),
            Subscription("https://b.example/", "News Extra"),
        ]
    )
    assert subs.remove("News").url == "https://a.example/"


def test_replace_url_keeps_the_line_comment_and_the_rest(config: Path) -> None:
    SubscriptionFile(config).replace_url("https://alpha.example/feed", "https://alpha.example/new")
    assert config.read_text() == USER_FILE.replace(
        'url = "https://alpha.example/feed"  # the main one',
        'url = "https://alpha.example/new"  # the main one',
    )


def test_replace_url_errors(config: Path) -> None:
    subs = SubscriptionFile(config)
    with pytest.raises(ConfigError, match="not subscribed"):
        subs.replace_url("https://nope.example/", "https://x.example/")
    with pytest.raises(ConfigError, match="already subscribed"):
        subs.replace_url("https://alpha.example/feed", "https://beta.example/rss")
    assert config.read_text() == USER_FILE


LISTED_TWICE = """\
[[feeds]]
url = "http://h.example/feed.xml#top"  # kept from an older version
title = "Top"

[[feeds]]
url = "https://other.example/rss"

# the same again
[[feeds]]
url = "http://h.example/feed.xml"
"""


def test_a_file_listing_a_feed_twice_can_still_be_edited(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(LISTED_TWICE)
    subs = SubscriptionFile(path)
    subs.add(Subscription("https://new.example/feed"))
    assert entries(path) == [
        "http://h.example/feed.xml",
        "https://other.example/rss",
        "https://new.example/feed",
    ]
    with pytest.raises(ConfigError, match="already subscribed"):
        subs.add(Subscription("http://h.example/feed.xml"))
    subs.set_value("ui", "theme", "nord")
    assert load_config(path).ui.theme == "nord"


def test_removing_a_feed_listed_twice_removes_both_entries(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(LISTED_TWICE)
    removed = SubscriptionFile(path).remove("Top")
    assert removed == Subscription("http://h.example/feed.xml", "Top")
    # Leaving the second entry would have kept the user subscribed.
    assert entries(path) == ["https://other.example/rss"]
    assert load_config(path).warnings == ()
    assert path.read_text() == (
        '[[feeds]]\nurl = "https://other.example/rss"\n\n# the same again\n'
    )


def test_replacing_the_url_of_a_feed_listed_twice_replaces_both(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(LISTED_TWICE)
    SubscriptionFile(path).replace_url("http://h.example/feed.xml", "https://h.example/new")
    config = load_config(path)
    assert [sub.url for sub in config.feeds] == [
        "https://h.example/new",
        "https://other.example/rss",
    ]
    assert len(config.warnings) == 1  # still listed twice, as the user wrote it
    assert "# kept from an older version" in path.read_text()


def test_set_value_changes_in_place_and_adds_keys_and_tables(config: Path) -> None:
    subs = SubscriptionFile(config)
    subs.set_value("ui", "theme", "nord")
    subs.set_value("ui", "browser", "w3m %u")
    subs.set_value("retention", "days", 30)
    subs.set_value("keymap", "next_unread", "n,N")
    text = config.read_text()
    assert 'theme = "nord"  # my favourite\nbrowser = "w3m %u"\n\n[retention]' in text
    assert '[keymap]\nnext_unread = "n,N"\n\n# News I read every morning\n[[feeds]]' in text
    loaded = load_config(config)
    assert (loaded.ui.theme, loaded.ui.browser, loaded.retention.days) == ("nord", "w3m %u", 30)
    assert loaded.ui.keymap == {"next_unread": "n,N"}
    subs.set_value("ui", "browser", None)
    assert load_config(config).ui.browser is None


def test_set_value_refuses_invalid_values(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"ui\.mark_read: expected one of"):
        SubscriptionFile(config).set_value("ui", "mark_read", "sometimes")
    with pytest.raises(ConfigError, match="not a settings table"):
        SubscriptionFile(config).set_value("feeds", "url", "x")
    assert config.read_text() == USER_FILE


def test_set_value_with_dotted_keys_and_inline_tables(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\nui.theme = 'nord'\nrefresh = { timeout = 5 }\n")
    subs = SubscriptionFile(path)
    subs.set_value("ui", "theme", "gruvbox")
    subs.set_value("refresh", "timeout", 9)
    loaded = load_config(path)
    assert (loaded.ui.theme, loaded.refresh.timeout) == ("gruvbox", 9.0)
    assert path.read_text().startswith("# mine\n")


def test_broken_file_is_never_overwritten(config: Path) -> None:
    broken = USER_FILE.replace("interval_minutes = 30", "interval_minutes = = 30")
    config.write_text(broken)
    with pytest.raises(ConfigError, match=r"config\.toml:3:20: "):
        SubscriptionFile(config).add(Subscription("https://x.example/"))
    invalid = USER_FILE.replace("interval_minutes = 30", "interval_minutes = 'soon'")
    config.write_text(invalid)
    with pytest.raises(ConfigError, match=r"config\.toml:3: refresh.interval_minutes"):
        SubscriptionFile(config).set_value("ui", "theme", "nord")
    assert config.read_text() == invalid


def test_write_is_atomic_keeps_mode_and_leaves_no_temp_file(config: Path) -> None:
    os.chmod(config, 0o640)
    before = config.stat().st_ino
    SubscriptionFile(config).add(Subscription("https://x.example/"))
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.toml"]
    assert config.stat().st_ino != before  # replaced, not rewritten in place
    assert stat.S_IMODE(config.stat().st_mode) == 0o640


def test_failed_write_leaves_the_old_file_and_no_temp(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(ConfigError, match="cannot write: No space left on device"):
        SubscriptionFile(config).add(Subscription("https://x.example/"))
    assert config.read_text() == USER_FILE
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.toml"]


def test_symlinked_config_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "tuinews.toml"
    real.parent.mkdir()
    real.write_text(USER_FILE)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    SubscriptionFile(link).add(Subscription("https://x.example/"))
    assert link.is_symlink()
    assert entries(real)[-1] == "https://x.example/"


def test_crlf_file_stays_crlf(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(USER_FILE.replace("\n", "\r\n").encode())
    subs = SubscriptionFile(path)
    subs.add(Subscription("https://x.example/", "X"))
    subs.remove("Beta Tech")
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert entries(path)[-1] == "https://x.example/"


def test_validate_feed_ref_urls() -> None:
    assert validate_feed_ref("  HTTPS://Example.ORG/Feed.xml\n") == "https://example.org/Feed.xml"
    assert validate_feed_ref("http://[::1]:8080/rss") == "http://[::1]:8080/rss"
    assert validate_feed_ref("feed://example.org/rss") == "http://example.org/rss"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("foo", "not a URL or an existing path: 'foo'"),
        ("", "not a URL or an existing path: ''"),
        ("ftp://example.org/x", "unsupported URL scheme 'ftp' (use http, https or a local path)"),
        ("http://", "URL has no host: 'http://'"),
        ("https:///feed", "URL has no host: 'https:///feed'"),
        ("/x/y.rss", "no such file or directory: '/x/y.rss'"),
        ("file:///x/y.rss", "no such file or directory: '/x/y.rss'"),
        (
            "example.org/feed.xml",
            "not a URL or an existing path: 'example.org/feed.xml' "
            "(did you mean 'https://example.org/feed.xml'?)",
        ),
    ],
)
def test_validate_feed_ref_errors(typed: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_feed_ref(typed)
    assert str(caught.value) == message


def test_validate_feed_ref_paths(
    tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = isolated_home / "feeds" / "my news.rss"
    feed.parent.mkdir()
    feed.write_text("<rss/>")
    monkeypatch.chdir(isolated_home)
    assert validate_feed_ref("~/feeds/my news.rss") == str(feed)
    assert validate_feed_ref("feeds/../feeds/my news.rss") == str(feed)
    assert validate_feed_ref("feeds") == str(feed.parent)  # a directory of articles
    assert validate_feed_ref(feed.as_uri()) == str(feed)
    with pytest.raises(ConfigError, match=r"^no such file or directory: '.*/missing\.rss'$"):
        validate_feed_ref("missing.rss")


def test_add_many_with_a_bad_url_names_it_and_writes_nothing(config: Path) -> None:
    subs = [Subscription("https://ok.example/"), Subscription("gopher://old.example/")]
    with pytest.raises(ConfigError, match=r"^'gopher://old\.example/': unsupported URL scheme"):
        SubscriptionFile(config).add_many(subs)
    assert config.read_text() == USER_FILE


_TITLES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(st.booleans(), st.integers(0, 7), _TITLES, st.lists(_TITLES, max_size=2)),
        max_size=12,
    )
)
def test_random_edits_keep_the_file_loadable_and_the_comments(
    config: Path, steps: list[tuple[bool, int, str, list[str]]]
) -> None:
    """Any mix of adds and removes leaves a file that loads to the expected feeds."""
    beta = "https://beta.example/rss"  # under the comment "# tech stuff"
    config.write_text(USER_FILE)
    subs = SubscriptionFile(config)
    expected = [feed.url for feed in subs.load()]
    pool = expected + [f"https://n{number}.example/feed" for number in range(5)]
    for adding, number, title, tags in steps:
        url = pool[number]
        if adding and url not in expected:
            subs.add(Subscription(url, title or None, tuple(tags)))
            expected.append(url)
        elif not adding and url in expected:
            subs.remove(url)
            expected.remove(url)
    assert entries(config) == expected
    text = config.read_text()
    for comment in ("# tuinews settings -- written by hand", "# half an hour"):
        assert comment in text
    if not any(not adding and pool[number] == beta for adding, number, _t, _g in steps):
        assert '# tech stuff\n[[feeds]]\nurl = "https://beta.example/rss"' in text
    assert "\n\n\n" not in text


def test_a_change_by_another_program_during_an_edit_is_not_lost(config: Path) -> None:
    class RacingFile(SubscriptionFile):
        """An editor (which takes no lock) saves a new feed right after this one has
        read the file."""

        raced = False

        def _read(self):  # type: ignore[no-untyped-def]
            result = super()._read()
            if not self.raced:
                self.raced = True
                text = self.path.read_text()
                self.path.write_text(text + '\n[[feeds]]\nurl = "https://other.example/"\n')
            return result

    RacingFile(config).add(Subscription("https://mine.example/"))
    assert entries(config)[-2:] == ["https://other.example/", "https://mine.example/"]
