"""A layout for reading: titles take the width there is, cut columns end in …, any pane can
take the whole screen, and 80x24 stays usable with Help and Quit in the footer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from test_tui_support import NOW, SIZE, build_newsroom, press, screen_lines, settle, tui
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from newsdiff_tui.model import ArticleText
from newsdiff_tui.store import Store
from newsdiff_tui.tui.widgets.article_list import Columns

LONG_TITLE = (
    "Storm warning upgraded for the whole of the north as forecasters expect gusts of 80 mph "
    "along the coast, ferries cancelled and schools closed on Monday"
)
LONG_SOURCE_URL = "https://www.thedailyplanetandweeklyherald.com/storm"


@pytest.fixture
def newsroom(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "cache"
    return root, build_newsroom(root)


@pytest.fixture
def long_titles(tmp_path: Path) -> Path:
    root = tmp_path / "cache"
    with Store(root) as store:
        article = store.add_article(LONG_SOURCE_URL, first_seen=NOW - timedelta(hours=3))
        for n in range(2):
            text = ArticleText(LONG_TITLE, paragraphs=(f"Version {n} of the story.",))
            store.add_version(article.id, text, NOW - timedelta(hours=2 - n))
    return root


@pytest.mark.parametrize("width", [60, 80, 120, 160, 220])
async def test_the_list_gives_the_title_all_the_width_left(long_titles: Path, width: int) -> None:
    app = tui(long_titles)
    async with app.run_test(size=(width, 30)) as pilot:
        main = await settle(pilot)
        view = main.articles
        row = screen_lines(view)[0]
        columns = Columns.for_width(view.row_width)
        fixed = 2 + (columns.source + 1 if columns.source else 0) + columns.when + columns.count
        title_room = view.row_width - fixed
        assert LONG_TITLE[: title_room - 1] + "…" in row  # every cell of room, then the cut
        if columns.source:
            cut_source = "thedailyplanetandweeklyherald"[: columns.source - 1] + "…"
            assert f" {cut_source} " in row  # a cut source says so
        else:
            assert "thedaily" not in row
        assert ("1h ago" in row) == bool(columns.when)


def test_columns_are_dropped_least_useful_first_as_the_width_shrinks() -> None:
    widths = [Columns.for_width(w) for w in (120, 70, 55, 40, 30)]
    assert [(c.source > 0, c.when > 0, c.count > 0) for c in widths] == [
        (True, True, True),
        (True, True, True),
        (True, True, False),
        (False, True, False),
        (False, False, False),
    ]
    assert widths[0].source > widths[1].source > widths[2].source  # shortened first


async def test_at_80x24_title_versions_and_diff_are_usable_and_the_footer_has_help_and_quit(
    newsroom,
) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await settle(pilot)
        assert "Storm warning upgraded for the north" in screen_lines(main.articles)[0]
        assert any(line.startswith("▶ v4") for line in screen_lines(main.timeline))
        assert "Storm warning upgraded for the north" in "\n".join(screen_lines(main.diff_view))
        for focus in ("articles", "timeline", "diff_view"):
            getattr(main, focus).focus()
            await settle(pilot)
            footer = main.query_one(Footer)
            shown = {
                key.key for key in footer.query(FooterKey) if key.region.right <= 80 and key.region
            }
            assert {"q", "question_mark"} <= shown, (focus, shown)
        main.timeline.focus()
        await settle(pilot)
        # Reading: the list gives its room back, the diff shows at least 6 lines of text.
        assert main.diff_view.scrollable_content_region.height >= 6


async def test_z_gives_the_focused_pane_the_whole_screen_and_back(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=(80, 24)) as pilot:
        main = await press(pilot, "tab", "tab")  # the diff
        before = main.diff_view.size.height
        await press(pilot, "z")
        assert main.maximized is main.diff_view
        assert main.diff_view.size.height > before
        assert main.diff_view.outer_size.width == 80
        assert main.header.region.y == 0  # the header stays (it names the pair)
        assert not main.articles.display or main.articles.region.height == 0
        await press(pilot, "n")  # keys still work in the zoomed pane
        assert main.diff_view.current_change == 0
        await press(pilot, "z")
        assert main.maximized is None
        await press(pilot, "shift+tab", "z")  # the versions pane, then Escape gives it back
        assert main.maximized is main.timeline
        await press(pilot, "escape")
        assert main.maximized is None


async def test_version_rows_are_cut_with_an_ellipsis(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=(100, 30)) as pilot:
        main = await settle(pilot)
        rows = [r for r in screen_lines(main.timeline) if r.strip()]
        cursor = next(r for r in rows if r.startswith("▶"))
        assert rows[-1] == cursor  # the latest version, selected
        assert all(len(r) <= main.timeline.row_width for r in rows)
        cut = [r for r in rows if "words" not in r and "…" in r]
        assert cut, rows  # a row too long for the pane ends in …, the cursor's row too
        assert cursor.rstrip().endswith("…")


async def test_an_article_never_fetched_says_so_instead_of_0m_ago(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    with Store(root) as store:
        store.add_article("https://www.example.com/just-added", first_seen=NOW)
        fresh = store.add_article("https://www.example.com/fresh", first_seen=NOW)
        store.add_version(fresh.id, ArticleText("Fresh", paragraphs=("x",)), NOW)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        text = "\n".join(screen_lines(main.articles))
        assert "0m ago" not in text
        assert "no text" in text  # tracked, nothing fetched yet
        assert "just now" in text  # changed less than a minute ago


async def test_the_filter_box_has_a_prompt(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "slash", "k", "o")
        box = main.filter_box
        assert box.border_title and "Filter" in box.border_title
        assert box.region.height == 3  # shown, with its border and title
        assert box.value == "ko"
