"""A real HTTP server on 127.0.0.1 with routes each test programs, for refresh tests.

    with FeedServer() as server:
        server.route("/feed", static(rss(3), etag='"v1"'))
        url = server.url("/feed")
        ...
        server.requests("/feed")[0].headers["If-None-Match"]

Routes are small objects with a `serve(handler)` method; the helpers below build the
usual ones (static bodies with validators, redirects, error statuses, stalls, cut-off
and reset connections, oversize streams, gzip bombs, generated feeds). The server
records every request's headers and the most connections it saw in flight at once.
"""

from __future__ import annotations

import email.utils
import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = BaseHTTPRequestHandler


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]


def rss(items: int, *, title: str = "Test feed", version: int = 0, prefix: str = "item") -> bytes:
    """An RSS 2.0 document with `items` items, newest first; `version` changes the text."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{title}</title><link>http://example.com/</link>",
        "<description>generated for tests</description>",
    ]
    for number in range(items, 0, -1):
        day = 1 + number % 28
        parts.append(
            f"<item><title>{prefix} {number} v{version}</title>"
            f"<link>http://example.com/{prefix}/{number}</link>"
            f"<guid>{prefix}-{number}</guid>"
            f"<pubDate>Mon, {day:02d} Jan 2024 {number % 24:02d}:00:00 +0000</pubDate>"
            f"<description>Body of {prefix} {number}, version {version}. "
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod "
            "tempor incididunt ut labore et dolore magna aliqua.</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


# A plain list of words, kept on a few lines (a list literal would take fifty).
_WORDS = (  # noqa: SIM905
    "the reader feed terminal article server people write news about code release fast "
    "small update fixes week notes open source project language design memory network "
    "python rust shell editor keyboard window screen night morning city river market "
    "science report study data model paper build test change issue review story"
).split()


def blog_rss(items: int, *, item_bytes: int, title: str = "Test blog", version: int = 0) -> bytes:
    """An RSS 2.0 document shaped like a blog's (WordPress's layout: a plain summary in
    <description>, the article's HTML in <content:encoded>, author, categories), each
    item about `item_bytes` long: paragraphs, links and emphasis, words drawn from a
    fixed seed so every build is identical."""
    import random

    chooser = random.Random(f"{title}/{version}")

    def words(count: int) -> str:
        return " ".join(chooser.choice(_WORDS) for _ in range(count))

    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
        f"<title>{title}</title><link>https://example.com/</link>",
        "<description>generated for benchmarks</description><language>en-US</language>",
    ]
    for number in range(items, 0, -1):
        day = 1 + number % 28
        slug = words(4).replace(" ", "-")
        head = (
            f"<item><title>{words(6).capitalize()} {number} v{version}</title>"
            f"<link>https://example.com/2024/01/{day:02d}/{slug}-{number}/</link>"
            f"<dc:creator><![CDATA[Author {number % 7}]]></dc:creator>"
            f"<pubDate>Mon, {day:02d} Jan 2024 {number % 24:02d}:{number % 60:02d}:00 +0000"
            "</pubDate>"
            f"<category><![CDATA[{chooser.choice(_WORDS)}]]></category>"
            f"<category><![CDATA[{chooser.choice(_WORDS)}]]></category>"
            f'<guid isPermaLink="false">https://example.com/?p={number}</guid>'
            f"<description><![CDATA[{words(30).capitalize()} [&#8230;]]]></description>"
            "<content:encoded><![CDATA["
        )
        tail = "]]></content:encoded></item>"
        body = [f"<p>{words(25).capitalize()}.</p>"]
        size = len(head) + len(tail) + len(body[0])
        while size < item_bytes:
            paragraph = (
                f'<p>{words(12).capitalize()} <a href="https://example.org/{slug}">'
                f"{words(3)}</a> {words(10)}, <em>{words(2)}</em> {words(14)}.</p>"
            )
            body.append(paragraph)
            size += len(paragraph)
        parts.append(head + "".join(body) + tail)
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def _send(handler: Handler, status: int, headers: dict[str, str], body: bytes = b"") -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    if "Content-Length" not in headers:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if body:
        handler.wfile.write(body)


@dataclass
class Static:
    """A fixed body; with an ETag or Last-Modified it answers conditional requests with 304."""

    body: bytes
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def serve(self, handler: Handler) -> None:
        validators: dict[str, str] = {}
        if self.etag:
            validators["ETag"] = self.etag
        if self.last_modified:
            validators["Last-Modified"] = self.last_modified
        match_etag = self.etag and handler.headers.get("If-None-Match") == self.etag
        match_date = (
            self.last_modified and handler.headers.get("If-Modified-Since") == self.last_modified
        )
        if match_etag or (match_date and not handler.headers.get("If-None-Match")):
            _send(handler, 304, validators)
            return
        headers = {"Content-Type": self.content_type, **validators, **self.headers}
        _send(handler, self.status, headers, self.body)


def static(body: bytes, **kwargs: Any) -> Static:
    return Static(body, **kwargs)


def http_date(when: float | None = None) -> str:
    return email.utils.formatdate(when if when is not None else time.time(), usegmt=True)


@dataclass
class Redirect:
    location: str
    status: int = 301

    def serve(self, handler: Handler) -> None:
        _send(handler, self.status, {"Location": self.location})


def redirect(location: str, status: int = 301) -> Redirect:
    return Redirect(location, status)


def status(code: int, *, body: bytes = b"", headers: dict[str, str] | None = None) -> Static:
    """An error status (404, 410, 429 with Retry-After, 500, 503) with an optional body."""
    return Static(body, status=code, content_type="text/plain", headers=dict(headers or {}))


@dataclass
class Stall:
    """Headers promising a body, then one byte a second until the client gives up."""

    length: int = 10_000
    interval: float = 1.0

    def serve(self, handler: Handler) -> None:
        _send(
            handler,
            200,
            {"Content-Type": "application/rss+xml", "Content-Length": str(self.length)},
        )
        handler.wfile.flush()
        for _ in range(self.length):
            time.sleep(self.interval)
            try:
                handler.wfile.write(b" ")
                handler.wfile.flush()
            except OSError:
                return


@dataclass
class CutOff:
    """Content-Length larger than what is sent, then the connection closes. Without a
    `declared` length, the body is one that ends where the connection closes (HTTP/1.0
    style), and `encoding` its Content-Encoding, sent as it is."""

    body: bytes
    declared: int | None
    encoding: str | None = None

    def serve(self, handler: Handler) -> None:
        headers = {"Content-Type": "application/rss+xml"}
        if self.encoding:
            headers["Content-Encoding"] = self.encoding
        handler.send_response(200)
        for name, value in headers.items():
            handler.send_header(name, value)
        if self.declared is not None:
            handler.send_header("Content-Length", str(self.declared))
        else:
            handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(self.body)
        handler.wfile.flush()
        handler.close_connection = True


@dataclass
class Reset:
    """Sends `partial` bytes of a promised body (or nothing at all), then a TCP reset."""

    partial: bytes = b""
    declared: int = 100_000
    before_headers: bool = False

    def serve(self, handler: Handler) -> None:
        if not self.before_headers:
            headers = {"Content-Type": "application/rss+xml", "Content-Length": str(self.declared)}
            _send(handler, 200, headers, self.partial)
            handler.wfile.flush()
        # SO_LINGER with a zero timeout turns close() into a RST.
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.connection.close()


@dataclass
class Oversize:
    """`size` bytes streamed in chunks (never held in memory), declared or chunked."""

    size: int
    declare_length: bool = True

    def serve(self, handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        if self.declare_length:
            handler.send_header("Content-Length", str(self.size))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        chunk = b"<!-- padding -->" * 4096
        sent = 0
        try:
            while sent < self.size:
                piece = chunk[: self.size - sent]
                handler.wfile.write(piece)
                sent += len(piece)
        except OSError:
            return


_BOMB_CACHE: dict[int, bytes] = {}


@dataclass
class GzipBomb:
    """`inflated` bytes of zeros, gzipped (10 MB gzips to about 10 KB)."""

    inflated: int = 10 * 1024 * 1024
    encoding: str = "gzip"

    def serve(self, handler: Handler) -> None:
        body = _BOMB_CACHE.get(self.inflated)
        if body is None:
            body = _BOMB_CACHE[self.inflated] = gzip.compress(bytes(self.inflated), 9)
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": self.encoding}
        _send(handler, 200, headers, body)


@dataclass
class Generated:
    """A feed of `items` items with an ETag; `bump()` makes the next fetch return new text."""

    items: int
    title: str = "Generated feed"
    version: int = 0
    delay: float = 0.0
    item_bytes: int = 0  # > 0: blog-shaped items of about this size (`blog_rss`)
    _cache: tuple[int, bytes] | None = None

    def bump(self) -> None:
        self.version += 1

    def body(self) -> bytes:
        if self._cache is None or self._cache[0] != self.version:
            if self.item_bytes:
                body = blog_rss(
                    self.items, item_bytes=self.item_bytes, title=self.title, version=self.version
                )
            else:
                body = rss(self.items, title=self.title, version=self.version)
            self._cache = (self.version, body)
        return self._cache[1]

    def serve(self, handler: Handler) -> None:
        if self.delay:
            time.sleep(self.delay)
        # Both validators, so clients that only use one of them (newsboat) get 304s too.
        etag = f'"v{self.version}"'
        stamp = http_date(1_700_000_000 + self.version * 60)
        validators = {"ETag": etag, "Last-Modified": stamp}
        if handler.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in handler.headers
            and handler.headers.get("If-Modified-Since") == stamp
        ):
            _send(handler, 304, validators)
            return
        headers = {"Content-Type": "application/rss+xml", **validators}
        _send(handler, 200, headers, self.body())


@dataclass
class Call:
    """Any function of the handler, for one-off behaviour in a test."""

    function: Callable[[Handler], None]

    def serve(self, handler: Handler) -> None:
        self.function(handler)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real feed servers do
    # Headers and body are two writes: with Nagle's algorithm a small body waited for the
    # client's delayed ACK, 40 ms on every keep-alive request after the first.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        if path.startswith("http://"):
            # Asked as a forward proxy: the request line holds the whole URL.
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        host = self.headers.get("Host", "")
        owner._enter(host, SeenRequest(path, dict(self.headers.items())))
        try:
            route = owner.routes.get(path)
            if route is None:
                _send(self, 404, {"Content-Type": "text/plain"}, b"no such route")
                return
            route.serve(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            owner._leave(host)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest would show every request


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    owner: FeedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-response is what these tests are about


class FeedServer:
    """The loopback server; use as a context manager (or the tests' `server` fixture).
    No pytest here: the benchmarks serve their feeds with it too."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._seen: list[SeenRequest] = []
        self._in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.max_in_flight_total = 0
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, behaviour: Any) -> str:
        """Serve `behaviour` at `path`; returns the full URL."""
        self.routes[path] = behaviour
        return self.url(path)

    def requests(self, path: str | None = None) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self._seen if path is None or r.path == path]

    def _enter(self, host: str, seen: SeenRequest) -> None:
        with self._lock:
            self._seen.append(seen)
            count = self._in_flight.get(host, 0) + 1
            self._in_flight[host] = count
            self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), count)
            total = sum(self._in_flight.values())
            self.max_in_flight_total = max(self.max_in_flight_total, total)

    def _leave(self, host: str) -> None:
        with self._lock:
            self._in_flight[host] -= 1

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def closed_port_url(path: str = "/feed") -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
