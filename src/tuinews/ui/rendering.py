"""Turning an article into reader lines, in a worker thread (no widgets touched here)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console, RenderableType
from rich.segment import Segment
from textual.strip import Strip

from tuinews.ui.safe import safe_fragment


def render_to_strips(renderable: RenderableType, width: int) -> list[Strip]:
    """Render at `width` with a private console, so it is safe off the UI thread."""
    console = Console(
        width=width,
        file=io.StringIO(),
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
        highlight=False,
        emoji=False,
    )
    options = console.options.update_width(width)
    lines = console.render_lines(renderable, options, pad=False)
    # Second line of defence: a control character in a segment never reaches the terminal.
    return [
        Strip([Segment(safe_fragment(s.text), s.style, s.control) for s in line]) for line in lines
    ]


def article_renderable(stored: Any) -> tuple[RenderableType, list[Any]]:
    """Header, body and numbered links list, as `render_article` builds them."""
    from tuinews.render import render_article  # lazy: not needed for the first screen

    rendered = render_article(stored.article)
    return rendered.renderable, list(rendered.links)
