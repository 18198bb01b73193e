"""What a subscription URL points at: an HTTP(S) resource, a local path, or neither."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal["http", "local", "unsupported"]


def location_kind(url: str) -> Kind:
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme in ("http", "https"):
        return "http"
    if scheme in ("", "file"):
        return "local"
    return "unsupported"


def local_path(url: str) -> Path:
    """The file a `file://` URL or a path names (`~` expanded; `UnknownHome`, a
    SourceError, when `~NAME` names no user)."""
    if url.lower().startswith("file:"):
        from tuinews.sources.local import path_from_file_url

        return path_from_file_url(url)
    from tuinews.paths import expand_home

    return expand_home(url)


def source_mtime(path: Path) -> float:
    """A modification stamp that changes when the file, or a directory's files, change.

    A directory's own mtime changes only when entries are added or removed, so its
    direct children are included to notice an article edited in place.
    """
    stamp = path.stat().st_mtime
    if path.is_dir():
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    stamp = max(stamp, entry.stat().st_mtime)
                except OSError:
                    continue
    return stamp


def os_error_line(exc: OSError) -> str:
    """`no such file or directory`: the OS's words without the errno and path."""
    return (exc.strerror or type(exc).__name__).lower()
