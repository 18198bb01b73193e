"""`python -m tuinews` runs the same entry point as the console script."""

from tuinews.entry import main

# Guarded: a parse worker started with "spawn" imports this module again (as
# `__mp_main__`), and must not run the command a second time.
if __name__ == "__main__":
    raise SystemExit(main())
