"""The main screen: the article list, the selected article's versions and a diff.

Handlers and key actions only decide and swap results in; anything that reads files, diffs,
wraps long text or writes runs in a thread worker (``@work(thread=True, exclusive=True,
exit_on_error=False)``, one group per kind of work), and comes back as a message from
``tui.messages``. Every worker has a ``description``: without one Textual describes a worker
by the ``repr`` of its arguments, on the UI thread (0.4 s for a 20,000-paragraph version).
A newer request in a group cancels the older one, and a result for an article the cursor has
left is dropped, so moving fast never waits for stale work.

The reader's place is kept: a reload (after a refresh, or another process's ``fetch``) keeps
the article and the version under the cursor and says "new version" in the status bar; Escape
on a filter keeps the chosen article; status messages are cleared when you move.
"""

from __future__ import annotations

import gc
import time
import webbrowser
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState, get_current_worker

from newsdiff_tui.config import ViewSettings, ViewState
from newsdiff_tui.difftext import stats_compact
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.model import Article, Version
from newsdiff_tui.schedule import describe_next_check
from newsdiff_tui.search import compact_ranges
from newsdiff_tui.store import Store, article_from_doc
from newsdiff_tui.textnorm import plural
from newsdiff_tui.timeutil import from_iso, to_iso
from newsdiff_tui.tui import keys
from newsdiff_tui.tui.activity import step_aside
from newsdiff_tui.tui.backfill import Backfill, finished_notice, progress_text
from newsdiff_tui.tui.commands import NewsdiffCommands
from newsdiff_tui.tui.diffmemo import DiffMemo
from newsdiff_tui.tui.fmt import ago, clock_time, failure_text, safe
from newsdiff_tui.tui.messages import (
    ActionFailed,
    ArticleAdded,
    ArticleChecked,
    ArticleDeleted,
    ArticleUnreadable,
    BackfillFinished,
    BackfillPaused,
    BackfillProgress,
    BrowserOpened,
    CheckProgress,
    ExportWritten,
    IndexReloaded,
    RefreshFinished,
    StatsComputed,
    TextSearchDone,
    TextSearchProgress,
    VersionsLoaded,
)
from newsdiff_tui.tui.refresh import Refresh, RefreshRequest
from newsdiff_tui.tui.rows import (
    MODE_WORDS,
    SORT_KEYS,
    SORT_LABELS,
    ArticleRows,
    SortKey,
    TextMatches,
    long_lived_allocations,
    text_query,
)
from newsdiff_tui.tui.screens.dialogs import AddUrlDialog, ConfirmDialog
from newsdiff_tui.tui.screens.help import HelpScreen
from newsdiff_tui.tui.screens.stats import StatsScreen
from newsdiff_tui.tui.widgets.article_list import ArticleList
from newsdiff_tui.tui.widgets.bars import AppHeader, StatusBar
from newsdiff_tui.tui.widgets.diff_view import DiffContent, DiffView
from newsdiff_tui.tui.widgets.filter_box import FilterBox, FilterMode
from newsdiff_tui.tui.widgets.timeline import VersionTimeline
from newsdiff_tui.urls import url_problem

if TYPE_CHECKING:
    from newsdiff_tui.tracker import CheckOptions

Clock = Callable[[], datetime]
NARROW_BELOW = 100  # columns: below this the list sits above the versions and the diff
FAILURE_NOTICES = 3  # failures notified one by one per refresh; the rest are summed up
POST_EVERY = 0.1  # seconds between two batches of stats from the stats worker
HINT = "Tab: next pane · Enter: open · b: compare any two versions · z: zoom · ?: every key"
EMPTY_STATE: tuple[str | Text, ...] = (
    Text("No articles yet.", "bold"),
    "",
    Text.assemble(
        "Press ",
        ("a", "bold"),
        " to add an article by its URL, then ",
        ("r", "bold"),
        " to check it,",
    ),
    Text.assemble("or run ", ("newsdiff-tui add URL", "bold"), " in a shell."),
    "",
    Text.assemble("To explore first: ", ("newsdiff-tui --demo", "bold")),
    Text.assemble("Every key: ", ("?", "bold"), "  ·  every command: ", ("Ctrl+P", "bold")),
)


class MainScreen(Screen[None]):
    """Three panes over one cache: articles, the selected article's versions, a diff."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *keys.screen_bindings(),
        Binding("escape", "escape", "Clear", show=False, id="app.escape"),
    ]
    COMMANDS: ClassVar[set[Any]] = {NewsdiffCommands}
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"),
        (NARROW_BELOW, "-wide"),
    ]
    ALLOW_IN_MAXIMIZED_VIEW: ClassVar[str] = "AppHeader, StatusBar, Footer"

    def __init__(
        self,
        store: Store,
        docs: list[dict[str, Any]],
        *,
        clock: Clock,
        tz: tzinfo | None,
        view: ViewSettings,
        check_options: Callable[[], CheckOptions],
        remember: Callable[[ViewState], None],
        export_dir: Path | None = None,
        watch_interval: float | None = None,
    ) -> None:
        """The screen over ``store`` listing its index ``docs``; ``remember`` saves the view."""
        super().__init__()
        self.store = store
        self.clock = clock
        self.tz = tz
        self.view = view
        self.export_dir = export_dir
        self.watch_interval = watch_interval
        self._check_options = check_options
        self._remember = remember
        self.rows = ArticleRows(docs, sort=view.sort if view.sort in SORT_KEYS else "changed")
        self.diffs = DiffMemo()
        self.article_id: str | None = None  # the cursor's article (shown, or being loaded)
        self.shown_id: str | None = None  # the article whose versions the timeline holds
        self.network_ok: bool | None = None
        self.refresh_job: Refresh | None = None
        self.backfill_job: Backfill | None = None
        self._backfill_for: str | None = None  # the article of the running or last backfill
        self._diff_key: tuple[Any, ...] | None = None  # what the diff view was asked to show
        self.blame_on = False  # the diff pane shows the blame of the selected version (B)
        self._search_token = 0  # the latest text search asked for
        self._failures_noticed = 0
        self._asked: set[str] = set()  # articles the running refresh checks because you asked
        self._follow: set[str] = set()  # of those, the ones that changed: show their latest
        self._index_running = False
        self._index_again: tuple[bool, str | None] | None = None

    # ----- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ArticleList(self.rows, now=self.clock, tz=self.tz, id="articles")
                yield FilterBox(switch_key=self._key_of("articles.search_text"), id="filter")
            with Vertical(id="right"):
                yield VersionTimeline(tz=self.tz, id="timeline")
                yield DiffView(pair_diff=self.diffs.get, id="diff")
        yield StatusBar(id="status")
        yield Footer()

    @property
    def articles(self) -> ArticleList:
        """The article list."""
        return self.query_one("#articles", ArticleList)

    @property
    def timeline(self) -> VersionTimeline:
        """The selected article's versions."""
        return self.query_one("#timeline", VersionTimeline)

    @property
    def diff_view(self) -> DiffView:
        """The diff of the selected pair."""
        return self.query_one("#diff", DiffView)

    @property
    def header(self) -> AppHeader:
        """The top line: counts, freshness, the last failure, the pair."""
        return self.query_one("#header", AppHeader)

    @property
    def status(self) -> StatusBar:
        """The bottom line: messages and the view's settings."""
        return self.query_one("#status", StatusBar)

    @property
    def filter_box(self) -> FilterBox:
        """The filter's input (shown by /)."""
        return self.query_one("#filter", FilterBox)

    def _key_of(self, binding_id: str) -> str:
        """How a command's key is written, as the user's keymap has it."""
        command = next(c for c in keys.COMMANDS if c.id == binding_id)
        return keys.key_label(command, getattr(self.app, "keymap_overrides", None))

    @property
    def refreshing(self) -> bool:
        """Whether a refresh runs now."""
        return self.refresh_job is not None

    def on_mount(self) -> None:
        """Apply the saved view, focus the list and, with ``watch_interval``, poll the cache."""
        self.articles.border_title = "Articles"
        self.timeline.border_title = "Versions"
        self.diff_view.border_title = "Diff"
        self.diff_view.split = self.view.split
        self.diff_view.fold = self.view.fold
        self.timeline.show_boring = self.view.show_boring
        self.articles.reload()
        if not self.rows:
            self.select_article(None)  # no article to highlight: say how to add one
        self.articles.focus()
        self.update_header(self.rows.changed_since(self._midnight()), self.rows.last_checked())
        self.update_view_status()
        self.say(HINT)
        if self.watch_interval:
            self.set_interval(self.watch_interval, self.poll_store)

    def on_unmount(self) -> None:
        """Cancel a refresh or backfill still running."""
        if self.refresh_job is not None:
            self.refresh_job.cancel()
        if self.backfill_job is not None:
            self.backfill_job.cancel()

    # ----- header and status ------------------------------------------------------------
    def _midnight(self) -> str:
        """Today's midnight in the display time zone, as the index writes times (ISO UTC)."""
        now = self.clock()
        midnight = now.astimezone(self.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        return to_iso(midnight) or ""

    def update_header(self, changed_today: int, last_checked: str | None) -> None:
        """Counts, and how fresh the cache is: online/offline after a refresh of ours, else
        the last check anyone made (a cron ``fetch``, the CLI) as the index records it."""
        total = self.rows.total
        noun = "article" if total == 1 else "articles"
        self.header.summary = f"{total} {noun} · {changed_today} changed today"
        if self.network_ok is not None:
            self.header.network = "online" if self.network_ok else "offline"
        elif last_checked:
            moment = from_iso(last_checked)
            self.header.network = f"last check {ago(moment, self.clock())}" if moment else ""
        else:
            self.header.network = "never checked" if total else ""

    def update_view_status(self) -> None:
        """The sort, filter and display modes on the right of the status bar."""
        parts = [f"sort: {SORT_LABELS[self.rows.sort]}"]
        if self.rows.filter:
            parts.append(f"filter “{self.rows.filter}”: {len(self.rows)} of {self.rows.total}")
        if self.rows.search:
            parts.append(f"text “{self.rows.search.typed}”: {len(self.rows)} of {self.rows.total}")
        if self.diff_view.split:
            parts.append("side by side")
        if self.diff_view.fold:
            parts.append("folded")
        if self.blame_on:
            parts.append("blame")
        if self.timeline.show_boring:
            parts.append("boring shown")
        self.status.view = " · ".join(parts)
        sort = SORT_LABELS[self.rows.sort]
        if self.rows.search:
            found = plural(self.rows.search.versions, "version")
            self.articles.border_subtitle = f"{len(self.rows)} · {found} found · by {sort}"
        elif self.rows.total:
            self.articles.border_subtitle = f"{len(self.rows)} · by {sort}"
        else:
            self.articles.border_subtitle = "empty · press a to add a URL"

    def say(self, message: str | Text) -> None:
        """Put a short message in the status bar (web text in it must be ``safe`` already)."""
        self.status.message = message

    def remember_view(self) -> None:
        """Let the app remember split, fold and sort for the next run."""
        self._remember(ViewState(self.rows.sort, self.diff_view.split, self.diff_view.fold))

    # ----- selection: an article ----------------------------------------------------------
    def on_article_list_highlighted(self, message: ArticleList.Highlighted) -> None:
        """Show the article the cursor moved to (and its text-search hit)."""
        if message.article_id != self.article_id:
            if not self.refreshing and not self.backfilling and self.article_id is not None:
                self.say("")  # a message about where you were no longer applies
            self.select_article(message.article_id)
            self.say_search_hit(message.article_id)

    def on_article_list_opened(self, message: ArticleList.Opened) -> None:
        """Enter on an article: go to its versions."""
        self.timeline.focus()

    def select_article(self, article_id: str | None) -> None:
        """Show an article: its check state at once, its versions when the worker read them."""
        self.article_id = article_id
        if article_id is None:
            self.shown_id = None
            self.timeline.set_versions([])
            self.timeline.set_check_note("")
            self.header.problem = ""
            if self.rows.total == 0:
                self.show_message(EMPTY_STATE)
            else:
                self.show_message(
                    [
                        Text.assemble("No article matches “", self.rows.narrowed_by, "”."),
                        "",
                        "Edit the filter, or press Escape to clear it.",
                    ]
                )
            return
        self.show_check_state(article_id)
        self.load_versions(article_id)

    def show_check_state(self, article_id: str) -> None:
        """The next check, and the last check's failure if it failed, from the index."""
        doc = self.rows.doc_of(article_id)
        if doc is None:
            return
        try:
            article = article_from_doc(doc)
        except (KeyError, TypeError, ValueError):
            return
        label = describe_next_check(article, self.clock())
        label = label if label.startswith("won't") else f"next check {label}"
        problem = failure_text(article.check.last_error, article.check.failures)
        self.header.problem = problem
        # A Text, so that Textual does not read the server's words as markup.
        subtitle = f"last check failed: {problem} · {label}" if problem else label
        self.timeline.set_check_note(Text(subtitle))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="versions",
        description="read an article's versions",
    )
    def load_versions(self, article_id: str) -> None:
        """Read an article's versions (its whole file) off the UI thread."""
        worker = get_current_worker()
        try:
            versions = self.store.versions(article_id)
        except NewsdiffError as exc:
            self.post_message(ArticleUnreadable(article_id, str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(VersionsLoaded(article_id, versions))

    def on_versions_loaded(self, message: VersionsLoaded) -> None:
        """Show the loaded versions; a reload of the same article stays on the reader's version."""
        if message.article_id != self.article_id:
            return  # the cursor has moved on
        timeline = self.timeline
        if message.article_id == self.shown_id:
            # A reload of the article on screen: stay on the version the reader is on, unless
            # they asked for this check (r, a) and it found a new version: then show it.
            selected = timeline.selected.number if timeline.selected else None
            before = len(timeline.versions)
            follow = message.article_id in self._follow
            self._follow.discard(message.article_id)
            # Versions seen earlier (a backfill, an import) shift the numbers after them.
            keep = None if follow else timeline.renumbered(selected, message.versions)
            base = timeline.renumbered(timeline.base, message.versions)
            newer = timeline.seen_after_latest(message.versions)
            timeline.set_versions(message.versions, select=keep, base=base)
            added = len(message.versions) - before
            if added > 0 and keep is not None and newer:
                latest = message.versions[-1].number
                noun = "version" if added == 1 else "versions"
                self.say(f"New {noun} of this article, up to v{latest} · End shows the latest")
            elif added > 0 and keep is not None and message.article_id != self._backfill_for:
                noun = "version" if added == 1 else "versions"
                self.say(f"{added} earlier {noun} of this article stored · you stay on v{keep}")
        else:
            timeline.set_versions(message.versions)
        self.shown_id = message.article_id
        self.show_selected_diff()
        self.start_stats()

    def on_article_unreadable(self, message: ArticleUnreadable) -> None:
        """Say that the selected article cannot be read, and why."""
        if message.article_id != self.article_id:
            return
        self.shown_id = None
        self.timeline.set_versions([])
        self.set_pair_title("")
        self.show_message([Text("This article cannot be read.", "bold"), "", safe(message.error)])

    # ----- selection: a version, and the diff ---------------------------------------------
    def on_version_timeline_highlighted(self, message: VersionTimeline.Highlighted) -> None:
        """Show the diff of the version the cursor moved to."""
        if not self.refreshing and not self.backfilling:
            self.say("")
        self.show_selected_diff()

    def on_version_timeline_opened(self, message: VersionTimeline.Opened) -> None:
        """Enter on a version: go to its diff."""
        self.diff_view.focus()

    def set_pair_title(self, label: str) -> None:
        """Name what the diff pane shows (e.g. "Diff v1 → v2") on its border and in the header."""
        self.diff_view.border_title = label or "Diff"
        self.header.pair = label

    def show_message(self, lines: Any) -> None:
        """Show ``lines`` in the diff pane instead of a diff."""
        self._diff_key = None
        self.diff_view.show_message(lines)

    def show_selected_diff(self) -> None:
        """Show the selected version against the base (if marked) or the one before it."""
        timeline = self.timeline
        selected = timeline.selected
        if selected is None:
            self.set_pair_title("")
            self.show_message(
                [
                    Text("No version stored yet.", "bold"),
                    "",
                    "Press r to check this article now.",
                ]
            )
            return
        if self.blame_on:
            self.show_selected_blame(selected)
            return
        old: Version | None = None
        if timeline.base is not None and timeline.base != selected.number:
            old = next((v for v in timeline.versions if v.number == timeline.base), None)
        if old is None:
            old = timeline.previous_of(selected)
        if old is None:
            self.set_pair_title(f"Text v{selected.number} (first version)")
            self._show(("text", selected.text_hash), DiffContent(single=selected.text))
            return
        labels = (
            f"v{old.number} · {clock_time(old.fetched_at, self.tz)}",
            f"v{selected.number} · {clock_time(selected.fetched_at, self.tz)}",
        )
        based = " (base)" if timeline.base == old.number else ""
        self.set_pair_title(f"Diff v{old.number} → v{selected.number}{based}")
        key = ("pair", old.text_hash, selected.text_hash, labels)
        self._show(key, DiffContent(pair=(old, selected), labels=labels))

    def show_selected_blame(self, selected: Version) -> None:
        """Show which version brought each sentence of the selected version (the diff view's
        worker blames it: a walk over the history up to it)."""
        versions = tuple(self.timeline.versions)
        position = next(n for n, v in enumerate(versions) if v.number == selected.number)
        self.set_pair_title(f"Blame v{selected.number}")
        key = ("blame", position, tuple(v.text_hash for v in versions))
        self._show(key, DiffContent(blame=(versions, position)))

    def _show(self, key: tuple[Any, ...], content: DiffContent) -> None:
        """Hand content to the diff view unless it shows that already (a reload of the same
        article must not wrap a long diff again)."""
        if key != self._diff_key:
            self._diff_key = key
            self.diff_view.show(content)

    def start_stats(self) -> None:
        """Compute the stats the timeline's rows still lack, in the stats worker."""
        pairs = self.timeline.neighbour_pairs()
        if pairs and self.shown_id is not None:
            self.compute_stats(self.shown_id, pairs)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="stats",
        description="the timeline's change stats",
    )
    def compute_stats(self, article_id: str, pairs: list[tuple[Version, Version]]) -> None:
        """The timeline's change stats, nearest the cursor first, posted in batches."""
        worker = get_current_worker()
        found: dict[tuple[int, int], str] = {}
        posted = time.monotonic()
        for n, (old, new) in enumerate(pairs, 1):
            if worker.is_cancelled:
                return
            found[(old.number, new.number)] = stats_compact(self.diffs.get(old, new))
            if n < len(pairs):
                step_aside()  # let the UI thread have the GIL, above all while it answers a key
            if time.monotonic() - posted >= POST_EVERY:
                self.post_message(StatsComputed(article_id, found))
                found, posted = {}, time.monotonic()
        if found and not worker.is_cancelled:
            self.post_message(StatsComputed(article_id, found))

    def on_stats_computed(self, message: StatsComputed) -> None:
        """Show the versions' change figures, if still for the article on screen."""
        if message.article_id == self.shown_id:
            self.timeline.set_stats(message.stats)

    def selected_article(self) -> Article | None:
        """The cursor's article from the index, or None."""
        if self.article_id is None:
            return None
        try:
            return self.store.article(self.article_id)
        except NewsdiffError:
            return None

    # ----- the index --------------------------------------------------------------------
    def reload_index(self, *, poll: bool = False, select: str | None = None) -> None:
        """Re-read the index in a worker (one at a time; a request meanwhile runs after it)."""
        if self._index_running:
            poll_before, select_before = self._index_again or (True, None)
            self._index_again = (poll and poll_before, select or select_before)
            return
        self._index_running = True
        self.index_worker(poll, select)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="index",
        description="read the index",
    )
    def index_worker(self, poll: bool, select: str | None) -> None:
        """Pick up index changes (``poll``: only if another process wrote) and build the
        list's rows from them, sorted and filtered, off the UI thread."""
        worker = get_current_worker()
        try:
            if poll and not self.store.refresh():
                return
            gc.unfreeze()  # let the documents being replaced be collected
            with long_lived_allocations():
                rows = self.rows.with_docs(self.store.index_docs())
        except NewsdiffError as exc:
            self.post_message(ActionFailed("cache", f"cache: {exc}"))
            return
        changed_today = rows.changed_since(self._midnight())
        last_checked = rows.last_checked()
        if not worker.is_cancelled:
            self.post_message(IndexReloaded(rows, select, changed_today, last_checked))

    def on_index_reloaded(self, message: IndexReloaded) -> None:
        """Swap in the reloaded index, keeping the sort, filter, search and the cursor's article."""
        rows = message.rows
        if rows.sort != self.rows.sort:
            rows.set_sort(self.rows.sort)  # the sort or filter changed while it loaded
        if rows.filter != self.rows.filter:
            rows.set_filter(self.rows.filter)
        if rows.search is not self.rows.search:
            rows.set_search(self.rows.search)
        keep = message.select or self.articles.selected_id
        current = self.article_id
        before = self.rows.doc_of(current) if current else None
        self.rows = rows
        self.articles.set_rows(rows, keep_id=keep)
        self.update_header(message.changed_today, message.last_checked)
        self.update_view_status()
        if current is not None and current == self.article_id:
            after = rows.doc_of(current)
            if after is not None and after != before:
                # The article on screen was checked or changed: show what is new, in place.
                self.show_check_state(current)
                if _versions_of(after) != _versions_of(before):
                    self.load_versions(current)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for workers' ends: bookkeeping, and any error said in the app."""
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == "index":
            self._index_running = False
            again, self._index_again = self._index_again, None
            if again is not None:
                self.reload_index(poll=again[0], select=again[1])
        if event.state == WorkerState.ERROR:
            error = f"{type(worker.error).__name__}: {worker.error}"
            if worker.group == "refresh":
                self.refresh_job = None
            if worker.group == "backfill":
                self.backfill_job = None
            self.say(Text(f"{worker.group} failed: {safe(error)}"))
            self.notify(f"{worker.group} failed: {safe(error)}", severity="error", markup=False)

    def poll_store(self) -> None:
        """Pick up changes another process (a cron ``fetch``) made to the cache."""
        if not self.refreshing and not self._index_running:
            self.reload_index(poll=True)

    def on_action_failed(self, message: ActionFailed) -> None:
        """Say a worker's failure in the status bar and as a notification."""
        self.say(Text(message.error))
        self.notify(message.error, severity="error", markup=False)

    # ----- actions: view ----------------------------------------------------------------
    def action_help(self) -> None:
        """Show every key, as the user's keymap binds it (``?``)."""
        self.app.push_screen(HelpScreen(dict(self.app.keymap_overrides)))  # type: ignore[attr-defined]

    def action_quit(self) -> None:
        """Quit the app (``q``)."""
        self.app.exit(return_code=0)

    def action_show_stats(self) -> None:
        """The statistics of the whole cache, per source (computed by the screen's worker)."""
        self.app.push_screen(StatsScreen(self.store))

    def action_toggle_maximize(self) -> None:
        """Give the focused pane the whole screen (the list, if the filter has the focus)."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if focused is None or focused is self.filter_box:
            focused = self.articles
        self.maximize(focused, container=False)

    def action_filter(self) -> None:
        """Open the filter and focus it (``/``)."""
        box = self.filter_box
        box.add_class("-active")
        box.focus()

    def action_clear_filter(self) -> None:
        """Close the filter, drop any filter or text search, back to the list."""
        box = self.filter_box
        box.value = ""
        box.remove_class("-active")
        box.set_mode("titles")
        self.clear_text_search()
        self.apply_filter("")
        self.articles.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter the titles as the user types (not in text mode: that searches on Enter)."""
        if event.input.id == "filter" and self.filter_box.mode == "titles":
            self.apply_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter: run a text search, or go back to the list (an empty one closes)."""
        if event.input.id == "filter":
            if self.filter_box.mode == "text" and event.value.strip():
                self.start_text_search(event.value)
                return  # the list takes the focus when the search found something
            if not event.value:
                event.input.remove_class("-active")
                self.clear_text_search()
            self.articles.focus()

    def apply_filter(self, term: str) -> None:
        """Filter as the user types (one pass over the index per key), keeping the cursor on
        the chosen article whenever it is still listed."""
        if term == self.rows.filter:
            return
        keep = self.articles.selected_id
        self.rows.set_filter(term)
        self.articles.reload(keep_id=keep)
        self.update_view_status()

    def action_escape(self) -> None:
        """Escape: clear the filter or text search if there is one, else the base version."""
        if self.rows.narrowed_by or self.filter_box.has_class("-active"):
            self.action_clear_filter()
        elif self.timeline.base is not None:
            self.timeline.clear_base()
            self.say("Base cleared: comparing with the previous version")
            self.show_selected_diff()

    # ----- the filter's text mode: searching every version -------------------------------
    def action_search_text(self) -> None:
        """Open the filter searching the text of every version, or switch the open filter
        between titles and text."""
        box = self.filter_box
        active = box.has_class("-active")
        self.set_filter_mode("titles" if active and box.mode == "text" else "text")
        box.add_class("-active")
        box.focus()

    def set_filter_mode(self, mode: FilterMode) -> None:
        """Switch the filter's mode: what is typed stays, for the other mode to use."""
        box = self.filter_box
        if box.mode == mode:
            return
        box.set_mode(mode)
        if mode == "text":
            self.apply_filter("")
            self.say("Type words and press Enter to search the text of every version")
        else:
            self.clear_text_search()
            self.apply_filter(box.value)
            self.say("")

    def start_text_search(self, typed: str) -> None:
        """Search the text of every version for what was typed, in a worker."""
        self._search_token += 1
        self.filter_box.border_subtitle = "searching…"
        self.say(Text.assemble("Searching every version for “", safe(typed), "”…"))
        self.text_search_worker(self._search_token, typed)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="search",
        description="search the text of every version",
    )
    def text_search_worker(self, token: int, typed: str) -> None:
        """Bring the search index up to date (build it, the first time) and search it."""
        from newsdiff_tui.search import SearchIndex

        index = SearchIndex(self.store)
        if not index.path.exists():
            self.post_message(
                TextSearchProgress(
                    token,
                    f"Building the search index of {len(self.store)} articles (once; later "
                    "searches only bring it up to date)…",
                )
            )
        try:
            result = index.search(text_query(typed))
        except NewsdiffError as exc:
            self.post_message(TextSearchDone(token, typed, None, str(exc)))
            return
        self.post_message(TextSearchDone(token, typed, result))

    def on_text_search_progress(self, message: TextSearchProgress) -> None:
        """Say that the search index is being built, if for the latest search."""
        if message.token == self._search_token:
            self.filter_box.border_subtitle = "building the search index…"
            self.say(message.note)

    def on_text_search_done(self, message: TextSearchDone) -> None:
        """List the articles the latest text search found, or say why none."""
        if message.token != self._search_token:
            return  # a newer search was asked for
        box = self.filter_box
        box.set_mode(box.mode)  # its prompt again, rather than "searching…"
        # The search read the index: a change another process made shows in the list too.
        self.reload_index()
        if message.error is not None:
            self.say(Text(f"Search: {safe(message.error)}"))
            self.notify(f"Search: {safe(message.error)}", severity="warning", markup=False)
            return
        result = message.result
        query = result.query
        if not result.hits:
            verb = {"contains": "has", "added": "added", "removed": "removed"}[query.mode]
            self.say(Text.assemble(f"Nothing found: no version {verb} “", safe(query.words), "”"))
            return
        matches = TextMatches(message.typed, query, {hit.article_id: hit for hit in result.hits})
        keep = self.articles.selected_id
        self.rows.set_search(matches)
        self.articles.reload(keep_id=keep if keep in matches.hits else self.rows.id_at(0))
        self.update_view_status()
        found = f"{plural(matches.versions, 'version')} of {plural(len(matches.hits), 'article')}"
        self.say(Text.assemble("“", safe(message.typed), f"” {MODE_WORDS[query.mode]} {found}"))
        if box.has_focus:
            self.articles.focus()

    def clear_text_search(self) -> None:
        """Show every article again (a search in flight is forgotten too)."""
        self._search_token += 1
        if self.rows.search is not None:
            keep = self.articles.selected_id
            self.rows.set_search(None)
            self.articles.reload(keep_id=keep)
            self.update_view_status()

    def say_search_hit(self, article_id: str | None) -> None:
        """Where the searched words are in the article under the cursor, in the status bar."""
        search = self.rows.search
        hit = search.hits.get(article_id) if search and article_id else None
        if hit is None or self.refreshing:
            return
        numbers = "v" + compact_ranges(v.number for v in hit.versions).replace(",", ", v")
        line = Text(f"{MODE_WORDS[search.query.mode]} {numbers} of {hit.version_count}")
        # A removal is shown by what the version before it said (as the search command does).
        line.append(
            f"; v{hit.versions[0].number - 1} had: " if search.query.mode == "removed" else ": "
        )
        for text, matched in hit.excerpt:
            line.append(safe(text), "bold reverse" if matched else "")
        self.say(line)

    def action_sort(self, key: str) -> None:
        """Sort the articles by ``key`` (a ``SORT_KEYS`` name; from the palette)."""
        if key in SORT_KEYS:
            sort: SortKey = key  # type: ignore[assignment]
            keep = self.articles.selected_id
            self.rows.set_sort(sort)
            self.articles.reload(keep_id=keep)
            self.update_view_status()
            self.say(f"Sorted by {SORT_LABELS[sort]}")
            self.remember_view()

    def action_cycle_sort(self) -> None:
        """Sort by the next key: last change, first seen, title (``O``)."""
        index = SORT_KEYS.index(self.rows.sort)
        self.action_sort(SORT_KEYS[(index + 1) % len(SORT_KEYS)])

    def action_toggle_split(self) -> None:
        """Show the diff inline or side by side (``s``)."""
        self.diff_view.set_split(not self.diff_view.split)
        self.update_view_status()
        self.remember_view()

    def action_toggle_fold(self) -> None:
        """Fold or unfold unchanged paragraphs (``f``)."""
        self.diff_view.set_fold(not self.diff_view.fold)
        self.update_view_status()
        self.remember_view()

    def action_toggle_boring(self) -> None:
        """Show or hide boring versions (punctuation or whitespace only) (``h``)."""
        timeline = self.timeline
        timeline.set_show_boring(not timeline.show_boring)
        hidden = sum(1 for v in timeline.versions if v.boring) if not timeline.show_boring else 0
        self.say(
            "Boring versions shown"
            if timeline.show_boring
            else f"Boring versions hidden ({hidden} in this article)"
        )
        self.update_view_status()
        self.show_selected_diff()
        self.start_stats()

    def action_next_change(self) -> None:
        """Jump to the next change in the diff (``n``)."""
        self._jump(1)

    def action_prev_change(self) -> None:
        """Jump to the previous change in the diff (``N``)."""
        self._jump(-1)

    def _jump(self, direction: int) -> None:
        """Jump to a change in ``direction`` and say which one of how many."""
        view = self.diff_view
        index = view.jump_change(direction)
        more = " so far" if view.rendering else ""
        what = "Sentence of the newest change" if self.blame_on else "Change"
        if index is None:
            self.say("No changes in this view" + more)
        else:
            self.say(f"{what} {index + 1} of {view.change_count}{more}")

    def action_toggle_blame(self) -> None:
        """Switch the diff pane between the diff and the blame of the selected version."""
        self.blame_on = not self.blame_on
        self.say(
            "Blame: the version that brought each sentence (n/N: the newest ones) · B: the diff"
            if self.blame_on
            else "Diff"
        )
        self.update_view_status()
        self.show_selected_diff()

    def action_mark_base(self) -> None:
        """Mark the selected version as the base to compare with, or clear it (``b``)."""
        base = self.timeline.toggle_base()
        if base is None:
            self.say("Base cleared: comparing with the previous version")
        else:
            self.say(f"Base v{base}: select another version to compare it with v{base}")
        self.show_selected_diff()

    # ----- actions: the article ---------------------------------------------------------
    def action_open_browser(self) -> None:
        """Open the article, or the selected archived version, in the browser (``o``)."""
        article = self.selected_article()
        if article is not None:
            self.open_worker(self.archive_page() or article.url)

    def archive_page(self) -> str | None:
        """The archive page ``o`` opens: the selected version's, when it is archived and the
        versions or the diff have the focus (the article list opens the article)."""
        if self.focused is None or self.focused in (self.articles, self.filter_box):
            return None
        version = self.timeline.selected
        if self.shown_id != self.article_id or version is None or not version.archived:
            return None
        url = version.origin_url
        return url if url and url_problem(url) is None else None

    @work(thread=True, exit_on_error=False, group="browser", description="open a browser")
    def open_worker(self, url: str) -> None:
        """Start a browser (it can take a moment) off the UI thread."""
        if webbrowser.open(url):
            self.post_message(BrowserOpened(url))
        else:
            self.post_message(ActionFailed("browser", f"No browser available. URL: {safe(url)}"))

    def action_export_markdown(self) -> None:
        """Export the selected article's history as Markdown (``e``)."""
        article = self.selected_article()
        if article is None:
            self.notify("Select an article to export", severity="warning")
            return
        self.export_worker(article.id)

    @work(thread=True, exit_on_error=False, group="export", description="export an article")
    def export_worker(self, article_id: str) -> None:
        """Write the article's Markdown history (it reads every version) off the UI thread."""
        from newsdiff_tui.export import export_article

        try:
            path = export_article(self.store, article_id, fmt="markdown", directory=self.export_dir)
        except (NewsdiffError, OSError) as exc:
            self.post_message(ActionFailed("export", f"Export failed: {safe(str(exc))}"))
            return
        self.post_message(ExportWritten(str(path)))

    def on_browser_opened(self, message: BrowserOpened) -> None:
        """Confirm the page that was opened."""
        self.notify(f"Opened {safe(message.url)}", markup=False)

    def on_export_written(self, message: ExportWritten) -> None:
        """Say where the export was written."""
        text = f"Exported to {safe(message.path)}"
        self.say(Text(text))
        self.notify(text, title="Export", markup=False)

    def action_delete_article(self) -> None:
        """Stop tracking the selected article, after asking (``d``)."""
        article = self.selected_article()
        if article is None:
            return
        question = Text.assemble(
            "Stop tracking\n\n  ",
            (safe(article.title) or safe(article.url), "bold"),
            f"\n\nand delete its {article.version_count} stored "
            f"version{'' if article.version_count == 1 else 's'} from the cache?",
        )

        def done(confirmed: bool | None) -> None:
            """Delete the article if the user confirmed."""
            if confirmed:
                self.delete_worker(article)

        self.app.push_screen(ConfirmDialog(question), done)

    @work(thread=True, exit_on_error=False, group="delete", description="delete an article")
    def delete_worker(self, article: Article) -> None:
        """Remove an article and its file off the UI thread."""
        try:
            self.store.delete_article(article.id)
        except NewsdiffError as exc:
            self.post_message(ActionFailed("delete", f"Delete failed: {safe(str(exc))}"))
            return
        self.post_message(ArticleDeleted(article))

    def on_article_deleted(self, message: ArticleDeleted) -> None:
        """Confirm the deletion and reload the list."""
        article = message.article
        self.notify(f"Deleted {safe(article.title) or safe(article.url)}", markup=False)
        self.reload_index()

    def action_add_url(self) -> None:
        """Ask for a URL and track it (``a``)."""

        def done(url: str | None) -> None:
            """Track the URL the dialog returned, if any."""
            if url:
                self.add_worker(url)

        self.app.push_screen(AddUrlDialog(), done)

    @work(thread=True, exit_on_error=False, group="add", description="track a URL")
    def add_worker(self, url: str) -> None:
        """Track ``url`` (one fsynced write) off the UI thread; its first check follows."""
        try:
            article = self.store.add_article(url)
            self.store.flush()
        except NewsdiffError as exc:
            self.post_message(ActionFailed("add", f"Cannot add: {safe(str(exc))}"))
            return
        self.post_message(ArticleAdded(article, url))

    def on_article_added(self, message: ArticleAdded) -> None:
        """Select the new article in the list and check it at once."""
        self.notify(f"Tracking {safe(message.article.url)}", markup=False)
        self.reload_index(select=message.article.id)
        self.start_refresh((message.article.id,), "new article")

    # ----- refresh ----------------------------------------------------------------------
    def action_refresh_selected(self) -> None:
        """Check the selected article now (``r``)."""
        if self.article_id is not None:
            self.start_refresh((self.article_id,), "selected article")

    def action_refresh_due(self) -> None:
        """Read the feeds, then check every due article (what ``newsdiff-tui fetch`` does)."""
        self.start_refresh(None, "due articles")

    def start_refresh(self, article_ids: tuple[str, ...] | None, label: str) -> None:
        """Check articles (None: the feeds and every due one) in a worker thread."""
        if self.refresh_job is not None:
            self.notify("A refresh is already running", severity="warning", timeout=3)
            return
        self.refresh_job = Refresh(self.store, self._check_options, self.post_message)
        self._failures_noticed = 0
        self._asked = set(article_ids or ())
        count = "" if article_ids is None else f"{len(article_ids)} "
        self.say(f"Checking {count}{label}…")
        self.refresh_worker(self.refresh_job, RefreshRequest(article_ids, label))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="refresh",
        description="check articles",
    )
    def refresh_worker(self, job: Refresh, request: RefreshRequest) -> None:
        """Run a refresh (see ``tui/refresh.py``) in a thread of its own."""
        job.run(request)

    def on_check_progress(self, message: CheckProgress) -> None:
        """Mark the article being checked and say which one of how many."""
        self.articles.set_mark(message.article_id, "checking")
        self.say(
            Text.assemble(
                (f"Checking {message.started}/{message.total} ", "bold"), message.label, " …"
            )
        )

    def on_article_checked(self, message: ArticleChecked) -> None:
        """Mark the article's outcome; notify the first failures; follow a new version asked for."""
        self.articles.set_mark(message.article_id, message.state)
        self.say(
            Text.assemble(
                (f"Checked {message.done}/{message.total} ", "bold"),
                message.label,
                f" · {message.state}",
            )
        )
        if message.state == "failed":
            self._failures_noticed += 1
            if self._failures_noticed <= FAILURE_NOTICES:
                self.notify(
                    f"{message.label}\n{safe(message.detail) or 'check failed'}",
                    title="Check failed",
                    severity="error",
                    markup=False,
                )
        if message.state == "changed" and message.article_id in self._asked:
            self._follow.add(message.article_id)
        if message.state in ("changed", "failed", "unchanged"):
            self.reload_index()

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        """Sum up the refresh (or its failure) and reload the index."""
        self.refresh_job = None
        s = message.summary
        if s is None:
            text = f"Refresh failed: {safe(message.error or 'unknown error')}"
            self.say(Text(text))
            self.notify(text, severity="error", markup=False)
            self.reload_index()
            return
        self.network_ok = bool(getattr(s, "network_ok", False))
        self.reload_index()
        if message.due_run and not s.checked:
            self.say("No article is due for a check")
            self.notify("No article is due for a check", timeout=3)
            return
        text = (
            f"Checked {s.checked}: {s.changed} changed, {s.unchanged} unchanged, {s.failed} failed"
        )
        self.say(text)
        extra = self._failures_noticed - FAILURE_NOTICES
        if extra > 0:
            self.notify(f"{extra} more checks failed (marked ! in the list)", severity="error")
        self.notify(text, title="Refresh done", severity="error" if s.failed else "information")

    # ----- backfill from the Wayback Machine -----------------------------------------------
    @property
    def backfilling(self) -> bool:
        """Whether a backfill runs now."""
        return self.backfill_job is not None

    def action_backfill_selected(self) -> None:
        """Turn the selected article's captures in the Wayback Machine into versions (``W``)."""
        if self.backfill_job is not None:
            self.notify(
                f"A backfill is already running ({self.backfill_job.label}): wait for it to end",
                severity="warning",
                timeout=3,
                markup=False,
            )
            return
        article = self.selected_article()
        if article is None:
            self.notify("Select an article to backfill", severity="warning")
            return
        self.backfill_job = Backfill(self.store, article, self.post_message)
        self._backfill_for = article.id
        self.say("Backfill: searching the archive…")
        self.backfill_worker(self.backfill_job)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="backfill",
        description="backfill from the archive",
    )
    def backfill_worker(self, job: Backfill) -> None:
        """Run a backfill (see ``tui/backfill.py``) in a thread of its own."""
        job.run()

    def on_backfill_progress(self, message: BackfillProgress) -> None:
        """Say how the backfill goes; reload when it stored a version."""
        self.say(Text(progress_text(message)))
        if message.stored:
            self.reload_index()  # the new version shows in place (see ``on_versions_loaded``)

    def on_backfill_paused(self, message: BackfillPaused) -> None:
        """Say that the archive asked us to wait."""
        text = f"Backfill paused: {safe(message.message)}"
        self.say(Text(text))
        self.notify(text, title="Backfill", severity="warning", markup=False)

    def on_backfill_finished(self, message: BackfillFinished) -> None:
        """Sum up the backfill and reload the index."""
        self.backfill_job = None
        text, severity = finished_notice(message.summary, message.error)
        self.say(Text(text))
        self.notify(f"{message.label}\n{text}", title="Backfill", severity=severity, markup=False)
        self.reload_index()

    @on(Input.Blurred, "#filter")
    def _filter_left(self, event: Input.Blurred) -> None:
        """Hide the filter when it loses the focus with nothing typed."""
        if not event.input.value:
            event.input.remove_class("-active")


def _versions_of(doc: dict[str, Any] | None) -> tuple[Any, Any]:
    """What tells that an article's versions changed, from its index document."""
    if doc is None:
        return (None, None)
    return (doc.get("versions"), doc.get("last_changed"))
