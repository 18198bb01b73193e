"""sanitize: the fast paths give exactly what the plain regex passes give, on any string.

The reference functions below are the straightforward implementations the fast paths
replaced; hypothesis feeds both arbitrary text biased towards the characters that matter
(controls, separators, bidi controls, surrogates, markup, entities).
"""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tuinews.sources import sanitize
from tuinews.sources.feed_build import _escape_for_plain, summary_of

# The Basic Multilingual Plane's noncharacters: U+FDD0..U+FDEF, U+FFFE, U+FFFF.
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff"
_ODD = "\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff" + _NONCHARACTERS
_BODY_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_ODD}]")
_LINE_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_ODD}]")
_LINE_BREAKS = re.compile("[\u2028\u2029]")
# Characters a real (or hostile) feed string is made of, weighted towards the edge cases.
_INTERESTING = (
    "\x00\x01\x07\x08\t\n\x0b\x0c\r\x18\x1b\x1c\x1f \x7f\x80\x85\x90\x9b\x9c\x9d\x9f\xa0é—“”"
    "\u2028\u2029\\;0123mJ]"
    "\u202a\u202e\u2066\u2069\ufeff\ud800\udfff\u3000<>&;#!-[]/pPbrsciptCDATA"
    "\ufdd0\ufdef\ufffe\uffff\ufdcf\ufdf0\ufffd"
)
TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(_INTERESTING), st.characters()),
    max_size=60,
)
MARKUP = st.lists(
    st.one_of(
        TEXT,
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<br/>",
                "<b>",
                "</b>",
                "<!--",
                "-->",
                "<![CDATA[",
                "]]>",
                "<script>",
                "</script>",
                "<STYLE>",
                "&amp;",
                "&#27;",
                "&#x85;",
                "&nbsp;",
                "&lt;",
                "&#8230;",
                "&#8217;",
                "&quot;",
            ]
        ),
    ),
    max_size=12,
).map("".join)
# Text made of character references, whole, cut short and nested, among plain characters.
REFERENCES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                *(f"&{name};" for name in sanitize._COMMON_REFERENCES),
                "&amp;lt;",
                "&amp;amp;",
                "&amp;#8230;",
                "&copy;",
                "&#x2026;",
                "&#27;",
                "&#7;",
                "&amp",
                "&lt",
                "&#8230",
                "&#",
                "&",
                ";",
                "#39;",
                "amp;",
            ]
        ),
        st.text(max_size=3),
    ),
    max_size=8,
).map("".join)
PROPERTY = settings(max_examples=400, deadline=None)


_CSI_7BIT, _CSI_C1 = "\x1b[", "\x9b"
_STRING_STARTS_7BIT = "]PX^_"  # OSC, DCS, SOS, PM, APC after ESC
_STRING_STARTS_C1 = "\x90\x98\x9d\x9e\x9f"
_STRING_STOPS = "\x07\x18\x1a\x1b\x9c\n\r"


def _skip(value: str, index: int, low: str, high: str) -> int:
    while index < len(value) and low <= value[index] <= high:
        index += 1
    return index


def reference_strip_escapes(value: str) -> str:
    """Terminal escape sequences removed, read character by character (no regex)."""
    kept: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        following = value[index + 1 : index + 2]
        if value.startswith(_CSI_7BIT, index) or char == _CSI_C1:
            index += 2 if char == "\x1b" else 1
            index = _skip(value, index, "\x30", "\x3f")
            index = _skip(value, index, "\x20", "\x2f")
            index += 1 if "\x40" <= value[index : index + 1] <= "\x7e" else 0
        elif (char == "\x1b" and following and following in _STRING_STARTS_7BIT) or (
            char in _STRING_STARTS_C1
        ):
            index += 2 if char == "\x1b" else 1
            while index < len(value) and value[index] not in _STRING_STOPS:
                index += 1
            if value.startswith("\x1b\\", index):
                index += 2
            elif value[index : index + 1] in ("\x07", "\x9c"):
                index += 1
        elif char == "\x1b":
            index = _skip(value, index + 1, "\x20", "\x2f")
            index += 1 if "\x30" <= value[index : index + 1] <= "\x7e" else 0
        else:
            kept.append(char)
            index += 1
    return "".join(kept)


def reference_clean_text(value: str) -> str:
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_UNSAFE.sub("", reference_strip_escapes(value))


def reference_clean_line(value: str) -> str:
    if not value:
        return ""
    value = _LINE_UNSAFE.sub(" ", reference_strip_escapes(value))
    value = _LINE_BREAKS.sub(" ", value)
    return " ".join(value.split())


def reference_clean_url(value: str) -> str:
    if not value:
        return ""
    return "".join(_LINE_UNSAFE.sub("", reference_strip_escapes(value)).split())


def reference_html_to_plain(value: str, limit: int) -> str:
    text = value
    if "<" in text:
        text = sanitize._CDATA.sub(r"\1", text)
        text = sanitize._COMMENT.sub(" ", text)
        text = sanitize._SCRIPT_STYLE.sub(" ", text)
        text = sanitize._BLOCK_TAG.sub(" ", text)
        text = sanitize._TAG.sub("", text)
    # A reference to ESC is an ESC, so a whole escape sequence goes (html.unescape alone
    # drops the ESC and leaves the rest of the sequence as text).
    text = re.sub(r"&#(?:0*27(?![0-9])|[xX]0*1[bB](?![0-9a-fA-F]));?", "\x1b", text)
    text = re.sub(r"&#(?:0*7(?![0-9])|[xX]0*7(?![0-9a-fA-F]));?", "\x07", text)
    text = reference_clean_line(html.unescape(text))
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return text


def _is_safe(text: str, keep: str = "") -> bool:
    for char in text:
        code = ord(char)
        if char in keep:
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            return False
        if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or code == 0xFEFF:
            return False
        if 0xFDD0 <= code <= 0xFDEF or code in (0xFFFE, 0xFFFF):
            return False
    return True


@PROPERTY
@given(TEXT)
def test_clean_text_matches_reference_and_is_safe(value: str) -> None:
    cleaned = sanitize.clean_text(value)
    assert cleaned == reference_clean_text(value)
    assert _is_safe(cleaned, keep="\n\t")


@PROPERTY
@given(TEXT)
def test_clean_line_matches_reference_and_is_one_safe_line(value: str) -> None:
    cleaned = sanitize.clean_line(value)
    assert cleaned == reference_clean_line(value)
    assert _is_safe(cleaned)
    assert "\u2028" not in cleaned and "\u2029" not in cleaned


@PROPERTY
@given(TEXT)
def test_clean_url_matches_reference_and_has_no_whitespace(value: str) -> None:
    cleaned = sanitize.clean_url(value)
    assert cleaned == reference_clean_url(value)
    assert _is_safe(cleaned) and not any(char.isspace() for char in cleaned)


@PROPERTY
@given(MARKUP, st.sampled_from([0, 20, 500]))
def test_html_to_plain_matches_reference_and_is_safe(value: str, limit: int) -> None:
    digest = sanitize.html_to_plain(value, limit)
    assert digest == reference_html_to_plain(value, limit)
    assert _is_safe(digest)


@PROPERTY
@given(REFERENCES)
def test_unescape_decodes_as_html_unescape_does(value: str) -> None:
    # The escape references aside, which become the controls the cleaning drops whole.
    expected = re.sub(r"&#(?:0*27(?![0-9])|[xX]0*1[bB](?![0-9a-fA-F]));?", "\x1b", value)
    expected = re.sub(r"&#(?:0*7(?![0-9])|[xX]0*7(?![0-9a-fA-F]));?", "\x07", expected)
    assert sanitize.unescape(value) == html.unescape(expected)


def test_ascii_fast_paths_on_everyday_strings() -> None:
    assert sanitize.clean_text("a\tb\r\nc") == "a\tb\nc"
    assert sanitize.clean_text("a\x1b[31mred") == "ared"
    assert sanitize.clean_line("  one\ttwo\x1fthree\x01four  ") == "one two three four"
    assert sanitize.clean_url(" https://example.com/a\n b \x7f") == "https://example.com/ab"


def test_entities_are_decoded_before_controls_are_dropped() -> None:
    # An escape sequence written with `&#27;` goes whole, as a raw one does (html.unescape
    # alone drops the ESC, and "]0;pwned" was left as text).
    assert sanitize.clean_entity_line("a&#27;]0;pwned&#7;b") == "ab"
    assert sanitize.clean_entity_line("E1&#x1B;[31mENT&#27;[0m") == "E1ENT"
    assert sanitize.clean_entity_line("&#77;&#x7a;&#270;") == "MzĎ"  # not ESC or BEL
    assert sanitize.clean_entity_line("a\x1b]0;pwned\x07b &amp; c") == "ab & c"
    # U+202E becomes a space; &#155; is windows-1252's "›", as browsers read it.
    assert sanitize.html_to_plain("<p>x&#x202e;y&#155;z</p>") == "x y›z"


# Long bodies: the summary reads only a prefix, which must not change what it says.
LONG_BODY = st.lists(
    st.one_of(
        st.sampled_from(["word ", "longerword ", "x", " ", "\n", "é—", "<p>", "</p>"]),
        st.sampled_from(["<b>", "</b>", "<!-- c -->", "<script>x</script>", "&amp;", "&notin;"]),
        st.sampled_from(["&#12345;", "&noti", "&am", "<p class='a'>", "<", "&", "\x1b"]),
        st.text(max_size=8),
    ),
    min_size=50,
    max_size=700,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(LONG_BODY, st.booleans())
def test_summary_of_a_prefix_equals_the_summary_of_the_whole_body(body: str, is_html: bool) -> None:
    whole = body if is_html else _escape_for_plain(body)
    assert summary_of(body, is_html) == sanitize.html_to_plain(whole[:32_000])


HOSTILE_TITLE = "Evil \x1b]0;PWNED\x07\x1b[31mRED\x1b[0m bell \x1b[2J"


def test_whole_escape_sequences_leave_nothing_visible() -> None:
    assert sanitize.clean_line(HOSTILE_TITLE) == "Evil RED bell"
    assert sanitize.clean_line(HOSTILE_TITLE + " — é") == "Evil RED bell — é"
    assert sanitize.clean_text(HOSTILE_TITLE + "\nnext") == "Evil RED bell \nnext"
    assert sanitize.clean_url("https://a.example/\x1b[31mx\x1b]8;;y\x1b\\") == "https://a.example/x"
    # OSC 52 (clipboard) ended by ST, DCS, APC, two-byte and charset sequences.
    assert sanitize.clean_line("a\x1b]52;c;cHduZWQ=\x1b\\b") == "ab"
    assert sanitize.clean_line("a\x1bP1$qm\x1b\\b\x1b_apc\x1b\\c") == "abc"
    assert sanitize.clean_line("a\x1bcb\x1b7c\x1b(Bd\x1b#8e") == "abcde"
    # The one-character C1 forms: CSI, OSC ended by ST, DCS.
    assert sanitize.clean_line("é\x9b1;31mred\x9d0;title\x9cok\x90q\x9c!") == "éredok!"
    # A sequence cut short at the end goes too; an unended string stops at a line end.
    assert sanitize.clean_line("end\x1b[3") == "end"
    assert sanitize.clean_text("a\x1b]0;lost\nkept") == "a\nkept"


def test_noncharacters_are_dropped() -> None:
    # Never text (XML forbids U+FFFE/U+FFFF): Rich counts each as a cell, tmux and other
    # terminals draw nothing, and the rest of the row (pane borders, the next pane) then
    # lands columns off. A copied link must not carry one either.
    for char in ("\ufdd0", "\ufdef", "\ufffe", "\uffff"):
        # On one line it becomes a space, as controls do.
        assert sanitize.clean_line(f"a{char}b é") == "a b é", hex(ord(char))
        assert sanitize.clean_text(f"a{char}b\né") == "ab\né", hex(ord(char))
        assert sanitize.clean_url(f"https://a.example/{char}é") == "https://a.example/é"
        assert sanitize.html_to_plain(f"<p>a{char}b</p>") == "a b"
    assert (
        sanitize.clean_line("\ufdcf \ufdf0 \ufffd \U0001fffd") == "\ufdcf \ufdf0 \ufffd \U0001fffd"
    )


def test_index_text_drops_sequences_a_reference_decodes_to() -> None:
    # &#155; is "›" (windows-1252), not CSI; a raw C1 CSI in decoded text is one.
    assert sanitize.index_text("x &#233; \x9b2Jy") == "x é y"


def test_passwords_in_urls_are_hidden() -> None:
    assert sanitize.without_password("https://me:s3cret@host.example/feed") == (
        "https://me:***@host.example/feed"
    )
    assert sanitize.without_password("https://host.example/a@b") == "https://host.example/a@b"
    assert (
        sanitize.without_password("socks5h://u:p@127.0.0.1:9050")
        == "socks5h://u:***@127.0.0.1:9050"
    )
    assert sanitize.without_password("Plain title") == "Plain title"
    # Typed without `scheme://`, and the path `add` makes of such a typing.
    assert sanitize.without_password("me:s3cret@host.example/feed") == "me:***@host.example/feed"
    assert sanitize.without_password("/home/a/me:s3cret@host/f") == "/home/a/me:***@host/f"
    assert sanitize.without_password("https//me:s3cret@host/f") == "https//me:***@host/f"
    # In a URL, `:` and `@` in the path or query are no password.
    query = "https://host.example/search?q=from:ann@example.org"
    assert sanitize.without_password(query) == query
    assert sanitize.without_password("Contact: ann@example.org") == "Contact: ann@example.org"
    # Testers' finds: a title is no typed address; a password may hold an "@" (the
    # client splits at the last one), which must not leave half of it shown.
    title = "list:dev@lists.example.org archive"
    assert sanitize.without_password(title) == title
    assert sanitize.without_password("http://u:hunter@secret99@127.0.0.1:8/y") == (
        "http://u:***@127.0.0.1:8/y"
    )
    assert sanitize.without_password("http://u:p@host?x=a@b") == "http://u:***@host?x=a@b"
    assert sanitize.passwords_masked("x: http://u:hunter@secret99@h/f: refused") == (
        "x: http://u:***@h/f: refused"
    )
    # A user name that is an e-mail address; titles without spaces; a typed address.
    assert sanitize.without_password("http://me@mail.com:S3CRET@127.0.0.1:9/feed") == (
        "http://me@mail.com:***@127.0.0.1:9/feed"
    )
    assert sanitize.without_password("http://user@host:8080/x") == "http://user@host:8080/x"
    for title in ("list:dev@lists.example.org", "Re:Invent@AWS"):
        assert sanitize.without_password(title) == title
    assert sanitize.without_password("alice:pa@SS@feeds.example.org/rss") == (
        "alice:***@feeds.example.org/rss"
    )
    text = "skipped 'Mail:ann@example.org/list': 'ftp://h/s?q=from:ann@example.org/x'"
    assert sanitize.passwords_masked(text) == text
    assert sanitize.passwords_masked("Re:Invent@AWS and from:ann@example.org") == (
        "Re:Invent@AWS and from:ann@example.org"
    )


# Text with "<" but no tag: after each "<", never a letter, "/", "!" or "?".
_NO_TAG_TEXT = st.text(alphabet=st.sampled_from("ab <-=3.>;é\t"), max_size=40).filter(
    lambda text: re.search(r"<[A-Za-z/!?]", text) is None
)


@PROPERTY
@given(_NO_TAG_TEXT)
def test_a_less_than_sign_that_starts_no_tag_is_kept_as_text(value: str) -> None:
    # HTML5 starts a tag at "<" only before a letter, "/", "!" or "?"; any other "<" is
    # text, so a summary and the search index keep the words after it.
    assert sanitize.html_to_plain(value, 0) == sanitize.clean_line(value)
    assert sanitize.index_text(value).split() == value.split()


@PROPERTY
@given(MARKUP)
def test_title_to_plain_is_one_safe_line(value: str) -> None:
    title = sanitize.title_to_plain(value)
    assert _is_safe(title)
    assert title == " ".join(title.split())


# ---- drawable: what the reader and the CLI draw --------------------------------------

# Astral code points that terminals draw as they please (tmux here: no column at all)
# where Rich counts one (or none): noncharacters, and unassigned ones.
UNDRAWABLE = (
    "\U0001fffe",
    "\U0001ffff",
    "\U0002fffe",
    "\U0010fffe",
    "\U0010ffff",
    "\U0001fffd",  # unassigned, beside a noncharacter
    "\U00050000",  # in an unassigned plane
    "\U000e0080",  # just past the tag characters; Rich counts no cell
    "\U000e0fff",
)
# Astral text that is drawn as it is: emoji (with ZWJ, flags, tag sequences and skin
# tones), CJK extension B, math letters, Gothic, private use, and an emoji newer than
# Python 3.11's Unicode data (pink heart, Unicode 15) that Rich counts as wide.
KEPT = (
    "😀 👩\u200d👩\u200d👧 🇫🇷 👍🏽 "
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    " 𠀀𪚥 𝐀 𐍈 \U000f0000\U0010fffd \U0001fa77"
)


def _reference_drawable(text: str) -> str:
    """Character by character, straight from the definition."""
    import unicodedata

    from rich.cells import get_character_cell_size

    def shown(char: str) -> str:
        code = ord(char)
        if code <= 0xFFFF:
            return char
        if code & 0xFFFE == 0xFFFE:
            return "\ufffd"
        odd = unicodedata.category(char) == "Cn" and get_character_cell_size(char) != 2
        return "\ufffd" if odd else char

    return "".join(map(shown, text))


def test_drawable_shows_undrawable_astral_code_points_as_one_replacement_each() -> None:
    for char in UNDRAWABLE:
        shown = sanitize.drawable(f"a{char}b 漢字 é")
        assert shown == "a\ufffdb 漢字 é", hex(ord(char))
    # Same length, so the spans of a styled Text stay where they were.
    many = "x".join(UNDRAWABLE) + KEPT
    assert sanitize.drawable(many) == "x".join("\ufffd" * len(UNDRAWABLE)) + KEPT
    distinct = "".join(chr(0x50000 + n) for n in range(40)) + "😀"
    assert sanitize.drawable(distinct) == "\ufffd" * 40 + "😀"
    assert (
        sanitize.drawable_url(distinct)
        == "%F1%90%80%80"
        + "".join(sanitize.drawable_url(chr(0x50000 + n)) for n in range(1, 40))
        + "😀"
    )


def test_drawable_keeps_emoji_cjk_and_other_assigned_astral_text_as_it_is() -> None:
    for text in (KEPT, "plain", "", "é" * 50, "漢字\uffff\ufffd"):
        assert sanitize.drawable(text) is text  # not even copied


def test_drawable_url_percent_encodes_what_it_cannot_show() -> None:
    # What a browser sends for them anyway: the link shown is the one copied and opened.
    url = "https://a.example/\U0001fffex?q=\U000e0080😀"
    assert sanitize.drawable_url(url) == "https://a.example/%F0%9F%BF%BEx?q=%F3%A0%82%80😀"
    kept = "https://a.example/😀/漢字"
    assert sanitize.drawable_url(kept) is kept


class _Str(str):
    """A str subclass (lxml hands some out) keeps its characters apart from its size."""


@PROPERTY
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("aé漢\uffff\U0001f600" + "".join(UNDRAWABLE) + KEPT),
            st.characters(exclude_categories=["Cs"]),
        ),
        max_size=40,
    )
)
def test_drawable_is_its_definition_on_any_text(value: str) -> None:
    expected = _reference_drawable(value)
    assert sanitize.drawable(value) == expected
    assert sanitize.drawable(_Str(value)) == expected
    holds = any(ord(char) > 0xFFFF for char in value)
    assert sanitize.holds_astral(value) is holds
    assert sanitize.holds_astral(_Str(value)) is holds
    # Whatever a scan of each slice says, the size check says too (every kind of str).
    for start in range(0, len(value), 7):
        part = value[start:]
        assert sanitize.holds_astral(part) is any(ord(char) > 0xFFFF for char in part)


def _with_utf8_kept(text: str) -> str:
    """`text`, fresh, with its UTF-8 form kept by CPython (as once sqlite3 bound it)."""
    import sqlite3
    import sys

    fresh = "".join(list(text))
    before = sys.getsizeof(fresh)
    sqlite3.connect(":memory:").execute("SELECT ?", (fresh,))
    assert sys.getsizeof(fresh) > before  # the case under test
    return fresh


def test_a_str_once_encoded_is_still_seen_to_hold_astral_code_points() -> None:
    # CPython keeps a str's UTF-8 form with it once something has asked for it (sqlite3,
    # hypothesis's own reporting): its size then grows, which the constant-time check
    # must not take for the size of a narrower str.
    from tuinews.sources.sanitize import drawable, holds_astral

    assert holds_astral(_with_utf8_kept("😍x"))
    assert drawable(_with_utf8_kept("a\U0001fffeb")) == "a\ufffdb"
    narrow = _with_utf8_kept("é\u0100" * 300)
    assert not holds_astral(narrow)
    assert drawable(narrow) == narrow
