"""What a subscription URL points at: an HTTP(S) resource, a local path, or neither."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal["http", "local", "unsupported"]


def location_kind(url: str) -> Kind:
    try:
        scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    except ValueError:  # a malformed [IPv6] host: the fetch says what is wrong with it
        scheme = url.partition("://")[0].lower()
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


def source_signature(path: Path) -> float:
    """A stamp of what a refresh would read at `path`, equal only while none of it
    changed: stat calls only, one listing for a directory, no reads.

    Not a newest mtime: a file dated in the future would pin it, and a file rewritten
    with the same mtime (`cp -p`, `rsync -t`, `tar x`, two writes in one tick) would
    keep it. A file counts by inode, size, mtime and ctime (which the system sets on
    any change, so a copied-back mtime still shows; only two writes of one size within
    one clock tick go unseen); a directory by the name and those four of each file it
    reads (`directory_files`): additions, removals, renames and edits show, not the
    hidden files it skips (an editor's swap file).

    A 52-bit integer as a float, exact in the store's REAL `source_mtime` column.
    """
    digest = hashlib.blake2b(digest_size=8)
    info = path.stat()
    if stat.S_ISDIR(info.st_mode):
        from tuinews.sources.local import directory_files

        digest.update(b"directory\0")
        for entry in directory_files(path):
            try:
                digest.update(repr((entry.name, *_file_stamp(entry.stat()))).encode())
            except OSError:
                # Gone since the listing: the next refresh sees it gone.
                digest.update(repr((entry.name, None)).encode())
    else:
        digest.update(repr(("file", *_file_stamp(info))).encode())
    return float(int.from_bytes(digest.digest()) >> 12)


def _file_stamp(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def os_error_line(exc: OSError) -> str:
    """`no such file or directory`: the OS's words without the errno and path."""
    return (exc.strerror or type(exc).__name__).lower()
