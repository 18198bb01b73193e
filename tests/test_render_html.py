"""HTML bodies: each element kind, at the widths a terminal or reader pane may have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from tuinews.model import Article
from tuinews.render import Link, plain_text, render_article, render_body

WIDTHS = (40, 80, 120)


def article(content: str, **fields: object) -> Article:
    values: dict[str, object] = {
        "id": "0123456789abcdef",
        "feed": "https://news.example/feed.xml",
        "title": "A title",
        "link": "https://news.example/2026/story.html",
        "content": content,
        "content_type": "html",
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def body_text(content: str, width: int) -> str:
    return plain_text(render_article(article(content), header=False), width)


def assert_fits(text: str, width: int) -> None:
    for line in text.split("\n"):
        assert len(line) <= width, f"{len(line)} > {width}: {line!r}"


@pytest.mark.parametrize("width", WIDTHS)
def test_paragraphs_collapse_whitespace_and_wrap(width: int) -> None:
    words = " ".join(f"word{n}" for n in range(60))
    text = body_text(f"<p>First   paragraph\n\twith   spaces.</p><p>{words}</p>", width)
    assert "First paragraph with spaces." in text
    assert "\n\nword0 word1" in text  # a blank line between paragraphs
    assert "word59" in text
    assert_fits(text, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_headings_are_their_own_blocks(width: int) -> None:
    text = body_text("<h1>Big news</h1><p>Body</p><h3>Smaller</h3>text", width)
    assert text.split("\n\n")[:3] == ["Big news", "Body", "Smaller"]


@pytest.mark.parametrize("width", WIDTHS)
def test_nested_lists_have_bullets_numbers_and_indentation(width: int) -> None:
    html = """<ul><li>apple<ul><li>green</li><li>red<ol><li>deep</li></ol></li></ul></li>
    <li>pear</li></ul><ol start="9"><li>nine</li><li>ten</li></ol>"""
    lines = body_text(html, width).split("\n")
    assert "• apple" in lines
    assert "  ◦ green" in lines
    assert "  ◦ red" in lines
    assert "    1. deep" in lines
    assert "• pear" in lines
    # Numbers are right-aligned so the item texts line up.
    assert " 9. nine" in lines
    assert "10. ten" in lines


def test_ordered_list_types_reversed_and_values() -> None:
    text = body_text(
        '<ol type="a"><li>x</li><li>y</li></ol><ol reversed><li>c</li><li>b</li><li>a</li></ol>'
        '<ol type="I"><li value="4">four</li><li>five</li></ol>',
        80,
    )
    for line in ("a. x", "b. y", "3. c", "1. a", "IV. four", " V. five"):
        assert line in text.split("\n")


def test_wrapped_list_item_keeps_hanging_indent() -> None:
    text = body_text("<ul><li>" + "lorem ipsum " * 10 + "</li></ul>", 40)
    lines = text.split("\n")
    assert lines[0].startswith("• lorem")
    assert all(line.startswith("  lorem") for line in lines[1:] if line)


@pytest.mark.parametrize("width", WIDTHS)
def test_block_quote_has_a_bar_on_every_line(width: int) -> None:
    html = "<p>before</p><blockquote><p>" + "quoted words " * 20 + "</p></blockquote>"
    lines = [line for line in body_text(html, width).split("\n") if "quoted" in line]
    assert len(lines) >= 2
    assert all(line.startswith("│ ") for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_code_is_kept_verbatim(width: int) -> None:
    code = "def f(x):\n    if x  >  1:\n\treturn   [x]\n\n    return  None"
    text = body_text(f"<p>intro</p><pre>\n{code}</pre>", width)
    for line in code.expandtabs(8).split("\n"):
        assert line.rstrip() in text.split("\n")


def test_long_code_lines_fold_at_the_width_without_losing_characters() -> None:
    line = "x = " + "".join(str(n % 10) for n in range(150))
    text = body_text(f"<pre><code>{line}</code></pre>", 40)
    pieces = text.strip("\n").split("\n")
    assert "".join(pieces) == line
    assert_fits(text, 40)


@pytest.mark.parametrize("width", WIDTHS)
def test_tables_fit_the_width(width: int) -> None:
    header = "".join(f"<th>Column {n}</th>" for n in range(6))
    row = "".join(f"<td>cell {n} with some longer text</td>" for n in range(6))
    text = body_text(f"<table><tr>{header}</tr><tr>{row}</tr><tr>{row}</tr></table>", width)
    assert_fits(text, width)
    flat = " ".join(text.split())
    assert "Column" in flat
    assert "cell" in flat and "longer" in flat


def test_table_cells_and_headers_appear() -> None:
    html = """<table><caption>Prices</caption><thead><tr><th>Fruit</th><th>Price</th></tr>
    </thead><tbody><tr><td>Apple</td><td>1 &euro;</td></tr><tr><td><a href="/pear">Pear</a>
    </td><td>2 €</td></tr></tbody></table>"""
    text = body_text(html, 80)
    assert "Prices" in text
    assert re.search(r"│ Fruit\s+│ Price\s+│", text)
    assert re.search(r"│ Apple\s+│ 1 €\s+│", text)
    assert "Pear[1]" in text


def test_table_words_stay_whole_while_another_column_has_room() -> None:
    prose = "a long description of the setting that wraps over several lines " * 3
    html = (
        "<table><tr><th>Setting</th><th>Meaning</th></tr>"
        f"<tr><td>internationalization_fallback</td><td>{prose}</td></tr></table>"
    )
    text = body_text(html, 80)
    assert_fits(text, 80)
    assert "internationalization_fallback" in text  # not cut at ten cells
    assert " ".join(prose.split()) in " ".join(re.sub(r"[│┌┐└┘├┤┬┴┼─]", " ", text).split())


def test_a_table_too_wide_for_any_grid_is_stacked() -> None:
    header = "".join(f"<th>h{n}</th>" for n in range(30))
    row = "".join(f"<td>v{n}</td>" for n in range(30))
    text = body_text(f"<table><tr>{header}</tr><tr>{row}</tr></table>", 40)
    assert_fits(text, 40)
    assert "h7: v7" in text.split("\n")


def test_nested_table_is_flattened_into_its_cell() -> None:
    html = "<table><tr><td>outer<table><tr><td>in1</td><td>in2</td></tr></table></td></tr></table>"
    text = body_text(html, 80)
    assert "outer" in text and "in1" in text and "in2" in text
    assert_fits(text, 80)


@pytest.mark.parametrize("width", WIDTHS)
def test_horizontal_rule_spans_the_width(width: int) -> None:
    text = body_text("<p>a</p><hr><p>b</p>", width)
    assert "─" * width in text.split("\n")


def test_images_show_alt_text_or_file_name() -> None:
    html = (
        '<p><img src="/img/a.png" alt="A cat"> <img src="https://cdn.example/p/sun%20set.jpg?x=1">'
        '<img src="data:image/png;base64,AAAA"></p>'
    )
    text = body_text(html, 80)
    assert "[image: A cat]" in text
    assert "[image: sun set.jpg]" in text
    assert "[image: image]" in text


def test_an_image_of_its_own_is_numbered_like_a_link_with_its_hover_text() -> None:
    # An article that is one comic had no link to open; its alt text was cut silently.
    html = (
        f'<p><img src="/comics/pox.png" alt="{"word " * 60}" title="The joke."></p>'
        '<p><a href="/big.png"><img src="/small.png" alt="thumb"></a>'
        '<img src="/px.gif" width="1" height="1"><img src="data:image/png;base64,AAAA"></p>'
    )
    rendered = render_article(article(html), header=False)
    text = " ".join(plain_text(rendered, 80).split())
    assert "word word…][1] The joke." in text
    assert "[image: thumb][2]" in text  # the link's number: the link wraps the image
    assert [link.url for link in rendered.links] == [
        "https://news.example/comics/pox.png",
        "https://news.example/big.png",
    ]


def test_a_long_alt_text_that_is_also_the_title_is_shown_once_and_whole() -> None:
    # xkcd's feed puts the punchline in both alt and title: it was shown cut, then again.
    joke = "People with all six of those names agree " * 6 + "except &quot;Trevor.&quot;"
    html = f'<p><img src="https://imgs.example/comics/pox.png" title="{joke}" alt="{joke}"></p>'
    rendered = render_article(article(html), header=False)
    text = " ".join(plain_text(rendered, 80).split())
    assert text.count("People with all six") == 6
    assert text.startswith("[image: pox.png][1] People with all six") and "Trevor." in text
    short = '<p><img src="/c.png" title="A cat" alt="A cat"></p>'
    assert " ".join(body_text(short, 80).split()).startswith("[image: A cat][1] Links:")


def test_a_one_pixel_tracker_leaves_no_placeholder() -> None:
    # Feedburner and golem.de end every article with a web bug: it showed as
    # "[image: oj0UrXDF22s]" glued to the last sentence.
    html = (
        '<p>She said so.<img src="http://feeds.feedburner.com/~r/JN/~4/oj0UrXDF22s" '
        'height="1" width="1" alt=""/></p>'
        '<img alt="" height="0" width="0" style="display:none" src="http://t.example/5148"/>'
    )
    rendered = render_article(article(html), header=False)
    text = plain_text(rendered, 80)
    assert "[image" not in text
    assert "She said so." in text
    assert rendered.links == []


def test_links_with_nothing_shown_inside_get_no_number() -> None:
    # TechCrunch's share buttons are icons; a tracker may sit inside a link: both showed
    # as bare "[10] [11]", numbers saying nothing of where they lead.
    html = (
        '<p>Story <a href="/more">read more</a>.</p>'
        '<p><a href="https://share.example/x"><svg><path d="M0"/></svg></a> '
        '<a href="https://share.example/y"> </a>'
        '<a href="https://ads.example/c"><img src="https://ads.example/p.gif" width="1" '
        'height="1"></a></p>'
    )
    rendered = render_article(article(html), header=False)
    assert [link.text for link in rendered.links] == ["read more"]
    assert "[2]" not in plain_text(rendered, 80)


def test_links_are_numbered_and_listed_with_absolute_urls() -> None:
    html = """<p><a href="/about">About</a>, <a href="other.html">other</a>,
    <a href="https://elsewhere.example/x">far</a>, <a href="/about">again</a>,
    <a href="#section">in page</a>, <a>no href</a>, <a href="mailto:a@b.example">mail</a></p>"""
    rendered = render_article(article(html), header=False)
    text = plain_text(rendered, 80)
    assert "About[1], other[2], far[3], again[1], in page, no href, mail[4]" in text
    assert rendered.links == [
        Link(1, "https://news.example/about", "About"),
        Link(2, "https://news.example/2026/other.html", "other"),
        Link(3, "https://elsewhere.example/x", "far"),
        Link(4, "mailto:a@b.example", "mail"),
    ]
    assert text.rstrip().endswith(
        "Links:\n[1] https://news.example/about\n[2] https://news.example/2026/other.html\n"
        "[3] https://elsewhere.example/x\n[4] mailto:a@b.example"
    )


def test_relative_links_fall_back_to_the_feed_url() -> None:
    rendered = render_article(article('<a href="x/y">y</a>', link=None), header=False)
    assert rendered.links[0].url == "https://news.example/x/y"
    local = article('<a href="x/y">y</a>', link=None, feed="/home/me/feeds/a.xml")
    assert render_article(local, header=False).links[0].url == "x/y"


def test_dangerous_link_schemes_are_listed_but_marked() -> None:
    html = """<a href="javascript:alert(1)">js</a> <a href="JavaScript:x">js2</a>
    <a href="data:text/html,hi">data</a> <a href="vbscript:x">vb</a> <a href="file:///etc/passwd">f</a>
    <a href="https://ok.example/">ok</a>"""
    rendered = render_article(article(html), header=False)
    text = plain_text(rendered, 100)
    assert [link.is_safe for link in rendered.links] == [False] * 5 + [True]
    assert "[1] javascript:alert(1) (not opened)" in text
    assert "[5] file:///etc/passwd (not opened)" in text
    assert "[6] https://ok.example/\n" in text + "\n"


@pytest.mark.parametrize("tag", ["script", "style", "iframe", "object", "noscript", "svg", "form"])
def test_active_and_invisible_content_is_dropped(tag: str) -> None:
    html = f"<p>before</p><{tag}>SECRET <b>hidden</b> <button>b</button></{tag}><p>after</p>"
    text = body_text(html, 80)
    assert "SECRET" not in text and "hidden" not in text
    assert "before" in text and "after" in text


def test_form_controls_and_embeds_are_dropped() -> None:
    html = '<p>a<input value="SECRET"><button>PRESS</button><embed src="x">b</p>'
    assert body_text(html, 80).strip() == "ab"


def test_entities_are_decoded() -> None:
    text = body_text("<p>&amp; &lt;b&gt; &eacute; &#233; &#x263A; &nbsp;x &mdash;</p>", 80)
    assert "& <b> é é ☺ \xa0x —" in text


def test_decoded_control_characters_are_stripped() -> None:
    html = "<p>a&#27;[2Jb&#x9b;c&#x1b;]52;c;AAAA&#7;d\u202eevil&#x202e;e&#0;f</p>"
    text = body_text(html, 80)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "ab" in text and "52;c" not in text  # whole escape sequences go
    assert "d" in text and "evil" in text


def test_markup_looking_text_is_shown_as_typed() -> None:
    html = "<p>[bold]x[/bold] [link=http://evil.example]click[/link] :smile:</p>"
    text = body_text(html, 80)
    assert "[bold]x[/bold] [link=http://evil.example]click[/link] :smile:" in text


def test_line_breaks_definition_lists_and_figures() -> None:
    html = """<p>line one<br>line two<br><br>line four</p>
    <dl><dt>Term</dt><dd>Its definition</dd></dl>
    <figure><img src="a.png" alt="chart"><figcaption>A caption</figcaption></figure>"""
    lines = body_text(html, 80).split("\n")
    assert lines[:4] == ["line one", "line two", "", "line four"]
    assert "Term" in lines
    assert "    Its definition" in lines
    assert "A caption" in lines


def test_inline_styles_are_applied_as_styles_not_text() -> None:
    rendered = render_body("<p><b>bold</b> and <em>em</em> and <code>code</code></p>")
    assert plain_text(rendered, 80).strip() == "bold and em and code"


@pytest.mark.parametrize("body", ["", "   ", "\n\t\n", "<p></p>", "<!-- only a comment -->"])
def test_empty_bodies_render_nothing(body: str) -> None:
    assert body_text(body, 80).strip() == ""


def test_empty_body_falls_back_to_the_summary() -> None:
    rendered = render_article(article("", summary="Just the summary."), header=False)
    assert plain_text(rendered, 80).strip() == "Just the summary."


def test_plain_text_without_tags_is_a_paragraph() -> None:
    assert body_text("Just some text &amp; more", 80).strip() == "Just some text & more"


def test_math_shows_its_tex_annotation_or_its_text() -> None:
    html = (
        '<p>n = <math><semantics><msup><mn>10</mn><mn>3</mn></msup><annotation encoding="'
        'application/x-tex">10^3</annotation></semantics></math>, and <math><mi>a</mi><mo>+</mo>'
        "<mi>b</mi></math></p>"
    )
    assert body_text(html, 80).strip() == "n = 10^3, and a+b"


@pytest.mark.parametrize("width", WIDTHS)
def test_wide_characters_wrap_within_the_width(width: int) -> None:
    text = body_text("<p>" + "中文字符和表情😀 " * 30 + "</p><ul><li>" + "日本語 " * 40, width)
    assert "中文字符和表情😀" in text
    for line in text.split("\n"):
        assert cell_len(line) <= width


def test_table_columns_share_the_width_by_need() -> None:
    long_text = "words " * 30
    html = f"<table><tr><td>id</td><td>{long_text}</td></tr><tr><td>2</td><td>x</td></tr></table>"
    lines = body_text(html, 60).split("\n")
    assert lines[1].startswith("│ id │ words")
    assert all(len(line) <= 60 for line in lines)


def test_articles_of_the_shared_corpus_render(corpus_feeds: Path) -> None:
    from tuinews.errors import SourceError
    from tuinews.sources.feeds import parse_feed

    rendered = 0
    for path in sorted(corpus_feeds.iterdir()):
        try:
            feed = parse_feed(path.read_bytes(), str(path))
        except SourceError:
            continue
        for item in feed.articles[:1]:
            text = plain_text(render_article(item), 60)
            assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), path.name
            assert all(cell_len(line) <= 60 for line in text.split("\n")), path.name
            rendered += 1
    assert rendered > 40


def test_a_link_around_blocks_numbers_the_last_block() -> None:
    html = '<a href="/story"><h2>Headline <img alt="photo"></h2></a><p>Next</p>'
    rendered = render_article(article(html), header=False)
    text = plain_text(rendered, 80)
    assert text.startswith("Headline [image: photo][1]\n\nNext")
    assert rendered.links[0].text == "Headline [image: photo]"


def test_spacer_paragraphs_and_runs_of_breaks_leave_one_blank_line() -> None:
    html = "<p>one</p><p>&nbsp;</p><p>\u200b</p><p>two<br><br><br><br><br>three</p>"
    assert body_text(html, 80).strip() == "one\n\ntwo\n\nthree"


def test_embedded_media_leave_a_numbered_placeholder() -> None:
    html = """<p>Watch:</p><iframe src="https://www.youtube.com/embed/abc">fallback</iframe>
    <video><source src="/v.mp4">Your browser cannot play this</video><iframe></iframe>"""
    rendered = render_article(article(html), header=False)
    text = plain_text(rendered, 80)
    assert "[embedded: www.youtube.com][1]" in text.split("\n")
    assert "[video: news.example][2]" in text.split("\n")
    assert "fallback" not in text and "Your browser" not in text
    assert [link.url for link in rendered.links] == [
        "https://www.youtube.com/embed/abc",
        "https://news.example/v.mp4",
    ]


def test_obfuscated_dangerous_schemes_are_still_caught() -> None:
    html = """<a href=" JaVaScRiPt:alert(1)">a</a> <a href="java&#x09;script:alert(2)">b</a>
    <a href="&#x6A;avascript:alert(3)">c</a> <a href="vbscript&#58;x">d</a>"""
    rendered = render_article(article(html), header=False)
    assert len(rendered.links) == 4
    assert not any(link.is_safe for link in rendered.links)
    assert plain_text(rendered, 80).count("(not opened)") == 4
