"""The app and the Wayback Machine: ``W`` backfills the selected article against a fake archive
on 127.0.0.1 (progress in the status bar, a notice of the result, a 429 reported, one backfill
at a time, the reader kept on their version), archived and imported versions are marked in the
timeline with their origin under it, and ``o`` on an archived version opens its archive page.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fake_archive import (
    FakeArchive,
    capture_reply,
    fake_archive_fixture,  # noqa: F401 - the fixture ``fake_archive``
    page,
)
from local_server import Reply, Request
from test_tui_selection import record_notifications
from test_tui_support import (
    NOW,
    SEED,
    SIZE,
    press,
    screen_lines,
    seeded_root,
    settle,
    tui,
    wait_until,
)

from newsdiff_tui.model import ArticleText, SeenText, wayback_link
from newsdiff_tui.store import Store
from newsdiff_tui.tui import keys
from newsdiff_tui.tui.commands import palette_entries
from newsdiff_tui.tui.screens.help import help_table, marks_table
from newsdiff_tui.tui.screens.main import MainScreen
from newsdiff_tui.tui.widgets.timeline import MARKS

SEED_DATA = json.loads(SEED.read_text(encoding="utf-8"))
URL = SEED_DATA["url"]
PARAGRAPHS = SEED_DATA["versions"][0]["paragraphs"]
TITLE = SEED_DATA["versions"][0]["title"]
EARLY = "20191122083000"  # captures before the seed's first (live) version, 09:15
LATER = "20191122090000"
EARLY_TEXT = ("South Korea Weighs Leaving Intelligence Pact", PARAGRAPHS[:6])
LATER_TEXT = ("South Korea Set to Leave Intelligence Pact With Japan", PARAGRAPHS[:8])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A cache holding the seed article: two live versions, 09:15 and 09:47."""
    return seeded_root(tmp_path)


def serve_captures(fake: FakeArchive) -> None:
    """Two captures of the seed article from before its first version."""
    for stamp, (title, paragraphs) in ((EARLY, EARLY_TEXT), (LATER, LATER_TEXT)):
        fake.add(URL, stamp, page(title, paragraphs))


def record_status(main: MainScreen) -> list[str]:
    """Every message the status bar is given from now on."""
    seen: list[str] = []
    original = main.say

    def say(message: Any) -> None:
        seen.append(str(message))
        original(message)

    main.say = say  # type: ignore[method-assign]
    return seen


def origins(main: MainScreen) -> list[tuple[int, str]]:
    return [(v.number, v.origin) for v in main.timeline.versions]


async def test_w_adds_archived_versions_before_v0_and_keeps_the_reader(
    root: Path, fake_archive: FakeArchive
) -> None:
    serve_captures(fake_archive)
    fake_archive.add(  # an archived error page: refused, never stored
        URL,
        "20191122085000",
        Reply(status=404, headers={"Memento-Datetime": "Fri, 22 Nov 2019 08:50:00 GMT"}),
    )
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "tab")  # reading v1 (the latest) against v0
        assert main.header.pair == "Diff v0 → v1"
        reading = main.timeline.selected
        status = record_status(main)
        notices = record_notifications(app)
        await press(pilot, "W")
        assert origins(main) == [(0, "wayback"), (1, "wayback"), (2, "live"), (3, "live")]
        # The reader stays on the version they were reading, renumbered v3.
        selected = main.timeline.selected
        assert selected is not None and selected.number == 3
        assert (selected.fetched_at, selected.text_hash) == (reading.fetched_at, reading.text_hash)
        assert main.header.pair == "Diff v2 → v3"
        assert main.focused is main.timeline
        archived = main.timeline.versions[0]
        assert archived.origin_ref == EARLY and archived.origin_url == wayback_link(EARLY, URL)
    assert status[0] == "Backfill: searching the archive…"
    assert any(line.startswith("Backfill: 1/3 captures · nytimes · At Last") for line in status)
    done = "Backfill: 3 captures: 2 versions stored, 3 downloaded, 1 refused, 0 failed"
    assert status[-1] == done
    assert notices[-1] == f"Backfill\nnytimes · {TITLE}\n{done}"


async def test_archived_versions_are_marked_in_the_timeline(
    root: Path, fake_archive: FakeArchive
) -> None:
    serve_captures(fake_archive)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "tab")
        assert "⌂" not in "".join(screen_lines(main.timeline))  # no column for live-only
        await press(pilot, "W", "home")
        rows = screen_lines(main.timeline)
        assert rows[0].startswith("▶ v0  ⌂ 22 Nov 08:30  first seen")
        assert rows[1].startswith("  v1  ⌂ 22 Nov 09:00  +30 min")
        assert rows[2].startswith("  v2    22 Nov 09:15  +15 min")
        assert rows[3].startswith("  v3    22 Nov 09:47  +32 min")
        # The pane's bottom border names the selected version's origin, then the check state.
        assert str(main.timeline.border_subtitle).startswith(
            "v0 · archived 22 Nov 2019 08:30 · web.archive.org · "
        )
        await press(pilot, "end")
        assert not str(main.timeline.border_subtitle).startswith("v3")


async def test_a_429_from_the_archive_is_reported_and_the_backfill_goes_on(
    root: Path, fake_archive: FakeArchive
) -> None:
    serve_captures(fake_archive)
    fake_archive.cdx_replies.append(Reply(status=429, headers={"Retry-After": "0"}))
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        status = record_status(main)
        notices = record_notifications(app)
        await press(pilot, "W")
        assert [origin for _, origin in origins(main)] == ["wayback", "wayback", "live", "live"]
    paused = (
        "Backfill paused: the archive asked us to slow down (HTTP 429): "
        "all archive requests paused for 0 s"
    )
    assert paused in status
    assert f"Backfill\n{paused}" in notices
    assert status[-1].startswith("Backfill: 2 captures: 2 versions stored")


async def test_an_archive_that_keeps_refusing_stops_the_backfill_and_says_why(
    root: Path, fake_archive: FakeArchive
) -> None:
    serve_captures(fake_archive)
    fake_archive.cdx_replies += [Reply(status=429, headers={"Retry-After": "0"})] * 3
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        notices = record_notifications(app)
        await press(pilot, "W")
        assert origins(main) == [(0, "live"), (1, "live")]
        assert main.backfill_job is None
        stopped = (
            "Backfill stopped: the archive asked us to slow down 3 times in a row: "
            "stopped to avoid being blocked; try again in an hour"
        )
        assert str(main.status.message) == stopped
    assert notices[-1].endswith(stopped)
    assert fake_archive.times("capture") == []


async def test_an_article_without_captures_says_so(root: Path, fake_archive: FakeArchive) -> None:
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await press(pilot, "W")
        assert str(main.status.message) == "Backfill: no captures of this article in the archive"
        assert origins(main) == [(0, "live"), (1, "live")]


@pytest.fixture
def held_capture(fake_archive: FakeArchive) -> Iterator[threading.Event]:
    """The archive holds the first capture's answer until the event is set."""
    serve_captures(fake_archive)
    release = threading.Event()
    path = f"/web/{EARLY}id_/{URL}"

    def answer(request: Request) -> Reply:
        release.wait(timeout=60)
        return capture_reply(EARLY, page(*EARLY_TEXT))

    fake_archive.server.route(path, answer)
    yield release
    release.set()


async def test_w_while_a_backfill_runs_says_so_and_starts_no_other(
    root: Path, fake_archive: FakeArchive, held_capture: threading.Event
) -> None:
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        notices = record_notifications(app)
        await pilot.press("W")
        await wait_until(
            pilot, lambda: "2 captures found" in str(main.status.message), "captures found"
        )
        await pilot.press("W")
        await wait_until(pilot, lambda: notices, "a notice")
        assert notices == [
            f"\nA backfill is already running (nytimes · {TITLE}): wait for it to end"
        ]
        assert len([w for w in app.workers if w.group == "backfill"]) == 1
        held_capture.set()
        await settle(pilot)
        assert len(fake_archive.times("cdx")) == 1
        assert [origin for _, origin in origins(main)] == ["wayback", "wayback", "live", "live"]
        assert main.backfill_job is None


async def test_earlier_versions_stored_by_another_process_keep_the_reader_and_the_base(
    root: Path,
) -> None:
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "tab", "home", "b", "end")  # v1 against the base v0
        assert main.header.pair == "Diff v0 → v1 (base)"
        add_archived(root)  # `newsdiff-tui backfill` in another shell
        main.poll_store()
        await settle(pilot)
        assert origins(main) == [(0, "wayback"), (1, "live"), (2, "live")]
        assert main.timeline.selected is not None and main.timeline.selected.number == 2
        assert main.timeline.base == 1
        assert main.header.pair == "Diff v1 → v2 (base)"
        assert (
            str(main.status.message) == "1 earlier version of this article stored · you stay on v2"
        )


# ----- o on an archived version -------------------------------------------------------------


def add_archived(root: Path, stamp: str = EARLY) -> str:
    """An archived version of the seed article before its first, as a backfill stores it."""
    with Store(root) as store:
        (article,) = store.articles()
        title, paragraphs = EARLY_TEXT
        seen = SeenText(
            ArticleText(title, paragraphs=tuple(paragraphs)),
            datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC),
            "wayback",
            stamp,
            wayback_link(stamp, URL),
        )
        store.insert_versions(article.id, [seen])
    return wayback_link(stamp, URL)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the app asks a browser to open (none is started)."""
    urls: list[str] = []

    def open_url(url: str, *args: object, **kwargs: object) -> bool:
        urls.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", open_url)
    return urls


async def test_o_on_an_archived_version_opens_its_archive_page(
    root: Path, opened: list[str]
) -> None:
    link = add_archived(root)
    app = tui(root)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "tab", "home", "o")  # the archived v0
        await press(pilot, "end", "o")  # a live version: the article
        await press(pilot, "home", "tab", "o")  # from the diff of the archived version
        await press(pilot, "shift+tab", "shift+tab", "o")  # the article list: the article
    assert opened == [link, URL, link, URL]


# ----- the marks explained, the key listed ----------------------------------------------


def test_help_and_the_palette_list_backfill_and_every_mark() -> None:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(help_table())
    console.print(marks_table())
    shown = console.export_text()
    assert "W" in shown and "articles.backfill" in shown
    for mark, meaning in MARKS:
        assert mark in shown and meaning in shown
    assert "⌂" in shown and "archived" in shown
    assert any(
        action == "backfill_selected" and "key: W" in help_text
        for _, action, help_text in palette_entries()
    )
    assert "articles.backfill" in keys.binding_ids()


# ----- a snapshot of a mixed timeline -------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed article after an archived capture and an imported version came in before it;
    a relative path (in the current directory), colour on, as the other snapshot tests."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    root = seeded_root(Path("."))
    add_archived(root)
    with Store(root) as store:
        (article,) = store.articles()
        title, paragraphs = LATER_TEXT
        imported = SeenText(
            ArticleText(title, paragraphs=tuple(paragraphs)),
            datetime(2019, 11, 22, 9, 0, tzinfo=UTC),
            "import",
            "nd-4121",
        )
        store.insert_versions(article.id, [imported])
    return root


def test_snapshot_of_a_timeline_mixing_archived_imported_and_live_versions(
    snap_compare, mixed: Path
) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await press(pilot, "tab", "home")

    app = tui(mixed, clock=lambda: NOW)
    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)
