"""`tuinews add`, `remove`, `feeds`, `import`, `export`: the subscription list by command."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from feedserver import rss
from test_cli import TUINEWS, Cli, run_in_terminal
from tuinews.store import Store

HAND_WRITTEN = """\
# My reading list, kept by hand.

[refresh]
timeout = 20  # slow hosts

# Morning news
[[feeds]]
url = "https://news.example.com/rss"
title = "Morning"
tags = ["news"]

[[feeds]]
url = "https://blog.example.org/atom.xml"  # a friend's blog
"""


def feeds_in(path: Path) -> list[tuple[str, str | None, tuple[str, ...]]]:
    document = tomllib.loads(path.read_text())
    return [
        (entry["url"], entry.get("title"), tuple(entry.get("tags", ())))
        for entry in document.get("feeds", [])
    ]


def test_add_keeps_comments_and_order(cli: Cli, sample_feeds: Path) -> None:
    cli.config.write_text(HAND_WRITTEN)
    added = cli.call(
        "add", "HTTPS://Podcast.Example.net/feed", "--title", "Pod", "--tag", "audio", "--tag", "x"
    )
    assert added.status == 0, added.err
    assert "https://podcast.example.net/feed" in added.out
    local = cli.call("add", str(sample_feeds / "city-desk.rss"))
    assert local.status == 0, local.err
    text = cli.config.read_text()
    assert text.startswith(HAND_WRITTEN.rstrip("\n"))
    assert "# a friend's blog" in text and "timeout = 20  # slow hosts" in text
    assert feeds_in(cli.config) == [
        ("https://news.example.com/rss", "Morning", ("news",)),
        ("https://blog.example.org/atom.xml", None, ()),
        ("https://podcast.example.net/feed", "Pod", ("audio", "x")),
        (str(sample_feeds / "city-desk.rss"), None, ()),
    ]
    again = cli.call("add", "https://podcast.example.net/feed")
    assert again.status == 1
    assert again.err_lines == ["tuinews: already subscribed: https://podcast.example.net/feed"]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("not a url", "not a URL or an existing path"),
        ("ftp://example.com/feed", "unsupported URL scheme 'ftp'"),
        ("http://", "no host"),
        ("/no/such/dir/feed.xml", "/no/such/dir/feed.xml"),
        # URLs that used to be accepted, then broke every refresh:
        ("http://www..example.com/feed", "invalid host name 'www..example.com'"),
        ("http://127.0.0.1:99999/feed", "invalid port"),
        ("http://256.256.256.256/x", "invalid IP address '256.256.256.256'"),
        ("http://[zz]/x", "malformed URL"),
        ("http://" + "a" * 64 + ".example.com/feed", "invalid host name"),
        # went to the resolver at every refresh (a tester's find)
        ("http://%zz/", "invalid host name '%zz'"),
        ("http://a!b.example.com/", "invalid host name 'a!b.example.com'"),
        # handed to the resolver with its escape as it is, never found
        ("http://a%41b.example/", "invalid host name 'a%41b.example'"),
        ("http://-a-.example/", "invalid host name '-a-.example'"),
        # clean_url would have dropped the space and named another site
        ("http://exa mple.com/feed", "URL contains spaces"),
        # "connection refused" and "unresolvable" at every refresh (a tester's finds)
        ("http://example.org:0/feed", "invalid port"),
        ("https://xn--zz.example/feed", "invalid international host name 'xn--zz.example'"),
        # told "invalid port"
        ("http://::1/feed", "IPv6 address without brackets ([::1])"),
    ],
)
def test_add_rejects_bad_refs_and_leaves_config_alone(cli: Cli, typed: str, reason: str) -> None:
    cli.config.write_text(HAND_WRITTEN)
    result = cli.call("add", typed)
    assert result.status == 1
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("tuinews: ")
    assert reason in result.err
    assert result.out == ""
    assert cli.config.read_text() == HAND_WRITTEN


def test_add_through_the_script_with_flags(cli: Cli, tmp_path: Path) -> None:
    """--config/--db win over TUINEWS_CONFIG/TUINEWS_DB, before or after the command."""
    other = tmp_path / "other.toml"
    result = cli.run("--config", str(other), "add", "https://example.com/a.xml")
    assert result.status == 0, result.err
    result = cli.run("add", "https://example.com/b.xml", "--config", str(other))
    assert result.status == 0, result.err
    assert [url for url, _, _ in feeds_in(other)] == [
        "https://example.com/a.xml",
        "https://example.com/b.xml",
    ]
    assert cli.config.read_text() == ""  # the file TUINEWS_CONFIG names is left alone
    store = tmp_path / "elsewhere.db"
    listed = cli.run("feeds", "--config", str(other), "--db", str(store))
    assert listed.status == 0 and len(listed.out.splitlines()) == 2
    assert f"{store}: no such store yet (given by --db)" in listed.err
    assert not store.exists() and not cli.db.exists()


def test_remove_by_title_drops_articles(cli: Cli, sample_feeds: Path) -> None:
    cli.config.write_text(HAND_WRITTEN)
    assert cli.call("add", str(sample_feeds / "field-journal.rdf"), "--title", "Field").status == 0
    assert cli.run("refresh", "Field").status == 0
    assert len(cli.call("list").out.splitlines()) == 5
    removed = cli.call("remove", "Field")
    assert removed.status == 0, removed.err
    assert "Field" in removed.out
    assert cli.call("list").out == ""
    assert cli.config.read_text() == HAND_WRITTEN  # add then remove: back as it was
    assert [url for url, _, _ in feeds_in(cli.config)] == [
        "https://news.example.com/rss",
        "https://blog.example.org/atom.xml",
    ]
    by_url = cli.call("remove", "https://blog.example.org/atom.xml")
    assert by_url.status == 0
    assert "# Morning news" in cli.config.read_text()
    unknown = cli.call("remove", "Nothing like it")
    assert unknown.status == 1
    assert len(unknown.err_lines) == 1 and "Nothing like it" in unknown.err


def test_a_title_deleted_by_hand_no_longer_names_the_feed(cli: Cli, sample_feeds: Path) -> None:
    """The store kept the deleted title until something synced it, and `remove` took it
    while `feeds` and `list --feed` said no feed matches it."""
    feed = str(sample_feeds / "field-journal.rdf")
    assert cli.call("add", feed, "--title", "My Custom").status == 0
    assert cli.call("add", "https://b.example/rss").status == 0
    assert cli.call("refresh", "My Custom").status == 0  # the store now knows the title
    cli.config.write_text(cli.config.read_text().replace('title = "My Custom"\n', ""))
    removed = cli.call("remove", "My Custom")
    assert (removed.status, removed.err_lines) == (1, ["tuinews: no feed matches 'My Custom'"])
    assert [url for url, _, _ in feeds_in(cli.config)] == [feed, "https://b.example/rss"]


def test_remove_keeps_starred_articles_and_the_feed_leaves_the_table(
    cli: Cli, sample_feeds: Path
) -> None:
    assert cli.call("add", str(sample_feeds / "field-journal.rdf")).status == 0
    assert cli.run("refresh").status == 0
    first_id = json.loads(cli.call("list", "--json").out.splitlines()[0])["id"]
    with Store.open(cli.db) as store:
        found = store.find_article(first_id)
        assert found is not None
        store.set_starred(found.pk, True)
    # No title in the file: removed by the title the feed gives itself (as `feeds` shows).
    removed = cli.call("remove", "field journal", "--yes")  # a part of its title
    assert removed.status == 0, removed.err
    assert removed.out.strip().endswith("; its starred article stays")
    # Named as it was found, not by the file path that `feeds` never showed.
    assert removed.out.startswith("unsubscribed from Field Journal: weather"), removed.out
    starred = cli.call("list", "--starred", "--json").out.splitlines()
    assert [json.loads(line)["id"] for line in starred] == [first_id]
    assert len(cli.call("list").out.splitlines()) == 1
    assert "Field" not in cli.call("feeds").out


def summary_of_refresh(out: str) -> str:
    return out.splitlines()[-1].split(":")[0]


def test_a_removed_feed_kept_for_its_stars_is_named_alike_by_every_command(
    cli: Cli, tmp_path: Path
) -> None:
    """After `remove Tech`, `list --feed Tech` listed its kept articles while `refresh
    Tech` refreshed "Tech Weekly" (a part of whose title it is), saying nothing."""
    for name, title in (("tech", "Tech"), ("weekly", "Tech Weekly")):
        path = tmp_path / f"{name}.xml"
        path.write_bytes(rss(2, title=title, prefix=name))
        assert cli.call("add", str(path)).status == 0
    assert cli.run("refresh").status == 0
    tech_id = next(
        row["id"]
        for row in map(json.loads, cli.call("list", "--json").out.splitlines())
        if row["feed"] == "Tech"
    )
    with Store.open(cli.db) as store:
        found = store.find_article(tech_id)
        assert found is not None
        store.set_starred(found.pk, True)
    assert cli.call("remove", "Tech").status == 0
    listed = cli.call("list", "--feed", "Tech", "--json").out.splitlines()
    assert [json.loads(line)["id"] for line in listed] == [tech_id]
    refreshed = cli.run("refresh", "Tech")
    assert refreshed.status == 1
    assert refreshed.err == (
        "tuinews: 'Tech' is no longer among your feeds (removed; its starred articles are "
        "kept): nothing to refresh\n"
    )
    assert cli.run("refresh", "Tech Weekly").status == 0
    assert cli.run("refresh", "Weekly").status == 0  # a part of a title still names it
    # A part of both titles names the one subscribed, as before (a regression tester's).
    assert summary_of_refresh(cli.run("refresh", "Tec").out) == "1 feed"


def test_a_config_listing_a_feed_twice_warns_and_every_command_works(
    cli: Cli, sample_feeds: Path
) -> None:
    local = sample_feeds / "city-desk.rss"
    # Two spellings an older version kept apart, now one feed.
    cli.config.write_text(
        f'[[feeds]]\nurl = "{local}"\ntitle = "Desk"\n\n'
        '[[feeds]]\nurl = "http://h.example/feed.xml"\n\n'
        f'[[feeds]]\nurl = "file://{local}"\ntitle = "Desk again"\n'
    )
    warning = f"tuinews: {cli.config}:9: the same feed as line 2 (ignored; delete one of them)"
    Store.open(cli.db).close()  # a store there already: `feeds` would say it is not yet
    listed = cli.call("feeds")
    assert listed.status == 0, listed.err
    assert listed.err_lines == [warning]
    assert [line.split("\t")[0] for line in listed.out.splitlines()] == [
        "Desk",
        "http://h.example/feed.xml",
    ]
    assert cli.call("list").status == 0
    removed = cli.call("remove", "Desk")
    assert removed.status == 0, removed.err
    assert removed.err_lines == [warning]
    assert feeds_in(cli.config) == [("http://h.example/feed.xml", None, ())]
    assert cli.call("feeds").err == ""


def test_the_reader_can_take_the_warnings_to_show_them_itself(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from tuinews.commands.common import load_settings

    cli.config.write_text(
        '[[feeds]]\nurl = "http://h.example/a"\n[[feeds]]\nurl = "http://h.example/a#b"\n'
    )
    capsys.readouterr()
    quiet = load_settings(argparse.Namespace(config=str(cli.config)), print_warnings=False)
    assert capsys.readouterr().err == ""
    assert quiet.warnings == (
        f"{cli.config}:4: the same feed as line 2 (ignored; delete one of them)",
    )


def test_add_reads_feed_links_and_non_ascii_paths_as_browsers_do(cli: Cli) -> None:
    wrapped = cli.call("add", "feed://https://host.example/feed.xml")
    assert wrapped.status == 0, wrapped.err
    assert wrapped.out.startswith("subscribed to https://host.example/feed.xml;")
    assert cli.call("add", "http://host.example/€").status == 0
    again = cli.call("add", "http://host.example/%e2%82%ac")
    assert again.status == 1
    assert again.err_lines == ["tuinews: already subscribed: http://host.example/%E2%82%AC"]
    assert [url for url, _, _ in feeds_in(cli.config)] == [
        "https://host.example/feed.xml",
        "http://host.example/%E2%82%AC",
    ]


def test_messages_hide_a_feeds_password_and_the_settings_file_keeps_it(
    cli: Cli, tmp_path: Path
) -> None:
    added = cli.call("add", "http://user:pw@host.example/feed")
    assert added.status == 0, added.err
    assert (
        added.out
        == "subscribed to http://user:***@host.example/feed; `tuinews refresh` fetches it\n"
    )
    assert feeds_in(cli.config) == [("http://user:pw@host.example/feed", None, ())]
    again = cli.call("add", "HTTP://user:pw@HOST.example:80/feed")
    assert again.err_lines == ["tuinews: already subscribed: http://user:***@host.example/feed"]
    bad = cli.call("add", "http://user:pw@host.example:99999/feed")
    assert bad.status == 1 and "pw" not in bad.err and "user:***@" in bad.err
    listing = tmp_path / "secret.opml"
    listing.write_text(
        '<opml version="2.0"><body>'
        '<outline xmlUrl="http://me:hunter2@other.example:70000/rss"/>'
        '<outline text="Fine" xmlUrl="https://fine.example/rss"/></body></opml>'
    )
    imported = cli.call("import", str(listing))
    assert imported.status == 0, imported.err
    assert "hunter2" not in imported.err and "me:***@other.example" in imported.err
    removed = cli.call("remove", "http://user:pw@host.example/feed")
    assert removed.status == 0, removed.err
    assert removed.out == "unsubscribed from http://user:***@host.example/feed\n"
    # Typed without its scheme, the address is read as a path, shown with the password.
    typed = cli.call("add", "alice:s3cret@example.com/feed")
    assert typed.status == 1 and "s3cret" not in typed.err, typed.err
    assert typed.err_lines == [
        f"tuinews: no such file or directory: '{Path.cwd()}/alice:***@example.com/feed'"
    ]
    urls = tmp_path / "urls"
    urls.write_text(
        "https://fine.example/rss\nhhttps://alice:s3cret@private.example/feed2.xml\n"
        "https//alice:s3cret@private.example/feed.xml\n"
    )
    skipped = cli.call("import", str(urls))
    assert skipped.status == 0, skipped.err
    assert skipped.err_lines == [  # as the OPML list's skips show it
        f"tuinews: {urls}: skipped line 2 'hhttps://alice:***@private.example/feed2.xml': "
        "not an http(s) URL",
        f"tuinews: {urls}: skipped line 3 'https//alice:***@private.example/feed.xml': "
        "not an http(s) URL",
    ]


def test_a_url_shown_with_its_password_masked_names_its_feed(cli: Cli) -> None:
    # `feeds --json` and the "name one by its URL" hint show user:***@: typed back, that
    # named no feed.
    cli.config.write_text(
        '[[feeds]]\nurl = "https://me:s3cret@example.org/private.xml"\ntitle = "Private"\n\n'
        '[[feeds]]\nurl = "https://me:other@example.org/private.xml?v=2"\ntitle = "Private"\n'
    )
    several = cli.call("remove", "Private")
    assert several.status == 1 and "me:***@example.org/private.xml)," in several.err
    shown = json.loads(cli.call("feeds", "--json").out.splitlines()[0])["url"]
    assert shown == "https://me:***@example.org/private.xml"
    removed = cli.call("remove", shown)
    assert removed.status == 0, removed.err
    assert [url for url, _, _ in feeds_in(cli.config)] == [
        "https://me:other@example.org/private.xml?v=2"
    ]


def _news_and_kernel_news(cli: Cli) -> str:
    text = (
        '[[feeds]]\nurl = "https://example.org/news.xml"\ntitle = "News"\n\n'
        '[[feeds]]\nurl = "https://example.org/kernel.xml"\ntitle = "Kernel News"\n'
    )
    cli.config.write_text(text)
    return text


def test_a_feed_named_by_a_part_of_its_title_is_removed_only_when_the_user_says_so(
    cli: Cli,
) -> None:
    """`remove News` run again from the shell's history removed "Kernel News" and its
    articles without a word, once "News" was gone."""
    _news_and_kernel_news(cli)
    assert cli.call("remove", "News").status == 0  # the whole title: no question
    after = cli.config.read_text()
    refused = cli.call("remove", "News")
    assert refused.status == 1
    assert refused.err_lines == [
        "tuinews: 'News' is only a part of the name of Kernel News "
        "(https://example.org/kernel.xml): give its whole title or URL, or add --yes to "
        "remove it"
    ]
    assert cli.config.read_text() == after
    code, out = run_in_terminal(["remove", "news"], cli.env, answer=b"n\n")
    assert code == 1 and "unsubscribe and drop its articles? [y/N]" in out
    assert "Kernel News: not removed" in out and cli.config.read_text() == after
    code, out = run_in_terminal(["remove", "kernel"], cli.env, answer=b"y\n")
    assert code == 0 and "unsubscribed from Kernel News" in out
    assert feeds_in(cli.config) == []


@pytest.mark.parametrize("typed", [b"\x04", b"y\x04\x04"])
def test_ctrl_d_at_the_question_removes_nothing(cli: Cli, typed: bytes) -> None:
    # It left "not removed" glued to the question's line; "y" then Ctrl-D (twice, as a
    # terminal needs after text) removed the feed.
    text = _news_and_kernel_news(cli)
    code, out = run_in_terminal(["remove", "kern"], cli.env, answer=typed)
    assert code == 1 and cli.config.read_text() == text
    assert out.replace("\r", "").rstrip("\n").split("\n")[-1] == "tuinews: Kernel News: not removed"


def test_remove_yes_takes_a_part_of_a_title(cli: Cli) -> None:
    _news_and_kernel_news(cli)
    removed = cli.call("remove", "kernel", "--yes")
    assert (removed.status, removed.out) == (0, "unsubscribed from Kernel News\n")
    assert [url for url, _, _ in feeds_in(cli.config)] == ["https://example.org/news.xml"]


def test_adds_at_the_same_time_all_keep_their_feed(cli: Cli) -> None:
    # Each `add` reads, changes and replaces the file: without the lock, the last one
    # to replace it dropped what the others had added meanwhile.
    urls = [f"https://race.example/{n}.xml" for n in range(8)]
    processes = [
        subprocess.Popen([str(TUINEWS), "add", url], env=cli.env, stdout=subprocess.DEVNULL)
        for url in urls
    ]
    assert [p.wait(timeout=60) for p in processes] == [0] * len(urls)
    assert sorted(url for url, _, _ in feeds_in(cli.config)) == sorted(urls)


def test_feeds_table(cli: Cli, sample_feeds: Path) -> None:
    empty = cli.call("feeds")
    assert empty.status == 0 and "tuinews add" in empty.err
    cli.call("add", str(sample_feeds / "city-desk.rss"), "--tag", "news", "--tag", "local")
    cli.call("add", str(cli.root / "later.rss"))  # rejected: does not exist
    (cli.root / "gone.rss").write_text("<rss><channel><title>soon gone")
    assert cli.call("add", str(cli.root / "gone.rss"), "--title", "Broken").status == 0
    (cli.root / "gone.rss").unlink()
    assert cli.run("refresh").status == 1
    table = cli.call("feeds")
    assert table.status == 0
    rows = [line.split("\t") for line in table.out.splitlines()]
    assert [row[0] for row in rows] == ["The Port Alder Courier — City Desk", "Broken"]
    courier, broken = rows
    assert courier[1] == "news,local"
    assert courier[2] == "9/9"
    assert courier[3] != "never"
    assert courier[4] == ""
    assert broken[2] == "0/0" and broken[3] == "never" and broken[4]

    code, shown = run_in_terminal(["feeds"], {**cli.env, "NO_COLOR": "1"}, columns=120)
    assert code == 0
    for heading in ("Title", "Tags", "Unread/Total", "Last refresh", "Last error"):
        assert heading in shown
    assert "City Desk" in shown and "\x1b" not in shown

    # At 80 columns too: one line per feed, the date whole, the long title cut.
    code, shown = run_in_terminal(["feeds"], {**cli.env, "NO_COLOR": "1"}, columns=80)
    table, _, notes = shown.replace("\r", "").strip().partition("\n\n")
    lines = table.splitlines()
    assert code == 0 and len(lines) == 3, lines
    assert all(len(line) <= 80 for line in shown.replace("\r", "").splitlines())
    assert "Unread/Total" in lines[0] and "Last error" in lines[0]
    assert re.search(r"9/9 +\d{4}-\d\d-\d\d \d\d:\d\d", lines[1])
    assert "never" in lines[2] and lines[2].rstrip().endswith("…")  # the error, cut
    # ... and under the table in full.
    assert " ".join(notes.split()).startswith(f"Broken: {broken[4]}")

    # Narrower still: the error and the tags give way entirely; counts and dates never.
    for columns in (50, 44):
        code, shown = run_in_terminal(["feeds"], {**cli.env, "NO_COLOR": "1"}, columns=columns)
        table, _, notes = shown.replace("\r", "").strip().partition("\n\n")
        lines = table.splitlines()
        assert code == 0 and len(lines) == 3, lines
        assert " ".join(notes.split()).startswith(f"Broken: {broken[4]}")
        assert all(len(line) <= columns for line in lines)
        assert "Unread/Total" in lines[0] and "Last refresh" in lines[0]
        assert re.search(r"9/9 +\d{4}-\d\d-\d\d \d\d:\d\d", lines[1]), lines


def test_feeds_on_a_terminal_shows_short_tags(cli: Cli, sample_feeds: Path) -> None:
    # Tags of four letters or fewer once hid the column, however wide the terminal.
    cli.call("add", str(sample_feeds / "city-desk.rss"), "--tag", "dev")
    assert cli.run("refresh").status == 0
    code, shown = run_in_terminal(["feeds"], {**cli.env, "NO_COLOR": "1"}, columns=120)
    header, row = shown.replace("\r", "").strip().splitlines()[:2]
    assert code == 0 and "Tags" in header and " dev " in row


NESTED_OPML = """\
<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>mine</title></head>
  <body>
    <outline text="Top level" xmlUrl="https://top.example.com/feed"/>
    <outline text="Tech">
      <outline text="Languages">
        <outline text="Rust blog" type="rss" xmlUrl="https://blog.rust-lang.example/feed.xml"/>
      </outline>
      <outline title="Kernel" type="rss" xmlUrl="https://kernel.example.org/rss"/>
    </outline>
    <outline text="Bad entry" xmlUrl="gopher://old.example/feed"/>
  </body>
</opml>
"""


def test_import_opml_then_export_round_trips(cli: Cli, tmp_path: Path) -> None:
    listing = tmp_path / "mine.opml"
    listing.write_text(NESTED_OPML)
    cli.config.write_text("# keep me\n")
    result = cli.call("import", str(listing))
    assert result.status == 0
    # Every entry is accounted for: the one skipped is named and counted.
    assert result.out == "imported 3 feeds (1 unusable entry skipped)\n"
    assert len(result.err_lines) == 1 and "gopher" in result.err
    imported = feeds_in(cli.config)
    assert imported == [
        ("https://top.example.com/feed", "Top level", ()),
        ("https://blog.rust-lang.example/feed.xml", "Rust blog", ("Tech", "Languages")),
        ("https://kernel.example.org/rss", "Kernel", ("Tech",)),
    ]
    assert cli.config.read_text().startswith("# keep me\n")
    twice = cli.call("import", str(listing))
    assert twice.out == "imported 0 feeds (3 already subscribed, 1 unusable entry skipped)\n"

    exported = tmp_path / "out.opml"
    assert cli.call("export", "-o", str(exported)).status == 0
    to_stdout = cli.run("export")
    assert to_stdout.out.encode() == exported.read_bytes()
    assert b'version="2.0"' in exported.read_bytes()

    fresh = tmp_path / "fresh.toml"
    again = cli.call("--config", str(fresh), "import", str(exported))
    assert again.status == 0, again.err
    assert sorted(feeds_in(fresh)) == sorted(imported)


def test_import_newsboat_urls(cli: Cli, tmp_path: Path) -> None:
    urls = tmp_path / "urls"
    urls.write_text(
        "# newsboat urls\n"
        'https://one.example.com/feed tech "~One, the feed"\n'
        '\n"query:Unread:unread = \\"yes\\""\n'
        'https://two.example.org/rss "open source" tech\n'
        "https://three.example.net/atom\n"
    )
    result = cli.run("import", str(urls))
    assert result.status == 0, result.err
    assert result.out == "imported 3 feeds (1 unusable entry skipped)\n"  # the query
    assert feeds_in(cli.config) == [
        ("https://one.example.com/feed", "One, the feed", ("tech",)),
        ("https://two.example.org/rss", None, ("open source", "tech")),
        ("https://three.example.net/atom", None, ()),
    ]
    from_stdin = cli.run(
        "--config", str(tmp_path / "b.toml"), "import", "-", stdin=urls.read_bytes()
    )
    assert from_stdin.status == 0
    assert feeds_in(tmp_path / "b.toml") == feeds_in(cli.config)


def test_import_reads_a_latin1_urls_file_and_says_so_once(cli: Cli, tmp_path: Path) -> None:
    urls = tmp_path / "urls"
    urls.write_bytes(
        b'https://example.org/feed.xml "~Caf\xe9 cr\xe8me" n\xe9ws\n'
        b"https://example.org/other.xml \x93quoted\x94 \xe9t\xe9\n"
        # A line added later from a UTF-8 terminal stays UTF-8.
        + 'https://example.org/utf8.xml "~Stra\u00dfe"\n'.encode()
    )
    result = cli.call("import", str(urls))
    assert (result.status, result.out) == (0, "imported 3 feeds\n")
    assert result.err_lines == [f"tuinews: {urls}: not UTF-8 text; read as windows-1252 (Latin-1)"]
    assert feeds_in(cli.config) == [
        ("https://example.org/feed.xml", "Café crème", ("néws",)),
        ("https://example.org/other.xml", None, ("\u201cquoted\u201d", "été")),
        ("https://example.org/utf8.xml", "Straße", ()),
    ]
    # UTF-8, with or without a byte-order mark, or UTF-16 with one: nothing to say.
    for encoded in (
        'https://e.example/rss "~Café"\n'.encode(),
        'https://e.example/rss "~Café"\n'.encode("utf-8-sig"),
        'https://e.example/rss "~Café"\n'.encode("utf-16"),
    ):
        fresh = tmp_path / "fresh.toml"
        fresh.unlink(missing_ok=True)
        again = cli.run("--config", str(fresh), "import", "-", stdin=encoded)
        assert (again.status, again.err) == (0, "")
        assert feeds_in(fresh) == [("https://e.example/rss", "Café", ())]


def test_importing_a_text_file_says_once_that_it_is_no_list(cli: Cli, tmp_path: Path) -> None:
    cli.config.write_text(HAND_WRITTEN)
    notes = tmp_path / "notes.txt"
    notes.write_text("".join(f"some text line {n}\n" for n in range(1, 301)))
    said = f"tuinews: {notes}: not OPML or a newsboat urls file (no feed address in its 300 lines)"
    result = cli.call("import", str(notes))
    assert (result.status, result.out, result.err_lines) == (1, "", [said])
    piped = cli.run("import", "-", stdin=notes.read_bytes())
    assert (piped.status, piped.err_lines) == (1, [said.replace(str(notes), "-")])
    # Text with a stray address in it, in Latin-1: still one line, no word of encodings.
    notes.write_bytes(b"Caf\xe9 notes\nftp://files.example/\nto do: r\xe9ponse\n")
    latin = cli.call("import", str(notes))
    assert latin.err_lines == [said.replace("300 lines", "3 lines")]
    assert cli.config.read_text() == HAND_WRITTEN


def test_a_urls_file_with_a_few_bad_lines_names_each(cli: Cli, tmp_path: Path) -> None:
    urls = tmp_path / "urls"
    urls.write_text(
        "https://one.example/rss\nhttps//typo.example/rss\nwhoops\n"
        "https://two.example/rss\nexample.org/feed\n"
    )
    result = cli.call("import", str(urls))
    assert (result.status, result.out) == (0, "imported 2 feeds (3 unusable entries skipped)\n")
    assert result.err_lines == [
        f"tuinews: {urls}: skipped line 2 'https//typo.example/rss': not an http(s) URL",
        f"tuinews: {urls}: skipped line 3 'whoops': not an http(s) URL",
        f"tuinews: {urls}: skipped line 5 'example.org/feed': not an http(s) URL",
    ]
    # No feed at all, but every line meant as one: each is still named.
    urls.write_text('"query:Unread:unread = \\"yes\\""\nftp://files.example/feed\nmistake\n')
    nothing = cli.call("import", str(urls))
    assert nothing.status == 1
    assert [line.split(": ", 2)[2] for line in nothing.err_lines] == [
        "skipped line 1 'query:Unread:unread = \"yes\"': query feeds are not supported",
        "skipped line 2 'ftp://files.example/feed': not an http(s) URL",
        "skipped line 3 'mistake': not an http(s) URL",
        # As for an OPML list: the file was understood, and no entry was usable.
        "the list names no usable feed (3 skipped)",
    ]


def test_import_problems(cli: Cli, tmp_path: Path) -> None:
    cli.config.write_text(HAND_WRITTEN)
    missing = cli.call("import", str(tmp_path / "none.opml"))
    assert missing.status == 1
    assert missing.err_lines[0].startswith(f"tuinews: {tmp_path / 'none.opml'}: ")
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline")
    result = cli.call("import", str(broken))
    assert result.status == 1
    assert all(line.startswith(f"tuinews: {broken}: ") for line in result.err_lines)
    assert result.err_lines[-1].endswith("the list names no usable feed (1 skipped)")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n")
    nothing = cli.call("import", str(empty))
    assert nothing.status == 1 and "no feeds found" in nothing.err
    assert cli.config.read_text() == HAND_WRITTEN


def test_export_with_no_subscriptions_is_valid_opml(cli: Cli) -> None:
    result = cli.call("export")
    assert result.status == 0
    assert "<opml" in result.out and "</opml>" in result.out


def test_feeds_json_gives_scripts_exact_tags_and_state(cli: Cli, sample_feeds: Path) -> None:
    local = sample_feeds / "city-desk.rss"
    assert cli.call("add", str(local), "--tag", "News, world", "--tag", "local").status == 0
    (cli.root / "gone.rss").write_text("<rss><channel><title>soon gone")
    assert cli.call("add", str(cli.root / "gone.rss"), "--title", "Broken").status == 0
    (cli.root / "gone.rss").unlink()
    assert cli.run("refresh").status == 1
    assert cli.call("add", "https://news.example/feed").status == 0  # not fetched yet
    result = cli.call("feeds", "--json")
    assert result.status == 0
    courier, broken, untitled = (json.loads(line) for line in result.out.splitlines())
    assert untitled["title"] is None and untitled["url"] == "https://news.example/feed"
    assert courier["tags"] == ["News, world", "local"]  # the comma stays inside its tag
    assert (courier["unread"], courier["total"], courier["last_error"]) == (9, 9, None)
    assert courier["last_refresh"].endswith("Z") and courier["disabled"] is False
    assert broken["title"] == "Broken" and broken["last_refresh"] is None
    assert broken["failures"] == 1 and broken["last_error"]
    assert broken["last_error_at"].endswith("Z")


def test_export_names_untitled_feeds_and_refuses_a_folder(cli: Cli, sample_feeds: Path) -> None:
    assert cli.call("add", str(sample_feeds / "field-journal.rdf")).status == 0
    assert cli.run("refresh").status == 0
    exported = cli.call("export")
    # No title in the file: the feed's own title, as `tuinews feeds` shows it.
    assert 'text="Field Journal: weather and wild things on the Alder estuary"' in exported.out
    folder = cli.call("export", "-o", str(cli.root))
    assert folder.status == 1
    assert folder.err_lines == [f"tuinews: {cli.root}: is a folder; give a file name"]


def test_local_feeds_export_as_file_urls_and_import_back(cli: Cli, sample_feeds: Path) -> None:
    # Beside the list: an imported list may name local files in its own folder only.
    local = str(cli.root / "city-desk.rss")
    Path(local).write_bytes((sample_feeds / "city-desk.rss").read_bytes())
    assert cli.call("add", local, "--title", "Courier").status == 0
    exported = cli.root / "out.opml"
    assert cli.call("export", "-o", str(exported)).status == 0
    assert f'xmlUrl="{Path(local).as_uri()}"' in exported.read_text()
    other = cli.root / "other.toml"
    again = cli.call("--config", str(other), "import", str(exported))
    assert again.status == 0, again.err
    assert [url for url, _, _ in feeds_in(other)] == [local]


def test_add_says_what_is_wrong_with_a_mistyped_address_or_an_empty_tag(
    cli: Cli, sample_feeds: Path
) -> None:
    slashes = cli.call("add", "http:/example.org/feed")
    assert (slashes.status, slashes.err_lines) == (
        1,
        ["tuinews: malformed URL (expected http:// or https://): 'http:/example.org/feed'"],
    )
    empty_tag = cli.call("add", str(sample_feeds / "city-desk.rss"), "--tag", " ")
    assert (empty_tag.status, empty_tag.err_lines) == (
        2,
        ["tuinews: --tag ' ': a tag cannot be empty or blank"],
    )
    assert not cli.config.exists() or "city-desk" not in cli.config.read_text()


def test_feeds_names_untitled_feeds_by_host_and_end_of_path(cli: Cli) -> None:
    # Cut from the end, both read "http://feeds.example.org/some/long/path/…".
    for name in ("stall.xml", "stallbody.xml"):
        url = f"https://feeds.example.org/some/rather/long/path/to/the/{name}"
        assert cli.call("add", url).status == 0
    code, shown = run_in_terminal(["feeds"], {**cli.env, "NO_COLOR": "1"}, columns=80)
    assert code == 0
    assert "feeds.example.org/…/stall.xml" in shown
    assert "feeds.example.org/…/stallbody.xml" in shown


def test_add_writes_a_title_as_import_and_the_reader_read_it(cli: Cli) -> None:
    # Controls and escape sequences go, as from an imported list; a title of blanks is none.
    evil = cli.call("add", "https://a.example/rss", "--title", "Evil\x1b]0;pwned\x07 line\nbreak")
    blank = cli.call("add", "https://b.example/rss", "--title", "   ")
    assert (evil.status, blank.status) == (0, 0), evil.err + blank.err
    assert tomllib.loads(cli.config.read_text())["feeds"] == [
        {"url": "https://a.example/rss", "title": "Evil line break"},
        {"url": "https://b.example/rss"},
    ]


def test_import_of_an_empty_name_says_no_file_is_named(cli: Cli) -> None:
    for name in ("", "  "):
        result = cli.call("import", name)
        assert (result.status, result.err_lines) == (
            1,
            ["tuinews: import: no file named (give a file, an http(s) URL or -)"],
        )


def test_add_refuses_a_fifo_or_a_device_as_import_does(cli: Cli, tmp_path: Path) -> None:
    """A tester's find: `add` took a FIFO and /dev/null, on which every refresh then
    failed (import refuses them from a list)."""
    import os

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    fifo = cli.call("add", str(pipe))
    assert (fifo.status, fifo.err_lines) == (1, [f"tuinews: not a regular file (a FIFO): '{pipe}'"])
    device = cli.call("add", "/dev/null")
    assert device.err_lines == ["tuinews: not a regular file (a character device): '/dev/null'"]
    assert cli.call("feeds").out == ""  # nothing was subscribed


def _as_a_user(argv: list[str]) -> list[str]:
    """`argv` (a `tuinews` command) run by an unprivileged user: as root, through
    setpriv as nobody with the system's Python on this checkout (root writes any file)."""
    if os.geteuid() != 0:
        return [str(TUINEWS), *argv]
    setpriv, python = shutil.which("setpriv"), shutil.which("python3", path="/usr/bin")
    if setpriv is None or python is None:
        pytest.skip("no setpriv or /usr/bin/python3 to run as a user other than root")
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if version.stdout.strip() != "True":
        pytest.skip("the system's Python is older than 3.11")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python,
            "-m", "tuinews", *argv]  # fmt: skip


def test_add_refuses_a_settings_file_made_read_only_as_root_too(cli: Cli) -> None:
    """Root may write any file, but a file with no write permission at all says what
    its owner meant (`chmod 444`): add, import and remove left it alone only for other
    users (a tester's find)."""
    before = '[[feeds]]\nurl = "https://a.example/rss"\n'
    cli.config.write_text(before)
    cli.config.chmod(0o444)
    listing = cli.root / "list.opml"
    listing.write_text('<opml><body><outline xmlUrl="https://c.example/rss"/></body></opml>')
    for args in (["add", "https://b.example/rss"], ["import", str(listing)], ["remove", "a"]):
        result = cli.call(*args, "--yes") if args[0] == "remove" else cli.call(*args)
        assert result.err_lines == [f"tuinews: {cli.config}: cannot write: Permission denied"]
        assert cli.config.read_text() == before


def test_add_refuses_a_settings_file_made_read_only() -> None:
    """`add` replaced a read-only file (a rename over it needs only the folder's
    permission), and made the new one read-only again: the user's lock went unseen."""
    import site
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="tuinews-ro-"))  # tmp_path: root's own, 0700
    try:
        folder.chmod(0o777)
        config = folder / "config.toml"
        config.write_text('[[feeds]]\nurl = "https://a.example/rss"\n')
        config.chmod(0o444)
        roots = [str(Path(__file__).resolve().parents[1] / "src"), *site.getsitepackages()]
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(folder),
            "TUINEWS_CONFIG": str(config),
            "TUINEWS_DB": str(folder / "store.db"),
            "PYTHONPATH": os.pathsep.join(roots),
        }
        before = config.read_bytes()
        added = subprocess.run(
            _as_a_user(["add", "https://b.example/rss"]),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (added.returncode, added.stderr) == (
            1,
            f"tuinews: {config}: cannot write: Permission denied\n",
        )
        assert config.read_bytes() == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _folder_tree(document: bytes) -> list[tuple[str | None, object]]:
    """An OPML body as (folder, its contents) and (feed URL, None), in document order."""
    from lxml import etree

    def walk(element: etree._Element) -> list[tuple[str | None, object]]:
        return [
            (child.get("xmlUrl"), None) if child.get("xmlUrl") else (child.get("text"), walk(child))
            for child in element
        ]

    return walk(etree.fromstring(document).find("body"))


def test_export_nests_folders_as_the_imported_list_did_and_no_others(cli: Cli) -> None:
    """Tags alone could not say it: a feed in Tech and in Favourites came back with
    Favourites inside Tech, News inside Work and inside Home came back as one top
    folder News, and `add --tag work --tag urgent` was exported in work > urgent."""
    listing = cli.root / "list.opml"
    listing.write_text(
        '<opml version="2.0"><body>'
        '<outline text="Tech"><outline text="X" type="rss" xmlUrl="https://x.example/rss"/>'
        '<outline text="Y" type="rss" xmlUrl="https://y.example/rss"/></outline>'
        '<outline text="Favourites">'
        '<outline text="X" type="rss" xmlUrl="https://x.example/rss"/></outline>'
        '<outline text="Work"><outline text="News">'
        '<outline text="W1" type="rss" xmlUrl="https://w1.example/rss"/></outline></outline>'
        '<outline text="Home"><outline text="News">'
        '<outline text="H1" type="rss" xmlUrl="https://h1.example/rss"/></outline></outline>'
        "</body></opml>"
    )
    assert cli.call("import", str(listing)).status == 0
    assert tomllib.loads(cli.config.read_text())["folders"] == {"News": ["Work", "Home"]}
    assert cli.call("add", "https://z.example/rss", "--tag", "work", "--tag", "urgent").status == 0
    exported = cli.call("export", "-o", str(cli.root / "out.opml"))
    assert exported.status == 0, exported.err
    assert _folder_tree((cli.root / "out.opml").read_bytes()) == [
        ("Tech", [("https://x.example/rss", None), ("https://y.example/rss", None)]),
        ("Favourites", [("https://x.example/rss", None)]),
        ("Work", [("News", [("https://w1.example/rss", None)])]),
        ("Home", [("News", [("https://h1.example/rss", None)])]),
        ("work", [("https://z.example/rss", None)]),
        ("urgent", [("https://z.example/rss", None)]),
    ]
    # Imported again elsewhere, the export writes the same document.
    other = cli.root / "other.toml"
    assert cli.call("import", str(cli.root / "out.opml"), "--config", str(other)).status == 0
    again = cli.call("export", "--config", str(other))
    assert again.out.encode() == (cli.root / "out.opml").read_bytes()


def test_a_second_import_adds_to_the_nesting_noted(cli: Cli) -> None:
    cli.config.write_text('# mine\n[folders]\nNews = "Work"  # by hand\n')
    listing = cli.root / "list.opml"
    listing.write_text(
        '<opml version="2.0"><body><outline text="Home"><outline text="News">'
        '<outline text="H1" type="rss" xmlUrl="https://h1.example/rss"/></outline></outline>'
        '<outline text="Work"><outline text="News">'
        '<outline text="W1" type="rss" xmlUrl="https://w1.example/rss"/></outline></outline>'
        "</body></opml>"
    )
    assert cli.call("import", str(listing)).status == 0
    text = cli.config.read_text()
    assert text.startswith("# mine\n[folders]\nNews = ")
    assert tomllib.loads(text)["folders"] == {"News": ["Work", "Home"]}


def test_a_host_add_now_refuses_still_loads_from_the_settings_file(cli: Cli) -> None:
    """Refused when added or imported, but a settings file an older version wrote with
    such a feed keeps working (it stopped every command, `remove` of it too)."""
    cli.config.write_text('[[feeds]]\nurl = "http://news_site!/rss"\n')
    assert cli.call("feeds").status == 0
    listing = cli.root / "list.opml"
    listing.write_text(
        '<opml version="2.0"><body><outline text="A">'
        '<outline text="Odd" xmlUrl="http://a!b.example/rss"/></outline><outline text="B">'
        '<outline text="Odd" xmlUrl="http://a!b.example/rss"/></outline></body></opml>'
    )
    imported = cli.call("import", str(listing))
    assert imported.status == 1
    # Named once, though it stands in two folders (it was said and counted twice).
    assert imported.err_lines == [
        f"tuinews: {listing}: skipped 'Odd': URL has an invalid host name 'a!b.example': "
        "'http://a!b.example/rss'",
        f"tuinews: {listing}: the list names no usable feed (1 skipped)",
    ]
    assert cli.call("remove", "http://news_site!/rss").status == 0
    assert feeds_in(cli.config) == []


def test_a_store_moved_while_remove_asks_keeps_the_subscription(
    cli: Cli, sample_feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store moved away while `remove` waited at its prompt: the feed left the
    settings file, then its articles could not go ("not written", status 1), against
    the README's word that the subscription stays (a regression tester's find)."""
    from tuinews.commands import subscriptions_commands

    feed = str(sample_feeds / "field-journal.rdf")
    assert cli.call("add", feed, "--title", "Field").status == 0
    assert cli.call("refresh").status == 0
    before = cli.config.read_text()
    asked = subscriptions_commands._confirmed_name

    def answer_after_a_move(*args: object) -> str:
        cli.db.rename(cli.root / "moved.db")
        return asked(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(subscriptions_commands, "_confirmed_name", answer_after_a_move)
    removed = cli.call("remove", "Field")
    assert removed.status == 1
    assert removed.err_lines == [
        f"tuinews: {cli.db}: the store file was moved or deleted while open: not written"
    ]
    assert cli.config.read_text() == before


def test_an_import_merges_its_nesting_into_the_folders_table_where_it_stands(cli: Cli) -> None:
    """One save, the table left where the user put it (between feeds), its comment
    kept: tomlkit, once per folder, moved it to the end and took 24 s for 100 folders
    (a regression tester's finds)."""
    cli.config.write_text(
        '[[feeds]]\nurl = "https://q.example/feed"\n\n'
        '# where my folders sit\n[folders]\nNews = "Home"\n\n'
        '[[feeds]]\nurl = "https://r.example/feed"\n'
    )
    listing = cli.root / "list.opml"
    listing.write_text(
        '<opml version="2.0"><body><outline text="Work"><outline text="News">'
        '<outline text="W" type="rss" xmlUrl="https://w.example/rss"/></outline>'
        '<outline text="Deep"><outline text="Z" type="rss" xmlUrl="https://z.example/rss"/>'
        "</outline></outline></body></opml>"
    )
    assert cli.call("import", str(listing)).status == 0
    text = cli.config.read_text()
    assert text.startswith(
        '[[feeds]]\nurl = "https://q.example/feed"\n\n'
        '# where my folders sit\n[folders]\nNews = ["Home", "Work"]\nDeep = "Work"\n\n'
        '[[feeds]]\nurl = "https://r.example/feed"\n'
    )


def test_feeds_of_one_title_are_told_apart_by_their_address(cli: Cli, tmp_path: Path) -> None:
    """A site's Atom and JSON feeds have one title: the table showed two identical rows,
    and `remove TITLE` then asked for the address the table never showed."""
    atom = tmp_path / "site" / "index.atom"
    atom.parent.mkdir()
    atom.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Daring Fireball</title>'
        "<entry><id>a</id><title>One</title></entry></feed>"
    )
    json_feed = tmp_path / "site" / "feed.json"
    json_feed.write_text(
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Daring Fireball",'
        ' "items": [{"id": "a", "title": "One"}]}'
    )
    assert cli.call("add", str(atom)).status == 0
    assert cli.call("add", str(json_feed)).status == 0
    assert cli.run("refresh").status == 0
    for columns in (80, 120):
        code, shown = run_in_terminal(["feeds"], {**cli.env, "NO_COLOR": "1"}, columns=columns)
        rows = shown.replace("\r", "").strip().splitlines()[1:3]
        assert code == 0 and len(rows) == 2
        assert re.match(r"Daring Fireball \(…\S*/site/index\.atom\) ", rows[0]), rows
        assert re.match(r"Daring Fireball \(…\S*/site/feed\.json\) ", rows[1]), rows


def test_feeds_before_the_first_refresh_makes_no_store(cli: Cli) -> None:
    """Listing the subscriptions made an empty store in the data folder."""
    cli.config.write_text('[[feeds]]\nurl = "https://a.example/rss"\ntitle = "A"\n')
    env = {key: value for key, value in cli.env.items() if key != "TUINEWS_DB"}
    data = Path(env["XDG_DATA_HOME"])
    done = subprocess.run(
        [str(TUINEWS), "feeds"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split("\t")[:4] == ["A", "", "0/0", "never"]
    assert not (data / "tuinews" / "tuinews.db").exists()
