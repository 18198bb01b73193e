"""Markdown articles: optional YAML (`---`) or TOML (`+++`) front matter, else `# Title`.

Only metadata is read here; rendering the Markdown body is the renderer's job. Bad front
matter is ignored (the body is still read): a typo in a header must not hide the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any

from tuinews.sources.sanitize import clean_line, clean_text, clean_url

_YAML_FENCE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_TOML_FENCE = re.compile(r"\A\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*(?:\n|\Z)", re.DOTALL)
_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MARKUP = re.compile(r"[*_`>#]+|!?\[([^\]]*)\]\([^)]*\)")
FRONT_MATTER_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class MarkdownDocument:
    """Clean metadata and the Markdown body of one article."""

    title: str
    body: str
    published: datetime | None = None
    updated: datetime | None = None
    link: str | None = None
    author: str | None = None
    summary: str = ""
    categories: tuple[str, ...] = ()
    language: str | None = None


def parse_date(value: object) -> datetime | None:
    """A timezone-aware UTC datetime from YAML/TOML values or ISO 8601 / RFC 2822 text."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    else:
        return None
    if moment.tzinfo is None:
        # A date without a zone: the author most likely meant their local wall clock,
        # but UTC is the only stable reading across machines.
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Metadata (empty when absent or broken) and the text after the front matter."""
    yaml_match = _YAML_FENCE.match(text)
    toml_match = None if yaml_match else _TOML_FENCE.match(text)
    match = yaml_match or toml_match
    if match is None or len(match.group(1)) > FRONT_MATTER_LIMIT:
        return {}, text
    rest = text[match.end() :]
    try:
        if yaml_match:
            import yaml

            data = yaml.safe_load(match.group(1))
        else:
            import tomllib

            data = tomllib.loads(match.group(1))
    except Exception:  # any parser failure (syntax, deep nesting) means "no metadata"
        return {}, rest
    return (data if isinstance(data, dict) else {}), rest


def _text(value: object) -> str:
    if isinstance(value, str):
        return clean_line(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return clean_line(str(value))
    return ""


def _author(value: object) -> str:
    if isinstance(value, dict):
        return _text(value.get("name"))
    if isinstance(value, list):
        names = [_author(item) for item in value[:20]]
        return ", ".join(name for name in names if name)
    return _text(value)


def _categories(meta: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for key in ("tags", "categories", "keywords"):
        value = meta.get(key)
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            continue
        for item in items[:100]:
            tag = _text(item)
            if tag and tag not in found:
                found.append(tag)
    return tuple(found)


def _take_heading(body: str) -> tuple[str, str]:
    """The first level-1 ATX heading outside code fences, and the body without it."""
    lines = body.split("\n")
    in_fence = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _ATX_H1.match(line)
        if match:
            title = clean_line(match.group(1))
            remaining = [*lines[:index], *lines[index + 1 :]]
            return title, "\n".join(remaining).strip("\n")
    return "", body


def first_paragraph(body: str) -> str:
    """The first prose paragraph of a Markdown body, markup stripped, for summaries."""
    in_fence = False
    paragraph: list[str] = []
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        stripped = line.strip()
        if in_fence or stripped.startswith(("#", "<", "|", "---", "***")):
            if paragraph:
                break
            continue
        if not stripped:
            if paragraph:
                break
            continue
        paragraph.append(stripped)
    return clean_line(_MARKUP.sub(lambda m: m.group(1) or "", " ".join(paragraph)))


def parse_markdown(text: str) -> MarkdownDocument:
    """Metadata and body of a Markdown article (text already decoded)."""
    text = clean_text(text).lstrip("\ufeff")
    meta, body = _front_matter(text)
    title = _text(meta.get("title"))
    if not title:
        title, body = _take_heading(body)
    body = body.strip("\n")
    link = clean_url(_text(meta.get("link") or meta.get("url"))) or None
    if link and not link.lower().startswith(("http://", "https://")):
        link = None
    summary = _text(meta.get("description") or meta.get("summary")) or first_paragraph(body)
    return MarkdownDocument(
        title=title,
        body=body,
        published=parse_date(meta.get("date") or meta.get("published")),
        updated=parse_date(meta.get("updated") or meta.get("lastmod")),
        link=link,
        author=_author(meta.get("author") or meta.get("authors")) or None,
        summary=summary,
        categories=_categories(meta),
        language=_text(meta.get("lang") or meta.get("language")) or None,
    )
