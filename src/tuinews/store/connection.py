"""Opening a store file safely, and SQLite errors turned into one-line StoreErrors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tuinews.errors import StoreError
from tuinews.store.schema import APPLICATION_ID, SCHEMA_VERSION, migrate

NOT_A_STORE = "not a tuinews store (file is not a database)"
# What a command says before it migrates an older store (`on_upgrade`).
UPGRADE_NOTICE = (
    "upgrading the store for this version of tuinews (once; a big store takes a few seconds)"
)


# The sqlite3 module binds None through its adaptation protocol: a failed adapter look-up
# and two attribute probes, about 0.5 us each, and a saved article binds five or more
# (author, dates, language...). An adapter for None itself is one dictionary hit; it
# returns None, which is bound as NULL as before. Registered once for the process: it
# changes nothing but the speed for any other user of sqlite3.
def _bind_null(value: None) -> None:
    return value


sqlite3.register_adapter(type(None), _bind_null)


class StoreUnwritable(StoreError):
    """The store file itself refuses writes (disk full, read-only, I/O error, damaged):
    every later write would fail the same way, so callers stop instead of retrying."""


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A StoreError whose message says in plain words what went wrong with `path`."""
    message = str(exc)
    lowered = message.lower()
    unwritable = True
    if "disk is full" in lowered or "disk full" in lowered:
        reason = "cannot write the store: the disk is full"
    elif "readonly" in lowered or "read-only" in lowered:
        reason = "cannot write the store: the file or its folder is read-only"
    elif "locked" in lowered or "busy" in lowered:
        reason = "the store is busy (another tuinews is writing to it); try again"
        unwritable = False
    elif "not a database" in lowered:
        reason = NOT_A_STORE
    elif "malformed" in lowered or "corrupt" in lowered:
        reason = f"the store file is damaged ({message})"
    elif "unable to open" in lowered:
        reason = "cannot open the store file (missing folder or no permission)"
    elif "disk i/o error" in lowered:
        reason = "cannot read or write the store: disk I/O error"
    else:
        reason = f"store error: {message}"
        unwritable = False
    return (StoreUnwritable if unwritable else StoreError)(f"{path}: {reason}")


def _check_header(path: Path) -> None:
    # No open() of the file here: closing any descriptor of a database file drops every
    # POSIX lock this process holds on it, including those of other open connections
    # (the UI's, while a refresh opens its own store). Another process may then
    # checkpoint and delete the WAL under them: that corrupted a store in a test. SQLite
    # reads the header itself and refuses a non-database with SQLITE_NOTADB, writing
    # nothing, so a file that is not ours stays untouched.
    if path.is_dir():
        raise StoreError(f"{path}: not a tuinews store (it is a folder)")


def _check_ownership(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, after checking the file is a store this code can read."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(f"{path}: not a tuinews store (a database of another program)")
    if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise StoreError(f"{path}: not a tuinews store (a database of another program)")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: made by a newer tuinews "
            f"(schema {version}, this one reads up to {SCHEMA_VERSION})"
        )
    return version


def open_connection(
    path: Path, busy_timeout: float, on_upgrade: Callable[[], None] | None = None
) -> sqlite3.Connection:
    """A connection to the store at `path`, created or migrated to the current schema;
    `on_upgrade` is called before an existing store is migrated (a big one takes
    seconds, which the user should hear about before they pass)."""
    _check_header(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create its folder: {exc.strerror or exc}") from exc
    try:
        # isolation_level=None: no implicit transactions; writes use BEGIN IMMEDIATE so
        # they wait (busy timeout) for the lock instead of failing on upgrade.
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise store_error(path, exc) from exc
    try:
        version = _check_ownership(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
            raise StoreError(f"{path}: cannot switch the store to WAL mode")
        conn.execute("PRAGMA synchronous = NORMAL")
        # After a big save the WAL is cut back to this size once checkpointed.
        conn.execute(f"PRAGMA journal_size_limit = {32 * 1024 * 1024}")
        if version < SCHEMA_VERSION:
            if version and on_upgrade is not None:
                on_upgrade()
            _migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Checked again under the write lock: another process may have migrated it.
        _check_ownership(conn, path)
        migrate(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
