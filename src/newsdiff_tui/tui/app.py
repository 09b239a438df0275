"""The newsdiff-tui app: opens the cache, applies the settings and shows the main screen.

The App is small: it owns what lives as long as the process (the cache, the extraction pool,
the keymap, the remembered view) and hands the work to ``screens.main.MainScreen``.
``make_app`` is the one factory used by the CLI (``run_app``), the tests, the screenshots and
the benchmark, so they all run the same app with the same options (clock, time zone).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App

from newsdiff_tui.config import (
    Config,
    ViewSettings,
    ViewState,
    default_state_path,
    initial_view,
    load_config,
    load_view_state,
    save_view_state,
)
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.store import Store, default_root
from newsdiff_tui.timeutil import utcnow
from newsdiff_tui.tui import keys
from newsdiff_tui.tui.activity import frame_shown, key_pressed
from newsdiff_tui.tui.rows import long_lived_allocations
from newsdiff_tui.tui.screens.error import CacheErrorScreen
from newsdiff_tui.tui.screens.main import MainScreen

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from newsdiff_tui.tracker import CheckOptions

Clock = Callable[[], datetime]
EXIT_CACHE_ERROR = 2


@dataclass(frozen=True)
class AppOptions:
    """How an app instance runs; tests and screenshots fix the clock and the time zone."""

    clock: Clock | None = None  # returns an aware datetime; default: the real time
    tz: tzinfo | None = None  # display time zone; default: the machine's
    export_dir: str | Path | None = None  # where ``e`` writes; default: the current directory
    check_options: Any = None  # tracker.CheckOptions for refreshes (tests); default: the config's
    watch_interval: float | None = 5.0  # seconds between looks for other processes' writes
    config: Config = field(default_factory=Config)  # keys, view and fetch settings
    view: ViewSettings | None = None  # the view to start with; default: the config's
    state_path: Path | None = None  # where the view is remembered; None: not remembered


class NewsdiffApp(App[int]):
    """The cache at ``store_root``, shown by ``MainScreen`` (or why it cannot be opened)."""

    CSS_PATH = "app.tcss"
    TITLE = "newsdiff-tui"

    def __init__(self, store_root: str | Path, options: AppOptions | None = None) -> None:
        super().__init__()
        options = options or AppOptions()
        self.store_root = Path(store_root)
        self.options = options
        self.clock: Clock = options.clock or utcnow
        self.config = options.config
        self.keymap_overrides: dict[str, str] = dict(options.config.keys)
        self.store: Store | None = None
        self.cache_error: str | None = None
        self._pool: Executor | None = None
        self._pool_lock = threading.Lock()

    @property
    def main(self) -> MainScreen:
        """The main screen (wherever it is in the screen stack)."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not shown (the cache could not be opened)")

    def on_mount(self) -> None:
        """Apply the keymap, open the cache and show it (or why it cannot be opened)."""
        self.set_keymap(self.keymap_overrides)
        try:
            with long_lived_allocations():
                self.store = Store(self.store_root)
                docs = self.store.index_docs()
        except NewsdiffError as exc:
            self.cache_error = str(exc)
            self.push_screen(CacheErrorScreen(str(exc), str(self.store_root)))
            return
        options = self.options
        self.push_screen(
            MainScreen(
                self.store,
                docs,
                clock=self.clock,
                tz=options.tz,
                view=options.view or options.config.view,
                check_options=self.check_options,
                remember=self.remember_view,
                export_dir=Path(options.export_dir) if options.export_dir is not None else None,
                watch_interval=options.watch_interval,
            )
        )

    def on_unmount(self) -> None:
        """Stop the extraction pool and close the cache."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self.store is not None:
            with contextlib.suppress(NewsdiffError):
                self.store.close()

    async def on_event(self, event: events.Event) -> None:
        """Every key passes here first: background work steps aside until it is answered."""
        if isinstance(event, events.Key):
            key_pressed()
        await super().on_event(event)

    def post_display_hook(self) -> None:
        """A frame was shown: background work may go on (see ``tui/activity.py``)."""
        frame_shown()

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit; the exit code is 2 when the cache could not be opened."""
        self.exit(return_code=EXIT_CACHE_ERROR if self.cache_error else 0)

    # ----- what refreshes need ------------------------------------------------------------
    def check_options(self) -> CheckOptions:
        """The tracker options of a refresh: the config's fetch settings, extracting in one
        process pool kept for the app's lifetime (starting one costs ~0.5 s). Called from the
        refresh's worker thread, so the pool also starts off the UI thread."""
        from newsdiff_tui.fetch import FetchOptions
        from newsdiff_tui.tracker import CheckOptions, make_extract_pool

        if self.options.check_options is not None:
            return self.options.check_options
        with self._pool_lock:
            if self._pool is None:
                self._pool = make_extract_pool()
            pool = self._pool
        return CheckOptions(fetch=self.config.fetch.apply(FetchOptions()), executor=pool)

    # ----- the remembered view ------------------------------------------------------------
    def remember_view(self, state: ViewState) -> None:
        """Save split, fold and sort for the next run (when remembering is on)."""
        if self.options.state_path is not None and self.config.view.remember:
            self.save_view(self.options.state_path, state)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="view-state",
        description="remember the view",
    )
    def save_view(self, path: Path, state: ViewState) -> None:
        """Write the remembered view off the UI thread (it fsyncs)."""
        problem = save_view_state(path, state)
        if problem:
            self.call_from_thread(self.notify, problem, severity="warning", markup=False)


def make_app(store_root: str | Path, **options: Any) -> NewsdiffApp:
    """The app on the cache at ``store_root``: shared by the CLI, tests, screenshots, benchmark.

    ``options`` are the fields of ``AppOptions`` (``clock``, ``tz``, ``export_dir``, ...).
    """
    return NewsdiffApp(store_root, AppOptions(**options))


def app_settings(config_path: str | Path | None) -> dict[str, Any]:
    """The options a user's app runs with: the config file (checked, including its binding
    ids) and the view remembered from the last run. Raises ``ConfigError`` (one line)."""
    config = load_config(config_path)
    config.check_binding_ids(keys.binding_ids())
    state_path = default_state_path()
    return {
        "config": config,
        "state_path": state_path,
        "view": initial_view(config, load_view_state(state_path)),
    }


def run_app(db: str | None, demo: bool, config: str | Path | None = None) -> int:
    """Run the app on the user's cache, or with ``demo`` on a throwaway copy of the seed."""
    from newsdiff_tui.demo import demo_cache

    settings = app_settings(config)
    if demo:
        with demo_cache() as root:
            app = make_app(root, export_dir=Path.cwd(), **settings)
            app.run()
            return app.return_code or 0
    app = make_app(default_root(db), **settings)
    app.run()
    return app.return_code or 0
