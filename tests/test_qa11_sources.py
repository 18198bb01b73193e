"""QA pass 11, subscription lists where feeds are expected: an OPML list fetched by a
refresh, imported from the web with relative addresses, or given to `add` as a file,
and an address typed without its scheme."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedserver import FeedServer, rss, static
from test_cli import Cli
from test_cli_subscriptions import feeds_in
from tuinews.errors import ConfigError, SourceError
from tuinews.sources.feeds import parse_feed
from tuinews.sources.opml import parse_opml_report
from tuinews.subscriptions import validate_feed_ref

LIST_REASON = "a subscription list, not a feed: add its feeds with `tuinews import`"
SAMPLE_FEED_NAMES = [
    "city-desk.rss",
    "field-journal.rdf",
    "articles",
    "lab-notes.atom",
    "release-notes.json",
    "terminal-hours.rss",
]


def opml(*outlines: str) -> bytes:
    body = "".join(f"<outline {outline}/>" for outline in outlines)
    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>List</title></head>'
        f"<body>{body}</body></opml>"
    ).encode()


# ------------------------------------------------- a refresh fetching an OPML list


@pytest.mark.parametrize("content_type", ["text/x-opml", "application/xml"])
def test_refreshing_an_opml_list_from_the_web_says_it_is_a_list_not_an_html_page(
    cli: Cli, server: FeedServer, sample_feeds: Path, content_type: str
) -> None:
    body = (sample_feeds / "subscriptions.opml").read_bytes()
    url = server.route("/subscriptions.opml", static(body, content_type=content_type))
    assert cli.call("add", url).status == 0  # add never fetches: it cannot know yet
    result = cli.call("refresh")
    assert result.status == 1
    assert f"tuinews: {url}: {LIST_REASON}" in result.err_lines
    assert "HTML" not in result.err


def test_an_opml_body_is_a_list_to_the_feed_parser_whatever_its_prolog() -> None:
    body = b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- exported -->\n"
    body += b"<OPML version='1.0'><head/></OPML>"
    with pytest.raises(SourceError) as caught:
        parse_feed(body, "http://lists.example/feeds.opml")
    assert caught.value.reason == LIST_REASON


# ------------------------------------------------- import of a list from the web


def test_import_from_the_web_resolves_relative_addresses_against_the_list(
    cli: Cli, server: FeedServer, sample_feeds: Path
) -> None:
    body = (sample_feeds / "subscriptions.opml").read_bytes()
    url = server.route("/lists/subscriptions.opml", static(body, content_type="text/x-opml"))
    result = cli.call("import", url)
    assert result.status == 0, result.err
    assert result.out.strip() == "imported 6 feeds"
    assert result.err == ""
    urls = [entry[0] for entry in feeds_in(cli.config)]
    assert urls == [server.url(f"/lists/{name}") for name in SAMPLE_FEED_NAMES]


def test_a_list_from_the_web_still_names_no_local_file(cli: Cli, server: FeedServer) -> None:
    secret = cli.root / "secret.rss"
    secret.write_bytes(rss(1))
    body = opml(
        'text="Rooted" xmlUrl="/etc/passwd"',
        'text="Up" xmlUrl="../../up.rss"',
        f'text="File" xmlUrl="{secret.as_uri()}"',
    )
    url = server.route("/lists/a/list.opml", static(body, content_type="text/x-opml"))
    result = cli.call("import", url)
    assert result.status == 0, result.err
    assert result.out.strip() == "imported 2 feeds (1 unusable entry skipped)"
    assert result.err_lines == [
        f"tuinews: {url}: skipped 'File': local file '{secret}' "
        "(a list from the web names web feeds only)"
    ]
    urls = [entry[0] for entry in feeds_in(cli.config)]
    # A path on the list's own server, never this computer's /etc/passwd.
    assert urls == [server.url("/etc/passwd"), server.url("/up.rss")]


def test_a_web_list_resolves_page_links_and_leaves_its_password_out_of_feed_urls() -> None:
    body = opml(
        'text="A" xmlUrl="a.rss" htmlUrl="/"',
        'text="B" xmlUrl="//cdn.example/b.rss" htmlUrl="javascript:alert(1)"',
    )
    # The name `import` gives a list shows its password as ***.
    subs, skipped = parse_opml_report(
        body, "https://me:***@lists.example/x/list.opml", local_files="none"
    )
    assert skipped == []
    assert [(sub.url, sub.html_url) for sub in subs] == [
        ("https://lists.example/x/a.rss", "https://lists.example/"),
        ("https://cdn.example/b.rss", None),
    ]


def test_a_local_list_keeps_its_entries_as_written(tmp_path: Path) -> None:
    body = opml('text="A" xmlUrl="missing.rss" htmlUrl="/site"')
    subs, skipped = parse_opml_report(body, str(tmp_path / "list.opml"), base=tmp_path)
    assert subs == []
    assert skipped == ["skipped 'A': relative URL 'missing.rss'"]


# ------------------------------------------------- add of a local OPML file


def test_add_refuses_a_local_opml_list_at_once(
    cli: Cli, sample_feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = sample_feeds / "subscriptions.opml"
    result = cli.call("add", str(listing))
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: {listing}: a subscription list, not a feed: "
        f"add its feeds with tuinews import {listing}"
    ]
    assert not cli.config.exists() or feeds_in(cli.config) == []
    # Found by content, and named as typed (quoted for the shell when it needs it).
    named = cli.root / "my feeds.txt"
    named.write_bytes(opml('text="A" xmlUrl="https://a.example/rss"'))
    monkeypatch.chdir(cli.root)
    result = cli.call("add", "my feeds.txt")
    assert result.err_lines == [
        "tuinews: my feeds.txt: a subscription list, not a feed: "
        "add its feeds with tuinews import 'my feeds.txt'"
    ]
    # The command it names works.
    assert cli.call("import", "my feeds.txt").status == 0


def test_add_refuses_a_newsboat_urls_file_but_takes_a_text_article(cli: Cli) -> None:
    urls = cli.root / "urls"
    urls.write_text('# mine\nhttps://a.example/rss news\n"query:Unread:unread = \\"yes\\""\n')
    result = cli.call("add", str(urls))
    assert result.err_lines == [
        f"tuinews: {urls}: a subscription list, not a feed: "
        f"add its feeds with tuinews import {urls}"
    ]
    note = cli.root / "note.txt"
    note.write_text("Links worth reading\nhttps://a.example/ is one\n")
    assert cli.call("add", str(note)).status == 0  # prose, one line aside: an article
    # Lines such as "File: minutes.txt" are no file:// addresses (a tester's find).
    files = cli.root / "files.txt"
    files.write_text("File: minutes.txt\nfile: agenda.txt\n")
    assert cli.call("add", str(files)).status == 0
    assert cli.call("import", str(urls)).status == 0


@pytest.mark.parametrize(
    "written",
    [
        "\ufeff# mine\nhttps://a.example/rss news\n".encode(),  # a Windows editor's mark
        "\ufeff# mine\nhttps://a.example/rss news\n".encode("utf-16-le"),
        b"https://a.example/rss news\nfile:///srv/feeds/local.xml\n",  # newsboat reads file:
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="A" '
        'xmlUrl="https://a.example/rss"/></body></opml>'.encode("utf-16-le"),
    ],
    ids=["utf-8 mark", "utf-16 mark", "file line", "utf-16 opml"],
)
def test_add_refuses_lists_in_other_encodings_and_with_file_lines(cli: Cli, written: bytes) -> None:
    """Each was subscribed as a feed, and every refresh made the list one text article."""
    listing = cli.root / "urls"
    listing.write_bytes(written)
    result = cli.call("add", str(listing))
    assert result.err_lines == [
        f"tuinews: {listing}: a subscription list, not a feed: "
        f"add its feeds with tuinews import {listing}"
    ]
    assert not cli.config.exists() or feeds_in(cli.config) == []


def test_add_still_takes_a_feed_file_and_a_folder(cli: Cli, sample_feeds: Path) -> None:
    assert cli.call("add", str(sample_feeds / "lab-notes.atom")).status == 0
    assert cli.call("add", str(sample_feeds / "articles")).status == 0
    assert len(feeds_in(cli.config)) == 2


def test_add_does_not_open_a_fifo_to_look_inside(cli: Cli) -> None:
    fifo = cli.root / "pipe.opml"
    os.mkfifo(fifo)
    result = cli.run("add", str(fifo))  # a subprocess: opening the FIFO would block it
    # Refused from its type alone: every refresh would fail on it.
    assert result.err_lines == [f"tuinews: not a regular file (a FIFO): '{fifo}'"]


# ------------------------------------------------- an address typed without http://


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("127.0.0.1:8711/feeds/lab-notes.atom", "http://127.0.0.1:8711/feeds/lab-notes.atom"),
        ("localhost:8080/rss", "http://localhost:8080/rss"),
        ("[::1]:8080/rss", "http://[::1]:8080/rss"),
        ("192.168.1.20/feed.xml", "http://192.168.1.20/feed.xml"),
        ("example.org:8080/feed.xml", "https://example.org:8080/feed.xml"),
    ],
)
def test_add_of_an_address_without_its_scheme_suggests_it_and_subscribes_nothing(
    cli: Cli, typed: str, meant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(cli.root)
    result = cli.call("add", typed)
    message = f"not a URL or an existing path: {typed!r} (did you mean {meant!r}?)"
    assert result.status == 1
    assert result.err_lines == [f"tuinews: {message}"]
    assert not cli.config.exists() or feeds_in(cli.config) == []
    # The reader's add dialog asks the same function.
    with pytest.raises(ConfigError) as caught:
        validate_feed_ref(typed)
    assert str(caught.value) == message


def test_a_folder_named_like_an_address_is_still_a_folder(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = cli.root / "127.0.0.1:8711" / "feeds" / "lab-notes.atom"
    feed.parent.mkdir(parents=True)
    feed.write_bytes(rss(1))
    monkeypatch.chdir(cli.root)
    assert cli.call("add", "127.0.0.1:8711/feeds/lab-notes.atom").status == 0
    assert [entry[0] for entry in feeds_in(cli.config)] == [str(feed)]


def test_a_missing_file_that_is_no_address_is_still_missing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(cli.root)
    result = cli.call("add", "1.2.3/x.rss")  # no IP address: a folder that is not there
    assert result.err_lines == [f"tuinews: no such file or directory: '{cli.root}/1.2.3/x.rss'"]


def test_a_web_list_whose_every_entry_is_skipped_is_not_called_no_opml(
    cli: Cli, server: FeedServer
) -> None:
    url = server.route(
        "/only-local.opml",
        static(opml('text="F" xmlUrl="file:///etc/passwd"'), content_type="text/x-opml"),
    )
    result = cli.call("import", url)
    assert result.status == 1
    assert (
        result.err.splitlines()[-1] == f"tuinews: {url}: the list names no usable feed (1 skipped)"
    )


def test_a_web_list_behind_a_password_keeps_it_for_its_relative_feeds(
    cli: Cli, server: FeedServer
) -> None:
    server.route(
        "/lists/mine.opml", static(opml('text="F" xmlUrl="f.xml"'), content_type="text/x-opml")
    )
    url = server.url("/lists/mine.opml").replace("http://", "http://me:secret@")
    assert cli.call("import", url).status == 0
    assert "http://me:secret@" in cli.config.read_text()
    assert cli.config.read_text().count("/lists/f.xml") == 1
