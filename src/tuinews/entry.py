"""The console script's entry point: `tuinews.cli.main`, imported here so that a Ctrl-C
while Python loads the program (its first tenth of a second) ends it as a Ctrl-C at any
later moment does, with one line, not with Python's traceback of the import."""

from __future__ import annotations

import sys


def main() -> int:
    from tuinews import startup

    startup.loading()  # each command says when its loading is over
    try:
        from tuinews.cli import main as run
    except KeyboardInterrupt:
        print("tuinews: interrupted", file=sys.stderr)
        return 130
    return run()
