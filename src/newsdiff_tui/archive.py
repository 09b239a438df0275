"""The Wayback Machine client: CDX searches and raw (``id_``) captures, politely rate-limited.

Two calls, written with httpx (the ``wayback`` package is built on requests, with blocking locks
and hard-coded endpoints):

- ``search``: ``/cdx/search/cdx?url=URL&output=json&fl=timestamp,original,statuscode,digest,
  mimetype&filter=statuscode:200&collapse=digest`` with ``from``/``to`` and paging by resume
  key. The JSON answer starts with a header row; a page ends with an empty row and the key.
- ``capture``: ``/web/<timestamp>id_/<original url>``, the page as captured, without the
  archive's toolbar. A real capture answers with a ``Memento-Datetime`` header.

``NEWSDIFF_WAYBACK_URL`` (default ``https://web.archive.org``) replaces the scheme and host of
both, so tests point it at a fake archive on 127.0.0.1.

Politeness (the archive's limits are not documented but enforced: about 30 CDX searches a
minute per IP, and an ignored 429 earns a firewall block of an hour that doubles on repeat):
every request goes through one process-wide ``ArchiveGate``, which lets at most 24 searches
start in any minute and 2 captures in any second; any 429 pauses all archive traffic for its
Retry-After (60 s without one, doubling on repeated 429s) and three in a row, or a pause longer
than ten minutes, stop the run (``ArchiveStopped``). 5xx answers and dropped connections are
retried with backoff (2, 4, 8 s); nothing is retried in a tight loop. The gate's clock is
injectable, so tests run minutes of archive traffic in simulated time.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import json
import os
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.extract_charset import CharsetError, decode_html
from newsdiff_tui.fetch import USER_AGENT, error_reason, retry_after_seconds
from newsdiff_tui.model import WAYBACK_WEB, wayback_link
from newsdiff_tui.urls import url_problem

__all__ = [
    "BASE_ENV",
    "DEFAULT_BASE",
    "ArchiveError",
    "ArchiveGate",
    "ArchiveStopped",
    "Capture",
    "CaptureRefused",
    "CapturedPage",
    "RateLimiter",
    "SystemClock",
    "WaybackClient",
    "archive_base",
    "default_gate",
    "parse_cdx",
]

DEFAULT_BASE = WAYBACK_WEB  # the public Wayback Machine
BASE_ENV = "NEWSDIFF_WAYBACK_URL"
CDX_PER_MINUTE = 24
CAPTURES_PER_SECOND = 2
CDX_FIELDS = ("timestamp", "original", "statuscode", "digest", "mimetype")
PAGE_ROWS = 500  # rows per CDX page
MAX_PAGES = 20  # a page with more captures than 10,000 is not an article
PAUSE_WITHOUT_RETRY_AFTER = 60.0  # seconds, doubling with each 429 in a row
MAX_PAUSE = 600.0  # a longer Retry-After stops the run instead of waiting
MAX_THROTTLES = 3  # 429s in a row (without a success between) that stop the run
# How long a stop lasts in a long-lived process (the app): the archive's own block for ignored
# 429s is an hour, so after its refusals we stay away as long; an unreachable archive (offline?)
# may be tried again soon.
STOP_AFTER_THROTTLES = 3600.0
STOP_AFTER_UNREACHABLE = 60.0
RETRIES = 3  # extra attempts after a 5xx, a timeout or a dropped connection
BACKOFF = 2.0  # seconds before the first retry; doubles per attempt
TIMEOUT = 30.0
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 3
_RETRY_STATUS = {500, 502, 503, 504, 520, 521, 522, 523, 524}
_REDIRECTS = {301, 302, 303, 307, 308}
_PAGE_TYPES = {"text/html", "application/xhtml+xml"}
_REVISIT = "warc/revisit"

Kind = Literal["cdx", "capture"]


class ArchiveError(NewsdiffError):
    """A request to the archive failed (for now): the capture or search is tried again later."""


class ArchiveStopped(ArchiveError):
    """The archive cannot be used for the rest of the run (unreachable, or asking us to stop)."""


class CaptureRefused(NewsdiffError):
    """A capture that is not a version of the article (an archived error page, a redirect stub,
    not a web page): remembered by its digest, never downloaded again."""


def archive_base(environ: Mapping[str, str] | None = None) -> str:
    """The archive's scheme and host: ``$NEWSDIFF_WAYBACK_URL`` or the public Wayback Machine."""
    value = (os.environ if environ is None else environ).get(BASE_ENV, "").strip()
    if not value:
        return DEFAULT_BASE
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
    ):
        raise NewsdiffError(
            f"{BASE_ENV} must be a scheme and host such as {DEFAULT_BASE}, not {value!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


# ----- time and politeness -----------------------------------------------------------------
class Clock(Protocol):
    """Where the gate reads the time and waits: the system's, or a simulated one in tests."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        """Seconds on the system's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep in the running event loop."""
        await asyncio.sleep(seconds)


class RateLimiter:
    """At most ``rate`` starts in any window of ``period`` seconds.

    Each caller reserves the earliest start that keeps the window's count, so callers queue in
    order and nobody polls. Not thread-safe on its own: ``ArchiveGate`` holds a lock around it.
    """

    def __init__(self, rate: int, period: float) -> None:
        """Allow at most ``rate`` starts in any ``period`` seconds."""
        if rate < 1 or period <= 0:
            raise ValueError("a rate limiter needs a rate of at least 1 and a positive period")
        self.rate = rate
        self.period = period
        self._starts: deque[float] = deque(maxlen=rate)

    def reserve(self, now: float, not_before: float = 0.0) -> float:
        """Reserve the earliest start at or after ``now`` and ``not_before``; returns it."""
        start = max(now, not_before)
        if len(self._starts) == self.rate:
            start = max(start, self._starts[0] + self.period)
        self._starts.append(start)
        return start


class ArchiveGate:
    """All archive traffic of a process passes here: the two rate limits and the 429 pause.

    Thread-safe (a lock guards the state, waiting happens outside it), so backfills running
    in several threads or event loops share it; ``default_gate()`` is the process's one.
    """

    def __init__(
        self,
        *,
        cdx_per_minute: int = CDX_PER_MINUTE,
        captures_per_second: int = CAPTURES_PER_SECOND,
        clock: Clock | None = None,
    ) -> None:
        """A gate allowing ``cdx_per_minute`` searches and ``captures_per_second`` downloads."""
        self.clock: Clock = clock or SystemClock()
        self._limiters = {
            "cdx": RateLimiter(cdx_per_minute, 60.0),
            "capture": RateLimiter(captures_per_second, 1.0),
        }
        self._lock = threading.Lock()
        self.paused_until = 0.0
        self._paused_at = -1.0  # when the current pause began
        self._throttles = 0  # 429s in a row
        self.stopped: str | None = None  # why the archive must not be asked for now, if so
        self._stopped_until = 0.0

    async def slot(self, kind: Kind) -> float:
        """Wait for a turn to start a request of ``kind``; returns the clock's time at the start.

        A turn that falls inside a pause begun while waiting is given up and taken again after.
        """
        clock = self.clock
        while True:
            with self._lock:
                self._check_stopped()
                start = self._limiters[kind].reserve(clock.now(), self.paused_until)
            wait = start - clock.now()
            if wait > 0:
                await clock.sleep(wait)
            with self._lock:
                self._check_stopped()
                now = clock.now()
                if now >= self.paused_until:
                    return now

    def _check_stopped(self) -> None:
        """Raise ``ArchiveStopped`` during a stop; a stop that has run its time is lifted."""
        if self.stopped is None:
            return
        if self.clock.now() < self._stopped_until:
            raise ArchiveStopped(self.stopped)
        self.stopped = None
        self._throttles = 0

    def throttled(self, retry_after: float | None, started: float) -> float:
        """Record a 429 for a request started at ``started``: pause all traffic; returns the
        pause in seconds. Raises ``ArchiveStopped`` when the archive keeps refusing.

        A 429 for a request sent before the current pause began is part of the same episode
        (several requests were in flight): it neither extends nor escalates the pause.
        """
        with self._lock:
            now = self.clock.now()
            if started < self._paused_at:
                return max(self.paused_until - now, 0.0)
            self._throttles += 1
            pause = (
                retry_after
                if retry_after is not None
                else PAUSE_WITHOUT_RETRY_AFTER * 2 ** (self._throttles - 1)
            )
            if self._throttles >= MAX_THROTTLES or pause > MAX_PAUSE:
                self.stopped = (
                    f"the archive asked us to slow down {self._throttles} times in a row"
                    if self._throttles >= MAX_THROTTLES
                    else f"the archive asked us to wait {pause / 60:.0f} minutes"
                ) + ": stopped to avoid being blocked; try again in an hour"
                self._stopped_until = now + STOP_AFTER_THROTTLES
                raise ArchiveStopped(self.stopped)
            self._paused_at = now
            self.paused_until = max(self.paused_until, now + pause)
            return pause

    def succeeded(self) -> None:
        """A request got an answer other than 429: the next 429 starts a new episode."""
        with self._lock:
            self._throttles = 0

    def stop(self, reason: str, *, seconds: float = STOP_AFTER_UNREACHABLE) -> None:
        """Refuse every request for ``seconds`` (the archive is unreachable): the rest of a
        CLI run, and a while in the app."""
        with self._lock:
            self.stopped = reason
            self._stopped_until = self.clock.now() + seconds


_default_gate: ArchiveGate | None = None
_default_lock = threading.Lock()


def default_gate() -> ArchiveGate:
    """The process-wide gate every ``WaybackClient`` uses unless given another."""
    global _default_gate
    with _default_lock:
        if _default_gate is None:
            _default_gate = ArchiveGate()
        return _default_gate


# ----- what the archive holds --------------------------------------------------------------
@dataclass(frozen=True)
class Capture:
    """One row of a CDX search: a capture of a URL at a time."""

    timestamp: str  # yyyyMMddhhmmss
    original: str  # the URL as it was captured
    status: str  # the HTTP status at capture time ("-" for revisit records)
    digest: str  # the hash of the captured bytes: equal digests, equal pages
    mimetype: str

    @property
    def seen_at(self) -> datetime:
        """When the page was captured (UTC)."""
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    @property
    def link(self) -> str:
        """The capture's page on the public Wayback Machine."""
        return wayback_link(self.timestamp, self.original)

    @property
    def is_revisit(self) -> bool:
        """A revisit record: the same bytes as an earlier capture with the same digest."""
        return self.mimetype == _REVISIT

    @property
    def is_page(self) -> bool:
        """Whether the row can hold a version: a web page captured with HTTP 200 (or a
        revisit of one). ``-`` status rows other than revisits, other types are not."""
        if self.is_revisit:
            return self.status in {"200", "-"}
        return self.status == "200" and self.mimetype in _PAGE_TYPES


def timestamp_of(moment: datetime) -> str:
    """A time as the archive writes it: 14 digits, yyyyMMddhhmmss in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_cdx(body: bytes) -> tuple[list[Capture], str | None]:
    """The captures of one CDX JSON page and its resume key (None on the last page).

    The first row names the fields; rows that do not match it (or have a malformed timestamp)
    are skipped; an empty row precedes the resume key. An empty body means no captures.
    """
    if not body.strip():
        return [], None
    try:
        rows = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ArchiveError("the archive's search answer is not JSON") from None
    if not isinstance(rows, list):
        raise ArchiveError("the archive's search answer is not a list of rows")
    if not rows:
        return [], None
    header = rows[0]
    if not isinstance(header, list) or not set(CDX_FIELDS) <= set(header):
        raise ArchiveError("the archive's search answer has no header row")
    where = {name: header.index(name) for name in CDX_FIELDS}
    captures: list[Capture] = []
    resume_key = None
    body_rows = rows[1:]
    for n, row in enumerate(body_rows):
        if row == []:
            tail = body_rows[n + 1 : n + 2]
            if tail and isinstance(tail[0], list) and tail[0] and isinstance(tail[0][0], str):
                resume_key = tail[0][0] or None
            break
        if not (
            isinstance(row, list)
            and len(row) == len(header)
            and all(isinstance(cell, str) for cell in row)
        ):
            continue
        timestamp, original, status, digest, mimetype = (row[where[name]] for name in CDX_FIELDS)
        capture = Capture(timestamp, original, status, digest, mimetype)
        if len(capture.timestamp) == 14 and capture.timestamp.isdigit():
            try:
                capture.seen_at  # noqa: B018 - a date that does not exist is skipped
            except ValueError:
                continue
            captures.append(capture)
    return captures, resume_key


@dataclass(frozen=True)
class CapturedPage:
    """A capture's page, decoded: the HTML and when the archive says it was captured."""

    capture: Capture
    html: str
    timestamp: str  # from Memento-Datetime (the archive may serve a nearby capture)

    @property
    def seen_at(self) -> datetime:
        """When the archive captured the page, as an aware UTC datetime."""
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    @property
    def link(self) -> str:
        """The archive's link to this capture, for people to open."""
        return wayback_link(self.timestamp, self.capture.original)


@dataclass(frozen=True)
class _Answer:
    """One HTTP answer of the archive, body read (within ``MAX_BYTES``)."""

    status: int
    headers: httpx.Headers
    body: bytes
    charset: str | None


# ----- the client --------------------------------------------------------------------------
class WaybackClient:
    """The two archive calls behind the gate. Use ``async with``.

    ``on_pause(message)`` is told of every 429 pause (it is also why a run seems to stall).
    """

    def __init__(
        self,
        *,
        base: str | None = None,
        gate: ArchiveGate | None = None,
        page_rows: int = PAGE_ROWS,
        max_pages: int = MAX_PAGES,
        on_pause: Callable[[str], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """A client of ``base`` (or ``archive_base()``) behind ``gate`` (or ``default_gate()``)."""
        self.base = base or archive_base()
        self.gate = gate or default_gate()
        self.page_rows = page_rows
        self.max_pages = max_pages
        self.on_pause = on_pause
        self._client = httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(TIMEOUT),
            follow_redirects=False,
            transport=transport,
            trust_env=False,
        )

    async def __aenter__(self) -> WaybackClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    # ----- the two calls ---------------------------------------------------------------
    async def search(
        self, url: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> tuple[list[Capture], bool]:
        """Every capture of ``url`` with HTTP 200 between ``since`` and ``until`` (inclusive,
        to the second), oldest first, over as many pages as it takes; and whether the search
        stopped at ``max_pages`` before the end.
        """
        params = {
            "url": url,
            "output": "json",
            "fl": ",".join(CDX_FIELDS),
            "filter": "statuscode:200",
            "collapse": "digest",
            "showResumeKey": "true",
            "limit": str(self.page_rows),
        }
        if since is not None:
            params["from"] = timestamp_of(since)
        if until is not None:
            params["to"] = timestamp_of(until)
        captures: list[Capture] = []
        for _ in range(self.max_pages):
            answer = await self._get(f"{self.base}/cdx/search/cdx", "cdx", params)
            if answer.status != 200:
                raise ArchiveError(f"the archive's search answered HTTP {answer.status}")
            page, resume_key = parse_cdx(answer.body)
            captures += page
            if resume_key is None:
                return sorted(captures, key=lambda c: c.timestamp), False
            params["resumeKey"] = resume_key
        return sorted(captures, key=lambda c: c.timestamp), True

    async def capture(self, capture: Capture) -> CapturedPage:
        """The page of one capture, decoded.

        Raises ``CaptureRefused`` for what is not a version (an archived error page, a
        redirect to another page, not HTML) and ``ArchiveError`` when the archive did not
        serve the capture (no ``Memento-Datetime``: not a capture at all).
        """
        problem = url_problem(capture.original)
        if problem is not None:
            raise CaptureRefused(f"the archived URL cannot be requested: {problem}")
        url = f"{self.base}/web/{capture.timestamp}id_/{capture.original}"
        for _ in range(MAX_REDIRECTS + 1):
            answer = await self._get(url, "capture")
            if answer.status not in _REDIRECTS:
                return _page_of(capture, answer)
            target = urljoin(url, answer.headers.get("location", ""))
            if not _same_capture(target, self.base, capture.original):
                raise CaptureRefused(f"redirect stub: the capture redirects to {target}")
            url = target
        raise ArchiveError(f"the archive redirected more than {MAX_REDIRECTS} times")

    # ----- one request, politely ---------------------------------------------------------
    async def _get(self, url: str, kind: Kind, params: dict[str, str] | None = None) -> _Answer:
        """GET through the gate: 429 pauses everything, 5xx and dropped connections are
        retried with backoff, an unreachable archive stops the run."""
        gate = self.gate
        what = "the archive's search" if kind == "cdx" else "a capture"
        attempt = 0
        while True:
            started = await gate.slot(kind)
            try:
                answer = await self._send(url, params, kind)
            except httpx.ConnectError as exc:
                reason = f"cannot reach the archive at {self.base} ({error_reason(exc)})"
                gate.stop(reason)
                raise ArchiveStopped(reason) from exc
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                problem = f"{what} failed ({error_reason(exc)})"
                wait = None
            except httpx.HTTPError as exc:  # a URL httpx cannot request, say
                raise ArchiveError(f"{what} cannot be requested ({error_reason(exc)})") from exc
            else:
                retry_after = retry_after_seconds(answer.headers.get("retry-after"))
                if answer.status == 429:
                    pause = gate.throttled(retry_after, started)
                    if self.on_pause is not None:
                        self.on_pause(
                            "the archive asked us to slow down (HTTP 429): all archive "
                            f"requests paused for {pause:.0f} s"
                        )
                    continue
                gate.succeeded()
                if answer.status not in _RETRY_STATUS:
                    return answer
                problem = f"{what} answered HTTP {answer.status}"
                wait = retry_after
            attempt += 1
            if attempt > RETRIES:
                raise ArchiveError(f"{problem} after {attempt} attempts")
            backoff = BACKOFF * 2 ** (attempt - 1)
            await gate.clock.sleep(backoff if wait is None else min(max(wait, backoff), MAX_PAUSE))

    async def _send(self, url: str, params: dict[str, str] | None, kind: Kind) -> _Answer:
        """One exchange, the body read up to ``MAX_BYTES`` (a larger capture is refused)."""
        too_large = CaptureRefused if kind == "capture" else ArchiveError
        async with self._client.stream("GET", url, params=params) as response:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BYTES:
                raise too_large(f"too large: {int(length) >> 20} MB")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise too_large(f"too large: more than {MAX_BYTES >> 20} MB")
                chunks.append(chunk)
            return _Answer(
                response.status_code, response.headers, b"".join(chunks), response.charset_encoding
            )


def _page_of(capture: Capture, answer: _Answer) -> CapturedPage:
    """A capture's answer as a page, or why it is not one."""
    memento = _memento_timestamp(answer.headers.get("memento-datetime"))
    status = answer.status
    if memento is None:
        if status == 200:
            raise ArchiveError("the archive's answer is not a capture (no Memento-Datetime)")
        raise ArchiveError(f"the archive answered HTTP {status} for the capture")
    if status != 200:
        raise CaptureRefused(f"archived error page (HTTP {status} when captured)")
    mime = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if mime and mime not in _PAGE_TYPES:
        raise CaptureRefused(f"not a web page: the capture is {mime}")
    body = _gunzip(answer.body)
    try:
        html = decode_html(body, answer.charset)
    except CharsetError as exc:
        raise CaptureRefused(str(exc)) from None
    return CapturedPage(capture, html, memento)


def _gunzip(body: bytes) -> bytes:
    """Undo the gzip layers left after HTTP decoding (some captures were stored gzipped)."""
    for _ in range(2):
        if not body.startswith(b"\x1f\x8b"):
            break
        try:
            inflater = zlib.decompressobj(wbits=31)
            unpacked = inflater.decompress(body, MAX_BYTES + 1)
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise CaptureRefused(f"the capture is damaged gzip data ({exc})") from None
        if len(unpacked) > MAX_BYTES:
            raise CaptureRefused(f"too large once unpacked: more than {MAX_BYTES >> 20} MB")
        body = unpacked
    return body


def _memento_timestamp(value: str | None) -> str | None:
    """The 14-digit timestamp of a ``Memento-Datetime`` header, or None if absent or invalid."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return timestamp_of(moment)


def _page_key(url: str) -> tuple[str, str, str]:
    """A URL compared as the archive does: any scheme, with or without ``www.`` and port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return host, parts.path.rstrip("/") or "/", parts.query


def _same_capture(target: str, base: str, original: str) -> bool:
    """Whether a redirect leads to another capture of the same page on the archive (the
    archive redirects an ``id_`` request to the nearest capture it has)."""
    prefix = f"{base}/web/"
    if not target.startswith(prefix):
        return False
    stamp, _, rest = target[len(prefix) :].partition("/")
    return stamp.endswith("id_") and _page_key(rest) == _page_key(original)
