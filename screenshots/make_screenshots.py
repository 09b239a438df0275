"""Make the README's screenshots (SVG) of newsdiff-tui, deterministically.

Run from the repository root:

    .venv/bin/python screenshots/make_screenshots.py

Writes screenshots/main.svg, narrow.svg (80x24, reading a diff), side-by-side.svg, blame.svg,
help.svg, empty.svg and archived.svg, each on a throwaway cache holding the bundled demo article
plus two small made-up ones, and stats.svg (the stats screen, S) on a made-up cache of 120
articles from four outlets whose times to the first change are spread out. Each runs the real
app headless (``App.run_test``) with a fixed clock and UTC times, at 130x38 cells (narrow:
80x24), and waits for the app's workers before each shot, so running it twice writes the same
files. archived.svg shows the demo article after a backfill: two made-up Wayback Machine
captures from before its first version (the story's first paragraphs, as an early capture of a
story being written would hold), stored as a backfill stores them, without contacting any
archive.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdiff_tui.demo import seed_demo
from newsdiff_tui.model import ArticleText, SeenText, wayback_link
from newsdiff_tui.store import Store
from newsdiff_tui.tui.app import make_app
from newsdiff_tui.tui.pilot import settle

HERE = Path(__file__).resolve().parent
NOW = datetime(2019, 11, 22, 12, 0, tzinfo=UTC)
SIZE = (130, 38)

EXTRA = {
    "https://www.bbc.co.uk/news/uk-storm-warning": [
        ("Storm warning for the north", ["Forecasters issued a yellow warning for wind.",
                                         "Gusts of 60 mph are expected along the coast."]),
        ("Storm warning upgraded for the north", ["Forecasters issued an amber warning for wind.",
                                                  "Gusts of 80 mph are expected along the coast.",
                                                  "Ferries have been cancelled."]),
    ],
    "https://www.theguardian.com/world/2019/nov/22/trade-talks": [
        ("Trade talks resume", ["Negotiators met in Geneva on Friday."]),
    ],
}  # fmt: skip


def build(root: Path) -> None:
    """The demo article and two small ones, at fixed times."""
    seed_demo(root)
    with Store(root) as store:
        for n, (url, texts) in enumerate(EXTRA.items()):
            start = NOW - timedelta(hours=2 + 5 * n)
            article = store.add_article(url, first_seen=start)
            for k, (title, paragraphs) in enumerate(texts):
                text = ArticleText(title=title, paragraphs=tuple(paragraphs))
                store.add_version(article.id, text, start + timedelta(minutes=40 * k))


# Captures of the demo article before its first version (09:15): how many paragraphs each held.
CAPTURES = {"20191122083100": 7, "20191122085800": 9}


def build_archived(root: Path) -> None:
    """The demo article with archived captures before its first live version."""
    seed_demo(root)
    with Store(root) as store:
        (article,) = store.articles()
        first = store.versions(article.id)[0].text
        seen = [
            SeenText(
                ArticleText(first.title, first.byline, first.published, first.paragraphs[:count]),
                datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC),
                "wayback",
                stamp,
                wayback_link(stamp, article.url),
            )
            for stamp, count in CAPTURES.items()
        ]
        store.insert_versions(article.id, seen)


OUTLETS = ("www.bbc.co.uk", "www.nytimes.com", "www.theguardian.com", "www.lemonde.fr")
# Minutes to the first change, cycled through per outlet (0: never changed): each outlet has
# its own habits, so the chart changes as the cursor moves down the table.
FIRST_CHANGE = (
    (0, 10, 25, 0, 50, 90, 0, 240, 8, 600),
    (0, 0, 45, 180, 0, 400, 1500, 0, 3000, 70),
    (5, 12, 0, 20, 35, 0, 14, 55, 100, 0),
    (0, 0, 0, 300, 0, 2000, 0, 9000, 0, 720),
)


def build_stats(root: Path) -> None:
    """120 articles from four outlets: a first version, a first change after a time from
    ``FIRST_CHANGE`` (an edit, an added paragraph, now and then a new headline or a moved
    paragraph) and for some a later edit."""
    with Store(root) as store:
        for n in range(120):
            outlet = n % len(OUTLETS)
            delay = FIRST_CHANGE[outlet][(n // len(OUTLETS)) % len(FIRST_CHANGE[outlet])]
            start = NOW - timedelta(days=10, hours=n)
            url = f"https://{OUTLETS[outlet]}/news/2019/11/story-{n}"
            title = f"Story {n} from {OUTLETS[outlet].split('.')[-2]}"
            body = [
                f"Paragraph {k} of story {n}, with enough words to be a paragraph."
                for k in range(4)
            ]
            texts = [(start, title, body)]
            if delay:
                changed = [*body[:2], body[2] + " It was updated.", body[3]]
                if n % 3 == 0:
                    changed.append(f"A new paragraph of story {n} adds a reaction.")
                if n % 7 == 0:
                    changed = [changed[1], changed[0], *changed[2:]]  # a moved paragraph
                new_title = f"{title}, updated" if n % 5 == 0 else title
                texts.append((start + timedelta(minutes=delay), new_title, changed))
                if n % 4 == 1:
                    texts.append((start + timedelta(minutes=delay * 3), new_title, changed[:-1]))
            article = store.add_article(url, first_seen=start)
            for moment, heading, paragraphs in texts:
                text = ArticleText(title=heading, paragraphs=tuple(paragraphs))
                store.add_version(article.id, text, moment)


async def shoot(root: Path, name: str, keys: Sequence[str], size: tuple[int, int] = SIZE) -> Path:
    app = make_app(root, clock=lambda: NOW, tz=UTC, watch_interval=None)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)  # the diff is computed and wrapped in workers
        path = HERE / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"newsdiff-tui — {name}"), encoding="utf-8")
    return path


async def main() -> int:
    with tempfile.TemporaryDirectory(prefix="newsdiff-shots-") as tmp:
        root = Path(tmp) / "cache"
        build(root)
        shots = [
            await shoot(root, "main", ["j"]),
            await shoot(root, "narrow", ["j", "tab", "tab"], size=(80, 24)),
            await shoot(root, "side-by-side", ["j", "tab", "s"]),
            await shoot(root, "blame", ["j", "B", "tab", "tab", "n"]),
            await shoot(root, "help", ["question_mark"]),
            await shoot(Path(tmp) / "empty", "empty", []),
        ]
        archived = Path(tmp) / "archived"
        build_archived(archived)
        shots.append(await shoot(archived, "archived", ["tab", "home", "j"]))
        build_stats(Path(tmp) / "stats")
        shots.append(await shoot(Path(tmp) / "stats", "stats", ["S", "down"]))
    for path in shots:
        print(path.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
