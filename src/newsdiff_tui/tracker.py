"""Checking tracked articles: fetch, extract, compare and store, reporting progress as events.

``check_articles`` is the one entry point the CLI ``fetch`` and the TUI's refresh share. Per
article: a conditional GET (a 304 is an unchanged check), a body whose bytes hash the same as
at the last check is unchanged without extraction, otherwise the page is extracted in a process
pool (one worker per core, so extraction runs while the network waits; the worker also diffs
the new text against the stored one, for the change summary) and the store decides whether the
normalised text is a new version (marking boring changes and reverts). A collapsed extraction
(paywall, consent wall, error page) is a failed check, never a version.

Every problem ends as a recorded failure on its article (``CheckState.last_error``, failures in
a row); stored versions are never changed by a failed check. Store writes run in one
background thread in groups (``Store.batch``): whatever queues up while one group commits goes
into the next, so a run pays a couple of disk flushes per group rather than three per article.
A run claims its articles first (``claims.py``), so overlapping runs never check one article
twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
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
from pathlib import Path
from typing import Any, Literal, TypeVar

from newsdiff_tui.claims import RunClaims
from newsdiff_tui.diff import ArticleDiff, diff
from newsdiff_tui.errors import CacheError, NewsdiffError
from newsdiff_tui.extract import collapse_reason, extract
from newsdiff_tui.feeds import DiscoverySummary, discover_from_feeds
from newsdiff_tui.fetch import Fetcher, FetchOptions, FetchResult, SiteSlowdown
from newsdiff_tui.model import Article, ArticleText, CheckState
from newsdiff_tui.schedule import DEFAULT_POLICY, SchedulePolicy, is_due, next_check
from newsdiff_tui.store import Store, read_latest_version
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
# A group commit waits this long for more writes to join it, unless it has enough already:
# a run's writes then share their disk flushes; one write waits at most this long more.
GROUP_WAIT = 0.05
GROUP_ENOUGH = 16
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


@dataclass(frozen=True)
class CheckEvent:
    """Progress of one article in a run, for a progress bar or a log line."""

    article_id: str
    url: str
    index: int  # 1-based position in the run
    total: int
    state: State
    message: str  # what happened, for people ("not modified (HTTP 304)", "first version")
    version: int | None = None  # the new version's number when state == "changed"
    title: str = ""  # the article's title (the new version's when changed); "" if none yet
    # When changed from an earlier version: the diff from it, for a change summary. Only the
    # stats and the title and byline diffs travel back from the extraction worker
    # (``paragraphs`` is empty).
    diff: ArticleDiff | None = None


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
    slowdowns: tuple[SiteSlowdown, ...] = ()  # sites that made us wait (429/503, errors)
    store_groups: int = 0  # group commits the writer made

    def line(self) -> str:
        """One line for people: 'checked 12: 3 changed, 8 unchanged, 1 failed in 4.2 s', and
        which sites slowed the run down ('; news.example slowed us: 429 x3, waited 12 s')."""
        text = (
            f"checked {self.checked}: {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.failed} failed"
        )
        if self.skipped:
            text += f", {self.skipped} skipped"
        text += f" in {self.elapsed:.1f} s"
        if self.checked and not self.network_ok:
            text += " (no server could be reached: offline?)"
        shown = [s.line() for s in self.slowdowns[:3]]
        if len(self.slowdowns) > 3:
            shown.append(f"{len(self.slowdowns) - 3} more sites slowed us")
        return "; ".join([text, *shown])


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


@dataclass(frozen=True)
class _Extracted:
    """What an extraction job sends back: the text, and how it differs from the stored one."""

    text: ArticleText
    base: int | None  # the stored version the diff is from (None: none was readable)
    diff: ArticleDiff | None  # paragraph bodies left out (see ``CheckEvent.diff``)


def _extract_and_compare(html: str, url: str, shard: str | None) -> _Extracted:
    """Run in a worker process: extract, then diff against the latest version in ``shard``.

    The diff runs here rather than in the parent so that a pass over many changed pages keeps
    the parent (network, store) free; only its summary is sent back.
    """
    text = _extract_job(html, url)
    base = None
    if shard is not None:
        with contextlib.suppress(CacheError):  # the store reports a damaged shard itself
            base = read_latest_version(Path(shard))
    if base is None:
        return _Extracted(text, None, None)
    new = text.normalized()
    if new.hash_as_is() == base.text_hash:
        return _Extracted(text, base.number, None)
    summary = dataclasses.replace(diff(base.text, new), paragraphs=())
    return _Extracted(text, base.number, summary)


def _body_hash(body: bytes) -> str:
    """The SHA-256 of a fetched body, to skip extracting a page that did not change."""
    return hashlib.sha256(body).hexdigest()


class _GroupWriter:
    """Store writes from the event loop, run by one thread in groups (group commit).

    ``write`` queues a call; one drain task hands everything queued to the thread as one
    ``Store.batch``, and what queues up meanwhile goes into the next group. While more writes
    are expected, a group waits ``GROUP_WAIT`` for them first. A call's result
    (or its exception) comes back only once its group is durable, so an event reported after
    ``await write(...)`` is never lost. A call that raises fails alone; a group whose commit
    fails fails all its calls.
    """

    def __init__(self, store: Store, expecting: Callable[[], bool] = lambda: False) -> None:
        self.store = store
        self.expecting = expecting  # whether more writes are on their way (worth waiting for)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdiff-store")
        self.queue: list[tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]] = []
        self.draining: asyncio.Task[None] | None = None
        self.seconds = 0.0  # spent in store calls and commits (the thread's own time)
        self.groups = 0
        self.gather = GROUP_WAIT

    async def write(self, func: Callable[..., T], *args: object) -> T:
        """Queue ``func(*args)`` for the next group; its result comes once the group is durable."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.queue.append((func, args, future))
        if self.draining is None or self.draining.done():
            self.draining = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        """Hand the queue to the writer thread group after group until it is empty."""
        loop = asyncio.get_running_loop()
        while self.queue:
            if self.gather > 0 and len(self.queue) < GROUP_ENOUGH and self.expecting():
                await asyncio.sleep(self.gather)  # let a few more writes join the group
            group, self.queue = self.queue, []
            try:
                results = await loop.run_in_executor(self.thread, self._commit, group)
            except BaseException:
                # Cancelled (the run is being torn down) or the thread is gone: nobody may
                # wait for ever; the commit itself, if it started, finishes in its thread.
                for _func, _args, future in group:
                    if not future.done():
                        future.set_exception(CacheError("the store write was interrupted"))
                raise
            for (_func, _args, future), (ok, value) in zip(group, results, strict=True):
                if future.done():  # its waiter was cancelled; the write happened anyway
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _commit(self, group: list[Any]) -> list[tuple[bool, Any]]:
        """In the writer thread: run a group's calls in one store batch."""
        started = time.perf_counter()
        results: list[tuple[bool, Any]] = []
        try:
            with self.store.batch():
                for func, args, _future in group:
                    try:
                        results.append((True, func(*args)))
                    except Exception as exc:
                        results.append((False, exc))
        except Exception as exc:  # the commit itself failed: nothing of the group is stored
            results = [(False, exc)] * len(group)
        finally:
            self.groups += 1
            self.seconds += time.perf_counter() - started
        return results

    async def aclose(self) -> None:
        """Finish every queued write (also when the run was interrupted), then stop."""
        while self.draining is not None and not self.draining.done():
            await asyncio.wait({self.draining})
        if self.queue:  # queued after the drain task was cancelled: commit them here
            group, self.queue = self.queue, []
            await asyncio.to_thread(self._commit, group)
        await asyncio.to_thread(self.thread.shutdown, True)


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
        self.writer = _GroupWriter(store, lambda: self.writes < self.checks)
        self.checks = 0  # articles this run checks (each ends with one store write)
        self.writes = 0  # store writes asked for so far
        self.pool: Executor | None = options.executor
        self.own_pool = False
        self.counts = {"changed": 0, "unchanged": 0, "failed": 0, "skipped": 0}
        self.network_ok = False

    def emit(
        self,
        article: Article,
        index: int,
        state: State,
        message: str,
        version: int | None = None,
        *,
        title: str | None = None,
        change: ArticleDiff | None = None,
    ) -> None:
        """Count the article's outcome ``state`` and report it to ``on_event`` as a CheckEvent."""
        if state != "checking":
            self.counts[state] += 1
        if self.on_event is not None:
            self.on_event(
                CheckEvent(
                    article.id,
                    article.url,
                    index,
                    self.total,
                    state,
                    message,
                    version,
                    title=article.title if title is None else title,
                    diff=change,
                )
            )

    async def write(self, func: Callable[..., T], *args: object) -> T:
        """Run a store call in the writer thread; returns once it is durable."""
        self.writes += 1
        return await self.writer.write(func, *args)

    async def extract(self, html: str, url: str, shard: str | None) -> _Extracted:
        """Extract ``html`` and diff it with the stored text, in a process pool or a thread."""
        workers = self.options.workers
        if self.pool is None and (self.total > 1 and (workers is None or workers > 1)):
            self.pool = make_extract_pool(workers)
            self.own_pool = True
        limit = self.options.extract_timeout
        if self.pool is None:
            job = asyncio.to_thread(_extract_and_compare, html, url, shard)
            return await asyncio.wait_for(job, limit)
        loop = asyncio.get_running_loop()
        pool = self.pool
        try:
            future = loop.run_in_executor(pool, _extract_and_compare, html, url, shard)
            return await asyncio.wait_for(future, limit)
        except BrokenProcessPool:
            # A worker died (a pathological page?): this page fails, later pages get a new pool.
            # Several jobs see the same broken pool; only the first replaces it.
            if self.own_pool and self.pool is pool:
                pool.shutdown(wait=False, cancel_futures=True)
                self.pool = make_extract_pool(workers)
            raise

    async def close(self) -> None:
        """Finish the queued writes and shut down the pool this run made."""
        await self.writer.aclose()
        if self.own_pool and self.pool is not None:
            await asyncio.to_thread(self.pool.shutdown, True, cancel_futures=True)

    # ----- one article -------------------------------------------------------------------
    async def check(self, fetcher: Fetcher, article: Article, index: int) -> None:
        """Check one article; any error fails that article alone, never the run."""
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
        """Fetch the article; if the page changed, extract it; store the check and any new text."""
        prev = article.check
        has_versions = article.version_count > 0
        result = await fetcher.fetch(
            article.url,
            # Without a stored version we need the body, so no conditional request.
            etag=prev.etag if has_versions else None,
            last_modified=prev.last_modified if has_versions else None,
            on_start=lambda: self.emit(article, index, "checking", f"fetching {article.url}"),
        )
        if result.reached_server or result.refused:  # a refusal is ours, not the network's
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
        shard = str(self.store.shard_path(article.id)) if has_versions else None
        try:
            extracted = await self.extract(result.text, result.final_url, shard)
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
        text = extracted.text
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
            notes.append(f"first version ({version.text.word_count} words)")
        if version.boring:
            notes.append("boring: punctuation or whitespace only")
        if version.revert_of is not None:
            notes.append(f"reverts to v{version.revert_of}")
        # The worker's diff counts only if no other version was stored in between.
        change = extracted.diff if extracted.base == version.number - 1 else None
        self.emit(
            article,
            index,
            "changed",
            ", ".join(notes),
            version.number,
            title=version.text.title,
            change=change,
        )

    async def _succeed(self, article: Article, result: FetchResult, body_hash: str | None) -> None:
        """Store a successful check (validators and body hash of this answer)."""
        state = _success_state(article, result, body_hash, utcnow())
        await self.write(self.store.record_check, article.id, state)

    async def _fail(self, article: Article, message: str, result: FetchResult | None) -> None:
        """Store a failed check, counting the failure in a row."""
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
    fetcher: Fetcher | None = None,
    still_due: Callable[[Article], bool] | None = None,
) -> CheckSummary:
    """Check ``articles`` now (whether due or not), storing new versions and check results.

    The articles are claimed first: one that another live run (another ``fetch``, the app)
    is checking is skipped, and each is checked from its latest recorded state. With
    ``still_due``, an article that another run checked meanwhile and is no longer due is
    left out. ``fetcher`` lets a caller share one fetcher (and its manners per site) with
    other work; by default the run makes its own.

    ``on_event`` is called on the event loop's thread: a "checking" event when an article's
    request starts, then exactly one of "changed", "unchanged", "failed" or "skipped" (an
    article listed twice, or claimed by another run). Never raises for a failed article.
    """
    options = options or CheckOptions()
    loop = asyncio.get_running_loop()
    started = loop.time()
    run = _Run(store, len(articles), options, on_event)
    claims = RunClaims(store)
    own_fetcher = fetcher is None
    client = fetcher or Fetcher(options.fetch)
    try:
        unique: list[tuple[int, Article]] = []
        seen: set[str] = set()
        for index, article in enumerate(articles, 1):
            if article.id in seen:
                run.emit(article, index, "skipped", "listed twice in this run")
            else:
                seen.add(article.id)
                unique.append((index, article))
        _, taken = await asyncio.to_thread(claims.claim, [a.id for _, a in unique])
        await asyncio.to_thread(store.refresh)  # what other runs recorded until now
        jobs = []
        for index, article in unique:
            if article.id in taken:
                holder = taken[article.id]
                run.emit(article, index, "skipped", f"being checked by another run ({holder})")
                continue
            current = _latest(store, article)
            if still_due is not None and not still_due(current):
                run.emit(current, index, "skipped", "checked meanwhile by another run")
                continue
            jobs.append(run.check(client, current, index))
        run.checks = len(jobs)
        await asyncio.gather(*jobs)
    finally:
        try:
            await run.close()
        finally:
            if own_fetcher:
                await client.aclose()
            await asyncio.to_thread(claims.release)
    counts = run.counts
    return CheckSummary(
        checked=counts["changed"] + counts["unchanged"] + counts["failed"],
        changed=counts["changed"],
        unchanged=counts["unchanged"],
        failed=counts["failed"],
        network_ok=run.network_ok,
        skipped=counts["skipped"],
        elapsed=loop.time() - started,
        store_seconds=run.writer.seconds,
        slowdowns=tuple(client.slowdowns()),
        store_groups=run.writer.groups,
    )


def _latest(store: Store, article: Article) -> Article:
    """The article as the index now has it (another run may have checked it meanwhile)."""
    try:
        return store.article(article.id)
    except NewsdiffError:  # deleted meanwhile, or a damaged index: check what we were given
        return article


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
    new articles), then check the due articles (or all with ``check_all``). One fetcher serves
    both, so a site that slowed the feeds down is treated gently by the checks too."""
    options = options or CheckOptions()
    discovery = DiscoverySummary()
    async with Fetcher(options.fetch) as fetcher:
        if feeds:
            discovery = await discover_from_feeds(store, fetcher=fetcher, on_feed=on_feed)
        now = utcnow()
        articles = store.articles() if check_all else due_articles(store, now, policy)
        summary = await check_articles(
            store,
            articles,
            options=options,
            on_event=on_event,
            fetcher=fetcher,
            still_due=None if check_all else (lambda a: is_due(a, utcnow(), policy)),
        )
    return discovery, summary
