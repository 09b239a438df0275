"""Search across versions: the FTS5 index against a brute-force scan of a generated cache.

The cache holds 300 generated articles (three sources, one to four versions each, planted
words appearing and disappearing), written as shards and indexed the way ``doctor`` does. Every
search is checked against an oracle that reads each version through ``Store.versions`` and
tokenises it; the index is deleted, damaged and updated through the real store.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_helpers import run

from newsdiff_tui import search as search_module
from newsdiff_tui.model import ArticleText, Version
from newsdiff_tui.search import SearchIndex, compact_ranges, fts5_available, search
from newsdiff_tui.storage import atomic_write_json
from newsdiff_tui.store import Store, shard_document
from newsdiff_tui.urls import article_id_for

ARTICLES = 300
T0 = datetime(2024, 5, 1, tzinfo=UTC)
HOSTS = ["https://www.bbc.co.uk/news", "https://www.nytimes.com/2024", "https://apnews.com/article"]
VOCABULARY = [
    *("minister", "parliament", "budget", "river", "storm", "harbour", "council", "election"),
    *("court", "verdict", "police", "hospital", "school", "teachers", "strike", "union"),
    *("talks", "summit", "border", "trade", "tariffs", "market", "shares", "energy", "prices"),
    *("drought", "flood", "rescue", "volunteers", "museum", "festival", "league", "coach"),
]
PLANTED = ["ceasefire", "evacuation", "resigned"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(rng.randint(6, 14))]
    return " ".join(words).capitalize() + "."


def generated_history(n: int) -> tuple[str, list[ArticleText]]:
    """Article ``n``: a URL and 1-4 texts; planted words come and go between versions."""
    rng = random.Random(n)
    url = f"{HOSTS[n % len(HOSTS)]}/story-{n}"
    title = " ".join(rng.choice(VOCABULARY) for _ in range(6)).capitalize()
    paragraphs = [" ".join(_sentence(rng) for _ in range(3)) for _ in range(rng.randint(3, 7))]
    texts = []
    for k in range(rng.randint(1, 4)):
        if k:
            paragraphs = list(paragraphs)
            where = rng.randrange(len(paragraphs))
            paragraphs[where] = " ".join(_sentence(rng) for _ in range(2))
        current = list(paragraphs)
        for word in PLANTED:
            if rng.random() < 0.3:  # a planted word in this version only (or again later)
                spot = rng.randrange(len(current))
                current[spot] = f"{current[spot]} The {word} talks went on."
        if rng.random() < 0.1:
            title = f"{title} amid ceasefire"
        texts.append(ArticleText(title=title, paragraphs=tuple(current)).normalized())
    return url, texts


def write_cache(root: Path, count: int = ARTICLES) -> None:
    """Shards written directly, then the index rebuilt: the bulk path ``doctor`` takes."""
    Store(root).close()
    for n in range(count):
        url, texts = generated_history(n)
        versions = [
            Version(k, text, T0 + timedelta(days=n % 20, hours=5 * k), text.hash_as_is())
            for k, text in enumerate(texts)
        ]
        data = shard_document(url, first_seen=versions[0].fetched_at, versions=versions)
        article_id = article_id_for(url)
        atomic_write_json(root / "articles" / article_id[:2] / f"{article_id}.json", data)
    with Store(root) as store:
        store.rebuild_index()


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search") / "cache"
    write_cache(root)
    with Store(root) as store:
        SearchIndex(store).rebuild()  # copies start with a fresh index
    return root


@pytest.fixture(scope="module")
def shared(built_cache: Path) -> Iterator[Store]:
    """The generated cache itself, for tests that only search it (they change nothing)."""
    with Store(built_cache) as store:
        yield store


@pytest.fixture
def cache(built_cache: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the generated cache (tests change it)."""
    root = tmp_path / "cache"
    shutil.copytree(built_cache, root)
    with Store(root) as store:
        yield store


# ----- the oracle -------------------------------------------------------------------------


_HISTORIES: dict[tuple[str, int, object], list[Version]] = {}


def _versions(store: Store, article) -> list[Version]:
    """``Store.versions``, remembered across the copies of the cache (they share histories)."""
    key = (article.id, article.version_count, article.last_changed)
    if key not in _HISTORIES:
        _HISTORIES[key] = store.versions(article.id)
    return _HISTORIES[key]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def _has(version: Version, words: list[str], phrase: bool) -> bool:
    pieces = [version.text.title, version.text.byline or "", *version.text.paragraphs]
    if phrase:
        wanted = [t for w in words for t in _tokens(w)]
        for piece in pieces:
            toks = _tokens(piece)
            if any(toks[i : i + len(wanted)] == wanted for i in range(len(toks))):
                return True
        return False
    present = {t for piece in pieces for t in _tokens(piece)}
    return all(all(t in present for t in _tokens(w)) for w in words)


def oracle(
    store: Store,
    words: str,
    mode: str = "contains",
    *,
    phrase: bool = False,
    source: str | None = None,
    since: datetime | None = None,
) -> dict[str, list[int]]:
    """Article id -> versions, by reading and tokenising every version."""
    expected = {}
    for article in store.articles():
        if source and article.source != source:
            continue
        versions = _versions(store, article)
        has = [_has(v, words.split(), phrase) for v in versions]
        if mode == "contains":
            numbers = [k for k, yes in enumerate(has) if yes]
        elif mode == "added":
            numbers = [k for k in range(1, len(has)) if has[k] and not has[k - 1]]
        else:
            numbers = [k for k in range(1, len(has)) if has[k - 1] and not has[k]]
        numbers = [k for k in numbers if since is None or versions[k].fetched_at >= since]
        if numbers:
            expected[article.id] = numbers
    return expected


def found(result) -> dict[str, list[int]]:
    return {hit.article_id: [v.number for v in hit.versions] for hit in result.hits}


# ----- searching ----------------------------------------------------------------------------


def test_fts5_is_available_here() -> None:
    assert fts5_available()


@pytest.mark.parametrize("mode", ["contains", "added", "removed"])
@pytest.mark.parametrize("words", ["ceasefire", "evacuation talks", "RESIGNED", "Ceasefire storm"])
def test_search_agrees_with_a_full_scan(shared: Store, words: str, mode: str) -> None:
    expected = oracle(shared, words, mode)
    assert expected, "the generator must plant something for every query"
    assert found(search(shared, words, mode=mode)) == expected


def test_phrase_needs_the_words_together(shared: Store) -> None:
    expected = oracle(shared, "ceasefire talks went", phrase=True)
    loose = oracle(shared, "talks ceasefire")
    result = search(shared, "ceasefire talks went", phrase=True)
    assert found(result) == expected
    assert found(search(shared, "went talks ceasefire", phrase=True)) == {}
    assert found(search(shared, "talks ceasefire")) == loose


def test_source_and_since_filters(shared: Store) -> None:
    since = T0 + timedelta(days=10)
    assert found(search(shared, "ceasefire", source="BBC")) == oracle(
        shared, "ceasefire", source="bbc"
    )
    assert found(search(shared, "ceasefire", mode="added", since=since)) == oracle(
        shared, "ceasefire", "added", since=since
    )


def test_hits_carry_article_details_and_an_excerpt(shared: Store) -> None:
    result = search(shared, "evacuation")
    times = [hit.versions[-1].fetched_at for hit in result.hits]
    assert times == sorted(times, reverse=True)
    hit = result.hits[0]
    article = shared.article(hit.article_id)
    assert (hit.url, hit.source, hit.title) == (article.url, article.source, article.title)
    assert hit.version_count == article.version_count
    assert ("evacuation", True) in hit.excerpt
    assert "The evacuation talks went on." in hit.excerpt_text


def test_a_removal_shows_the_excerpt_of_the_version_before(shared: Store) -> None:
    hit = search(shared, "resigned", mode="removed").hits[0]
    before = shared.version(hit.article_id, hit.versions[0].number - 1)
    assert any(
        hit.excerpt_text.strip("…") in p for p in (before.text.title, *before.text.paragraphs)
    )


@pytest.mark.parametrize(
    "words",
    [
        "NEAR(ceasefire storm)",
        '"',
        'ceasefire"',
        "ceasefire*",
        "-ceasefire",
        "^ceasefire",
        "text:ceasefire",
        "ceasefire OR storm",
        "AND",
        "ceasefire NOT storm",
        "{text kind}: x",
    ],
)
def test_query_syntax_is_never_interpreted(shared: Store, words: str) -> None:
    """Operators and quotes the user types are words to look for, never FTS5 syntax."""
    if not any(ch.isalnum() for ch in words):
        with pytest.raises(search_module.NewsdiffError, match="nothing to search for"):
            search(shared, words)
        return
    assert found(search(shared, words)) == oracle(shared, words)


def test_compact_ranges() -> None:
    assert compact_ranges([4, 0, 1, 2, 7, 8]) == "0-2,4,7-8"
    assert search_module._numbers("0-2,4,7-8") == {0, 1, 2, 4, 7, 8}


# ----- keeping the index fresh --------------------------------------------------------------


def test_the_index_follows_the_store(cache: Store) -> None:
    assert search(cache, "zeppelin").hits == ()
    index_file = SearchIndex(cache).path
    built = index_file.stat().st_mtime_ns
    target = cache.articles()[5]
    latest = cache.version(target.id, -1).text
    text = ArticleText(title=latest.title, paragraphs=(*latest.paragraphs, "A zeppelin landed."))
    cache.add_version(target.id, text, T0 + timedelta(days=40))
    result = search(cache, "zeppelin", mode="added")
    assert result.rebuilt is None  # updated in place, not rebuilt
    assert found(result) == {target.id: [target.version_count]}
    assert index_file.stat().st_mtime_ns != built
    cache.delete_article(target.id)
    assert search(cache, "zeppelin").hits == ()
    assert found(search(cache, "ceasefire")) == oracle(cache, "ceasefire")


def test_another_process_write_is_seen(cache: Store) -> None:
    search(cache, "ceasefire")
    target = cache.articles()[0]
    with Store(cache.root) as other:  # another writer, as a cron fetch would be
        latest = other.version(target.id, -1).text
        other.add_version(
            target.id, ArticleText(title=latest.title, paragraphs=("Walrus sighted.",)), T0
        )
    assert list(found(search(cache, "walrus"))) == [target.id]


def test_an_unchanged_store_is_not_rescanned(
    shared: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    search(shared, "ceasefire")

    def no_update(*_args: object) -> None:
        raise AssertionError("the index was fresh: no per-article comparison expected")

    monkeypatch.setattr(SearchIndex, "_update", no_update)
    assert found(search(shared, "ceasefire")) == oracle(shared, "ceasefire")


def test_a_missing_index_is_rebuilt(cache: Store) -> None:
    before = found(search(cache, "evacuation"))
    SearchIndex(cache).path.unlink()
    result = search(cache, "evacuation")
    assert result.rebuilt == "missing"
    assert found(result) == before


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other schema", "pages"])
def test_a_damaged_index_is_rebuilt_and_no_data_is_touched(cache: Store, damage: str) -> None:
    search(cache, "ceasefire")
    path = SearchIndex(cache).path
    shards = {p: p.read_bytes() for p in cache.shard_paths()}
    if damage == "garbage":
        path.write_bytes(b"not a database at all" * 100)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:5000])
    elif damage == "pages":  # the schema and meta pages read fine; full-text pages do not
        with path.open("r+b") as handle:
            handle.seek(path.stat().st_size // 2)
            handle.write(b"\xff" * 16384)
    else:
        import sqlite3

        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    result = search(cache, "ceasefire")
    assert result.rebuilt is not None and result.rebuilt.startswith("damaged")
    assert found(result) == oracle(cache, "ceasefire")
    assert {p: p.read_bytes() for p in cache.shard_paths()} == shards
    assert not list(cache.root.glob("search.sqlite3.new-*"))


def test_a_damaged_shard_is_left_out_until_it_is_repaired(cache: Store) -> None:
    target = next(a for a in cache.articles() if oracle(cache, "ceasefire").get(a.id))
    shard = cache.shard_path(target.id)
    good = shard.read_bytes()
    shard.write_bytes(b"{broken")
    SearchIndex(cache).path.unlink()
    hits = found(search(cache, "ceasefire"))  # the build skips the damaged shard
    assert target.id not in hits and hits
    shard.write_bytes(good)
    cache.add_article("https://www.bbc.co.uk/news/another")  # any write makes the index sync
    assert target.id in found(search(cache, "ceasefire"))


# ----- the commands -------------------------------------------------------------------------


def test_cli_search_text(shared: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", str(shared.root), "search", "resigned", "--removed")
    assert code == 0, err
    expected = oracle(shared, "resigned", "removed")
    lines = out.splitlines()
    assert lines[-1] == f"{len(expected)} article(s), {sum(map(len, expected.values()))} version(s)"
    assert len(lines) == 2 * len(expected) + 1
    first_id = lines[0].split()[0]
    assert lines[1].startswith(f"    removed in v{expected[first_id][0]}")
    assert f"v{expected[first_id][0] - 1} had: " in lines[1]


def test_cli_search_json(shared: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--db", str(shared.root), "search", "evacuation", "--source", "nytimes", "--json"
    )
    assert code == 0
    docs = [json.loads(line) for line in out.splitlines()]
    assert {d["id"]: [v["number"] for v in d["versions"]] for d in docs} == oracle(
        shared, "evacuation", source="nytimes"
    )
    assert set(docs[0]) == {"id", "url", "source", "title", "version_count", "versions", "excerpt"}


def test_cli_search_without_a_match_exits_1(
    shared: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", str(shared.root), "search", "zeppelin")
    assert (code, out) == (1, "")
    assert err == "newsdiff-tui: no version matches 'zeppelin'\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "..."], "nothing to search for in '...'"),
        (["search", "x", "--since", "yesterday"], "--since 'yesterday' is not a date"),
    ],
)
def test_cli_search_errors(
    shared: Store, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--db", str(shared.root), *argv)
    assert code == 2 and out == ""
    assert err.startswith("newsdiff-tui: ") and message in err


def test_cli_search_without_fts5(
    shared: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "fts5_available", lambda: False)
    code, _, err = run(capsys, "--db", str(shared.root), "search", "ceasefire")
    assert code == 2
    assert "search needs SQLite's FTS5" in err and len(err.splitlines()) == 1


def test_doctor_checks_and_rebuilds_the_search_index(
    cache: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(cache.root)
    SearchIndex(cache).path.unlink()
    code, out, _ = run(capsys, "--db", root, "doctor")
    assert code == 0 and "search" not in out  # not built yet: nothing to say
    search(cache, "ceasefire")
    code, out, _ = run(capsys, "--db", root, "doctor")
    assert code == 0 and out.endswith("clean\n")
    path = SearchIndex(cache).path
    path.write_bytes(b"junk" * 1000)
    code, out, _ = run(capsys, "--db", root, "doctor")
    assert code == 2
    assert f"problem: search index is damaged (file is not a database): {path}" in out
    search(cache, "ceasefire")
    with path.open("r+b") as handle:  # damage that only a full check finds
        handle.seek(path.stat().st_size // 2)
        handle.write(b"\xff" * 16384)
    code, out, _ = run(capsys, "--db", root, "doctor")
    assert code == 2
    problem = next(line for line in out.splitlines() if line.startswith("problem: search index"))
    assert problem.endswith(f"): {path}") and "\n" not in problem
    code, out, _ = run(capsys, "--db", root, "doctor", "--rebuild-index")
    assert code == 0
    assert f"repaired: rebuilt the damaged search index {path} from {ARTICLES} articles" in out
    assert found(search(cache, "ceasefire")) == oracle(cache, "ceasefire")
