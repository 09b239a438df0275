"""Golden-file tests of the seed article's Markdown and Atom exports.

The expected files live in ``tests/golden/``. After a deliberate change to the output (or a
legitimate diff-engine improvement), regenerate them and read the diff before committing::

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_export_golden.py
"""

from __future__ import annotations

import itertools
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
import time_machine

from newsdiff_tui.cli import main
from newsdiff_tui.export import render_atom, render_markdown
from newsdiff_tui.model import ArticleText, CheckState
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import utcnow

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with ``tests/golden/<name>``; with UPDATE_GOLDEN=1 rewrite it."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing golden file {path}: run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is intended, "
        "regenerate with UPDATE_GOLDEN=1 and review the diff"
    )


def _seed(store: Store) -> tuple:
    (article,) = store.articles()
    return article, store.versions(article.id)


def _blocks(markdown: str) -> list[str]:
    return markdown.split("\n\n")


def _marked(block: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", block)


def test_markdown_golden(seeded_store: Store) -> None:
    assert_golden("gsomia.md", render_markdown(*_seed(seeded_store)))


def test_markdown_golden_full_without_latest(seeded_store: Store) -> None:
    assert_golden("gsomia-full.md", render_markdown(*_seed(seeded_store), full=True, latest=False))


def test_atom_golden(seeded_store: Store) -> None:
    assert_golden("gsomia.atom", render_atom(*_seed(seeded_store)))


def test_seed_markdown_shows_the_known_changes(seeded_store: Store) -> None:
    text = render_markdown(*_seed(seeded_store))
    blocks = _blocks(text)
    diff_blocks = blocks[: blocks.index("## Latest text (version 1, 2019-11-22 09:47 UTC)")]
    assert blocks[0] == (
        "# At Last Minute, South Korea Holds Off on Leaving Intelligence Pact With Japan"
    )
    assert "## Version 0 → Version 1, 32 minutes later" in blocks
    assert "Headline unchanged." in blocks
    assert "**Headline:**" not in text
    (second,) = [b for b in diff_blocks if b.startswith("South Korea’s planned withdrawal")]
    assert any(
        "and conveyed their intentions to the Japanese government" in d
        for d in _marked(second, "del")
    )
    # The inserted words keep their own trailing space: dropping <ins> leaves "pact was".
    assert "a serious rupture between two close American allies " in _marked(second, "ins")
    assert "<ins>“We did not compromise,” he said.</ins>" in diff_blocks
    assert "_… 1 unchanged paragraph …_" in diff_blocks


def test_seed_markdown_options(seeded_store: Store) -> None:
    article, versions = _seed(seeded_store)
    folded = render_markdown(article, versions)
    full = render_markdown(article, versions, full=True, latest=False)
    assert "unchanged paragraph" not in full
    assert "## Latest text" not in full
    first = versions[0].text.paragraphs[0]
    assert full.count(first) == 1  # the unchanged first paragraph, shown once in the diff
    assert folded.count(first) == 1  # folded in the diff, shown in the latest text


def test_markdown_is_deterministic(seeded_store: Store) -> None:
    article, versions = _seed(seeded_store)
    again = Store(seeded_store.root)
    assert render_markdown(article, versions) == render_markdown(*_seed(again))


def test_markdown_does_not_depend_on_the_machine_speed(
    seeded_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The diff engine's time budget must not apply to exports: same cache, same bytes."""
    import newsdiff_tui.diff as engine

    clock = itertools.count(0.0, 60.0)  # every look at the clock: another minute gone
    monkeypatch.setattr(engine.time, "perf_counter", lambda: next(clock))
    article, versions = _seed(seeded_store)
    assert engine.diff(versions[0].text, versions[1].text).coarse  # the budget would bite
    assert_golden("gsomia.md", render_markdown(article, versions))


def test_seed_atom_is_a_valid_feed_of_changes(seeded_store: Store) -> None:
    article, versions = _seed(seeded_store)
    feed = feedparser.parse(render_atom(article, versions))
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.link == article.url
    (entry,) = feed.entries
    assert entry.id == f"tag:newsdiff-tui,2019-11-22:{article.id}/v1"
    assert entry.title == "Version 0 → Version 1, 32 minutes later"
    assert entry.updated == "2019-11-22T09:47:00Z"
    html = entry.content[0].value
    assert entry.content[0].type == "text/html"
    assert "<ins>a serious rupture between two close American allies </ins>was" in html
    assert "<p><ins>“We did not compromise,” he said.</ins></p>" in html


# ----- the same cache gives the same bytes on any day ----------------------------------------
FROZEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
RECENT_URL = "https://news.example.com/2026/03/10/harbour-bridge.html"


def _build_recent(root: Path) -> str:
    """A cache, written under the frozen clock, holding an article first seen two hours before
    FROZEN, changed 30 minutes before it and last checked (a failure) 5 minutes before it."""
    with Store(root) as store:
        with time_machine.travel(FROZEN - timedelta(hours=2), tick=False):
            article = store.add_article(RECENT_URL)
            store.add_version(
                article.id,
                ArticleText(
                    "Harbour bridge to close for repairs",
                    byline="By A. Reporter",
                    paragraphs=("The bridge closes on Monday.", "Traffic will be diverted."),
                ),
            )
        with time_machine.travel(FROZEN - timedelta(minutes=30), tick=False):
            store.add_version(
                article.id,
                ArticleText(
                    "Harbour bridge to close for two weeks",
                    byline="By A. Reporter",
                    paragraphs=(
                        "The bridge closes on Monday for two weeks.",
                        "Traffic will be diverted.",
                        "Ferries will run every ten minutes.",
                    ),
                ),
            )
        with time_machine.travel(FROZEN - timedelta(minutes=5), tick=False):
            store.record_check(
                article.id,
                CheckState(last_checked=utcnow(), last_error="HTTP 503", failures=1, checks=2),
            )
        return article.id


def _exports(root: Path, article_id: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """Every export format of the article, through the CLI, at whatever the clock says."""
    out = {}
    for fmt in ("markdown", "atom", "json"):
        code = main(["--db", str(root), "--export", article_id, "--format", fmt])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        out[fmt] = captured.out
    return out


def test_exports_of_a_recent_article_are_the_same_a_week_later(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under a frozen clock, then a week later: identical bytes in every format (today's
    "Checking" line would have moved from "every 15 minutes" to "every 3 days")."""
    root = tmp_path / "cache"
    article_id = _build_recent(root)
    with time_machine.travel(FROZEN, tick=False):
        today = _exports(root, article_id, capsys)
    with time_machine.travel(FROZEN + timedelta(days=7), tick=False):
        next_week = _exports(root, article_id, capsys)
    assert next_week == today
    assert_golden("recent.md", today["markdown"])
    assert_golden("recent.atom", today["atom"])
    assert_golden("recent.json", today["json"])


def test_the_checking_line_needs_an_explicit_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "cache"
    article_id = _build_recent(root)
    lines = []
    for now in ("2026-03-10T12:00:00Z", "2026-03-17T12:00:00Z"):
        assert main(["--db", str(root), "--export", article_id, "--now", now]) == 0
        (line,) = [x for x in capsys.readouterr().out.splitlines() if "Checking" in x]
        lines.append(line)
    assert lines == [
        "- **Checking:** next check due 2026-03-10 12:10 UTC (as of 2026-03-10 12:00 UTC)",
        "- **Checking:** next check due 2026-03-13 11:55 UTC (as of 2026-03-17 12:00 UTC)",
    ]
    with time_machine.travel(FROZEN, tick=False):
        assert main(["--db", str(root), "--export", article_id, "--now", "now"]) == 0
    assert lines[0] in capsys.readouterr().out
