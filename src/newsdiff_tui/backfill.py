"""Backfill: turn the Wayback Machine's captures of an article into versions of its history.

A reader usually notices an article after it was edited; the archive often holds captures
from its first hours. For each article: search the archive for captures up to the first live
version (all of them when the history has no live version, e.g. an imported one), download
each distinct capture (by digest) once, extract it with the same extractor and the same rules
as a live fetch (a collapsed text, an archived error page or a redirect stub is refused, never
stored), and place the texts that differ in the history at their capture times
(``Store.insert_versions``), so an archived version can come before version 0.

What a run has done is saved capture by capture (each version with the digest that gave it,
in one write): an interrupted run loses nothing it stored, and the next run downloads only
captures whose digest it has not seen. Every failure ends recorded on the article
(``BackfillState.last_error``); nothing stored is changed by one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from newsdiff_tui.archive import (
    ArchiveError,
    ArchiveStopped,
    Capture,
    CaptureRefused,
    WaybackClient,
)
from newsdiff_tui.extract import collapse_reason, extract
from newsdiff_tui.model import (
    Article,
    ArticleText,
    BackfillState,
    SeenText,
    Version,
    wayback_link,
)
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import utcnow

__all__ = [
    "ArticleBackfill",
    "BackfillEvent",
    "BackfillOptions",
    "BackfillSummary",
    "backfill_article",
    "backfill_run",
]

State = Literal["searching", "found", "capture", "paused", "done", "failed"]


@dataclass(frozen=True)
class BackfillOptions:
    """What a run looks at: captures since a time, and how many it may download per article."""

    since: datetime | None = None
    limit: int | None = None  # downloads per article in this run; the next run goes on


@dataclass(frozen=True)
class BackfillEvent:
    """Progress of a backfill, for a status line or a log line.

    ``capture`` events carry ``index``/``total`` (``i/N captures``) and, when the capture
    became a version, its number as stored at that moment.
    """

    article_id: str
    url: str
    state: State
    message: str
    index: int = 0
    total: int = 0
    version: int | None = None


@dataclass
class ArticleBackfill:
    """What a run did for one article."""

    article_id: str
    url: str
    captures: int = 0  # captures of a page in the window searched
    downloaded: int = 0
    stored: int = 0  # new versions
    refused: int = 0  # error pages, redirect stubs, collapsed texts (now or in earlier runs)
    failed: int = 0  # captures that could not be downloaded (tried again next run)
    error: str | None = None  # why the article's backfill ended early or what failed
    more: bool = False  # captures left for a later run (--limit, or a search cut short)

    def line(self) -> str:
        """One line for people: 'found 12 captures: 3 versions stored, 5 downloaded, ...'."""
        if self.error and not self.captures:
            return f"failed: {self.error}"
        if not self.captures:
            return "no captures in the archive"
        parts = [
            f"{self.stored} version{'' if self.stored == 1 else 's'} stored",
            f"{self.downloaded} downloaded",
        ]
        parts += [f"{n} {what}" for n, what in ((self.refused, "refused"), (self.failed, "failed"))]
        text = f"{self.captures} captures: {', '.join(parts)}"
        if self.more:
            text += " (more left: run backfill again)"
        return text


@dataclass
class BackfillSummary:
    """What a run did, article by article."""

    articles: list[ArticleBackfill] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped before the end, if it did
    elapsed: float = 0.0

    @property
    def stored(self) -> int:
        """Versions stored over all the articles."""
        return sum(a.stored for a in self.articles)

    def line(self) -> str:
        """'backfilled 2 articles: 3 versions stored from 14 captures (5 downloaded, ...)'."""
        count = len(self.articles)

        def total(name: str) -> int:
            """The sum of counter ``name`` over the articles."""
            return sum(getattr(a, name) for a in self.articles)

        text = (
            f"backfilled {count} article{'' if count == 1 else 's'}: {self.stored} "
            f"version{'' if self.stored == 1 else 's'} stored from {total('captures')} captures "
            f"({total('downloaded')} downloaded, {total('refused')} refused, "
            f"{total('failed')} failed)"
        )
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text


Emit = Callable[[BackfillEvent], None]


async def backfill_run(
    store: Store,
    articles: Sequence[Article],
    options: BackfillOptions | None = None,
    *,
    client: WaybackClient | None = None,
    on_event: Emit | None = None,
) -> BackfillSummary:
    """Backfill ``articles`` one after another (the archive's limits make that as fast).

    Without a ``client`` one is made for the run (with the process-wide gate) and 429 pauses
    are reported as ``paused`` events. The run stops early, with ``stopped`` set, when the
    archive cannot be used any more (unreachable, or asking us to stop).
    """
    options = options or BackfillOptions()
    emit = on_event or (lambda event: None)
    started = time.perf_counter()
    summary = BackfillSummary()
    own = client is None
    if client is None:
        client = WaybackClient(
            on_pause=lambda message: emit(BackfillEvent("", "", "paused", message))
        )
    try:
        for article in articles:
            result = ArticleBackfill(article.id, article.url)
            summary.articles.append(result)
            try:
                await backfill_article(store, article, client, options, emit, result)
            except ArchiveStopped as exc:
                summary.stopped = str(exc)
                break
    finally:
        if own:
            await client.aclose()
        summary.elapsed = time.perf_counter() - started
    return summary


async def backfill_article(
    store: Store,
    article: Article,
    client: WaybackClient,
    options: BackfillOptions | None = None,
    on_event: Emit | None = None,
    result: ArticleBackfill | None = None,
) -> ArticleBackfill:
    """Backfill one article (see the module docstring); raises ``ArchiveStopped`` when the
    archive cannot be used any more, after recording it on the article."""
    run = _ArticleRun(store, article, client, options or BackfillOptions(), on_event, result)
    await run.start()
    try:
        await run.go()
    except ArchiveStopped as exc:
        run.problems.append(str(exc))
        await run.finish()
        raise
    # Interrupted (cancelled), nothing more is written: what was stored stays as it is.
    await run.finish()
    return run.result


class _ArticleRun:
    """The state of one article's backfill."""

    def __init__(
        self,
        store: Store,
        article: Article,
        client: WaybackClient,
        options: BackfillOptions,
        on_event: Emit | None,
        result: ArticleBackfill | None,
    ) -> None:
        self.store = store
        self.article = article
        self.client = client
        self.options = options
        self.on_event = on_event
        self.result = result or ArticleBackfill(article.id, article.url)
        self.state = BackfillState()
        self.versions: list[Version] = []
        self.problems: list[str] = []

    def emit(self, state: State, message: str, index: int = 0, version: int | None = None) -> None:
        """Report ``state`` and ``message`` to ``on_event`` as a BackfillEvent."""
        if self.on_event is not None:
            self.on_event(
                BackfillEvent(
                    self.article.id,
                    self.article.url,
                    state,
                    message,
                    index,
                    self.result.captures,
                    version,
                )
            )

    async def start(self) -> None:
        """Read the article's versions and backfill state from the store."""
        self.versions = await asyncio.to_thread(self.store.versions, self.article.id)
        self.state = await asyncio.to_thread(self.store.backfill_state, self.article.id)

    async def go(self) -> None:
        """Search the archive for captures from before the first live version and handle each."""
        live = [v.fetched_at for v in self.versions if v.origin == "live"]
        until = min(live) if live else None
        self.emit("searching", f"searching the archive for {self.article.url}")
        try:
            found, cut_short = await self.client.search(
                self.article.url, since=self.options.since, until=until
            )
        except ArchiveStopped:
            raise
        except ArchiveError as exc:
            self.problems.append(str(exc))
            self.emit("failed", str(exc))
            return
        since = self.options.since
        captures = [
            c
            for c in found
            if c.is_page
            and (until is None or c.seen_at < until)
            and (since is None or c.seen_at >= since.replace(microsecond=0))
        ]
        self.result.captures = len(captures)
        self.result.more = cut_short
        window = "before the first live version" if until else "in all"
        self.emit("found", f"{len(captures)} captures {window}")
        for index, capture in enumerate(captures, 1):
            if not await self.one(index, capture):
                self.result.more = True
                break

    async def one(self, index: int, capture: Capture) -> bool:
        """Handle capture ``index``; False when ``--limit`` stops the article here."""
        result = self.result
        digest = capture.digest
        if digest in self.state.refused:
            result.refused += 1
            self.emit("capture", f"refused earlier: {self.state.refused[digest]}", index)
            return True
        text = self._known_text(digest)
        seen_at, timestamp = capture.seen_at, capture.timestamp
        if text is None:
            if self.options.limit is not None and result.downloaded >= self.options.limit:
                return False
            result.downloaded += 1
            try:
                page = await self.client.capture(capture)
            except ArchiveStopped:
                raise
            except CaptureRefused as exc:
                await self._refuse(index, digest, str(exc))
                return True
            except ArchiveError as exc:
                result.failed += 1
                self.problems.append(f"capture {capture.timestamp}: {exc}")
                self.emit("capture", f"failed: {exc}", index)
                return True
            try:
                text = await asyncio.to_thread(extract, page.html, capture.original)
            except Exception as exc:  # the same bytes would fail again: refuse them
                await self._refuse(index, digest, f"extraction failed: {type(exc).__name__}")
                return True
            seen_at, timestamp = page.seen_at, page.timestamp
            reason = collapse_reason(text, self._words_before(seen_at))
            if reason is not None:
                await self._refuse(index, digest, reason)
                return True
        seen = SeenText(
            text, seen_at, "wayback", timestamp, wayback_link(timestamp, capture.original)
        )
        self.state = replace(self.state, texts={**self.state.texts, digest: text.content_hash()})
        (version,) = await asyncio.to_thread(
            self.store.insert_versions, self.article.id, [seen], backfill=self.state
        )
        if version is None:
            self.emit("capture", f"{timestamp}: no new text", index)
            return True
        result.stored += 1
        self.versions = await asyncio.to_thread(self.store.versions, self.article.id)
        self.emit("capture", f"{timestamp}: stored as v{version.number}", index, version.number)
        return True

    def _known_text(self, digest: str) -> ArticleText | None:
        """The text a digest seen by an earlier capture extracted to, if a version holds it."""
        text_hash = self.state.texts.get(digest)
        if text_hash is None:
            return None
        return next((v.text for v in self.versions if v.text_hash == text_hash), None)

    def _words_before(self, moment: datetime) -> int | None:
        """Words in the version seen last before ``moment`` (for the collapse rule)."""
        before = [v for v in self.versions if v.fetched_at <= moment]
        return before[-1].text.word_count if before else None

    async def _refuse(self, index: int, digest: str, reason: str) -> None:
        """Remember a capture's digest as refused (never downloaded again) and store that."""
        self.result.refused += 1
        self.state = replace(self.state, refused={**self.state.refused, digest: reason})
        await asyncio.to_thread(
            self.store.insert_versions, self.article.id, [], backfill=self.state
        )
        self.emit("capture", f"refused: {reason}", index)

    async def finish(self) -> None:
        """Record when the archive was searched and what went wrong, if anything."""
        error = "; ".join(self.problems[:3]) or None
        if len(self.problems) > 3:
            error = f"{error}; and {len(self.problems) - 3} more"
        self.result.error = error
        self.state = replace(self.state, searched_at=utcnow(), last_error=error)
        await asyncio.to_thread(
            self.store.insert_versions, self.article.id, [], backfill=self.state
        )
        self.emit("failed" if error else "done", self.result.line())
