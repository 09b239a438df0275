"""Refreshes: checking articles off the UI thread, reporting back with messages.

A refresh fetches pages, extracts them (in the app's process pool), writes versions (fsync) and,
for "refresh due", reads the feeds and picks the due articles out of the whole index. None of
that may run on the UI thread, so ``Refresh.run`` is called from a thread worker: it drives the
tracker (``check_articles`` / ``fetch_run``, exactly what the CLI's ``fetch`` runs) on an event
loop of its own and posts ``CheckProgress``, ``ArticleChecked`` and ``RefreshFinished``.
``cancel`` (from the UI thread, when the app quits) stops the run at its next await.
``LoopJob`` is that machinery (an event loop of its own, cancelled from the UI thread), shared
with the backfill (``tui/backfill.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.store import Store
from newsdiff_tui.tui.fmt import safe
from newsdiff_tui.tui.messages import ArticleChecked, CheckProgress, RefreshFinished

if TYPE_CHECKING:
    # The tracker pulls in httpx and the extractor (~0.3 s): imported when a refresh runs.
    from newsdiff_tui.tracker import CheckEvent, CheckOptions


@dataclass(frozen=True)
class RefreshRequest:
    """What to check: chosen articles, or (``article_ids`` None) the feeds and due articles."""

    article_ids: tuple[str, ...] | None
    label: str  # for the status bar: "selected article", "new article", "due articles"

    @property
    def due_run(self) -> bool:
        """Whether this runs the feeds and the due articles (``R``), as ``fetch`` does."""
        return self.article_ids is None


class LoopJob:
    """Work that runs on an event loop of its own in a worker thread; ``cancel`` from any
    thread stops it at its next await. Subclasses call ``run_loop`` from their worker."""

    def __init__(self, store: Store, post: Callable[[Message], Any]) -> None:
        self.store = store
        self._post = post
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._cancelled = False

    def run_loop(self, main: Coroutine[Any, Any, Any]) -> Any:
        """Run ``main`` on a new event loop in this thread (raises ``CancelledError`` if the
        job was cancelled before or while it ran)."""

        async def registered() -> Any:
            """Note the loop and task for ``cancel``, then run ``main`` unless cancelled already."""
            with self._lock:
                if self._cancelled:
                    main.close()
                    raise asyncio.CancelledError
                self._loop = asyncio.get_running_loop()
                self._task = asyncio.current_task()
            return await main

        return asyncio.run(registered())

    def cancel(self) -> None:
        """Stop the run (at quit): its task is cancelled at the next await."""
        with self._lock:
            self._cancelled = True
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(task.cancel)

    def label_for(self, article_id: str, url: str) -> str:
        """``source · title`` for the status bar and notifications (safe text), else the URL."""
        try:
            article = self.store.article(article_id)
        except NewsdiffError:
            return safe(url)
        if article.title:
            return f"{safe(article.source)} · {safe(article.title)}"
        return safe(url)


class Refresh(LoopJob):
    """One refresh run; ``run`` in a worker thread, ``cancel`` from any thread."""

    def __init__(
        self,
        store: Store,
        options: Callable[[], CheckOptions],
        post: Callable[[Message], Any],
    ) -> None:
        super().__init__(store, post)
        self._options = options

    def run(self, request: RefreshRequest) -> None:
        """Check what ``request`` names; always ends by posting ``RefreshFinished``."""
        summary = None
        error = None
        try:
            summary = self.run_loop(self._main(request))
        except asyncio.CancelledError:
            error = "cancelled"
        except NewsdiffError as exc:
            error = str(exc)
        except Exception as exc:  # report it in the app; the next refresh starts afresh
            error = f"{type(exc).__name__}: {exc}"
        self._post(RefreshFinished(summary, due_run=request.due_run, error=error))

    async def _main(self, request: RefreshRequest) -> Any:
        """The run on this thread's event loop; returns the tracker's CheckSummary."""
        from newsdiff_tui.tracker import check_articles, fetch_run

        options = self._options()
        started = 0
        done = 0

        def on_event(event: CheckEvent) -> None:
            """The tracker's progress, as messages to the screen."""
            nonlocal started, done
            label = self.label_for(event.article_id, event.url)
            if event.state == "checking":
                started += 1
                self._post(CheckProgress(started, event.total, label, event.article_id))
            else:
                done += 1
                self._post(
                    ArticleChecked(
                        event.article_id, event.state, event.message, label, done, event.total
                    )
                )

        if request.article_ids is None:
            _, summary = await fetch_run(self.store, options=options, on_event=on_event)
            return summary
        articles = [self.store.article(article_id) for article_id in request.article_ids]
        return await check_articles(self.store, articles, options=options, on_event=on_event)
