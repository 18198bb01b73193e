"""`python -m tuinews` runs the same entry point as the console script."""

from tuinews.cli import main

raise SystemExit(main())
