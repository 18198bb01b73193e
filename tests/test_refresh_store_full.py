"""A store that refuses writes stops the refresh: said once, store still consistent.

The refusal is real SQLite: the refresh's own connection gets a page limit
(`PRAGMA max_page_count`), so its writes fail with "database or disk is full".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from feedserver import FeedServer, Generated
from store_checks import assert_store_sound
from tuinews.config import RefreshSettings
from tuinews.model import Subscription
from tuinews.refresh import RefreshStopped, refresh_feeds
from tuinews.store import Store, StoreUnwritable, View
from tuinews.store import store as store_module

SETTINGS = RefreshSettings(timeout=5.0, connect_timeout=2.0, concurrency=1)


def limit_pages(monkeypatch: pytest.MonkeyPatch, spare_pages: int) -> None:
    real_open = store_module.open_connection

    def open_full(
        path: Path, busy_timeout: float, *rest: object, **options: object
    ) -> sqlite3.Connection:
        conn = real_open(path, busy_timeout, *rest, **options)  # type: ignore[arg-type]
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages + spare_pages}")
        return conn

    monkeypatch.setattr(store_module, "open_connection", open_full)


async def test_full_store_stops_the_refresh_once(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "store.db"
    feeds = [Generated(items=20, title=f"Feed {n}") for n in range(4)]
    subs = [Subscription(url=server.route(f"/f{n}", feed)) for n, feed in enumerate(feeds)]
    first = await refresh_feeds(db, subs, SETTINGS)
    assert first.new == 80
    for feed in feeds:
        feed.items = 400
        feed.bump()
    limit_pages(monkeypatch, spare_pages=8)

    with pytest.raises(RefreshStopped) as stopped:
        await refresh_feeds(db, subs, SETTINGS)

    assert isinstance(stopped.value.__cause__, StoreUnwritable)
    assert str(stopped.value) == f"{db}: cannot write the store: the disk is full"
    # No feed reports the store's line as its own failure, and the remaining feeds were
    # not fetched at all (one fetch at a time here: the first save failed).
    assert all(o.status != "failed" for o in stopped.value.summary.outcomes)
    second_round = sum(len(server.requests(f"/f{n}")) for n in range(4)) - 4
    assert second_round == 1
    assert_store_sound(db)
    with Store.open(db) as store:
        assert store.count(View()) == 80  # the refused save left nothing half-written

    monkeypatch.undo()
    again = await refresh_feeds(db, subs, SETTINGS)
    assert (again.failed, again.new) == (0, 4 * 380)
    assert_store_sound(db)
