"""HTML tables laid out to fit any width.

Why not `rich.table.Table`: it measures and renders every cell several times through the
generic renderable machinery, which made an article with a dozen 40-row tables take half a
second to lay out. This grid measures each cell once and wraps with `Paragraph`.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from tuinews.render.blocks import join_blocks
from tuinews.render.wrap import Paragraph

# Cells a column costs beside its text: one space each side and one border.
COLUMN_OVERHEAD = 3
# A column narrower than its longest word (up to this many cells) cuts words apart, which
# reads worse than the stacked layout.
WORD_CELLS = 10
HEADER_STYLE = Style(bold=True)
BORDER_STYLE = Style(dim=True)


class FittedTable:
    """A grid with wrapping columns when the columns can keep their words whole, else one
    "header: value" line per cell, one row after another."""

    def __init__(self, header: list[Text] | None, rows: list[list[Text]]) -> None:
        columns = max([len(header or ())] + [len(row) for row in rows])
        self.columns = columns
        self.header = _pad_row(header, columns) if header else None
        if self.header:
            for cell in self.header:
                cell.stylize(HEADER_STYLE)
        self.rows = [_pad_row(row, columns) for row in rows]
        # Per column: the longest word (capped) and the longest line, in cells.
        self.min_widths = [1] * columns
        self.max_widths = [1] * columns
        for row in self._all_rows():
            for index, cell in enumerate(row):
                plain = cell.plain
                if not plain:
                    continue
                longest_word = max(map(cell_len, plain.split()), default=1)
                longest_line = max(map(cell_len, plain.split("\n")))
                self.min_widths[index] = max(self.min_widths[index], min(longest_word, WORD_CELLS))
                self.max_widths[index] = max(self.max_widths[index], longest_line)
        self.min_grid_width = sum(self.min_widths) + COLUMN_OVERHEAD * columns + 1

    def _all_rows(self) -> list[list[Text]]:
        return [self.header, *self.rows] if self.header else self.rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self.min_grid_width <= width:
            yield from self._grid(console, options, width)
        else:
            yield self._stacked()

    def column_widths(self, width: int) -> list[int]:
        """Longest lines when they fit; else each column gets its words, then a share of
        the rest in proportion to how much more it could use."""
        available = width - COLUMN_OVERHEAD * self.columns - 1
        if sum(self.max_widths) <= available:
            return list(self.max_widths)
        widths = list(self.min_widths)
        spare = available - sum(widths)
        wants = [most - least for most, least in zip(self.max_widths, widths, strict=True)]
        total_want = sum(wants)
        if spare > 0 and total_want > 0:
            for index, want in enumerate(wants):
                widths[index] += spare * want // total_want
            # Rounding leftovers go to the columns that still want more, left to right.
            leftover = available - sum(widths)
            for index in range(self.columns):
                if leftover <= 0:
                    break
                if widths[index] < self.max_widths[index]:
                    widths[index] += 1
                    leftover -= 1
        return widths

    def _grid(self, console: Console, options: ConsoleOptions, width: int) -> RenderResult:
        widths = self.column_widths(width)
        new_line = Segment.line()

        def border(left: str, middle: str, right: str) -> Segment:
            inner = middle.join("─" * (cell + 2) for cell in widths)
            return Segment(left + inner + right, BORDER_STYLE)

        bar = Segment("│", BORDER_STYLE)
        yield border("┌", "┬", "┐")
        yield new_line
        for number, row in enumerate(self._all_rows()):
            if number:
                yield border("├", "┼", "┤")
                yield new_line
            cells = [
                _cell_lines(console, options, cell, cell_width)
                for cell, cell_width in zip(row, widths, strict=True)
            ]
            height = max(len(lines) for lines in cells)
            for line_number in range(height):
                yield bar
                for lines, cell_width in zip(cells, widths, strict=True):
                    yield Segment(" ")
                    if line_number < len(lines):
                        line = lines[line_number]
                        yield from line
                        used = Segment.get_line_length(line)
                    else:
                        used = 0
                    yield Segment(" " * (cell_width - used + 1))
                    yield bar
                yield new_line
        yield border("└", "┴", "┘")
        yield new_line

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
                    text.append(self.header[index].plain + ": ", style=HEADER_STYLE)
                text.append_text(cell)
            blocks.append(Paragraph(text))
        return join_blocks(blocks, spaced=True) if blocks else Text("")


def _cell_lines(
    console: Console, options: ConsoleOptions, cell: Text, width: int
) -> list[list[Segment]]:
    lines = Paragraph(cell).lines(console, width)
    if lines is None:
        lines = console.render_lines(cell, options.update(width=width, height=None), pad=False)
    return lines or [[]]


def _pad_row(row: list[Text], columns: int) -> list[Text]:
    return row + [Text("") for _ in range(columns - len(row))]
