"""Width-adaptive renderables for article blocks: indented content and code.

Each one decides its layout in `__rich_console__`, when the console's width is known, so a
rendered article reflows when the reader pane is resized.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from tuinews.sources.sanitize import drawable

# Below this many cells for the content, indentation is dropped rather than squeezing the
# text into a sliver (deeply nested lists and quotes on a narrow pane).
MIN_CONTENT_WIDTH = 12
TAB_SIZE = 8
CODE_STYLE = Style(color="green")


Lines = list[list[Segment]]


def block_lines(console: Console, options: ConsoleOptions, block: RenderableType) -> Lines:
    """The lines of `block` at `options.max_width`, without trailing newlines.

    Our own blocks answer directly (`lines_at`), skipping Rich's generic render machinery,
    which dominated the layout time of long articles; anything else goes through Rich.
    """
    lines_at = getattr(block, "lines_at", None)
    if lines_at is not None:
        result: Lines = lines_at(console, options)
        return result
    return console.render_lines(block, options.update(height=None), pad=False)


def emit(lines: Lines) -> RenderResult:
    new_line = Segment.line()
    for line in lines:
        yield from line
        yield new_line


class Blocks:
    """Blocks one under the other, with a blank line between them when `spaced`."""

    def __init__(self, blocks: Sequence[RenderableType], *, spaced: bool) -> None:
        self.blocks = list(blocks)
        self.spaced = spaced

    def lines_at(self, console: Console, options: ConsoleOptions) -> Lines:
        lines: Lines = []
        for index, block in enumerate(self.blocks):
            if index and self.spaced:
                lines.append([])
            lines.extend(block_lines(console, options, block))
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from emit(self.lines_at(console, options))


def join_blocks(blocks: Sequence[RenderableType], *, spaced: bool) -> RenderableType:
    """Blocks one under the other, with a blank line between them when `spaced`."""
    if len(blocks) == 1:
        return blocks[0]
    return Blocks(blocks, spaced=spaced)


class Indented:
    """`content` rendered narrower, after `first` on its first line and `rest` on the others.

    Used for list items (marker, then hanging indent), block quotes (a bar on every line)
    and definitions. `first` and `rest` must have the same cell width.
    """

    def __init__(self, content: RenderableType, first: Text, rest: Text) -> None:
        self.content = content
        self.first = first
        self.rest = rest

    def lines_at(self, console: Console, options: ConsoleOptions) -> Lines:
        indent = self.first.cell_len
        width = options.max_width
        if width - indent < MIN_CONTENT_WIDTH:
            indent = 0
        lines = block_lines(console, options.update_width(width - indent), self.content)
        if not indent:
            return lines or [[]]
        first = list(self.first.render(console))
        rest = list(self.rest.render(console))
        if not lines:
            return [first]
        return [(first if index == 0 else rest) + line for index, line in enumerate(lines)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from emit(self.lines_at(console, options))


class CodeBlock:
    """Preformatted text kept verbatim; a line longer than the width is folded at the width
    (continued on the next line, nothing cropped)."""

    def __init__(self, code: str) -> None:
        code = drawable(code)
        self.lines = [line.expandtabs(TAB_SIZE).rstrip() for line in code.split("\n")]

    @property
    def plain(self) -> str:
        return "\n".join(self.lines)

    def lines_at(self, console: Console, options: ConsoleOptions) -> Lines:
        width = max(1, options.max_width)
        lines: Lines = []
        for line in self.lines:
            if len(line) <= width and cell_len(line) <= width:
                lines.append([Segment(line, CODE_STYLE)])
            else:
                lines.extend([Segment(piece, CODE_STYLE)] for piece in chop_cells(line, width))
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from emit(self.lines_at(console, options))
