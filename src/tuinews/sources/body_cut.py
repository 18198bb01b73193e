"""An article body over the size cap: what is dropped first, where it is cut, and the
note that says so (a body was cut at the cap without a sign, losing what followed).

Runs only on bodies over the cap, so ordinary bodies pay nothing.
"""

from __future__ import annotations

import re
from html import escape

CUT_NOTE = "[…] (the rest of this article was not kept: it is over 2 MB)"

# Hostile bodies are the point here: every pattern below stops at a character its next
# occurrence starts with (a quote, "&", "(", "="), so a body of 100,000 unclosed ones is
# read once, not once per occurrence (a lazy `.*?` to a closing quote took minutes).
#
# A tag, up to its ">" (or the body's end: a tag never closed takes the rest).
_TAG = re.compile(r"<[A-Za-z][^>]*>?")
# An attribute value that is inline data (`src="data:image/png;base64,..."`): the reader
# neither shows nor follows data: URIs, and one inline image can be megabytes.
_DATA_VALUE = re.compile(
    r"""=[ \t\r\n]*(?:"[ \t\r\n]*data:[^"]*"|'[ \t\r\n]*data:[^']*'|data:[^ \t\r\n>=]*)""",
    re.IGNORECASE | re.ASCII,
)
# Still a data: URI, so the renderer shows it as before: an image, or a link not opened.
_EMPTY_DATA_VALUE = '="data:"'
# A quote in a style attribute, as HTML escapes it (WordPress writes &#039;, Python &#x27;).
_ESCAPED_QUOTE = r"&(?:quot|apos|#0*3[49]|#[xX]0*2[27]);"
# Inline data in CSS (`style="background:url(data:…)"`, a <style> element): the reader
# shows no styles at all.
_CSS_DATA = re.compile(
    r"""url\([ \t\r\n]*(?:"data:[^"]*"|'data:[^']*'"""
    rf"""|{_ESCAPED_QUOTE}data:[^&]*{_ESCAPED_QUOTE}|data:[^()"'&\s]*)[ \t\r\n]*\)""",
    re.IGNORECASE | re.ASCII,
)

# Elements the renderer drops with all they hold (a subset of render.tags.DROPPED: those
# that need an end tag), and comments: a note appended inside one left open by the cut
# would never be seen.
HIDDEN_CONTENT = (
    "script", "style", "iframe", "object", "applet", "form", "button", "select",
    "textarea", "noscript", "svg", "template", "title", "canvas", "audio", "video", "map",
    "dialog",
)  # fmt: skip
_RAW_TEXT = frozenset({"script", "style", "textarea", "title"})  # no tags inside
# Open elements that would hold the note as their own text: a link (the note would be
# its text) and preformatted text (glued to the last line cut mid-word).
_HOLDING = re.compile(r"<(/?)(a|pre)(?=[\s/>]|$)", re.IGNORECASE | re.ASCII)
# ASCII: tag names are, and it is a third quicker on a 2 MB body.
_HIDDEN_MARK = re.compile(
    r"<(?:!--|(/?)(" + "|".join(HIDDEN_CONTENT) + r")(?=[\s/>]|$))|-->",
    re.IGNORECASE | re.ASCII,
)


def cut_body(body: str, is_html: bool, limit: int) -> str:
    """`body` (longer than `limit`) within about `limit` characters, ending in CUT_NOTE
    unless dropping inline data was enough."""
    if not is_html:
        return body[:limit] + "\n\n" + CUT_NOTE
    body = _without_inline_data(body)
    if len(body) <= limit:
        return body
    kept = body[:limit]
    if kept.rfind("<") > kept.rfind(">"):  # the cut fell inside a tag
        kept = kept[: kept.rfind("<")]
    kept = kept[: _hidden_from(kept)]
    return kept + _closing_tags(kept) + "<p>" + escape(CUT_NOTE) + "</p>"


def _without_inline_data(body: str) -> str:
    """`body` with the inline data of its tags' attributes (style attributes' CSS too)
    and of its <style> elements emptied; the rest as it was."""
    lowered = body.lower()
    if "data:" not in lowered:
        return body
    styles = "<style" in lowered
    body = _TAG.sub(_tag_without_data, body)
    return _style_without_data(body) if styles else body


def _tag_without_data(tag: re.Match[str]) -> str:
    text = tag.group(0)
    if "data:" not in text.lower():
        return text
    return _CSS_DATA.sub("url(data:)", _DATA_VALUE.sub(_EMPTY_DATA_VALUE, text))


def _style_without_data(body: str) -> str:
    """The CSS of each <style> element without inline data (one pass: an element never
    closed runs to the end)."""
    lowered = body.lower()
    parts: list[str] = []
    done = 0
    while (start := lowered.find("<style", done)) >= 0:
        opened = lowered.find(">", start)
        if opened < 0:
            break
        closed = lowered.find("</style", opened)
        end = closed if closed >= 0 else len(body)
        parts += [body[done : opened + 1], _CSS_DATA.sub("url(data:)", body[opened + 1 : end])]
        done = end
        if closed < 0:
            break
    parts.append(body[done:])
    return "".join(parts)


def _closing_tags(html: str) -> str:
    """End tags for the links and preformatted blocks still open at the end of `html`,
    innermost first."""
    opened: dict[str, int] = {}
    for mark in _HOLDING.finditer(html):
        name = mark.group(2).lower()
        if mark.group(1):
            opened.pop(name, None)
        else:
            opened.setdefault(name, mark.start())
    return "".join(f"</{name}>" for name in sorted(opened, key=opened.__getitem__, reverse=True))


def _hidden_from(html: str) -> int:
    """Where a comment or hidden element still open at the end of `html` starts (the
    outermost one), else len(html)."""
    opened_at: int | None = None
    kind = ""
    depth = 0
    for mark in _HIDDEN_MARK.finditer(html):
        text = mark.group(0)
        if opened_at is None:
            if text == "<!--":
                opened_at, kind, depth = mark.start(), "!--", 1
            elif mark.group(1) == "":
                opened_at, kind, depth = mark.start(), mark.group(2).lower(), 1
        elif kind == "!--":
            if text == "-->":
                opened_at = None
        elif text.startswith("<") and mark.group(2) and mark.group(2).lower() == kind:
            if mark.group(1):
                depth -= 1
                if depth == 0:
                    opened_at = None
            elif kind not in _RAW_TEXT:
                depth += 1  # an svg inside an svg
    return len(html) if opened_at is None else opened_at
