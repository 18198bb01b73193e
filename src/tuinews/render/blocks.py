"""Width-adaptive renderables for article blocks: indented content and code.

Each one decides its layout in `__rich_console__`, when the console's width is known, so a
rendered article reflows when the reader pane is resized.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from tuinews.render.wrap import Paragraph

# Below this many cells for the content, indentation is dropped rather than squeezing the
# text into a sliver (deeply nested lists and quotes on a narrow pane).
MIN_CONTENT_WIDTH = 12
TAB_SIZE = 8
CODE_STYLE = Style(color="green")
QUOTE_BAR_STYLE = Style(dim=True)


class _BlankLine:
    """An empty line between blocks (cheaper than an empty `Text`, which Rich wraps)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Segment.line()


BLANK_LINE = _BlankLine()


def join_blocks(blocks: Sequence[RenderableType], *, spaced: bool) -> RenderableType:
    """Blocks one under the other, with a blank line between them when `spaced`."""
    if len(blocks) == 1:
        return blocks[0]
    if not spaced:
        return Group(*blocks)
    parts: list[RenderableType] = []
    for block in blocks:
        if parts:
            parts.append(BLANK_LINE)
        parts.append(block)
    return Group(*parts)


class Indented:
    """`content` rendered narrower, after `first` on its first line and `rest` on the others.

    Used for list items (marker, then hanging indent), block quotes (a bar on every line)
    and definitions. `first` and `rest` must have the same cell width.
    """

    def __init__(self, content: RenderableType, first: Text, rest: Text) -> None:
        self.content = content
        self.first = first
        self.rest = rest

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        indent = self.first.cell_len
        width = options.max_width
        if width - indent < MIN_CONTENT_WIDTH:
            indent = 0
        lines = None
        if isinstance(self.content, Paragraph):  # the common list item: skip Rich's machinery
            lines = self.content.lines(console, width - indent)
        if lines is None:
            lines = console.render_lines(
                self.content, options.update(width=width - indent, height=None), pad=False
            )
        if not lines:
            lines = [[]]
        first = list(self.first.render(console)) if indent else []
        rest = list(self.rest.render(console)) if indent else []
        new_line = Segment.line()
        for index, line in enumerate(lines):
            yield from first if index == 0 else rest
            yield from line
            yield new_line


class CodeBlock:
    """Preformatted text kept verbatim; a line longer than the width is folded at the width
    (continued on the next line, nothing cropped)."""

    def __init__(self, code: str) -> None:
        self.lines = [line.expandtabs(TAB_SIZE).rstrip() for line in code.split("\n")]

    @property
    def plain(self) -> str:
        return "\n".join(self.lines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        new_line = Segment.line()
        for line in self.lines:
            if len(line) <= width and cell_len(line) <= width:
                yield Segment(line, CODE_STYLE)
                yield new_line
                continue
            for piece in chop_cells(line, width):
                yield Segment(piece, CODE_STYLE)
                yield new_line
