"""Golden-file tests of the seed article's Markdown and Atom exports.

The expected files live in ``tests/golden/``. After a deliberate change to the output (or a
legitimate diff-engine improvement), regenerate them and read the diff before committing::

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_export_golden.py
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import feedparser
import pytest

from newsdiff_tui.export import render_atom, render_markdown
from newsdiff_tui.store import Store

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
