"""The Textual application: one factory, `create_app`, for the CLI and every test."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tuinews.sources.sanitize import drawable_url
from tuinews.ui.bindings import MAIN_BINDINGS
from tuinews.ui.context import AppContext
from tuinews.ui.first_frame import FirstFrame
from tuinews.ui.links import (
    browser_argv,
    desktop_refusal,
    has_graphical_session,
    link_refusal,
)
from tuinews.ui.screens.main import MainScreen
from tuinews.ui.waiting_keys import KeyGate

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.driver import Driver
    from textual.timer import Timer

ALT_SCREEN = "\x1b[?1049h"
FRAME_CAPTURE_DELAY = 1.0  # seconds after start (or a theme change)
KEYMAP_CHECK_DELAY = 1.0  # seconds after start


def binding_ids() -> set[str]:
    """Every name `[keymap]` can rebind: the main screen's keys and the dialogs'."""
    from tuinews.ui.bindings import MAIN_BINDINGS
    from tuinews.ui.screens import add_feed, confirm, feed_info, help, link_picker, search

    ids = {binding.id for binding in MAIN_BINDINGS}
    for module in (add_feed, confirm, feed_info, help, link_picker, search):
        for screen in vars(module).values():
            for binding in getattr(screen, "BINDINGS", ()) if isinstance(screen, type) else ():
                ids.add(getattr(binding, "id", None))
    return {i for i in ids if i}


# Far longer than any dialog takes to come up or to answer a key.
KEY_GATE_BACKSTOP_S = 2.0


class NewsApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tuinews"
    # Ctrl-C quits, as in newsboat and most terminal programs (Textual's default only
    # says to press Ctrl-Q). A priority binding: a pop-up screen (feed info, links, help,
    # search) never passes other keys on to the app. Text selected in the search box is
    # copied instead, as there Ctrl-C would.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit_or_copy", show=False, priority=True)
    ]

    def __init__(self, ctx: AppContext, *, first_frame: FirstFrame | None = None) -> None:
        super().__init__(driver_class=_driver_after(first_frame) if first_frame else None)
        self.ctx = ctx
        # Set when the reader ends to be opened again on the user's own feeds (the first
        # subscription made on the sample feeds): the line its status shows then.
        self.reopen_saying: str | None = None
        if ctx.config.ui.keymap:
            self.set_keymap(dict(ctx.config.ui.keymap))
        # Typed keys wait here for a key that opens or answers a dialog (waiting_keys).
        self.key_gate: KeyGate[events.Key] = KeyGate()
        self._backstop: Timer | None = None  # for the key the gate waits for
        # The key the gate waits for, while its action waits for a search's results.
        self._key_waiting_for_search: events.Key | None = None
        # The Enter that picked a command in the palette, until the command runs.
        self.command_key: events.Key | None = None
        # Quitting: what workers would say on the status line (a mark the busy store
        # refused) is printed once the terminal is back (`tuinews.commands.launch`).
        self.quitting = False
        self.said_at_exit: list[str] = []
        self._left_main: MainScreen | None = None  # the screen quit from
        # Ctrl-C and Ctrl-Q quit at once, whatever waits.
        self._never_held = {
            key.strip()
            for cls in type(self).__mro__
            for binding in vars(cls).get("BINDINGS", ())
            if isinstance(binding, Binding) and binding.priority
            for key in binding.key.split(",")
        }

    def on_mount(self) -> None:
        self._exit_on_sigterm()
        theme = self.ctx.config.ui.theme
        if theme in self.available_themes:
            self.theme = theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.push_screen(MainScreen(self.ctx))
        # After the first screen is up, when nothing waits on the app.
        self.set_timer(FRAME_CAPTURE_DELAY, self._save_first_frame_styles)
        if theme not in self.available_themes:
            note = f"Unknown theme {theme!r} in the config; using {self.theme} (Ctrl+P: Theme)."
            self.call_after_refresh(partial(self.say, note, error=True, lasting=True))
        if self.ctx.config.ui.keymap:
            # Later: naming every binding imports the dialogs, which the first screen
            # does not need.
            self.set_timer(KEYMAP_CHECK_DELAY, self._check_keymap)

    def _exit_on_sigterm(self) -> None:
        """`kill`, a logout's SIGTERM: quit as `q` does (marks saved, the terminal given
        back as found) rather than die with the screen still in the alternate buffer,
        mouse reporting on and the cursor hidden."""
        import asyncio
        import signal

        try:
            loop = asyncio.get_running_loop()
            # After the next refresh: a SIGTERM while the main screen still mounts
            # tore it down half made (a traceback, status 1).
            quit_soon = partial(self.call_after_refresh, self.exit, return_code=143)
            loop.add_signal_handler(signal.SIGTERM, quit_soon)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests), or no signals here: as before

    def _check_keymap(self) -> None:
        said = self.ctx.config.ui.keymap_warnings  # with their lines and a "did you mean"
        if said:
            more = f" (and {len(said) - 1} more)" if len(said) > 1 else ""
            self.say(f"{said[0]}{more}", error=True, lasting=True)
            return
        unknown = sorted(set(self.ctx.config.ui.keymap) - binding_ids())
        if unknown:
            names = ", ".join(unknown)
            self.say(
                f"No such key binding in [keymap] of the config: {names}", error=True, lasting=True
            )

    # -- typed keys -------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        """Typed keys go through the key gate (see waiting_keys.KeyGate); Textual then
        routes each to the widget that has focus, or to the screen."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self.key_gate.holding and event.key not in self._never_held:
                self.key_gate.hold(event)
                if self._key_waiting_for_search is not None:
                    self.main.say_searching()  # counts the keys waiting here too
            else:
                await self._route_key(event)
            return
        await super().on_event(event)

    async def _route_key(self, key: events.Key) -> None:
        # A screen whose `gate_on` says the keys behind this one must wait for it calls
        # `key_done` with it once its effect is done.
        gate_on = getattr(self.screen_stack[-1], "gate_on", None) if self.screen_stack else None
        waits = gate_on is not None and gate_on(key)
        if waits:
            self.key_gate.close(key)
            self._start_backstop(key)
        await super().on_event(key)
        if waits and not key.is_forwarded:
            # Taken by an app-wide priority key instead (Ctrl-C, Ctrl-Q): nothing
            # more is to come of it.
            self.key_done(key)

    def _start_backstop(self, key: events.Key) -> None:
        # Should a path never say the key is done (a dialog that neither answers nor
        # goes), the keys behind it go on rather than wait for good: a reader deaf to
        # every key but Ctrl-C is worse than a key lost.
        self._stop_backstop()
        self._backstop = self.set_timer(KEY_GATE_BACKSTOP_S, partial(self.key_done, key))

    def _stop_backstop(self) -> None:
        if self._backstop is not None:
            self._backstop.stop()
            self._backstop = None

    def key_done(self, key: events.Key | None) -> None:
        """`key`, which held the keys behind it, has had its effect: they go on, in
        order (after the keys queued for the app now, which the gate holds meanwhile)."""
        if key is not None and key is self.key_gate.closed_by:
            self._stop_backstop()
            self._key_waiting_for_search = None
        if self.key_gate.done(key):
            self.call_later(self._route_held_keys)

    def key_waits_for_search(self, key: events.Key) -> None:
        """The action of `key`, which the gate waits for, waits for the results of a
        loading search (seconds after a big refresh): no backstop meanwhile. The
        screen says when it runs (`key_resumed`), or that it never will (`drop_keys`)."""
        if key is self.key_gate.closed_by:
            self._stop_backstop()
            self._key_waiting_for_search = key

    def key_waits_for_write(self, key: events.Key) -> None:
        """The action of `key`, which the gate waits for, waits for its write, which
        another process's may hold up to the store's busy timeout, never longer (saved
        or refused, it ends): no backstop meanwhile, or the keys behind it (`u` after
        `A`) would run before it."""
        if key is self.key_gate.closed_by:
            self._stop_backstop()

    def key_resumed(self, key: events.Key) -> None:
        """The kept action of `key` runs now: the backstop counts from now."""
        if key is self.key_gate.closed_by:
            self._key_waiting_for_search = None
            self._start_backstop(key)

    def drop_keys(self, key: events.Key) -> int:
        """The kept action of `key` will never run (its search failed or was left):
        the keys held behind it are dropped too. Returns how many."""
        if key is not self.key_gate.closed_by:
            return 0
        self._stop_backstop()
        self._key_waiting_for_search = None
        return self.key_gate.drop(key)

    def keys_held_behind(self, key: events.Key | None) -> int:
        return len(self.key_gate) if key is not None and key is self.key_gate.closed_by else 0

    async def _route_held_keys(self) -> None:
        while (key := self.key_gate.next_key()) is not None:
            await self._route_key(key)

    @property
    def main(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    def exit(
        self, result: None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        """Quit; writes still waiting for another process's hold on the store give up
        at once (each would wait out the busy timeout, one after the other)."""
        from tuinews.store import Store

        self.quitting = True
        Store.stop_waiting()
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                self._left_main = screen
        super().exit(result, return_code, message)

    def unsaved_at_exit(self) -> list[str]:
        """Once the app has ended: what quitting left unsaved, in lines, after the
        saves still under way gave up (at once: see `exit`)."""
        if self._left_main is not None:
            self.said_at_exit.extend(self._left_main.marks_left_unsaved())
        return self.said_at_exit

    async def action_quit_or_copy(self) -> None:
        selected = getattr(self.focused, "selected_text", "")
        if isinstance(selected, str) and selected:
            self.copy_to_clipboard(selected)
        else:
            await self.action_quit()

    def say(self, message: str, *, error: bool = False, lasting: bool = False) -> None:
        self.main.status.say(message, error=error, lasting=lasting)

    # -- themes -----------------------------------------------------------------------
    def _remember_theme(self, theme: object) -> None:
        self.set_timer(FRAME_CAPTURE_DELAY, self._save_first_frame_styles)
        name = getattr(theme, "name", None)
        if name and name != self.ctx.config.ui.theme:
            self._save_theme(name)

    # -- the first frame of the next start (tuinews.ui.first_frame) ---------------------
    def _save_first_frame_styles(self) -> None:
        from tuinews import paths
        from tuinews.ui.first_frame_capture import read_table, style_table, write_table
        from tuinews.ui.launch_cache import keymap_signature

        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None or main.size.width == 0:
            return
        if not (main.headlines.is_attached and main.sidebar.is_attached):
            # The app is quitting (or a pane was just replaced): a pane taken down has
            # dropped its styles (KeyError). The next start's first frame waits for later.
            return
        cache_dir = paths.cache_dir()
        keymap = keymap_signature(self.ctx.config.ui.keymap)
        old = read_table(cache_dir)
        table = style_table(main, self.theme, keymap, old)
        self.run_worker(
            partial(write_table, cache_dir, table, old),
            thread=True,
            group="first-frame",
            description="save the first frame's colours",
        )

    def _save_theme(self, name: str) -> None:
        from tuinews.errors import TuinewsError
        from tuinews.subscriptions import SubscriptionFile

        try:
            SubscriptionFile(self.ctx.config_path).set_value("ui", "theme", name)
        except (TuinewsError, OSError) as error:
            self.say(f"Theme not saved: {error}", error=True)

    # -- command palette: every main-screen action is a command -----------------------
    def action_command_palette(self) -> None:
        # Textual's, as a screen whose keys wait for one another (screens.palette).
        from tuinews.ui.screens.palette import Palette

        if self.use_command_palette and not Palette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(Palette(id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            yield command._replace(callback=partial(self.run_command, command.callback))
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        seen: set[str] = set()
        for binding in MAIN_BINDINGS:
            if binding.action in seen or binding.action in ("back", "back_or_quit"):
                continue
            seen.add(binding.action)
            action = partial(main.run_action, binding.action)
            yield SystemCommand(
                binding.description, f"Key: {binding.key}", partial(self.run_command, action)
            )

    async def run_command(self, command: Callable[[], object]) -> None:
        """Run a command picked in the palette, as the key that picked it (Enter): the
        keys typed after that key go into the dialog it opens, or on once it has run."""
        key, self.command_key = self.command_key, None
        await self.main.run_as_key(key, command)

    # -- links ------------------------------------------------------------------------
    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Every link opened anywhere in the app comes through here (scheme checks)."""
        url = drawable_url(url)  # as the reader shows it, and as copied
        refusal = link_refusal(url, opening=True)
        if refusal:
            self.say(f"Not opening {refusal}: {url}", error=True)
            return
        command = self.ctx.config.ui.browser
        if command:
            self._run_browser(command, url)
        elif has_graphical_session():
            refusal = desktop_refusal(url)
            if refusal:
                self.say(f"Not opening {refusal} (only web and mail links; y copies it): {url}")
                return
            self._open_in_webbrowser(url)
        else:
            self.copy_to_clipboard(url)
            self.say(f"No graphical browser here: copied the link (OSC 52): {url}")

    def _run_browser(self, command: str, url: str) -> None:
        from textual.app import SuspendNotSupported

        try:
            argv = browser_argv(command, url)
        except ValueError as error:
            self.say(f"Browser setting: {error}", error=True)
            return
        if shutil.which(argv[0]) is None:
            # Said before the terminal is handed over (a typo in the setting).
            self.say(f"Could not start {argv[0]}: no such program", error=True)
            return
        failed: OSError | None = None
        try:
            # A terminal browser (w3m, lynx) gets the terminal while it runs. Nothing may
            # leave this block by an exception: Textual's suspend() would not take the
            # terminal back, and the reader would stay blank.
            with self.suspend():
                try:
                    result = subprocess.run(argv, check=False)
                except OSError as error:
                    failed = error
        except SuspendNotSupported:
            try:
                result = subprocess.run(
                    argv, check=False, stdin=subprocess.DEVNULL, capture_output=True
                )
            except OSError as error:
                failed = error
        if failed is not None:
            self.say(f"Could not start {argv[0]}: {failed.strerror or failed}", error=True)
            return
        if result.returncode:
            self.say(f"{argv[0]} exited with status {result.returncode}", error=True)
        else:
            self.say(f"Opened {url}")

    def _open_in_webbrowser(self, url: str) -> None:
        self.run_worker(
            partial(self._webbrowser_open, url),
            thread=True,
            group="browser",
            description="open link",
        )

    def _webbrowser_open(self, url: str) -> None:
        import webbrowser

        opened = webbrowser.open(url)
        message = f"Opened {url}" if opened else f"No browser found for {url}"
        self.call_from_thread(self.say, message)

    def copy_url(self, url: str) -> None:
        # The article's link as its header shows it (a numbered link already is).
        url = drawable_url(url)
        refusal = link_refusal(url, opening=False)
        if refusal:
            self.say(f"Not copying {refusal}: {url}", error=True)
            return
        self.copy_to_clipboard(url)
        self.say(f"Copied the link (OSC 52): {url}")


def create_app(ctx: AppContext, *, first_frame: FirstFrame | None = None) -> NewsApp:
    """The one way to build the TUI: used by `tuinews` and by every test and snapshot.
    `first_frame`: the frame `tuinews.ui.first_frame` drew, which the app takes over."""
    return NewsApp(ctx, first_frame=first_frame)


def _driver_after(frame: FirstFrame) -> type[Driver]:
    """Textual's terminal driver, taking over a screen the first frame already set up:
    no second switch to the alternate screen (some terminals clear it on that), and the
    terminal settings restored at exit are the user's, not the first frame's."""
    from textual.drivers.linux_driver import LinuxDriver

    class AfterFirstFrame(LinuxDriver):
        _switched = False

        def write(self, data: str) -> None:
            if not self._switched and data == ALT_SCREEN:
                self._switched = True
                return
            super().write(data)

        def start_application_mode(self) -> None:
            frame.handed_over = True
            super().start_application_mode()
            if frame.saved is not None:
                self.attrs_before = frame.saved

    return AfterFirstFrame
