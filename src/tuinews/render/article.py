"""Article -> Rich renderable: header, body (HTML, Markdown or plain text), links list."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.rule import Rule
from rich.style import Style
from rich.text import Text

from tuinews.model import UNTITLED, Article, ContentType, Enclosure
from tuinews.render.blocks import join_blocks
from tuinews.render.html import html_blocks
from tuinews.render.links import (
    LINK_NUMBER_STYLE,
    Link,
    LinkRegistry,
    links_section,
    pick_base_url,
)
from tuinews.render.wrap import Paragraph
from tuinews.sources.sanitize import clean_line, clean_text, clean_url, drawable_url

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

TITLE_STYLE = Style(bold=True)
LABEL_STYLE = Style(dim=True)
DATELINE_STYLE = Style(bold=True)
SUBHEADING_STYLE = Style(bold=True)
HEADER_RULE_STYLE = Style(dim=True)
DATELINE_DASHES = "—–-"


@dataclass(frozen=True, slots=True)
class RenderedArticle:
    """What the CLI prints and the reader pane shows, with the links it numbered."""

    renderable: RenderableType
    links: list[Link]

    def __rich__(self) -> RenderableType:
        return self.renderable


def render_article(
    article: Article, *, header: bool = True, fold_addresses: bool = True
) -> RenderedArticle:
    """Render `article` for any console width; links are numbered `[1]`… in order of
    appearance (the header's enclosures, then the body's links) and listed at the end.
    Not `fold_addresses` (printed, not drawn in a pane): an address longer than the
    width (Link, Enclosure, Links) runs past it whole, for the terminal to wrap and a
    pipe to keep on its line; printed with `crop=False`."""
    registry = LinkRegistry(pick_base_url(article.link, article.feed))
    # The header lists the enclosures above the body: numbered first, so the numbers
    # read in order down the page.
    enclosure_numbers = [
        registry.add(enclosure.url, f"enclosure {enclosure.type or ''}".strip())
        for enclosure in article.enclosures
    ]
    blocks = body_blocks(article.content, article.content_type, registry, article.dateline)
    if not blocks and article.summary:
        blocks = [Paragraph(Text(clean_text(article.summary)))]
    parts: list[RenderableType] = []
    if header:
        parts.append(header_block(article, enclosure_numbers, fold_addresses=fold_addresses))
    parts.extend(blocks)
    if registry.links:
        parts.append(Paragraph(links_section(registry.links), fold=fold_addresses))
    return RenderedArticle(join_blocks(parts, spaced=True), list(registry.links))


def render_body(
    content: str,
    content_type: ContentType = "html",
    *,
    base_url: str | None = None,
    dateline: str | None = None,
    links_list: bool = True,
) -> RenderedArticle:
    """Render a body alone (no header); relative links resolve against `base_url`."""
    registry = LinkRegistry(pick_base_url(base_url, None))
    parts = body_blocks(content, content_type, registry, dateline)
    if links_list and registry.links:
        parts.append(Paragraph(links_section(registry.links)))
    renderable = join_blocks(parts, spaced=True) if parts else Text("")
    return RenderedArticle(renderable, list(registry.links))


def body_blocks(
    content: str, content_type: ContentType, registry: LinkRegistry, dateline: str | None
) -> list[RenderableType]:
    if content_type == "text":
        return text_body_blocks(content, dateline)
    if content_type == "markdown":
        content = markdown_to_html(content)
    blocks = html_blocks(content, registry)
    if dateline:
        blocks.insert(0, Paragraph(Text(clean_line(dateline).upper(), style=DATELINE_STYLE)))
    return blocks


def text_body_blocks(content: str, dateline: str | None) -> list[RenderableType]:
    """A plain-text body keeps its structure: subheadings bold, the dateline (bold capitals)
    leading the first paragraph as in a newspaper."""
    from tuinews.sources.plaintext import text_blocks

    blocks: list[RenderableType] = []
    pending_dateline = clean_line(dateline).upper() if dateline else ""
    for block in text_blocks(content):
        text = clean_text(block.text)
        if block.kind == "subheading":
            blocks.append(Paragraph(Text(clean_line(text), style=SUBHEADING_STYLE)))
            continue
        paragraph = Text()
        if pending_dateline:
            paragraph.append(pending_dateline, style=DATELINE_STYLE)
            paragraph.append(" " if pending_dateline[-1] in DATELINE_DASHES else " — ")
            pending_dateline = ""
        paragraph.append(text)
        blocks.append(Paragraph(paragraph))
    if pending_dateline:
        blocks.insert(0, Paragraph(Text(pending_dateline, style=DATELINE_STYLE)))
    return blocks


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # Raw HTML in Markdown is escaped (shown as text), never passed through.
    return MarkdownIt("commonmark", {"html": False, "maxNesting": _MARKDOWN_NESTING}).enable(
        "table"
    )


# markdown-it stops at this nesting (commonmark's preset: 20, about 10 levels of lists)
# and drops the rest of the document; its parser is iterative enough for much more.
_MARKDOWN_NESTING = 100


def markdown_to_html(content: str) -> str:
    from html import escape

    text = clean_text(content)
    try:
        markdown = _markdown()
        tokens = markdown.parse(text)
        if all(token.level < _MARKDOWN_NESTING - 1 for token in tokens):
            return str(markdown.renderer.render(tokens, markdown.options, {}))
        # Nested to the cap: what follows was dropped. All the text, as paragraphs.
        paragraphs = (part.strip() for part in text.split("\n\n"))
        return "".join(f"<p>{escape(part)}</p>" for part in paragraphs if part)
    except Exception:  # a parser bug must not hide the article: show it as text instead
        return "<pre>" + escape(text) + "</pre>"


# Header fields are cut here: a hostile 10 MB title would otherwise be wrapped whole
# (a second per redraw) for a header nobody can read.
HEADER_FIELD_LIMIT = 2000


def _header_line(value: str | None) -> str:
    if value and len(value) > HEADER_FIELD_LIMIT:
        return clean_line(value[: HEADER_FIELD_LIMIT * 2])[:HEADER_FIELD_LIMIT] + "…"
    return clean_line(value)


def header_block(
    article: Article, enclosure_numbers: list[int | None], *, fold_addresses: bool = True
) -> RenderableType:
    """Title, then one labelled line per known field, then a rule. Each a paragraph of
    its own: a wide character in the title (CJK, an emoji) sends its paragraph through
    Rich's wrapping, which leaves a label alone above an address too long for its line."""
    # Each line, and whether it holds an address (see render_article's fold_addresses)
    lines = [(Text(_header_line(article.title) or UNTITLED, style=TITLE_STYLE), False)]

    def field(label: str, value: str, *, address: bool = False) -> Text | None:
        if not value:
            return None
        line = Text(style=TITLE_STYLE)  # the header's one style, as the title's
        line.append(label + ": ", style=LABEL_STYLE)
        line.append(value)
        lines.append((line, address))
        return line

    field("Feed", _header_line(article.feed_title))
    field("Author", _header_line(article.author))
    if article.date is not None:
        field("Date", format_date(article.date))
    if article.link:
        field("Link", drawable_url(clean_url(article.link)), address=True)
    language = clean_line(article.language)
    if article.direction == "rtl":
        language = (language + " " if language else "") + "(right-to-left)"
    field("Language", language)
    field("Tags", ", ".join(filter(None, (clean_line(tag) for tag in article.categories))))
    for enclosure, number in zip(article.enclosures, enclosure_numbers, strict=True):
        line = field("Enclosure", describe_enclosure(enclosure), address=True)
        if line is not None and number is not None:
            line.append(" ")
            line.append(f"[{number}]", style=LINK_NUMBER_STYLE)
    paragraphs = []
    for line, address in lines:
        line.overflow = "fold"
        paragraphs.append(Paragraph(line, fold=fold_addresses or not address))
    rule = Rule(style=HEADER_RULE_STYLE)
    return join_blocks([*paragraphs, rule], spaced=False)


def describe_enclosure(enclosure: Enclosure) -> str:
    details = [clean_line(enclosure.type)]
    if enclosure.length is not None and enclosure.length > 0:
        details.append(human_size(enclosure.length))
    shown = ", ".join(filter(None, details))
    url = drawable_url(clean_url(enclosure.url))
    return f"{url} ({shown})" if shown else url


def format_date(value: datetime) -> str:
    """In local time with its zone, e.g. "2026-11-24 18:30 JST": as `list` and the
    headline list show dates (it said UTC while they said local time)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def human_size(size: int) -> str:
    """Decimal units, as podcast players show them: 532 B, 12.3 MB, 1.1 GB."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 999.95 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def plain_text(rendered: RenderedArticle | RenderableType, width: int) -> str:
    """The rendering as uncoloured text at `width` columns (trailing spaces removed)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        legacy_windows=False,
        emoji=False,
        highlight=False,
        markup=False,
        soft_wrap=False,
        _environ={},
    )
    renderable = rendered.renderable if isinstance(rendered, RenderedArticle) else rendered
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))
