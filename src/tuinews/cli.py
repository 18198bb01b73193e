"""Command line entry point (placeholder until the CLI lands)."""

from __future__ import annotations

import sys

from tuinews import __version__


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--version"]:
        print(f"tuinews {__version__}")
        return 0
    print("tuinews: not implemented yet", file=sys.stderr)
    return 2
