"""Per-source statistics on a hand-built cache whose answers are worked out by hand.

Two sources, six articles, added through the real store:

- example (example.com): e1 one version; e2 +10 min, headline and one paragraph edited;
  e3 +2 h a paragraph added, +3 days a paragraph deleted; e4 +30 h one paragraph edited.
- news (news.org): n1 +5 min one paragraph edited, +20 min headline only; n2 one version.
"""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_helpers import run

from newsdiff_tui.diff import ParagraphOpKind
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.model import ArticleText
from newsdiff_tui.stats import (
    ALL_SOURCES,
    HISTOGRAM_BINS,
    ArticleFacts,
    article_facts,
    collect_stats,
    summarize,
)
from newsdiff_tui.store import Store

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
P1 = "The regional council met on Tuesday to discuss the new flood defences along the river."
P2 = "Residents said the water rose faster than anyone had expected during the night."
P2_EDITED = "Residents said the water rose much faster than anyone had expected during the night."
P3 = "Engineers will inspect the damaged embankment next week, a spokesperson confirmed."
NEW = "Schools in three villages will stay closed until further notice, officials announced."

# url -> [(delay after T0, title, paragraphs), ...]
HISTORIES = {
    "https://www.example.com/e1": [(timedelta(0), "Floods", [P1, P2])],
    "https://www.example.com/e2": [
        (timedelta(0), "Floods", [P1, P2]),
        (timedelta(minutes=10), "Floods hit the valley", [P1, P2_EDITED]),
    ],
    "https://www.example.com/e3": [
        (timedelta(0), "Floods", [P1, P2]),
        (timedelta(hours=2), "Floods", [P1, P2, NEW]),
        (timedelta(days=3, hours=2), "Floods", [P1, NEW]),
    ],
    "https://www.example.com/e4": [
        (timedelta(0), "Floods", [P1, P2, P3]),
        (timedelta(hours=30), "Floods", [P1, P2_EDITED, P3]),
    ],
    "https://news.org/n1": [
        (timedelta(0), "Storm", [P1, P2]),
        (timedelta(minutes=5), "Storm", [P1, P2_EDITED]),
        (timedelta(minutes=20), "Storm warning", [P1, P2_EDITED]),
    ],
    "https://news.org/n2": [(timedelta(0), "Storm", [P3])],
}


def build(store: Store, histories: dict = HISTORIES, start: datetime = T0) -> Store:
    for url, versions in histories.items():
        article = store.add_article(url, first_seen=start)
        for delay, title, paragraphs in versions:
            text = ArticleText(title=title, paragraphs=tuple(paragraphs))
            assert store.add_version(article.id, text, start + delay) is not None
    return store


@pytest.fixture
def hand_built(store: Store) -> Store:
    return build(store)


def histogram(**counts: int) -> tuple[int, ...]:
    labels = [label for label, _ in HISTOGRAM_BINS]
    values = [0] * len(labels)
    for label, n in counts.items():
        values[labels.index(label.replace("_", " "))] = n
    return tuple(values)


# ----- the figures --------------------------------------------------------------------------


def test_known_answers_per_source(hand_built: Store) -> None:
    report = collect_stats(hand_built)
    assert [s.source for s in report.sources] == ["example", "news"]
    example, news = report.sources
    assert (example.articles, example.versions_mean, example.versions_median) == (4, 2.0, 2.0)
    assert example.versions_max == 3
    assert (example.changed, example.changed_share, example.changed_24h_share) == (3, 0.75, 0.5)
    assert example.first_change_median == timedelta(hours=2)
    assert example.headline_changed_share == 0.25
    assert example.paragraphs == {"added": 1, "deleted": 1, "modified": 2, "moved": 0}
    assert example.paragraph_shares == {
        "added": 0.25,
        "deleted": 0.25,
        "modified": 0.5,
        "moved": 0.0,
    }
    assert example.histogram == histogram(**{"< 15 min": 1, "1-3 h": 1, "1-3 days": 1})

    assert (news.articles, news.versions_mean, news.versions_median, news.versions_max) == (
        2,
        2.0,
        2.0,
        3,
    )
    assert (news.changed_share, news.changed_24h_share) == (0.5, 0.5)
    assert news.first_change_median == timedelta(minutes=5)
    assert news.headline_changed_share == 0.5
    assert news.paragraphs == {"added": 0, "deleted": 0, "modified": 1, "moved": 0}


def test_known_answers_over_all_sources(hand_built: Store) -> None:
    overall = collect_stats(hand_built).overall
    assert overall.source == ALL_SOURCES
    assert (overall.articles, overall.versions_mean, overall.versions_max) == (6, 2.0, 3)
    assert overall.changed_share == pytest.approx(4 / 6)
    assert overall.changed_24h_share == pytest.approx(3 / 6)
    # Median of 5 min, 10 min, 2 h and 30 h: halfway between 10 min and 2 h.
    assert overall.first_change_median == timedelta(minutes=65)
    assert overall.headline_changed_share == pytest.approx(2 / 6)
    assert sum(overall.histogram) == overall.changed == 4


def test_filters_by_source_and_first_seen(hand_built: Store) -> None:
    later = {
        "https://news.org/late": [
            (timedelta(0), "Late", [P1]),
            (timedelta(hours=7), "Late", [P1, NEW]),
        ]
    }
    build(hand_built, later, start=T0 + timedelta(days=10))
    report = collect_stats(hand_built, source="NEWS")
    assert [s.source for s in report.sources] == ["news"]
    assert report.overall.articles == 3
    recent = collect_stats(hand_built, since=T0 + timedelta(days=5))
    assert recent.overall.articles == 1
    assert recent.overall.histogram == histogram(**{"6-12 h": 1})
    assert recent.overall.paragraphs["added"] == 1


def test_articles_without_versions_are_not_counted(hand_built: Store) -> None:
    hand_built.add_article("https://www.example.com/never-fetched")
    assert collect_stats(hand_built).sources[0].articles == 4


def test_a_damaged_shard_is_left_out(hand_built: Store) -> None:
    e3 = next(a for a in hand_built.articles() if a.url.endswith("/e3"))
    hand_built.shard_path(e3.id).write_text("{not json", encoding="utf-8")
    example = collect_stats(hand_built).sources[0]
    assert example.articles == 3
    assert example.paragraphs == {"added": 0, "deleted": 0, "modified": 2, "moved": 0}


def test_progress_is_reported_per_article(hand_built: Store) -> None:
    seen: list[tuple[int, int]] = []
    collect_stats(hand_built, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(k, 6) for k in range(1, 7)]


def test_moves_are_counted_apart(store: Store) -> None:
    """A paragraph moved from first to last: one ``move`` once the diff engine reports moves
    (issue 13 item 1, built alongside); until then it is a deletion plus an insertion."""
    build(
        store,
        {
            "https://www.example.com/m": [
                (timedelta(0), "Moved", [P1, P2, P3]),
                (timedelta(hours=1), "Moved", [P2, P3, P1]),
            ]
        },
    )
    paragraphs = collect_stats(store).overall.paragraphs
    if "move" in typing.get_args(ParagraphOpKind):
        assert paragraphs == {"added": 0, "deleted": 0, "modified": 0, "moved": 1}
    else:
        assert paragraphs == {"added": 1, "deleted": 1, "modified": 0, "moved": 0}


def test_article_facts_and_summarize_on_plain_values(hand_built: Store) -> None:
    e4 = next(a for a in hand_built.articles() if a.url.endswith("/e4"))
    facts = article_facts("example", hand_built.versions(e4.id))
    assert facts == ArticleFacts(
        source="example",
        versions=2,
        first_change=timedelta(hours=30),
        headline_changed=False,
        paragraphs={"added": 0, "deleted": 0, "modified": 1, "moved": 0},
    )
    summary = summarize("x", [facts, ArticleFacts(source="x", versions=1)])
    assert (summary.changed_share, summary.changed_24h_share) == (0.5, 0.0)
    with pytest.raises(ValueError):
        summarize("x", [])


def test_nothing_selected_is_a_clear_error(hand_built: Store) -> None:
    with pytest.raises(NewsdiffError, match="no article with a stored version from source 'bbc'"):
        collect_stats(hand_built, source="bbc")


# ----- the command --------------------------------------------------------------------------


def test_cli_stats_json(hand_built: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", str(hand_built.root), "stats", "--json")
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["source"] for d in docs] == ["example", "news"]
    example = docs[0]
    assert {k: example[k] for k in ("source", "articles", "versions_mean", "changed_share")} == {
        "source": "example",
        "articles": 4,
        "versions_mean": 2.0,
        "changed_share": 0.75,
    }
    assert example["first_change_median_s"] == 7200
    assert example["changed_24h_share"] == 0.5
    assert example["headline_changed_share"] == 0.25
    assert example["paragraph_shares"] == {
        "added": 0.25,
        "deleted": 0.25,
        "modified": 0.5,
        "moved": 0.0,
    }
    assert example["first_change_histogram"][0] == {"bin": "< 15 min", "below_s": 900, "count": 1}
    assert docs[1]["first_change_median_s"] == 300


def test_cli_stats_text(hand_built: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(hand_built.root), "stats")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Statistics of 6 article(s)"
    row = next(line for line in lines if line.startswith("example "))
    assert row.split() == [
        "example",
        "4",
        "2.0/2/3",
        "75%",
        "50%",
        "2",
        "hours",
        "25%",
        "25%/25%/50%/0%",
    ]
    assert any(line.startswith(ALL_SOURCES) for line in lines)
    assert "Time to the first change (4 changed article(s)):" in lines
    chart = {line[:13].strip(): line[13:] for line in lines if line.startswith("  ")}
    # Two of the four first changes came under 15 minutes: the longest bar, 40 blocks.
    assert chart["< 15 min"].split() == ["2", "50%", "█" * 40]
    assert chart["1-3 h"].split() == ["1", "25%", "█" * 20]
    assert chart["15-60 min"].split() == ["0", "0%"]
    assert len(chart) == len(HISTOGRAM_BINS)


def test_cli_stats_markdown(hand_built: Store, capsys: pytest.CaptureFixture[str]) -> None:
    from markdown_it import MarkdownIt

    code, out, _ = run(
        capsys, "--db", str(hand_built.root), "stats", "--format", "markdown", "--source", "news"
    )
    assert code == 0
    html = MarkdownIt("commonmark").enable("table").render(out)
    assert html.count("<table>") == 2
    assert "<td>news</td>" in html and '<td style="text-align:right">5 minutes</td>' in html
    assert "all sources" not in out  # one source: no total row


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stats", "--source", "bbc"], "no article with a stored version from source 'bbc'"),
        (["stats", "--since", "soon"], "--since 'soon' is not a date"),
    ],
)
def test_cli_stats_errors(
    hand_built: Store, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--db", str(hand_built.root), *argv)
    assert (code, out) == (2, "")
    assert err.startswith("newsdiff-tui: ") and message in err and len(err.splitlines()) == 1


def test_cli_stats_on_an_empty_or_missing_cache(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--db", str(store.root), "stats")
    assert code == 2 and "holds no articles yet" in err
    code, _, err = run(capsys, "--db", str(tmp_path / "none"), "stats")
    assert code == 2 and "no cache at" in err
