"""Settings and subscriptions: one TOML file, read with tomllib, written with tomlkit.

This module holds the typed settings; loading, validation and editing are added below
by the config work. No work at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tuinews import __version__
from tuinews.model import Subscription

MarkReadMode = Literal["on_open", "on_leave", "manual"]


@dataclass(frozen=True, slots=True)
class RefreshSettings:
    """How feeds are fetched ([refresh] table)."""

    interval_minutes: float = 30.0  # the TUI refreshes on start when the last one is older
    concurrency: int = 16  # feeds fetched at once in total
    per_host: int = 4  # feeds fetched at once from one host
    connect_timeout: float = 10.0  # seconds to connect
    timeout: float = 30.0  # seconds for a whole feed
    max_bytes: int = 25 * 1024 * 1024  # body limit, also applied after decompression
    max_redirects: int = 5
    user_agent: str = f"tuinews/{__version__}"


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """What `tuinews cleanup` drops ([retention] table); None keeps everything."""

    days: int | None = None
    per_feed: int | None = None


@dataclass(frozen=True, slots=True)
class UISettings:
    """The reader's look and keys ([ui] and [keymap] tables)."""

    theme: str = "textual-dark"
    browser: str | None = None  # a command like "w3m %u", run as an argument list
    mark_read: MarkReadMode = "on_open"
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys


@dataclass(frozen=True, slots=True)
class Config:
    feeds: tuple[Subscription, ...] = ()
    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    ui: UISettings = field(default_factory=UISettings)
