"""Where tuinews keeps its files. Nothing is computed or created at import time."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "tuinews"


# On Linux the XDG rules are simple enough to apply here: importing platformdirs costs
# more than the whole first frame of the reader (a test keeps both in agreement).
_XDG = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "data": ("XDG_DATA_HOME", ".local/share"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
}


def _user_dir(kind: str) -> Path:
    if sys.platform.startswith("linux"):
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "")
        if os.path.isabs(base):
            return Path(base, APP_NAME)
        home = os.environ.get("HOME", "")
        if os.path.isabs(home):
            return Path(home, default, APP_NAME)
    import platformdirs

    find = getattr(platformdirs, f"user_{kind}_dir")
    return Path(find(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The user config directory (XDG_CONFIG_HOME respected)."""
    return _user_dir("config")


def data_dir() -> Path:
    """The user data directory (XDG_DATA_HOME respected): the store lives here."""
    return _user_dir("data")


def cache_dir() -> Path:
    """The user cache directory (XDG_CACHE_HOME respected)."""
    return _user_dir("cache")


def expand_home(path: str | os.PathLike[str]) -> Path:
    """`path` with a leading `~` or `~NAME` made that home folder, as a shell does.

    Every path a user or a list gives goes through here: `Path.expanduser` raises
    RuntimeError on `~NAME` when NAME is no user (a newsboat title, `"~My Blog"`, put
    first). Raises `UnknownHome` (a SourceError naming `path`) instead.
    """
    text = os.fspath(path)
    if not text.startswith("~"):
        return Path(text)
    expanded = os.path.expanduser(text)  # leaves the `~` where it finds no home
    if expanded.startswith("~"):
        from tuinews.errors import UnknownHome

        user = text[1:].split("/", 1)[0]
        raise UnknownHome(text, f"no such user {user!r}" if user else "no home folder for ~")
    return Path(expanded)


def config_file(override: str | os.PathLike[str] | None = None) -> Path:
    """The settings file: `--config`, else `TUINEWS_CONFIG`, else `<config dir>/config.toml`."""
    if override:
        return expand_home(override)
    env = os.environ.get("TUINEWS_CONFIG")
    if env:
        return expand_home(env)
    return config_dir() / "config.toml"


def db_file(override: str | os.PathLike[str] | None = None) -> Path:
    """The store: `--db`, else `TUINEWS_DB`, else `<data dir>/tuinews.db`."""
    if override:
        return expand_home(override)
    env = os.environ.get("TUINEWS_DB")
    if env:
        return expand_home(env)
    return data_dir() / "tuinews.db"


def sample_feeds_dir() -> Path:
    """The bundled sample feeds: inside the installed wheel, else in the source checkout."""
    packaged = Path(__file__).with_name("sample_feeds")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "sample_feeds"
