"""Backfills from the Wayback Machine (``W``): one article's archived captures, off the UI thread.

``Backfill.run`` is called from a thread worker: it runs the core's ``backfill_run`` (what the
CLI's ``backfill`` runs, through the process-wide archive gate) on an event loop of its own
(``refresh.LoopJob``) and posts ``BackfillProgress`` (``i/N captures``), ``BackfillPaused``
(a 429) and, always last, ``BackfillFinished``. ``finished_notice`` words the result for the
status bar and the notification.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from textual.message import Message

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.model import Article
from newsdiff_tui.store import Store
from newsdiff_tui.tui.fmt import safe
from newsdiff_tui.tui.messages import BackfillFinished, BackfillPaused, BackfillProgress
from newsdiff_tui.tui.refresh import LoopJob

if TYPE_CHECKING:
    # The archive client pulls in httpx and the extractor: imported when a backfill runs.
    from newsdiff_tui.backfill import BackfillEvent, BackfillSummary

Severity = Literal["information", "warning", "error"]


class Backfill(LoopJob):
    """One article's backfill; ``run`` in a worker thread, ``cancel`` from any thread."""

    def __init__(self, store: Store, article: Article, post: Callable[[Message], Any]) -> None:
        super().__init__(store, post)
        self.article = article
        self.label = safe(article.url)  # until ``run`` reads ``source · title``

    def run(self) -> None:
        """Backfill the article; always ends by posting ``BackfillFinished``."""
        self.label = self.label_for(self.article.id, self.article.url)
        summary = None
        error = None
        try:
            summary = self.run_loop(self._main())
        except asyncio.CancelledError:
            error = "cancelled"
        except NewsdiffError as exc:  # e.g. a NEWSDIFF_WAYBACK_URL that is not a URL
            error = str(exc)
        except Exception as exc:  # report it in the app; the next backfill starts afresh
            error = f"{type(exc).__name__}: {exc}"
        self._post(BackfillFinished(self.article.id, self.label, summary, error))

    async def _main(self) -> BackfillSummary:
        """Backfill the article, its progress posted to the screen as messages."""
        from newsdiff_tui.backfill import backfill_run

        article_id = self.article.id

        def on_event(event: BackfillEvent) -> None:
            """The core's progress, as messages to the screen."""
            if event.state == "paused":
                self._post(BackfillPaused(article_id, event.message))
            elif event.state in ("searching", "found", "capture"):
                stored = event.version is not None
                self._post(
                    BackfillProgress(
                        article_id, self.label, event.state, event.index, event.total, stored
                    )
                )

        return await backfill_run(self.store, [self.article], on_event=on_event)


def progress_text(message: BackfillProgress) -> str:
    """The status bar during a backfill: ``Backfill: 3/12 captures`` and the article."""
    if message.state == "searching":
        what = "searching the archive"
    elif message.state == "found":
        noun = "capture" if message.total == 1 else "captures"
        what = f"{message.total} {noun} found"
    else:
        what = f"{message.index}/{message.total} captures"
    return f"Backfill: {what} · {message.label}"


def finished_notice(summary: BackfillSummary | None, error: str | None) -> tuple[str, Severity]:
    """What a finished backfill says, and how loudly: versions stored, refused, failed,
    no captures, or why it stopped (the archive's 429s, an unreachable archive)."""
    if summary is None:
        return f"Backfill failed: {safe(error) or 'unknown error'}", "error"
    result = summary.articles[0] if summary.articles else None
    if summary.stopped:
        stored = summary.stored
        kept = f" ({stored} version{'' if stored == 1 else 's'} stored before)" if stored else ""
        return f"Backfill stopped: {safe(summary.stopped)}{kept}", "error"
    if result is None:
        return "Backfill: nothing to do", "information"
    if not result.captures:
        if result.error:
            return f"Backfill failed: {safe(result.error)}", "error"
        return "Backfill: no captures of this article in the archive", "warning"
    text = f"Backfill: {result.line()}"
    if result.error:
        return f"{text} · {safe(result.error)}", "warning"
    return text, "information"
