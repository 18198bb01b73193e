"""What a bare `tuinews` needs of the settings to draw its first frame, kept from the
last command that read them: the settings file takes tens of milliseconds to load
(tomllib, the config model), the frame must come before that. The record names the
file's size and modification time; any change to the file and the record is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tuinews.config import Config

FORMAT = 1
LAUNCH_NAME = "launch.json"
FeedRef = tuple[str, "str | None", tuple[str, ...]]  # url, title, tags


class Launch(NamedTuple):
    store: str
    theme: str
    keymap: str
    feeds: list[FeedRef]


def keymap_signature(keymap: Mapping[str, str]) -> str:
    """What the footer depends on besides the width: the user's key bindings."""
    return json.dumps(sorted(keymap.items()))


def remember_launch(cache_dir: Path, config_path: Path, store_path: Path, config: Config) -> None:
    """Keep the record for the next bare start; written only when it changed. A cache
    that cannot be written costs the next start its quick frame, nothing else."""
    try:
        stat = config_path.stat()
    except OSError:
        return
    record = {
        "format": FORMAT,
        "config": [str(config_path), stat.st_mtime_ns, stat.st_size],
        "store": str(store_path),
        "theme": config.ui.theme,
        "keymap": keymap_signature(config.ui.keymap),
        "feeds": [[sub.url, sub.title, list(sub.tags)] for sub in config.feeds],
    }
    text = json.dumps(record, ensure_ascii=False)
    target = cache_dir / LAUNCH_NAME
    with contextlib.suppress(OSError):
        if target.read_text(encoding="utf-8") == text:
            return
    with contextlib.suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = cache_dir / f".{LAUNCH_NAME}.{os.getpid()}"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)


def read_launch(cache_dir: Path, config_path: Path, store_path: Path) -> Launch | None:
    """The record, if it describes this settings file as it is now and this store."""
    try:
        record = json.loads((cache_dir / LAUNCH_NAME).read_text(encoding="utf-8"))
        if record["format"] != FORMAT:
            return None
        path, mtime_ns, size = record["config"]
        if path != str(config_path) or record["store"] != str(store_path):
            return None  # TUINEWS_CONFIG or TUINEWS_DB point elsewhere now
        stat = os.stat(path)
        if (stat.st_mtime_ns, stat.st_size) != (mtime_ns, size):
            return None
        feeds: list[FeedRef] = [
            (str(url), None if title is None else str(title), tuple(str(t) for t in tags))
            for url, title, tags in record["feeds"]
        ]
        return Launch(str(record["store"]), str(record["theme"]), str(record["keymap"]), feeds)
    except (OSError, ValueError, KeyError, TypeError):
        return None
