"""What the CLI hands the TUI: settings, where the files are, and what to refresh."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tuinews.config import Config
from tuinews.model import Subscription


@dataclass
class AppContext:
    config: Config
    config_path: Path
    store_path: Path
    # What refresh fetches: the config's feeds, or the sample feeds, or the SOURCE args.
    subscriptions: list[Subscription]
    # Sample feeds or `tuinews SOURCE...`: adding/removing feeds does not touch the config.
    ephemeral: bool = False
    # One line shown in the status line at start.
    hint: str | None = None
    # None: refresh when the last refresh is older than config.refresh.interval_minutes.
    refresh_on_start: bool | None = None
    # On the first-run sample screen: the user's own store, where a feed added there is
    # fetched (it is a real subscription, saved in the config); None elsewhere.
    user_store_path: Path | None = None
