"""What several commands share: locating files, loading settings, opening the store."""

from __future__ import annotations

import argparse
import io
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tuinews import paths
from tuinews.errors import TuinewsError

# Exit status by "everything went fine".
EXIT_CODES = {True: 0, False: 1}

if TYPE_CHECKING:
    from rich.console import Console
    from typing_extensions import Buffer

    from tuinews.config import Config
    from tuinews.store import Store


def config_path(ns: argparse.Namespace) -> Path:
    return paths.config_file(getattr(ns, "config", None))


def db_path(ns: argparse.Namespace) -> Path:
    return paths.db_file(getattr(ns, "db", None))


class UsageError(TuinewsError):
    """The command line or the environment names something that is not there: exit
    status 2, as argparse gives for the other mistakes in a command line."""

    exit_status = 2


def _origin(ns: argparse.Namespace, option: str, variable: str) -> str | None:
    """What named a file: "--option", the environment variable, or None (the default)."""
    if getattr(ns, option, None):
        return f"--{option}"
    if os.environ.get(variable):
        return variable
    return None


def config_origin(ns: argparse.Namespace) -> str | None:
    """What chose the settings file ("--config", "TUINEWS_CONFIG"), or None: the default."""
    return _origin(ns, "config", "TUINEWS_CONFIG")


def require_config_file(ns: argparse.Namespace) -> None:
    """UsageError when the settings file the user named is not there. For commands that
    read the subscriptions: a typo would otherwise look like an empty list. The default
    file missing is a first run, and `add` and `import` create the file."""
    origin = config_origin(ns)
    path = config_path(ns)
    if origin is not None and not path.exists():
        raise UsageError(f"{path}: no such file (given by {origin})")


def load_settings(ns: argparse.Namespace, *, print_warnings: bool = True) -> Config:
    """The settings; their warnings (a feed listed twice) go to stderr unless the caller
    shows them itself (the reader, whose first frame may already be on the screen)."""
    from tuinews.config import load_config
    from tuinews.ui.launch_cache import remember_launch

    config = load_config(config_path(ns))
    if print_warnings:
        for line in config.warnings:
            warn(line)
    # For the next bare `tuinews`: its first frame comes before the settings are loaded.
    remember_launch(paths.cache_dir(), config_path(ns), db_path(ns), config)
    return config


def store_origin(ns: argparse.Namespace) -> str | None:
    """What chose the store ("--db", "TUINEWS_DB"), or None: the default."""
    return _origin(ns, "db", "TUINEWS_DB")


def store_folder(ns: argparse.Namespace) -> Path:
    """The store's path, its folder made ready: the default data folder is created; a
    store the user named must be in a folder that exists (a typo in it would otherwise
    create folders, and a new empty store, wherever it points)."""
    path = db_path(ns)
    origin = store_origin(ns)
    if origin is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise UsageError(f"{path}: no such folder {path.parent} (given by {origin})")
    return path


def open_store(ns: argparse.Namespace, *, must_exist: bool = False) -> Store:
    """The store. `must_exist`, for commands that only read or mark what is stored: a
    store the user named must be there, for an empty one where a typo points would look
    as if every article were gone."""
    from tuinews.store import Store

    path = store_folder(ns)
    origin = store_origin(ns)
    if must_exist and origin is not None and not path.exists():
        from tuinews.store.connection import check_not_left_behind

        check_not_left_behind(path)  # moved while in use: that says more than "no such"
        raise UsageError(f"{path}: no such store (given by {origin}); `tuinews refresh` creates it")
    return Store.open(path, on_upgrade=say_upgrading)


def say_upgrading() -> None:
    """Before an older store is migrated: a big one takes seconds, which must not look
    like a hang."""
    from tuinews.store.connection import UPGRADE_NOTICE

    warn(UPGRADE_NOTICE)


def stdout_console(width: int | None = None) -> Console:
    """Colour on a terminal, plain text in a pipe or when NO_COLOR is set.

    Rich alone would keep bold and dim under NO_COLOR; a user who sets it wants text a
    script or a screen reader can take as it is, so every escape sequence goes.
    """
    from rich.console import Console

    if width is None and not sys.stdout.isatty():
        width = 80

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # Rich would exit with status 1; `main` treats a closed pipe as success.
            raise BrokenPipeError

    plain = bool(os.environ.get("NO_COLOR")) or not sys.stdout.isatty()
    return _Console(
        width=width,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
        color_system=None if plain else "auto",
    )


def error_line(source: str, reason: str) -> None:
    from tuinews.sources.sanitize import drawable, passwords_masked

    shown = source if source.strip() else repr(source)  # '': not "tuinews: : …"
    print(drawable(passwords_masked(f"tuinews: {shown}: {reason}")), file=sys.stderr)


class _StandardOutput(io.FileIO):
    """Standard output whose failed writes name it: `tuinews list > /dev/full` said
    "No space left on device", naming no file (`cli._run` prints an OSError's file)."""

    def write(self, data: Buffer, /) -> int:
        try:
            return super().write(data)
        except BlockingIOError:
            raise
        except OSError as error:
            if error.filename is not None:
                raise
            raise OSError(error.errno, error.strerror, "standard output") from None


def name_stdout_in_errors() -> None:
    """Put a `_StandardOutput` under sys.stdout (a command's, not the reader's: Textual
    draws on the terminal itself), with the same encoding and buffering."""
    stdout: TextIO = sys.stdout
    if stdout is not sys.__stdout__:  # a test's capture, an embedding
        return
    try:
        descriptor = stdout.fileno()
        stdout.flush()
    except (AttributeError, OSError, ValueError):  # no stdout, or not a file
        return
    raw = _StandardOutput(descriptor, "w", closefd=False)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=stdout.encoding,
        errors=stdout.errors,
        line_buffering=bool(stdout.line_buffering),
        write_through=getattr(stdout, "write_through", False),
    )


def silence_stdout(stream: TextIO | None = None) -> None:
    """Send what is still printed to `stream` (stdout) to /dev/null: the reader of a
    pipe went away (`tuinews list | head`), and Python's last flush must not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, (stream or sys.stdout).fileno())
    except (OSError, ValueError):
        pass


def warn(message: str) -> None:
    """A line on stderr. Should stderr be a pipe whose reader went away, the command
    goes on (a refresh must still finish and save its moves) without its lines.
    Feed titles it quotes are drawn as the reader draws them (`drawable`)."""
    from tuinews.sources.sanitize import drawable, passwords_masked

    try:
        print(drawable(f"tuinews: {passwords_masked(message)}"), file=sys.stderr)
    except BrokenPipeError:
        silence_stdout(sys.stderr)


def say_moved(old: str, new: str, doing: str) -> None:
    """The line of a command given a feed's former address (it moved, see
    `Store.former_urls`): what the feed's address is now, so that a script or a cron
    line can name it so, and what the command does (`doing`: "refreshing it there")."""
    from tuinews.sources.sanitize import without_password

    warn(f"{without_password(old)}: moved to {without_password(new)}; {doing}")


def read_stdin_bytes(limit: int) -> bytes:
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise TuinewsError(f"-: standard input is larger than {limit // (1024 * 1024)} MB")
    return data


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def short_date(moment: datetime | None) -> str:
    """Dates in lists: local time, compact, fixed width."""
    if moment is None:
        return " " * 16
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def is_source_ref(text: str) -> bool:
    """Does the text name a source (URL, file://, path, -) rather than a stored id?"""
    if text == "-" or "://" in text or not text.strip():
        return True  # an empty one too: the sources' reader says what is wrong with it
    try:
        return paths.expand_home(text).exists()
    except TuinewsError:  # `~NAME/…` naming no user: a path, whose error then says so
        return True


def write_output(name: str, data: bytes, *, private: bool = False) -> None:
    """Write `data` to the file the user named (`-o NAME`), as a shell redirection would
    treat it, but never leaving half a file.

    A missing folder is an error, never created (a typo in the name must not leave a
    folder tree behind, nor one a dangling symlink names). A regular file (or a new
    one) is replaced atomically, next to the symlink's target when `name` is one, so
    the link stays; it keeps its mode (but see `private`), and a new file gets the
    umask's. Anything else (a FIFO, a device, /dev/stdout, /dev/fd/N) is written to
    directly: renaming over it would replace the device node or the pipe. TuinewsError
    naming `name` when it cannot be written. `private`: data holding passwords; the
    file is made readable by its owner only (an existing one loses its group's and
    others' permissions).
    """
    import stat

    path = paths.expand_home(name)  # `~NAME/…` naming no user: one line naming `name`
    try:
        descriptor = _open_descriptor(path)
        if descriptor is not None:
            _write_all(descriptor, data)
            return
        try:
            status: os.stat_result | None = path.stat()
        except FileNotFoundError:
            status = None  # a new file, or a symlink to one
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise TuinewsError(f"{name}: is a folder; give a file name")
        if status is not None and not stat.S_ISREG(status.st_mode):
            handle = os.open(path, os.O_WRONLY)
            try:
                _write_all(handle, data)
            finally:
                os.close(handle)
            return
        _replace_file(Path(os.path.realpath(path)), data, status, private=private)
    except OSError as error:
        raise TuinewsError(f"{name}: cannot write: {error.strerror or error}") from None


def _open_descriptor(path: Path) -> int | None:
    """The descriptor of this process that /dev/stdout, /dev/fd/N or /proc/self/fd/N
    names, when it is open. Written to as it is, so `>> log` still appends and a
    socket, which cannot be opened again by name, still works."""
    text = os.path.normpath(path)
    named = {"/dev/stdout": 1, "/dev/stderr": 2}.get(text)
    if named is None:
        for prefix in ("/dev/fd/", "/proc/self/fd/", f"/proc/{os.getpid()}/fd/"):
            number = text.removeprefix(prefix)
            if number != text and number.isdigit():
                named = int(number)
                break
    if named is None:
        return None
    try:
        os.fstat(named)
    except OSError:
        return None  # not open here: let opening the name report what is wrong
    return named


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _replace_file(
    path: Path, data: bytes, existing: os.stat_result | None, *, private: bool = False
) -> None:
    """Write a temporary file beside `path`, then rename it over `path` (OSError)."""
    import contextlib
    import secrets

    descriptor = -1
    while descriptor < 0:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        # Created with 0666 (0600 when private): the kernel applies the umask, as for
        # any new file.
        mode = 0o600 if private else 0o666
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        if existing is not None:
            # A file that will hold passwords is no longer readable by others.
            kept = existing.st_mode & (0o7700 if private else 0o7777)
            os.fchmod(descriptor, kept)
            if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
                # root writing a user's file leaves it theirs; others cannot, and need not.
                with contextlib.suppress(OSError):
                    os.fchown(descriptor, existing.st_uid, existing.st_gid)
        _write_all(descriptor, data)
        os.fsync(descriptor)
        os.close(descriptor)
        descriptor = -1
        os.replace(temporary, path)
    except BaseException:
        if descriptor >= 0:
            os.close(descriptor)
        temporary.unlink(missing_ok=True)
        raise
