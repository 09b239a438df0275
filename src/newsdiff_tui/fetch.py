"""The HTTP side of a check: a polite, bounded ``httpx.AsyncClient`` that never raises.

``Fetcher.fetch(url, etag=..., last_modified=...)`` returns a ``FetchResult``: the page's
bytes and decoded text, a ``not_modified`` answer (a 304: no body downloaded), or an
``error`` message for the user. Rules:

- Only http and https URLs (also for redirect targets), and only public addresses unless
  ``NEWSDIFF_ALLOW_PRIVATE`` says otherwise: every connection goes through the network guard
  (``netguard.py``), which checks the address actually connected to, on every redirect.
- A global concurrency limit (default 8) and manners per site (host and port) that adapt:
  up to ``per_site`` requests in flight (default 4) with no fixed gap (``host_delay`` sets a
  minimum gap between request starts). A 429 or 503 pauses the site for its ``Retry-After``
  and halves its concurrency (down to 1); it grows back by one after a run of successes.
  Connection errors back off that site only, and after a few in a row the site is given up
  for the run. ``Fetcher.slowdowns()`` says which sites slowed a run down, and why.
- Timeouts; retries with exponential backoff on timeouts, dropped connections, 5xx and 429.
  Refused connections are not retried.
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
import collections
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

from newsdiff_tui.extract_charset import CharsetError, decode_html
from newsdiff_tui.fetchoptions import MB, USER_AGENT, FetchOptions
from newsdiff_tui.netguard import AddressPolicy, AddressRefused, GuardedTransport
from newsdiff_tui.timeutil import humanize_delta
from newsdiff_tui.urls import url_problem

__all__ = [
    "USER_AGENT",
    "FetchOptions",
    "FetchResult",
    "Fetcher",
    "SiteSlowdown",
]


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
_SLOW_DOWN_STATUS = {429, 503}  # the site asks us to slow down
# A site's concurrency grows back by one after this many successful answers in a row.
GROW_AFTER = 8
# After this many failed connections in a row a site is given up for the rest of the run.
SITE_DOWN_AFTER = 3


@dataclass(frozen=True)
class FetchResult:
    """What one fetch found. Exactly one of: ``text`` (a page), ``not_modified``, ``error``."""

    url: str
    final_url: str
    status: int | None = None  # the HTTP status (of a failure: only for an HTTP error answer)
    body: bytes | None = None
    text: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None
    reached_server: bool = False  # whether any HTTP answer arrived (for "offline" detection)
    refused: bool = False  # the network guard refused the address (the error says which)
    attempts: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the fetch got an answer we can use (a page or a 304), False on an error."""
        return self.error is None


@dataclass(frozen=True)
class SiteSlowdown:
    """How one site slowed a run down: what it signalled, how long it paused us."""

    site: str
    signals: tuple[tuple[str, int], ...]  # ("429", 3), ("connection errors", 1), ...
    waited: float  # seconds the site was paused (Retry-After and back-off)
    lowest: int  # the fewest requests in flight it was allowed

    def line(self) -> str:
        """'news.example slowed us: 429 x3, waited 12 s'."""
        signals = ", ".join(f"{what} x{count}" for what, count in self.signals)
        text = f"{self.site} slowed us: {signals}"
        if self.waited >= 0.05:
            text += (
                f", waited {self.waited:.0f} s"
                if self.waited >= 10
                else (f", waited {self.waited:.1f} s")
            )
        return text


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process (building one loads the CA bundle: ~65 ms)."""
    return ssl.create_default_context(cafile=certifi.where())


class _Retry(Exception):
    """An attempt failed in a way worth retrying; ``wait`` overrides the backoff if set.

    ``site_paused``: the site's pause already makes the retry wait (a 429 or 503)."""

    def __init__(
        self,
        message: str,
        wait: float | None = None,
        reached: bool = False,
        site_paused: bool = False,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.wait = wait
        self.reached = reached
        self.site_paused = site_paused
        self.status = status


class _Fail(Exception):
    """An attempt failed for good."""

    def __init__(
        self, message: str, reached: bool = True, refused: bool = False, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.reached = reached
        self.refused = refused
        self.status = status


class _Site:
    """Manners towards one site (host and port): in-flight slots that adapt, a pause, a gap.

    ``limit`` starts at ``per_site``; a 429/503 or a connection error halves it (once per
    round: only answers to requests started under the current limit count) and pauses the
    site; ``GROW_AFTER`` successes in a row add one back. What the site did is kept for the
    run's summary.
    """

    def __init__(self, name: str, ceiling: int) -> None:
        self.name = name
        self.ceiling = max(ceiling, 1)
        self.limit = self.ceiling
        self.lowest = self.ceiling
        self.active = 0
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.epoch = 0  # bumped on every halving
        self.successes = 0  # in a row since the last change of the limit
        self.not_before = 0.0  # monotonic time before which no request starts (a pause)
        self.next_start = 0.0  # for the minimum gap between starts
        self.gate = asyncio.Lock()
        self.connection_failures = 0  # in a row
        self.down: str | None = None  # why the site was given up for this run
        self.down_reached = False  # whether it answered (a long Retry-After) or not at all
        self.signals: collections.Counter[str] = collections.Counter()
        self.waited = 0.0
        self.client: httpx.AsyncClient | None = None

    # ----- slots -------------------------------------------------------------------------
    async def acquire(self) -> int:
        """Wait for a slot, then for the end of any pause; returns the epoch started under."""
        if self.active < self.limit and not self.waiters:
            self.active += 1
        else:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter  # ``_wake`` hands the slot over (counted in ``active``)
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.release()
                else:
                    self.waiters.remove(waiter)
                raise
        try:
            while (wait := self.not_before - time.monotonic()) > 0:
                await asyncio.sleep(wait)  # the pause may be extended meanwhile
        except BaseException:
            self.release()
            raise
        return self.epoch

    def release(self) -> None:
        """Give back a slot and hand it to the next waiter, if the limit allows."""
        self.active -= 1
        self._wake()

    def _wake(self) -> None:
        """Hand free slots (up to the limit) to waiters in order, counting them as active."""
        while self.waiters and self.active < self.limit:
            waiter = self.waiters.popleft()
            if not waiter.done():
                self.active += 1
                waiter.set_result(None)

    # ----- what the site said ------------------------------------------------------------
    def succeeded(self, epoch: int) -> None:
        """An HTTP answer that did not ask us to slow down; only answers to requests started
        under the current limit count towards growing it."""
        self.connection_failures = 0
        if epoch != self.epoch:
            return
        self.successes += 1
        if self.limit < self.ceiling and self.successes >= GROW_AFTER:
            self.limit += 1
            self.successes = 0
            self._wake()

    def slow_down(self, signal: str, pause: float, epoch: int) -> None:
        """The site asked us to slow down (``signal``: "429", "503", "connection errors"...):
        halve the limit (once per round) and pause the site for ``pause`` seconds."""
        self.signals[signal] += 1
        if epoch == self.epoch:
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)
            self.epoch += 1
            self.successes = 0
        now = time.monotonic()
        until = now + max(pause, 0.0)
        if until > self.not_before:
            self.waited += until - max(now, self.not_before)
            self.not_before = until

    def connection_failed(self, message: str, pause: float, epoch: int) -> None:
        """A connection failed: slow down, and give the site up for this run after
        ``SITE_DOWN_AFTER`` in a row."""
        self.connection_failures += 1
        self.slow_down("connection errors", pause, epoch)
        if self.connection_failures >= SITE_DOWN_AFTER:
            self.give_up(f"{message} (gave up on this site after {SITE_DOWN_AFTER} tries)")

    def give_up(self, reason: str, *, reached: bool = False) -> None:
        """Ask this site nothing more in this run: it stays unreachable, or it asked for a
        longer wait than a run makes."""
        self.down = reason
        self.down_reached = reached

    def slowdown(self) -> SiteSlowdown | None:
        """What the site did to slow us down, for the run's summary; None if nothing."""
        if not self.signals:
            return None
        return SiteSlowdown(
            site=self.name,
            signals=tuple(sorted(self.signals.items(), key=lambda kv: (-kv[1], kv[0]))),
            waited=self.waited,
            lowest=self.lowest,
        )


class Fetcher:
    """An ``httpx.AsyncClient`` with limits, retries, manners and the network guard.

    Use ``async with``. ``transport`` replaces the network (and the guard) for tests that
    need a mock transport.
    """

    def __init__(
        self,
        options: FetchOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """A fetcher with ``options``; a ``transport`` (tests) replaces the guarded one."""
        self.options = options or FetchOptions()
        self.policy = self.options.address_policy or AddressPolicy.from_env()
        self._transport = transport
        self._slots = asyncio.Semaphore(max(self.options.concurrency, 1))
        self._sites: dict[str, _Site] = {}
        self._shared: httpx.AsyncClient | None = None

    def _new_client(self, connections: int) -> httpx.AsyncClient:
        """An httpx client with our headers and timeout, through the network guard; no redirects."""
        opts = self.options
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        transport = self._transport or GuardedTransport(
            self.policy, verify=_ssl_context(), limits=limits
        )
        return httpx.AsyncClient(
            headers={"User-Agent": opts.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(opts.timeout),
            follow_redirects=False,
            transport=transport,
            trust_env=False,
        )

    def _client_for(self, site: _Site) -> httpx.AsyncClient:
        """The client for requests to ``site`` (one shared client with a test transport)."""
        # One small client per site: its connections are reused, and httpcore's pool (which
        # scans every connection per request) stays small however many sites a run visits.
        if self._transport is not None:
            if self._shared is None:
                self._shared = self._new_client(max(self.options.concurrency, 1))
            return self._shared
        if site.client is None:
            site.client = self._new_client(site.ceiling)
        return site.client

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every client this fetcher opened."""
        clients = [s.client for s in self._sites.values() if s.client is not None]
        if self._shared is not None:
            clients.append(self._shared)
        for client in clients:
            await client.aclose()

    def slowdowns(self) -> list[SiteSlowdown]:
        """The sites that slowed this fetcher down (429/503, connection errors, timeouts),
        the worst first."""
        found = [s for s in (site.slowdown() for site in self._sites.values()) if s is not None]
        return sorted(found, key=lambda s: (-s.waited, -sum(n for _, n in s.signals), s.site))

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
                    status=exc.status,
                    error=str(exc),
                    reached_server=reached or exc.reached,
                    refused=exc.refused,
                    attempts=attempts,
                )
            except _Retry as exc:
                on_start = None
                reached = reached or exc.reached
                too_long = exc.wait is not None and exc.wait > opts.retry_after_max
                if attempts > opts.retries or too_long:
                    tries = f" after {attempts} attempts" if attempts > 1 else ""
                    if too_long:  # honoured by not asking again in this run
                        tries += f"; the server asked us to wait {humanize_delta(exc.wait or 0)}"
                    return FetchResult(
                        url=url,
                        final_url=url,
                        status=exc.status,
                        error=f"{exc}{tries}",
                        reached_server=reached,
                        attempts=attempts,
                    )
                if exc.site_paused:
                    continue  # the site's pause (Retry-After) holds the retry back
                backoff = min(opts.backoff * 2 ** (attempts - 1), opts.backoff_max)
                wait = backoff if exc.wait is None else exc.wait
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
        """Fetch ``url``, following redirects here: every target is checked, loops are caught."""
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
        site = self._site(url)
        self._check_down(site)
        epoch = await site.acquire()
        try:
            self._check_down(site)  # it may have gone down while we waited
            await self._gap(site)
            async with self._slots:
                if on_start is not None:
                    on_start()
                return await self._exchange(site, epoch, url, headers, kind)
        finally:
            site.release()

    async def _exchange(
        self, site: _Site, epoch: int, url: str, headers: dict[str, str], kind: Kind
    ) -> tuple[FetchResult | None, str | None]:
        """Send the request and read the answer, telling ``site`` how it went."""
        opts = self.options
        try:
            client = self._client_for(site)
            async with client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in _SLOW_DOWN_STATUS:
                    await _finish(response)
                    wait = retry_after_seconds(response.headers.get("retry-after"))
                    phrase = f"HTTP {status} {response.reason_phrase}".rstrip()
                    if wait is not None and wait > opts.retry_after_max:
                        # Honour it: no request to this site until the next run, and no run
                        # held up for it.
                        site.signals[str(status)] += 1
                        site.give_up(
                            f"{phrase}: the site asked us to wait {humanize_delta(wait)} "
                            "(Retry-After); not asked again until the next run",
                            reached=True,
                        )
                        raise _Fail(site.down or phrase, status=status)
                    pause = opts.backoff if wait is None else wait
                    site.slow_down(str(status), pause, epoch)
                    raise _Retry(phrase, wait, reached=True, site_paused=True, status=status)
                site.succeeded(epoch)
                return await self._read(url, response, kind)
        except AddressRefused as exc:
            raise _Fail(str(exc), reached=False, refused=True) from exc
        except httpx.TimeoutException as exc:
            # Only a connect timeout leaves the server unreached.
            connecting = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            if connecting:
                site.connection_failed(
                    f"cannot connect to {site.name}: timed out", self._backoff(site), epoch
                )
            else:
                site.slow_down("timeouts", 0.0, epoch)
            raise _Retry(f"timed out ({_timeout_kind(exc)})", reached=not connecting) from exc
        except httpx.ConnectError as exc:
            message = f"cannot connect to {site.name}: {error_reason(exc)}"
            site.connection_failed(message, self._backoff(site), epoch)
            raise _Fail(message, False) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise _Retry(f"connection dropped: {error_reason(exc)}", reached=True) from exc
        except httpx.DecodingError as exc:
            raise _Fail(f"the server sent a body it could not encode: {exc}") from exc
        except httpx.HTTPError as exc:
            raise _Fail(f"request failed: {error_reason(exc)}", False) from exc

    @staticmethod
    def _check_down(site: _Site) -> None:
        """Fail at once if ``site`` was given up for this run."""
        if site.down is not None:
            raise _Fail(site.down, site.down_reached)

    def _backoff(self, site: _Site) -> float:
        """The pause after a failed connection: ``backoff`` doubling per failure in a row."""
        opts = self.options
        return min(opts.backoff * 2**site.connection_failures, opts.backoff_max)

    async def _gap(self, site: _Site) -> None:
        """Keep ``host_delay`` seconds between the starts of requests to one site."""
        delay = self.options.host_delay
        if delay <= 0:
            return
        async with site.gate:
            now = time.monotonic()
            wait = site.next_start - now
            site.next_start = max(now, site.next_start) + delay
        if wait > 0:
            await asyncio.sleep(wait)

    def _site(self, url: str) -> _Site:
        """The ``_Site`` of ``url``'s host and port, made on first use."""
        key = _netloc(url)
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = _Site(key, self.options.per_site)
        return site

    async def _read(
        self, url: str, response: httpx.Response, kind: Kind
    ) -> tuple[FetchResult | None, str | None]:
        """An answer as a result or a redirect location; errors raise ``_Retry`` or ``_Fail``."""
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise _Fail(f"HTTP {status} redirect without a Location header")
            await _finish(response)
            return None, location
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        if status == 304:
            await _finish(response)  # a 304 has no body; reading its end keeps the connection
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
            wait = retry_after_seconds(response.headers.get("retry-after"))
            phrase = f"HTTP {status} {response.reason_phrase}".rstrip()
            raise _Retry(phrase, wait, reached=True, status=status)
        if status >= 400 or status < 200:
            raise _Fail(f"HTTP {status} {response.reason_phrase}".rstrip(), status=status)
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


_SMALL_BODY = 64 * 1024


async def _finish(response: httpx.Response) -> None:
    """Read the rest of a small answer we do not use (a 304, a redirect, a 429), so that its
    connection can serve the next request instead of being closed; a large or unsized body
    is left unread (the connection is closed)."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) <= _SMALL_BODY:
        await response.aread()


def _netloc(url: str) -> str:
    """The host and port of ``url``, lower-cased: the key of its ``_Site``."""
    parts = urlsplit(url)
    return parts.netloc.lower() or url


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    """What a timeout happened during, in words for the error message."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connecting"
    if isinstance(exc, httpx.ReadTimeout):
        return "waiting for the server"
    return "request"


def error_reason(exc: BaseException) -> str:
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


def retry_after_seconds(value: str | None) -> float | None:
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
