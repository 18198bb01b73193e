"""`tuinews [SOURCE...]`: build the reader's context and run the TUI."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tuinews import paths, startup
from tuinews.commands.common import (
    config_path,
    db_path,
    error_line,
    load_settings,
    say_upgrading,
    store_folder,
)
from tuinews.errors import TuinewsError, UnknownHome
from tuinews.model import Subscription

if TYPE_CHECKING:
    from tuinews.config import Config
    from tuinews.ui.context import AppContext
    from tuinews.ui.first_frame import FirstFrame

# Fits a status line at 80 columns (78 cells between its padding).
SAMPLES_HINT = "No subscriptions yet: these are sample feeds. Press a to add your own."


def run_tui(ns: argparse.Namespace, sources: list[str], frame: FirstFrame | None = None) -> int:
    """`frame`: the first frame `cli.main` drew already (a bare `tuinews`)."""
    # A broken file stops here with one line: no silent defaults. Its warnings go to the
    # status line: on stderr the first frame, maybe on the screen already, hides them.
    config = load_settings(ns, print_warnings=False)
    _refuse_mistyped_command(sources)
    if not sys.stdout.isatty():
        raise TuinewsError(
            "the reader needs a terminal; for scripts use `tuinews list` or `tuinews read`"
        )
    if frame is None:
        from tuinews.ui.early_exit import give_the_terminal_back_on_sigterm

        give_the_terminal_back_on_sigterm()
    scratch: Path | None = None
    try:
        if sources:
            scratch = Path(tempfile.mkdtemp(prefix="tuinews-"))
            ctx = _sources_context(ns, config, sources, scratch)
            if ctx is None:
                return 1
        elif config.feeds:
            upgraded = _check_store(store_folder(ns))
            hint = f"{config.warnings[0]}" if config.warnings else None
            if upgraded:
                # Said on stderr too, but the full screen covers it at once.
                hint = "The store was upgraded for this version of tuinews (once)."
            ctx = _context(ns, config, db_path(ns), list(config.feeds), hint=hint)
        else:
            ctx = _samples_context(ns, config)
        # Drawn from the store while Textual loads: the first screen in milliseconds.
        from tuinews.ui.first_frame import draw_first_frame

        if frame is None and not sources:
            frame = draw_first_frame(ctx, paths.cache_dir())
        from tuinews.ui.app import create_app

        while True:
            try:
                app = create_app(ctx, first_frame=frame)
                startup.loaded()  # Textual too: the rest is the reader's own work
                app.run()
            finally:
                if frame is not None:
                    frame.restore()
            unsaved = app.unsaved_at_exit()  # said while quitting: the screen was going
            for line in unsaved:
                print(f"tuinews: {line}", file=sys.stderr)
            if app.reopen_saying is None:
                return app.return_code or (1 if unsaved else 0)
            # The first subscription was made on the sample feeds: the reader again, now
            # on the user's own feeds.
            frame = None
            config = load_settings(ns, print_warnings=False)
            ctx = _context(ns, config, db_path(ns), list(config.feeds), hint=app.reopen_saying)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _refuse_mistyped_command(sources: list[str]) -> None:
    """`tuinews lst`: a source that is no file and reads like a command mistyped is
    said to be one, rather than a missing file the reader would open on."""
    import difflib

    from tuinews.cli import COMMANDS
    from tuinews.commands.common import UsageError

    if len(sources) != 1 or any(c in sources[0] for c in "/.:") or Path(sources[0]).exists():
        return
    close = difflib.get_close_matches(sources[0], sorted(COMMANDS), n=1, cutoff=0.6)
    if close:
        raise UsageError(
            f"{sources[0]}: no such command or file; did you mean `tuinews {close[0]}`?"
        )


def _check_store(store_path: Path) -> bool:
    """A store that is not ours stops here with one line, not inside the running reader.
    Returns whether an older store was upgraded."""
    from tuinews.store import Store

    upgraded = False

    def upgrading() -> None:
        nonlocal upgraded
        upgraded = True
        say_upgrading()

    Store.open(store_path, on_upgrade=upgrading).close()
    return upgraded


def _context(
    ns: argparse.Namespace,
    config: Config,
    store_path: Path,
    subscriptions: list[Subscription],
    **extra: object,
) -> AppContext:
    from tuinews.ui.context import AppContext

    store_path.parent.mkdir(parents=True, exist_ok=True)
    return AppContext(
        config=config,
        config_path=config_path(ns),
        store_path=store_path,
        subscriptions=subscriptions,
        **extra,  # type: ignore[arg-type]
    )


def sample_subscriptions() -> list[Subscription]:
    """The bundled feeds, as their OPML list names and files them (folders become tags)."""
    from tuinews.sources.opml import parse_opml

    folder = paths.sample_feeds_dir()
    listing = folder / "subscriptions.opml"
    return parse_opml(listing.read_bytes(), str(listing), base=folder)


def _samples_context(ns: argparse.Namespace, config: Config) -> AppContext:
    store_path = paths.cache_dir() / "samples.db"
    store_path.parent.mkdir(parents=True, exist_ok=True)
    subs = sample_subscriptions()
    if _samples_stale(store_path, paths.sample_feeds_dir()):
        import asyncio

        from tuinews.refresh import refresh_feeds  # lazy: httpx and the parsers

        # Local files only: quick, and the first screen then has articles.
        asyncio.run(refresh_feeds(store_path, subs, config.refresh))
    ctx = _context(
        ns, config, store_path, subs, ephemeral=True, hint=SAMPLES_HINT, refresh_on_start=False
    )
    # A feed added from here is a real subscription: saved in the config and fetched
    # into the user's store, not the sample one (see ui.screens.add_feed.first_run_store).
    ctx.user_store_path = db_path(ns)
    return ctx


def _samples_stale(store_path: Path, folder: Path) -> bool:
    """The sample store is missing or older than a sample file (a new version shipped
    new samples): only then is it loaded again before the first screen."""
    try:
        stored = store_path.stat().st_mtime
        newest = max(
            (entry.stat().st_mtime for entry in folder.rglob("*") if entry.is_file()),
            default=0.0,
        )
    except OSError:
        return True
    return newest > stored


def _sources_context(
    ns: argparse.Namespace, config: Config, sources: list[str], scratch: Path
) -> AppContext | None:
    """Open just these sources, in a throw-away store: the subscriptions stay as they are."""
    import asyncio
    from datetime import UTC, datetime

    from tuinews.refresh import refresh_feeds
    from tuinews.sources.local import load_bytes
    from tuinews.store import Store

    store_path = scratch / "sources.db"
    subs: list[Subscription] = []
    ok = True
    stdin_feed = None
    for spec in sources:
        if spec == "-":
            data = sys.stdin.buffer.read(config.refresh.max_bytes + 1)
            if len(data) > config.refresh.max_bytes:
                error_line("-", "standard input is larger than the size limit")
                ok = False
                continue
            try:
                loaded = load_bytes(data, "-", "-", None)
            except TuinewsError as error:
                error_line("-", getattr(error, "reason", str(error)))
                ok = False
                continue
            if isinstance(loaded, list):
                subs.extend(loaded)
            else:
                stdin_feed = loaded
            _reattach_terminal()
            continue
        expanded, problem = _expand_source(spec)
        if problem:
            error_line(spec, problem)
            ok = False
        subs.extend(expanded)
    if not subs and stdin_feed is None:
        return None
    with Store.open(store_path) as store:
        if stdin_feed is not None:
            stdin_sub = Subscription(url="-", title=stdin_feed.title)
            store.sync_feeds([stdin_sub])
            info = store.feed_by_url("-")
            assert info is not None
            store.save_fetch(
                info.id,
                stdin_feed,
                status=None,
                etag=None,
                last_modified=None,
                fetched_at=datetime.now(UTC),
                next_fetch=None,
            )
    # Local sources are read before the first screen; URLs load in the background.
    local = [s for s in subs if "://" not in s.url or s.url.startswith("file://")]
    if local:
        asyncio.run(refresh_feeds(store_path, local, config.refresh))
    del ok
    return _context(
        ns,
        config,
        store_path,
        subs,
        ephemeral=True,
        refresh_on_start=any(s not in local for s in subs),
    )


def _expand_source(spec: str) -> tuple[list[Subscription], str | None]:
    """A source as subscriptions: an OPML list stands for every feed it lists."""
    from tuinews.sources.local import path_from_file_url

    if spec.startswith(("http://", "https://")):
        return [Subscription(url=spec)], None
    if not spec.strip():  # Path("") is the working folder: `tuinews "$FILE"`, FILE unset
        return [], "an empty name: not a file or URL"
    try:
        path = path_from_file_url(spec) if spec.startswith("file://") else Path(spec)
    except TuinewsError as error:
        return [], getattr(error, "reason", str(error))
    try:
        path = paths.expand_home(path).resolve()
    except UnknownHome as error:
        return [], error.reason
    if not path.exists():
        return [], "no such file or directory"
    if path.is_file():
        from tuinews.sources.detect import detect_kind

        try:
            with path.open("rb") as handle:
                head = handle.read(64 * 1024)
        except OSError as error:
            return [], error.strerror or str(error)
        if detect_kind(head, path.name) == "opml":
            from tuinews.sources.opml import parse_opml_report

            try:
                # As `import` reads a list: an exported list names local feeds anywhere.
                subs, skipped = parse_opml_report(
                    path.read_bytes(), spec, base=path.parent, local_files="any_feed"
                )
            except TuinewsError as error:
                return [], getattr(error, "reason", str(error))
            for line in skipped:
                error_line(spec, line)
            return subs, None if subs else "lists no feeds"
    return [Subscription(url=str(path))], None


def _reattach_terminal() -> None:
    """After reading a source from a pipe, take keys from the terminal (as `less` does)."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        return
    os.dup2(fd, 0)
    os.close(fd)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
