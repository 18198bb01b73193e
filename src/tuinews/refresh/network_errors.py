"""A failed fetch as one line for the user: a network failure (httpx, OpenSSL, the OS),
saying what went wrong and, where it helps, what to check ("TLS certificate is for
another site", "TLS handshake failed: the server did not answer in TLS (is it really
https?)"); an HTTP status and what a Retry-After asks; a redirect loop or too long a
chain. Never a Python class name."""

from __future__ import annotations

import errno
import math
import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

from tuinews.sources.sanitize import clean_line, without_password

__all__ = [
    "body_cut_short",
    "describe_network_error",
    "format_seconds",
    "http_status_line",
    "parse_retry_after",
    "redirect_failure",
    "retry_after_words",
]

# A server asking for a pause longer than this is more likely confused than serious.
MAX_RETRY_AFTER = timedelta(days=7)


def format_seconds(seconds: float) -> str:
    """`30 s`, `1.5 s`: how long a limit was, in the user's terms."""
    return f"{seconds:g} s"


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """The moment a `Retry-After` header (seconds or an HTTP date) allows the next try."""
    if not value:
        return None
    value = value.strip()
    delay: timedelta | None = None
    if value.isascii() and value.isdigit():  # not "²", which isdigit() also takes
        # Capped before timedelta sees it: 10**20 seconds overflows it.
        delay = timedelta(seconds=min(int(value), int(MAX_RETRY_AFTER.total_seconds())))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = when - now
    delay = max(timedelta(0), min(delay, MAX_RETRY_AFTER))
    return now + delay


def retry_after_words(retry_at: datetime | None, now: datetime) -> str:
    """` (server asks to retry after 17:05)`: when a 429/503 says the next try may come,
    as a time of day (with its date on another day). For the refresh's own failure line,
    said as the feed fails: the store keeps the line without it (`shown_error`), and
    what is shown later says the next try from the feed's `next_fetch`."""
    if retry_at is None or retry_at <= now:
        return ""
    delay = retry_at - now
    if delay >= MAX_RETRY_AFTER:
        return f" (server asks to wait {MAX_RETRY_AFTER.days} days or more)"
    if delay < timedelta(minutes=1):
        return f" (server asks to retry in {math.ceil(delay.total_seconds())} s)"
    from tuinews.refresh.outcome import short_time  # as "next try after" shows a time

    return f" (server asks to retry after {short_time(retry_at, now)})"


def http_status_line(status: int) -> str:
    """`HTTP 404 Not Found`, from our own table: a server's reason phrase is untrusted."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _after(seconds: float | None) -> str:
    return f" after {format_seconds(seconds)}" if seconds is not None else ""


def body_cut_short(received: int | None, declared: int | None) -> str:
    """A body the server ended (a clean close, no reset) before all of it came."""
    if received is None:
        got = ""
    elif declared is not None:
        got = f" (got {received:,} of {declared:,} bytes)"
    else:
        got = f" (got {received:,} byte{'' if received == 1 else 's'})"
    return f"the connection closed before the whole body arrived{got}"


# A URL in a redirect line: long enough to tell them apart, short enough for one line.
_SHOWN_URL_CHARS = 60


def _shown_urls(urls: Sequence[str]) -> list[str]:
    """The URLs of a redirect chain as the user reads them best: the first one whole
    (without its password), each next one as its path when it stays on the origin of
    the one before (read as a link on that page would be)."""
    shown = []
    previous = None
    for url in urls:
        parts = urlsplit(url)
        if previous is not None and (parts.scheme, parts.netloc) == previous:
            text = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        else:
            text = without_password(url)
        previous = (parts.scheme, parts.netloc)
        text = clean_line(text)
        if len(text) > _SHOWN_URL_CHARS:
            text = text[: _SHOWN_URL_CHARS - 1] + "\u2026"
        shown.append(text)
    return shown


def redirect_failure(chain: Sequence[str], limit: int) -> str:
    """Why redirects were given up: a loop, named by its URLs, or too long a chain.
    `chain`: every URL asked, then the redirect target that was not followed."""
    for end, url in enumerate(chain):
        start = chain.index(url)
        if start < end:
            return f"redirect loop ({' -> '.join(_shown_urls(chain[start : end + 1]))})"
    if limit == 0:
        return "redirected, and max_redirects = 0 follows none"
    return f"more than {limit} redirect{'s' if limit != 1 else ''}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# OpenSSL's reasons for a handshake that met something other than TLS: most often an
# https:// URL whose server speaks plain HTTP on that port.
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG"})


_NOT_TLS_WORDS = "the server did not answer in TLS (is it really https?)"

# OpenSSL's X509_V_ERR_* codes (x509_vfy.h), by what the user should hear.
_UNTRUSTED_CODES = frozenset({2, 18, 19, 20, 21, 27})  # no known authority, self-signed
_OTHER_SITE_CODES = frozenset({62, 63, 64})  # host name, e-mail or IP address mismatch
_CERTIFICATE_WORDS = {
    10: "TLS certificate expired",
    9: "TLS certificate not valid yet (is this computer's clock right?)",
    23: "TLS certificate revoked",
}


def certificate_refused(exc: BaseException) -> bool:
    """Whether the server answered the TLS handshake with a certificate this machine
    refused: it was reached (this machine is online), its answer was not accepted."""
    return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in _causes(exc))


def _certificate_refusal(error: ssl.SSLCertVerificationError) -> str:
    """Why the certificate was refused, from OpenSSL's verify code and message."""
    code = getattr(error, "verify_code", None)
    message = clean_line(str(getattr(error, "verify_message", None) or "")).rstrip(".")
    lowered = message.lower()
    if code in _UNTRUSTED_CODES or "self" in lowered or "issuer" in lowered:
        # The authorities come from a variable the user may have set long ago: the line
        # names it, where it could be the fault.
        from tuinews.refresh.client import certificates_variable

        named = certificates_variable()
        by = f" by {named[0]}={clean_line(named[1])}" if named else ""
        return f"TLS certificate not trusted{by} (self-signed or unknown issuer)"
    if code in _OTHER_SITE_CODES or "mismatch" in lowered:
        return "TLS certificate is for another site"
    if code in _CERTIFICATE_WORDS:
        return _CERTIFICATE_WORDS[code]
    if "expired" in lowered:
        return "TLS certificate expired"
    return (
        f"TLS certificate not accepted ({lowered[:80]})"
        if lowered
        else ("TLS certificate not accepted")
    )


def _not_tls_answer(exc: BaseException, cause: BaseException, url: str) -> bool:
    """An https connection the server reset or closed during the handshake: most often
    a plain-HTTP server that dropped the TLS greeting it could not read."""
    import httpx

    if not isinstance(exc, httpx.ConnectError) or urlsplit(url).scheme.lower() != "https":
        return False
    if isinstance(cause, ConnectionResetError | ssl.SSLEOFError | BrokenPipeError):
        return True
    reason = str(getattr(cause, "reason", None) or "").upper()
    return isinstance(cause, ssl.SSLError) and "UNEXPECTED_EOF" in reason


def out_of_descriptors(exc: BaseException) -> bool:
    """This process (or the system) has no file descriptor left for a connection."""
    return any(
        isinstance(cause, OSError) and cause.errno in (errno.EMFILE, errno.ENFILE)
        for cause in _causes(exc)
    )


def proxy_wants_credentials(exc: BaseException) -> bool:
    """A proxy answered the tunnel's CONNECT with 407 Proxy Authentication Required."""
    import httpx

    return isinstance(exc, httpx.ProxyError) and clean_line(str(exc)).startswith("407")


def answered_without_tls(exc: BaseException, url: str) -> bool:
    """Whether an https server answered the TLS greeting with something else (plain
    HTTP) or dropped it: it was reached, so this machine is online."""
    for cause in _causes(exc):
        if _not_tls_answer(exc, cause, url):
            return True
        reason = str(getattr(cause, "reason", None) or "").upper()
        if isinstance(cause, ssl.SSLError) and (reason in _NOT_TLS or "WRONG_VERSION" in reason):
            return True
    return False


def _tls_failure(error: ssl.SSLError, *, connecting: bool) -> str:
    """`[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)` in plain words."""
    reason = str(getattr(error, "reason", None) or "").upper()
    what = "TLS handshake failed" if connecting else "TLS error"
    if reason in _NOT_TLS or "WRONG_VERSION" in reason:
        return f"{what}: {_NOT_TLS_WORDS}"
    if isinstance(error, ssl.SSLEOFError) or "UNEXPECTED_EOF" in reason:
        return f"{what}: the server closed the connection"
    words = reason.lower().replace("_", " ").removeprefix("sslv3 ").removeprefix("tlsv1 ")
    if "alert" in words:
        return f"{what}: the server refused it ({clean_line(words)[:60]})"
    return f"{what} ({clean_line(words)[:60] or 'no reason given'})"


def _proxy_refusal(exc: BaseException, proxy: str) -> str:
    """httpcore's ProxyError (an HTTP proxy's answer to CONNECT, a SOCKS reply) in words."""
    message = clean_line(str(exc)).rstrip(".")
    if status := re.match(r"(\d{3})\b", message):  # "502 Bad Gateway": the proxy's answer
        if status.group(1) == "407":  # as for a plain http feed (fetch._check_status)
            return f"proxy {proxy} wants a user name and password (HTTP 407)"
        line = http_status_line(int(status.group(1)))
        return f"proxy {proxy}: {line} (the proxy's answer, not the feed's)"
    if could_not := re.match(r"proxy server could not connect: (.+)", message, re.IGNORECASE):
        return f"proxy {proxy}: could not reach the feed's server ({could_not.group(1).lower()})"
    if "username/password" in message.lower():
        return f"proxy {proxy}: user name or password refused"
    if message.lower().startswith("requested "):  # "Requested NO AUTH ... but got ..."
        return f"proxy {proxy}: asks for another way of logging in"
    return f"proxy {proxy}: {message[:100] or 'refused the connection'}"


def describe_network_error(
    exc: BaseException,
    url: str,
    *,
    body_started: bool,
    proxy: str | None = None,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    received: int | None = None,
    declared: int | None = None,
) -> str:
    """One line for an httpx/OS error, worded for someone who did not write the code.
    `proxy`: the proxy the request went through; a failure to reach it names it.
    The timeouts are the limits the client ran with (a timeout line says how long it
    waited); `received`/`declared`: the body's bytes so far and its Content-Length."""
    import httpx

    if proxy is not None:
        if isinstance(exc, httpx.ProxyError):
            return _proxy_refusal(exc, proxy)
        tls = any(isinstance(cause, ssl.SSLError) for cause in _causes(exc))
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) and not tls:
            # The client connects to the proxy only: the proxy is what did not answer.
            reason = describe_network_error(
                exc, proxy, body_started=False, connect_timeout=connect_timeout
            )
            return f"proxy {proxy}: {reason}"
    host = urlsplit(url).hostname or url
    text = " ".join(str(e) for e in _causes(exc)).lower()
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve host '{clean_line(host)}'"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _certificate_refusal(cause)
        if _not_tls_answer(exc, cause, url):
            return f"TLS handshake failed: {_NOT_TLS_WORDS}"
        if isinstance(cause, ssl.SSLError):
            connecting = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            return _tls_failure(cause, connecting=connecting)
    if isinstance(exc, httpx.ConnectTimeout):
        if "TLS handshake" in str(exc):  # the transport's: connected, then no TLS answer
            return f"the TLS handshake timed out{_after(connect_timeout)}"
        return f"timed out connecting to '{clean_line(host)}'{_after(connect_timeout)}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out waiting for the server{_after(read_timeout)}"
    if "name or service not known" in text or "temporary failure in name resolution" in text:
        return f"cannot resolve host '{clean_line(host)}'"
    if "nodename nor servname" in text or "no address associated" in text:
        return f"cannot resolve host '{clean_line(host)}'"
    if "connection refused" in text or f"errno {errno.ECONNREFUSED}" in text:
        return "connection refused"
    if "certificate" in text:
        return "TLS certificate not accepted"
    if isinstance(exc, httpx.UnsupportedProtocol):
        scheme = urlsplit(url).scheme
        if scheme.lower() in ("http", "https"):  # httpx's words for `http://` or `http:///x`
            return "URL has no host"
        return f"unsupported URL scheme '{clean_line(scheme)}'"
    if isinstance(exc, httpx.InvalidURL):
        return "invalid URL"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        malformed = isinstance(exc, httpx.RemoteProtocolError) and "peer closed" not in text
        if body_started and not malformed:
            if isinstance(exc, httpx.RemoteProtocolError):
                # h11's "peer closed connection without sending complete message body":
                # an orderly close; a reset (RST) arrives as a ReadError instead.
                return body_cut_short(received, declared)
            return "connection reset mid-body"
        if "reset" in text or "peer closed" in text or "disconnected" in text:
            return "connection reset by the server"
        if "location header" in text:  # httpx checks a redirect's address itself
            return "invalid URL in a redirect"
        if "connectionclosed" in text.replace(" ", "") and not body_started:
            return "the server closed the connection without answering"
        if "buffer too long" in text:  # h11's bound on a status line plus headers
            from tuinews.refresh.transport import MAX_HEAD_BYTES

            return f"the server sent headers larger than {MAX_HEAD_BYTES // 1024} KB"
        return "the server broke the HTTP protocol"
    if isinstance(exc, httpx.NetworkError | OSError):
        # An empty message (ConnectionResetError()) once showed as the bare class name.
        return "network error: " + (clean_line(str(exc))[:100] or _os_error_words(exc))
    return clean_line(str(exc))[:120] or "unexpected network error"


def _os_error_words(exc: BaseException) -> str:
    """What the OS error under `exc` means, for an error that carries no message."""
    for cause in _causes(exc):
        if isinstance(cause, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(cause, BrokenPipeError):
            return "the server closed the connection"
        if isinstance(cause, ConnectionAbortedError):
            return "connection aborted"
        if isinstance(cause, TimeoutError):
            return "timed out"
        if isinstance(cause, OSError) and cause.strerror:
            return clean_line(cause.strerror).lower()[:100]
    return "no details given"
