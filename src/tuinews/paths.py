"""Where tuinews keeps its files. Nothing is computed or created at import time."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tuinews"


def config_dir() -> Path:
    """The user config directory (XDG_CONFIG_HOME respected)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """The user data directory (XDG_DATA_HOME respected): the store lives here."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The user cache directory (XDG_CACHE_HOME respected)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


def config_file(override: str | os.PathLike[str] | None = None) -> Path:
    """The settings file: `--config`, else `TUINEWS_CONFIG`, else `<config dir>/config.toml`."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("TUINEWS_CONFIG")
    if env:
        return Path(env).expanduser()
    return config_dir() / "config.toml"


def db_file(override: str | os.PathLike[str] | None = None) -> Path:
    """The store: `--db`, else `TUINEWS_DB`, else `<data dir>/tuinews.db`."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("TUINEWS_DB")
    if env:
        return Path(env).expanduser()
    return data_dir() / "tuinews.db"


def sample_feeds_dir() -> Path:
    """The bundled sample feeds: inside the installed wheel, else in the source checkout."""
    packaged = Path(__file__).with_name("sample_feeds")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "sample_feeds"
