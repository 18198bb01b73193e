"""The refresh's HTTP client: TLS verification and proxies from the environment.

One client per refresh (`make_client`): our own HTTP/1.1 transport when no proxy is
set, httpx's transports through the proxies the environment names, each checked first
so a bad setting is one line naming its variable. The CA certificates load once per
process, in a thread, only when an https URL is about to be fetched.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import ssl
import sys
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tuinews.errors import TuinewsError
from tuinews.refresh.decode import accept_encoding
from tuinews.sources.sanitize import clean_line, without_password

if TYPE_CHECKING:
    import httpx

    from tuinews.config import RefreshSettings


def _skip_sniffio_probe() -> None:
    # httpcore tries `import sniffio` on every request; when it is not installed each failed
    # import searches sys.path again (about 0.4 ms, a quarter of a 100-feed 304 refresh).
    # A None entry makes that import fail at once, which is what httpcore expects.
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


@functools.cache
def _tls_context_shell() -> ssl.SSLContext:
    """The one verifying context of this process, possibly without its CA certificates
    yet: creating it is cheap, loading the bundle is not (see `load_tls_certificates`)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificate and host name
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog  # as ssl.create_default_context does
    return context


_certificates_lock = threading.Lock()
_certificates_loaded = False


def certificates_loaded() -> bool:
    return _certificates_loaded


def certificates_variable() -> tuple[str, str] | None:
    """(SSL_CERT_FILE or SSL_CERT_DIR, its value) when one of them names the CA
    certificates this process trusts (as `load_tls_certificates` reads them), else None
    (certifi's bundle)."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        value = os.environ.get(name)
        if value:
            return name, value
    return None


def load_tls_certificates() -> None:
    """Load the CA certificates (SSL_CERT_FILE or SSL_CERT_DIR if set, else certifi's
    bundle, as httpx would) into the shared context, once per process. Tens of
    milliseconds with the GIL released: callers run it in a thread, only once an https
    URL is about to be fetched, so refreshes of http:// feeds never pay it.
    CertificatesError when the variable names none that load (tried again next call)."""
    global _certificates_loaded
    with _certificates_lock:
        if _certificates_loaded:
            return
        context = _tls_context_shell()
        named = certificates_variable()
        if named is not None:
            _load_named(*named, context)
        else:
            import certifi

            context.load_verify_locations(cafile=certifi.where())
        _certificates_loaded = True


class CertificatesError(TuinewsError):
    """SSL_CERT_FILE or SSL_CERT_DIR names no usable CA certificates; `str()` names the
    variable, its value and the reason."""


# What the variables are for, said after the reason: the user may not know (a line from
# a tutorial, an old shell profile).
_FOR = "(the CA certificates for https)"
# OpenSSL finds a folder's certificates by the hash of their subject: `9d66eef0.0`
# (`openssl rehash` makes these names); `.r0` are revocation lists.
_HASHED_NAME = re.compile(r"[0-9a-f]{8}\.r?[0-9]+")
# "[X509] PEM lib (_ssl.c:4154)" -> "PEM lib"
_SSL_DETAIL = re.compile(r"^\[[^\]]*\]\s*|\s*\(_ssl\.c:\d+\)$")


def _load_named(variable: str, value: str, context: ssl.SSLContext) -> None:
    """Load the certificates the variable names, or CertificatesError. Checked here, as
    OpenSSL's own words ("[Errno 2] No such file or directory") name neither the
    variable nor the file, and a folder is not even looked at until a handshake."""
    shown = clean_line(value)[:300]

    def refuse(reason: str) -> CertificatesError:
        return CertificatesError(f"{variable}={shown}: {reason}")

    try:
        if variable == "SSL_CERT_FILE":
            context.load_verify_locations(cafile=value)
            return
        with os.scandir(value) as entries:
            if not any(_HASHED_NAME.fullmatch(entry.name) for entry in entries):
                raise refuse(
                    f"holds no certificates named by their hash {_FOR}; `openssl rehash` names them"
                )
        context.load_verify_locations(capath=value)
    except FileNotFoundError:
        what = "file" if variable == "SSL_CERT_FILE" else "folder"
        raise refuse(f"no such {what} {_FOR}") from None
    except IsADirectoryError:
        raise refuse(f"a folder, not a file {_FOR}; SSL_CERT_DIR names a folder") from None
    except NotADirectoryError:
        raise refuse(f"a file, not a folder {_FOR}; SSL_CERT_FILE names a file") from None
    except ssl.SSLError as error:
        if error.reason == "NO_CERTIFICATE_OR_CRL_FOUND":
            raise refuse(f"holds no PEM certificates {_FOR}") from None
        detail = clean_line(error.reason or _SSL_DETAIL.sub("", error.strerror or ""))
        raise refuse(
            f"cannot be read as PEM certificates (OpenSSL: {detail or 'no details'})"
        ) from None
    except OSError as error:  # permission denied, an I/O error
        detail = clean_line(error.strerror or "").lower() or "no details given"
        raise refuse(f"cannot be read: {detail} {_FOR}") from None


def tls_context() -> ssl.SSLContext:
    """The verifying TLS context with its certificates loaded (blocking)."""
    load_tls_certificates()
    return _tls_context_shell()


def make_client(settings: RefreshSettings, urls: Iterable[str] | None = None) -> httpx.AsyncClient:
    """One client per refresh: keep-alive across feeds of one host, proxies from the env.

    ProxyConfigError (one line naming the variable) for a proxy setting httpx would
    refuse or misread; checked here, before any feed is tried. Given the `urls` to be
    fetched, only for a proxy one of them would go through: a broken http_proxy does
    not stop a refresh of feeds NO_PROXY sends directly (a redirect that leads through
    it fails with that line)."""
    import httpx

    read = settings.timeout
    limits = httpx.Limits(
        max_connections=max(1, settings.concurrency),
        max_keepalive_connections=max(1, settings.concurrency),
    )
    transport = None
    mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None
    if environment_names_proxy():
        _skip_sniffio_probe()  # only httpx's own transports (httpcore) probe for it
        mounts = _proxy_mounts(environment_proxies(urls), limits)
    else:
        from tuinews.refresh.transport import H11Transport

        transport = H11Transport(_tls_context_shell(), max_open=max(1, settings.concurrency))
    return httpx.AsyncClient(
        timeout=httpx.Timeout(read, connect=settings.connect_timeout),
        limits=limits,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": accept_encoding()},
        follow_redirects=False,
        # The proxies were read from the environment above (checked, and remembered so a
        # failure can name its proxy); nothing else here depends on the environment.
        trust_env=False,
        # Certificates are loaded before the first https request (`Fetcher`).
        verify=_tls_context_shell(),
        transport=transport,
        mounts=mounts,
    )


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


class ProxyConfigError(TuinewsError):
    """A proxy variable that cannot be used; `str()` names the variable and the reason."""


def environment_names_proxy() -> bool:
    """Whether HTTP_PROXY, HTTPS_PROXY or ALL_PROXY (any case) is set: then httpx's own
    transports run the refresh, since ours speaks only directly to servers."""
    return any(value and name.lower() in _PROXY_VARIABLES for name, value in os.environ.items())


def environment_proxies(
    urls: Iterable[str] | None = None,
) -> dict[str, str | ProxyConfigError | None]:
    """httpx mount patterns ("http://", "all://*.example.com") -> the proxy URL, or None
    for hosts NO_PROXY sends directly, read as httpx reads them. ProxyConfigError for a
    value no proxy can be reached at (an unknown scheme, no host, a bad port, a bare
    word), instead of a traceback or a refresh that quietly fails for another reason;
    when none of `urls` would go through that proxy, the error is its value instead."""
    import urllib.request

    from httpx._utils import get_environment_proxies  # httpx's own reading of the env

    raw = urllib.request.getproxies()
    mounts: dict[str, str | ProxyConfigError | None] = dict(get_environment_proxies())
    used = None if urls is None else _patterns_used(mounts, urls)
    for key, url in mounts.items():
        scheme = key.removesuffix("://")
        if isinstance(url, str) and scheme in ("http", "https", "all"):
            try:
                mounts[key] = _checked_proxy(_proxy_variable(scheme), raw.get(scheme, url))
            except ProxyConfigError as error:
                if used is None or key in used:
                    raise
                mounts[key] = error
    return mounts


def _patterns_used(mounts: Mapping[str, object], urls: Iterable[str]) -> set[str]:
    """The mount patterns httpx would pick for `urls` (its own matching and order)."""
    import httpx
    from httpx._utils import URLPattern

    patterns = sorted(URLPattern(key) for key in mounts)
    used: set[str] = set()
    for url in urls:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError):
            continue
        chosen = next((p.pattern for p in patterns if p.matches(parsed)), None)
        if chosen is not None:
            used.add(chosen)
    return used


def _proxy_variable(scheme: str) -> str:
    """The variable a proxy came from: urllib prefers the lowercase name."""
    wanted = f"{scheme}_proxy"
    names = [name for name, value in os.environ.items() if value and name.lower() == wanted]
    return wanted if wanted in names else (names[0] if names else wanted.upper())


def _checked_proxy(variable: str, value: str) -> str:
    """The proxy URL httpx is to use for `value`, or ProxyConfigError."""
    import httpx

    shown = clean_line(without_password(value))[:100]

    def refuse(reason: str) -> ProxyConfigError:
        return ProxyConfigError(f"{variable}={shown}: {reason}")

    value = value.strip()
    if any(char.isspace() for char in value):
        raise refuse("a proxy address has no spaces")
    if "://" not in value:
        # httpx (like curl) reads `host:port` as an http proxy; a bare word without a
        # port is far more likely a mistake than a proxy listening on port 80.
        host, colon, port = value.rpartition(":")
        if not (colon and host and port.isdigit()):
            raise refuse("not a proxy address (expected http://host:port or socks5h://host:port)")
        value = "http://" + value
    scheme = value.partition("://")[0].lower()
    if scheme not in PROXY_SCHEMES:
        raise refuse(
            f"unsupported proxy scheme '{clean_line(scheme)[:20]}' "
            f"(use {', '.join(PROXY_SCHEMES[:-1])} or {PROXY_SCHEMES[-1]})"
        )
    try:
        urlsplit(value).port  # noqa: B018  (raises on a port out of range, as httpx does not)
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError) as error:
        reason = clean_line(str(error)).rstrip(".")[:100]
        raise refuse(f"not a valid proxy URL ({reason[:1].lower() + reason[1:]})") from None
    if not url.host:
        raise refuse("the proxy URL names no host")
    if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise refuse("a SOCKS proxy needs the Python package socksio (pip install socksio)")
    return value


# The proxy a client's transport goes through, shown without its password.
_PROXY_OF: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()


def _proxy_mounts(
    proxies: dict[str, str | ProxyConfigError | None], limits: httpx.Limits
) -> dict[str, httpx.AsyncBaseTransport | None]:
    import httpx

    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for pattern, url in proxies.items():
        if url is None:
            mounts[pattern] = None  # NO_PROXY: the client's own, direct transport
            continue
        if isinstance(url, ProxyConfigError):
            mounts[pattern] = _refused_proxy(url)  # no feed goes there but by a redirect
            continue
        proxy = httpx.URL(url)
        if proxy.scheme == "socks5h":
            # httpx before 0.28 knows only socks5://, and its SOCKS client always lets
            # the proxy resolve the host name, which is what socks5h:// asks for.
            url = "socks5" + url[len("socks5h") :]
        transport = httpx.AsyncHTTPTransport(
            proxy=httpx.Proxy(url), verify=_tls_context_shell(), limits=limits, trust_env=False
        )
        # httpx's netloc leaves out the user name and password.
        _PROXY_OF[transport] = f"{proxy.scheme}://{proxy.netloc.decode('ascii', 'replace')}"
        mounts[pattern] = transport
    return mounts


def _refused_proxy(error: ProxyConfigError) -> httpx.AsyncBaseTransport:
    """A transport for a proxy setting that cannot be used: every request through it
    fails with the setting's one line."""
    import httpx

    class RefusedProxy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ProxyError(str(error))

    return RefusedProxy()


def proxy_for(client: httpx.AsyncClient, url: str) -> str | None:
    """The proxy `client` reaches `url` through (as the user named it), or None."""
    if not _PROXY_OF:
        return None
    import httpx

    try:
        # httpx's own choice among its mounts (no public way to ask it).
        transport = client._transport_for_url(httpx.URL(url))
    except (AttributeError, httpx.InvalidURL, ValueError):
        return None
    return _PROXY_OF.get(transport)
