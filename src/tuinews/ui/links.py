"""Opening links safely: never through a shell, never `javascript:` and friends."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

from tuinews.sources.sanitize import UNSAFE_URL_SCHEMES


def link_refusal(url: str, *, opening: bool) -> str | None:
    """Why a link must not be opened (`opening`) or copied, as "a javascript: link",
    else None.

    The refused schemes are the project's one list (`sanitize.UNSAFE_URL_SCHEMES`), read
    with `urlsplit`, which drops leading spaces, controls and tabs the way a browser does
    ("java<Tab>script:" is javascript:), unlike `Link.is_safe`, so it stays the check here.
    Opened, a link needs a scheme: a relative one left unresolved would be a local file
    to a browser, and one starting with "-" an option ("-oProxyCommand=...").
    """
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:  # "http://[oops": an address no browser can take either
        return "an invalid link"
    if scheme in UNSAFE_URL_SCHEMES:
        return f"a {scheme}: link"
    if opening and not scheme:
        return "a link without a scheme"
    return None


# Schemes handed to the desktop's handler (the default browser, xdg-open) when no browser
# is configured. Any other scheme would go to whatever program registered it, unseen by
# the user; custom scheme handlers have run code from a crafted link before.
DESKTOP_SCHEMES = frozenset({"http", "https", "mailto", "magnet"})


def desktop_refusal(url: str) -> str | None:
    """Why the desktop's handler must not be given `url` (a link `link_refusal` let
    through), as "a steam: link", else None."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return None if scheme in DESKTOP_SCHEMES else f"a {scheme}: link"


def browser_argv(command: str, url: str) -> list[str]:
    """The argument list for a configured browser like "w3m %u".

    The *configured* string is split once; the URL replaces `%u` as one argument (or is
    appended), so nothing in the URL is ever parsed as shell or as extra arguments.
    """
    parts = shlex.split(command)
    if not parts:
        raise ValueError("the browser setting is empty")
    if url.startswith("-"):  # never an option of the browser (`link_refusal` said so first)
        raise ValueError(f"not a link: {url}")
    if "%u" in parts:
        return [url if part == "%u" else part for part in parts]
    return [*parts, url]


def has_graphical_session(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("SSH_CONNECTION"):
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
