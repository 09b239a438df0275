"""Pilot tests of the TUI: every key, filtering, comparing any two versions, refresh against a
local HTTP server, untrusted text and broken caches. Real caches in temporary directories."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from local_server import LocalServer, Reply, news_page
from rich.style import Style
from test_tui_support import (
    MARKUP_TITLE,
    NOW,
    SIZE,
    STORM_URL,
    build_newsroom,
    inject_control_sequences,
    press,
    screen_lines,
    seeded_root,
    settle,
    tui,
    wait_until,
)
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from newsdiff_tui.store import Store
from newsdiff_tui.tui import keys
from newsdiff_tui.tui.app import NewsdiffApp, run_app
from newsdiff_tui.tui.screens.dialogs import AddUrlDialog, ConfirmDialog
from newsdiff_tui.tui.screens.error import CacheErrorScreen
from newsdiff_tui.tui.screens.help import HelpScreen


@pytest.fixture
def newsroom(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "cache"
    return root, build_newsroom(root)


def record_notifications(app: NewsdiffApp) -> list[dict[str, Any]]:
    """Capture what the app notifies (and still show it)."""
    seen: list[dict[str, Any]] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        seen.append({"message": message, **kwargs})
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return seen


async def select(app: NewsdiffApp, pilot: Any, article_id: str) -> None:
    """Move the list cursor onto an article with the keyboard."""
    await settle(pilot)
    target = app.main.rows.index_of(article_id)
    assert target is not None
    while app.main.articles.cursor != target:
        await press(pilot, "down" if app.main.articles.cursor < target else "up")
    await settle(pilot)
    assert app.main.article_id == article_id


# ----- the main screen -------------------------------------------------------------------


async def test_opens_on_latest_change_with_counts_and_pair(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.focused is app.main.articles
        assert app.main.article_id == ids["storm"]  # most recently changed first
        assert app.main.header.summary == "3 articles · 2 changed today"
        assert app.main.header.network == "never checked"  # nothing checked this cache yet
        assert app.main.header.pair == "Diff v3 → v4"  # v2 is boring, hidden
        assert app.main.diff_view.border_title == "Diff v3 → v4"
        rows = screen_lines(app.main.articles)
        assert rows[0].startswith("▶ Storm warning upgraded for the north ")  # all of it


async def test_arrows_and_jk_move_and_update_timeline_and_diff(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "j")
        assert app.main.article_id == ids["seed"]
        assert [v.number for v in app.main.timeline.shown] == [0, 1]
        assert app.main.header.pair == "Diff v0 → v1"
        await press(pilot, "down")
        assert app.main.article_id == ids["markup"]
        await press(pilot, "k", "up")
        assert app.main.article_id == ids["storm"]
        await press(pilot, "end")
        assert app.main.articles.cursor == 2
        await press(pilot, "home")
        assert app.main.articles.cursor == 0


async def test_tab_and_enter_move_between_panes(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "tab")
        assert app.focused is app.main.timeline
        await press(pilot, "tab")
        assert app.focused is app.main.diff_view
        await press(pilot, "shift+tab", "shift+tab")
        assert app.focused is app.main.articles
        await press(pilot, "enter")
        assert app.focused is app.main.timeline
        await press(pilot, "enter")
        assert app.focused is app.main.diff_view


async def test_footer_shows_the_keys_of_the_focused_pane(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def shown() -> set[str]:
            return {b.binding.key for b in app.active_bindings.values() if b.binding.show}

        assert {"a", "slash", "d", "r", "q"} <= shown()
        assert "n" not in shown()
        app.main.diff_view.focus()
        await settle(pilot)
        assert {"n", "N", "f", "s", "e", "q"} <= shown()
        assert "a" not in shown()


async def test_every_command_has_a_binding_id_and_can_be_remapped(newsroom) -> None:
    root, _ = newsroom
    assert len({c.id for c in keys.COMMANDS}) == len(keys.COMMANDS)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        app.set_keymap({"diff.split": "x"})
        await press(pilot, "x")
        assert app.main.diff_view.split
        await press(pilot, "s")  # no longer bound
        assert app.main.diff_view.split


# ----- the version timeline and the diff ---------------------------------------------------


async def test_v0_alone_shows_its_text(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, ids["seed"])
        await press(pilot, "tab", "k")
        assert app.main.header.pair == "Text v0 (first version)"
        text = "\n".join(app.main.diff_view.text_lines())
        assert "[-" not in text and "{+" not in text
        assert "At Last Minute" in text


async def test_b_compares_any_two_versions(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "tab", "home")  # v0
        assert app.main.header.pair == "Text v0 (first version)"
        await press(pilot, "b")
        assert app.main.timeline.base == 0
        assert "◆ base" in screen_lines(app.main.timeline)[0]
        await press(pilot, "end")  # v4
        assert app.main.header.pair == "Diff v0 → v4 (base)"
        await press(pilot, "k")  # v3
        assert app.main.header.pair == "Diff v0 → v3 (base)"
        # The stats of the timeline stay per neighbour, the diff is base → selected.
        assert "Residents are told" in "\n".join(app.main.diff_view.text_lines())
        await press(pilot, "b")  # v3 becomes the base instead
        assert app.main.timeline.base == 3
        await press(pilot, "home")
        assert app.main.header.pair == "Diff v3 → v0 (base)"
        await press(pilot, "escape")
        assert app.main.timeline.base is None
        assert app.main.header.pair == "Text v0 (first version)"


async def test_h_shows_and_hides_boring_versions(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert [v.number for v in app.main.timeline.shown] == [0, 1, 3, 4]
        await press(pilot, "h")
        assert [v.number for v in app.main.timeline.shown] == [0, 1, 2, 3, 4]
        lines = screen_lines(app.main.timeline)
        assert "boring" in lines[2]
        assert "↺ back to v1" in lines[4]
        assert "v1" in lines[1] and "+25 min" in lines[1] and "words" in lines[1]
        await press(pilot, "h")
        assert [v.number for v in app.main.timeline.shown] == [0, 1, 3, 4]


async def test_inline_diff_marks_changes_without_colour(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, ids["seed"])
        text = "\n".join(screen_lines(app.main.diff_view))
        assert "[-South Korea-]{+Seoul+} took" in text  # no space invented between the two
        assert "~ " in text  # the gutter marks modified paragraphs


async def test_title_change_is_shown_on_top(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "tab", "home", "down")  # v0 → v1 of the storm story
        first = screen_lines(app.main.diff_view)[0]
        # The inserted word keeps its own space inside the marks: without them, "warning for".
        assert "Title: Storm warning {+upgraded +}for the north" in first


async def test_s_switches_to_side_by_side_and_back(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s")
        assert app.main.diff_view.split
        lines = screen_lines(app.main.diff_view)
        assert lines[0].startswith("  v3 · 22 Nov 11:15")
        assert "│ v4 · 22 Nov 11:40" in lines[0]
        assert "side by side" in app.main.status.view
        await press(pilot, "s")
        assert not app.main.diff_view.split
        await press(pilot, "j", "tab", "tab", "n", "n", "s")  # the view stays on the change
        view = app.main.diff_view
        assert view.split and view.current_change == 1
        assert view.scroll_y == view.anchors[1] - 1


async def test_n_and_N_jump_between_changes(newsroom) -> None:
    root, ids = newsroom
    app = tui(root, tz=None)
    async with app.run_test(size=(100, 24)) as pilot:
        await select(app, pilot, ids["seed"])
        await press(pilot, "tab", "tab")
        view = app.main.diff_view
        assert view.change_count == 6
        await press(pilot, "n")
        assert view.current_change == 0
        await press(pilot, "n", "n")
        assert view.current_change == 2
        assert view.scroll_y == view.anchors[2] - 1
        assert screen_lines(view)[1].startswith("▶")
        assert app.main.status.message == "Change 3 of 6"
        await press(pilot, "N")
        assert view.current_change == 1


async def test_f_folds_unchanged_paragraphs(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, ids["seed"])
        unfolded = app.main.diff_view.wrapped.line_count
        await press(pilot, "f")
        text = "\n".join(app.main.diff_view.text_lines())
        assert "unchanged paragraph" in text
        assert app.main.diff_view.wrapped.line_count < unfolded
        await press(pilot, "f")
        assert app.main.diff_view.wrapped.line_count == unfolded


# ----- the list: filter and sort -----------------------------------------------------------


async def test_slash_filters_as_you_type_by_title_source_or_url(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "slash")
        assert isinstance(app.focused, Input)
        await press(pilot, *"korea")
        assert [app.main.rows.id_at(i) for i in range(len(app.main.rows))] == [ids["seed"]]
        assert app.main.article_id == ids["seed"]
        assert "1 of 3" in app.main.status.view
        await press(pilot, *["backspace"] * 5, *"BBC")  # source, any case
        assert len(app.main.rows) == 1 and app.main.article_id == ids["storm"]
        await press(pilot, *["backspace"] * 3, *"evil.example")  # URL
        assert len(app.main.rows) == 1 and app.main.article_id == ids["markup"]
        await press(pilot, "x")
        assert len(app.main.rows) == 0
        assert "No article matches" in screen_lines(app.main.diff_view)[0]
        await press(pilot, "enter")
        assert app.focused is app.main.articles
        await press(pilot, "escape")
        assert len(app.main.rows) == 3
        assert not app.main.filter_box.has_class("-active")


async def test_capital_o_cycles_the_sort(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "O")
        assert app.main.rows.sort == "first_seen"
        assert app.main.rows.id_at(0) == ids["storm"]
        await press(pilot, "O")
        assert app.main.rows.sort == "title"
        titles = [app.main.rows.doc(i)["title"].casefold() for i in range(3)]
        assert titles == sorted(titles)
        assert app.main.article_id == ids["storm"]  # the cursor stays on the same article
        await press(pilot, "O")
        assert app.main.rows.sort == "changed"


# ----- dialogs and commands ----------------------------------------------------------------


async def test_d_deletes_only_after_confirmation(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "d")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "n")
        assert len(app.main.rows) == 3
        await press(pilot, "d")
        await press(pilot, "y")
        await settle(pilot)
        assert len(app.main.rows) == 2
        assert ids["storm"] not in {a.id for a in Store(root).articles()}
        assert app.main.header.summary.startswith("2 articles")
        assert app.main.article_id == ids["seed"]


async def test_a_adds_a_url_through_a_validating_dialog(
    newsroom, local_server: LocalServer
) -> None:
    root, _ = newsroom
    url = local_server.route("/new", Reply(body=news_page("A new story", story(1))))
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "a")
        assert isinstance(app.screen, AddUrlDialog)
        await press(pilot, *"ftp://x", "enter")
        assert isinstance(app.screen, AddUrlDialog)  # refused, says why
        assert "http" in str(app.screen.query_one("#url-problem").render())
        app.screen.query_one(Input).value = url
        await press(pilot, "enter")
        await settle(pilot)
        assert not isinstance(app.screen, AddUrlDialog)
        added = Store(root).article(app.main.article_id or "")
        assert added.url == url
        assert added.version_count == 1
        assert app.main.header.network == "online"
        await press(pilot, "a", "escape")
        assert not isinstance(app.screen, AddUrlDialog)


async def test_o_opens_the_article_in_a_browser(newsroom, monkeypatch) -> None:
    root, _ = newsroom
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "o")
        assert opened == [STORM_URL]


async def test_e_exports_markdown_and_says_where(newsroom, tmp_path: Path) -> None:
    root, _ = newsroom
    out = tmp_path / "exports"
    app = tui(root, export_dir=out)
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "e")
        files = list(out.glob("*.md"))
        assert len(files) == 1
        assert "Storm warning" in files[0].read_text(encoding="utf-8")
        assert any(str(files[0]) in n["message"] for n in notes)
        assert str(files[0]) in app.main.status.message.plain  # type: ignore[union-attr]


async def test_question_mark_lists_every_binding(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        from newsdiff_tui.tui.screens.help import help_table

        cells = [str(c) for column in help_table().columns for c in column._cells]
        for command in keys.COMMANDS:
            assert keys.key_label(command) in cells
            assert command.help in cells
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_ctrl_p_palette_runs_commands_by_name(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, *"side by side")
        # The palette searches after a short debounce: wait for its first hit.
        hits = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: hits.option_count > 0, "palette hits")
        await press(pilot, "enter")
        await settle(pilot)
        assert app.main.diff_view.split


def test_palette_lists_every_command() -> None:
    from newsdiff_tui.tui.commands import palette_entries

    actions = {action for _, action, _ in palette_entries()}
    assert {c.action for c in keys.COMMANDS} <= actions


async def test_q_quits(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "q")
        await settle(pilot)
    assert app.return_code == 0


# ----- refresh against a real local server -------------------------------------------------


def story(n: int) -> list[str]:
    """Paragraphs long enough for extraction to take them for an article."""
    return [
        f"Story {n} begins with a paragraph that reads like the opening of a real news report, "
        "naming the people involved and what happened to them on the day in question.",
        "A second paragraph gives the background: the events that led up to this, the "
        "officials who commented and the figures they released to the press on Friday.",
        "A third paragraph quotes a witness at length, because extraction needs enough text "
        "to tell the article apart from the navigation and the links around it.",
    ]


def _track(root: Path, url: str, paragraphs: list[str] | None = None) -> str:
    """Track ``url``, with one stored version when ``paragraphs`` are given."""
    from newsdiff_tui.model import ArticleText

    with Store(root) as store:
        article = store.add_article(url, first_seen=NOW)
        if paragraphs:
            store.add_version(
                article.id, ArticleText("Stored title", paragraphs=tuple(paragraphs)), NOW
            )
        return article.id


async def test_r_refreshes_the_selected_article_while_the_ui_stays_responsive(
    tmp_path: Path, local_server: LocalServer
) -> None:
    root = tmp_path / "cache"
    page = news_page("Slow story", ["It was slow to arrive.", *story(2)])
    slow = _track(root, local_server.route("/slow", Reply(body=page, delay=0.8)))
    _track(root, "https://other.example.com/x", ["Other text."])
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await select(app, pilot, slow)
        main = app.main
        await pilot.press("r")
        await wait_until(pilot, lambda: "Checking 1/1" in str(main.status.message), "checking")
        assert main.refreshing
        assert "↻" in screen_lines(main.articles)[main.articles.cursor]
        start = main.articles.cursor
        await pilot.press("j" if start == 0 else "k")  # the UI answers while the request waits
        await settle(pilot, ignore=("refresh",))
        assert main.articles.cursor != start and main.refreshing
        assert local_server.requests_for("/slow")  # the request was in flight meanwhile
        await settle(pilot)
        assert not app.main.refreshing
        assert "Checked 1: 1 changed" in str(app.main.status.message)
        await select(app, pilot, slow)
        assert Store(root).article(slow).version_count == 1
        assert app.main.header.network == "online"
        assert app.main.header.pair == "Text v0 (first version)"
        assert "It was slow to arrive." in "\n".join(screen_lines(app.main.diff_view))


async def test_a_failed_check_is_notified_marked_and_loses_nothing(
    tmp_path: Path, local_server: LocalServer
) -> None:
    root = tmp_path / "cache"
    broken = _track(root, local_server.route("/gone", Reply(status=500)), ["Kept paragraph."])
    shard = Store(root).shard_path(broken)
    before = Store(root).versions(broken)
    app = tui(root)
    notes = record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "r")
        await settle(pilot)
        assert any(n.get("severity") == "error" and n.get("title") == "Check failed" for n in notes)
        assert screen_lines(app.main.articles)[0][1] == "!"
        assert "1 failed" in str(app.main.status.message)
        assert app.main.header.network == "online"  # the server answered, with an error
        assert "Kept paragraph." in "\n".join(screen_lines(app.main.diff_view))
    assert Store(root).versions(broken) == before
    assert shard.exists()
    assert Store(root).article(broken).check.last_error


async def test_offline_refresh_says_offline(tmp_path: Path, unused_port: int) -> None:
    root = tmp_path / "cache"
    _track(root, f"http://127.0.0.1:{unused_port}/story", ["Offline text."])
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "r")
        await settle(pilot)
        assert app.main.header.network == "offline"
        assert screen_lines(app.main.articles)[0][1] == "!"


async def test_capital_r_checks_every_due_article(
    tmp_path: Path, local_server: LocalServer
) -> None:
    root = tmp_path / "cache"
    for n in range(3):
        body = news_page(f"Story {n}", story(n))
        _track(root, local_server.route(f"/s{n}", Reply(body=body)))
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "R")
        await settle(pilot)
        assert "Checked 3: 3 changed" in str(app.main.status.message)
        assert all(a.version_count == 1 for a in Store(root).articles())
        assert len(local_server.requests) == 3
        await press(pilot, "R")  # nothing is due right after a check
        await settle(pilot)
        assert len(local_server.requests) == 3


# ----- untrusted text and broken caches ----------------------------------------------------


def _styles(app: NewsdiffApp) -> list[Style]:
    """Every style on screen in the three panes."""
    styles = []
    for view in (app.main.articles, app.main.timeline, app.main.diff_view):
        for y in range(view.scrollable_content_region.height):
            styles.extend(seg.style for seg in view.render_line(y) if seg.style)
    return styles


async def test_markup_and_control_sequences_are_shown_literally(newsroom) -> None:
    root, ids = newsroom
    inject_control_sequences(root, ids["markup"])
    app = tui(root)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot)
        baseline = {(s.color, s.bgcolor, s.bold, s.reverse, s.blink) for s in _styles(app)}
        await select(app, pilot, ids["markup"])
        row = screen_lines(app.main.articles)[app.main.articles.cursor]
        assert "[bold red]Pwned[/] headline [link=https://e" in row
        diff_text = "\n".join(screen_lines(app.main.diff_view))
        assert MARKUP_TITLE in diff_text
        assert "[reverse]inverted[/reverse]" in diff_text
        assert "red and link after." in diff_text  # control sequences stripped, text kept
        for view in (app.main.articles, app.main.timeline, app.main.diff_view):
            for y in range(view.scrollable_content_region.height):
                for seg in view.render_line(y):
                    assert "\x1b" not in seg.text and "\x07" not in seg.text
        styles = _styles(app)
        assert not any(s.link for s in styles)
        assert not any(s.blink for s in styles)
        # No style appears that the app does not use for its own article text.
        now = {(s.color, s.bgcolor, s.bold, s.reverse, s.blink) for s in styles}
        assert not any(s[3] for s in now - baseline)  # no reverse video from the article


async def test_a_corrupt_cache_shows_an_error_and_is_left_untouched(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    build_newsroom(root)
    index = root / "index.json"
    index.write_bytes(b'{"articles": {"1": {"id": "abc", "url": ')
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CacheErrorScreen)
        message = str(app.screen.query_one("#error-message").render())
        assert str(index) in message
        await press(pilot, "q")
        await settle(pilot)
    assert app.return_code == 2
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before


async def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    (root / "meta.json").write_text(json.dumps({"schema": 99}))
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CacheErrorScreen)
        assert "upgrade newsdiff-tui" in str(app.screen.query_one("#error-message").render())


async def test_an_empty_cache_explains_how_to_add_the_first_article(tmp_path: Path) -> None:
    app = tui(tmp_path / "empty")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = "\n".join(screen_lines(app.main.diff_view))
        assert "No articles yet." in text
        assert "Press a to add an article by its URL" in text
        assert "newsdiff-tui add URL" in text
        assert app.main.header.summary == "0 articles · 0 changed today"
        for key in ("r", "d", "o", "e", "b", "n", "s", "h", "f", "j"):
            await press(pilot, key)  # nothing to act on: nothing breaks
        assert app.return_code is None


# ----- launching -----------------------------------------------------------------------------


@pytest.fixture
def user_dirs(monkeypatch, tmp_path: Path) -> None:
    """The platform's config and state dirs in the test's temp dir (never the user's)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def test_demo_runs_on_a_temporary_copy_of_the_seed(monkeypatch, tmp_path: Path, user_dirs) -> None:
    seen: dict[str, Any] = {}

    def fake_run(self: NewsdiffApp) -> None:
        store = Store(self.store_root)
        seen["root"] = self.store_root
        seen["titles"] = [a.title for a in store.articles()]
        seen["versions"] = store.articles()[0].version_count

    monkeypatch.setattr(NewsdiffApp, "run", fake_run)
    home = Path(os.environ["NEWSDIFF_HOME"])
    assert run_app(db=None, demo=True) == 0
    assert seen["titles"] == [
        "At Last Minute, South Korea Holds Off on Leaving Intelligence Pact With Japan"
    ]
    assert seen["versions"] == 2
    assert not Path(seen["root"]).exists()  # removed when the app closed
    assert home not in Path(seen["root"]).parents
    assert not (home / "index.json").exists()


def test_without_demo_the_app_opens_the_users_cache(monkeypatch, tmp_path: Path, user_dirs) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(NewsdiffApp, "run", lambda self: seen.update(root=self.store_root))
    run_app(db=str(tmp_path / "mine"), demo=False)
    assert seen["root"] == tmp_path / "mine"
    run_app(db=None, demo=False)
    assert seen["root"] == Path(os.environ["NEWSDIFF_HOME"])


async def test_demo_seed_main_screen(tmp_path: Path) -> None:
    app = tui(seeded_root(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.main.header.pair == "Diff v0 → v1"
        assert "+32 min" in screen_lines(app.main.timeline)[1]
