"""Reading a history in the TUI: blame (B), searching the text of every version (Ctrl+T in the
filter), the stats screen (S) and a moved paragraph in the diff. Pilot tests on real caches in
temporary directories, and snapshots at a fixed clock (plain ``def`` with ``snap_compare``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from test_stats import build as build_stats_cache
from test_tui_snapshots import keys
from test_tui_support import (
    NOW,
    SEED,
    SIZE,
    add_versions,
    build_newsroom,
    press,
    settle,
    tui,
    wait_until,
)
from textual.widgets import DataTable, ProgressBar

from newsdiff_tui.blame import blame
from newsdiff_tui.history import load_history
from newsdiff_tui.model import ArticleText, Version
from newsdiff_tui.search import SearchIndex
from newsdiff_tui.stats import collect_stats
from newsdiff_tui.store import Store
from newsdiff_tui.tui import diffrender
from newsdiff_tui.tui.app import NewsdiffApp
from newsdiff_tui.tui.diffrender import DiffStyles, blame_pieces, render_blame
from newsdiff_tui.tui.screens import stats as stats_screen
from newsdiff_tui.tui.screens.main import MainScreen
from newsdiff_tui.tui.screens.stats import FirstChangeChart, StatsScreen
from newsdiff_tui.tui.widgets import diff_view

QUOTE = "“We did not compromise,” he said."
MOVED_URL = "https://www.example.org/news/moved"
FIRST = "The first paragraph opens the story with the news of the day in a long sentence."
MIDDLE = [
    "A second paragraph gives the background that readers need to follow the story.",
    "A third paragraph quotes an official who spoke on condition of anonymity.",
]
LAST = "A closing paragraph says what happens next and when the council will meet again."


@pytest.fixture
def newsroom(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "cache"
    return root, build_newsroom(root)


def said(app: NewsdiffApp) -> list[str]:
    """Record every status message of the main screen (as plain text)."""
    seen: list[str] = []
    main = app.main
    original = main.say

    def say(message: Any) -> None:
        seen.append(getattr(message, "plain", message))
        original(message)

    main.say = say  # type: ignore[method-assign]
    return seen


def line_with(lines: list[str], text: str) -> str:
    """The one line of ``lines`` that contains ``text``."""
    found = [line for line in lines if text in line]
    assert len(found) == 1, (text, found)
    return found[0]


# ----- blame ----------------------------------------------------------------------------------


async def test_b_shows_the_blame_of_the_selected_version_and_back(
    newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ids = newsroom
    threads: list[bool] = []

    def blame_in_worker(*args: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return blame(*args)

    monkeypatch.setattr(diff_view, "blame", blame_in_worker)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "j", "B")
        assert main.article_id == ids["seed"]
        assert main.diff_view.border_title == "Blame v1"
        assert main.header.pair == "Blame v1"
        assert "blame" in main.status.view
        assert "restored" in str(main.diff_view.border_subtitle)  # the legend
        lines = main.diff_view.text_lines()
        # The quote came with v1, 32 minutes after the article was first seen.
        quote = line_with(lines, QUOTE)
        assert quote.startswith("▌v1 +32 min")
        # A sentence of v0 that v1 edited says so.
        assert line_with(lines, "Just hours before the deadline").startswith("▌v0 first   ~v1")
        assert line_with(lines, "The reversal comes on the eve").startswith("▌v0 first  ")
        assert threads == [False]  # blamed in the diff view's worker, off the UI thread
        # Moving to v0 blames v0: everything is from v0.
        main = await press(pilot, "tab", "up")
        assert main.diff_view.border_title == "Blame v0"
        assert not any(QUOTE in line for line in main.diff_view.text_lines())
        main = await press(pilot, "B")
        assert main.diff_view.border_title == "Text v0 (first version)"
        assert main.diff_view.border_subtitle == ""
        main = await press(pilot, "down")
        assert main.diff_view.border_title == "Diff v0 → v1"
        assert "blame" not in main.status.view


async def test_blame_marks_edits_and_restores_and_n_jumps_to_the_newest(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "B")
        assert main.article_id == ids["storm"]
        assert main.diff_view.border_title == "Blame v4"  # v4 returns to the text of v1
        lines = main.diff_view.text_lines()
        assert "↺v4" in line_with(lines, "Ferries may be cancelled.")
        assert "~v4" in line_with(lines, "Forecasters issued an amber warning")
        assert "~v1" in line_with(lines, "Gusts of 80 mph")
        assert "Residents are told" not in "\n".join(lines)  # v4 removed it
        # n / N: the sentences the newest change (v4) touched.
        assert main.diff_view.change_count == 2
        main = await press(pilot, "tab", "tab", "n")
        assert main.status.message == "Sentence of the newest change 1 of 2"
        current = main.diff_view.anchors[main.diff_view.current_change]
        assert "Forecasters" in main.diff_view.text_lines()[current]
        main = await press(pilot, "n")
        assert main.status.message == "Sentence of the newest change 2 of 2"
        # Escape in the filter or a base does not leave the blame; B does.
        main = await press(pilot, "shift+tab", "up")
        assert main.diff_view.border_title == "Blame v3"
        assert "Residents are told to stay indoors." in "\n".join(main.diff_view.text_lines())


def test_blame_rendered_in_pieces_is_the_whole_and_coloured_by_age() -> None:
    """The worker renders a long blame piece by piece: joined, the pieces are the whole; the
    gutter's colour goes from the oldest version's to the newest's."""
    texts = [
        ArticleText(title="T", paragraphs=tuple(f"Paragraph {p} in version {v}." for p in range(7)))
        for v in range(3)
    ]
    versions = [Version(n, text, NOW + timedelta(hours=n), f"h{n}") for n, text in enumerate(texts)]
    result = blame(versions, -1)
    console = Console(width=60)
    styles = DiffStyles()
    whole = blame_pieces(result)
    pieces = blame_pieces(result, size=2)
    assert len(whole) == 1 and len(pieces) == 4
    joined = [line for piece in pieces for line in render_blame(piece, 60, console, styles).lines]
    assert [x.plain for x in joined] == [
        x.plain for x in render_blame(whole[0], 60, console, styles).lines
    ]
    colours = {line.spans[0].style.color for line in joined if line.plain.startswith("▌v")}
    assert diffrender.blame_colour(0.0, styles).color in colours  # the title, from v0
    assert diffrender.blame_colour(1.0, styles).color in colours  # every paragraph, from v2
    assert diffrender.blame_colour(0.0, styles).color != diffrender.blame_colour(1.0, styles).color


# ----- searching the text of every version --------------------------------------------------


async def test_ctrl_t_searches_the_text_of_every_version(
    newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ids = newsroom
    threads: list[bool] = []
    original = SearchIndex.search

    def search_in_worker(self: SearchIndex, query: Any) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return original(self, query)

    monkeypatch.setattr(SearchIndex, "search", search_in_worker)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        messages = said(app)
        main = await press(pilot, "ctrl+t")
        box = main.filter_box
        assert app.focused is box and box.mode == "text"
        assert "Ctrl+T: titles" in str(box.border_title)
        assert "+words: added" in box.placeholder
        main = await press(pilot, *"cancelled")
        assert len(main.rows) == 3  # text is searched on Enter, not as you type
        main = await press(pilot, "enter")
        assert any(m.startswith("Building the search index of 3 articles") for m in messages)
        assert (root / "search.sqlite3").exists()
        assert [main.rows.id_at(i) for i in range(len(main.rows))] == [ids["storm"]]
        assert main.status.message.plain == "“cancelled” in 5 versions of 1 article"
        assert "text “cancelled”: 1 of 3" in main.status.view
        assert main.articles.border_subtitle == "1 · 5 versions found · by last change"
        assert app.focused is main.articles
        assert threads == [False]
        # Words added: the seed's quote came with v1; the status shows where, with an excerpt.
        main = await press(pilot, "slash", "ctrl+u", *"+compromise", "enter")
        assert [main.rows.id_at(i) for i in range(len(main.rows))] == [ids["seed"]]
        assert main.article_id == ids["seed"]
        assert "“+compromise” added in 1 version of 1 article" in messages
        # The cursor went to the article found: the status says where the words are.
        assert main.status.message.plain.startswith("added in v1 of 2: ")
        assert QUOTE in main.status.message.plain
        # Words removed: v4 of the storm story dropped the residents' sentence.
        main = await press(pilot, "slash", "ctrl+u", *"-residents", "enter")
        assert [main.rows.id_at(i) for i in range(len(main.rows))] == [ids["storm"]]
        assert main.status.message.plain.startswith("removed in v4 of 5; v3 had: Residents")
        # Nothing found: said, and the list stays as it was.
        main = await press(pilot, "slash", "ctrl+u", *'"cancelled ferries"', "enter")
        assert main.status.message.plain == "Nothing found: no version has “cancelled ferries”"
        assert app.focused is main.filter_box and len(main.rows) == 1
        # Nothing to search for: the core's message.
        main = await press(pilot, "ctrl+u", *"...", "enter")
        assert "nothing to search for" in main.status.message.plain
        # Ctrl+T again: back to titles, filtering as you type; Escape shows every article.
        main = await press(pilot, "ctrl+u", "ctrl+t", *"storm")
        assert box.mode == "titles" and "Ctrl+T: search the text" in str(box.border_title)
        assert main.rows.search is None and len(main.rows) == 1
        main = await press(pilot, "escape")
        assert len(main.rows) == 3 and main.rows.narrowed_by == ""


async def test_a_search_result_survives_a_reload_of_the_index(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "ctrl+t", *"korea", "enter")
        assert len(main.rows) == 1
        with Store(root) as store:  # another process adds an article
            add_versions(store, "https://www.example.org/korea", [("Korea", ["Seoul."])], NOW)
        main.reload_index(poll=True)
        main = await settle(pilot)
        assert main.rows.total == 4
        assert [main.rows.id_at(i) for i in range(len(main.rows))] == [ids["seed"]]


# ----- the stats screen -----------------------------------------------------------------------


async def test_s_opens_the_stats_screen_with_the_figures_per_source(tmp_path: Path) -> None:
    with Store(tmp_path / "cache") as store:
        build_stats_cache(store)
    app = tui(tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "S")
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        table = screen.query_one(DataTable)
        rows = {str(key.value): [c.plain for c in table.get_row(key)] for key in table.rows}
        # The hand-built cache's answers (tests/test_stats.py works them out).
        assert rows["example"][:8] == [
            *("example", "4", "2.0/2/3", "75%", "50%", "2 hours", "25%"),
            "25%/25%/50%/0%",
        ]
        assert next(iter(rows)) == "all sources"  # first, then the sources by article count
        assert rows["all sources"][1] == "6"
        progress = screen.query_one("#stats-bar", ProgressBar)
        assert (progress.progress, progress.total) == (6, 6)  # counted as histories were read
        chart = screen.query_one(FirstChangeChart)
        assert chart.stats is not None and chart.stats.source == "all sources"
        assert "all sources" in str(chart.border_title)
        text = chart.render().plain.splitlines()
        assert text[1].split()[:5] == ["<", "15", "min", "2", "50%"]
        assert "█" * 10 in text[1]  # the longest bar
        await press(pilot, "down")
        assert chart.stats.source == "example"
        await press(pilot, "escape")
        assert isinstance(app.screen, MainScreen)


async def test_the_stats_screen_of_an_empty_cache_says_why(tmp_path: Path) -> None:
    app = tui(tmp_path / "empty")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "S")
        message = str(app.screen.query_one("#stats-reading").render())
        assert message.startswith("No statistics: the cache at")
        assert "holds no articles yet" in message
        await press(pilot, "q")
        assert isinstance(app.screen, MainScreen)


async def test_escape_stops_the_stats_worker_between_two_histories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(tmp_path / "cache") as store:
        build_stats_cache(store)
    closed = threading.Event()
    outcome: list[str] = []

    def collect(store: Store, *, progress: Callable[[int, int], None], **_: Any) -> Any:
        progress(1, 6)
        closed.wait(timeout=30)  # until the screen is closed (the test's event, no race)
        try:
            progress(2, 6)
        except Exception as exc:
            outcome.append(type(exc).__name__)
            raise
        outcome.append("went on")
        return collect_stats(store)

    monkeypatch.setattr(stats_screen, "collect_stats", collect)
    app = tui(tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, StatsScreen)
                and app.screen.query_one("#stats-bar", ProgressBar).progress == 1
            ),
            "the stats screen counting histories",
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the screen closed")
        closed.set()
        await settle(pilot)
        assert outcome == ["_Cancelled"]  # it stopped at the next history, reading no more


# ----- a moved paragraph ----------------------------------------------------------------------


def build_moved(root: Path) -> str:
    """An article whose v1 moves its first paragraph to the end."""
    with Store(root) as store:
        return add_versions(
            store,
            MOVED_URL,
            [("Moved", [FIRST, *MIDDLE, LAST]), ("Moved", [*MIDDLE, LAST, FIRST])],
            NOW - timedelta(minutes=30),
        )


async def test_a_moved_paragraph_shows_as_a_move(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    article_id = build_moved(root)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert main.article_id == article_id
        assert main.diff_view.border_title == "Diff v0 → v1"
        lines = main.diff_view.text_lines()
        assert "↕ moved from ¶1 to ¶4" in lines
        moved = [line for line in lines if FIRST[:30] in line]
        assert len(moved) == 1 and moved[0].startswith("↕ ")  # shown once, in its new place
        assert not any(line.startswith(("- ", "+ ")) for line in lines)  # not deleted + inserted
        assert main.diff_view.change_count == 1
        assert "↕1¶" in main.timeline.render_line(1).text  # the timeline's stats count it


# ----- snapshots ------------------------------------------------------------------------------


@pytest.fixture
def shots(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Colour on (the suite sets NO_COLOR) and caches at relative paths, as the other
    snapshot tests have them."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    return Path("cache")


def test_blame_of_the_seed_article(snap_compare, shots: Path) -> None:
    build_newsroom(shots)
    assert snap_compare(tui(shots), run_before=keys("j", "B"), terminal_size=SIZE)


def test_blame_at_80x24(snap_compare, shots: Path) -> None:
    build_newsroom(shots)
    press_keys = keys("B", "tab", "tab")
    assert snap_compare(tui(shots), run_before=press_keys, terminal_size=(80, 24))


def test_searching_the_text(snap_compare, shots: Path) -> None:
    build_newsroom(shots)
    with Store(shots) as store:
        for n in range(12):
            texts = [(f"Story {n}", [f"Paragraph of story {n}.", "The ferries run as usual."])]
            if n % 4 == 0:  # three of them cancel the ferries later
                texts.append((f"Story {n}", [f"Paragraph of story {n}.", "Ferries are cancelled."]))
            url = f"https://news.example.com/2019/11/story-{n}"
            add_versions(store, url, texts, NOW - timedelta(hours=n + 3))
    press_keys = keys("ctrl+t", *"+cancelled", "enter")
    assert snap_compare(tui(shots), run_before=press_keys, terminal_size=SIZE)


def test_stats_screen(snap_compare, shots: Path) -> None:
    with Store(shots) as store:
        build_stats_cache(store)
        load_history(store, json.loads(SEED.read_text(encoding="utf-8")))
    assert snap_compare(tui(shots), run_before=keys("S"), terminal_size=SIZE)


def test_a_moved_paragraph(snap_compare, shots: Path) -> None:
    build_moved(shots)
    assert snap_compare(tui(shots), run_before=keys(), terminal_size=(100, 30))
