"""load_sources: read feeds named on the command line, without a store.

For `tuinews list SOURCE...` and `tuinews SOURCE...`: URLs fetched with the same limits
as a refresh (no validators), paths and `file://` URLs read from disk, `-` from the
given stdin bytes, and OPML lists expanded to the feeds they name (one level deep).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tuinews.errors import FeedLinkingPage, SourceError
from tuinews.model import Feed, Subscription
from tuinews.refresh.client import make_client
from tuinews.refresh.fetch import Fetcher, FetchError
from tuinews.refresh.locations import local_path, location_kind, os_error_line

if TYPE_CHECKING:
    import httpx

    from tuinews.config import RefreshSettings


@dataclass(frozen=True, slots=True)
class SourceResult:
    """One feed read (or not): `spec` is what the user gave, or a URL an OPML list named."""

    spec: str
    feed: Feed | None
    error: str | None


async def load_sources(
    specs: Sequence[str], settings: RefreshSettings, *, stdin: bytes | None = None
) -> list[SourceResult]:
    """Read every source concurrently; results come in the order given, OPML expanded."""
    loader = _Loader(settings, stdin)
    try:
        groups = await asyncio.gather(*(loader.load(spec, nested=False) for spec in specs))
    finally:
        await loader.close()
    return [result for group in groups for result in group]


class _Loader:
    def __init__(self, settings: RefreshSettings, stdin: bytes | None) -> None:
        self.settings = settings
        self.stdin = stdin
        self._client: httpx.AsyncClient | None = None
        self._fetcher: Fetcher | None = None

    def fetcher(self) -> Fetcher:
        # Created on first use: reading local files should not pay for an HTTP client.
        if self._fetcher is None:
            self._client = make_client(self.settings)
            self._fetcher = Fetcher(self._client, self.settings)
        return self._fetcher

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def load(self, spec: str, *, nested: bool) -> list[SourceResult]:
        try:
            loaded = await self._read(spec)
        except SourceError as error:
            return [SourceResult(spec, None, error.reason)]
        except FetchError as error:
            return [SourceResult(spec, None, error.reason)]
        except OSError as error:
            return [SourceResult(spec, None, os_error_line(error))]
        if isinstance(loaded, Feed):
            return [SourceResult(spec, loaded, None)]
        if nested:
            return [SourceResult(spec, None, "a subscription list inside a subscription list")]
        if not loaded:
            return [SourceResult(spec, None, "the subscription list names no feeds")]
        groups = await asyncio.gather(*(self.load(sub.url, nested=True) for sub in loaded))
        return [result for group in groups for result in group]

    async def _read(self, spec: str) -> Feed | list[Subscription]:
        if not spec.strip():
            # Path("") is the working folder: `tuinews read "$ID"` with ID unset would
            # read whatever files are there.
            raise SourceError(spec, "an empty name: not a file, URL or article id")
        if spec == "-":
            if self.stdin is None:
                raise SourceError("-", "nothing on standard input")
            return await asyncio.to_thread(
                _from_bytes, self.stdin, "-", None, self.settings.max_bytes
            )
        kind = location_kind(spec)
        if kind == "http":
            try:
                return await self._fetched(spec)
            except FeedLinkingPage as page:
                # A site's address: read the first feed it links to that reads, as a
                # refresh follows a new subscription's page.
                for link in page.feeds:
                    with contextlib.suppress(SourceError, FetchError):
                        loaded = await self._fetched(link)
                        if isinstance(loaded, Feed):
                            return loaded
                raise
        if kind == "local":
            path = local_path(spec)
            return await asyncio.to_thread(_from_path, path, self.settings.max_bytes)
        scheme = spec.split("://", 1)[0]
        raise SourceError(spec, f"unsupported URL scheme '{scheme}'")

    async def _fetched(self, url: str) -> Feed | list[Subscription]:
        result = await self.fetcher().fetch(url)
        return await asyncio.to_thread(
            _from_bytes, result.body, result.url, result.content_type, self.settings.max_bytes
        )


def _from_bytes(
    data: bytes, source: str, content_type: str | None, max_bytes: int | None = None
) -> Feed | list[Subscription]:
    """A fetched body or stdin: a feed, or an OPML list of subscriptions. `max_bytes`
    bounds what a gzipped stdin unpacks to (a fetched body was bounded as it came)."""
    from tuinews.sources.detect import detect_kind

    name = source.rsplit("/", 1)[-1] if source != "-" else "-"
    if detect_kind(data, name) == "opml":
        from tuinews.sources.opml import parse_opml_report

        # A list on standard input is the user's own (`tuinews export | tuinews list -`):
        # its local feed files come back, as `import -` takes them; one from the web
        # names no local file.
        return parse_opml_report(data, source, local_files="any_feed" if source == "-" else "none")[
            0
        ]
    if source == "-":
        from tuinews.sources.local import load_bytes

        return load_bytes(data, "-", "-", None, max_bytes=max_bytes)
    from tuinews.sources.feeds import parse_feed

    return parse_feed(data, source, content_type=content_type, max_bytes=max_bytes)


def _from_path(path: Path, max_bytes: int) -> Feed | list[Subscription]:
    """A local source, read up to the same size limit as a web one (the settings')."""
    from tuinews.sources.local import load_path

    return load_path(path, max_bytes=max_bytes)
