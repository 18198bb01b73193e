"""Any input renders without error, fits the width, and can never emit a control sequence."""

from __future__ import annotations

import io
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from tuinews.model import Article
from tuinews.render import plain_text, render_article

# Everything a terminal could act on: C0 (except newline), DEL, C1, bidi overrides.
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile("\x1b\\[[0-9;]*m")

FRAGMENTS = [
    "<p>", "</p>", "<div>", "</div>", "<ul>", "<ol start='3'>", "<ol type='i' reversed>", "<li>",
    "</li>", "</ul>", "</ol>", "<blockquote>", "</blockquote>", "<pre>", "</pre>", "<code>",
    "<table>", "<tr>", "<th>", "<td>", "</td>", "</tr>", "</table>", "<caption>", "<thead>",
    "<h1>", "</h1>", "<h4>", "<br>", "<hr>", "<b>", "</b>", "<em>", "<dl><dt>", "<dd>",
    "<a href='/rel'>", "<a href='javascript:alert(1)'>", "<a href='http://[::1'>", "</a>",
    "<a href='data:text/html,x'>", "<img src='/a/b.png'>", "<img alt='&#27;[31m'>",
    "<script>", "</script>", "<style>", "<svg>", "<iframe>", "<form>", "<input>", "<!--",
    "-->", "<![CDATA[", "]]>", "&amp;", "&#27;", "&#x1b;", "&#x9b;", "&#155;", "&#x202e;",
    "&#0;", "&#xd800;", "&#x110000;", "&nbsp;", "&lt;b&gt;", "[bold]", "[/bold]",
    "[link=http://evil]", "\x1b]52;c;QUFB\x07", "\x9b2J", "\u202e", "\t", "\n", "\r\n", "  ",
    "# ", "> ", "- ", "1. ", "```", "|a|b|\n|-|-|\n", "**", "_", "![x](y)", "[t](/u)",
    "\u4e2d\u6587", "\U0001f600", "e\u0301", "\u200d", "\ufe0f", "\u00ad", "\u2028",
]  # fmt: skip

html_ish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=60).map(
    "".join
)
any_text = st.text(max_size=300)
content_types = st.sampled_from(["html", "markdown", "text"])
widths = st.sampled_from([20, 27, 40, 80, 120])


def make_article(content: str, content_type: str, title: str) -> Article:
    return Article(
        id="fuzz",
        feed="https://news.example/feed.xml",
        title=title,
        link="https://news.example/a/b.html",
        author=title,
        feed_title=title,
        content=content,
        content_type=content_type,  # type: ignore[arg-type]
        dateline=title or None,
    )


def check_plain(article: Article, width: int) -> None:
    text = plain_text(render_article(article), width)
    assert not FORBIDDEN.search(text)
    for line in text.split("\n"):
        assert cell_len(line) <= width, (width, line)


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(content=html_ish, content_type=content_types, width=widths, title=any_text)
def test_html_like_input_renders_safely(
    content: str, content_type: str, width: int, title: str
) -> None:
    check_plain(make_article(content, content_type, title), width)


@FUZZ
@given(content=any_text, content_type=content_types, width=widths)
def test_arbitrary_text_renders_safely(content: str, content_type: str, width: int) -> None:
    check_plain(make_article(content, content_type, "t"), width)


@settings(max_examples=60, deadline=None)
@given(content=html_ish, content_type=content_types)
def test_colour_output_holds_only_style_sequences(content: str, content_type: str) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=60, color_system="truecolor", force_terminal=True)
    console.print(render_article(make_article(content, content_type, content[:40])))
    output = SGR.sub("", buffer.getvalue())
    assert not FORBIDDEN.search(output.replace("\n", ""))
