"""Keys that wait: for the dialog a key opens or answers, and for a new search's results.

A burst of keys (typed over a slow SSH link, a key macro, `tmux send-keys`) reaches the
app in one read. Textual routes each key as it takes it from the queue, to the widget
that has focus then: `/rust` Enter went whole to the main screen, before `/` had opened
the search prompt; the prompt then dropped the letters, and Enter searched nothing. The
`KeyGate` (the app's) holds the keys behind a key that changes where keys go (one that
opens a dialog, or answers one) until that key is done, then routes them in order, as if
they had been typed slowly.

The first search after a big refresh adds the refresh's articles to the search index
before it answers: seconds (about 2.5 s with 60,000 articles waiting), with the old list
still on screen and the UI answering keys all along. A key that acts on the list or the
article acted on that old list, which the results then replaced with the cursor on their
first row: `/rust` Enter `j j` Enter moved and opened nothing among the results (and
marked an article of the old list read). Such keys are held by `WaitingKeys` instead,
and run on the results as soon as they show. Imports no Textual: the app and the screens
wire it in.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from typing import Concatenate, Generic, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
K = TypeVar("K")


class KeyGate(Generic[K]):
    """Typed keys that wait for the key before them to be done.

    The app routes each typed key through the gate. A key after which keys go elsewhere
    (`/` opens the search prompt, Enter answers it) closes the gate: it is routed, and
    the keys behind it, typed in the same burst or later, are held. The screen that
    asked for the wait says when that key is done (the dialog is up with its focus; the
    dialog has answered, gone or still open), and the held keys are routed then, in
    order, each through the gate again."""

    def __init__(self) -> None:
        self._closed_by: K | None = None  # the key whose effect the held keys wait for
        self._held: deque[K] = deque()

    @property
    def holding(self) -> bool:
        """Whether a typed key must wait: the gate is closed, or keys typed before it
        still wait to be routed."""
        return self._closed_by is not None or bool(self._held)

    def close(self, key: K) -> None:
        self._closed_by = key

    def hold(self, key: K) -> None:
        self._held.append(key)

    def done(self, key: K | None) -> bool:
        """`key` has had its effect: the gate opens if it waited for that key. True
        when keys wait to be routed now (`next_key`)."""
        if key is not None and key is self._closed_by:
            self._closed_by = None
            return bool(self._held)
        return False

    def next_key(self) -> K | None:
        """The next held key to route, while the gate is open."""
        if self._closed_by is None and self._held:
            return self._held.popleft()
        return None

    @property
    def closed_by(self) -> K | None:
        return self._closed_by

    def __len__(self) -> int:
        """How many keys are held."""
        return len(self._held)

    def drop(self, key: K) -> int:
        """`key` will never have its effect (the search its action waited for will not
        show): the keys held behind it are dropped and the gate opens. Returns how many
        were dropped (none if the gate did not wait for `key`)."""
        if key is not self._closed_by:
            return 0
        dropped = len(self._held)
        self._held.clear()
        self._closed_by = None
        return dropped


class HoldsKeys(Protocol):
    def hold_for_search(self, action: Callable[[], None]) -> bool:
        """Keep `action` for the results of the search loading now (True), or False
        when no search is loading: the action runs at once."""
        ...


S = TypeVar("S", bound=HoldsKeys)


def waits_for_search(
    action: Callable[Concatenate[S, P], None],
) -> Callable[Concatenate[S, P], None]:
    """A key action that acts on the list, the article or the panes: typed while a new
    search loads, it runs once the search's results show, after the keys typed before
    it. Not for the keys that open a dialog taking words (search, add a feed), help,
    nor Escape / q: from a search, they leave it at once (its held keys are dropped)."""

    @functools.wraps(action)
    def wrapper(screen: S, /, *args: P.args, **kwargs: P.kwargs) -> None:
        if not screen.hold_for_search(functools.partial(action, screen, *args, **kwargs)):
            action(screen, *args, **kwargs)

    return wrapper


class WaitingKeys(Generic[K]):
    """The search whose results are loading (the view's generation and its words) and
    the key actions typed meanwhile, in order.

    The action of a key that may open a dialog (`d`, `i`, `L`) or wait for the
    article being opened (1-9) is held with its key, which keeps the app's key gate
    closed: the keys typed after it are held there as
    keys, not as actions, and reach the dialog once the action has run on the results
    and opened it, as if typed then (`/x` Enter `d y`: `y` answers the question)."""

    def __init__(self) -> None:
        self.generation: int | None = None  # None: no new search is loading
        self.search: str | None = None
        self._actions: list[Callable[[], None]] = []
        # The key of the last action held, when the keys typed after it wait in the
        # app's key gate for that action to run (None: they are held here, if any).
        self.key: K | None = None

    @property
    def loading(self) -> bool:
        return self.generation is not None

    def __len__(self) -> int:
        return len(self._actions)

    def begin(self, generation: int, search: str) -> None:
        """The view of a new search is fetched as `generation`. The same words fetched
        again (a refresh reloading the view meanwhile) keep the keys held; the caller
        gives up those held for other words first (`give_up`): their results will
        never show."""
        if search != self.search:
            self._actions.clear()
            self.key = None
        self.generation, self.search = generation, search

    def hold(self, action: Callable[[], None], key: K | None = None) -> bool:
        """Keep `action` for the results (False when no search is loading). `key`: the
        key whose action it is, when the keys typed after it wait for it to run."""
        if self.generation is None:
            return False
        self._actions.append(action)
        if key is not None:
            self.key = key
        return True

    def loaded(self, generation: int) -> list[Callable[[], None]]:
        """A view of `generation` is shown: when it is the search's (or newer), the
        held actions, to run now, in order; else none."""
        if self.generation is None or generation < self.generation:
            return []
        actions, self._actions = self._actions, []
        self.generation = self.search = self.key = None
        return actions

    def give_up(self) -> tuple[int, K | None]:
        """The search will not show (Escape, another view, an error): its held keys are
        dropped. Returns how many, and the key whose action held the keys typed after
        it in the app's key gate (to drop them too), if any."""
        dropped, key = len(self._actions), self.key
        self._actions = []
        self.generation = self.search = self.key = None
        return dropped, key
