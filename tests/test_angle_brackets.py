"""A literal "<" in feed text: summaries, the search index and titles keep it.

Found by a QA pass against real feeds: `a &lt; b` in a description cut the summary at the
"<" and hid the rest from search, and RSS titles lost words written in angle brackets
(`The <dialog> element`, `Vec<String>`), which newsboat shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feedserver import FeedServer, static
from test_cli import Cli, json_lines
from tuinews.sources import sanitize

LT_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>LT</title><link>http://example.org/</link>
<description>d</description>
<item><guid>l1</guid><title>Why 5 &lt; 6 matters</title>
<description>If a &lt; b and b &lt; c then a &lt; c.</description></item>
<item><guid>l2</guid><title>The &lt;dialog&gt; element is here</title>
<description>&lt;p&gt;Use the &amp;lt;dialog&amp;gt; element.&lt;/p&gt;</description></item>
<item><guid>l3</guid><title>Haskell: x &lt;- getLine</title>
<description>&lt;p&gt;x &amp;lt;- getLine, and 3 &lt; 4 &lt;3 always&lt;/p&gt;</description></item>
<item><guid>l4</guid><title>Vec&lt;String&gt; in Rust</title>
<description>plain Vec&lt;String&gt; text</description></item>
<item><guid>l5</guid><title>5 &lt; 6 and a &lt;tag&gt; x</title><description>x</description></item>
<item><guid>l6</guid>
<title>&lt;b&gt;Bold&lt;/b&gt; &lt;a href="/x"&gt;linked&lt;/a&gt; title</title>
<description>&lt;b&gt;bold&lt;/b&gt; body&lt;!-- hidden --&gt;</description></item>
</channel></rss>
"""

LT_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>LT atom</title><id>urn:lt</id>
<updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:a1</id><title type="text">The &lt;dialog&gt; element and Vec&lt;String&gt;</title>
<updated>2024-01-01T00:00:00Z</updated>
<summary type="text">Text: a &lt; b, Vec&lt;String&gt; ok</summary></entry>
</feed>
"""


def _listed(cli: Cli, path: Path) -> dict[str, dict[str, object]]:
    result = cli.call("list", "--json", str(path))
    assert result.status == 0, result.err
    # Undated items keep document order: item N of the feed is "lN".
    return {f"l{record['index']}": record for record in json_lines(result.out)}


@pytest.fixture
def lt_feed(tmp_path: Path) -> Path:
    path = tmp_path / "lt.xml"
    path.write_bytes(LT_RSS)
    return path


def test_a_lone_less_than_sign_keeps_the_rest_of_the_summary(cli: Cli, lt_feed: Path) -> None:
    records = _listed(cli, lt_feed)
    assert records["l1"]["summary"] == "If a < b and b < c then a < c."
    assert records["l2"]["summary"] == "Use the <dialog> element."
    assert records["l3"]["summary"] == "x <- getLine, and 3 < 4 <3 always"
    assert records["l4"]["summary"] == "plain Vec text"  # HTML: <String> is a tag there
    assert records["l6"]["summary"] == "bold body"


def test_words_after_a_less_than_sign_are_searchable(
    cli: Cli, server: FeedServer, lt_feed: Path
) -> None:
    url = server.route("/lt", static(LT_RSS))
    cli.config.write_text(f'[[feeds]]\nurl = "{url}"\ntitle = "LT"\n')
    assert cli.run("refresh").status == 0
    for words, title in (("then", "Why 5 < 6 matters"), ("always", "Haskell: x <- getLine")):
        found = cli.call("list", "--search", words)
        assert found.status == 0, found.err
        assert title in found.out, (words, found.out)


def test_rss_titles_keep_words_in_angle_brackets(cli: Cli, lt_feed: Path) -> None:
    records = _listed(cli, lt_feed)
    titles = {guid: record["title"] for guid, record in records.items()}
    assert titles == {
        "l1": "Why 5 < 6 matters",
        "l2": "The <dialog> element is here",
        "l3": "Haskell: x <- getLine",
        "l4": "Vec<String> in Rust",
        "l5": "5 < 6 and a <tag> x",
        "l6": "Bold linked title",
    }
    # The plain listing shows the same titles.
    listed = cli.call("list", str(lt_feed)).out
    assert "The <dialog> element is here" in listed and "Vec<String> in Rust" in listed


def test_an_atom_text_title_keeps_its_angle_brackets(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "lt.atom"
    path.write_bytes(LT_ATOM)
    (record,) = _listed(cli, path).values()
    assert record["title"] == "The <dialog> element and Vec<String>"
    assert record["summary"] == "Text: a < b, Vec<String> ok"


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("The <dialog> element is here", "The <dialog> element is here"),
        ("Vec<String> in Rust", "Vec<String> in Rust"),
        ("5 < 6 and a <tag> x", "5 < 6 and a <tag> x"),
        ("Box<U> and Option<T>", "Box<U> and Option<T>"),  # <u> unclosed: a type, not HTML
        ("The <code> element", "The <code> element"),
        ("<b>Bold</b> title", "Bold title"),
        ("<B>Old</B> <FONT color=red>style</FONT>", "Old style"),
        ('<a href="/x">linked</a> <em class="e">text</em>', "linked text"),
        ("one<br/>two<BR>three", "one two three"),
        ("x<b/>y<img src=a.png>z<wbr>w", "xyzw"),
        ("Fish &amp; <i>Chips</i> &lt;3", "Fish & Chips <3"),
        ("a<!-- note -->b", "ab"),
        ("<dialog open>ok</dialog>", "<dialog open>ok</dialog>"),
    ],
)
def test_title_to_plain_strips_only_inline_html(title: str, shown: str) -> None:
    assert sanitize.title_to_plain(title) == shown


def test_title_to_plain_lets_no_control_through() -> None:
    # A sequence written with `&#27;` goes whole, as a raw one does.
    assert sanitize.title_to_plain("<b>a\x1b]0;pwned\x07</b> &#27;[31mred\u202e") == "a red"
    assert sanitize.title_to_plain("") == ""
    assert json.dumps(sanitize.title_to_plain("<span>\x9b2J x</span>")) == '"x"'


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("If a < b and b < c then a < c.", "If a < b and b < c then a < c."),
        ("for i < p and q > 0, stop", "for i < p and q > 0, stop"),
        ("x <- y, 3<4, <3, a <= b, a< p>b", "x <- y, 3<4, <3, a <= b, a< p>b"),
        ("wo<b>rd</b> <p>para</p><br/>next", "word para next"),
        ("a</>b a</ 5>c <!DOCTYPE html>d <?php x ?>e", "ab ac d e"),
        ("a<!-->b<!--->c<!-- x --!>d", "a b c d"),
        ("<p-x>custom</p-x> <scripts>s</scripts> <script>bad()</script>ok", "custom s ok"),
        ("cut short <a href=", "cut short"),
    ],
)
def test_html_to_plain_reads_a_less_than_sign_as_html5_does(html: str, text: str) -> None:
    assert sanitize.html_to_plain(html, 0) == text
    assert " ".join(sanitize.index_text(html).split()) == text
