"""Feed URLs in their canonical form: one spelling per feed, whatever the user typed.

Used by the settings (a feed listed twice under two spellings is one feed), `add` and
`import` (already subscribed?), the store (a stored URL renamed to a newer spelling)
and refresh (a permanent redirect's target). No work at import time.
"""

from __future__ import annotations

import os
import re
from contextlib import suppress
from pathlib import Path
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

from tuinews.errors import ConfigError, UnknownHome
from tuinews.paths import expand_home
from tuinews.sources.sanitize import clean_line, clean_url, without_password

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Most stored URLs are already canonical; recognising them cheaply keeps loading a
# config with thousands of feeds fast. The pattern leaves out `#` and `%`, and
# `_plainly_canonical` what else a canonical URL cannot hold; the rest take the long way.
_PLAIN_HTTP = re.compile(r"(https?)://[a-z0-9.-]+(?::([1-9][0-9]{0,4}))?/[!\"$&-~]*")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# RFC 3986's unreserved characters: escaped or not, they name the same resource.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _quoted(url: str) -> str:
    """A URL in an error message: quoted, its password (if any) shown as ***."""
    return repr(without_password(url))


def _plainly_canonical(text: str) -> bool:
    found = _PLAIN_HTTP.fullmatch(text)
    if found is None or "/." in text or text.endswith("?"):
        return False
    port = found.group(2)
    return port is None or int(port) != _DEFAULT_PORTS[found.group(1)]


# Letters, digits, hyphens inside (underscores too: some DNS names have them).
_HOST_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")


def check_host_characters(url: str) -> None:
    """ConfigError when a web address's host has characters no host name has (`%zz`,
    `a!b`, a percent-escape, which the connection would hand the resolver as it is, a
    label that starts or ends with a hyphen): it failed at every refresh. An
    international name is checked when it is encoded. For what the user adds or
    imports: a settings file that older versions took keeps loading (one such feed
    would stop every command)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return  # told by canonical_feed_url
    if parts.scheme not in ("http", "https"):
        return  # a local path
    labels = host.removesuffix(".").split(".")
    if ":" not in host and host.isascii() and not all(map(_HOST_LABEL.fullmatch, labels)):
        raise ConfigError(f"URL has an invalid host name {host!r}: {_quoted(url)}")
    if "xn--" in host and not all(map(_decodes, labels)):
        raise ConfigError(f"URL has an invalid international host name {host!r}: {_quoted(url)}")
    with suppress(ValueError):  # told by canonical_feed_url
        if parts.port == 0:  # no server listens there: "connection refused" at every refresh
            raise ConfigError(f"URL has an invalid port: {_quoted(url)}")


def _decodes(label: str) -> bool:
    """Whether a host name label is no punycode (`xn--`) or valid punycode."""
    if not label.lower().startswith("xn--"):
        return True
    import idna  # here: only an encoded international name needs it (start-up)

    try:
        idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


def _check_http(parts: SplitResult, url: str) -> None:
    """ConfigError when an http(s) URL could never be fetched: checked when it is added,
    imported or read from the file, not left to fail (or worse) at every refresh."""
    host = parts.hostname
    if not host:
        raise ConfigError(f"URL has no host: {_quoted(url)}")
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number from 0 to 65535)
    except ValueError:
        raise ConfigError(f"URL has an invalid port: {_quoted(url)}") from None
    if ":" in host:
        return  # an IPv6 address: urlsplit has checked it
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or any(not label or len(label) > 63 for label in labels):
        raise ConfigError(f"URL has an invalid host name {host!r}: {_quoted(url)}")
    if all(label.isdigit() for label in labels):
        import ipaddress  # here: only a numeric host needs it (start-up)

        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ConfigError(f"URL has an invalid IP address {host!r}: {_quoted(url)}") from None


def canonical_feed_url(text: str, base_dir: Path | None = None) -> str:
    """The subscription key for a URL or path, without touching the network or the disk.

    http(s) URLs are normalised as RFC 3986 (section 6) allows, so that one feed spelled
    two ways is one subscription: lowercase scheme and host, an international host in
    its IDNA (punycode) form, no default port, no fragment, no empty `?`, dot segments
    resolved, escapes of unreserved characters decoded and the others' hex in capitals,
    other non-ASCII characters of the path and query escaped as UTF-8 (as browsers send
    them), `/` for an empty path. The query is otherwise kept as written (some servers
    care about its order or spelling), and so is the path's case. `feed://` becomes http,
    and `feed:` or `feed://` before a full http(s) URL means that URL; `file://` URLs
    and paths become absolute paths (`~` expanded, relative to `base_dir`, else the
    working directory). Raises ConfigError with the reason alone (no file or line).
    """
    if _plainly_canonical(text):
        _check_http(urlsplit(text), text)
        return text
    value = text.strip()
    if value.lower().startswith("feed:"):  # a browser's "subscribe" link
        value = without_feed_scheme(value)
    if found := _SCHEME.match(value):
        scheme = found.group(1).lower()
        if scheme in ("http", "https"):
            if any(char.isspace() for char in value):
                # clean_url would drop them and name another address ("exa mple.com")
                raise ConfigError(f"URL contains spaces: {_quoted(value)}")
            return _canonical_http(scheme, clean_url(value))
        if scheme == "file":
            try:
                parts = urlsplit(value)
            except ValueError as error:  # `file://[]/x`: a malformed [IPv6] host
                raise ConfigError(f"malformed URL ({error}): {_quoted(value)}") from None
            if parts.netloc not in ("", "localhost"):
                raise ConfigError(f"file URL names another computer: {_quoted(value)}")
            value = unquote(parts.path)
        else:
            raise ConfigError(
                f"unsupported URL scheme {scheme!r} (use http, https or a local path)"
            )
    if not value:
        raise ConfigError("empty URL or path")
    if clean_line(value) != " ".join(value.split()) or "\t" in value or "\n" in value:
        raise ConfigError(f"path contains control characters: {_quoted(value)}")
    # Made absolute here: a relative `--config c.toml` must not make its feeds' paths
    # relative to wherever the command runs.
    base = os.path.abspath(base_dir) if base_dir is not None else os.getcwd()
    try:
        path = expand_home(value)
    except UnknownHome as error:  # else read as a folder named `~NAME` here
        raise ConfigError(f"{error.reason}: {_quoted(value)}") from None
    return os.path.normpath(os.path.join(base, path))


def site_address(text: str) -> str | None:
    """A feed's web site (OPML's htmlUrl, `site` in the settings) cleaned as a URL, or
    None when blank. Raises ConfigError with the reason alone when it is not an http(s)
    address with a host: it is a web page, and a `javascript:` or `file:` one would be
    passed on to every reader the list is exported to."""
    url = clean_url(text)
    if not url:
        return None
    found = _SCHEME.match(url)
    if found is None or found.group(1).lower() not in ("http", "https"):
        raise ConfigError(f"not an http(s) address: {_quoted(url)}")
    try:
        _check_http(urlsplit(url), url)
    except ValueError as error:  # a malformed [IPv6] host
        raise ConfigError(f"malformed URL ({error}): {_quoted(url)}") from None
    return url


def without_feed_scheme(url: str) -> str:
    """`feed://host/x` -> `http://host/x`; `feed:https://host/x` and
    `feed://https://host/x` -> `https://host/x` (browsers wrote both for a full URL)."""
    if not url.lower().startswith("feed:"):
        return url
    rest = url[5:]
    inner = rest[2:] if rest.startswith("//") else rest
    if inner.lower().startswith(("http://", "https://")):
        return inner
    return "http:" + rest if rest.startswith("//") else rest


def _canonical_http(scheme: str, url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError as error:  # a bracketed host that is no IPv6 address, say
        raise ConfigError(f"malformed URL ({error}): {_quoted(url)}") from None
    userinfo, at, authority = parts.netloc.rpartition("@")
    try:
        port = parts.port  # raises on a port that is not a number from 0 to 65535
    except ValueError:
        if authority.count(":") > 1 and "[" not in authority:  # http://::1/feed
            raise ConfigError(
                f"URL has an IPv6 address without brackets ([{authority}]): {_quoted(url)}"
            ) from None
        raise ConfigError(f"URL has an invalid port: {_quoted(url)}") from None
    host = parts.hostname or ""
    if not host.isascii():
        host = _idna_host(host, url)
    netloc = userinfo + at + (f"[{host}]" if ":" in host else host)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = _remove_dot_segments(_normalize_escapes(_escape_non_ascii(parts.path))) or "/"
    # No fragment: it never reaches the server. An empty query drops its `?` here too.
    query = _escape_non_ascii(parts.query)
    canonical = urlunsplit((scheme, netloc, path, query, ""))
    _check_http(urlsplit(canonical), url)
    return canonical


def _idna_host(host: str, url: str) -> str:
    """`bücher.example` -> `xn--bcher-kva.example`, as a resolver is asked for it."""
    import idna  # here: only an international host name needs it (start-up)

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        reason = clean_line(str(error))[:100]
        raise ConfigError(
            f"URL has an invalid host name {host!r} ({reason}): {_quoted(url)}"
        ) from None


def _escape_non_ascii(text: str) -> str:
    """`/€` -> `/%E2%82%AC`: UTF-8 escapes, as a browser sends the address."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda found: quote(found.group(), safe=""), text)


def _normalize_escapes(text: str) -> str:
    """`%7e` -> `~`, `%2f` -> `%2F`: one spelling for each escape (RFC 3986 6.2.2.2)."""
    if "%" not in text:
        return text

    def one(found: re.Match[str]) -> str:
        char = chr(int(found.group(1), 16))
        return char if char in _UNRESERVED else "%" + found.group(1).upper()

    return _ESCAPE.sub(one, text)


def _remove_dot_segments(path: str) -> str:
    """`/a/./b/../c` -> `/a/c` (RFC 3986 5.2.4)."""
    if "." not in path:
        return path
    segments = path.split("/")
    if not any(segment in (".", "..") for segment in segments):
        return path
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")  # `/a/b/..` names the directory `/a/`
    return "/" + "/".join(kept)
