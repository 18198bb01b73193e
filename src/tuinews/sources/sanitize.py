"""Text hygiene at ingestion: every string from a source passes through here.

Why: Textual and Rich pass text to the terminal unfiltered, so an ESC or C1 byte in a
feed title would become a live control sequence (clipboard writes with OSC 52, window
titles with OSC 0/2, screen clearing). We drop whole escape sequences (dropping only the
ESC would leave `]0;title` or `[31m` on screen), then C0 and C1 controls, DEL, lone
surrogates and the bidi embedding/override/isolate controls, and keep newline and tab in
bodies.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable
from functools import lru_cache

# The noncharacters of the Basic Multilingual Plane (U+FDD0..U+FDEF, U+FFFE, U+FFFF):
# never text, and XML forbids U+FFFE/U+FFFF (a byte-swapped BOM). Rich counts a cell for
# each where tmux draws none, which moved the rest of the row (pane borders, the next
# pane) columns off. (Those of the other planes are left: any astral character in these
# classes made every scan of non-ASCII text several times slower. `drawable` replaces
# them where text is drawn.)
NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff"
# C0 except tab/newline, DEL, C1, bidi embeddings/overrides/isolates, lone surrogates,
# the byte-order mark that leaks into text from badly concatenated files, noncharacters.
_BIDI_AND_ODD = "\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff" + NONCHARACTERS
_BODY_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_AND_ODD}]")
# On one line, tab, newline and the Unicode line separators are whitespace too.
_LINE_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI_AND_ODD}]")
# The same less what str.split() treats as whitespace (tab, newlines, \x0b-\x0d, the
# separators \x1c-\x1f, NEL, U+2028, U+2029): a title with a line break then costs one
# scan that finds nothing.
_LINE_UNSAFE_UNSPLIT = re.compile(f"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f{_BIDI_AND_ODD}]")

# Terminal escape sequences (ECMA-48), 7-bit and C1 forms: CSI (parameters, intermediates,
# final byte); the control strings OSC, DCS, SOS, PM and APC up to BEL or ST (ESC \\ or
# U+009C), or to a line end, CAN, SUB or the next ESC; then any other ESC sequence
# (intermediates and one final byte). Every tail is optional, so a sequence cut short is
# dropped too, and a prefix of a string never keeps text the whole string drops.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x18\x1a\x1b\x9c\n\r]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
# What starts one: only strings holding these pay for the pattern above.
_ESCAPE_START = re.compile(r"[\x1b\x90\x98\x9b\x9d-\x9f]")

# Fast paths. An ASCII string can only hold C0 controls and DEL among the unsafe
# characters, and bytes.translate finds or replaces those several times faster than a
# regex scan (str.isascii() is O(1), and encoding ASCII is a copy).
_ASCII_PRINTABLE = bytes(range(0x20, 0x7F))
_ASCII_BODY_SAFE = _ASCII_PRINTABLE + b"\t\n"
_ASCII_CONTROLS = bytes(range(0x20)) + b"\x7f"
# On one line every ASCII control becomes a space, as _LINE_UNSAFE.sub(" ", ...) does.
_ASCII_CONTROLS_TO_SPACE = bytes.maketrans(_ASCII_CONTROLS, b" " * len(_ASCII_CONTROLS))
# As HTML5 tokenizes: "<" opens a tag (or comment, doctype, processing instruction) only
# before an ASCII letter, "/", "!" or "?"; any other "<" is text (`a < b`, `<3`, `x <- y`).
# A tag cut short by the end of the text is still dropped, as a browser drops it.
_TAG = re.compile(r"<[A-Za-z/!?][^>]*>?")
_SCRIPT_STYLE = re.compile(r"<(script|style|template)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
# `<!-->` and `<!--->` are whole (empty) comments in HTML5; `--!>` also closes one.
_COMMENT = re.compile(r"<!--(?:-?>|.*?(?:--!?>|$))", re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)(\]\]>|$)", re.DOTALL)
# No capturing group: capturing made each substitution half again as slow. No space
# after "<": `a < p and q > r` is text.
_BLOCK_TAG = re.compile(r"</?(?:p|br|div|li|h[1-6]|tr|blockquote|pre|hr)\b[^>]*>", re.IGNORECASE)

SUMMARY_LIMIT = 500
# Schemes a reader must never follow or hand to an opener: they run code or read local
# files. Ingestion drops such links; the renderer shows them but never opens them.
UNSAFE_URL_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})


def clean_text(value: str | None) -> str:
    """A body: controls dropped, newline and tab kept, line endings normalised."""
    if not value:
        return ""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.isascii():
        controls = value.encode("ascii").translate(None, _ASCII_BODY_SAFE)
        if not controls:
            return value
        if 0x1B in controls:
            value = _ESCAPE_SEQUENCE.sub("", value)
        return _BODY_UNSAFE.sub("", value)
    # A search finds nothing as fast as a substitution replaces nothing, and most bodies
    # hold nothing unsafe.
    unsafe = _BODY_UNSAFE.search(value)
    if unsafe is None:
        return value
    return _BODY_UNSAFE.sub("", _without_escapes(value, unsafe.start()))


def _without_escapes(value: str, start: int) -> str:
    """`value` without its terminal escape sequences; none starts before `start`."""
    if _ESCAPE_START.search(value, start) is None:
        return value
    return _ESCAPE_SEQUENCE.sub("", value)


def clean_line(value: str | None) -> str:
    """A one-line field (title, author, name): controls dropped, whitespace collapsed."""
    if not value:
        return ""
    # Every unsafe character is unprintable, and so is all whitespace but " ": the usual
    # line (a summary with a "…" in it too) skips both scans below.
    if not value.isprintable():
        if not value.isascii():
            unsafe = _LINE_UNSAFE_UNSPLIT.search(value)
            if unsafe is not None:
                value = _LINE_UNSAFE_UNSPLIT.sub(" ", _without_escapes(value, unsafe.start()))
            return " ".join(value.split())
        raw = value.encode("ascii")
        if 0x1B in raw:
            raw = _ESCAPE_SEQUENCE.sub("", value).encode("ascii")
        value = raw.translate(_ASCII_CONTROLS_TO_SPACE).decode("ascii")
    # Now the only whitespace is " ": stripping the ends and halving runs until none is
    # left is what splitting and joining would do, without a string per word.
    value = value.strip(" ")
    while "  " in value:
        value = value.replace("  ", " ")
    return value


# ---- what is drawn ---------------------------------------------------------------------
#
# Beyond the first plane, noncharacters (U+1FFFE, U+1FFFF, ... U+10FFFF) and unassigned
# code points are kept at ingestion (see NONCHARACTERS): Rich counts a cell for most of
# them (none for some, such as U+E0080) where tmux and other terminals draw none, or a
# box, so a row holding one pushed the rest of its row and the pane border off. Where
# text is drawn, `drawable` makes each of them U+FFFD, one cell for Rich and for every
# terminal. The replacement character rather than nothing: the row still shows that
# the feed had a character here (a name in a script newer than this Python's Unicode
# data is not silently misspelt), and the text keeps its length, so the spans of a
# styled `Text` built on it stay where they were.

REPLACEMENT = "\ufffd"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _ucs4_base() -> int | None:
    """sys.getsizeof(s) - 4 * len(s) for a str that holds a code point above U+FFFF, or
    None where sizes do not tell (not CPython).

    CPython keeps a str at one, two or four bytes a code point, the fewest its widest
    code point needs (PEP 393): its size says in constant time whether it holds an
    astral character, which a scan would say in 2 ns a character."""
    try:
        base = sys.getsizeof("\U00010000") - 4
        wide = ("\U00010000" * 3, "é\U0010ffff", "\uffff\U0001f600")
        narrow = ("é" * 3, "\uffff", "é\u0100" * 5)
        if all(sys.getsizeof(text) == base + 4 * len(text) for text in wide) and not any(
            sys.getsizeof(text) == base + 4 * len(text) for text in narrow
        ):
            return base
    except TypeError:  # PyPy has no sizes
        pass
    return None


_UCS4_BASE = _ucs4_base()


def holds_astral(text: str) -> bool:
    """Whether `text` holds a code point above U+FFFF: constant time for a plain str
    on CPython (a str subclass keeps its characters elsewhere, and is scanned)."""
    if text.isascii():
        return False
    # Smaller than four bytes a code point: none is astral. Not smaller: astral, or a
    # narrower str that also keeps its UTF-8 form (CPython caches it once the str has
    # been encoded): the scan says which.
    if (
        _UCS4_BASE is not None
        and type(text) is str
        and sys.getsizeof(text) < _UCS4_BASE + 4 * len(text)
    ):
        return False
    return _ASTRAL.search(text) is not None


@lru_cache(maxsize=4096)
def is_undrawable(char: str) -> bool:
    """Whether the astral `char` is a noncharacter or unassigned, which terminals draw
    as they please.

    Unassigned as this Python's Unicode data says (category Cn), except what Rich's
    width tables, which run newer (Python 3.11 knows Unicode 14, Rich 17), count as two
    cells: emoji and ideographs newer than Python's data (U+1FA77 pink heart, U+1FAE8
    shaking face, CJK extension I), which the terminals that know them draw as Rich
    counts them. Lazy imports: text without astral characters never gets here."""
    from unicodedata import category

    from rich.cells import get_character_cell_size

    code = ord(char)
    if code & 0xFFFE == 0xFFFE:  # U+nFFFE, U+nFFFF: never text
        return True
    return category(char) == "Cn" and get_character_cell_size(char) != 2


def _undrawable_in(text: str) -> set[str]:
    return {char for char in set(_ASTRAL.findall(text)) if is_undrawable(char)}


def _replaced(text: str, odd: set[str], shown: Callable[[str], str]) -> str:
    """`text` with each character of `odd` as `shown` gives it. A few: str.replace, a
    pass each (0.4 µs for 2,000 characters, where str.translate took 110 µs); many
    (made up to be slow): one pass that looks at the astral characters only."""
    if len(odd) <= 8:
        for char in odd:
            text = text.replace(char, shown(char))
        return text
    return _ASTRAL.sub(lambda found: shown(found[0]) if found[0] in odd else found[0], text)


def _percent_encoded(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode())


def drawable(text: str) -> str:
    """`text` as it is drawn: each astral noncharacter or unassigned code point becomes
    U+FFFD (same length, one cell everywhere). Text without astral characters is
    returned as it is, at the cost of a size check; emoji, CJK, private use and the tag
    characters of flag sequences stay as they are."""
    if not holds_astral(text):
        return text
    odd = _undrawable_in(text)
    return _replaced(text, odd, lambda _: REPLACEMENT) if odd else text


def drawable_url(url: str) -> str:
    """`url` as it is shown, copied and opened: each code point `drawable` would replace
    is percent-encoded (its UTF-8 bytes), which is what a browser sends for it anyway,
    so the link shown is the link copied, and both still lead where the feed said."""
    if not holds_astral(url):
        return url
    odd = _undrawable_in(url)
    return _replaced(url, odd, _percent_encoded) if odd else url


# The password runs to the authority's last "@" (a password may hold one: the client
# splits there too), never past the path, query or fragment.
_PASSWORD = re.compile(r"(//[^/?#:]*:)[^/?#]*@")
# The same typed without its `scheme://` (`alice:s3cret@host/feed`), or made part of a
# path from such a typing ("/home/me/alice:s3cret@host/feed"). Only where no `//` is:
# in a URL, `:` and `@` may also stand in a path or query ("?q=from:ann@example.org").
_BARE_PASSWORD = re.compile(r"((?:^|/)[^/@:?#\s]+:)[^/\s]*@")


# A URL's user:password@ anywhere in a line of text (an error message quoting it).
# (Only with `scheme://`: in free text, "Mail:ann@example.org/list" is no address.)
_PASSWORD_IN_TEXT = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/?#:\s'\"]*:)[^/?#\s'\"]*@")


def passwords_masked(text: str) -> str:
    """`text` with the password of every URL in it shown as ***: the last guard, on the
    error line any command may end with."""
    return _PASSWORD_IN_TEXT.sub(r"\1***@", text) if "@" in text else text


def without_password(url: str) -> str:
    """`url` with the password of its user:password@ part shown as ***: a feed or proxy
    URL may carry one, and error lines, tables and the screen are read over shoulders
    and pasted into bug reports."""
    if "@" not in url:
        return url
    if "//" in url:
        return _PASSWORD.sub(r"\1***@", url)
    if "/" not in url or any(char.isspace() for char in url):
        # A title ("list:dev@lists.example.org", "Re:Invent@AWS"), not an address typed
        # without its scheme, which names a feed by its path.
        return url
    return _BARE_PASSWORD.sub(r"\1***@", url)


def clean_url(value: str | None) -> str:
    """A URL: controls and all whitespace removed (feeds often wrap URLs across lines)."""
    if not value:
        return ""
    if value.isascii():
        raw = value.encode("ascii")
        cleaned = raw.translate(None, _ASCII_CONTROLS + b" ")
        if len(cleaned) != len(raw) and 0x1B in raw:
            cleaned = _ESCAPE_SEQUENCE.sub("", value).encode("ascii")
            cleaned = cleaned.translate(None, _ASCII_CONTROLS + b" ")
        return cleaned.decode("ascii")
    unsafe = _LINE_UNSAFE.search(value)
    if unsafe is not None:
        value = _LINE_UNSAFE.sub("", _without_escapes(value, unsafe.start()))
    return "".join(value.split())


# References to ESC and BEL. html.unescape turns them into nothing, which would leave
# the rest of an escape sequence ("[31m") as text; as real controls the cleaning drops
# the sequence whole (BEL ends an OSC one).
_ESCAPE_REFERENCE = re.compile(r"&#(?:0*(27|7)(?![0-9])|[xX]0*(1[bB]|7)(?![0-9a-fA-F]));?")


# The references most text from feeds holds, by name, as html.unescape decodes them:
# WordPress ends every excerpt with "[&#8230;]" and writes quotes and dashes as numeric
# references. Looked up by name, they take 1.6 us where the escape-reference check and
# html.unescape's pass, which calls back into Python for each reference, took 3.7 us.
_COMMON_REFERENCES = {
    "#8230": "\u2026",
    "#8217": "\u2019",
    "#8216": "\u2018",
    "#8220": "\u201c",
    "#8221": "\u201d",
    "#8211": "\u2013",
    "#8212": "\u2014",
    "#038": "&",
    "#039": "'",
    "#39": "'",
    "amp": "&",
    "quot": '"',
    "lt": "<",
    "gt": ">",
    "nbsp": "\xa0",
}


def _common_references_decoded(text: str) -> str | None:
    """`text` with its references decoded, when every "&" starts a common one (see
    above); else None. One pass, as html.unescape's: "&amp;lt;" is "&lt;"."""
    first, *rest = text.split("&")
    decoded = [first]
    for part in rest:
        name, semicolon, after = part.partition(";")
        character = _COMMON_REFERENCES.get(name) if semicolon else None
        if character is None:
            return None
        decoded.append(character)
        decoded.append(after)
    return "".join(decoded)


def unescape(text: str) -> str:
    """html.unescape, but an escape sequence written with `&#27;` goes whole when the
    text is cleaned (every caller cleans what this returns)."""
    decoded = _common_references_decoded(text)
    if decoded is not None:
        return decoded
    if "&#" in text:
        text = _ESCAPE_REFERENCE.sub(_control_for, text)
    return html.unescape(text)


def _control_for(reference: re.Match[str]) -> str:
    return "\x07" if "7" in (reference[1] or "", reference[2] or "") else "\x1b"


def ellipsized(text: str, limit: int) -> str:
    """`text` within `limit` characters, "…" saying it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def decode_entities(value: str) -> str:
    """Decode HTML/XML character references (named and numeric)."""
    return unescape(value) if "&" in value else value


def clean_entity_line(value: str | None) -> str:
    """A one-line field that may still hold character references: decode, then clean.

    Decoding comes first so `&#27;` cannot smuggle an ESC past the filter.
    """
    if not value:
        return ""
    return clean_line(decode_entities(value))


def html_to_plain(value: str | None, limit: int = SUMMARY_LIMIT) -> str:
    """A fast plain-text digest of an HTML fragment, for summaries and search snippets.

    Not a renderer: tags are dropped, entities decoded, whitespace collapsed, and the
    result cut at a word boundary near `limit` characters (0 means no limit).
    """
    if not value:
        return ""
    return cut_digest(plain_digest(value), limit)


def plain_digest(value: str) -> str:
    """html_to_plain without the cut: the whole fragment as one clean line of text."""
    text = _without_markup(value)
    # clean_entity_line(text), two calls fewer: this runs twice for every article.
    return clean_line(unescape(text) if "&" in text else text)


def index_text(value: str) -> str:
    """The words of an HTML fragment for the search index: plain_digest's text with its
    whitespace left as it is, a third quicker on a long body. The index's tokenizer
    splits on whitespace, punctuation and control characters alike, so it reads the
    same words. Controls that a numeric reference decodes to become spaces, as
    plain_digest makes them: nothing stored keeps them."""
    text = _without_markup(value)
    if "&" in text:
        numeric = "&#" in text
        text = unescape(text)
        if numeric:
            unsafe = _LINE_UNSAFE.search(text)
            if unsafe is not None:
                text = _LINE_UNSAFE.sub(" ", _without_escapes(text, unsafe.start()))
    return text.strip()


def _without_markup(text: str) -> str:
    """Comments and scripts dropped, CDATA unwrapped, block tags become spaces, other
    tags vanish (so `wo<b>rd</b>` stays one word)."""
    if "<" in text:
        if "<!" in text:  # both patterns start with it; most fragments have neither
            text = _CDATA.sub(r"\1", text)
            text = _COMMENT.sub(" ", text)
        # Its matches start "<s" or "<t" (any case): most fragments have none, and four
        # substring tests cost a tenth of the regex's scan.
        if "<s" in text or "<t" in text or "<S" in text or "<T" in text:
            text = _SCRIPT_STYLE.sub(" ", text)
        text = _BLOCK_TAG.sub(" ", text)
        text = _TAG.sub("", text)
    return text


# What an RSS title's HTML may hold: phrasing (inline) elements, current and obsolete.
# Any other `<word>` in a title is the publisher's literal text (`The <dialog> element`,
# `Vec<String>`), as newsboat shows it.
_TITLE_INLINE_TAGS = (
    "a|abbr|acronym|b|bdi|bdo|big|br|cite|code|del|dfn|em|font|i|img|ins|kbd|mark|nobr"
    "|q|rp|rt|ruby|s|samp|small|span|strike|strong|sub|sup|time|tt|u|var|wbr"
)
_TITLE_TAG = re.compile(
    rf"<(/?)({_TITLE_INLINE_TAGS})(?=[\s/>])([^>]*)>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_TITLE_VOID_TAGS = frozenset({"br", "img", "wbr"})


def title_to_plain(value: str | None) -> str:
    """An HTML-bearing title as one clean line: inline tags and comments dropped, every
    other `<...>` kept as text, entities decoded.

    A bare opening tag (`<code>`, `<b>` with no attributes) counts as markup only when
    its closing tag follows: `Box<U>` and `The <code> element` are text, `<b>x</b>` is not.
    """
    if not value:
        return ""
    if "<" in value:
        value = _TITLE_TAG.sub(_title_tag_replacement, value)
    return clean_entity_line(value)


def _title_tag_replacement(match: re.Match[str]) -> str:
    closing, name, rest = match.group(1, 2, 3)
    if name is None:  # a comment
        return ""
    name = name.lower()
    if name == "br":
        return " "
    # A closing tag, a void element, attributes or a self-closing "/" make it markup.
    if closing or name in _TITLE_VOID_TAGS or rest.strip():
        return ""
    closer = re.search(rf"</{name}\s*>", match.string[match.end() :], re.IGNORECASE)
    return "" if closer is not None else match.group(0)


def cut_digest(text: str, limit: int) -> str:
    """`text` cut at a word boundary before `limit` characters, marked with "…".

    Depends only on text[:limit] and on whether the text is longer than `limit`.
    """
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return text


def title_or_fallback(title: str, body_text: str, link: str | None) -> str:
    """A title is never empty: first words of the body, else the link, else `(untitled)`."""
    if title:
        return title
    if body_text:
        words = body_text.split()
        short = " ".join(words[:10])
        return short + ("…" if len(words) > 10 else "")
    if link:
        return link
    return "(untitled)"
