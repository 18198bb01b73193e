"""Settings a QA pass broke: values too large to work, Python reprs in error lines,
line numbers of tables under [[feeds]], and [keymap] names no binding has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tuinews
from feedserver import closed_port_url
from test_cli import Cli
from tuinews.config import (
    KEYMAP_IDS,
    MAX_ARTICLES_PER_FEED,
    MAX_RETENTION_DAYS,
    RefreshSettings,
    load_config,
)
from tuinews.errors import ConfigError
from tuinews.model import Subscription
from tuinews.store import Store


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    prefix = str(tmp_path / "config.toml")
    assert message.startswith(prefix)
    return message[len(prefix) :]


# ------------------------------------------------------------------ bounds


def test_keep_for_ever_written_as_a_huge_retention_is_one_clear_line(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[retention]\ndays = 1000000\n") == (
        ":2: retention.days: expected a whole number of days from 1 to 36500"
        " (about 100 years), got 1000000; leave days out to keep every article, however old"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[retention]\ndays = 99999999999999999999\n",
            ":2: retention.days: expected a whole number of days from 1 to 36500 (about 100 years),"
            " got 99999999999999999999; leave days out",
        ),
        (
            "[retention]\n\nper_feed = 9223372036854775808\n",
            ":3: retention.per_feed: expected a whole number from 1 to 1000000000,"
            " got 9223372036854775808; leave per_feed out to keep every article, however many",
        ),
        (
            "[refresh]\ninterval_minutes = 1e300\n",
            ":2: refresh.interval_minutes: expected a number of minutes above 0 and up to 525600"
            " (a year), got 1e+300",
        ),
        (
            "[refresh]\nconnect_timeout = inf\n",
            ":2: refresh.connect_timeout: expected a number of seconds above 0 and up to 86400"
            " (a day), got inf",
        ),
        ("[refresh]\ntimeout = nan\n", ":2: refresh.timeout: expected a number of seconds"),
        ("[refresh]\nconcurrency = 100000\n", ":2: refresh.concurrency: expected a whole number"),
        ("[refresh]\nper_host = 1001\n", ":2: refresh.per_host: expected a whole number from 1 to"),
        (
            "[refresh]\nmax_bytes = 9223372036854775808\n",
            ":2: refresh.max_bytes: expected a whole number of bytes from 1 to 1099511627776"
            " (1 TiB), got 9223372036854775808",
        ),
        (
            "[refresh]\nmax_redirects = 1000\n",
            ":2: refresh.max_redirects: expected a whole number from 0 to 100, got 1000",
        ),
    ],
)
def test_numbers_too_large_to_work_are_refused_at_their_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error_of(tmp_path, text).startswith(expected)


def test_the_largest_allowed_retention_cleans_up_without_error(tmp_path: Path) -> None:
    text = f"[retention]\ndays = {MAX_RETENTION_DAYS}\nper_feed = {MAX_ARTICLES_PER_FEED}\n"
    retention = load_config(write(tmp_path, text)).retention
    with Store.open(tmp_path / "store.db") as store:
        store.sync_feeds([Subscription("https://a.org/feed")])  # so its articles are looked at
        assert store.cleanup(days=retention.days, per_feed=retention.per_feed) == 0


def test_cleanup_command_with_a_huge_retention_prints_one_line(tmp_path: Path) -> None:
    config = write(tmp_path, "[retention]\ndays = 1000000\n")
    env = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TUINEWS_CONFIG": str(config),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(tuinews.__file__).parents[1]),  # this checkout's tuinews
    }
    done = subprocess.run(
        [sys.executable, "-m", "tuinews", "cleanup"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.splitlines() == [
        f"tuinews: {config}:2: retention.days: expected a whole number of days from 1 to 36500"
        " (about 100 years), got 1000000; leave days out to keep every article, however old"
    ]


# ------------------------------------------------------------ shown values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[retention]\ndays = 2024-01-01\n", ", got a date"),
        ("[retention]\ndays = 2024-01-01T10:00:00Z\n", ", got a date and time"),
        ("[retention]\ndays = 2024-01-01T10:00:00\n", ", got a date and time"),
        ("[retention]\ndays = 10:00:00\n", ", got a time of day"),
        ("[retention]\ndays = [1, 2]\n", ", got a list of numbers"),
        ("[retention]\ndays = { n = 1 }\n", ", got a table"),
        ("[retention]\ndays = '90'\n", ', got "90"'),
        ('[ui]\ntheme = "a\\u001b[2Jb"\n', ', got "a\\u001B[2Jb"'),
        ('[ui]\nmark_read = "say \\"hi\\""\n', ', got "say \\"hi\\""'),
        ("[ui]\nmark_read = 'never'\n", ', got "never"'),
    ],
)
def test_wrong_values_are_shown_as_toml_not_python(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = error_of(tmp_path, text)
    assert message.endswith(expected)
    assert "datetime" not in message and "'" not in message


@pytest.mark.parametrize(
    ("tags", "shown"),
    [
        ("[1, 2]", "a list of numbers"),
        ("[true]", "a list of true/false values"),
        ("['a', 1]", "a list of mixed values"),
        ("[['a']]", "a list of lists"),
        ("[2024-01-01]", "a list of dates"),
        ("'news'", '"news"'),
    ],
)
def test_tags_of_the_wrong_kind_are_named_as_toml(tmp_path: Path, tags: str, shown: str) -> None:
    message = error_of(tmp_path, f"[[feeds]]\nurl = 'https://a.org/'\ntags = {tags}\n")
    assert message == f':3: feeds[1].tags: expected a list of strings like ["news"], got {shown}'


def test_a_key_needing_quotes_is_named_as_toml_writes_it(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[keymap]\n'next unread' = ''\n")
    assert message.startswith(':2: keymap."next unread": expected a non-empty one-line string')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[ feeds ]]\nurl = "https://a.org/"\n[ "feeds" ]\n',
            ":3:11: table [feeds] declared twice (each feed starts with [[feeds]], two brackets)",
        ),
        ("[ui]\ntheme = 'a'\n[ui]\n", ":3:4: table [ui] declared twice"),
        ("[a.'b.c']\n[a.'b.c']\n", ':2:9: table [a."b.c"] declared twice'),
        (
            "a = [1]\n[[a]]\n",
            ":2:4: cannot add to a: it is already written in full (as an inline table or a list)",
        ),
        (
            "[a.b]\n[a]\nb.c = 1\n",
            ":3:8: cannot add to table [a.b] with a dotted key: it has its own [a.b] header",
        ),
        ('x = "a\x01"\n', ":1:7: illegal character U+0001"),
        (
            '[[feeds]]\nurl = "https://a.org/\ntitle = "A"\n',
            ":2:22: a quoted value is not closed on its line (a closing quote missing?)",
        ),
        (
            "[ui]\ntheme = 'dark\nmark_read = 'manual'\n",
            ":2:14: a quoted value is not closed on its line (a closing quote missing?)",
        ),
        (
            "[refresh]\ntimeout = 1\ntimeout = 2\n",
            ":3:12: key timeout set twice (each key once per table)",
        ),
    ],
)
def test_syntax_errors_name_tables_as_toml_writes_them(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error_of(tmp_path, text) == expected


# ------------------------------------------------------------ line numbers


def test_a_table_under_a_feed_is_reported_at_its_own_line(tmp_path: Path) -> None:
    text = "[[feeds]]\nurl = 'https://a.org/'\n[feeds.extra]\nx = 1\n"
    assert (
        error_of(tmp_path, text)
        == ":3: feeds[1].extra: unknown key (known: url, title, tags, site)"
    )


def test_a_table_under_a_later_feed_is_reported_at_its_own_line(tmp_path: Path) -> None:
    text = (
        "[[feeds]]\nurl = 'https://a.org/'\n[feeds.extra]\n\n"
        "[[feeds]]\nurl = 'https://b.org/'\n"
        "[[feeds]]\nurl = 'https://c.org/'\n"
        "[ feeds . 'other' ]\n"
    )
    # feeds[1] is the first complaint (line 3); the third entry's table is at line 9.
    assert error_of(tmp_path, text).startswith(":3: feeds[1].extra: unknown key")
    fixed = text.replace("[feeds.extra]\n", "")
    assert error_of(tmp_path, fixed).startswith(":8: feeds[3].other: unknown key")


def test_a_dotted_key_in_a_feed_is_reported_at_its_line(tmp_path: Path) -> None:
    text = "[[feeds]]\nurl = 'https://a.org/'\n\n[[feeds]]\nurl = 'https://b.org/'\nextra.x = 1\n"
    assert error_of(tmp_path, text).startswith(":6: feeds[2].extra: unknown key")


def test_a_key_of_a_nested_array_entry_is_found(tmp_path: Path) -> None:
    text = (
        "[[feeds]]\nurl = 'https://a.org/'\n[[feeds.more]]\n[[feeds.more]]\n"
        "[[feeds]]\nurl = 'https://b.org/'\n[[feeds.more]]\nz = 1\n"
    )
    assert error_of(tmp_path, text).startswith(":3: feeds[1].more: unknown key")


# ------------------------------------------------------------------ site


@pytest.mark.parametrize(
    ("site", "reason"),
    [
        ("ftp://x", "not an http(s) address: 'ftp://x'"),
        ("javascript:alert(1)", "not an http(s) address: 'javascript:alert(1)'"),
        ("file:///etc/passwd", "not an http(s) address: 'file:///etc/passwd'"),
        ("notaurlatall", "not an http(s) address: 'notaurlatall'"),
        ("https://", "URL has no host: 'https://'"),
        ("ftp://me:secret@x/", "not an http(s) address: 'ftp://me:***@x/'"),
    ],
)
def test_a_site_that_is_not_a_web_address_is_said_at_its_line_and_ignored(
    tmp_path: Path, site: str, reason: str
) -> None:
    # A warning, not an error: earlier imports wrote such sites, and refusing the file
    # would lock the user out of every command after an upgrade.
    path = write(
        tmp_path,
        "[[feeds]]\nurl = 'https://a.org/'\n\n"
        f"[[feeds]]\nurl = 'https://b.org/'\nsite = '{site}'\n",
    )
    config = load_config(path)
    assert [feed.html_url for feed in config.feeds] == [None, None]
    assert config.warnings == (f"{path}:6: feeds[2].site: {reason}; ignored",)


def test_an_empty_site_is_none_and_a_web_one_is_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[[feeds]]\nurl = 'https://a.org/'\nsite = ''\n"
        "[[feeds]]\nurl = 'https://b.org/'\nsite = '  '\n"
        "[[feeds]]\nurl = 'https://c.org/'\nsite = 'HTTPS://c.org/home'\n",
    )
    assert [feed.html_url for feed in load_config(path).feeds] == [
        None,
        None,
        "HTTPS://c.org/home",
    ]


# ------------------------------------------------------------------ keymap


def test_a_keymap_name_no_binding_has_is_a_warning_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[keymap]\nnext_unread = "N"\nnext_unred = "n"\nquit = "q"\nzzz = "z"\n',
    )
    config = load_config(path)
    # For the reader to show: commands (a cron `refresh --quiet`) say nothing of keys.
    assert config.warnings == ()
    assert config.ui.keymap_warnings == (
        f"{path}:3: keymap.next_unred: no such key binding (did you mean next_unread?); ignored",
        f"{path}:4: keymap.quit: no such key binding (did you mean back_or_quit?); ignored",
        f"{path}:5: keymap.zzz: no such key binding"
        " (ids name the reader's actions, like next_unread or dialog.yes); ignored",
    )
    assert config.ui.keymap["next_unread"] == "N"


def test_every_binding_of_the_reader_can_be_named_in_the_keymap() -> None:
    # config.py lists the ids itself (importing the UI would load Textual for every
    # command): this keeps the list in step with the reader's bindings.
    from tuinews.ui.app import binding_ids

    assert binding_ids() == KEYMAP_IDS


# ------------------------------------------------------------ user agent


@pytest.mark.parametrize(
    ("agent", "shown"),
    [
        ("Lecteur-Ünïcode/1.0", '"Lecteur-Ünïcode/1.0"'),
        ("reader\u200b/1", '"reader\\u200B/1"'),  # invisible, so shown escaped
    ],
)
def test_a_user_agent_that_is_not_ascii_is_said_at_its_line_and_the_default_used(
    tmp_path: Path, agent: str, shown: str
) -> None:
    # Said, not refused: earlier versions read it, and refusing the file would lock the
    # user out of every command after an upgrade.
    path = write(tmp_path, f'[refresh]\nuser_agent = "{agent}"\n')
    config = load_config(path)
    assert config.refresh.user_agent == RefreshSettings().user_agent
    assert config.warnings == (
        f"{path}:2: refresh.user_agent: expected printable ASCII (HTTP headers are), "
        f"got {shown}; the default is used",
    )


def test_refresh_with_a_user_agent_that_is_not_ascii_prints_one_line(cli: Cli) -> None:
    # It used to die with a UnicodeEncodeError traceback from httpx's Headers.
    cli.config.write_text(
        '[refresh]\nuser_agent = "Lecteur-Ünïcode/1.0"\n\n'
        f'[[feeds]]\nurl = "{closed_port_url()}"\n',
        encoding="utf-8",
    )
    said = (
        f"tuinews: {cli.config}:2: refresh.user_agent: expected printable ASCII"
        ' (HTTP headers are), got "Lecteur-Ünïcode/1.0"; the default is used'
    )
    result = cli.call("refresh")
    assert result.status == 1  # the feed's own failure
    assert result.err_lines[0] == said and "connection refused" in result.err_lines[1]
    assert "Traceback" not in result.err
    listed = cli.call("list")
    assert (listed.status, listed.err_lines) == (0, [said])
