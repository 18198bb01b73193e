"""Opening a store file safely, and SQLite errors turned into one-line StoreErrors."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from tuinews.errors import StoreError
from tuinews.store.schema import APPLICATION_ID, SCHEMA_VERSION, migrate, register_functions
from tuinews.store.uris import file_uri

NOT_A_STORE = "not a tuinews store (file is not a database)"
# What a command says before it migrates an older store (`on_upgrade`).
UPGRADE_NOTICE = (
    "upgrading the store for this version of tuinews (once; a big store takes a few seconds)"
)
PAGE_SIZE = 16384  # of a new store; an existing one keeps its own


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
        reason = f"cannot write the store: {read_only_culprit(path)}"
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
        # What SQLite reports when a full disk refuses the -shm or -wal file it needs
        # even to read.
        trouble = "the disk is full" if _disk_full(path) else "disk I/O error"
        reason = f"cannot read or write the store: {trouble}"
    else:
        reason = f"store error: {message}"
        unwritable = False
    return (StoreUnwritable if unwritable else StoreError)(f"{path}: {reason}")


def _disk_full(path: Path) -> bool:
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def _writable(path: Path) -> bool:
    # Effective ids: what SQLite's own open() will be allowed to do.
    return os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


def read_only_culprit(path: Path) -> str:
    """Which file refuses writes to the store at `path`, in words. SQLite creates the
    -wal and -shm files with the database's mode, so a run on a read-only store leaves
    read-only ones that refuse writes after the store itself is made writable again."""
    with suppress(OSError):
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return f"its folder {path.parent} is on a read-only file system"
    if path.exists() and not _writable(path):
        return "the file is read-only"
    beside = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    for companion in beside:
        if companion.exists() and not _writable(companion):
            return f"{companion} is read-only"
    if not all(companion.exists() for companion in beside) and not _writable(path.parent):
        return f"its folder {path.parent} is read-only"
    # SQLite makes an empty -wal file writable again as it opens it, too late for the
    # connection that found it read-only.
    return f"it or a file beside it ({path.name}-wal, {path.name}-shm) was read-only; try again"


def _folder_refused(exc: sqlite3.Error) -> bool:
    """SQLite could not create the -wal or -shm file beside the store."""
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY_DIRECTORY"


def _cannot_open(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_CANTOPEN"


def _nobody_can_write_beside(path: Path) -> bool:
    """No process short of root can create files in the store's folder: a read-only
    file system, or a folder without any write permission bit. Only then may the store
    be opened `immutable` (no locks, no -shm): a tuinews able to write the store needs
    its -wal there, and none can exist or appear while reading."""
    folder = path.parent
    if any(path.with_name(path.name + suffix).exists() for suffix in ("-wal", "-shm")):
        return False  # another connection may be working with them
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
        return folder.stat().st_mode & 0o222 == 0
    except OSError:
        return False


def _check_header(path: Path) -> None:
    # No open() of the file here: closing any descriptor of a database file drops every
    # POSIX lock this process holds on it, including those of other open connections
    # (the UI's, while a refresh opens its own store). Another process may then
    # checkpoint and delete the WAL under them: that corrupted a store in a test. SQLite
    # reads the header itself and refuses a non-database with SQLITE_NOTADB, writing
    # nothing, so a file that is not ours stays untouched.
    if path.is_dir():
        raise StoreError(f"{path}: not a tuinews store (it is a folder)")


def check_not_left_behind(path: Path) -> None:
    # A -wal file without its store: the store was moved or deleted while a reader had
    # it open. SQLite would make a new store out of the pages in it (a partial copy,
    # looking almost empty) and delete it on closing: the last copy of those changes.
    wal = path.with_name(path.name + "-wal")
    try:
        left = not path.exists() and wal.stat().st_size > 0
    except OSError:
        return
    if left:
        raise StoreError(
            f"{path}: missing, but {wal.name} beside it holds changes made to it "
            f"(the store was moved or deleted while in use): move the store back if "
            f"nothing opened it since, else delete {wal.name} (it would damage a store "
            f"changed since)"
        )


def _check_ownership(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, after checking the file is a store this code can read."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(f"{path}: not a tuinews store (a database of another program)")
    if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise StoreError(f"{path}: not a tuinews store (a database of another program)")
    if version and not app_id and not _has_store_tables(conn):
        # Every store has carried the id since version 1, but a copy made through
        # `.dump` loses it: another program's file (its own user_version) is told by
        # its tables, before anything (the switch to WAL, a migration) changes it.
        raise StoreError(f"{path}: not a tuinews store (a database of another program)")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: made by a newer tuinews "
            f"(schema {version}, this one reads up to {SCHEMA_VERSION})"
        )
    return version


def _has_store_tables(conn: sqlite3.Connection) -> bool:
    names = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('feeds', 'articles')"
        )
    }
    return names == {"feeds", "articles"}


MOVED_WHILE_OPEN = "the store file was moved or deleted while open: not written"


def open_connection(
    path: Path,
    busy_timeout: float,
    on_upgrade: Callable[[], None] | None = None,
    *,
    existing: bool = False,
) -> sqlite3.Connection:
    """A connection to the store at `path`, created or migrated to the current schema;
    `on_upgrade` is called before an existing store is migrated (a big one takes
    seconds, which the user should hear about before they pass).

    A store in a folder this process cannot write opens read-only (`PRAGMA query_only`
    on: see `is_read_only`) when no process could write it meanwhile; otherwise the
    StoreError names the folder.

    `existing`: another process of this refresh has opened the store already (a parse
    worker's store): one gone since is refused (StoreUnwritable), never made anew and
    empty, where the feeds that process listed do not exist."""
    _check_header(path)
    check_not_left_behind(path)
    if not existing:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create its folder: {exc.strerror or exc}") from exc
    # mode=rw: SQLite opens the file only if it is there (a plain path would create it).
    target = file_uri(path.resolve(), "mode=rw") if existing else path
    try:
        return _open(path, target, busy_timeout, on_upgrade)
    except _FolderRefused as refused:
        if existing or not path.exists() or not _nobody_can_write_beside(path):
            raise StoreUnwritable(
                f"{path}: cannot open the store: its folder {path.parent} is read-only "
                f"(SQLite must create {path.name}-wal and {path.name}-shm beside it)"
            ) from refused.__cause__
    except StoreError as error:
        if existing and not path.exists():
            raise StoreUnwritable(f"{path}: {MOVED_WHILE_OPEN}") from error
        raise
    # Without a -shm file SQLite reads a WAL store only as `immutable` (no locking):
    # safe here because nothing can write the store while this connection reads it.
    conn = _open(
        path, file_uri(path.resolve(), "mode=ro&immutable=1"), busy_timeout, None, immutable=True
    )
    conn.execute("PRAGMA query_only = ON")
    return conn


class _FolderRefused(Exception):
    """SQLite needed to create the -wal or -shm file in a folder it cannot write."""


def is_read_only(conn: sqlite3.Connection, path: Path) -> bool:
    """The store refuses writes: opened read-only, or its file is not writable."""
    if conn.execute("PRAGMA query_only").fetchone()[0]:
        return True
    return path.exists() and not _writable(path)


def _open(
    path: Path,
    target: Path | str,
    busy_timeout: float,
    on_upgrade: Callable[[], None] | None,
    *,
    immutable: bool = False,
) -> sqlite3.Connection:
    """`target`: the path, or a URI (`file_uri`); `immutable`: the read-only URI of
    open_connection, read as a plain file."""
    try:
        # isolation_level=None: no implicit transactions; writes use BEGIN IMMEDIATE so
        # they wait (busy timeout) for the lock instead of failing on upgrade.
        conn = sqlite3.connect(
            target,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,
            uri=isinstance(target, str),
        )
    except sqlite3.Error as exc:
        raise store_error(path, exc) from exc
    try:
        version = _check_ownership(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        register_functions(conn)
        if immutable:
            if version < SCHEMA_VERSION:
                raise StoreUnwritable(
                    f"{path}: made by an older tuinews; upgrading it needs write access "
                    f"to its folder {path.parent}"
                )
            return conn  # read as a plain file: no journal to set up
        if version == 0:
            # Before the first page is written (it fixes the page size for good): most
            # rows are an article of a few KB, which in 4 KB pages spill onto overflow
            # pages. A new store's first refresh saves in about three quarters of the time.
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
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
        if _folder_refused(exc) or (_cannot_open(exc) and _nobody_can_write_beside(path)):
            # On a read-only file system SQLite says SQLITE_CANTOPEN, not READONLY.
            raise _FolderRefused from exc
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
