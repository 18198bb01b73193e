"""The feeds a refresh has not finished yet, for a progress display: once no feed has
finished for a while, it names those it still waits for (a server that stalls is then
known before its timeout). Used by the command's progress bar and the reader."""

from __future__ import annotations

import time

# With no feed done for this long, a display names the feeds still awaited.
STALLED_AFTER_S = 3.0


class Awaited:
    """Fed by `refresh_feeds`' `on_start` and each outcome's URL (not thread-safe: the
    caller keeps it on one thread or under its lock)."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # URL -> the feed's name, in refresh order
        self._since = time.monotonic()

    def start(self, feeds: list[tuple[str, str]]) -> None:
        """`refresh_feeds`' on_start: the (URL, title) of every feed about to be refreshed."""
        from tuinews.sources.sanitize import clean_line, without_password

        self._names = {url: clean_line(without_password(title or url)) for url, title in feeds}
        self._since = time.monotonic()

    def done(self, url: str) -> None:
        self._names.pop(url, None)
        self._since = time.monotonic()

    def stalled(self) -> tuple[list[str], float] | None:
        """The names still awaited and the seconds since the last feed finished, once
        that is STALLED_AFTER_S or more; else None."""
        waited = time.monotonic() - self._since
        if waited < STALLED_AFTER_S or not self._names:
            return None
        return list(self._names.values()), waited
