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


def test_expand_home_says_when_no_user_has_that_home(monkeypatch: pytest.MonkeyPatch) -> None:
    from tuinews.errors import UnknownHome

    monkeypatch.setenv("HOME", "/home/ada")
    assert paths.expand_home("~/feeds/a.xml") == Path("/home/ada/feeds/a.xml")
    assert paths.expand_home("feeds/~a.xml") == Path("feeds/~a.xml")
    with pytest.raises(UnknownHome) as unknown:  # Path.expanduser: RuntimeError
        paths.expand_home("~nosuchuser-tuinews-test/a.xml")
    assert str(unknown.value) == (
        "~nosuchuser-tuinews-test/a.xml: no such user 'nosuchuser-tuinews-test'"
    )
