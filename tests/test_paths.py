"""The user directories: our quick XDG rules give what platformdirs gives."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from tuinews import paths


@pytest.mark.parametrize(
    "environ",
    [
        {"HOME": "/home/ada"},
        {"HOME": "/home/ada", "XDG_CONFIG_HOME": "/xdg/config", "XDG_CACHE_HOME": "/xdg/cache"},
        {"HOME": "/home/ada", "XDG_DATA_HOME": "/xdg/data"},
        {"HOME": "/home/ada", "XDG_CACHE_HOME": "relative/cache", "XDG_DATA_HOME": ""},
        {"HOME": "/home/ada/", "XDG_CONFIG_HOME": "/xdg/config/"},
    ],
)
def test_user_directories_are_platformdirs_s(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert paths.config_dir() == Path(platformdirs.user_config_dir("tuinews", appauthor=False))
    assert paths.data_dir() == Path(platformdirs.user_data_dir("tuinews", appauthor=False))
    assert paths.cache_dir() == Path(platformdirs.user_cache_dir("tuinews", appauthor=False))
