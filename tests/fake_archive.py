"""A fake Wayback Machine on 127.0.0.1, and a simulated clock for the archive's rate limits.

No test may contact the real web.archive.org (it blocks IPs that ignore its rules); tests
point ``NEWSDIFF_WAYBACK_URL`` at ``FakeArchive.base`` instead. Built on ``LocalServer``.

- ``FakeArchive(server, clock=None)``: ``add(url, timestamp, body, ...)`` files a capture: a
  CDX row, and the capture's ``/web/<ts>id_/<url>`` route (``Reply`` objects can stand in for
  the page, e.g. a 404 with ``Memento-Datetime``, or a 503 then the page). ``rows`` can hold
  raw CDX rows (``-`` status, revisits). ``cdx_replies`` are answered, in turn, before the
  real CDX answer (a 429, a 503); ``cdx_at[n]`` answers the n-th search.
  The CDX endpoint filters by ``from``/``to``, pages by ``limit`` with ``showResumeKey`` and
  ``resumeKey`` like the real one, and always starts with the header row. ``log`` holds
  ``(clock time, kind, path)`` for every request, with ``clock`` when given.
- ``SimulatedClock``: virtual time for asyncio tasks started by ``clock.run(...)``: time moves
  to the next wake-up only when every one of them sleeps in the clock, so minutes of archive
  traffic take no real time and tasks doing real I/O never see time jump under them.
- ``page(title, paragraphs)``: an article page in the New York Times' markup.
- Fixture ``fake_archive``: a ``FakeArchive`` on the ``local_server``, with
  ``NEWSDIFF_WAYBACK_URL`` pointing at it and a fresh process-wide gate for the test. A test
  module gets it with ``from fake_archive import fake_archive_fixture  # noqa: F401``.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import heapq
import html
import itertools
import json
import threading
from collections.abc import Awaitable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from local_server import LocalServer, Reply, Request

from newsdiff_tui import archive

HEADER = ["timestamp", "original", "statuscode", "digest", "mimetype"]


def memento_datetime(timestamp: str) -> str:
    """The ``Memento-Datetime`` header value of a 14-digit timestamp."""
    moment = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return format_datetime(moment, usegmt=True)


def page(title: str, paragraphs: Sequence[str], *, byline: str | None = None) -> str:
    """An article page marked up as the New York Times did in 2019 (``articleBody``)."""
    esc = html.escape
    body = "".join(
        f'<div class="StoryBodyCompanionColumn"><p>{esc(p)}</p></div>' for p in paragraphs
    )
    by = f'<p class="byline">By {esc(byline)}</p>' if byline else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{esc(title)} - The New York Times</title>
<meta property="og:title" content="{esc(title)}"></head><body>
<header><nav><a href="/section/world">World</a><a href="/section/us">U.S.</a></nav></header>
<main><article><h1>{esc(title)}</h1>{by}
<section name="articleBody">{body}</section></article>
<aside class="related"><a href="/2019/11/21/other.html">Other news</a></aside></main>
<footer><p>&copy; 2019 The New York Times Company</p></footer></body></html>"""


def capture_reply(timestamp: str, body: str | bytes, *, memento: bool = True) -> Reply:
    """A capture's answer: the page, with the ``Memento-Datetime`` of ``timestamp``."""
    headers = {"Memento-Datetime": memento_datetime(timestamp)} if memento else {}
    return Reply(body=body, headers=headers)


def gzipped(text: str | bytes, times: int = 1) -> bytes:
    """``text`` gzipped ``times`` times (a capture stored gzipped, then sent gzipped again)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    for _ in range(times):
        data = gzip.compress(data, mtime=0)
    return data


class FakeArchive:
    """The two archive endpoints on a ``LocalServer`` (see the module docstring)."""

    def __init__(self, server: LocalServer, clock: SimulatedClock | None = None) -> None:
        self.server = server
        self.clock = clock
        self.rows: list[list[str]] = []
        self.cdx_replies: list[Reply] = []
        self.cdx_at: dict[int, Reply] = {}  # the n-th search (1-based) gets this answer
        self.ignore_range = False  # answer every capture, whatever from/to ask
        self.log: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        server.route("/cdx/search/cdx", self._cdx)

    @property
    def base(self) -> str:
        return self.server.url("")

    def add(
        self,
        url: str,
        timestamp: str,
        body: str | bytes | Reply | Sequence[Reply],
        *,
        digest: str | None = None,
        mimetype: str = "text/html",
        memento: bool = True,
    ) -> str:
        """File a capture of ``url`` at ``timestamp``; returns its ``id_`` path.

        ``body`` is the page (served with ``Memento-Datetime`` unless ``memento`` is False),
        a whole ``Reply``, or replies answered in turn (the last one repeats). The digest
        defaults to one derived from the (last) reply's status and body.
        """
        if isinstance(body, str | bytes):
            replies = [capture_reply(timestamp, body, memento=memento)]
        elif isinstance(body, Reply):
            replies = [body]
        else:
            replies = list(body)
        if digest is None:
            last = replies[-1]
            raw = last.body.encode() if isinstance(last.body, str) else last.body
            digest = hashlib.sha1(raw + last.status.to_bytes(2)).hexdigest().upper()[:32]
        self.rows.append([timestamp, url, "200", digest, mimetype])
        path = f"/web/{timestamp}id_/{url}"
        served = itertools.count()

        def answer(request: Request) -> Reply:
            self._note("capture", request)
            return replies[min(next(served), len(replies) - 1)]

        self.server.route(path, answer)
        return path

    def _note(self, kind: str, request: Request) -> None:
        with self._lock:
            now = self.clock.now() if self.clock is not None else 0.0
            self.log.append((now, kind, request.path))

    def times(self, kind: str | None = None) -> list[float]:
        """The clock times of the requests (of one kind: ``cdx`` or ``capture``)."""
        return [t for t, k, _ in self.log if kind is None or k == kind]

    def _cdx(self, request: Request) -> Reply:
        self._note("cdx", request)
        with self._lock:
            scripted = self.cdx_at.get(len(self.times("cdx")))
            if scripted is not None:
                return scripted
            if self.cdx_replies:
                return self.cdx_replies.pop(0)
        query = {k: v[-1] for k, v in parse_qs(urlsplit(request.path).query).items()}
        assert query.get("output") == "json" and query.get("fl") == ",".join(HEADER)
        url = query["url"]
        low, high = query.get("from", ""), query.get("to", "")
        if self.ignore_range:
            low = high = ""
        rows = sorted(
            (
                r
                for r in self.rows
                if _same_page(r[1], url)
                and (not low or r[0] >= low.ljust(14, "0"))
                and (not high or r[0] <= high.ljust(14, "9"))
            ),
            key=lambda r: r[0],
        )
        rows = [r for n, r in enumerate(rows) if n == 0 or rows[n - 1][3] != r[3]]  # collapse
        start = int(query.get("resumeKey", "0") or 0)
        limit = int(query.get("limit", "0") or 0) or len(rows)
        page_rows: list[list[str]] = [HEADER, *rows[start : start + limit]]
        if query.get("showResumeKey") == "true" and start + limit < len(rows):
            page_rows += [[], [str(start + limit)]]
        return Reply(body=json.dumps(page_rows), content_type="application/json")


def _same_page(a: str, b: str) -> bool:
    """Whether a capture's URL answers a search for ``b`` (host and path; the query is
    ignored, so a test can file an archived URL with a hostile query)."""

    def key(url: str) -> tuple[str, str]:
        parts = urlsplit(url)
        return (parts.hostname or "").removeprefix("www."), parts.path

    return key(a) == key(b)


class SimulatedClock:
    """Virtual time for the asyncio tasks it runs (see the module docstring)."""

    def __init__(self) -> None:
        self.time = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._awake = 0
        self._idle: asyncio.Event | None = None

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.time + seconds, next(self._order), future))
        self._went_to_sleep()
        try:
            await future
        except asyncio.CancelledError:
            if not future.done() or future.cancelled():
                self._awake += 1  # the driver never woke it
            raise

    def _went_to_sleep(self) -> None:
        self._awake -= 1
        if self._awake == 0 and self._idle is not None:
            self._idle.set()

    async def run(self, *coros: Awaitable[Any]) -> list[Any]:
        """Run ``coros`` concurrently in virtual time; their results (or first exception)."""
        self._idle = asyncio.Event()
        self._awake = len(coros)

        async def participant(coro: Awaitable[Any]) -> Any:
            try:
                return await coro
            finally:
                self._went_to_sleep()

        tasks = [asyncio.ensure_future(participant(c)) for c in coros]
        while not all(t.done() for t in tasks):
            await self._idle.wait()
            self._idle.clear()
            if self._awake == 0:
                self._wake_next()
        return [t.result() for t in tasks]

    def _wake_next(self) -> None:
        """Move time to the earliest wake-up and wake every sleeper due then."""
        while self._sleepers and self._sleepers[0][2].cancelled():
            heapq.heappop(self._sleepers)
        if not self._sleepers:
            return
        self.time = max(self.time, self._sleepers[0][0])
        while self._sleepers and self._sleepers[0][0] <= self.time:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.cancelled():
                self._awake += 1
                future.set_result(None)


@pytest.fixture(name="fake_archive")
def fake_archive_fixture(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeArchive]:
    """A ``FakeArchive`` that ``NEWSDIFF_WAYBACK_URL`` points at, with a fresh process gate."""
    fake = FakeArchive(local_server)
    monkeypatch.setenv(archive.BASE_ENV, fake.base)
    monkeypatch.setattr(archive, "_default_gate", None)
    yield fake
