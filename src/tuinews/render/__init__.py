"""Article rendering: `Article` -> Rich renderable plus its numbered links. Pure, no I/O.

Every piece of text is built as `rich.text.Text` (never markup), and every text node is
cleaned of control and bidi-override characters after entity decoding.
"""

from __future__ import annotations

from tuinews.render.article import RenderedArticle, plain_text, render_article, render_body
from tuinews.render.links import Link

__all__ = ["Link", "RenderedArticle", "plain_text", "render_article", "render_body"]
