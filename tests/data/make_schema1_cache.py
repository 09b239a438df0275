"""Write ``schema1-cache/``: a cache as newsdiff-tui wrote it before version provenance (schema 1).

Kept to show how the fixture was made; it must run with the code of that time (commit d82ee87),
not today's: ``git archive d82ee87 src | tar -x -C /tmp/old`` then
``PYTHONPATH=/tmp/old/src python tests/data/make_schema1_cache.py tests/data/schema1-cache``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdiff_tui.history import load_history
from newsdiff_tui.model import ArticleText, CheckState
from newsdiff_tui.store import SCHEMA_VERSION, Store

SEED = (
    Path(__file__).resolve().parents[2] / "src" / "newsdiff_tui" / "data" / "gsomia-versions.json"
)
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
PARAGRAPHS = (
    "The storm is expected to reach the coast on Friday morning, forecasters said.",
    "Residents of low-lying areas were told to prepare for evacuation.",
)


def main(root: Path) -> None:
    assert SCHEMA_VERSION == 1, "run this with the schema 1 code (see the docstring)"
    with Store(root) as store:
        load_history(store, json.loads(SEED.read_text(encoding="utf-8")))

        # Live versions with a boring change and a revert, a feed and a check state.
        story = store.add_article(
            "https://news.example.org/2024/storm.html",
            feed_url="https://news.example.org/feed.xml",
            first_seen=T0,
        )
        texts = [
            ArticleText("Storm warning", "By A. Writer", None, PARAGRAPHS),
            ArticleText(
                "Storm warning", "By A. Writer", None, (PARAGRAPHS[0] + "!", PARAGRAPHS[1])
            ),
            ArticleText("Storm warning issued", None, None, (*PARAGRAPHS, "Schools will close.")),
            ArticleText("Storm warning", "By A. Writer", None, PARAGRAPHS),
        ]
        for n, text in enumerate(texts):
            store.add_version(story.id, text, T0 + timedelta(hours=n))
        store.record_check(
            story.id,
            CheckState(last_checked=T0 + timedelta(days=1), etag='"abc"', checks=5, body_hash="f"),
        )

        # A live version, then an older history imported after it: schema 1 appended it.
        late = store.add_article("https://news.example.org/2019/pact.html", first_seen=T0)
        store.add_version(late.id, ArticleText("Pact extended", None, None, PARAGRAPHS), T0)
        load_history(
            store,
            {
                "url": "https://news.example.org/2019/pact.html",
                "versions": [
                    {
                        "fetched_at": "2019-11-22T09:00:00+00:00",
                        "title": "Pact to end",
                        "paragraphs": list(PARAGRAPHS[:1]),
                    },
                    {
                        "fetched_at": "2019-11-22T10:00:00+00:00",
                        "title": "Pact extended",
                        "paragraphs": list(PARAGRAPHS),  # the live text, seen earlier
                    },
                ],
            },
        )

        # Tracked, never fetched.
        store.add_article("https://news.example.org/2024/new.html", first_seen=T0)
    (root / ".lock").unlink(missing_ok=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
