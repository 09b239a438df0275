"""Sentence blame: splitting, the lineage walk (edits, reverts, restores) and the CLI command.

The histories go through the real store (``Store.add_version``, which marks reverts) and the
CLI reads them back from real cache files.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_helpers import run

from newsdiff_tui.blame import blame, blame_all, split_sentences
from newsdiff_tui.model import ArticleText
from newsdiff_tui.store import Store

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
URL = "https://www.example.com/2024/03/01/council-budget.html"

A = "The council approved the new budget on Monday evening."
B = "Protesters gathered outside the town hall before the vote."
B_EDITED = "Hundreds of protesters gathered outside the town hall before the vote."
C = "The mayor said the plan would cut waiting times."
D = "Critics warned that the cuts would hurt schools across the district."
E = "A final vote is expected next week."

# Five versions: v1 adds D, v2 edits B and drops D, v3 reverts to v0's text (B's wording back),
# v4 restores D and adds E.
HISTORY = [
    [f"{A} {B}", C],
    [f"{A} {B}", f"{C} {D}"],
    [f"{A} {B_EDITED}", C],
    [f"{A} {B}", C],
    [f"{A} {B}", f"{C} {D}", E],
]
GAPS = [
    timedelta(0),
    timedelta(minutes=20),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(days=2),
]


@pytest.fixture
def history_store(store: Store) -> Store:
    """The five-version council story, added through the store."""
    article = store.add_article(URL, first_seen=T0)
    for paragraphs, gap in zip(HISTORY, GAPS, strict=True):
        text = ArticleText(title="Council approves budget", paragraphs=tuple(paragraphs))
        assert store.add_version(article.id, text, T0 + gap) is not None
    return store


def by_text(result) -> dict[str, object]:
    return {s.text: s for s in result.sentences}


# ----- splitting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("One sentence here. Another one follows!", ["One sentence here.", "Another one follows!"]),
        ("Defense Secretary Mark T. Esper visited Seoul.", None),
        (
            "Officials in the U.S. Army said so. Then they left.",
            ["Officials in the U.S. Army said so.", "Then they left."],
        ),
        ("Dr. Smith arrived at 9 a.m. on Friday.", None),
        ("“We did not compromise,” he said.", None),
        ("He asked: “Why now?” Nobody answered.", ["He asked: “Why now?”", "Nobody answered."]),
        (
            "Prices rose 3.5 percent. 2024 was worse.",
            ["Prices rose 3.5 percent.", "2024 was worse."],
        ),
        ("It ended... and then it began again.", None),
        ("No full stop at the end", None),
    ],
)
def test_split_sentences(paragraph: str, expected: list[str] | None) -> None:
    sentences = split_sentences(paragraph)
    assert sentences == (expected or [paragraph])
    assert " ".join(sentences) == paragraph


def test_split_rejoins_every_seed_paragraph(seed_data: dict) -> None:
    for version in seed_data["versions"]:
        for paragraph in version["paragraphs"]:
            assert " ".join(split_sentences(paragraph)) == paragraph


# ----- the walk -------------------------------------------------------------------------------


def test_five_versions_with_a_revert_and_a_restore(history_store: Store) -> None:
    article = history_store.articles()[0]
    versions = history_store.versions(article.id)
    assert versions[3].revert_of == 0  # the store saw v3 return to v0's text
    latest = by_text(blame(versions))
    assert [s.text for s in blame(versions).sentences] == [A, B, C, D, E]
    assert (latest[A].introduced, latest[A].edited, latest[A].restored) == (0, None, None)
    # B was edited in v2 and put back to its first wording in v3: still from v0, last edit v3.
    assert (latest[B].introduced, latest[B].edited, latest[B].restored) == (0, 3, None)
    # D came in v1, was dropped in v2 and restored in v4: it keeps its first origin.
    assert (latest[D].introduced, latest[D].edited, latest[D].restored) == (1, None, 4)
    assert latest[D].introduced_at == T0 + GAPS[1]
    assert latest[D].after_first_seen == GAPS[1]
    assert latest[D].restored_at == T0 + GAPS[4]
    assert (latest[E].introduced, latest[E].after_first_seen) == (4, GAPS[4])
    assert latest[E].paragraph == 2
    # v2: B in its edited wording, from v0, edited in v2.
    v2 = by_text(blame(versions, 2))
    assert (v2[B_EDITED].introduced, v2[B_EDITED].edited) == (0, 2)
    assert D not in v2
    # The title never changed.
    assert blame(versions).title.introduced == 0
    assert blame(versions).title.edited is None


def test_blame_all_walks_once_and_agrees_with_blame(history_store: Store) -> None:
    versions = history_store.versions(history_store.articles()[0].id)
    every = blame_all(versions)
    assert [b.version for b in every] == [0, 1, 2, 3, 4]
    for number, result in enumerate(every):
        assert result == blame(versions, number)


def test_a_sentence_that_moves_keeps_its_origin(store: Store) -> None:
    article = store.add_article(URL, first_seen=T0)
    for k, paragraphs in enumerate([[A, B, C], [C, A, f"{B} {E}"]]):
        text = ArticleText(title="t", paragraphs=tuple(paragraphs))
        store.add_version(article.id, text, T0 + timedelta(hours=k))
    latest = by_text(blame(store.versions(article.id)))
    assert {t: (s.introduced, s.edited) for t, s in latest.items()} == {
        C: (0, None),
        A: (0, None),
        B: (0, None),
        E: (1, None),
    }


def test_a_sentence_restored_with_an_edit(store: Store) -> None:
    article = store.add_article(URL, first_seen=T0)
    d_edited = D.replace("would hurt", "would badly hurt")
    for k, paragraphs in enumerate([[A, D], [A], [A, d_edited]]):
        text = ArticleText(title="t", paragraphs=tuple(paragraphs))
        store.add_version(article.id, text, T0 + timedelta(hours=k))
    restored = by_text(blame(store.versions(article.id)))[d_edited]
    assert (restored.introduced, restored.edited, restored.restored) == (0, 2, 2)


def test_a_retitled_article_edits_its_title(store: Store) -> None:
    article = store.add_article(URL, first_seen=T0)
    for k, title in enumerate(["Storm hits the coast", "Thousands evacuated as storm nears"]):
        text = ArticleText(title=title, paragraphs=(A,))
        store.add_version(article.id, text, T0 + timedelta(hours=k))
    title = blame(store.versions(article.id)).title
    assert (title.text, title.introduced, title.edited) == (
        "Thousands evacuated as storm nears",
        0,
        1,
    )


def test_seed_quote_is_from_version_1(seeded_store: Store) -> None:
    article = seeded_store.articles()[0]
    result = blame(seeded_store.versions(article.id))
    quote = by_text(result)["“We did not compromise,” he said."]
    assert quote.introduced == 1
    assert quote.edited is None
    assert quote.after_first_seen == timedelta(minutes=32)
    unchanged = by_text(result)["Choe Sang-Hun contributed reporting from Seoul, South Korea."]
    assert (unchanged.introduced, unchanged.edited) == (0, None)


def test_fuzzy_pass_is_bounded() -> None:
    """A wholesale rewrite past the bound counts every sentence as new instead of pairing."""
    from newsdiff_tui.blame import FUZZY_CELLS
    from newsdiff_tui.model import Version

    n = int(FUZZY_CELLS**0.5) + 2
    old = [f"Sentence number {k} says the same thing about the vote." for k in range(n)]
    new = [f"Sentence number {k} says much the same thing about the vote." for k in range(n)]
    versions = [
        Version(k, ArticleText(title="t", paragraphs=(" ".join(p),)), T0 + timedelta(hours=k), "")
        for k, p in enumerate([old, new])
    ]
    assert all(s.introduced == 1 for s in blame(versions).sentences)
    small = [Version(v.number, v.text, v.fetched_at, "") for v in versions]
    short = [
        Version(k, ArticleText(title="t", paragraphs=(" ".join(p[:3]),)), v.fetched_at, "")
        for k, (p, v) in enumerate(zip([old, new], small, strict=True))
    ]
    assert all(s.introduced == 0 and s.edited == 1 for s in blame(short).sentences)


# ----- the command ----------------------------------------------------------------------------


def test_cli_blame_text(history_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", str(history_store.root), "blame", "council")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"blame of {history_store.articles()[0].id}@4 (latest)")
    row_d = next(line for line in lines if line.endswith(D))
    assert row_d.startswith("v1  2024-03-01 08:20  +20 minutes")
    assert "restored v4" in row_d
    row_b = next(line for line in lines if line.endswith(f"| {B}"))
    assert "edited v3" in row_b and row_b.startswith("v0")
    assert any(line.endswith("| title: Council approves budget") for line in lines)


def test_cli_blame_json_of_an_older_version(
    history_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", str(history_store.root), "blame", "council@2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["version"]["number"] == 2
    assert doc["versions"] == 5
    edited = next(s for s in doc["sentences"] if s["text"] == B_EDITED)
    assert edited["introduced"]["number"] == 0
    assert edited["edited"] == {"number": 2, "fetched_at": (T0 + GAPS[2]).isoformat()}
    assert edited["restored"] is None


def test_cli_blame_seed(seeded_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(seeded_store.root), "blame", "korea", "--json")
    assert code == 0
    quote = next(s for s in json.loads(out)["sentences"] if "compromise" in s["text"])
    assert quote["introduced"]["number"] == 1
    assert quote["introduced"]["after_first_seen_s"] == 32 * 60


def test_cli_blame_strips_escape_codes(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    article = store.add_article(URL, first_seen=T0)
    # Normalisation drops control characters before storing; write a raw one past it, as a
    # hand-edited or foreign cache file could hold.
    store.add_version(article.id, ArticleText(title="t", paragraphs=("Safe text.",)), T0)
    shard = store.shard_path(article.id)
    data = json.loads(shard.read_text(encoding="utf-8"))
    data["versions"]["1"]["paragraphs"] = ["Evil \x1b[31mred\x1b[0m text."]
    shard.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "--db", str(store.root), "blame", article.id)
    assert code == 0
    assert "\x1b" not in out and "Evil red text." in out


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("council@9", "council@9: the article has no version 9 (its 5 version(s) are numbered"),
        ("nothing-like-this", "no article matches 'nothing-like-this'"),
    ],
)
def test_cli_blame_errors(
    history_store: Store, capsys: pytest.CaptureFixture[str], ref: str, message: str
) -> None:
    code, out, err = run(capsys, "--db", str(history_store.root), "blame", ref)
    assert code == 2 and out == ""
    assert err.startswith("newsdiff-tui: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_cli_blame_without_a_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", str(tmp_path / "none"), "blame", "x")
    assert code == 2 and "no cache at" in err
    assert not (tmp_path / "none").exists()
