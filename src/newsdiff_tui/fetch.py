"""The HTTP side of a check: a polite, bounded ``httpx.AsyncClient`` that never raises.

``Fetcher.fetch(url, etag=..., last_modified=...)`` returns a ``FetchResult``: the page's
bytes and decoded text, a ``not_modified`` answer (a 304: no body downloaded), or an
``error`` message for the user. Rules:

- Only http and https URLs (also for redirect targets).
- A global concurrency limit (default 8) and a per-host limit (default 2) with a polite delay
  between request starts to the same host (default 1 s).
- Timeouts; retries with exponential backoff on timeouts, dropped connections, 5xx and 429,
  honouring ``Retry-After`` up to a cap. Refused connections are not retried.
- Conditional requests with ``If-None-Match`` / ``If-Modified-Since``.
- Redirects followed by hand (at most ``max_redirects``; a loop is reported as one) and the
  final URL returned.
- The body is read in chunks and abandoned as soon as it passes ``max_bytes`` (default 10 MB).
- Content types other than HTML (or, for feeds, XML) are refused before the body is read.
- The charset comes from the Content-Type header, else the document (see
  ``extract.decode_html``): an unknown charset on a non-UTF-8 body is a failure.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import os
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from newsdiff_tui import __version__
from newsdiff_tui.extract import CharsetError, decode_html
from newsdiff_tui.urls import url_problem

__all__ = [
    "USER_AGENT",
    "FetchOptions",
    "FetchResult",
    "Fetcher",
]

USER_AGENT = f"newsdiff-tui/{__version__} (+https://github.com/newsdiff-tui/newsdiff-tui)"
MB = 1024 * 1024

Kind = Literal["html", "feed"]
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
    "application/json",
    "text/plain",  # some servers label feeds so; feedparser decides
    "text/html",
}
_REDIRECTS = {301, 302, 303, 307, 308}
_RETRY_STATUS = {429, 500, 502, 503, 504, 520, 521, 522, 523, 524}


@dataclass(frozen=True)
class FetchOptions:
    """Limits and manners of the fetcher (the benchmark states what it used)."""

    concurrency: int = 8  # requests in flight at once, over all hosts
    per_host: int = 2  # requests in flight at once to one host
    host_delay: float = 1.0  # seconds between the starts of two requests to one host
    timeout: float = 20.0  # seconds for connecting, and between bytes of the answer
    retries: int = 3  # extra attempts after a timeout, dropped connection, 5xx or 429
    backoff: float = 1.0  # first retry delay in seconds; doubles per attempt
    backoff_max: float = 30.0
    retry_after_max: float = 60.0  # cap on a server's Retry-After
    max_bytes: int = 10 * MB
    max_redirects: int = 10
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class FetchResult:
    """What one fetch found. Exactly one of: ``text`` (a page), ``not_modified``, ``error``."""

    url: str
    final_url: str
    status: int | None = None
    body: bytes | None = None
    text: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None
    reached_server: bool = False  # whether any HTTP answer arrived (for "offline" detection)
    attempts: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process (building one loads the CA bundle: ~65 ms)."""
    return ssl.create_default_context(cafile=certifi.where())


class _Retry(Exception):
    """An attempt failed in a way worth retrying; ``wait`` overrides the backoff if set."""

    def __init__(self, message: str, wait: float | None = None, reached: bool = False) -> None:
        super().__init__(message)
        self.wait = wait
        self.reached = reached


class _Fail(Exception):
    """An attempt failed for good."""

    def __init__(self, message: str, reached: bool = True) -> None:
        super().__init__(message)
        self.reached = reached


class _Host:
    """Per-host politeness: a slot limit and the earliest start of the next request."""

    def __init__(self, slots: int) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.gate = asyncio.Lock()
        self.next_start = 0.0
        self.client: httpx.AsyncClient | None = None


class Fetcher:
    """An ``httpx.AsyncClient`` with limits, retries and politeness. Use ``async with``."""

    def __init__(
        self,
        options: FetchOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options or FetchOptions()
        self._transport = transport
        self._slots = asyncio.Semaphore(max(self.options.concurrency, 1))
        self._hosts: dict[str, _Host] = {}
        self._shared: httpx.AsyncClient | None = None

    def _new_client(self, connections: int) -> httpx.AsyncClient:
        opts = self.options
        return httpx.AsyncClient(
            headers={"User-Agent": opts.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(opts.timeout),
            follow_redirects=False,
            verify=_ssl_context(),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            transport=self._transport,
            trust_env=False,
        )

    def _client_for(self, host: _Host) -> httpx.AsyncClient:
        # One small client per host: its connections are reused, and httpcore's pool (which
        # scans every connection per request) stays small however many sites a run visits.
        if self._transport is not None:
            if self._shared is None:
                self._shared = self._new_client(max(self.options.concurrency, 1))
            return self._shared
        if host.client is None:
            host.client = self._new_client(max(self.options.per_host, 1))
        return host.client

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients = [h.client for h in self._hosts.values() if h.client is not None]
        if self._shared is not None:
            clients.append(self._shared)
        for client in clients:
            await client.aclose()

    # ----- public ------------------------------------------------------------------------
    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        kind: Kind = "html",
        on_start: Callable[[], None] | None = None,
    ) -> FetchResult:
        """Fetch ``url`` (conditionally if ``etag`` / ``last_modified`` are given); never raises
        except for cancellation. ``on_start`` is called once, when the first request starts."""
        problem = url_problem(url)
        if problem:
            return FetchResult(url=url, final_url=url, error=problem)
        opts = self.options
        attempts = 0
        reached = False
        while True:
            attempts += 1
            try:
                result = await self._follow(url, etag, last_modified, kind, on_start)
                on_start = None
                return replace(result, attempts=attempts)
            except _Fail as exc:
                return FetchResult(
                    url=url,
                    final_url=url,
                    error=str(exc),
                    reached_server=reached or exc.reached,
                    attempts=attempts,
                )
            except _Retry as exc:
                on_start = None
                reached = reached or exc.reached
                if attempts > opts.retries:
                    tries = f" after {attempts} attempts" if attempts > 1 else ""
                    return FetchResult(
                        url=url,
                        final_url=url,
                        error=f"{exc}{tries}",
                        reached_server=reached,
                        attempts=attempts,
                    )
                backoff = min(opts.backoff * 2 ** (attempts - 1), opts.backoff_max)
                wait = backoff if exc.wait is None else min(exc.wait, opts.retry_after_max)
                await asyncio.sleep(wait * (1 + random.random() * 0.1))

    # ----- one attempt, following redirects ----------------------------------------------
    async def _follow(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        kind: Kind,
        on_start: Callable[[], None] | None,
    ) -> FetchResult:
        seen = [url]
        current = url
        for _ in range(self.options.max_redirects + 1):
            result, location = await self._request(current, etag, last_modified, kind, on_start)
            on_start = None
            if location is None:
                assert result is not None
                return replace(result, url=url)  # final_url stays where we ended
            target = urljoin(current, location)
            problem = url_problem(target)
            if problem:
                raise _Fail(f"redirected to a URL that cannot be fetched: {problem}")
            if target in seen:
                chain = " -> ".join([*seen[seen.index(target) :], target])
                raise _Fail(f"redirect loop: {chain}")
            seen.append(target)
            current = target
        raise _Fail(f"too many redirects (more than {self.options.max_redirects}) from {url}")

    async def _request(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        kind: Kind,
        on_start: Callable[[], None] | None = None,
    ) -> tuple[FetchResult | None, str | None]:
        """One HTTP exchange: (result, None), or (None, redirect location)."""
        headers = {
            "Accept": (
                "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
                if kind == "html"
                else "application/atom+xml,application/rss+xml,application/xml;q=0.9,*/*;q=0.5"
            )
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = self._host(url)
        async with host.slots:
            await self._polite_wait(host)
            async with self._slots:
                if on_start is not None:
                    on_start()
                try:
                    client = self._client_for(host)
                    async with client.stream("GET", url, headers=headers) as response:
                        return await self._read(url, response, kind)
                except httpx.TimeoutException as exc:
                    # Only a connect timeout leaves the server unreached.
                    reached = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                    raise _Retry(f"timed out ({_timeout_kind(exc)})", reached=reached) from exc
                except httpx.ConnectError as exc:
                    raise _Fail(f"cannot connect to {_netloc(url)}: {_reason(exc)}", False) from exc
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                    raise _Retry(f"connection dropped: {_reason(exc)}", reached=True) from exc
                except httpx.DecodingError as exc:
                    raise _Fail(f"the server sent a body it could not encode: {exc}") from exc
                except httpx.HTTPError as exc:
                    raise _Fail(f"request failed: {_reason(exc)}", False) from exc

    async def _polite_wait(self, host: _Host) -> None:
        delay = self.options.host_delay
        if delay <= 0:
            return
        async with host.gate:
            now = time.monotonic()
            wait = host.next_start - now
            host.next_start = max(now, host.next_start) + delay
        if wait > 0:
            await asyncio.sleep(wait)

    def _host(self, url: str) -> _Host:
        key = _netloc(url)
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(max(self.options.per_host, 1))
        return host

    async def _read(
        self, url: str, response: httpx.Response, kind: Kind
    ) -> tuple[FetchResult | None, str | None]:
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise _Fail(f"HTTP {status} redirect without a Location header")
            return None, location
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        if status == 304:
            # No body: the connection is released without reading one.
            return FetchResult(
                url=url,
                final_url=url,
                status=304,
                not_modified=True,
                etag=etag,
                last_modified=last_modified,
                reached_server=True,
                headers=dict(response.headers),
            ), None
        if status in _RETRY_STATUS:
            wait = _retry_after(response.headers.get("retry-after"))
            raise _Retry(f"HTTP {status} {response.reason_phrase}".rstrip(), wait, reached=True)
        if status >= 400 or status < 200:
            raise _Fail(f"HTTP {status} {response.reason_phrase}".rstrip())
        content_type = response.headers.get("content-type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        allowed = _HTML_TYPES if kind == "html" else _FEED_TYPES
        if mime and mime not in allowed:
            what = "an HTML page" if kind == "html" else "a feed"
            raise _Fail(f"not {what}: the server sent {mime}")
        limit = self.options.max_bytes
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise _Fail(f"page too large: {int(length) / MB:.1f} MB (limit {limit / MB:g} MB)")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _Fail(f"page too large: more than {limit / MB:g} MB (stopped reading)")
            chunks.append(chunk)
        body = b"".join(chunks)
        text: str | None = None
        if kind == "html":
            try:
                text = decode_html(body, response.charset_encoding)
            except CharsetError as exc:
                raise _Fail(str(exc)) from exc
        return FetchResult(
            url=url,
            final_url=url,
            status=status,
            body=body,
            text=text,
            etag=etag,
            last_modified=last_modified,
            reached_server=True,
            headers=dict(response.headers),
        ), None


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.lower() or url


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connecting"
    if isinstance(exc, httpx.ReadTimeout):
        return "waiting for the server"
    return "request"


def _reason(exc: BaseException) -> str:
    """The most specific explanation in an exception chain (e.g. "Connection refused")."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError):
            # asyncio's messages wrap the errno's text; DNS errors have negative errnos.
            if isinstance(cause.errno, int) and cause.errno > 0:
                return os.strerror(cause.errno)
            if cause.strerror:
                return str(cause.strerror)
        cause = cause.__cause__ or cause.__context__
    text = str(exc).strip()
    return text or type(exc).__name__


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - time.time())
