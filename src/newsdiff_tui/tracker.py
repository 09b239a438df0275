"""Checking tracked articles: fetch, extract, compare and store, reporting progress as events.

``check_articles`` is the one entry point the CLI ``fetch`` and the TUI's refresh share. Per
article: a conditional GET (a 304 is an unchanged check), a body whose bytes hash the same as
at the last check is unchanged without extraction, otherwise the page is extracted in a process
pool (one worker per core, so extraction runs while the network waits) and the store decides
whether the normalised text is a new version (marking boring changes and reverts). A collapsed
extraction (paywall, consent wall, error page) is a failed check, never a version.

Every problem ends as a recorded failure on its article (``CheckState.last_error``, failures in
a row); stored versions are never changed by a failed check. Store writes run in one
background thread, in order, so fsyncs never block the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeVar

from newsdiff_tui.extract import collapse_reason, extract
from newsdiff_tui.feeds import DiscoverySummary, discover_from_feeds
from newsdiff_tui.fetch import Fetcher, FetchOptions, FetchResult
from newsdiff_tui.model import Article, ArticleText, CheckState
from newsdiff_tui.schedule import DEFAULT_POLICY, SchedulePolicy, is_due, next_check
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import utcnow

__all__ = [
    "CheckEvent",
    "CheckOptions",
    "CheckState",
    "CheckSummary",
    "DiscoverySummary",
    "check_articles",
    "discover_from_feeds",
    "due_articles",
    "fetch_run",
    "make_extract_pool",
]

State = Literal["checking", "changed", "unchanged", "failed", "skipped"]
T = TypeVar("T")


@dataclass(frozen=True)
class CheckOptions:
    """How a run checks: the fetcher's limits, and where extraction runs."""

    fetch: FetchOptions = field(default_factory=FetchOptions)
    # Extraction processes; None: one per core. 1 (or 0) extracts in a thread instead.
    workers: int | None = None
    # A pool to extract in, kept by the caller across runs (see ``make_extract_pool``);
    # when None a run with several articles makes its own and shuts it down at the end.
    executor: Executor | None = None
    # A page whose extraction takes longer fails its check (the worker finishes it unseen).
    extract_timeout: float = 60.0

    @classmethod
    def with_concurrency(cls, concurrency: int, **fetch_changes: object) -> CheckOptions:
        """Default options with another global concurrency (and other fetch settings)."""
        return cls(fetch=FetchOptions(concurrency=concurrency, **fetch_changes))  # type: ignore[arg-type]


@dataclass(frozen=True)
class CheckEvent:
    """Progress of one article in a run, for a progress bar or a log line."""

    article_id: str
    url: str
    index: int  # 1-based position in the run
    total: int
    state: State
    message: str
    version: int | None = None  # the new version's number when state == "changed"


@dataclass(frozen=True)
class CheckSummary:
    """What a run did."""

    checked: int
    changed: int
    unchanged: int
    failed: int
    network_ok: bool  # whether any request reached a server (False: offline or all refused)
    skipped: int = 0
    elapsed: float = 0.0  # seconds
    store_seconds: float = 0.0  # time the writer thread spent in store calls (fsyncs mostly)

    def line(self) -> str:
        """One line for people: 'checked 12: 3 changed, 8 unchanged, 1 failed'."""
        text = (
            f"checked {self.checked}: {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.failed} failed"
        )
        if self.skipped:
            text += f", {self.skipped} skipped"
        if self.checked and not self.network_ok:
            text += " (no server could be reached: offline?)"
        return text


def due_articles(
    store: Store, now: datetime | None = None, policy: SchedulePolicy = DEFAULT_POLICY
) -> list[Article]:
    """The articles due for a check at ``now``, most overdue first."""
    now = now or utcnow()
    due = [a for a in store.articles() if is_due(a, now, policy)]
    due.sort(key=lambda a: (next_check(a, policy, now) or now, a.id))
    return due


def make_extract_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool for extraction: one worker per core by default.

    Workers fork from a forkserver that has imported the extractor once, so they start fast
    and never inherit a threaded parent's state (the TUI runs workers in threads). As with any
    non-fork start method, a script using it must guard its entry point with
    ``if __name__ == "__main__":`` (workers import the main module). Workers ignore Ctrl+C:
    the parent decides what an interrupt means and shuts the pool down.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["newsdiff_tui.extract", "trafilatura"])
    else:
        context = multiprocessing.get_context("spawn")
    with _stderr_with_a_file_descriptor():
        pool = ProcessPoolExecutor(
            max_workers=workers or os.cpu_count() or 1,
            mp_context=context,
            initializer=_ignore_interrupts,
        )
        # Start the helper processes now, while stderr has a descriptor (see below).
        if context.get_start_method() == "forkserver":
            multiprocessing.forkserver.ensure_running()
    return pool


@contextlib.contextmanager
def _stderr_with_a_file_descriptor() -> Iterator[None]:
    """Point ``sys.stderr`` at the null device while multiprocessing starts its helpers, when
    the current one has no file descriptor.

    Textual replaces ``sys.stderr`` with an object whose ``fileno()`` is -1; multiprocessing
    passes ``sys.stderr.fileno()`` to the resource tracker it starts, and -1 makes that start
    fail with "bad value(s) in fds_to_keep". The null device keeps helper output off the screen.
    """
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable:
        yield
        return
    saved = sys.stderr
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        sys.stderr = devnull
        try:
            yield
        finally:
            sys.stderr = saved


def _ignore_interrupts() -> None:
    """Pool worker initializer: Ctrl+C reaches the whole process group; only the parent acts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _extract_job(html: str, url: str) -> ArticleText:
    """Run in a worker process: extraction with the page's final URL (for site rules)."""
    return extract(html, url)


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class _Run:
    """The state of one ``check_articles`` call."""

    def __init__(
        self,
        store: Store,
        total: int,
        options: CheckOptions,
        on_event: Callable[[CheckEvent], None] | None,
    ) -> None:
        self.store = store
        self.total = total
        self.options = options
        self.on_event = on_event
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdiff-store")
        self.pool: Executor | None = options.executor
        self.own_pool = False
        self.counts = {"changed": 0, "unchanged": 0, "failed": 0, "skipped": 0}
        self.network_ok = False
        self.store_seconds = 0.0

    def emit(
        self, article: Article, index: int, state: State, message: str, version: int | None = None
    ) -> None:
        if state != "checking":
            self.counts[state] += 1
        if self.on_event is not None:
            self.on_event(
                CheckEvent(article.id, article.url, index, self.total, state, message, version)
            )

    async def write(self, func: Callable[..., T], *args: object) -> T:
        """Run a store call in the writer thread (one at a time, in order)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.writer, self._timed, func, *args)

    def _timed(self, func: Callable[..., T], *args: object) -> T:
        started = time.perf_counter()
        try:
            return func(*args)
        finally:
            self.store_seconds += time.perf_counter() - started  # only the writer thread adds

    async def extract(self, html: str, url: str) -> ArticleText:
        workers = self.options.workers
        if self.pool is None and (self.total > 1 and (workers is None or workers > 1)):
            self.pool = make_extract_pool(workers)
            self.own_pool = True
        limit = self.options.extract_timeout
        if self.pool is None:
            return await asyncio.wait_for(asyncio.to_thread(_extract_job, html, url), limit)
        loop = asyncio.get_running_loop()
        pool = self.pool
        try:
            job = loop.run_in_executor(pool, _extract_job, html, url)
            return await asyncio.wait_for(job, limit)
        except BrokenProcessPool:
            # A worker died (a pathological page?): this page fails, later pages get a new pool.
            # Several jobs see the same broken pool; only the first replaces it.
            if self.own_pool and self.pool is pool:
                pool.shutdown(wait=False, cancel_futures=True)
                self.pool = make_extract_pool(workers)
            raise

    def close(self) -> None:
        self.writer.shutdown(wait=True)
        if self.own_pool and self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    # ----- one article -------------------------------------------------------------------
    async def check(self, fetcher: Fetcher, article: Article, index: int) -> None:
        try:
            await self._check(fetcher, article, index)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let one article end the run
            message = f"internal error: {type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):  # the store itself failed: report, carry on
                await self._fail(article, message, None)
            self.emit(article, index, "failed", message)

    async def _check(self, fetcher: Fetcher, article: Article, index: int) -> None:
        prev = article.check
        has_versions = article.version_count > 0
        result = await fetcher.fetch(
            article.url,
            # Without a stored version we need the body, so no conditional request.
            etag=prev.etag if has_versions else None,
            last_modified=prev.last_modified if has_versions else None,
            on_start=lambda: self.emit(article, index, "checking", f"fetching {article.url}"),
        )
        if result.reached_server:
            self.network_ok = True
        if result.error is not None:
            await self._fail(article, result.error, result)
            self.emit(article, index, "failed", result.error)
            return
        if result.not_modified:
            await self._succeed(article, result, prev.body_hash)
            self.emit(article, index, "unchanged", "not modified (HTTP 304)")
            return
        assert result.body is not None and result.text is not None
        body_hash = _body_hash(result.body)
        if has_versions and body_hash == prev.body_hash:
            await self._succeed(article, result, body_hash)
            self.emit(article, index, "unchanged", "same page as the last check")
            return
        try:
            text = await self.extract(result.text, result.final_url)
        except TimeoutError:
            message = f"extraction took longer than {self.options.extract_timeout:g} s"
            await self._fail(article, message, result)
            self.emit(article, index, "failed", message)
            return
        except Exception as exc:
            message = f"extraction failed: {type(exc).__name__}: {exc}"
            await self._fail(article, message, result)
            self.emit(article, index, "failed", message)
            return
        reason = collapse_reason(text, article.word_count if has_versions else None)
        if reason is not None:
            await self._fail(article, reason, result)
            self.emit(article, index, "failed", reason)
            return
        fetched_at = utcnow()
        state = _success_state(article, result, body_hash, fetched_at)
        version = await self.write(
            functools.partial(self.store.add_version, check=state), article.id, text, fetched_at
        )
        if version is None:
            self.emit(article, index, "unchanged", "text unchanged (only the page around it)")
            return
        notes = []
        if version.number == 0:
            notes.append("first version")
        if version.boring:
            notes.append("boring: punctuation or whitespace only")
        if version.revert_of is not None:
            notes.append(f"reverts to v{version.revert_of}")
        message = f"v{version.number}" + (f" ({', '.join(notes)})" if notes else "")
        self.emit(article, index, "changed", message, version.number)

    async def _succeed(self, article: Article, result: FetchResult, body_hash: str | None) -> None:
        state = _success_state(article, result, body_hash, utcnow())
        await self.write(self.store.record_check, article.id, state)

    async def _fail(self, article: Article, message: str, result: FetchResult | None) -> None:
        # Validators and the body hash stay those of the last good check, so the next check
        # neither gets a 304 for a page we refused nor skips extracting it again.
        prev = article.check
        state = CheckState(
            last_checked=utcnow(),
            last_error=message,
            failures=prev.failures + 1,
            etag=prev.etag,
            last_modified=prev.last_modified,
            body_hash=prev.body_hash,
            final_url=prev.final_url,
            checks=prev.checks + 1,
        )
        await self.write(self.store.record_check, article.id, state)


def _success_state(
    article: Article, result: FetchResult, body_hash: str | None, when: datetime
) -> CheckState:
    """The check state after a successful check (validators kept across a 304)."""
    prev = article.check
    return CheckState(
        last_checked=when,
        last_error=None,
        failures=0,
        etag=result.etag or (prev.etag if result.not_modified else None),
        last_modified=result.last_modified or (prev.last_modified if result.not_modified else None),
        body_hash=body_hash,
        final_url=result.final_url if result.final_url != article.url else None,
        checks=prev.checks + 1,
    )


async def check_articles(
    store: Store,
    articles: Sequence[Article],
    *,
    options: CheckOptions | None = None,
    on_event: Callable[[CheckEvent], None] | None = None,
) -> CheckSummary:
    """Check ``articles`` now (whether due or not), storing new versions and check results.

    ``on_event`` is called on the event loop's thread: a "checking" event when an article's
    request starts, then exactly one of "changed", "unchanged", "failed" or "skipped" (an
    article listed twice). Never raises for a failed article.
    """
    options = options or CheckOptions()
    loop = asyncio.get_running_loop()
    started = loop.time()
    run = _Run(store, len(articles), options, on_event)
    seen: set[str] = set()
    jobs = []
    try:
        async with Fetcher(options.fetch) as fetcher:
            for index, article in enumerate(articles, 1):
                if article.id in seen:
                    run.emit(article, index, "skipped", "listed twice in this run")
                    continue
                seen.add(article.id)
                jobs.append(run.check(fetcher, article, index))
            await asyncio.gather(*jobs)
        await run.write(store.flush)
    finally:
        await asyncio.to_thread(run.close)
    counts = run.counts
    return CheckSummary(
        checked=counts["changed"] + counts["unchanged"] + counts["failed"],
        changed=counts["changed"],
        unchanged=counts["unchanged"],
        failed=counts["failed"],
        network_ok=run.network_ok,
        skipped=counts["skipped"],
        elapsed=loop.time() - started,
        store_seconds=run.store_seconds,
    )


async def fetch_run(
    store: Store,
    *,
    check_all: bool = False,
    feeds: bool = True,
    options: CheckOptions | None = None,
    on_event: Callable[[CheckEvent], None] | None = None,
    on_feed: Callable[[str, str], None] | None = None,
    policy: SchedulePolicy = DEFAULT_POLICY,
) -> tuple[DiscoverySummary, CheckSummary]:
    """What ``newsdiff-tui fetch`` (and the TUI's "refresh all") does: read the feeds (tracking
    new articles), then check the due articles (or all with ``check_all``)."""
    options = options or CheckOptions()
    discovery = DiscoverySummary()
    if feeds:
        discovery = await discover_from_feeds(store, options=options.fetch, on_feed=on_feed)
    articles = store.articles() if check_all else due_articles(store, utcnow(), policy)
    summary = await check_articles(store, articles, options=options, on_event=on_event)
    return discovery, summary
