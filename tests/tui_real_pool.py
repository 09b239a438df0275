"""A user's first refreshes, run in a fresh interpreter by ``test_tui_refresh.py``.

The app runs as ``newsdiff-tui`` runs it: no injected check options, so the first refresh
starts the real extraction process pool from inside the app, where Textual has replaced
``sys.stderr`` with an object whose ``fileno()`` is -1 (the cause of "bad value(s) in
fds_to_keep"). A fresh interpreter matters: once any pool has started in a process, its
helper processes are running and later pools never hit the problem.

Against a real HTTP server on 127.0.0.1: ``a`` a URL (its first check stores v0), ``r`` (same
page: unchanged), the page changes, ``r`` (v1 and its diff), then ``R`` with two more articles
that are due. Prints ``ok`` and exits 0, or fails with an assertion.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from local_server import LocalServer, Reply, news_page
from test_tui_support import NOW, screen_lines, settle, wait_until
from textual.widgets import Input

from newsdiff_tui.config import Config, FetchSettings
from newsdiff_tui.store import Store
from newsdiff_tui.tui.app import make_app
from newsdiff_tui.tui.screens.dialogs import AddUrlDialog

PARAGRAPHS = [
    "The city council voted on Tuesday to close the old bridge to cars for six months, "
    "citing an engineering report that found cracks in two of its main supports.",
    "Residents on both banks said the closure would double their commute, and shop owners "
    "near the eastern ramp asked the council for help with lost trade during the works.",
    "The mayor said repairs would start in March and promised a free shuttle bus across the "
    "river for the whole of the closure, paid for from the road maintenance budget.",
]


async def scenario(root: Path, server: LocalServer) -> None:
    page = {"body": news_page("Bridge to close for repairs", PARAGRAPHS)}
    url = server.route("/bridge", lambda request: Reply(body=page["body"]))
    others = [
        server.route(f"/other-{n}", Reply(body=news_page(f"Other story {n}", PARAGRAPHS[n:])))
        for n in range(2)
    ]
    with Store(root) as store:  # due: tracked, never checked
        for other in others:
            store.add_article(other, first_seen=NOW)
    # Polite delays off for a quick test, through the config as a user would set them.
    config = Config(fetch=FetchSettings(delay=0.0, allow_private=True))
    app = make_app(root, config=config, watch_interval=None)
    async with app.run_test(size=(120, 36)) as pilot:
        main = await settle(pilot)
        assert main is not None

        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddUrlDialog), "the add dialog")
        app.screen.query_one(Input).value = url
        await pilot.press("enter")
        await settle(pilot)
        assert "Checked 1: 1 changed" in str(main.status.message), main.status.message
        assert main.header.pair == "Text v0 (first version)", main.header.pair
        assert [v.number for v in main.timeline.shown] == [0]
        assert "shuttle bus" in "\n".join(screen_lines(main.diff_view))

        await pilot.press("r")
        await settle(pilot)
        assert "Checked 1: 0 changed, 1 unchanged" in str(main.status.message)

        page["body"] = news_page(
            "Bridge to close for repairs", [*PARAGRAPHS[:2], PARAGRAPHS[2].replace("March", "May")]
        )
        await pilot.press("r")
        await settle(pilot)
        assert "Checked 1: 1 changed" in str(main.status.message), main.status.message
        assert [v.number for v in main.timeline.shown] == [0, 1]
        assert main.header.pair == "Diff v0 → v1", main.header.pair
        shown = "\n".join(screen_lines(main.diff_view))
        assert "[-March-]" in shown and "{+May+}" in shown, shown

        await pilot.press("R")
        await settle(pilot)
        assert "Checked 2: 2 changed" in str(main.status.message), main.status.message
        assert main.header.network == "online"
    with Store(root) as store:
        assert sorted(a.version_count for a in store.articles()) == [1, 1, 2]


def main() -> int:
    os.environ["NEWSDIFF_ALLOW_PRIVATE"] = "1"
    server = LocalServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(scenario(Path(tmp) / "cache", server))
    finally:
        server.stop()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
