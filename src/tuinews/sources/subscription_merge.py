"""One subscription per URL in an imported list (OPML, newsboat `urls`)."""

from __future__ import annotations

from tuinews.model import Subscription


def merge_subscription(found: dict[str, Subscription], sub: Subscription) -> None:
    """Add `sub` to `found` (keyed by URL, in first-seen order); a URL seen again keeps
    its first title and page link and gains the new tags."""
    existing = found.get(sub.url)
    if existing is None:
        found[sub.url] = sub
        return
    tags = existing.tags + tuple(tag for tag in sub.tags if tag not in existing.tags)
    found[sub.url] = Subscription(
        url=existing.url,
        title=existing.title or sub.title,
        tags=tags,
        html_url=existing.html_url or sub.html_url,
    )
