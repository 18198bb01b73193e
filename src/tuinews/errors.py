"""The project's own errors. Each carries a one-line, user-facing reason."""

from __future__ import annotations


class TuinewsError(Exception):
    """Base of every error a user can cause; `str()` is the one line shown to them."""


class SourceError(TuinewsError):
    """A source (URL, file, stdin) could not be read or parsed."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class FeedLinkingPage(SourceError):
    """An HTML page where a feed was expected, that announces feeds (`feeds`, the site's
    main one first as a rule): what a user gets when subscribing to a site's address."""

    def __init__(self, source: str, reason: str, feeds: tuple[str, ...]) -> None:
        super().__init__(source, reason)
        self.feeds = feeds


class ConfigError(TuinewsError):
    """The settings or subscriptions file is invalid (the message names file, line, key)."""


class StoreError(TuinewsError):
    """The article store cannot be opened or written (not SQLite, newer schema, disk full)."""


class AmbiguousIdError(StoreError):
    """An article id prefix that names several articles."""


class UnknownHome(SourceError):
    """A path starting with `~NAME` where NAME is no user (or `~` with no home to find):
    `Path.expanduser` raises RuntimeError there, which ended commands in a traceback."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (`timeout`, systemd, `kill`) during a refresh: it stops as Ctrl-C stops
    it, its parse workers closed, rather than dying at once and leaving them (and
    their semaphore) for multiprocessing to complain about on the terminal."""


def raise_terminated(signum: int, frame: object) -> None:
    import signal

    # Once: `timeout` sends a second SIGTERM to the whole process group, which, raised
    # again while asyncio cancelled the refresh's tasks, broke the shutdown (tracebacks,
    # and now and then a process that never exited, holding the refresh lock).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated
