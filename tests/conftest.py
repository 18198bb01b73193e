"""Shared fixtures: every test runs with its own config, data and cache directories."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from feedserver import FeedServer

if TYPE_CHECKING:
    from test_cli import Cli

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SAMPLE_FEEDS = Path(__file__).resolve().parents[1] / "sample_feeds"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point XDG directories at a temporary folder so no test touches the real home."""
    home = tmp_path / "home"
    for name in ("config", "data", "cache", "state"):
        (home / name).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    # Dates are drawn in local time: the same on every machine the suite runs on.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    for var in (
        "TUINEWS_CONFIG",
        "TUINEWS_DB",
        "BROWSER",
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "SSH_CONNECTION",
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    yield home


@pytest.fixture
def corpus_feeds() -> Path:
    """The shared real-world feed corpus; tests using it skip when it is absent."""
    folder = CORPUS / "feeds"
    if not folder.is_dir():
        pytest.skip("../shared/corpus is not present")
    return folder


@pytest.fixture
def corpus_opml() -> Path:
    folder = CORPUS / "opml"
    if not folder.is_dir():
        pytest.skip("../shared/corpus is not present")
    return folder


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A programmable HTTP server on 127.0.0.1 (see tests/feedserver.py)."""
    with FeedServer() as running:
        yield running


@pytest.fixture
def sample_feeds() -> Path:
    return SAMPLE_FEEDS


def pytest_configure(config: pytest.Config) -> None:
    # Child processes spawned by tests must not read the developer's settings either.
    os.environ.setdefault("TUINEWS_TESTING", "1")
    # A terminal's size comes from its pty: pytest-xdist's workers (and some shells)
    # export COLUMNS and LINES, which Textual and Rich prefer to the real size.
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The console script and `tuinews.cli.main` with their own config and store files."""
    from test_cli import make_cli

    return make_cli(tmp_path, capsys, monkeypatch)


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Adding articles to the search index (as the first search after a refresh does)
    waits until this event is set: the seconds it takes after a big refresh, made
    deterministic. Set at the end whatever the test did."""
    from typing import Any

    from tuinews.store import Store

    event = threading.Event()
    real_index = Store.index_for_search

    def index_on_cue(store: Store, **kwargs: Any) -> int:
        event.wait(10)
        return real_index(store, **kwargs)

    monkeypatch.setattr(Store, "index_for_search", index_on_cue)
    yield event
    event.set()
