"""SIGTERM while the reader loads: the terminal given back, not left in its modes.

Between the first frame (drawn before Textual loads) and the reader's own handler
(`TuinewsApp._exit_on_sigterm`, once its screen is up), SIGTERM's default killed the
process with the terminal in the alternate screen, the cursor hidden, mouse reporting on.
No Textual here: this runs before it is imported.
"""

from __future__ import annotations

import os
import signal
import sys
import termios
from typing import Any

# Mouse reporting (all modes), bracketed paste and focus events off, the cursor shown,
# the main screen back: what the first frame or Textual's driver may have turned on.
_RESET = b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?1004l"
_RESET += b"\x1b[?25h\x1b[?1049l"


def give_the_terminal_back_on_sigterm() -> None:
    """Install the handler, with the terminal's settings as they are now (before the
    first frame or Textual change them). Only on a terminal."""
    try:
        fd = sys.stdout.fileno()
        if not os.isatty(fd):
            return
        saved: list[Any] | None = termios.tcgetattr(fd)
    except (OSError, ValueError, AttributeError, termios.error):
        return

    def restore_and_exit(signum: int, frame: object) -> None:
        try:
            os.write(fd, _RESET)
            if saved is not None:
                termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        finally:
            os._exit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, restore_and_exit)
