"""A feed's stored failure as it reads later (`tuinews feeds`, the reader's feed details):
its reason as the store keeps it, and when the feed is tried next composed at the moment
it is shown, from its `next_fetch`. The refresh's own failure line, shown when the feed
fails, may say the time a 429/503 asked for; a stored line never does ("retry after
17:05" read hours later looks like tomorrow's, or like a promise not kept)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from tuinews.refresh.locations import location_kind

if TYPE_CHECKING:
    from tuinews.store import FeedInfo

__all__ = ["next_try", "plain_error"]

# What fetch adds to a 429/503's line (`network_errors.retry_after_words`): " (server asks
# to retry after 17:05)", "... retry in 30 s)", "... wait 7 days or more)". Stores written
# before the refresh kept it with the error; the line inside a site's page failure
# (one of the feeds it links to) may hold one too.
_SERVER_ASKS = re.compile(r" \(server asks to [^()]*\)")


def plain_error(error: str) -> str:
    """An error line without the wait a 429/503 asked for, which was true only when the
    line was written."""
    return _SERVER_ASKS.sub("", error)


def next_try(feed: FeedInfo, now: datetime) -> datetime | None:
    """When a refresh tries the feed again by itself, if that is still to come at `now`;
    None when the next refresh fetches it (its wait is over, it has none, it is a local
    file, which is read at every refresh) or when none does (disabled)."""
    if feed.disabled or feed.next_fetch is None or feed.next_fetch <= now:
        return None
    if location_kind(feed.url) != "http":
        return None  # an older store may hold a back-off for a file: never waited for
    return feed.next_fetch
