"""Make the README's screenshots (SVG) of newsdiff-tui, deterministically.

Run from the repository root:

    .venv/bin/python screenshots/make_screenshots.py

Writes screenshots/main.svg, narrow.svg (80x24, reading a diff), side-by-side.svg, help.svg,
empty.svg and archived.svg. Each runs the real app headless (``App.run_test``) on a throwaway
cache holding the bundled demo article plus two small made-up ones, with a fixed clock and UTC
times, at 130x38 cells (narrow: 80x24), and waits for the app's workers before each shot, so
running it twice writes the same files. archived.svg shows the demo article after a backfill:
two made-up Wayback Machine captures from before its first version (the story's first
paragraphs, as an early capture of a story being written would hold), stored as a backfill
stores them, without contacting any archive.
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
            await shoot(root, "help", ["question_mark"]),
            await shoot(Path(tmp) / "empty", "empty", []),
        ]
        archived = Path(tmp) / "archived"
        build_archived(archived)
        shots.append(await shoot(archived, "archived", ["tab", "home", "j"]))
    for path in shots:
        print(path.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
