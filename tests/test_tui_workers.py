"""Nothing heavy on the UI thread: reading an article, diffing, wrapping a long diff, the
timeline's stats and re-reading the index run in worker threads; moving on cancels stale work
and its late results are dropped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_tui_support import SIZE, build_newsroom, press, screen_lines, settle, tui, wait_until

from newsdiff_tui.model import ArticleText
from newsdiff_tui.store import Store
from newsdiff_tui.tui import chunks, diffmemo
from newsdiff_tui.tui.widgets import diff_view

RELEASE_AFTER = 10.0  # seconds a blocked call waits at most (the old code called it on the UI
# thread, where waiting for the test to release it would hang the test)


@pytest.fixture
def newsroom(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "cache"
    return root, build_newsroom(root)


def record_threads(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[str]:
    """Record the thread every call of ``owner.name`` runs in (and still make the call)."""
    seen: list[str] = []
    original = getattr(owner, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, recorded)
    return seen


async def test_reading_diffing_wrapping_and_stats_never_run_on_the_ui_thread(
    newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = newsroom
    reads = record_threads(monkeypatch, Store, "versions")
    diffs = record_threads(monkeypatch, diffmemo, "diff")
    wraps = record_threads(monkeypatch, diff_view.diffrender, "render_inline")
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "j", "j", "k", "tab", "home", "end", "s", "f")
        assert "MainThread" not in reads + diffs + wraps
        assert reads and diffs and wraps  # the work happened (in workers)
        assert all(v is not None for v in app.main.timeline.stats.values())


def hold_reading(monkeypatch: pytest.MonkeyPatch, article_id: str) -> threading.Event:
    """Make reading one article's file wait (a slow disk) until the event is set."""
    release = threading.Event()
    original = Store.versions

    def slow_versions(self: Store, wanted: str) -> Any:
        if wanted == article_id:
            release.wait(RELEASE_AFTER)
        return original(self, wanted)

    monkeypatch.setattr(Store, "versions", slow_versions)
    return release


async def test_the_ui_answers_while_an_article_is_being_read(
    newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ids = newsroom
    release = hold_reading(monkeypatch, ids["seed"])
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("j")  # onto the seed article: its read blocks in the worker
        await settle(pilot, ignore=("versions",))
        assert main.article_id == ids["seed"]
        assert main.articles.cursor == 1  # the key was handled at once
        assert not release.is_set()
        release.set()
        await settle(pilot)
        assert main.header.pair == "Diff v0 → v1"


async def test_moving_on_cancels_stale_work_and_drops_its_late_result(
    newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ids = newsroom
    release = hold_reading(monkeypatch, ids["seed"])
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("j")  # the seed: its read is held
        await wait_until(pilot, lambda: main.article_id == ids["seed"])
        stale = [w for w in app.workers if w.group == "versions" and not w.is_finished]
        await pilot.press("j")  # on to the markup article before the seed was read
        await settle(pilot, ignore=("versions",))
        assert all(w.is_cancelled for w in stale)
        release.set()  # the seed's read completes now, late
        await settle(pilot)
        assert main.article_id == ids["markup"]
        assert main.shown_id == ids["markup"]
        assert "[i]edited[/i]" in "\n".join(screen_lines(main.diff_view))


async def test_a_long_diff_shows_its_first_screen_before_the_rest_is_wrapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    paragraphs = [f"Paragraph {n} of a very long article, with some words." for n in range(450)]
    with Store(root) as store:
        article = store.add_article("https://long.example.com/a")
        store.add_version(article.id, ArticleText("Long", paragraphs=tuple(paragraphs)))
        changed = [*paragraphs[:5], "An inserted paragraph.", *paragraphs[5:]]
        changed[300] += " Edited."
        store.add_version(article.id, ArticleText("Long", paragraphs=tuple(changed)))
    release = threading.Event()
    pieces_done: list[int] = []
    original: Callable[..., Any] = chunks.render_pieces

    def held_after_first(*args: Any) -> Any:
        for n, piece in enumerate(original(*args)):
            pieces_done.append(n)
            yield piece
            if n == 0:
                release.wait(RELEASE_AFTER)

    monkeypatch.setattr(diff_view, "render_pieces", held_after_first)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot, ignore=("diff-render",))
        view = main.diff_view
        await wait_until(pilot, lambda: view.wrapped.line_count, "the first piece")
        assert view.rendering  # the rest is still being wrapped
        first = view.wrapped.line_count
        assert "An inserted paragraph." in "\n".join(screen_lines(view))
        await pilot.press("tab")  # keys work meanwhile
        await settle(pilot, ignore=("diff-render",))
        assert app.focused is main.timeline
        assert not release.is_set() and view.rendering
        release.set()
        await settle(pilot)
        assert not view.rendering
        assert view.wrapped.line_count > first
        assert len(pieces_done) == 19  # 451 paragraphs in pieces of 25
        assert view.change_count == 2


async def test_the_index_is_reread_off_the_ui_thread(
    newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = newsroom
    reads = record_threads(monkeypatch, Store, "index_docs")
    app = tui(root, watch_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        reads.clear()  # the first read, before the first frame, is the app opening the cache
        with Store(root) as other:  # another process tracks an article
            other.add_article("https://www.example.com/new-story")
        main.poll_store()
        await settle(pilot)
        assert reads and "MainThread" not in reads
        assert main.rows.total == 4
