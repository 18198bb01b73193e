"""Saving a refresh's moves (a permanent redirect, a site's address that led to its feed)
in the subscriptions file, for every caller of `refresh_feeds`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuinews.errors import TuinewsError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


REMOVED_MEANWHILE = "unsubscribed during the refresh"


def save_move(
    config_path: Path, store_path: Path, old: str, new: str, via: Sequence[str] = ()
) -> str | None:
    """Move the subscription from `old` to `new` in the settings file, as the store has
    already moved the feed. When the file cannot take it (feeds written as an inline
    array, a read-only file), the store goes back to `old`: both must name the feed
    alike, or the next refresh takes it for another subscription (it then follows the
    move again, and says so again). Returns why it could not be saved, or None."""
    from tuinews.store import Store
    from tuinews.subscriptions import NotSubscribed, SubscriptionFile

    try:
        SubscriptionFile(config_path).replace_url(old, new)
    except NotSubscribed:
        # Unsubscribed while the refresh fetched it (`tuinews remove OLD` found no feed
        # at OLD: the store had moved it already): the removal is finished here, or the
        # articles just saved would stay with a feed nobody subscribes to. (Were the new
        # address subscribed meanwhile, replace_url would have found the move made.)
        try:
            with Store.open(store_path) as store:
                moved = store.feed_by_url(new)
                if moved is not None:
                    store.remove_feed(moved.id)
        except TuinewsError:
            pass
        return REMOVED_MEANWHILE
    except (TuinewsError, OSError) as error:
        try:
            with Store.open(store_path) as store:
                store.undo_move(new, old, via)
        except TuinewsError:
            pass  # the next refresh says what is wrong with the store
        return str(error)
    return None
