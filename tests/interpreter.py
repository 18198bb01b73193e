"""Run a snippet in a fresh interpreter: what a module imports shows only there."""

from __future__ import annotations

import subprocess
import sys


def fresh_output(code: str) -> str:
    """The standard output of `code` run by a new Python process (stripped)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
