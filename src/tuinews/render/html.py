"""HTML body -> list of block renderables, by one iterative walk over the lxml tree.

The walk uses `lxml.etree.iterwalk` (start/end events, no Python recursion), so hostile
nesting cannot raise RecursionError; libxml2 itself caps the tree depth at 256 (deeper
bodies fall back to their plain text, so nothing after the cap is lost), and the
containers we build (lists, quotes) stop nesting at `MAX_NESTING` so Rich's own recursive
rendering stays shallow too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.rule import Rule
from rich.style import Style
from rich.text import Text

from tuinews.render.blocks import CodeBlock, Indented, join_blocks
from tuinews.render.inline import InlineText
from tuinews.render.links import (
    LINK_NUMBER_STYLE,
    LINK_TEXT_LIMIT,
    LinkRegistry,
    file_name_of,
    host_of,
    url_scheme,
)
from tuinews.render.tables import TableBuilder
from tuinews.render.tags import (
    ALT_LIMIT,
    BLOCKS,
    BULLETS,
    CONTAINERS,
    DEFINITION_INDENT,
    DROPPED,
    IGNORED_VOIDS,
    IMAGE_STYLE,
    LIST_TAGS,
    MAX_LIST_NUMBER,
    MAX_NESTING,
    MEDIA_PLACEHOLDERS,
    PRE_TAGS,
    QUOTE_BAR,
    STYLES,
    format_list_number,
)
from tuinews.render.wrap import Paragraph
from tuinews.sources.sanitize import clean_line, clean_text, ellipsized, html_to_plain

if TYPE_CHECKING:
    from lxml.etree import _Element


# An image's title (hover) text is kept longer than its alt text: it is often a whole line.
TITLE_TEXT_LIMIT = 1000


def _is_tracker(image: _Element) -> bool:
    """A 0- or 1-pixel image: a web bug (feedburner, golem), nothing a reader can see."""
    sizes = (image.get("width", "").strip(), image.get("height", "").strip())
    return "0" in sizes or "1" in sizes


def _worth_a_number(source: str) -> bool:
    """Not an inline data: image (a blob, not an address)."""
    return bool(source) and source[:5].lower() != "data:"


@dataclass
class _Container:
    """An open block that holds other blocks: the body, a list, an item, a quote."""

    tag: str
    blocks: list[RenderableType] = field(default_factory=list)
    inline: InlineText = field(default_factory=InlineText)
    # Lists only: (explicit number or None, is_item, content) per child.
    items: list[tuple[int | None, bool, RenderableType]] = field(default_factory=list)
    ordered: bool = False
    start: int | None = None
    reversed: bool = False
    number_type: str = "1"
    value: int | None = None  # items only: the `value` attribute


# What an element's start did, so its end can undo exactly that.
_DROP, _STYLE, _CONTAINER, _BLOCK, _PRE, _TABLE, _LINK = (1, 2, 4, 8, 16, 32, 64)


class _Walker:
    def __init__(self, registry: LinkRegistry) -> None:
        self.registry = registry
        self.containers = [_Container("body")]
        self.styles: list[Style] = []
        self.style: Style | None = None
        self.pre_depth = 0
        self.pre_text: list[str] = []
        self.table_depth = 0
        self.table: TableBuilder | None = None
        # Open links: href and the start of the text seen inside so far (their label).
        self.links: list[tuple[str, list[str]]] = []

    # -- text ------------------------------------------------------------------------
    def inline(self) -> InlineText:
        if self.table is not None:
            return self.table.current()
        return self.containers[-1].inline

    def add_text(self, raw: str | None) -> None:
        if not raw:
            return
        # Sanitised later, once per paragraph (`InlineText.take_text`) or code block.
        self.add_to_labels(raw)
        if self.pre_depth:
            self.pre_text.append(raw)
        else:
            self.inline().add(raw, self.style)

    def add_exact(self, text: str, style: Style | None) -> None:
        self.add_to_labels(text)
        if self.pre_depth:
            self.pre_text.append(text)
        else:
            self.inline().add_exact(text, style)

    def add_to_labels(self, text: str) -> None:
        for _, label in self.links:
            if len(label[0]) < LINK_TEXT_LIMIT:  # bounded: links may wrap a whole body
                label[0] += text[:LINK_TEXT_LIMIT]

    def set_style(self) -> None:
        self.style = Style.combine(self.styles) if self.styles else None

    # -- blocks ----------------------------------------------------------------------
    def boundary(self) -> None:
        """A block starts or ends: finish the current paragraph."""
        if self.pre_depth:
            return
        if self.table is not None:
            self.table.current().soft_break()
            return
        text = self.containers[-1].inline.take_text()
        if text is not None:
            self.add_block(Paragraph(text))

    def add_block(self, block: RenderableType) -> None:
        container = self.containers[-1]
        if container.tag in LIST_TAGS:
            container.items.append((None, False, block))
        else:
            container.blocks.append(block)

    # -- events ----------------------------------------------------------------------
    def start(self, element: _Element, tag: str) -> int:
        done = 0
        if tag in DROPPED or element.get("hidden") is not None:
            if tag in MEDIA_PLACEHOLDERS:
                self.add_media(element, tag)
            return _DROP
        if tag in IGNORED_VOIDS:
            return 0
        if tag == "math":
            tex = _tex_of(element)
            if tex:
                self.add_text(tex)
                return _DROP
        if tag in BLOCKS:
            done |= self.start_block(element, tag)
        elif tag == "br":
            if self.pre_depth:
                self.pre_text.append("\n")
            else:
                self.inline().line_break()
        elif tag == "img":
            self.add_image(element)
        if tag == "a" and element.get("href"):
            done |= _LINK
            self.links.append((element.get("href") or "", [""]))
        style = STYLES.get(tag)
        if style is not None:
            self.styles.append(style)
            self.set_style()
            done |= _STYLE
        return done

    def end(self, tag: str, done: int) -> None:
        if done & _LINK:
            self.end_link()
        if done & _STYLE:
            self.styles.pop()
            self.set_style()
        if done & _PRE:
            self.end_pre()
        elif done & _TABLE:
            self.end_table()
        elif done & _CONTAINER:
            self.end_container()
        elif done & _BLOCK:
            self.end_block(tag)

    def start_block(self, element: _Element, tag: str) -> int:
        if tag in PRE_TAGS:
            if self.pre_depth == 0:
                self.boundary()
                self.pre_text = []
            self.pre_depth += 1
            return _PRE
        if tag == "table":
            self.boundary()
            self.table_depth += 1
            if self.table_depth == 1 and self.pre_depth == 0:
                self.table = TableBuilder()
            return _TABLE
        if self.table is not None:
            return self.start_in_table(tag)
        self.boundary()
        if tag == "hr" and not self.pre_depth:
            self.add_block(Rule(style=Style(dim=True)))
            return _BLOCK
        if tag in CONTAINERS and not self.pre_depth and len(self.containers) < MAX_NESTING:
            self.containers.append(self.new_container(element, tag))
            return _CONTAINER
        return _BLOCK

    def end_block(self, tag: str) -> None:
        if self.table is not None and self.table_depth == 1:
            self.table.end(tag)
        else:
            self.boundary()

    def new_container(self, element: _Element, tag: str) -> _Container:
        container = _Container(tag)
        if tag == "ol":
            container.ordered = True
            container.start = _int_attribute(element, "start")
            container.reversed = element.get("reversed") is not None
            number_type = element.get("type") or "1"
            container.number_type = number_type if number_type in ("1", "a", "A", "i", "I") else "1"
        elif tag == "li":
            container.value = _int_attribute(element, "value")
        return container

    def end_container(self) -> None:
        self.boundary()
        container = self.containers.pop()
        block: RenderableType | None
        if container.tag in LIST_TAGS:
            block = self.finish_list(container)
        elif container.tag == "li":
            content = join_blocks(container.blocks, spaced=False) if container.blocks else Text()
            parent = self.containers[-1]
            if parent.tag in LIST_TAGS:
                parent.items.append((container.value, True, content))
                return
            marker = Text(BULLETS[0] + " ")
            block = Indented(content, marker, Text(" " * marker.cell_len))
        elif not container.blocks:
            return
        elif container.tag == "blockquote":
            block = Indented(join_blocks(container.blocks, spaced=True), QUOTE_BAR, QUOTE_BAR)
        else:  # dd
            content = join_blocks(container.blocks, spaced=False)
            block = Indented(content, DEFINITION_INDENT, DEFINITION_INDENT)
        if block is not None:
            self.add_block(block)

    def finish_list(self, container: _Container) -> RenderableType | None:
        count = sum(1 for _, is_item, _ in container.items if is_item)
        if container.start is not None:
            number = container.start
        else:
            number = count if container.reversed else 1
        step = -1 if container.reversed else 1
        depth = sum(1 for open_one in self.containers if open_one.tag in LIST_TAGS)
        markers: list[str] = []
        for value, is_item, _ in container.items:
            if not is_item:
                markers.append("")
                continue
            if value is not None:
                number = value
            if container.ordered:
                markers.append(format_list_number(number, container.number_type) + ".")
            else:
                markers.append(BULLETS[depth % len(BULLETS)])
            number += step
        width = max((len(marker) for marker in markers), default=0) + 1
        rows: list[RenderableType] = []
        for marker, (_, _, content) in zip(markers, container.items, strict=True):
            first = Text(marker.rjust(width - 1) + " ")
            rows.append(Indented(content, first, Text(" " * width)))
        return join_blocks(rows, spaced=False) if rows else None

    # -- pre -------------------------------------------------------------------------
    def end_pre(self) -> None:
        self.pre_depth -= 1
        if self.pre_depth:
            return
        code = clean_text("".join(self.pre_text)).replace("\u2028", "\n").replace("\u2029", "\n")
        self.pre_text = []
        # HTML ignores one newline right after <pre>; trailing blank lines are noise.
        if code.startswith("\n"):
            code = code[1:]
        code = code.rstrip()
        if not code:
            return
        if self.table is not None:
            self.table.current().add(code, self.style)
        else:
            self.add_block(CodeBlock(code))

    # -- tables ----------------------------------------------------------------------
    def start_in_table(self, tag: str) -> int:
        assert self.table is not None
        self.table.start(tag, nested=self.table_depth > 1)
        return _BLOCK

    def end_table(self) -> None:
        self.table_depth -= 1
        table = self.table
        if self.table_depth or table is None:
            if table is not None:  # a nested table ends a line of the outer cell
                table.current().soft_break()
            return
        self.table = None
        caption, grid = table.finish()
        if caption is not None:
            self.add_block(Paragraph(caption))
        if grid is not None:
            self.add_block(grid)

    # -- inline elements -------------------------------------------------------------
    def add_image(self, element: _Element) -> None:
        if _is_tracker(element):
            # Its placeholder was a file name like "[image: cpx.php]" glued to the text.
            return
        whole_alt = clean_line(element.get("alt"))
        alt = ellipsized(whole_alt, ALT_LIMIT)
        source = (element.get("src") or "").strip()
        own = not self.links and _worth_a_number(source)
        title = clean_line(element.get("title"))
        if title == whole_alt:
            # xkcd's alt and title hold the same punchline: shown once, whole, as the
            # title after the number (it was the cut alt text, then the title again).
            alt, title = ("", title) if own and alt != whole_alt else (alt, "")
        if not alt:
            alt = file_name_of(source) or "image"
        self.add_exact(f"[image: {alt}]", IMAGE_STYLE)
        if not own:
            return  # inside a link, the link's number opens it
        # An image of its own (a comic, a chart) can be opened like a link, as in
        # newsboat; it had no number, and an article that is one image had no link.
        number = self.registry.add(source, alt)
        if number is not None:
            self.add_exact(f"[{number}]", LINK_NUMBER_STYLE)
        if title:
            # The text a browser shows on hover: xkcd's punchline is there.
            self.add_exact(" " + ellipsized(title, TITLE_TEXT_LIMIT), IMAGE_STYLE)

    def add_media(self, element: _Element, tag: str) -> None:
        """A dropped video, audio or embedded frame leaves `[video: host][n]` behind, so a
        post that is only an embed still says what it held and where."""
        source = element.get("src") or ""
        if not source:
            for child in element.iter("source"):
                source = child.get("src") or ""
                if source:
                    break
        number = self.registry.add(source, MEDIA_PLACEHOLDERS[tag]) if source else None
        if number is None:
            return
        url = self.registry.links[number - 1].url
        host = host_of(url) or url_scheme(url) or "?"
        self.boundary()  # a block of its own, like the frame or player it stands for
        self.add_exact(f"[{MEDIA_PLACEHOLDERS[tag]}: {host}]", IMAGE_STYLE)
        self.add_exact(f"[{number}]", LINK_NUMBER_STYLE)
        self.boundary()

    def end_link(self) -> None:
        href, label = self.links.pop()
        if not label[0].strip():
            # Nothing shown inside it (share buttons drawn by icons, a tracking pixel):
            # a bare "[10] [11]" says nothing of where it leads.
            return
        number = self.registry.add(href, label[0])
        if number is None:
            return
        marker = f"[{number}]"
        container = self.containers[-1]
        last = container.blocks[-1] if container.blocks else None
        if (
            not self.pre_depth
            and self.table is None
            and container.inline.is_empty
            and isinstance(last, Paragraph)
        ):
            # The link wrapped whole blocks (`<a><h2>Title</h2></a>`): number the last one
            # rather than leave "[n]" alone on a line.
            last.text.append(marker, LINK_NUMBER_STYLE)
        else:
            self.add_exact(marker, LINK_NUMBER_STYLE)

    def finish(self) -> list[RenderableType]:
        while self.table is not None or self.table_depth:
            self.end_table()
        while len(self.containers) > 1:
            self.end_container()
        self.boundary()
        return self.containers[0].blocks


def html_blocks(html: str, registry: LinkRegistry) -> list[RenderableType]:
    """The blocks of an HTML fragment, links numbered in `registry`."""
    # Raw controls and NULs would make lxml refuse the string; decoded ones (`&#27;`)
    # are removed per paragraph in `InlineText.take_text`.
    source = clean_text(html)
    if not source.strip():
        return []
    from lxml import etree

    # Plain etree elements (lxml.html's element-class lookup costs ~10 ms on 200 KB).
    # Bytes with a fixed encoding: a `<meta charset>` or XML declaration in the body can
    # neither change the decoding nor make lxml refuse a str.
    parser = etree.HTMLParser(
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        collect_ids=False,
    )
    try:
        document = etree.fromstring(source.encode("utf-8", "surrogatepass"), parser=parser)
    except (etree.ParserError, ValueError):
        return [Paragraph(Text(html_to_plain(source, limit=0)))]
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        # libxml2 stops at 256 levels of nesting and drops everything after that point:
        # show all the text, without structure, rather than lose the rest of the body.
        return [Paragraph(Text(html_to_plain(source, limit=0)))]
    body = document.find("body") if document is not None else None
    if body is None:
        return []
    walker = _Walker(registry)
    actions: list[int] = []
    events: Any = etree.iterwalk(body, events=("start", "end"))
    for event, element in events:
        tag = element.tag
        if not isinstance(tag, str):
            if event == "end":
                walker.add_text(element.tail)
            continue
        if event == "start":
            done = walker.start(element, tag)
            actions.append(done)
            if done & _DROP:
                events.skip_subtree()
            else:
                walker.add_text(element.text)
        else:
            walker.end(tag, actions.pop())
            if element is not body:
                walker.add_text(element.tail)
    return walker.finish()


def _tex_of(math: _Element) -> str | None:
    """The TeX source MathML carries for other renderers, e.g. `10^3`."""
    for annotation in math.iter("annotation"):
        if (annotation.get("encoding") or "").lower() in ("application/x-tex", "text/x-tex"):
            return annotation.text
    return None


def _int_attribute(element: _Element, name: str) -> int | None:
    raw = (element.get(name) or "").strip()
    try:
        number = int(raw)
    except ValueError:
        return None
    return number if abs(number) < MAX_LIST_NUMBER else None
