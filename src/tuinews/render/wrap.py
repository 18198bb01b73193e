"""A paragraph renderable that word-wraps fast.

Why: Rich's `Text.wrap` costs several microseconds per word, which made a 200 KB article
take ~250 ms to lay out. Most news text is made of characters one cell wide; for those,
cell width equals string length and plain `str.rfind` finds the breaks. Anything else
(CJK, emoji, combining marks, overlapping styles) goes through Rich's own wrapping.
"""

from __future__ import annotations

from bisect import bisect_right

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text

from tuinews.sources.sanitize import drawable

# Characters Rich measures as one cell: printable Latin-1 and Latin Extended, Greek and
# Cyrillic, general punctuation (dashes, quotes, bullet, ellipsis), currency signs, arrows,
# box drawing and geometric shapes. Zero-width and soft-hyphen characters are left out.
_SINGLE_CELL_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0xAC),
    (0xAE, 0x2FF),
    (0x370, 0x482),
    (0x2010, 0x2027),
    (0x2030, 0x205E),
    (0x20A0, 0x20C0),
    (0x2190, 0x21FF),
    (0x2500, 0x25FC),
)
_SINGLE_CELL = frozenset(
    chr(code) for start, end in _SINGLE_CELL_RANGES for code in range(start, end + 1)
) | {"\n"}


def wrap_ranges(plain: str, width: int, *, fold: bool = True) -> list[tuple[int, int]]:
    """Start/end offsets of each output line: greedy word wrap at spaces, words longer than
    the width folded (or, not `fold`, kept whole past the width), spaces at the break
    dropped. `plain` must be one cell per character."""
    width = max(1, width)
    ranges: list[tuple[int, int]] = []
    offset = 0
    for line in plain.split("\n"):
        length = len(line)
        start = 0
        while True:
            if length - start <= width:
                ranges.append((offset + start, offset + length))
                break
            cut = line.rfind(" ", start, start + width + 1)
            if cut <= start or _folds_anyway(line, cut + 1, width):
                # A word longer than a whole line (an address) is folded wherever it
                # starts: beside what precedes it, not below a line left short
                # ("Link:" alone on its line).
                end = next_start = start + width
                if not fold:
                    word_end = line.find(" ", cut + 1 if cut > start else start)
                    end = next_start = length if word_end == -1 else word_end
            else:
                end = cut
                while end > start and line[end - 1] == " ":
                    end -= 1
                next_start = cut + 1
            ranges.append((offset + start, offset + end))
            start = next_start
            while start < length and line[start] == " ":
                start += 1
            if start >= length:
                break
        offset += length + 1
    return ranges


def _folds_anyway(line: str, word_start: int, width: int) -> bool:
    """Whether the word at `word_start` is longer than `width`."""
    word_end = line.find(" ", word_start, word_start + width + 1)
    return word_end == -1 and len(line) - word_start > width


class Paragraph:
    """A `Text` that wraps at the console width, with a fast path for one-cell text.

    Every paragraph of an article is one of these, so its text is made `drawable` here,
    before anything measures it (same length: the spans stay)."""

    __slots__ = ("fold", "text")

    def __init__(self, text: Text, *, fold: bool = True) -> None:
        plain = text.plain
        shown = drawable(plain)
        if shown is not plain:
            text.plain = shown
        self.text = text
        # Not `fold`: a word longer than the line (an address) stays whole past the
        # width, for a terminal to wrap as it draws and a pipe to keep greppable.
        self.fold = fold

    def lines_at(self, console: Console, options: ConsoleOptions) -> list[list[Segment]]:
        """The wrapped lines at `options.max_width` (the protocol of `blocks.block_lines`)."""
        lines = self.lines(console, options.max_width)
        if lines is None:
            if not self.fold:
                # Addresses with wide characters (an international name): whole too,
                # a line each (the header's field, the Links list's entries).
                return [list(line.render(console, end="")) for line in self.text.split("\n")]
            lines = console.render_lines(self.text, options.update(height=None), pad=False)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for line in self.lines_at(console, options):
            yield from line
            yield new_line

    def lines(self, console: Console, width: int) -> list[list[Segment]] | None:
        """The wrapped lines at `width`, or None when only Rich can measure this text."""
        text = self.text
        plain = text.plain
        spans = text.spans
        if not _SINGLE_CELL.issuperset(plain) or not _ordered(spans):
            return None
        base = text.style if isinstance(text.style, Style) else console.get_style(text.style)
        base_style = base if base else None
        styles = [
            base + (span.style if isinstance(span.style, Style) else console.get_style(span.style))
            for span in spans
        ]
        ends = [span.end for span in spans]
        count = len(spans)
        lines: list[list[Segment]] = []
        for start, end in wrap_ranges(plain, width, fold=self.fold):
            line: list[Segment] = []
            index = bisect_right(ends, start)
            position = start
            while position < end:
                if index < count and spans[index].start <= position:
                    stop = min(end, spans[index].end)
                    line.append(Segment(plain[position:stop], styles[index]))
                    if stop == spans[index].end:
                        index += 1
                else:
                    stop = min(end, spans[index].start) if index < count else end
                    line.append(Segment(plain[position:stop], base_style))
                position = stop
            lines.append(line)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)


def _ordered(spans: list[Span]) -> bool:
    """True when spans are sorted and do not overlap (what `InlineText` produces)."""
    previous_end = 0
    for span in spans:
        if span.start < previous_end or span.end < span.start:
            return False
        previous_end = span.end
    return True
