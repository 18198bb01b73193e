"""The refresh lock beside the store: when it cannot be made, the refresh stops with one
line naming what refuses, as the store's own write errors do (it used to raise the bare
OSError, which the reader showed as Textual's traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuinews.config import RefreshSettings
from tuinews.errors import StoreError
from tuinews.model import Subscription
from tuinews.refresh import refresh_feeds
from tuinews.refresh.lock import RefreshLock, lock_path


async def test_a_lock_path_that_cannot_be_opened_is_a_one_line_store_error(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    lock_path(db).mkdir()  # something in the way: the lock file cannot be opened
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss version='2.0'><channel><title>T</title></channel></rss>")
    with pytest.raises(StoreError) as raised:
        await refresh_feeds(db, [Subscription(str(feed))], RefreshSettings())
    assert str(raised.value) == (
        f"{db}: cannot refresh: the refresh lock {lock_path(db)} cannot be opened (is a directory)"
    )
    assert not db.exists()  # stopped before the store was opened


def test_the_lock_is_taken_and_released(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first, second = RefreshLock(db), RefreshLock(db)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_a_store_named_through_a_symlink_shares_its_lock(tmp_path: Path) -> None:
    # Two refreshes of one store, one named through a link, each took a lock of its own
    # and fetched every feed (a failing one was counted twice).
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "s.db"
    db.touch()
    link = tmp_path / "link.db"
    link.symlink_to(db)
    first, second = RefreshLock(db), RefreshLock(link)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
