"""The newsdiff-tui app: article list, version timeline and diff viewer over the core.

``make_app`` is the one factory used by the CLI (``run_app``), the tests, the screenshots and
the benchmark, so they all run the same app with the same options (clock, time zone).
"""

from __future__ import annotations

import contextlib
import gc
import json
import tempfile
import webbrowser
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from newsdiff_tui.diff import ArticleDiff, diff
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.model import Article, Version
from newsdiff_tui.schedule import describe_next_check
from newsdiff_tui.store import Store, article_to_doc, default_root
from newsdiff_tui.timeutil import to_iso, utcnow
from newsdiff_tui.tui import keys
from newsdiff_tui.tui.commands import NewsdiffCommands
from newsdiff_tui.tui.fmt import clock_time, safe
from newsdiff_tui.tui.rows import SORT_KEYS, SORT_LABELS, ArticleRows, SortKey
from newsdiff_tui.tui.screens.dialogs import AddUrlDialog, ConfirmDialog
from newsdiff_tui.tui.screens.error import CacheErrorScreen
from newsdiff_tui.tui.screens.help import HelpScreen
from newsdiff_tui.tui.widgets.article_list import ArticleList
from newsdiff_tui.tui.widgets.bars import AppHeader, StatusBar
from newsdiff_tui.tui.widgets.diff_view import DiffContent, DiffView
from newsdiff_tui.tui.widgets.timeline import VersionTimeline

if TYPE_CHECKING:
    from concurrent.futures import Executor

    # The tracker pulls in httpx and the extractor (~0.3 s): imported when a refresh starts.
    from newsdiff_tui.tracker import CheckEvent, CheckOptions

Clock = Callable[[], datetime]
EXIT_CACHE_ERROR = 2
FAILURE_NOTICES = 3  # failures notified one by one per refresh; the rest are summed up
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


@contextlib.contextmanager
def long_lived_allocations() -> Iterator[None]:
    """Load data that lives as long as the app (the index) without garbage collection passes,
    then exempt it from later ones.

    The index of 20,000 articles is tens of thousands of tracked objects: loading it set off
    full collections (0.1 s of the first frame), and afterwards every full collection walked
    it again while the screen redraws (it doubled the cost of a cursor move in the benchmark).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class AppOptions:
    """How an app instance runs; tests and screenshots fix the clock and the time zone."""

    clock: Clock | None = None  # returns an aware datetime; default: the real time
    tz: tzinfo | None = None  # display time zone; default: the machine's
    export_dir: str | Path | None = None  # where ``e`` writes; default: the current directory
    check_options: Any = None  # tracker.CheckOptions for refreshes
    watch_interval: float | None = 5.0  # seconds between looks for other processes' writes


class NewsdiffApp(App[int]):
    """Three panes over one cache: articles, the selected article's versions, a diff."""

    CSS_PATH = "app.tcss"
    TITLE = "newsdiff-tui"
    BINDINGS: ClassVar[list[BindingType]] = [
        *keys.app_bindings(),
        Binding("escape", "escape", "Clear", show=False, id="app.escape"),
    ]
    COMMANDS = App.COMMANDS | {NewsdiffCommands}

    class CheckProgress(Message):
        """An article is being checked; newer progress replaces older, unhandled progress."""

        def __init__(self, started: int, total: int, label: str, article_id: str) -> None:
            super().__init__()
            self.started = started
            self.total = total
            self.label = label
            self.article_id = article_id

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, NewsdiffApp.CheckProgress)

    class ArticleChecked(Message):
        """One article's check finished (changed, unchanged, failed or skipped)."""

        def __init__(self, event: Any, done: int, total: int) -> None:
            super().__init__()
            self.event = event
            self.done = done
            self.total = total

    class RefreshFinished(Message):
        """A refresh ended; ``summary`` is the tracker's CheckSummary."""

        def __init__(self, summary: Any) -> None:
            super().__init__()
            self.summary = summary

    def __init__(self, store_root: str | Path, options: AppOptions | None = None) -> None:
        super().__init__()
        options = options or AppOptions()
        self.store_root = Path(store_root)
        self.clock: Clock = options.clock or utcnow
        self.tz = options.tz
        self.export_dir = Path(options.export_dir) if options.export_dir is not None else None
        self.check_options = options.check_options
        self._extract_pool: Executor | None = None
        self.watch_interval = options.watch_interval
        self.store: Store | None = None
        self.cache_error: str | None = None
        self.rows = ArticleRows()
        self.article_id: str | None = None
        self.network_ok: bool | None = None
        self.refreshing = False
        self._diffs: LRUCache[tuple[str, str], ArticleDiff] = LRUCache(256)
        self._failures_noticed = 0

    # ----- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ArticleList(self.rows, now=self.clock, tz=self.tz, id="articles")
                yield Input(placeholder="filter: title, source or URL", id="filter")
            with Vertical(id="right"):
                yield VersionTimeline(pair_diff=self.pair_diff, tz=self.tz, id="timeline")
                yield DiffView(id="diff")
        yield StatusBar(id="status")
        yield Footer()

    @property
    def articles(self) -> ArticleList:
        return self.query_one("#articles", ArticleList)

    @property
    def timeline(self) -> VersionTimeline:
        return self.query_one("#timeline", VersionTimeline)

    @property
    def diff_view(self) -> DiffView:
        return self.query_one("#diff", DiffView)

    @property
    def header(self) -> AppHeader:
        return self.query_one("#header", AppHeader)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    def on_mount(self) -> None:
        self.articles.border_title = "Articles"
        self.timeline.border_title = "Versions"
        self.diff_view.border_title = "Diff"
        try:
            with long_lived_allocations():
                self.store = Store(self.store_root)
                self.rows.replace_all(self.store.index_docs())
        except NewsdiffError as exc:
            self.cache_error = str(exc)
            self.push_screen(CacheErrorScreen(str(exc), str(self.store_root)))
            return
        self.articles.reload()
        self.articles.focus()
        self.update_header()
        self.update_view_status()
        self.say("Tab: next pane · Enter: open · b: compare any two versions · ?: every key")
        if self.watch_interval:
            self.set_interval(self.watch_interval, self.poll_store)

    def on_unmount(self) -> None:
        if self._extract_pool is not None:
            self._extract_pool.shutdown(wait=False, cancel_futures=True)
        if self.store is not None:
            with contextlib.suppress(NewsdiffError):
                self.store.flush()

    # ----- header and status ------------------------------------------------------------
    def update_header(self) -> None:
        """Counts and network state; counting "changed today" is one pass over the index."""
        now = self.clock()
        midnight = now.astimezone(self.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        today = self.rows.changed_since(to_iso(midnight) or "")
        total = self.rows.total
        noun = "article" if total == 1 else "articles"
        self.header.summary = f"{total} {noun} · {today} changed today"
        if self.network_ok is None:
            self.header.network = "not refreshed yet"
        else:
            self.header.network = "online" if self.network_ok else "offline"

    def update_view_status(self) -> None:
        parts = [f"sort: {SORT_LABELS[self.rows.sort]}"]
        if self.rows.filter:
            parts.append(f"filter “{self.rows.filter}”: {len(self.rows)} of {self.rows.total}")
        if self.diff_view.split:
            parts.append("side by side")
        if self.diff_view.fold:
            parts.append("folded")
        if self.timeline.show_boring:
            parts.append("boring shown")
        self.status.view = " · ".join(parts)
        sort = SORT_LABELS[self.rows.sort]
        if self.rows.total:
            self.articles.border_subtitle = f"{len(self.rows)} · by {sort}"
        else:
            self.articles.border_subtitle = "empty · press a to add a URL"

    def say(self, message: str | Text) -> None:
        """Put a short message in the status bar."""
        self.status.message = message

    # ----- selection --------------------------------------------------------------------
    def pair_diff(self, old: Version, new: Version) -> ArticleDiff:
        """The diff of two versions, cached by their text hashes."""
        key = (old.text_hash, new.text_hash)
        cached = self._diffs.get(key)
        if cached is None:
            cached = diff(old.text, new.text)
            self._diffs[key] = cached
        return cached

    def on_article_list_highlighted(self, message: ArticleList.Highlighted) -> None:
        self.select_article(message.article_id)

    def on_article_list_opened(self, message: ArticleList.Opened) -> None:
        self.timeline.focus()

    def on_version_timeline_highlighted(self, message: VersionTimeline.Highlighted) -> None:
        self.show_selected_diff()

    def on_version_timeline_opened(self, message: VersionTimeline.Opened) -> None:
        self.diff_view.focus()

    def select_article(self, article_id: str | None) -> None:
        """Load an article's versions (one shard read) and show its latest change."""
        self.article_id = article_id
        if article_id is None or self.store is None:
            self.timeline.set_versions([])
            self.set_pair_title("")
            if self.rows.total == 0:
                self.diff_view.show_message(EMPTY_STATE)
            else:
                self.diff_view.show_message(
                    [
                        Text.assemble("No article matches “", self.rows.filter, "”."),
                        "",
                        "Edit the filter, or press Escape to clear it.",
                    ]
                )
            return
        try:
            versions = self.store.versions(article_id)
        except NewsdiffError as exc:
            self.timeline.set_versions([])
            self.set_pair_title("")
            self.diff_view.show_message(
                [Text("This article cannot be read.", "bold"), "", safe(str(exc))]
            )
            return
        self.timeline.set_versions(versions)
        self.timeline.border_subtitle = self.next_check_label(article_id)
        self.show_selected_diff()

    def next_check_label(self, article_id: str) -> str:
        """``next check in 12 min`` (or ``won't be checked again``) for the timeline."""
        if self.store is None:
            return ""
        try:
            article = self.store.article(article_id)
        except NewsdiffError:
            return ""
        label = describe_next_check(article, self.clock())
        return label if label.startswith("won't") else f"next check {label}"

    def set_pair_title(self, label: str) -> None:
        self.diff_view.border_title = label or "Diff"
        self.header.pair = label

    def show_selected_diff(self) -> None:
        """Show the selected version against the base (if marked) or the one before it."""
        timeline = self.timeline
        selected = timeline.selected
        if selected is None:
            self.set_pair_title("")
            self.diff_view.show_message(
                [
                    Text("No version stored yet.", "bold"),
                    "",
                    "Press r to check this article now.",
                ]
            )
            return
        old: Version | None = None
        if timeline.base is not None and timeline.base != selected.number:
            old = next((v for v in timeline.versions if v.number == timeline.base), None)
        if old is None:
            old = timeline.previous_of(selected)
        if old is None:
            self.set_pair_title(f"Text v{selected.number} (first version)")
            self.diff_view.show(DiffContent(single=selected.text))
            return
        labels = (
            f"v{old.number} · {clock_time(old.fetched_at, self.tz)}",
            f"v{selected.number} · {clock_time(selected.fetched_at, self.tz)}",
        )
        based = " (base)" if timeline.base == old.number else ""
        self.set_pair_title(f"Diff v{old.number} → v{selected.number}{based}")
        self.diff_view.show(DiffContent(diff=self.pair_diff(old, selected), labels=labels))

    def selected_article(self) -> Article | None:
        if self.store is None or self.article_id is None:
            return None
        try:
            return self.store.article(self.article_id)
        except NewsdiffError:
            return None

    def reload_rows(self, keep_id: str | None = None) -> None:
        """Re-read the whole index (after a refresh or another process's writes)."""
        if self.store is None:
            return
        keep_id = keep_id or self.articles.selected_id  # the cursor's article, before rows change
        gc.unfreeze()  # let the documents being replaced be collected
        with long_lived_allocations():
            self.rows.replace_all(self.store.index_docs())
        self.articles.reload(keep_id=keep_id)
        self.update_header()
        self.update_view_status()

    def poll_store(self) -> None:
        """Pick up changes another process (a cron ``fetch``) made to the cache."""
        if self.store is None or self.refreshing:
            return
        try:
            changed = self.store.refresh()
        except NewsdiffError as exc:
            self.say(Text(f"cache: {exc}"))
            return
        if changed:
            self.reload_rows()

    # ----- actions: view ----------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(return_code=EXIT_CACHE_ERROR if self.cache_error else 0)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-active")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("-active")
        self.apply_filter("")
        self.articles.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.apply_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            if not event.value:
                event.input.remove_class("-active")
            self.articles.focus()

    def apply_filter(self, term: str) -> None:
        """Filter as the user types: one pass over the index per keystroke."""
        if term == self.rows.filter:
            return
        self.rows.set_filter(term)
        self.articles.reload()
        self.update_view_status()

    def action_escape(self) -> None:
        if self.rows.filter or self.query_one("#filter", Input).has_class("-active"):
            self.action_clear_filter()
        elif self.timeline.base is not None:
            self.timeline.clear_base()
            self.say("Base cleared: comparing with the previous version")
            self.show_selected_diff()

    def action_sort(self, key: str) -> None:
        if key in SORT_KEYS:
            sort: SortKey = key  # type: ignore[assignment]
            self.rows.set_sort(sort)
            self.articles.reload(keep_id=self.article_id)
            self.update_view_status()
            self.say(f"Sorted by {SORT_LABELS[sort]}")

    def action_cycle_sort(self) -> None:
        index = SORT_KEYS.index(self.rows.sort)
        self.action_sort(SORT_KEYS[(index + 1) % len(SORT_KEYS)])

    def action_toggle_split(self) -> None:
        self.diff_view.set_split(not self.diff_view.split)
        self.update_view_status()

    def action_toggle_fold(self) -> None:
        self.diff_view.set_fold(not self.diff_view.fold)
        self.update_view_status()

    def action_toggle_boring(self) -> None:
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

    def action_next_change(self) -> None:
        self._jump(1)

    def action_prev_change(self) -> None:
        self._jump(-1)

    def _jump(self, direction: int) -> None:
        view = self.diff_view
        index = view.jump_change(direction)
        if index is None:
            self.say("No changes in this view")
        else:
            self.say(f"Change {index + 1} of {view.change_count}")

    def action_mark_base(self) -> None:
        timeline = self.timeline
        base = timeline.toggle_base()
        if base is None:
            self.say("Base cleared: comparing with the previous version")
        else:
            self.say(f"Base v{base}: select another version to compare it with v{base}")
        self.show_selected_diff()

    # ----- actions: the article ---------------------------------------------------------
    def action_open_browser(self) -> None:
        article = self.selected_article()
        if article is None:
            return
        if webbrowser.open(article.url):
            self.notify(f"Opened {article.url}", markup=False)
        else:
            self.notify(
                f"No browser available. URL: {article.url}", markup=False, severity="warning"
            )

    def action_export_markdown(self) -> None:
        article = self.selected_article()
        if article is None or self.store is None:
            self.notify("Select an article to export", severity="warning")
            return
        try:
            from newsdiff_tui.export import export_article
        except ImportError:
            self.notify("Export is not available in this build", severity="error")
            return
        try:
            path = export_article(self.store, article.id, fmt="markdown", directory=self.export_dir)
        except (NewsdiffError, OSError) as exc:
            self.notify(f"Export failed: {exc}", severity="error", markup=False)
            return
        self.say(Text(f"Exported to {path}"))
        self.notify(f"Exported to {path}", title="Export", markup=False)

    def action_delete_article(self) -> None:
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
            if confirmed:
                self.delete_article(article)

        self.push_screen(ConfirmDialog(question), done)

    def delete_article(self, article: Article) -> None:
        if self.store is None:
            return
        try:
            self.store.delete_article(article.id)
        except NewsdiffError as exc:
            self.notify(f"Delete failed: {exc}", severity="error", markup=False)
            return
        self.rows.remove(article.id)
        self.articles.reload()
        self.update_header()
        self.update_view_status()
        self.notify(f"Deleted {safe(article.title) or article.url}", markup=False)

    def action_add_url(self) -> None:
        def done(url: str | None) -> None:
            if url:
                self.add_url(url)

        self.push_screen(AddUrlDialog(), done)

    def add_url(self, url: str) -> None:
        """Track ``url`` and check it at once (in a worker)."""
        if self.store is None:
            return
        try:
            article = self.store.add_article(url)
            self.store.flush()
        except NewsdiffError as exc:
            self.notify(f"Cannot add: {exc}", severity="error", markup=False)
            return
        self.rows.upsert(article_to_doc(article))
        self.articles.reload(keep_id=article.id)
        self.update_header()
        self.update_view_status()
        self.notify(f"Tracking {url}", markup=False)
        self.start_refresh([article], "new article")

    # ----- refresh ----------------------------------------------------------------------
    def action_refresh_selected(self) -> None:
        article = self.selected_article()
        if article is not None:
            self.start_refresh([article], "selected article")

    def action_refresh_due(self) -> None:
        """Read the feeds, then check every due article (what ``newsdiff-tui fetch`` does)."""
        if self.store is None:
            return
        from newsdiff_tui.feeds import load_feeds
        from newsdiff_tui.tracker import due_articles

        if not due_articles(self.store, self.clock()) and not load_feeds(self.store):
            self.notify("No article is due for a check", timeout=3)
            return
        self.start_refresh(None, "due articles")

    def start_refresh(self, articles: Sequence[Article] | None, label: str) -> None:
        """Check ``articles`` in a worker; None runs the feeds and every due article."""
        if self.refreshing:
            self.notify("A refresh is already running", severity="warning", timeout=3)
            return
        self.refreshing = True
        self._failures_noticed = 0
        count = "" if articles is None else f"{len(articles)} "
        self.say(f"Checking {count}{label}…")
        self.refresh_worker(None if articles is None else list(articles))

    def _refresh_options(self) -> CheckOptions:
        """The tracker options, extracting in one process pool kept for the app's lifetime
        (starting a pool costs ~0.5 s, too much to pay on every refresh)."""
        from newsdiff_tui.tracker import CheckOptions, make_extract_pool

        if self.check_options is not None:
            return self.check_options
        if self._extract_pool is None:
            self._extract_pool = make_extract_pool()
        return CheckOptions(executor=self._extract_pool)

    @work(exclusive=True, exit_on_error=False, group="refresh")
    async def refresh_worker(self, articles: list[Article] | None) -> None:
        """Check ``articles`` (or the feeds and due articles) through the tracker; progress
        comes back as messages."""
        from newsdiff_tui.tracker import check_articles, fetch_run

        started = 0
        done = 0

        def on_event(event: CheckEvent) -> None:
            nonlocal started, done
            label = self._label_for(event)
            if event.state == "checking":
                started += 1
                self.post_message(self.CheckProgress(started, event.total, label, event.article_id))
            else:
                done += 1
                self.post_message(self.ArticleChecked(event, done, event.total))

        options = self._refresh_options()
        if articles is None:
            _, summary = await fetch_run(self.store, options=options, on_event=on_event)
        else:
            summary = await check_articles(self.store, articles, options=options, on_event=on_event)
        self.post_message(self.RefreshFinished(summary))

    def _label_for(self, event: Any) -> str:
        doc = None
        with contextlib.suppress(NewsdiffError):
            doc = self.store.article(event.article_id) if self.store else None
        if doc is not None and doc.title:
            return f"{doc.source} · {doc.title}"
        return str(event.url)

    def on_newsdiff_app_check_progress(self, message: CheckProgress) -> None:
        self.articles.set_mark(message.article_id, "checking")
        self.say(
            Text.assemble(
                (f"Checking {message.started}/{message.total} ", "bold"), safe(message.label), " …"
            )
        )

    def on_newsdiff_app_article_checked(self, message: ArticleChecked) -> None:
        event = message.event
        state = str(event.state)
        self.articles.set_mark(event.article_id, state)
        label = self._label_for(event)
        self.say(
            Text.assemble(
                (f"Checked {message.done}/{message.total} ", "bold"), safe(label), f" · {state}"
            )
        )
        if state == "failed":
            self._failures_noticed += 1
            if self._failures_noticed <= FAILURE_NOTICES:
                self.notify(
                    f"{label}\n{event.message or 'check failed'}",
                    title="Check failed",
                    severity="error",
                    markup=False,
                )
        if self.store is not None and state in ("changed", "failed", "unchanged"):
            # The cursor's article, not self.article_id: a key press may have moved the cursor
            # while its Highlighted message is still queued.
            keep = self.articles.selected_id
            try:
                self.rows.upsert(article_to_doc(self.store.article(event.article_id)))
            except NewsdiffError:
                return
            self.articles.reload(keep_id=keep)
            if state == "changed" and event.article_id == keep == self.article_id:
                self.select_article(keep)

    def on_newsdiff_app_refresh_finished(self, message: RefreshFinished) -> None:
        self.refreshing = False
        s = message.summary
        self.network_ok = bool(getattr(s, "network_ok", False))
        if self.store is not None:
            try:
                self.store.flush()
            except NewsdiffError as exc:
                self.notify(f"Cannot write the index: {exc}", severity="error", markup=False)
        self.reload_rows()
        text = (
            f"Checked {s.checked}: {s.changed} changed, {s.unchanged} unchanged, {s.failed} failed"
        )
        self.say(text)
        extra = self._failures_noticed - FAILURE_NOTICES
        if extra > 0:
            self.notify(f"{extra} more checks failed (marked ! in the list)", severity="error")
        self.notify(text, title="Refresh done", severity="error" if s.failed else "information")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for worker errors: say what failed, keep the app running."""
        if event.worker.group != "refresh":
            return
        if event.state == WorkerState.ERROR:
            self.refreshing = False
            error = event.worker.error
            self.say(Text(f"Refresh failed: {error}"))
            self.notify(f"Refresh failed: {error}", severity="error", markup=False)
            self.reload_rows()
        elif event.state == WorkerState.CANCELLED:
            self.refreshing = False


def make_app(store_root: str | Path, **options: Any) -> NewsdiffApp:
    """The app on the cache at ``store_root``: shared by the CLI, tests, screenshots, benchmark.

    ``options`` are the fields of ``AppOptions`` (``clock``, ``tz``, ``export_dir``, ...).
    """
    return NewsdiffApp(store_root, AppOptions(**options))


def seed_demo(root: Path) -> None:
    """Fill ``root`` (a temporary cache) with the bundled demo article."""
    from newsdiff_tui.history import load_history

    seed = resources.files("newsdiff_tui") / "data" / "gsomia-versions.json"
    with Store(root) as store:
        load_history(store, json.loads(seed.read_text(encoding="utf-8")), where="demo")


def run_app(db: str | None, demo: bool) -> int:
    """Run the app on the user's cache, or with ``demo`` on a throwaway copy of the seed."""
    if demo:
        with tempfile.TemporaryDirectory(prefix="newsdiff-demo-") as tmp:
            root = Path(tmp) / "cache"
            seed_demo(root)
            app = make_app(root, export_dir=Path.cwd())
            app.run()
            return app.return_code or 0
    app = make_app(default_root(db))
    app.run()
    return app.return_code or 0
