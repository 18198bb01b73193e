"""What several commands share: locating files, loading settings, opening the store."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tuinews import paths
from tuinews.errors import TuinewsError

# Exit status by "everything went fine".
EXIT_CODES = {True: 0, False: 1}

if TYPE_CHECKING:
    from rich.console import Console

    from tuinews.config import Config
    from tuinews.store import Store


def config_path(ns: argparse.Namespace) -> Path:
    return paths.config_file(getattr(ns, "config", None))


def db_path(ns: argparse.Namespace) -> Path:
    return paths.db_file(getattr(ns, "db", None))


def load_settings(ns: argparse.Namespace) -> Config:
    from tuinews.config import load_config
    from tuinews.ui.launch_cache import remember_launch

    config = load_config(config_path(ns))
    # For the next bare `tuinews`: its first frame comes before the settings are loaded.
    remember_launch(paths.cache_dir(), config_path(ns), db_path(ns), config)
    return config


def open_store(ns: argparse.Namespace) -> Store:
    from tuinews.store import Store

    path = db_path(ns)
    path.parent.mkdir(parents=True, exist_ok=True)
    return Store.open(path)


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
    print(f"tuinews: {source}: {reason}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"tuinews: {message}", file=sys.stderr)


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
    if text == "-" or "://" in text:
        return True
    return os.path.exists(os.path.expanduser(text))


def clean_tags(tags: list[str]) -> tuple[str, ...]:
    from tuinews.sources.sanitize import clean_line

    seen: dict[str, None] = {}
    for tag in tags:
        for part in tag.split(","):
            cleaned = clean_line(part)
            if cleaned:
                seen.setdefault(cleaned)
    return tuple(seen)


def write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, so a crash never leaves half a file.
    TuinewsError naming `path` (not the temporary file) when it cannot be written."""
    import tempfile

    if path.is_dir():
        raise TuinewsError(f"{path}: is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise TuinewsError(f"{path}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise TuinewsError(f"{path}: cannot write: {error.strerror or error}") from None
        raise
