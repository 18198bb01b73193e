"""newsboat `urls` files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuinews.errors import SourceError
from tuinews.model import Subscription
from tuinews.sources.newsboat import parse_newsboat_urls, parse_newsboat_urls_report

URLS = """\
# my feeds
https://example.org/feed.xml tech news

https://lwn.net/headlines/rss "~LWN.net" linux "kernel news"
http://blog.example.com/atom.xml "~Blog with \\"quotes\\"" personal   # trailing comment
"query:Unread articles:unread = \\"yes\\""
exec:~/bin/make-feed.sh
filter:~/bin/clean.sh:https://example.net/rss
javascript:alert(1)
https://example.org/feed.xml duplicate
"""


def test_urls_tags_and_titles() -> None:
    subs = parse_newsboat_urls(URLS, "urls")
    assert subs == [
        Subscription("https://example.org/feed.xml", None, ("tech", "news", "duplicate")),
        Subscription("https://lwn.net/headlines/rss", "LWN.net", ("linux", "kernel news")),
        Subscription("http://blog.example.com/atom.xml", 'Blog with "quotes"', ("personal",)),
    ]


def test_query_exec_filter_and_non_http_lines_are_reported() -> None:
    _, skipped = parse_newsboat_urls_report(URLS, "urls")
    assert len(skipped) == 4
    assert skipped[0].startswith("skipped line 6 'query:Unread articles")
    assert "query feeds are not supported" in skipped[0]
    assert "exec:" in skipped[1] and "filter:" in skipped[2]
    assert skipped[3] == "skipped line 9 'javascript:alert(1)': not an http(s) URL"


def test_comments_blank_lines_and_crlf() -> None:
    text = "# only comments\r\n\r\n   \r\nhttps://a.example/rss\r\n"
    assert parse_newsboat_urls(text, "urls") == [Subscription("https://a.example/rss")]


def test_controls_in_titles_and_tags_are_removed() -> None:
    text = 'https://a.example/rss "~Evil\x1b]0;pwned\x07 title" "t\u202eag"\n'
    [sub] = parse_newsboat_urls(text, "urls")
    assert sub.title == "Evil title"  # the whole escape sequence goes
    assert sub.tags == ("t ag",)


def test_unterminated_quote_does_not_crash() -> None:
    [sub] = parse_newsboat_urls('https://a.example/rss "~Half open\n', "urls")
    assert sub.title == "Half open"


def test_malformed_urls_are_reported_not_raised() -> None:
    subs, skipped = parse_newsboat_urls_report(
        "http://[zz]/x\nhttp://[::1/x\nhttps://ok.example/f\n", "urls"
    )
    assert [sub.url for sub in subs] == ["https://ok.example/f"]
    assert skipped == [
        "skipped line 1 'http://[zz]/x': malformed URL "
        "('zz' does not appear to be an IPv4 or IPv6 address)",
        "skipped line 2 'http://[::1/x': malformed URL (Invalid IPv6 URL)",
    ]


def test_file_urls_and_paths_are_local_feeds_when_the_list_is_a_file(tmp_path: Path) -> None:
    # Deep enough that the skipped lines are cut at 80 characters wherever tmp_path is.
    feed = tmp_path / ("d" * 80) / "feed.rss"
    feed.parent.mkdir()
    feed.write_text("<rss version='2.0'><channel><title>F</title></channel></rss>")
    text = f"{feed.as_uri()} a\n{feed} b\n"
    subs, skipped = parse_newsboat_urls_report(
        text, "urls", base=tmp_path / "lists", local_files="any_feed"
    )
    assert (subs, skipped) == ([Subscription(str(feed), None, ("a", "b"))], [])
    # Read from the web: no local file at all.
    _, skipped = parse_newsboat_urls_report(text, "urls", local_files="none")
    assert skipped == [
        f"skipped line 1 '{feed.as_uri()[:79]}…': local file '{feed}' "
        "(a list from the web names web feeds only)",
        f"skipped line 2 '{str(feed)[:79]}…': local file '{feed}' "
        "(a list from the web names web feeds only)",
    ]


def test_a_quoted_url_with_spaces_is_reported_not_changed() -> None:
    # `"https://e.example/a b.xml"` is one token; dropping the space named another feed.
    subs, skipped = parse_newsboat_urls_report(
        '"https://e.example/a b.xml" tag\nhttps://ok.example/f\n', "urls"
    )
    assert [sub.url for sub in subs] == ["https://ok.example/f"]
    assert skipped == ["skipped line 1 'https://e.example/a b.xml': URL contains spaces"]


def test_a_byte_order_mark_does_not_turn_the_first_comment_into_an_entry() -> None:
    # Notepad saves UTF-8 with a BOM: the first line is still a comment.
    subs, skipped = parse_newsboat_urls_report("\ufeff# my feeds\nhttps://a.example/rss\n", "urls")
    assert (subs, skipped) == ([Subscription("https://a.example/rss")], [])


def test_newsboats_hidden_tag_is_not_made_a_tag() -> None:
    # "!" hides a feed from newsboat's list (its articles still reach query feeds);
    # tuinews lists every feed, and a tag named "!" would mean nothing.
    subs = parse_newsboat_urls('https://example.org/feed.xml "!" tech\n', "urls")
    assert subs == [Subscription("https://example.org/feed.xml", None, ("tech",))]


def test_a_hidden_feed_is_imported_visible_and_said_once_per_feed() -> None:
    # Taken without a word until now: the user had chosen to hide it.
    text = 'https://a.example/rss\nhttps://me:pw@b.example/rss "!" tech ! "~B"\n'
    notes: list[str] = []
    subs, skipped = parse_newsboat_urls_report(text, "urls", notes=notes)
    assert subs == [
        Subscription("https://a.example/rss"),
        Subscription("https://me:pw@b.example/rss", "B", ("tech",)),
    ]
    assert skipped == []
    assert notes == [
        "line 2 'https://me:***@b.example/rss': newsboat's hidden-feed mark '!' is not "
        "supported; imported as a visible feed"
    ]


def test_text_that_is_no_urls_file_is_refused_as_a_whole() -> None:
    prose = "Note: call Bob\ne.g. tomorrow\n\n# a comment\nftp://files.example/x\n"
    with pytest.raises(SourceError) as refused:
        parse_newsboat_urls_report(prose, "notes.txt")
    assert str(refused.value) == (
        "notes.txt: not OPML or a newsboat urls file (no feed address in its 3 lines)"
    )
    # Addresses that are no feeds are a urls file's mistakes: each is named.
    meant = "ftp://files.example/x\nexample.org/feed\nwhoops\n"
    assert parse_newsboat_urls_report(meant, "urls") == (
        [],
        [
            "skipped line 1 'ftp://files.example/x': not an http(s) URL",
            "skipped line 2 'example.org/feed': not an http(s) URL",
            "skipped line 3 'whoops': not an http(s) URL",
        ],
    )


NO_USER = "nosuchuser-tuinews-test"


def test_a_title_put_first_or_an_unknown_users_path_is_skipped(tmp_path: Path) -> None:
    # `"~My Blog"` first reads as the home folder of a user "MyBlog": Path.expanduser
    # raised RuntimeError, a traceback that lost the whole list.
    text = f'https://a.example/rss news\n"~My Blog" news\n~{NO_USER}/feed.xml\n'
    subs, skipped = parse_newsboat_urls_report(text, "urls", base=tmp_path, local_files="any_feed")
    assert subs == [Subscription("https://a.example/rss", None, ("news",))]
    assert skipped == [
        "skipped line 2 '~My Blog': not a URL, nor a user's home folder "
        '(a "~title" goes after the URL)',
        f"skipped line 3 '~{NO_USER}/feed.xml': no such user '{NO_USER}' in '~{NO_USER}/feed.xml'",
    ]


def test_a_web_address_without_a_host_is_named_so() -> None:
    # A tester's find: "not an http(s) URL" of `http://`, which is one, with no host.
    _, skipped = parse_newsboat_urls_report("http://\nhttps:///feed.xml\n", "urls")
    assert skipped == [
        "skipped line 1 'http://': URL has no host",
        "skipped line 2 'https:///feed.xml': URL has no host",
    ]


def test_any_tag_starting_with_an_exclamation_mark_hides_a_newsboat_feed() -> None:
    # newsboat's manual names hidden feeds that way ("!ORF News (hidden)"): it was
    # imported as a folder of that name, the feed visible without a word.
    text = 'https://a.example/rss "!ORF News (hidden)" news\n'
    notes: list[str] = []
    subs, _ = parse_newsboat_urls_report(text, "urls", notes=notes)
    assert subs == [Subscription("https://a.example/rss", None, ("news",))]
    assert notes == [
        "line 1 'https://a.example/rss': newsboat's hidden-feed mark '!ORF News (hidden)' "
        "is not supported; imported as a visible feed"
    ]


def test_escapes_in_quoted_tags_read_as_newsboat_reads_them() -> None:
    # `\t` became "t" glued to the words around it ("tabthere").
    subs = parse_newsboat_urls('https://a.example/rss "tab\\there" "say \\"hi\\""\n', "urls")
    assert subs == [Subscription("https://a.example/rss", None, ("tab here", 'say "hi"'))]


def test_an_address_without_a_host_says_why_as_add_does() -> None:
    # "URL has no host" for an IPv6 address written without its brackets.
    text = (
        "http://::1/feed\nhttps://2001:db8::1/feed\nhttp://1.2.3.4:99999/x\nhttps://a.example/x\n"
    )
    _, skipped = parse_newsboat_urls_report(text, "urls")
    assert skipped == [
        "skipped line 1 'http://::1/feed': URL has an IPv6 address without brackets ([::1])",
        "skipped line 2 'https://2001:db8::1/feed': URL has an IPv6 address without brackets "
        "([2001:db8::1])",
        "skipped line 3 'http://1.2.3.4:99999/x': URL has an invalid port",
    ]
