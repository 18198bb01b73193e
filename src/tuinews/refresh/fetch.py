"""One HTTP fetch with limits: time, size (raw and decompressed), redirects, hosts.

Every failure becomes a `FetchError` whose `reason` is one short line for the user
("connection refused", "timed out after 30 s", "HTTP 404 Not Found"); nothing here
lets a network exception escape as a traceback.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin, urlsplit

from tuinews.errors import TuinewsError
from tuinews.refresh.client import (
    CertificatesError,
    certificates_loaded,
    load_tls_certificates,
    proxy_for,
)
from tuinews.refresh.decode import CorruptBody, UnsupportedEncoding, decoder_for
from tuinews.refresh.network_errors import (
    answered_without_tls,
    body_cut_short,
    certificate_refused,
    describe_network_error,
    format_seconds,
    http_status_line,
    out_of_descriptors,
    parse_retry_after,
    proxy_wants_credentials,
    redirect_failure,
    retry_after_words,
)
from tuinews.refresh.transport import CONNECTED
from tuinews.sources.sanitize import clean_line, clean_url, without_password

if TYPE_CHECKING:
    import httpx

    from tuinews.config import RefreshSettings

PERMANENT_REDIRECTS = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
# Answers a forwarding proxy gives itself (auth needed, the server unreachable).
PROXY_STATUSES = frozenset({407, 502, 504})
# A 304 is an answer to "send it only if it changed"; to a plain GET it sends nothing.
UNASKED_NOT_MODIFIED = "HTTP 304 Not Modified to a request that asked for the whole feed"


def _at(address: str) -> str:
    """` (at ADDRESS)`: which address failed, after redirects (not the one subscribed to)."""
    return f" (at {without_password(address)})"


class FetchError(TuinewsError):
    """A fetch failed; `reason` is the line shown to the user."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        retry_after: datetime | None = None,
        tried: bool = True,
        reached: bool = False,
        connected: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        # False when no request went out (a setting of this machine is wrong): no answer
        # was missed, so it says nothing of being offline or of the server.
        self.tried = tried
        # The server answered, though not in HTTP (a TLS certificate refused here): this
        # machine is online.
        self.reached = reached
        # The feed's server took the connection, or answered in something other than
        # TLS (a plain-HTTP server on an https address): this machine is online, and
        # the failure is the server's (backed off, not "offline?").
        self.connected = connected

    @property
    def gone(self) -> bool:
        return self.status == 410


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A successful fetch (2xx) or a 304 (`not_modified`, `body` empty)."""

    url: str  # the URL the body came from, after redirects
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    # Where a permanent redirect says the feed now lives. Only a fetch that worked says
    # so: a feed moved to an address that fails stays where it was, and moves once the
    # new address answers (and, the refresh sees to it, gives a feed).
    moved_to: str | None
    # The addresses a chain of permanent redirects passed through on its way to
    # `moved_to` (A -> B -> C: B); they name the feed as its old address does.
    moved_via: tuple[str, ...] = ()

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _validator(value: str | None) -> str | None:
    """An ETag or Last-Modified to send back, or None: only printable ASCII can be sent
    back as it came (a header's text is ASCII; httpx decodes other bytes as UTF-8 or
    Latin-1, which would not be the server's bytes). Without one, the feed is fetched
    whole each time: slower, never broken."""
    if not value:
        return None
    value = value.strip()
    return value if value and value.isascii() and value.isprintable() else None


def format_size(size: int) -> str:
    """25 MB, 1.5 MB, 512 KB when that is the exact size (1024-based, as limits are
    usually set); otherwise the bytes as written (1,000,000 bytes): a limit set in
    decimal shown rounded in binary units ("977 KB") reads as a different number."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale and size * 10 % scale == 0:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} bytes"


def _redirect_target(current: str, location: str) -> str:
    """Where a redirect from `current` leads. Refused anywhere but the web: a feed server
    must not be able to point its subscribers at `file:///home/...` (a subscription that
    moved there would read the user's own files into the store) or any other scheme.
    A space inside the Location is part of the address and is sent as %20 (as browsers
    and curl do); `clean_url` alone would drop it and ask for another address."""
    given = clean_url(location.strip().replace(" ", "%20"))
    if not given:
        # Read as relative, an empty address is this one again: "redirect loop".
        raise FetchError("a redirect whose Location header names no address")
    try:
        target = urljoin(current, given)
        scheme = urlsplit(target).scheme.lower()
        # urljoin takes `//` and `http://` for the address they came from.
        hostless = given.startswith("//") or "://" in given
        hostless = hostless and not urlsplit(given).hostname
    except ValueError as exc:
        raise FetchError(f"invalid URL: {clean_line(str(exc))[:200]}") from None
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "a URL without a scheme"
        raise FetchError(f"redirected to {shown} (not a web address): not followed")
    if hostless:
        shown = clean_line(location)[:80]
        raise FetchError(f"redirected to {shown!r}, an address without a host: not followed")
    return target


def _location(response: httpx.Response) -> str:
    """The one address a redirect's Location names. A header sent twice with the same
    value (a proxy in front of the server adds its copy) is one; httpx joined them into
    `a, a`, and a permanent redirect moved the subscription there."""
    given = list(dict.fromkeys(value.strip() for value in response.headers.get_list("location")))
    if len(given) > 1:
        raise FetchError(f"a redirect naming {len(given)} different addresses: not followed")
    return given[0]


async def _judge_redirect(response: httpx.Response) -> None:
    """A client hook: httpx builds the next request of every redirect, even one it does
    not follow, and a Location it cannot make a URL of (`javascript:alert(1)`, `data:`:
    no host) escaped from `send` as InvalidURL. Judged here first, as `_fetch` does."""
    if response.status_code in REDIRECTS and "location" in response.headers:
        _redirect_target(str(response.request.url), _location(response))


def _is_invalid_host(host: str) -> bool:
    # RFC 6761: resolvers should answer NXDOMAIN for .invalid at once; we do so ourselves
    # so such a URL fails instantly even on a machine whose resolver hangs offline.
    return host.rstrip(".").lower().endswith(".invalid") or host.rstrip(".").lower() == "invalid"


async def _drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a small bodyless/redirect response to its end so keep-alive can reuse the
    connection (closing it unread drops the connection); a big body is abandoned."""
    seen = 0
    async for chunk in response.aiter_raw():
        seen += len(chunk)
        if seen > limit:
            return


@dataclass(slots=True)
class _Received:
    """How much of a body has arrived (raw, before decompression) and how much the
    server said it would send."""

    raw: int = 0
    declared: int | None = None


class HostLimiter:
    """A total limit on fetches at once plus a limit per host."""

    def __init__(self, total: int, per_host: int) -> None:
        self._total = asyncio.Semaphore(max(1, total))
        self._per_host_limit = max(1, per_host)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def host(self, url: str) -> asyncio.Semaphore:
        key = (urlsplit(url).hostname or "").lower()
        sem = self._hosts.get(key)
        if sem is None:
            sem = self._hosts[key] = asyncio.Semaphore(self._per_host_limit)
        return sem

    @property
    def total(self) -> asyncio.Semaphore:
        return self._total


class Room(Protocol):
    """A place the caller keeps from a fetch's request on (the refresh's feeds between
    request and write, `PipelineSlot`): taken last, after the request's slots."""

    async def acquire(self) -> None: ...

    def release(self) -> None: ...


class _Slots:
    """The slots one request holds, always taken in one order: its host's, then one of
    the total, then the caller's `Room`. A request to another host (a redirect, the next
    fetch of a feed) gives all of them back first, so the per-host limit counts the
    host actually asked, and a fetch waits for a host's slot holding nothing. Every
    wait is then for a slot later in that order than all the fetch holds: no two
    fetches can each hold what the other waits for (the room kept after a fetch, while
    its body is parsed, waits on parsing only).

    The waits stop the fetch's clock (`timing`): its timeout is the server's time, and a
    feed queued behind other feeds' requests is not a slow server."""

    def __init__(self, limiter: HostLimiter, room: Room | None) -> None:
        self._limiter = limiter
        self._room = room
        self._host: asyncio.Semaphore | None = None
        self._total = False
        self._clock: asyncio.Timeout | None = None
        self._seconds = 0.0

    def timing(self, clock: asyncio.Timeout, seconds: float) -> None:
        """Run `clock` (entered unscheduled) for `seconds` of the fetch, outside waits."""
        self._clock, self._seconds = clock, seconds

    async def take(self, url: str) -> None:
        try:
            wanted = self._limiter.host(url)
        except ValueError:
            return  # an unparsable URL fails in the request; keep what is held
        if wanted is self._host:
            return
        self.give_back()
        if self._room is not None:
            self._room.release()
        left = self._stop_clock()
        await wanted.acquire()
        self._host = wanted
        await self._limiter.total.acquire()
        self._total = True
        if self._room is not None:
            await self._room.acquire()
        self._start_clock(left)

    def _stop_clock(self) -> float:
        if self._clock is None:
            return self._seconds
        when = self._clock.when()
        self._clock.reschedule(None)
        if when is None:  # not started yet: the request's whole time is to come
            return self._seconds
        return when - asyncio.get_running_loop().time()

    def _start_clock(self, left: float) -> None:
        if self._clock is not None:
            self._clock.reschedule(asyncio.get_running_loop().time() + left)

    def give_back(self) -> None:
        """Give back the host's slot and the total's; the room stays the caller's."""
        if self._total:
            self._limiter.total.release()
            self._total = False
        if self._host is not None:
            self._host.release()
            self._host = None


def _retrieved(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # marks it retrieved: asyncio logs a failure nobody awaited


class Fetcher:
    """Fetches URLs with the settings' limits, sharing one client and the host limits."""

    def __init__(self, client: httpx.AsyncClient, settings: RefreshSettings) -> None:
        self.client = client
        hooks = client.event_hooks
        if _judge_redirect not in hooks["response"]:
            client.event_hooks = {**hooks, "response": [*hooks["response"], _judge_redirect]}
        self.settings = settings
        self.limiter = HostLimiter(settings.concurrency, settings.per_host)
        self._certificates: asyncio.Task[None] | None = None

    def prepare_tls(self) -> None:
        """Start loading the CA certificates in a thread now (an https fetch is coming)."""
        if self._certificates is None and not certificates_loaded():
            self._certificates = asyncio.ensure_future(asyncio.to_thread(load_tls_certificates))
            # Its failure is each https fetch's to say; none may be left to await it.
            self._certificates.add_done_callback(_retrieved)

    async def _tls_ready(self) -> None:
        if certificates_loaded():
            return
        self.prepare_tls()
        assert self._certificates is not None
        # Shielded: one fetch cancelled (its timeout) must not cancel the others' wait.
        await asyncio.shield(self._certificates)

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        room: Room | None = None,
    ) -> FetchResult:
        """Fetch `url` (conditionally when validators are given). Raises `FetchError`.
        `room` is taken once the fetch holds its host's slot and one of the total, before
        its request (the refresh holds back new requests there while parsing lags
        behind), and given back while the fetch waits for another host's; it is still
        held when the fetch returns. The timeout counts the server's time only, not the
        waits for these slots."""
        slots = _Slots(self.limiter, room)
        asked: list[httpx.Request] = []  # each request sent, redirects included
        try:
            try:
                async with asyncio.timeout(None) as clock:
                    slots.timing(clock, self.settings.timeout)
                    return await self._fetch(url, etag, last_modified, slots, asked)
            except TimeoutError:
                raise self._timed_out(asked) from None
        finally:
            slots.give_back()

    def _timed_out(self, asked: list[httpx.Request]) -> FetchError:
        """The whole fetch took too long: naming the proxy it went through, if any (it
        may be the one that hangs), the address after redirects, and whether the server
        had taken the connection."""
        line = f"timed out after {format_seconds(self.settings.timeout)}"
        if not asked:
            return FetchError(line)
        request = asked[-1]
        if len(asked) > 1:
            line += _at(str(request.url))
        proxy = proxy_for(self.client, str(request.url))
        if proxy is not None:
            return FetchError(f"{line} (through proxy {proxy})")
        return FetchError(line, connected=bool(request.extensions.get(CONNECTED)))

    async def _fetch(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        slots: _Slots,
        asked: list[httpx.Request],
    ) -> FetchResult:
        import httpx

        headers = {
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
        }
        # A validator that is not plain ASCII (stored by an earlier version) cannot go
        # into a header as text: sent as it is, it failed every fetch of the feed.
        etag, last_modified = _validator(etag), _validator(last_modified)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        conditional = bool(etag or last_modified)
        current = url
        chain = [url]  # every URL asked, for the line that gives up on redirects
        permanent: list[str] = []  # the targets of the permanent redirects so far
        still_permanent = True
        for _hop in range(self.settings.max_redirects + 1):
            # The first request's slots, or after a redirect (the last answer closed) the
            # next host's: its limit counts now.
            await slots.take(current)
            try:
                host = urlsplit(current).hostname or ""
                request = self.client.build_request("GET", current, headers=headers)
                asked.append(request)
            except (httpx.InvalidURL, ValueError) as exc:
                # Subscriptions are checked when added, but a redirect can say anything.
                raise FetchError(f"invalid URL: {clean_line(str(exc))[:200]}") from None
            if _is_invalid_host(host):
                raise FetchError(f"cannot resolve host '{clean_line(host)}'")
            body_started = False
            received = _Received()
            try:
                if current[:6].lower() == "https:":
                    try:
                        await self._tls_ready()
                    except CertificatesError as error:
                        at = _at(current) if current != url else ""
                        raise FetchError(f"{error}{at}", tried=False) from None
                try:
                    response = await self.client.send(request, stream=True)
                except httpx.InvalidURL:
                    # Only a redirect's Location is made a URL in `send` (`http:feed`).
                    raise FetchError("invalid URL in a redirect") from None
                try:
                    if response.status_code in REDIRECTS and "location" in response.headers:
                        target = _redirect_target(current, _location(response))
                        if still_permanent and response.status_code in PERMANENT_REDIRECTS:
                            permanent.append(target)
                        else:
                            still_permanent = False
                        current = target
                        chain.append(target)
                        await _drain(response)
                        continue
                    # After redirects, the address that answered so is named too.
                    self._check_status(response, current if current != url else None)
                    at = _at(current) if current != url else ""
                    if response.status_code == 304:
                        await _drain(response)
                        if not conditional:
                            raise FetchError(UNASKED_NOT_MODIFIED + at, status=304)
                        return self._result(response, current, b"", permanent)
                    body_started = True
                    body = await self._read_body(response, received, at)
                    return self._result(response, current, body, permanent)
                finally:
                    await response.aclose()
            except (httpx.HTTPError, OSError, zlib.error, CorruptBody, OverflowError) as exc:
                proxy = proxy_for(self.client, current)
                if isinstance(exc, OverflowError):  # the socket's refusal of a port > 65535
                    reason = "invalid URL: port out of range"
                elif isinstance(exc, CorruptBody):
                    reason = str(exc)
                elif isinstance(exc, zlib.error):
                    reason = "the compressed body does not decompress"
                else:
                    reason = describe_network_error(
                        exc,
                        current,
                        body_started=body_started,
                        proxy=proxy,
                        connect_timeout=self.settings.connect_timeout,
                        read_timeout=self.settings.timeout,
                        received=received.raw if body_started else None,
                        declared=received.declared,
                    )
                if current != url:
                    # After redirects: the server that failed is not the one subscribed to
                    # (which answered), as HTTP errors after a redirect say too.
                    reason += _at(current)
                # Reached: the server took the connection (no proxy between), or an https
                # server answered in plain HTTP (through a proxy's tunnel too).
                connected = answered_without_tls(exc, current) or (
                    proxy is None and bool(request.extensions.get(CONNECTED))
                )
                # This machine's to fix, not the server's: a proxy asking for a password
                # (to CONNECT, for https), no file descriptors left. No back-off.
                local = out_of_descriptors(exc) or (
                    proxy is not None and proxy_wants_credentials(exc)
                )
                raise FetchError(
                    reason,
                    reached=certificate_refused(exc),
                    connected=connected and not local,
                    tried=not local,
                ) from None
        raise FetchError(redirect_failure(chain, self.settings.max_redirects))

    def _check_status(self, response: httpx.Response, redirected_to: str | None) -> None:
        status = response.status_code
        if 200 <= status < 300 or status == 304:
            return
        at = _at(redirected_to) if redirected_to else ""
        # Through a proxy, any error may be the proxy's own (a filtering proxy's 403):
        # the line names it, for the user to tell which one to look at.
        proxy = proxy_for(self.client, str(response.url))
        if status == 407 and proxy:
            # The proxy answered (this machine is online), for every feed alike: a
            # setting of this machine to fix, not a server to back off from.
            line = f"proxy {proxy} wants a user name and password (HTTP 407){at}"
            raise FetchError(line, status=407, tried=False)
        if proxy:
            at += f" (through proxy {proxy})"  # perhaps the proxy's answer, not the feed's
        if status == 410:
            raise FetchError(f"gone (HTTP 410){at}: feed disabled", status=410)
        retry_at = None
        line = http_status_line(status) + at
        if status in REDIRECTS:  # followed above when it says where to
            line += " without a Location header saying where to"
        if status in RETRY_AFTER_STATUSES:
            now = datetime.now(UTC)
            retry_at = parse_retry_after(response.headers.get("retry-after"), now)
            line += retry_after_words(retry_at, now)
        raise FetchError(line, status=status, retry_after=retry_at)

    async def _read_body(self, response: httpx.Response, received: _Received, at: str) -> bytes:
        """The decoded body within the size limit; `received` counts what came so far,
        for the line saying how much arrived if the connection ends early. `at` ends the
        lines said here: the address that answered, after redirects."""
        limit = self.settings.max_bytes
        too_big = f"response larger than {format_size(limit)}{at}"
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit():
            received.declared = int(declared)
            if received.declared > limit:
                raise FetchError(too_big, status=response.status_code)
        try:
            decoder = decoder_for(response.headers.get("content-encoding"))
        except UnsupportedEncoding as error:
            raise FetchError(f"{error}{at}", status=response.status_code) from None
        chunks: list[bytes] = []
        raw_size = 0
        size = 0
        async for raw in response.aiter_raw():
            raw_size += len(raw)
            received.raw = raw_size
            if raw_size > limit:
                raise FetchError(too_big, status=response.status_code)
            for piece in decoder.decode(raw):
                size += len(piece)
                if size > limit:
                    raise FetchError(too_big, status=response.status_code)
                chunks.append(piece)
        for piece in decoder.flush():
            size += len(piece)
            if size > limit:
                raise FetchError(too_big, status=response.status_code)
            chunks.append(piece)
        if not decoder.ended():
            # The compressed stream stops before its end: else its start read as an
            # "empty document" or an XML error. With no length declared nor chunks, the
            # connection closed early; else the server sent it so (a cut file it holds).
            chunked = "chunked" in response.headers.get("transfer-encoding", "").lower()
            if received.declared is None and not chunked:
                raise CorruptBody(body_cut_short(raw_size, None))
            raise CorruptBody(f"the compressed body stops before its end (got {raw_size:,} bytes)")
        return b"".join(chunks)

    @staticmethod
    def _result(
        response: httpx.Response, url: str, body: bytes, permanent: list[str]
    ) -> FetchResult:
        headers = response.headers
        return FetchResult(
            url=url,
            status=response.status_code,
            body=body,
            content_type=headers.get("content-type"),
            etag=_validator(headers.get("etag")),
            last_modified=_validator(headers.get("last-modified")),
            moved_to=permanent[-1] if permanent else None,
            moved_via=tuple(permanent[:-1]),
        )
