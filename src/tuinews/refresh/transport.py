"""An HTTP/1.1 transport for httpx on asyncio streams, with h11 reading the protocol.

Why: httpx's default transport (httpcore over anyio) spent about 2 ms of CPU per request
on the 2-core benchmark machine, so a refresh of 100 unchanged feeds was mostly
transport overhead; this one spends about 0.6 ms. It does what a feed fetch needs and
no more: HTTP/1.1, keep-alive per origin, TLS with the given context, timeouts from the
request. httpx still builds requests and responses, and h11 (httpx's own HTTP/1.1
parser, which bounds header sizes and checks framing) reads everything the server sends.
When the environment names a proxy, `client.make_client` keeps httpx's own transports,
which know how to reach one.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

# Bytes asked of the socket per read: a feed body arrives in few, large pieces.
READ_SIZE = 64 * 1024
# h11 refuses a status line plus headers larger than this (its default); a hostile
# server cannot make us buffer more before a response even starts.
MAX_HEAD_BYTES = 16 * 1024
# Idle keep-alive connections kept per origin; the refresh never runs more than its
# per-host limit at once, so more would never be reused.
MAX_IDLE_PER_ORIGIN = 8
# Set in a request's extensions once a connection to its server is open: a failure
# after it (a server that hangs, breaks the protocol) says this machine is online.
CONNECTED = "tuinews.connected"
# Idle connections kept in all: a refresh of a thousand feeds on as many hosts kept one
# open to each until it ended, and ran out of file descriptors (`ulimit -n` 1024). The
# oldest idle connection goes first: its host's feeds are most likely all fetched.
MAX_IDLE = 32

Origin = tuple[str, str, int]


class _Connection:
    """One TCP (or TLS) connection and the h11 state machine reading it."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, owner: H11Transport
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        self._owner: H11Transport | None = owner  # told once when closed

    def reusable(self) -> bool:
        # The server may have closed an idle connection, or sent bytes nobody asked for.
        return (
            self.protocol.our_state is h11.IDLE
            and not self.writer.is_closing()
            and not self.reader.at_eof()
            # Bytes that arrived unasked would be read as the next answer (the reader
            # has no public way to tell; getattr keeps this safe if that ever changes).
            and not getattr(self.reader, "_buffer", b"")
        )

    async def send(self, events: list[Any], timeout: float | None) -> None:
        for event in events:
            try:
                data = self.protocol.send(event)
            except h11.LocalProtocolError as exc:  # a request h11 will not send
                raise httpx.LocalProtocolError(str(exc)) from exc
            if data:
                self.writer.write(data)
        try:
            async with asyncio.timeout(timeout):
                await self.writer.drain()
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request") from None
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc

    async def next_event(self, timeout: float | None) -> Any:
        while True:
            try:
                event = self.protocol.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            try:
                async with asyncio.timeout(timeout):
                    data = await self.reader.read(READ_SIZE)
            except TimeoutError:
                raise httpx.ReadTimeout("timed out waiting for the server") from None
            except OSError as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
            # b"" is end-of-file, which h11 needs to hear to judge a body cut short.
            self.protocol.receive_data(data)

    def close(self) -> None:
        # abort, not close: a TLS close would wait for the server's goodbye.
        self.writer.transport.abort()
        if self._owner is not None:
            owner, self._owner = self._owner, None
            owner.closing()


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection; the connection goes back to the idle
    pool once the body has been read to its end, and is dropped otherwise."""

    def __init__(
        self, transport: H11Transport, origin: Origin, conn: _Connection, timeout: float | None
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._conn: _Connection | None = conn
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        while True:
            event = await conn.next_event(self._timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
            else:  # ConnectionClosed before the end: h11 lets a close end a body
                break
        self._conn = None
        self._transport._release(self._origin, conn)

    async def aclose(self) -> None:
        if self._conn is not None:
            self._conn.close()  # body not read to its end: the connection is unusable
            self._conn = None


class H11Transport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio, keep-alive per origin; `tls` verifies https servers. At
    most `max_open` connections are open at once, idle ones included: the oldest idle
    one is closed to open another (a server counting a refresh's connections saw 45
    where the concurrency setting said 16)."""

    def __init__(self, tls: ssl.SSLContext, max_open: int | None = None) -> None:
        self._tls = tls
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0  # connections in `_idle`
        self._max_idle = _idle_allowance()
        self._max_open = max_open
        self._open = 0  # connections open, in use or idle, or closing
        self._closing = 0  # closed, their sockets not yet (see `_Connection.close`)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme '{scheme}'")
        host = url.raw_host.decode("ascii")
        if not host:
            raise httpx.UnsupportedProtocol("the URL has no host")
        origin = (scheme, host, url.port or (443 if scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        events = await self._request_events(request)
        conn = self._idle_connection(origin)
        if conn is not None:
            request.extensions[CONNECTED] = True
            try:
                return await self._exchange(origin, conn, events, timeouts)
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, _Closed):
                # A kept-alive connection the server dropped meanwhile: once more, fresh.
                conn.close()
        conn = await self._connect(origin, timeouts.get("connect"), request)
        try:
            return await self._exchange(origin, conn, events, timeouts)
        except _Closed:
            raise httpx.RemoteProtocolError("the server closed the connection") from None

    async def _exchange(
        self, origin: Origin, conn: _Connection, events: list[Any], timeouts: dict[str, Any]
    ) -> httpx.Response:
        read = timeouts.get("read")
        try:
            await conn.send(events, timeouts.get("write"))
            while True:
                event = await conn.next_event(read)
                if isinstance(event, h11.InformationalResponse):
                    continue  # 100 Continue and friends: the real answer follows
                if isinstance(event, h11.ConnectionClosed):
                    raise _Closed()
                break
        except BaseException:
            conn.close()
            raise
        assert isinstance(event, h11.Response)
        return httpx.Response(
            event.status_code,
            headers=list(event.headers),
            stream=_Body(self, origin, conn, read),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    @staticmethod
    async def _request_events(request: httpx.Request) -> list[Any]:
        headers = list(request.headers.raw)
        events: list[Any] = [
            h11.Request(method=request.method, target=request.url.raw_path, headers=headers)
        ]
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        if body:
            events.append(h11.Data(data=body))
        events.append(h11.EndOfMessage())
        return events

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            self._idle_count -= 1
            if not idle:
                del self._idle[origin]
            if conn.reusable():
                return conn
            conn.close()
        return None

    async def _connect(
        self, origin: Origin, timeout: float | None, request: httpx.Request
    ) -> _Connection:
        """A connection to `origin`, TLS set up for https, within `timeout` in all.
        `request` is marked CONNECTED once the server took the TCP connection: a
        server that then hangs in the handshake is no sign of being offline."""
        scheme, host, port = origin
        tls = self._tls if scheme == "https" else None
        while self._max_open and self._open >= self._max_open:
            if self._idle_count:
                self._drop_oldest_idle()
            elif self._closing:
                await asyncio.sleep(0)  # its socket is closed at the loop's next turn
            else:
                break  # all in use: the refresh's own limits keep these within `max_open`
        self._open += 1  # counted from now: another request may connect meanwhile
        connected = False
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, limit=READ_SIZE)
                request.extensions[CONNECTED] = True
                if tls is not None:
                    await writer.start_tls(tls, server_hostname=host)
            connected = True
        except TimeoutError:
            if writer is not None:
                writer.transport.abort()
                raise httpx.ConnectTimeout("the TLS handshake timed out") from None
            raise httpx.ConnectTimeout(f"timed out connecting to '{host}'") from None
        except OSError as exc:  # refused, unresolvable, TLS verification (ssl.SSLError)
            if writer is not None:
                writer.transport.abort()
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        finally:
            if not connected:
                self._open -= 1
                if writer is not None:  # cancelled (the feed's whole time is up)
                    writer.transport.abort()
        return _Connection(reader, writer, self)

    def closing(self) -> None:
        """A connection was aborted: the loop closes its socket at its next turn, and
        only then is it no longer open."""
        self._closing += 1
        try:
            asyncio.get_running_loop().call_soon(self._closed)
        except RuntimeError:  # no loop running: nothing left to wait for
            self._closed()

    def _closed(self) -> None:
        self._open -= 1
        self._closing -= 1

    def _release(self, origin: Origin, conn: _Connection) -> None:
        protocol = conn.protocol
        # Bytes after the body's end (read with it) would be taken as the next answer.
        unasked, _closed = protocol.trailing_data
        if protocol.our_state is h11.DONE and protocol.their_state is h11.DONE and not unasked:
            protocol.start_next_cycle()
            # Last in the dict: the origins released longest ago come first.
            idle = self._idle.pop(origin, [])
            self._idle[origin] = idle
            if len(idle) < MAX_IDLE_PER_ORIGIN:
                idle.append(conn)
                self._idle_count += 1
                if self._idle_count > self._max_idle:
                    self._drop_oldest_idle()
                return
        conn.close()  # the server asked to close, or the pool is full

    def _drop_oldest_idle(self) -> None:
        oldest = next(iter(self._idle))
        connections = self._idle[oldest]
        connections.pop(0).close()
        self._idle_count -= 1
        if not connections:
            del self._idle[oldest]

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        self._idle_count = 0


def _idle_allowance() -> int:
    """MAX_IDLE, or an eighth of the open files this process may have when that is
    fewer (`ulimit -n 64`: the refresh's own connections and files come first)."""
    try:
        import resource

        allowed = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return MAX_IDLE
    if allowed == resource.RLIM_INFINITY:
        return MAX_IDLE
    return max(0, min(MAX_IDLE, allowed // 8))


class _Closed(Exception):
    """The server closed the connection before answering."""
