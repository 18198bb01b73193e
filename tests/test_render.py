"""Whole articles: header, Markdown and plain-text bodies, enclosures, hostile input."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from rich.console import Console

from tuinews.model import Article, Enclosure
from tuinews.render import RenderedArticle, plain_text, render_article, render_body

WIDTHS = (40, 80, 120)


def article(content: str = "<p>Body.</p>", **fields: object) -> Article:
    values: dict[str, object] = {
        "id": "0123456789abcdef",
        "feed": "https://news.example/feed.xml",
        "title": "A title",
        "link": "https://news.example/2026/story.html",
        "content": content,
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("width", WIDTHS)
def test_header_shows_title_feed_author_date_and_link(width: int) -> None:
    item = article(
        title="Storm hits the coast",
        feed_title="Daily News",
        author="Ann Writer",
        published=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        categories=("weather", "coast"),
    )
    text = plain_text(render_article(item), width)
    lines = text.split("\n")
    assert lines[0] == "Storm hits the coast"
    assert "Feed: Daily News" in lines
    assert "Author: Ann Writer" in lines
    assert "Date: 2026-11-24 09:30 UTC" in lines
    assert "Tags: weather, coast" in lines
    assert "https://news.example/2026/story.html" in " ".join(text.split())
    assert "─" * width in lines
    assert lines[-2:] == ["Body.", ""] or lines[-1] == "Body."


def test_dates_are_shown_in_local_time_with_its_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """As `list` and the headline list show them (the article said UTC beside a list in
    local time)."""
    paris = timezone(timedelta(hours=1))
    item = article(published=datetime(2026, 11, 24, 10, 30, tzinfo=paris))
    assert "Date: 2026-11-24 09:30 UTC" in plain_text(render_article(item), 80)  # TZ=UTC
    updated_only = article(updated=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    assert "Date: 2026-01-02 03:04 UTC" in plain_text(render_article(updated_only), 80)
    monkeypatch.setenv("TZ", "JST-9")  # POSIX form: no time zone database needed
    time.tzset()
    try:
        assert "Date: 2026-11-24 18:30 JST" in plain_text(render_article(item), 80)
        from tuinews.commands.common import short_date

        assert short_date(item.published) == "2026-11-24 18:30"
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_header_can_be_left_out() -> None:
    text = plain_text(render_article(article(title="Hidden title"), header=False), 80)
    assert "Hidden title" not in text
    assert text.strip() == "Body."


def test_right_to_left_articles_say_so() -> None:
    item = article(title="مرحبا", language="ar", direction="rtl")
    assert "Language: ar (right-to-left)" in plain_text(render_article(item), 80)


def test_enclosures_are_listed_with_type_size_and_a_number() -> None:
    item = article(
        '<p><a href="/a">first</a></p>',
        enclosures=(
            Enclosure("https://cdn.example/ep1.mp3", "audio/mpeg", 12_345_678),
            Enclosure("/small.ogg", None, 999),
        ),
    )
    rendered = render_article(item)
    text = plain_text(rendered, 120)
    # Numbered down the page: the header's enclosures come before the body's links.
    assert "Enclosure: https://cdn.example/ep1.mp3 (audio/mpeg, 12.3 MB) [1]" in text
    assert "Enclosure: /small.ogg (999 B) [2]" in text
    assert "first[3]" in text
    assert [link.url for link in rendered.links] == [
        "https://cdn.example/ep1.mp3",
        "https://news.example/small.ogg",
        "https://news.example/a",
    ]


@pytest.mark.parametrize("title", ["Roadworks", "東京の天気 ☀"])  # wide characters too
def test_an_address_too_long_for_a_line_starts_beside_its_label(title: str) -> None:
    long_link = "https://news.example/" + "/".join(f"section{n}" for n in range(12))
    text = plain_text(render_article(article("<p>x</p>", link=long_link, title=title)), 80)
    lines = text.splitlines()
    first = next(line for line in lines if line.startswith("Link:"))
    assert first == "Link: " + long_link[:74]  # not "Link:" alone, the address below
    assert "".join(lines[lines.index(first) + 1 :]).startswith(long_link[74:])


def test_title_and_fields_that_look_like_markup_show_as_typed() -> None:
    item = article(
        "<p>x</p>",
        title="[bold]x[/bold] [link=http://evil.example]y",
        feed_title="[red]feed",
        author="[/] :smile:",
    )
    text = plain_text(render_article(item), 120)
    assert "[bold]x[/bold] [link=http://evil.example]y" in text
    assert "Feed: [red]feed" in text
    assert "Author: [/] :smile:" in text


def test_colour_output_has_no_escape_other_than_styles() -> None:
    item = article("<p>a&#27;]0;pwned&#7;<b>bold</b> &#x9b;2J <a href='/x'>l</a></p>")
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system="truecolor", force_terminal=True)
    console.print(render_article(item).renderable)
    output = buffer.getvalue()
    assert "\x1b]" not in output and "\x07" not in output and "\x9b" not in output
    stripped = output.replace("\x1b[", "")
    assert "\x1b" not in stripped


def test_rendered_article_prints_directly() -> None:
    rendered = render_article(article())
    assert isinstance(rendered, RenderedArticle)
    assert "Body." in plain_text(rendered.renderable, 80)


# -- Markdown --------------------------------------------------------------------------


MARKDOWN = """# Heading

Some *emphasis* and a [link](/docs/page) and ![a chart](img/c.png).

- one
- two
  1. inner
  2. inner two

> quoted

```
code   kept
  as is
```

| Name | Value |
|------|-------|
| a    | 1     |

<script>alert(1)</script> <b>raw</b>

---
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_markdown_looks_like_the_same_html(width: int) -> None:
    rendered = render_article(article(MARKDOWN, content_type="markdown"), header=False)
    text = plain_text(rendered, width)
    lines = text.split("\n")
    assert lines[0] == "Heading"
    assert "link[1]" in text
    assert "[image: a chart]" in " ".join(text.split())
    assert "• one" in lines and "• two" in lines
    assert "  1. inner" in lines
    assert "│ quoted" in lines
    assert "code   kept" in lines and "  as is" in lines
    assert "Name" in text and "Value" in text
    assert "─" * width in lines
    assert rendered.links[0].url == "https://news.example/docs/page"


def test_raw_html_in_markdown_is_shown_as_text_not_interpreted() -> None:
    rendered = render_article(article(MARKDOWN, content_type="markdown"), header=False)
    text = plain_text(rendered, 120)
    assert "<script>alert(1)</script> <b>raw</b>" in text


def test_markdown_javascript_links_are_not_links() -> None:
    body = "[click](javascript:alert(1)) and [ok](https://ok.example)"
    rendered = render_article(article(body, content_type="markdown"), header=False)
    assert all(link.is_safe for link in rendered.links)
    assert "click" in plain_text(rendered, 80)


def test_markdown_and_html_render_alike() -> None:
    markdown = render_body("Para with **bold** and [a](https://x.example).", "markdown")
    html = render_body('<p>Para with <b>bold</b> and <a href="https://x.example">a</a>.</p>')
    assert plain_text(markdown, 60) == plain_text(html, 60)


# -- plain text ------------------------------------------------------------------------


TEXT_BODY = """The first paragraph of the story,
continued on a second line.

What happened next

Second paragraph under the subheading.

Reporting by Someone"""


@pytest.mark.parametrize("width", WIDTHS)
def test_plain_text_keeps_dateline_subheadings_and_paragraphs(width: int) -> None:
    item = article(TEXT_BODY, content_type="text", dateline="Kyiv", title="Plain story")
    text = plain_text(render_article(item), width)
    flat = " ".join(text.split())
    assert text.startswith("Plain story\n")
    assert "KYIV — The first paragraph of the story, continued on a second line." in flat
    blocks = text.split("\n\n")
    assert "What happened next" in blocks
    assert blocks[-1].strip() == "Reporting by Someone"


def test_plain_text_body_is_not_parsed_as_html() -> None:
    body = "Use <b>tags</b> &amp; [bold]markup[/bold] freely."
    text = plain_text(render_article(article(body, content_type="text"), header=False), 80)
    assert text.strip() == body


def test_plain_text_controls_are_stripped() -> None:
    body = "Evil \x1b]52;c;AAAA\x07 text\x9b and \u202eoverride."
    text = plain_text(render_article(article(body, content_type="text"), header=False), 80)
    assert not any(ch in text for ch in "\x1b\x07\x9b\u202e")


# -- hostile bodies --------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["html", "markdown"])
def test_deeply_nested_bodies_render(content_type: str) -> None:
    opening, closing = "<div><blockquote><ul><li>", "</li></ul></blockquote></div>"
    deep = {
        "html": opening * 5000 + "core" + closing * 5000,
        "markdown": "> " * 20000 + "core\n" + "- " * 5000 + "x",
    }[content_type]
    text = plain_text(render_article(article(deep, content_type=content_type)), 40)
    assert all(len(line) <= 40 for line in text.split("\n"))


def test_deep_lists_stay_readable_on_a_narrow_screen() -> None:
    html = "<ul><li>" * 30 + "deepest words here" + "</li></ul>" * 30
    text = plain_text(render_body(html), 30)
    assert "deepest words here" in " ".join(text.split())
    assert all(len(line) <= 30 for line in text.split("\n"))


def test_a_two_megabyte_body_renders() -> None:
    paragraph = "<p>" + "Lorem ipsum dolor sit amet, <b>consectetur</b> adipiscing. " * 40 + "</p>"
    body = paragraph * (2_000_000 // len(paragraph) + 1)
    rendered = render_article(article(body))
    console = Console(file=io.StringIO(), width=80, color_system=None)
    lines = console.render_lines(rendered.renderable, console.options.update(width=80))
    assert len(lines) > 20_000


def test_obfuscated_dangerous_schemes_are_still_refused() -> None:
    """Browsers ignore edge spaces/controls and inner tabs and newlines in a scheme."""
    from tuinews.render.links import is_unsafe_url

    for url in (" javascript:x", "java\tscript:alert(1)", "\x01javascript:x", "da\nta:text/html,x"):
        assert is_unsafe_url(url), url
    assert not is_unsafe_url(" https://example.com/ok")


def test_undrawable_astral_code_points_move_no_column_of_the_article() -> None:
    # U+1FFFE and friends: Rich counts a cell, tmux draws none, so every column after
    # one (a table's borders) was drawn a cell off. Shown as U+FFFD: one cell for both.
    from hostile import ODD_ASTRAL, terminal_columns, undrawable

    odd = ODD_ASTRAL
    content = (
        f"<p>Para{odd}graph 😀 漢字</p>"
        f"<table><tr><th>Na{odd}me</th><th>Value</th></tr>"
        f"<tr><td>a{odd}b</td><td>x{odd}</td></tr><tr><td>plain</td><td>y</td></tr></table>"
        f"<pre>co{odd}de</pre><ul><li>it{odd}em</li></ul>"
        f"<p><a href='https://a.example/{odd}x'>li{odd}nk</a></p>"
    )
    item = article(
        content,
        title=f"Ti{odd}tle",
        author=f"Au{odd}thor",
        feed_title=f"Fe{odd}ed",
        categories=(f"t{odd}ag",),
        enclosures=(Enclosure(url=f"https://a.example/{odd}.mp3", type="audio/mpeg"),),
    )
    rendered = render_article(item)
    for width in WIDTHS:
        text = plain_text(rendered, width)
        table = [line for line in text.split("\n") if line and line[0] in "┌│├└"]
        assert len(table) == 7
        assert {terminal_columns(line) for line in table} == {terminal_columns(table[0])}
        assert not undrawable(text)
        assert text.count("\ufffd") >= 9 * len(odd)
        assert "😀 漢字" in text
    # A link is shown as it is opened and copied: what a browser would send for it.
    encoded = "https://a.example/%F0%9F%BF%BE%F3%A0%82%80%F4%8F%BF%BF%F0%9F%BF%BD"
    assert [link.url for link in rendered.links] == [encoded + ".mp3", encoded + "x"]
    assert encoded + "x" in "".join(plain_text(rendered, 200).split())
