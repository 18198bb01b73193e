"""Fetching feeds and updating the store, asynchronously; shared by the CLI and the TUI.

The names below load on first use (PEP 562), and httpx and the parsers later still:
`tuinews refresh` forks its parse workers from `tuinews.refresh.workers` before anything
here imports asyncio, so the workers never carry it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuinews.lazy import loader

if TYPE_CHECKING:
    from tuinews.refresh.engine import refresh_feeds
    from tuinews.refresh.lock import WAITING_MESSAGE, RefreshBusy
    from tuinews.refresh.outcome import (
        FeedOutcome,
        OutcomeStatus,
        ProgressCallback,
        RefreshStopped,
        RefreshSummary,
    )
    from tuinews.refresh.sources import SourceResult, load_sources

_HOMES = {
    "refresh_feeds": "engine",
    "WAITING_MESSAGE": "lock",
    "RefreshBusy": "lock",
    "FeedOutcome": "outcome",
    "OutcomeStatus": "outcome",
    "ProgressCallback": "outcome",
    "RefreshStopped": "outcome",
    "RefreshSummary": "outcome",
    "SourceResult": "sources",
    "load_sources": "sources",
}

__all__ = [
    "WAITING_MESSAGE",
    "FeedOutcome",
    "OutcomeStatus",
    "ProgressCallback",
    "RefreshBusy",
    "RefreshStopped",
    "RefreshSummary",
    "SourceResult",
    "load_sources",
    "refresh_feeds",
]


__getattr__ = loader(__name__, _HOMES)
