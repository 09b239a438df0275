"""Snapshot tests of what the screen shows (pytest-textual-snapshot): the main screen at 80x24,
120x36 and 160x48, a maximised diff, side by side, the timeline with a base, a failed check,
help, the empty state and a broken cache. Deterministic: fixed clock, UTC, fixed terminal size,
relative cache paths, and every worker finished before the shot (``settle``). Regenerate with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the SVGs before accepting
them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from test_tui_support import NOW, SIZE, build_newsroom, press, settle, tui
from textual.pilot import Pilot

from newsdiff_tui.model import CheckState
from newsdiff_tui.store import Store


@pytest.fixture(autouse=True)
def _colour_and_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Colour on (the suite sets NO_COLOR); caches at relative paths so paths on screen match."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def newsroom() -> Path:
    root = Path("cache")
    build_newsroom(root)
    return root


def keys(*pressed: str) -> Callable[[Pilot], Awaitable[None]]:
    """Press keys before the shot, letting the app's workers finish after each."""

    async def run(pilot: Pilot) -> None:
        await settle(pilot)
        await press(pilot, *pressed)

    return run


def test_main_screen(snap_compare, newsroom: Path) -> None:
    assert snap_compare(tui(newsroom), run_before=keys(), terminal_size=SIZE)


def test_main_screen_80x24(snap_compare, newsroom: Path) -> None:
    assert snap_compare(tui(newsroom), run_before=keys(), terminal_size=(80, 24))


def test_main_screen_80x24_reading_the_diff(snap_compare, newsroom: Path) -> None:
    """Narrow and reading: the list gives its room back to the versions and the diff."""
    assert snap_compare(tui(newsroom), run_before=keys("j", "tab", "tab"), terminal_size=(80, 24))


def test_main_screen_160x48(snap_compare, newsroom: Path) -> None:
    assert snap_compare(tui(newsroom), run_before=keys("j"), terminal_size=(160, 48))


def test_maximised_diff(snap_compare, newsroom: Path) -> None:
    press_keys = keys("j", "tab", "tab", "z")
    assert snap_compare(tui(newsroom), run_before=press_keys, terminal_size=(80, 24))


def test_side_by_side_of_the_seed_article(snap_compare, newsroom: Path) -> None:
    assert snap_compare(tui(newsroom), run_before=keys("j", "s"), terminal_size=SIZE)


def test_timeline_with_boring_versions_and_a_base(snap_compare, newsroom: Path) -> None:
    press_keys = keys("h", "tab", "home", "b", "end")
    assert snap_compare(tui(newsroom), run_before=press_keys, terminal_size=SIZE)


def test_a_failed_check_in_the_header_and_the_timeline(snap_compare, newsroom: Path) -> None:
    with Store(newsroom) as store:
        storm = store.articles()[0].id
        failed = CheckState(
            last_checked=NOW - timedelta(minutes=5), last_error="HTTP 404", failures=3
        )
        store.record_check(storm, failed)
    assert snap_compare(tui(newsroom), run_before=keys(), terminal_size=SIZE)


def test_help(snap_compare, newsroom: Path) -> None:
    assert snap_compare(tui(newsroom), run_before=keys("question_mark"), terminal_size=SIZE)


def test_empty_state(snap_compare) -> None:
    assert snap_compare(tui(Path("empty")), run_before=keys(), terminal_size=SIZE)


def test_broken_cache(snap_compare, newsroom: Path) -> None:
    (newsroom / "index.json").write_text('{"articles": {"1": {"id": ', encoding="utf-8")
    assert snap_compare(tui(newsroom), run_before=keys(), terminal_size=SIZE)
