"""Snapshot tests of what the screen shows (pytest-textual-snapshot): main screen, side by side,
help, empty state and a broken cache. Deterministic: fixed clock, UTC, fixed terminal size,
relative cache paths; regenerate with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the SVGs before accepting them."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import SIZE, build_newsroom, tui


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


def test_main_screen(snap_compare, newsroom: Path) -> None:
    assert snap_compare(tui(newsroom), terminal_size=SIZE)


def test_side_by_side_of_the_seed_article(snap_compare, newsroom: Path) -> None:
    assert snap_compare(tui(newsroom), press=["j", "s"], terminal_size=SIZE)


def test_timeline_with_boring_versions_and_a_base(snap_compare, newsroom: Path) -> None:
    press = ["h", "tab", "home", "b", "end"]
    assert snap_compare(tui(newsroom), press=press, terminal_size=SIZE)


def test_help(snap_compare, newsroom: Path) -> None:
    assert snap_compare(tui(newsroom), press=["question_mark"], terminal_size=SIZE)


def test_empty_state(snap_compare) -> None:
    assert snap_compare(tui(Path("empty")), terminal_size=SIZE)


def test_broken_cache(snap_compare, newsroom: Path) -> None:
    (newsroom / "index.json").write_text('{"articles": {"1": {"id": ', encoding="utf-8")
    assert snap_compare(tui(newsroom), terminal_size=SIZE)
