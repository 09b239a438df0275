"""The reader's place is kept: reloads and new versions leave the article and version alone
(the status bar says what is new), Escape on a filter keeps the chosen article, status
messages go when you move; and what the reader needs to know is in sight: why the last check
failed, when anything was last checked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from local_server import Reply
from test_tui_support import (
    NOW,
    SIZE,
    build_newsroom,
    inject_control_sequences,
    press,
    screen_lines,
    settle,
    tui,
)

from newsdiff_tui.model import ArticleText, CheckState
from newsdiff_tui.store import Store


@pytest.fixture
def newsroom(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "cache"
    return root, build_newsroom(root)


def record_notifications(app: Any) -> list[str]:
    seen: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        seen.append(f"{kwargs.get('title') or ''}\n{message}")
        original(message, **kwargs)

    app.notify = notify
    return seen


async def test_another_process_adding_a_version_keeps_the_reader_on_theirs(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "j", "tab", "home")  # the seed article, reading v0
        assert main.article_id == ids["seed"]
        assert main.header.pair == "Text v0 (first version)"
        with Store(root) as other:  # a cron `fetch` in another shell stores v2 of it
            text = other.versions(ids["seed"])[-1].text
            changed = ArticleText(text.title, paragraphs=(*text.paragraphs, "A late addition."))
            other.add_version(ids["seed"], changed, NOW + timedelta(minutes=5))
        main.poll_store()
        await settle(pilot)
        assert main.article_id == ids["seed"]
        assert [v.number for v in main.timeline.shown] == [0, 1, 2]
        assert main.timeline.selected is not None and main.timeline.selected.number == 0
        assert main.header.pair == "Text v0 (first version)"
        assert "New version" in str(main.status.message) and "v2" in str(main.status.message)


async def test_a_reload_that_reorders_the_list_keeps_the_article(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "j")  # the seed article, second row
        assert main.article_id == ids["seed"]
        with Store(root) as other:  # the markup article changes: it moves to the top
            text = ArticleText("Now the latest story", paragraphs=("New text.",))
            other.add_version(ids["markup"], text, NOW + timedelta(minutes=1))
        main.poll_store()
        await settle(pilot)
        assert main.rows.id_at(0) == ids["markup"]
        assert main.article_id == ids["seed"]
        assert main.articles.selected_id == ids["seed"]


async def test_escape_on_the_filter_keeps_the_chosen_article(newsroom) -> None:
    root, ids = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "slash", *"evil")
        assert main.article_id == ids["markup"]
        await press(pilot, "escape")
        assert len(main.rows) == 3
        assert main.article_id == ids["markup"]
        assert main.articles.selected_id == ids["markup"]
        assert main.articles.cursor == main.rows.index_of(ids["markup"]) == 2


async def test_status_messages_clear_when_you_move(newsroom) -> None:
    root, _ = newsroom
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "j", "tab", "tab", "n", "n")
        assert str(main.status.message).startswith("Change 2 of")
        await press(pilot, "shift+tab", "shift+tab", "j")  # another article
        assert str(main.status.message) == ""
        await press(pilot, "tab", "tab", "n", "shift+tab", "k")  # another version
        assert str(main.status.message) == ""


async def test_the_versions_pane_follows_the_selected_version(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    with Store(root) as store:
        article = store.add_article("https://www.example.com/often-edited")
        for n in range(25):
            text = ArticleText("Edited often", paragraphs=(f"Edit number {n} of the text.",))
            store.add_version(article.id, text, NOW - timedelta(hours=25 - n))
    app = tui(root)
    async with app.run_test(size=(120, 36)) as pilot:
        main = await settle(pilot)
        assert main.header.pair == "Diff v23 → v24"
        rows = screen_lines(main.timeline)
        assert any(r.startswith("▶ v24") for r in rows), rows  # the cursor's row is in view
        await press(pilot, "tab", "home")
        assert screen_lines(main.timeline)[0].startswith("▶ v0")


async def test_the_last_failed_check_is_in_the_timeline_footer_and_the_header(
    newsroom,
) -> None:
    root, ids = newsroom
    with Store(root) as store:
        store.record_check(
            ids["seed"],
            CheckState(
                last_checked=NOW,
                last_error="HTTP 404 \x1b[31mNot Found\x1b[0m [bold red]from the server[/]",
                failures=3,
            ),
        )
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert main.header.problem == ""  # the storm story is fine
        await press(pilot, "j")
        footer = main.timeline._border_subtitle.plain  # what the border shows
        assert "HTTP 404 Not Found [bold red]from the server[/]" in footer  # literally
        assert "3 failures in a row" in footer
        assert "Not Found [bold red]from the server[/] · 3 failures in a row" in main.header.problem
        assert "\x1b" not in footer + main.header.problem
        assert screen_lines(main.articles)[1][1] == "!"
        await press(pilot, "k")
        assert main.header.problem == ""


async def test_the_header_tells_when_the_cache_was_last_checked(newsroom) -> None:
    root, ids = newsroom
    with Store(root) as store:  # what a `fetch` in a shell leaves behind
        store.record_check(ids["storm"], CheckState(last_checked=NOW - timedelta(minutes=12)))
        store.record_check(ids["seed"], CheckState(last_checked=NOW - timedelta(hours=3)))
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert main.header.network == "last check 12 min ago"


async def test_notifications_show_web_text_safely(tmp_path: Path, local_server) -> None:
    root = tmp_path / "cache"
    url = local_server.route("/pulled", Reply(status=500, body="\x1b]8;;x\x07gone"))
    with Store(root) as store:
        article = store.add_article(url, first_seen=NOW)
        store.add_version(article.id, ArticleText("Title", paragraphs=("One.", "Two.")), NOW)
    inject_control_sequences(root, article.id)  # its stored title now carries escape codes
    app = tui(root)
    notes = record_notifications(app)
    async with app.run_test(size=(160, 36)) as pilot:
        await press(pilot, "r")
        await press(pilot, "d", "y")
        assert any("Check failed" in n for n in notes), notes
        assert any(n.startswith("\nDeleted [bold red]Pwned") for n in notes), notes
        assert all("\x1b" not in n and "\x07" not in n for n in notes), notes
