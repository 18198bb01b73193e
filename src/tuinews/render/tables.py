"""HTML tables: collected during the walk, laid out to fit any width.

Why not `rich.table.Table`: it measures and renders every cell several times through the
generic renderable machinery, which made an article with a dozen 40-row tables take half a
second to lay out. This grid measures each cell once and wraps with `Paragraph`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from tuinews.render.blocks import join_blocks
from tuinews.render.inline import InlineText
from tuinews.render.tags import BULLETS
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
        self.word_widths = [1] * columns  # the longest word, uncapped
        self.max_widths = [1] * columns
        for row in self._all_rows():
            for index, cell in enumerate(row):
                plain = cell.plain
                if not plain:
                    continue
                longest_word = max(map(cell_len, plain.split()), default=1)
                longest_line = max(map(cell_len, plain.split("\n")))
                self.min_widths[index] = max(self.min_widths[index], min(longest_word, WORD_CELLS))
                self.word_widths[index] = max(self.word_widths[index], longest_word)
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
        # Every word whole when the columns' longest words fit side by side: a long word
        # cut in two while another column has room to spare reads badly.
        whole_words = [
            min(word, most) for word, most in zip(self.word_widths, self.max_widths, strict=True)
        ]
        widths = whole_words if sum(whole_words) <= available else list(self.min_widths)
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


@dataclass
class TableBuilder:
    """The rows of the outermost table being walked. Nested tables and blocks inside a
    cell become lines of that cell's text."""

    header: list[Text] | None = None
    rows: list[list[Text]] = field(default_factory=list)
    row: list[Text] | None = None
    row_is_header: bool = False
    in_head: bool = False
    cell: InlineText | None = None
    caption: InlineText = field(default_factory=InlineText)
    in_caption: bool = False
    outside: InlineText = field(default_factory=InlineText)  # stray text, discarded

    def current(self) -> InlineText:
        """Where text goes now: the open cell, the caption, or nowhere."""
        if self.cell is not None:
            return self.cell
        return self.caption if self.in_caption else self.outside

    def start(self, tag: str, *, nested: bool) -> None:
        if nested or self.cell is not None:
            current = self.current()
            if tag == "li":
                current.soft_break()
                current.add_exact(BULLETS[0] + " ", None)
            elif tag in ("td", "th"):
                current.add(" ", None)
            else:
                current.soft_break()
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row = []
            self.row_is_header = True  # until a <td> shows it is not, outside <thead>
        elif tag in ("td", "th"):
            if self.row is None:
                self.row = []
                self.row_is_header = True
            self.cell = InlineText()
            if tag == "td" and not self.in_head:
                self.row_is_header = False
        elif tag == "caption":
            self.in_caption = True

    def end(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._end_cell()
        elif self.cell is not None:
            self.cell.soft_break()
        elif tag == "tr":
            self._end_row()
        elif tag == "thead":
            self.in_head = False
        elif tag == "caption":
            self.in_caption = False

    def finish(self) -> tuple[Text | None, FittedTable | None]:
        """The caption and the table (None when it had no cells)."""
        self._end_cell()
        self._end_row()
        grid = FittedTable(self.header, self.rows) if self.rows or self.header else None
        return self.caption.take_text(), grid

    def _end_cell(self) -> None:
        if self.cell is not None and self.row is not None:
            self.row.append(self.cell.take_text() or Text(""))
        self.cell = None

    def _end_row(self) -> None:
        row, self.row = self.row, None
        if not row:
            return
        if self.row_is_header and self.header is None and not self.rows:
            self.header = row
        else:
            self.rows.append(row)
