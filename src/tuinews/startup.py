"""Python's cycle collector while the console script loads tuinews.

Loading makes tens of thousands of objects that live as long as the process (modules,
classes, functions, compiled patterns) and almost no garbage, yet the collector
examined them again and again: 66 times before a refresh's first request, 20 to 30 ms
of its first 0.3 s, to free 900 objects. So the console script turns it off while
loading (`loading`), and `loaded` freezes what was made meanwhile, which the collector
then leaves alone for good, and turns it back on.

A forked parse worker inherits the frozen objects: its collections no longer walk (and
so no longer copy) the pages it shares with the refresh's process.
"""

from __future__ import annotations

import gc

_loading = False


def loading() -> None:
    """The console script starts: no collection until `loaded`."""
    global _loading
    _loading = True
    gc.disable()


def loaded() -> None:
    """Loading is over: what it made is frozen, and collection resumes. Does nothing
    unless `loading` was called (the tests, a program embedding tuinews): whoever turned
    the collector off there keeps it off."""
    global _loading
    if not _loading:
        return
    _loading = False
    gc.freeze()
    gc.enable()
