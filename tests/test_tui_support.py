"""Builders shared by the TUI tests and snapshot tests (no tests here).

Caches are real TinyDB files in temporary directories, filled through the store's API, except
where a test needs text the store would never write (raw control sequences from an older or
damaged cache): that shard is written by hand and the index rebuilt with ``doctor``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from newsdiff_tui.fetch import FetchOptions
from newsdiff_tui.history import load_history
from newsdiff_tui.model import ArticleText
from newsdiff_tui.store import Store
from newsdiff_tui.tracker import CheckOptions
from newsdiff_tui.tui.app import NewsdiffApp, make_app
from newsdiff_tui.tui.pilot import settle as settled
from newsdiff_tui.tui.screens.main import MainScreen
from newsdiff_tui.tui.widgets.lineview import LineView
from newsdiff_tui.urls import article_id_for

NOW = datetime(2019, 11, 22, 12, 0, tzinfo=UTC)
WAIT_TURNS = 2000  # pilot.pause() rounds before wait_until gives up
SIZE = (120, 36)
SEED = (
    Path(__file__).resolve().parents[1] / "src" / "newsdiff_tui" / "data" / "gsomia-versions.json"
)
FAST = CheckOptions(
    fetch=FetchOptions(host_delay=0, timeout=2.0, retries=0, backoff=0.01, backoff_max=0.05),
    workers=1,
)

STORM_URL = "https://www.bbc.co.uk/news/uk-storm-warning"
MARKUP_URL = "https://evil.example.org/markup"
MARKUP_TITLE = "[bold red]Pwned[/] headline [link=https://evil.example.org]click[/link]"
MARKUP_PARAGRAPH = (
    "Before [reverse]inverted[/reverse] \x1b[31mred\x1b[0m and "
    "\x1b]8;;https://x.example\x07link\x1b]8;;\x07 after."
)

STORM = [
    (
        "Storm warning for the north",
        [
            "Forecasters issued a yellow warning for wind on Monday.",
            "Gusts of 60 mph are expected along the coast.",
            "Ferries may be cancelled.",
        ],
    ),
    (
        "Storm warning upgraded for the north",
        [
            "Forecasters issued an amber warning for wind on Monday.",
            "Gusts of 80 mph are expected along the coast.",
            "Ferries may be cancelled.",
        ],
    ),
    (  # boring: punctuation only
        "Storm warning upgraded for the north",
        [
            "Forecasters issued an amber warning for wind on Monday!",
            "Gusts of 80 mph are expected along the coast.",
            "Ferries may be cancelled.",
        ],
    ),
    (
        "Storm warning upgraded for the north",
        [
            "Forecasters issued an amber warning for wind on Monday!",
            "Gusts of 80 mph are expected along the coast.",
            "Ferries have been cancelled and schools will close.",
            "Residents are told to stay indoors.",
        ],
    ),
    (  # a return to the text of v1 (a revert)
        "Storm warning upgraded for the north",
        [
            "Forecasters issued an amber warning for wind on Monday.",
            "Gusts of 80 mph are expected along the coast.",
            "Ferries may be cancelled.",
        ],
    ),
]


def add_versions(
    store: Store, url: str, texts: list[tuple[str, list[str]]], start: datetime
) -> str:
    """Track ``url`` with one version per (title, paragraphs), 25 minutes apart."""
    article = store.add_article(url, first_seen=start)
    for n, (title, paragraphs) in enumerate(texts):
        text = ArticleText(title=title, paragraphs=tuple(paragraphs))
        store.add_version(article.id, text, start + timedelta(minutes=25 * n))
    return article.id


def build_newsroom(root: Path) -> dict[str, str]:
    """Three articles: the seed (2 versions), a storm story (5, one boring, one revert) and
    one whose title and text carry Rich markup; returns their ids by name."""
    with Store(root) as store:
        seed, _ = load_history(store, json.loads(SEED.read_text(encoding="utf-8")))
        storm = add_versions(store, STORM_URL, STORM, NOW - timedelta(hours=2))
        markup = add_versions(
            store,
            MARKUP_URL,
            [
                (MARKUP_TITLE, ["A plain first paragraph.", "[b]bold?[/b] no."]),
                (MARKUP_TITLE, ["A plain first paragraph [i]edited[/i].", "[b]bold?[/b] no."]),
            ],
            NOW - timedelta(days=3),
        )
    return {"seed": seed.id, "storm": storm, "markup": markup}


def inject_control_sequences(root: Path, article_id: str) -> None:
    """Put raw terminal control sequences into a stored version, as a damaged cache might."""
    shard = root / "articles" / article_id[:2] / f"{article_id}.json"
    data = json.loads(shard.read_text(encoding="utf-8"))
    latest = max(data["versions"].values(), key=lambda d: d["number"])
    latest["title"] = MARKUP_TITLE + " \x1b[5mblink\x1b[0m"
    latest["paragraphs"][1] = MARKUP_PARAGRAPH
    shard.write_text(json.dumps(data), encoding="utf-8")
    Store(root).doctor(rebuild_index=True)


def seeded_root(tmp_path: Path) -> Path:
    """A cache holding only the bundled seed article (what --demo shows)."""
    root = tmp_path / "seed-cache"
    with Store(root) as store:
        load_history(store, json.loads(SEED.read_text(encoding="utf-8")))
    return root


def tui(root: Path, **options: object) -> NewsdiffApp:
    """The app as the tests run it: fixed clock, UTC display, no cache polling, default
    settings, nothing remembered between runs."""
    options.setdefault("clock", lambda: NOW)
    options.setdefault("tz", UTC)
    options.setdefault("watch_interval", None)
    options.setdefault("check_options", FAST)
    return make_app(root, **options)


async def settle(pilot: Pilot, *, ignore: tuple[str, ...] = ()) -> MainScreen:
    """Wait until the app has handled its messages and its workers (but those of the groups
    in ``ignore``) have finished: the screen a user sees once it stops changing. Returns the
    main screen (None on the broken-cache screen)."""
    await settled(pilot, ignore=ignore)
    app = pilot.app
    return next((s for s in app.screen_stack if isinstance(s, MainScreen)), None)  # type: ignore[return-value]


async def wait_until(pilot: Pilot, condition: Callable[[], object], what: str = "") -> None:
    """Let the app run (message by message, as ``pilot.pause`` does) until ``condition``
    holds: for states a worker reaches mid-way, such as a refresh in flight."""
    for _ in range(WAIT_TURNS):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"the app never reached: {what or condition}")


async def press(pilot: Pilot, *keys: str) -> MainScreen:
    """Press keys one by one as a user would, letting the app settle after each."""
    main = None
    for key in keys:
        await pilot.press(key)
        main = await settle(pilot)
    return main


def screen_lines(view: LineView) -> list[str]:
    """The text of a line-rendered pane's visible rows, as the screen shows them."""
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


def url_id(url: str) -> str:
    return article_id_for(url)
