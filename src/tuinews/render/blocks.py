"""Width-adaptive renderables for article blocks: indented content, code, tables.

Each one decides its layout in `__rich_console__`, when the console's width is known, so a
rendered article reflows when the reader pane is resized.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from tuinews.render.wrap import Paragraph

# Below this many cells for the content, indentation is dropped rather than squeezing the
# text into a sliver (deeply nested lists and quotes on a narrow pane).
MIN_CONTENT_WIDTH = 12
TAB_SIZE = 8
# Cells a table column costs beside its text: one space each side and one border.
TABLE_COLUMN_OVERHEAD = 3
# A column narrower than its longest word (up to this many cells) cuts words apart, which
# reads worse than the stacked layout.
TABLE_WORD_CELLS = 10

CODE_STYLE = Style(color="green")
QUOTE_BAR_STYLE = Style(dim=True)
TABLE_HEADER_STYLE = Style(bold=True)


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


class FittedTable:
    """A table that always fits the width: a Rich table with wrapping columns when the
    columns can keep their words whole, else one "header: value" line per cell."""

    def __init__(self, header: list[Text] | None, rows: list[list[Text]]) -> None:
        columns = max([len(header or ())] + [len(row) for row in rows])
        self.columns = columns
        self.header = _pad_row(header, columns) if header else None
        self.rows = [_pad_row(row, columns) for row in rows]
        # The narrowest grid that keeps words whole (each word counted up to a cap).
        word_cells = [1] * columns
        for row in [*([self.header] if self.header else []), *self.rows]:
            for index, cell in enumerate(row):
                longest = max((cell_len(word) for word in cell.plain.split()), default=1)
                word_cells[index] = max(word_cells[index], min(longest, TABLE_WORD_CELLS))
        self.min_grid_width = sum(word_cells) + TABLE_COLUMN_OVERHEAD * columns + 1

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self.min_grid_width <= width:
            yield self._grid()
        else:
            yield self._stacked()

    def _grid(self) -> Table:
        table = Table(
            box=box.SQUARE,
            show_header=self.header is not None,
            header_style=TABLE_HEADER_STYLE,
            show_lines=True,
            expand=False,
            padding=(0, 1),
        )
        for index in range(self.columns):
            heading = self.header[index] if self.header else ""
            table.add_column(heading, overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        return table

    def _stacked(self) -> RenderableType:
        blocks: list[RenderableType] = []
        for row in self.rows:
            text = Text(overflow="fold")
            for index, cell in enumerate(row):
                if not cell.plain:
                    continue
                if text.plain:
                    text.append("\n")
                if self.header and self.header[index].plain:
                    text.append(self.header[index].plain + ": ", style=TABLE_HEADER_STYLE)
                text.append_text(cell)
            blocks.append(text)
        return join_blocks(blocks, spaced=True) if blocks else Text("")


def _pad_row(row: list[Text], columns: int) -> list[Text]:
    return row + [Text("") for _ in range(columns - len(row))]
