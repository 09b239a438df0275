"""Version provenance in the store: inserting seen texts in time order, the schema 1 -> 2
migration (on a cache written by the schema 1 code), the JSON history and exports."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdiff_tui.cli import main
from newsdiff_tui.errors import CacheError
from newsdiff_tui.export import render
from newsdiff_tui.history import HistoryFormatError, dump_history, load_history
from newsdiff_tui.model import ArticleText, BackfillState, SeenText, Version, wayback_link
from newsdiff_tui.store import SCHEMA_VERSION, Store

SCHEMA1 = Path(__file__).parent / "data" / "schema1-cache"
URL = "https://news.example.org/2024/story.html"
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
WORDS = "The council voted on Tuesday to approve the budget for the next two years of work."


def text(*paragraphs: str, title: str = "Budget approved") -> ArticleText:
    return ArticleText(title, None, None, tuple(paragraphs))


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def capture(body: ArticleText, hours: float) -> SeenText:
    stamp = at(hours).strftime("%Y%m%d%H%M%S")
    return SeenText(body, at(hours), "wayback", stamp, wayback_link(stamp, URL))


def summary(versions: list[Version]) -> list[tuple]:
    """(number, first paragraph, origin, boring, revert_of) of each version."""
    return [(v.number, v.text.paragraphs[0], v.origin, v.boring, v.revert_of) for v in versions]


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


# ----- inserting in time order -------------------------------------------------------------
def test_an_archived_text_seen_before_version_0_becomes_version_0(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("B " + WORDS), at(2))
    store.add_version(article.id, text("C " + WORDS), at(3))
    (inserted,) = store.insert_versions(article.id, [capture(text("A " + WORDS), 1)])
    assert inserted is not None and inserted.number == 0 and inserted.archived
    assert inserted.origin_ref == "20240301090000"
    assert inserted.origin_url == f"https://web.archive.org/web/20240301090000/{URL}"
    versions = store.versions(article.id)
    assert summary(versions) == [
        (0, "A " + WORDS, "wayback", False, None),
        (1, "B " + WORDS, "live", False, None),
        (2, "C " + WORDS, "live", False, None),
    ]
    assert [v.fetched_at for v in versions] == [at(1), at(2), at(3)]
    # The index and every reader agree: numbers are positions in time order.
    assert store.article(article.id).version_count == 3
    assert store.article(article.id).archived_versions == 1
    assert store.version(article.id, 0).text.paragraphs[0].startswith("A ")


def test_an_insert_in_the_middle_recomputes_the_neighbours_marks(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("A " + WORDS), at(0))
    store.add_version(article.id, text("B " + WORDS + "!"), at(2))  # not boring after A
    store.add_version(article.id, text("A " + WORDS), at(3))  # reverts to v0
    # Seen between A and B!: B! differs from it only by punctuation, so B! becomes boring.
    store.insert_versions(article.id, [capture(text("B " + WORDS), 1)])
    assert summary(store.versions(article.id)) == [
        (0, "A " + WORDS, "live", False, None),
        (1, "B " + WORDS, "wayback", False, None),
        (2, "B " + WORDS + "!", "live", True, None),
        (3, "A " + WORDS, "live", False, 0),
    ]


def test_an_insert_can_become_what_a_later_version_reverts_to(store: Store) -> None:
    article = store.add_article(URL)
    for hours, first in ((0, "A"), (1, "B"), (4, "C"), (5, "B")):
        store.add_version(article.id, text(f"{first} {WORDS}"), at(hours))
    assert [v.revert_of for v in store.versions(article.id)] == [None, None, None, 1]
    store.insert_versions(
        article.id, [capture(text("D " + WORDS), 2), capture(text("B " + WORDS), 3)]
    )
    versions = store.versions(article.id)
    assert [v.text.paragraphs[0][0] for v in versions] == ["A", "B", "D", "B", "C", "B"]
    assert [v.revert_of for v in versions] == [None, None, None, 1, None, 3]
    assert [v.number for v in versions] == list(range(6))


def test_a_text_equal_to_a_neighbour_or_a_known_capture_is_not_stored(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("A " + WORDS), at(2))
    shard = store.shard_path(article.id)
    before = shard.read_bytes()
    # Equal to the version after it (seen earlier), or to the one before it: nothing new.
    assert store.insert_versions(article.id, [capture(text("A  " + WORDS), 1)]) == [None]
    assert store.insert_versions(article.id, [capture(text("A " + WORDS), 3)]) == [None]
    assert shard.read_bytes() == before  # nothing written
    first = capture(text("Z " + WORDS), 1)
    assert store.insert_versions(article.id, [first])[0] is not None
    assert store.insert_versions(article.id, [first]) == [None]  # the same capture twice
    assert len(store.versions(article.id)) == 2


def test_several_texts_in_one_write_with_the_backfill_state(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("D " + WORDS), at(5))
    state = BackfillState(texts={"AAA": "h1"}, refused={"BBB": "archived error page"})
    placed = store.insert_versions(
        article.id,
        [capture(text("B " + WORDS), 2), capture(text("A " + WORDS), 1)],
        backfill=state,
    )
    assert [v.number if v else None for v in placed] == [1, 0]  # numbered as stored
    assert store.backfill_state(article.id) == state
    index_doc = next(d for d in store.index_docs() if d["id"] == article.id)
    assert "backfill" not in index_doc and index_doc["archived"] == 2
    # The state alone can be saved, and an unchanged state writes nothing.
    shard = store.shard_path(article.id)
    assert store.insert_versions(article.id, [], backfill=state) == []
    mtime = shard.stat().st_mtime_ns
    store.insert_versions(article.id, [], backfill=state)
    assert shard.stat().st_mtime_ns == mtime
    assert store.doctor().clean


def test_imported_versions_keep_their_original_id(store: Store) -> None:
    """The API importers (issue 14) use: origin "import" with the other tracker's id."""
    article = store.add_article(URL)
    store.add_version(article.id, text("C " + WORDS), at(10))
    seen = [
        SeenText(text("A " + WORDS), at(1), "import", "newsdiffs:4411"),
        SeenText(text("A " + WORDS), at(2), "import", "newsdiffs:4412"),  # same text: deduped
        SeenText(text("B " + WORDS), at(3), "import", "newsdiffs:4413", "https://t.example/4413"),
    ]
    placed = store.insert_versions(article.id, seen)
    assert [v.origin_ref if v else None for v in placed] == [
        "newsdiffs:4411",
        None,
        "newsdiffs:4413",
    ]
    assert store.insert_versions(article.id, seen) == [None, None, None]  # idempotent
    # The same original id is one version, even if the other tracker now dates it otherwise.
    moved = SeenText(text("A " + WORDS), at(5), "import", "newsdiffs:4411")
    assert store.insert_versions(article.id, [moved]) == [None]
    assert store.article(article.id).imported_versions == 2
    assert [v.origin for v in store.versions(article.id)] == ["import", "import", "live"]


@pytest.mark.parametrize(
    ("where", "key", "value", "message"),
    [
        ("version", "origin", "telepathy", "version 0: 'origin' is 'telepathy'"),
        ("version", "origin_url", 7, "version 0: 'origin_url' is a number"),
        ("article", "backfill", [], "backfill state: the document is a list"),
        ("article", "backfill", {"texts": {"D": 1}}, "backfill state: 'texts' maps"),
        ("article", "backfill", {"searched_at": "soon"}, "'searched_at' is not an ISO 8601"),
    ],
)
def test_a_shard_with_bad_provenance_is_reported_by_path(
    store: Store, where: str, key: str, value: object, message: str
) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("A " + WORDS), at(0))
    shard = store.shard_path(article.id)
    data = json.loads(shard.read_text())
    (data["versions"]["1"] if where == "version" else data["article"]["1"])[key] = value
    shard.write_text(json.dumps(data))
    with pytest.raises(CacheError, match=f"{message}.*{article.id}"):
        store.versions(article.id)
    with pytest.raises(CacheError, match=message):
        store.backfill_state(article.id)


# ----- the migration from schema 1 ---------------------------------------------------------
def test_a_schema_1_cache_is_migrated(tmp_path: Path) -> None:
    """The fixture was written by the schema 1 code (tests/data/make_schema1_cache.py)."""
    root = tmp_path / "cache"
    shutil.copytree(SCHEMA1, root)
    assert json.loads((root / "meta.json").read_text()) == {"schema": 1}
    before = files_of(root / "articles")
    with Store(root) as store:
        assert json.loads((root / "meta.json").read_text()) == {"schema": SCHEMA_VERSION}
        by_url = {a.url.rsplit("/", 1)[-1]: a for a in store.articles()}
        assert set(by_url) == {
            "japan-south-korea-intelligence.html",
            "storm.html",
            "pact.html",
            "new.html",
        }
        # Schema 1 versions read as live fetches, with their numbers, marks and times.
        seed = store.versions(by_url["japan-south-korea-intelligence.html"].id)
        assert [(v.number, v.origin, v.origin_ref) for v in seed] == [
            (0, "live", None),
            (1, "live", None),
        ]
        storm = store.versions(by_url["storm.html"].id)
        assert [(v.boring, v.revert_of) for v in storm] == [
            (False, None),
            (True, None),
            (False, None),
            (False, 0),
        ]
        assert store.article(by_url["storm.html"].id).check.etag == '"abc"'
        # The history imported after a later live version is put in time order; the live
        # text equal to the one before it is its twin (the earlier sighting keeps it).
        pact = store.versions(by_url["pact.html"].id)
        assert [(v.text.title, v.fetched_at.isoformat()) for v in pact] == [
            ("Pact to end", "2019-11-22T09:00:00+00:00"),
            ("Pact extended", "2019-11-22T10:00:00+00:00"),
        ]
        assert store.article(by_url["pact.html"].id).version_count == 2
        assert store.doctor().clean  # the index knows the re-ordered shard
    after = files_of(root / "articles")
    changed = {name for name in before if before[name] != after[name]}
    pact_shard = f"{by_url['pact.html'].id[:2]}/{by_url['pact.html'].id}.json"
    assert changed == {pact_shard}
    # The re-ordered shard's schema 1 bytes are kept beside it: the migration loses nothing.
    assert (root / "articles" / f"{pact_shard}.schema1").read_bytes() == before[pact_shard]
    assert sorted(p.name for p in (root / "articles").rglob("*.schema1")) == [
        f"{by_url['pact.html'].id}.json.schema1"
    ]
    # Opening again migrates nothing, and the cache takes archived versions.
    with Store(root) as store:
        seed_id = by_url["japan-south-korea-intelligence.html"].id
        first = store.version(seed_id, 0)
        early = SeenText(first.text.normalized(), first.fetched_at - timedelta(hours=1), "wayback")
        store.insert_versions(seed_id, [SeenText(text("Early " + WORDS), early.seen_at, "wayback")])
        assert [v.origin for v in store.versions(seed_id)] == ["wayback", "live", "live"]


# ----- the JSON history and exports --------------------------------------------------------
def mixed_history(store: Store) -> str:
    article = store.add_article(URL, first_seen=at(3))
    store.add_version(article.id, text("C " + WORDS), at(3))
    store.add_version(article.id, text("D " + WORDS), at(4))
    store.insert_versions(
        article.id,
        [
            capture(text("A " + WORDS), 1),
            SeenText(text("B " + WORDS), at(2), "import", "diffengine:17"),
        ],
    )
    return article.id


def test_provenance_round_trips_to_identical_bytes(store: Store, tmp_path: Path) -> None:
    article_id = mixed_history(store)
    first = dump_history(store.article(article_id), store.versions(article_id))
    doc = json.loads(first)
    assert [(v["origin"], v["origin_ref"]) for v in doc["versions"]] == [
        ("wayback", "20240301090000"),
        ("import", "diffengine:17"),
        ("live", None),
        ("live", None),
    ]
    assert doc["versions"][0]["origin_url"] == wayback_link("20240301090000", URL)
    again = Store(tmp_path / "again")
    load_history(again, doc)
    assert dump_history(again.article(article_id), again.versions(article_id)) == first


def test_importing_a_history_places_it_in_time_order(store: Store, seed_data: dict) -> None:
    """An older history imported into an article with a live version goes before it."""
    url = seed_data["url"]
    article = store.add_article(url)
    store.add_version(article.id, text("Live " + WORDS), at(0))
    _, added = load_history(store, seed_data)
    assert added == 2
    versions = store.versions(article.id)
    assert [v.fetched_at.year for v in versions] == [2019, 2019, 2024]
    assert [v.origin for v in versions] == ["live", "live", "live"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"origin": "rumour"}, "'origin' must be one of live, wayback, import"),
        ({"origin_url": "javascript:alert(1)"}, "'origin_url' is refused: not a URL"),
        ({"origin_ref": 7}, "'origin_ref' must be a string"),
    ],
)
def test_a_bad_origin_in_a_history_is_refused(
    store: Store, seed_data: dict, change: dict, message: str
) -> None:
    seed_data["versions"][1].update(change)
    with pytest.raises(HistoryFormatError, match=message):
        load_history(store, seed_data)
    assert not store.articles()


def test_exports_and_list_say_where_versions_came_from(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    article_id = mixed_history(store)
    article = store.article(article_id)
    versions = store.versions(article_id)
    markdown = render(article, versions, "markdown")
    link = wayback_link("20240301090000", URL)
    assert f"Version 0: archived by the Wayback Machine on 2024-03-01 09:00 UTC <{link}>" in (
        markdown.replace("_", "")
    )
    assert "Version 1: imported from another tracker (original id diffengine:17)" in (
        markdown.replace("_", "").replace("\\", "")
    )
    atom = render(article, versions, "atom")
    assert link in atom and "archived by the Wayback Machine" in atom
    assert main(["--db", str(store.root), "list"]) == 0
    assert "(1 archived, 1 imported)" in capsys.readouterr().out
    assert main(["--db", str(store.root), "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["archived"], doc["imported"], doc["versions"]) == (1, 1, 4)
