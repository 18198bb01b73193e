"""The SQLite URI of a store file (a module of its own, importing nothing heavy: the
reader's first screen and the refresh's pre-fork peek open the store with one too)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote


def file_uri(path: str | Path, query: str) -> str:
    """The URI of the store at `path` with `query` (such as "mode=ro")."""
    return f"file:{quote(str(path))}?{query}"
