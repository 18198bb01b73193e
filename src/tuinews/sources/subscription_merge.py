"""Rules shared by the imported lists (OPML, newsboat `urls`): one subscription per URL,
and which local files an entry may name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from tuinews.errors import UnknownHome
from tuinews.model import Subscription
from tuinews.paths import expand_home
from tuinews.sources.sanitize import clean_line

# Which local files a list's entries may name.
#   "none":     a list from the web: none at all (it names web feeds).
#   "inside":   any file inside the list's own folder (`base`): a list opened to read.
#   "any_feed": that, and feed files anywhere: a list given to `tuinews import` as a
#               file or on standard input.
#   "any":      that, and any file or folder anywhere: `import --trust-local`, a list
#               the user vouches for (a backup written by `export`).
#
# Why: a local subscription is read at every refresh, stored and shown. A list that
# came from somewhere else (a download, `curl … | tuinews import -`) must not make the
# reader copy ~/.ssh/id_rsa or /etc/shadow into its store and onto the screen. What
# carries that risk is a file that is not a feed; a feed file elsewhere (what `export`
# writes for a local subscription, as an absolute file:// URL) discloses nothing, and
# refusing it broke the round trip. So outside the list's folder an entry must be a
# regular file that reads as a feed (RSS, Atom, RDF, JSON Feed); a folder or any other
# file there is refused, and `tuinews add` (or `import --trust-local`) is the way to
# subscribe to it.
LocalFiles = Literal["none", "inside", "any_feed", "any"]
# Said with a refused local entry: how to take it all the same.
TRUST_HINT = "(import --trust-local takes it)"
_SNIFF_BYTES = 64 * 1024


def quoted(value: str) -> str:
    """A name or URL in a message, quoted and readable: `repr` would show a Persian
    name's zero-width non-joiner as `\\u200c`. Controls are removed, so a name cannot
    drive the terminal."""
    text = clean_line(value)
    mark = '"' if "'" in text and '"' not in text else "'"
    return f"{mark}{text}{mark}"


def merge_subscription(found: dict[str, Subscription], sub: Subscription) -> None:
    """Add `sub` to `found` (keyed by URL, in first-seen order); a URL seen again keeps
    its first title and page link and gains the new tags."""
    existing = found.get(sub.url)
    if existing is None:
        found[sub.url] = sub
        return
    tags = existing.tags + tuple(tag for tag in sub.tags if tag not in existing.tags)
    found[sub.url] = Subscription(
        url=existing.url,
        title=existing.title or sub.title,
        tags=tags,
        html_url=existing.html_url or sub.html_url,
    )


def _hidden_below(candidate: Path, base: Path) -> bool:
    """Whether a folder or file below `base` on the way to `candidate`, as named or as
    its symlinks lead, is hidden (a name starting with a dot)."""
    for path in (candidate, candidate.resolve()):
        for root in (base, base.resolve()):
            if path.is_relative_to(root):
                if any(part.startswith(".") for part in path.relative_to(root).parts):
                    return True
                break
    return False


def local_entry(path: Path, base: Path | None, local_files: LocalFiles) -> tuple[str | None, str]:
    """The absolute path an entry naming the local file `path` (absolute, or relative to
    `base`, the list's folder) subscribes to, or None and why not."""
    if local_files == "none" or (base is None and local_files == "inside"):
        return None, f"local file {quoted(str(path))} (a list from the web names web feeds only)"
    try:
        candidate = expand_home(path)
    except UnknownHome as error:
        return None, f"{error.reason} in {quoted(str(path))}"
    if base is not None:
        candidate = base / candidate
    elif not candidate.is_absolute():
        return None, f"relative path {quoted(str(path))}"
    # Checked as it is stored: "L/../../x" tidied is not where it leads when L is a
    # symlink, and a check of one path with the other stored let a list reach ~/.ssh.
    candidate = Path(os.path.normpath(candidate.absolute()))
    shown = quoted(str(candidate))
    try:
        if not candidate.exists():
            return None, f"no such file or directory {shown}"  # what `tuinews add` says
        if not candidate.is_dir() and not candidate.is_file():  # a FIFO, a device
            return None, f"local file that is not a regular file or folder {shown}"
        hidden = False
        if base is not None and candidate.resolve().is_relative_to(base.resolve()):
            if local_files == "any" or not _hidden_below(candidate, base):
                return str(candidate), ""
            # A list saved in the home folder must not reach ~/.ssh or ~/.gnupg: below
            # it, a hidden file is taken only when it reads as a feed (which discloses
            # nothing), a hidden folder not at all.
            if candidate.is_dir():
                return None, f"hidden local folder {shown} {TRUST_HINT}"
            hidden = True
        elif local_files == "inside":
            return None, f"local file outside the list's folder {shown}"
        elif local_files == "any":
            return str(candidate), ""
        elif candidate.is_dir():
            return None, f"local folder outside the list's folder {shown} {TRUST_HINT}"
        with candidate.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        return None, f"{(error.strerror or str(error)).lower()} {shown}"
    except (ValueError, RuntimeError) as error:  # a NUL byte, a symlink loop
        return None, f"unreadable path {shown} ({error})"
    from tuinews.sources.detect import sniff_structured, unpacked_head

    if sniff_structured(unpacked_head(head)) != "feed":
        where = "hidden local file," if hidden else "local file outside the list's folder,"
        return None, f"{where} not a feed {shown} {TRUST_HINT}"
    return str(candidate), ""
