"""Plain-text articles as a news site's "save as text" writes them."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tuinews.sources.plaintext import PlainText, TextBlock, parse_plain_text, text_blocks

ARTICLE = (
    "\n\n  Ceasefire talks resume in Geneva  \n"
    "\n"
    "Ceasefire talks resume in Geneva\n"
    "KYIV\n"
    "\n"
    "Negotiators met on Tuesday\n"
    "for a second round.\n"
    "\n"
    "What comes next\n"
    "\n"
    "Officials said “nothing is agreed” until «everything» is agreed.\n"
)


def test_first_non_blank_line_is_the_title() -> None:
    assert parse_plain_text(ARTICLE).title == "Ceasefire talks resume in Geneva"


def test_lines_repeating_the_title_are_dropped() -> None:
    parsed = parse_plain_text(ARTICLE)
    assert "Ceasefire talks" not in parsed.body


def test_short_all_capitals_line_near_the_top_is_the_dateline() -> None:
    parsed = parse_plain_text(ARTICLE)
    assert parsed.dateline == "KYIV"
    assert "KYIV" not in parsed.body
    with_dash = parse_plain_text("Title\n\nNEW YORK —\n\nThe market fell.\n")
    assert with_dash.dateline == "NEW YORK —"
    assert with_dash.body == "The market fell."


def test_no_dateline_when_none_is_there() -> None:
    assert parse_plain_text("Title\n\nJust a paragraph.\n").dateline is None
    # An all-capitals line far down the article is not a dateline.
    late = "Title\n\nOne.\n\nTwo.\n\nThree.\n\nFour.\n\nFive.\n\nLONDON\n\nSix.\n"
    assert parse_plain_text(late).dateline is None


def test_lines_inside_a_paragraph_are_joined_and_paragraphs_separated_once() -> None:
    parsed = parse_plain_text(ARTICLE)
    assert parsed.body.split("\n\n")[0] == "Negotiators met on Tuesday for a second round."
    assert "\n\n\n" not in parsed.body


def test_lines_of_only_whitespace_count_as_blank() -> None:
    text = "Title\n\nFirst paragraph.\n\u00a0\u00a0 \t\nSecond paragraph.\n\u200b\nThird.\n"
    assert parse_plain_text(text).body == "First paragraph.\n\nSecond paragraph.\n\nThird."


def test_subheadings_are_short_unpunctuated_lines_between_blank_lines() -> None:
    blocks = text_blocks(parse_plain_text(ARTICLE).body)
    assert blocks == [
        TextBlock("paragraph", "Negotiators met on Tuesday for a second round."),
        TextBlock("subheading", "What comes next"),
        TextBlock("paragraph", "Officials said “nothing is agreed” until «everything» is agreed."),
    ]


def test_sentences_and_closing_lines_are_not_subheadings() -> None:
    body = 'He said: "Stop."\n\nIntroducing:\n\nText follows.\n\nReporting by Ana Lima'
    kinds = [block.kind for block in text_blocks(body)]
    assert kinds == ["paragraph", "paragraph", "paragraph", "paragraph"]


def test_text_blocks_accepts_raw_text_with_crlf() -> None:
    blocks = text_blocks("Intro line one\r\nline two.\r\n\r\nHeading\r\n\r\nBody.\r\n")
    assert blocks == [
        TextBlock("paragraph", "Intro line one line two."),
        TextBlock("subheading", "Heading"),
        TextBlock("paragraph", "Body."),
    ]


def test_quotes_and_non_ascii_letters_are_kept_exactly() -> None:
    text = "Élan über façade\n\n“Curly” ‘single’ «guillemets» „German“ naïve ç ü é 10\u00a0km.\n"
    parsed = parse_plain_text(text)
    assert parsed.title == "Élan über façade"
    assert parsed.body == "“Curly” ‘single’ «guillemets» „German“ naïve ç ü é 10\u00a0km."


def test_controls_and_bidi_overrides_are_stripped() -> None:
    text = "Safe\u202e title\x1b]52;c;evil\x07\n\nBody \x1b[2Jtext\u2066 here.\x9b\n"
    parsed = parse_plain_text(text)
    assert parsed == PlainText(title="Safe title", dateline=None, body="Body text here.")
    for block in text_blocks("a\x1b\x00b\u202a.\n"):
        assert block.text == "ab."


def test_empty_text_has_empty_title_and_body() -> None:
    assert parse_plain_text(" \n\u00a0\n") == PlainText(title="", dateline=None, body="")
    assert text_blocks("") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_parses_without_controls(text: str) -> None:
    parsed = parse_plain_text(text)
    for value in (parsed.title, parsed.dateline or ""):
        assert not any(unicodedata.category(ch) == "Cc" for ch in value)
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in parsed.body)
    assert "\n\n\n" not in parsed.body
    for block in text_blocks(parsed.body):
        assert block.text and "\n" not in block.text
