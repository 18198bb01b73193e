"""Copying a store's WAL into its file (a checkpoint) on a thread of its own.

A checkpoint waits on the disk twice: for the WAL to be durable before its pages are
copied, then for the store file. Left to SQLite, the connection that commits runs it,
and a refresh's parse worker then sat idle in that wait: at 100 feeds x 1,000 items,
37 checkpoints of 16 MB waited 90 ms each, and about a twelfth of both cores went idle
(iowait). On a thread, only the thread waits; the worker's own thread parses the next
feed meanwhile (the sqlite3 module lets go of the GIL inside SQLite).

Nothing about safety changes: a checkpoint is the same whoever runs it, and a commit
is durable in the WAL before any checkpoint (WAL mode, synchronous = NORMAL). Writers
do not wait for a checkpoint under way; SQLite lets them append to the WAL meanwhile.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import suppress
from pathlib import Path

from tuinews.store.uris import file_uri


class BackgroundCheckpoints:
    """A thread that checkpoints the store at `path` when asked (`request`), as
    PASSIVE checkpoints: it copies what no reader still needs and never waits for one."""

    def __init__(self, path: Path) -> None:
        # mode=rw: should the store have gone meanwhile, never create an empty one.
        self._conn = sqlite3.connect(
            file_uri(path.resolve(), "mode=rw"),
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )
        # As the store's other connections: the WAL synced before copying, the file after.
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._changed = threading.Condition()
        self._requested = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="checkpoints", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Checkpoint soon. Requests made while one runs are one more checkpoint."""
        with self._changed:
            self._requested = True
            self._changed.notify()

    def stop(self) -> None:
        """End the thread, once a checkpoint under way is done."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
        self._thread.join()

    def _run(self) -> None:
        try:
            while True:
                with self._changed:
                    self._changed.wait_for(lambda: self._requested or self._stopping)
                    if self._stopping:
                        return
                    self._requested = False
                # A failure (the disk full, the file gone) is the next write's to report;
                # the store's own checkpoint at close tries again.
                with suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            self._conn.close()
