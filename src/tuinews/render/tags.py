"""What the HTML renderer knows about elements: which are dropped, which are blocks, how
inline ones are styled, and how list items are numbered."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

MAX_NESTING = 24
IMAGE_STYLE = Style(dim=True, italic=True)
LINK_STYLE = Style(underline=True)
QUOTE_BAR = Text("│ ", style=Style(dim=True))
DEFINITION_INDENT = Text("    ")
BULLETS = ("•", "◦", "▪")
MAX_LIST_NUMBER = 10**9
ALT_LIMIT = 200

# Elements whose whole content is dropped: active content, forms, and invisible parts.
# (`<math>` is shown as its TeX annotation, else as its plain text.)
DROPPED = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "applet",
        "form", "button", "select", "option", "optgroup", "textarea", "noscript", "svg",
        "annotation", "annotation-xml", "template", "head", "title", "canvas", "audio", "video",
        "map", "dialog",
    }
)  # fmt: skip
# Dropped elements that leave a numbered placeholder naming what they held.
MEDIA_PLACEHOLDERS = {"iframe": "embedded", "video": "video", "audio": "audio"}
# Void elements that libxml2's HTML 4 parser may wrongly give the following text as
# children (`<embed>b` holds "b"): the element is ignored, its "children" are kept.
IGNORED_VOIDS = frozenset(
    {"embed", "input", "param", "source", "track", "area", "base", "link", "meta"}
)
# Elements that start and end a block (a paragraph boundary).
BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "address",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "menu", "dir", "li", "dl", "dt", "dd",
        "blockquote", "pre", "listing", "xmp", "plaintext", "table", "caption", "thead", "tbody",
        "tfoot", "tr", "td", "th", "hr", "figure", "figcaption", "details", "summary", "center",
        "fieldset", "legend", "body", "html", "hgroup", "search",
    }
)  # fmt: skip
STYLES: dict[str, Style] = {
    "b": Style(bold=True),
    "strong": Style(bold=True),
    "i": Style(italic=True),
    "em": Style(italic=True),
    "cite": Style(italic=True),
    "var": Style(italic=True),
    "dfn": Style(italic=True),
    "q": Style(italic=True),
    "u": Style(underline=True),
    "ins": Style(underline=True),
    "s": Style(strike=True),
    "strike": Style(strike=True),
    "del": Style(strike=True),
    "code": Style(color="green"),
    "kbd": Style(color="green", bold=True),
    "samp": Style(color="green"),
    "tt": Style(color="green"),
    "mark": Style(reverse=True),
    "small": Style(dim=True),
    "h1": Style(bold=True, underline=True),
    "h2": Style(bold=True),
    "h3": Style(bold=True, italic=True),
    "h4": Style(bold=True, dim=True),
    "h5": Style(bold=True, dim=True),
    "h6": Style(bold=True, dim=True),
    "dt": Style(bold=True),
    "summary": Style(bold=True),
    "legend": Style(bold=True),
    "figcaption": Style(italic=True),
    "caption": Style(italic=True),
    "th": Style(bold=True),
    "a": LINK_STYLE,
}
PRE_TAGS = frozenset({"pre", "listing", "xmp", "plaintext"})
CONTAINERS = frozenset({"ul", "ol", "menu", "dir", "li", "blockquote", "dd"})
LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})


def format_list_number(number: int, number_type: str) -> str:
    if number_type in ("a", "A") and number > 0:
        letters = ""
        while number > 0:
            number, rest = divmod(number - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if number_type == "A" else letters
    if number_type in ("i", "I") and 0 < number < 4000:
        roman = roman_numeral(number)
        return roman.upper() if number_type == "I" else roman
    return str(number)


def roman_numeral(number: int) -> str:
    numerals = (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    )  # fmt: skip
    result = []
    for value, letters in numerals:
        count, number = divmod(number, value)
        result.append(letters * count)
    return "".join(result)
