"""The TinyDB cache: versions, the index journal, schema, corrupt files, location, locking."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_helpers import tree_state as files_of
from tinydb import Query

import newsdiff_tui.store as store_mod
from newsdiff_tui.errors import AmbiguousError, CacheError, NotFoundError
from newsdiff_tui.model import Article, ArticleText, CheckState
from newsdiff_tui.store import (
    Store,
    article_from_doc,
    article_to_doc,
    default_root,
)
from newsdiff_tui.urls import article_id_for

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
URL = "https://www.example.com/2024/05/01/story.html"


def text(*paragraphs: str, title: str = "Storm warning") -> ArticleText:
    return ArticleText(title=title, byline="By A. Writer", paragraphs=paragraphs)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# ----- versions ---------------------------------------------------------------------------
def test_versions_round_trip_and_unchanged_text_is_not_stored(store: Store) -> None:
    article = store.add_article(URL)
    first = store.add_version(article.id, text("One.", "Two."), at(0))
    assert first is not None and first.number == 0
    assert store.add_version(article.id, text("One.", "Two."), at(5)) is None
    # Only whitespace and zero-width characters differ: the normalised text is the same.
    assert store.add_version(article.id, text(" One.\u200b ", "Two.  "), at(6)) is None
    second = store.add_version(article.id, text("One.", "Two, changed."), at(10))
    assert second is not None and second.number == 1
    assert not second.boring and second.revert_of is None
    stored = store.versions(article.id)
    assert [v.number for v in stored] == [0, 1]
    assert stored[1].text.paragraphs == ("One.", "Two, changed.")
    assert store.version(article.id, -1) == stored[1]
    assert store.article(article.id).version_count == 2
    assert store.article(article.id).last_changed == at(10)
    with pytest.raises(NotFoundError):
        store.version(article.id, 7)


def test_punctuation_and_typography_only_changes_are_marked_boring(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text('He said "no" - twice.'), at(0))
    boring = store.add_version(article.id, text("He said \u201cno\u201d \u2014 twice"), at(1))
    assert boring is not None and boring.boring
    real = store.add_version(article.id, text("He said yes, twice."), at(2))
    assert real is not None and not real.boring


def test_boring_looks_at_every_paragraph(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("Same.", "It's here - now.", "End."), at(0))
    quotes = store.add_version(
        article.id, text("Same.", "It\u2019s here \u2013 now", "End."), at(1)
    )
    assert quotes is not None and quotes.boring
    fewer = store.add_version(article.id, text("Same.", "It's here - now."), at(2))
    assert fewer is not None and not fewer.boring  # a paragraph went: not boring
    title = store.add_version(article.id, text("Same.", "It's here - now.", title="New"), at(3))
    assert title is not None and not title.boring


def test_a_return_to_an_earlier_text_is_marked_as_a_revert(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("Version A."), at(0))
    store.add_version(article.id, text("Version B."), at(1))
    back = store.add_version(article.id, text("Version A."), at(2))
    assert back is not None and back.number == 2 and back.revert_of == 0
    again = store.add_version(article.id, text("Version B."), at(3))
    assert again is not None and again.revert_of == 1


def test_record_check_keeps_versions_and_updates_the_index(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("One."), at(0))
    state = CheckState(last_checked=at(30), etag='"abc"', checks=3, failures=1, last_error="503")
    updated = store.record_check(article.id, state)
    assert updated.check == state
    assert len(store.versions(article.id)) == 1
    with Store(store.root) as again:
        assert again.article(article.id).check == state


def test_add_article_is_idempotent_and_keeps_first_seen(store: Store) -> None:
    first = store.add_article(URL, first_seen=at(0), feed_url="https://example.com/feed")
    again = store.add_article(URL, first_seen=at(99))
    assert again.id == first.id == article_id_for(URL)
    assert again.first_seen == at(0) and again.feed_url == "https://example.com/feed"
    assert first.source == "example"
    assert len(store.articles()) == 1


def test_articles_search_resolve_and_delete(store: Store) -> None:
    ids = []
    for n, title in enumerate(["Storm warning", "Storm damage", "Election night"]):
        article = store.add_article(f"https://news.example.org/{n}")
        store.add_version(article.id, text("Body.", title=title), at(n))
        ids.append(article.id)
    assert [a.id for a in store.articles()] == ids[::-1]  # most recently changed first
    docs = store.index_docs()
    assert sorted(d["id"] for d in docs) == sorted(ids)
    assert [article_from_doc(d) for d in docs if d["id"] == ids[0]] == [store.article(ids[0])]
    assert [a.id for a in store.search("storm")] == [ids[1], ids[0]]
    assert store.resolve("election").id == ids[2]
    assert store.resolve("https://news.example.org/0").id == ids[0]
    assert store.resolve(ids[1]).id == ids[1]
    with pytest.raises(AmbiguousError) as excinfo:
        store.resolve("storm")
    assert len(excinfo.value.matches) == 2
    with pytest.raises(NotFoundError):
        store.resolve("nothing like this")
    store.delete_article(ids[0])
    assert not store.shard_path(ids[0]).exists()
    assert len(store) == 2
    with Store(store.root) as again:
        assert {a.id for a in again.articles()} == set(ids[1:])
        assert again.doctor().clean
    with pytest.raises(NotFoundError):
        store.delete_article(ids[0])


def test_article_doc_round_trip() -> None:
    doc = {
        "id": "0123456789abcdef",
        "url": URL,
        "source": "example",
        "title": "T",
        "first_seen": "2024-05-01T09:00:00+00:00",
        "last_changed": "2024-05-01T10:00:00Z",
        "versions": 3,
        "feed_url": None,
        "check": {"last_checked": "2024-05-01T11:00:00+02:00", "checks": 2},
    }
    article = article_from_doc(doc)
    assert article == Article(
        id="0123456789abcdef",
        url=URL,
        source="example",
        title="T",
        first_seen=T0,
        last_changed=datetime(2024, 5, 1, 10, tzinfo=UTC),
        version_count=3,
        check=CheckState(last_checked=datetime(2024, 5, 1, 9, tzinfo=UTC), checks=2),
    )
    assert hash(article) == hash(article_from_doc(doc))
    assert article_from_doc({"id": "x", "url": URL, "first_seen": "2024-05-01T09:00:00Z"}) == (
        Article(id="x", url=URL, source="example", title="", first_seen=T0)
    )
    assert article.last_changed == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert article.check.last_checked == datetime(2024, 5, 1, 9, tzinfo=UTC)
    assert article_from_doc(article_to_doc(article)) == article


# ----- the index: journal, compaction, self-healing, other processes ---------------------
def test_an_add_appends_to_the_journal_instead_of_rewriting_the_index(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("Zero."), at(0))
    index_before = store.index_path.stat()
    log_before = store.log_path.stat().st_size
    for n in range(1, 6):
        store.add_version(article.id, text(f"Text {n}."), at(n))
    index_after = store.index_path.stat()
    assert (index_after.st_ino, index_after.st_mtime_ns) == (
        index_before.st_ino,
        index_before.st_mtime_ns,
    )
    assert store.log_path.stat().st_size > log_before
    with Store(store.root) as again:
        assert again.article(article.id).version_count == 6


def test_the_journal_is_compacted_into_a_new_snapshot(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod, "COMPACT_MIN_BYTES", 2000)
    ids = [store.add_article(f"https://example.com/{n}").id for n in range(3)]
    snapshots = set()
    for n in range(40):
        store.add_version(ids[n % 3], text(f"Text {n}."), at(n))
        snapshots.add(json.loads(store.index_path.read_bytes())["_journal"]["1"]["log"])
    assert len(snapshots) > 3  # compacted several times along the way
    assert store.log_path.stat().st_size < 3000
    snapshot = json.loads(store.index_path.read_bytes())
    assert len(snapshot["articles"]) == 3
    with Store(store.root) as again:
        counts = {a.id: a.version_count for a in again.articles()}
        assert counts == {ids[0]: 14, ids[1]: 13, ids[2]: 13}
        assert again.doctor().clean


def test_closing_a_writer_folds_a_long_journal(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = store.add_article(URL)
    snapshot = store.index_path.stat().st_mtime_ns
    for n in range(4):
        store.add_version(article.id, text(f"Text {n}."), at(n))
    monkeypatch.setattr(store_mod, "COMPACT_MIN_BYTES", 8 * 200)  # close folds past 200 bytes
    store.close()
    assert store.index_path.stat().st_mtime_ns != snapshot
    assert store.log_path.stat().st_size < 100
    reader = Store(store.root)
    reader.close()  # a store that did not write never takes the lock or compacts
    assert reader._wrote is False


def test_rebuild_index_from_shards_written_directly(tmp_path: Path) -> None:
    """The bulk path the benchmark takes: shards through the storage layer, then an index."""
    root = tmp_path / "bulk"
    Store(root).close()
    urls = [f"https://example.com/bulk/{n}" for n in range(5)]
    for n, url in enumerate(urls):
        version = store_mod.Version(
            number=0, text=text(f"Body {n}."), fetched_at=at(n), text_hash=f"{n:064d}"
        )
        data = store_mod.shard_document(url, first_seen=at(n), versions=[version])
        store_mod.atomic_write_json(
            root / "articles" / article_id_for(url)[:2] / f"{article_id_for(url)}.json",
            data,
            durable=False,
        )
    with Store(root) as store:
        assert store.rebuild_index() == [f"rebuilt {store.index_path} from 5 shards"]
        assert [a.url for a in store.articles()] == urls[::-1]
        assert store.doctor().clean


def test_a_torn_last_journal_line_is_ignored_and_cut_by_the_next_writer(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("One."), at(0))
    with store.log_path.open("ab") as log:
        log.write(b'{"put":{"id":"ffff0000ffff0000","url":"ht')  # a writer killed mid-line
    with Store(store.root) as reader:
        assert [a.id for a in reader.articles()] == [article.id]
        reader.add_version(article.id, text("Two."), at(1))
    assert b"ffff0000" not in store.log_path.read_bytes()
    with Store(store.root) as again:
        assert again.article(article.id).version_count == 2
        assert again.doctor().clean


def test_a_writer_killed_after_its_shard_write_is_healed_on_open(store: Store) -> None:
    """Simulate the worst moment: intent journaled, shard replaced, index entry never written."""
    old = store.add_article(URL)
    store.add_version(old.id, text("One."), at(0))
    new_id = article_id_for("https://example.com/new")
    shard = json.loads(store.shard_path(old.id).read_bytes())
    shard["versions"]["2"] = dict(shard["versions"]["1"], number=1, text_hash="x" * 64)
    with store.log_path.open("ab") as log:
        log.write(json.dumps({"intent": old.id}).encode() + b"\n")
        log.write(json.dumps({"intent": new_id}).encode() + b"\n")
    store_mod.atomic_write_json(store.shard_path(old.id), shard)
    meta = dict(shard["article"]["1"], id=new_id, url="https://example.com/new")
    store_mod.atomic_write_json(store.shard_path(new_id), {"article": {"1": meta}, "versions": {}})
    with Store(store.root) as reader:
        assert reader.article(old.id).version_count == 2
        assert new_id in {a.id for a in reader.articles()}
        assert reader.doctor().clean
        reader.record_check(new_id, CheckState(checks=1))  # a writer settles the intents
    with Store(store.root) as again:
        assert not again._journal.pending  # the writer journaled both outcomes
        assert again.article(old.id).version_count == 2
        assert again.doctor().clean


def test_a_journal_left_from_a_cut_short_compaction_is_ignored(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("One."), at(0))
    stale_log = store.log_path.read_bytes()
    store.add_version(article.id, text("Two."), at(1))
    with store.locked():
        store._compact()
    store.log_path.write_bytes(stale_log + b'{"del":"%s"}\n' % article.id.encode())
    with Store(store.root) as again:
        assert again.article(article.id).version_count == 2  # the stale del is not applied
        again.add_version(article.id, text("Three."), at(2))
    with Store(store.root) as again:
        assert again.article(article.id).version_count == 3
        assert again.doctor().clean


def test_a_lost_index_is_derived_from_the_shards(seeded_store: Store) -> None:
    (article,) = seeded_store.articles()
    seeded_store.index_path.unlink()
    seeded_store.log_path.unlink()
    with Store(seeded_store.root) as again:
        assert [a.id for a in again.articles()] == [article.id]
        assert again.article(article.id).version_count == 2
        assert again.doctor().clean
    assert not seeded_store.index_path.exists()  # readers derive it in memory only
    with Store(seeded_store.root) as writer:
        writer.add_article("https://example.com/second")  # rebuilds it under the lock
    with Store(seeded_store.root) as again:
        assert len(again.articles()) == 2
        assert again.doctor().clean


def test_refresh_sees_another_process_and_versions_read_the_shard(store: Store) -> None:
    article = store.add_article(URL)
    store.add_version(article.id, text("One."), at(0))
    assert store.refresh() is False
    code = (
        "import sys; from datetime import UTC, datetime;"
        "from newsdiff_tui.store import Store; from newsdiff_tui.model import ArticleText;"
        "s = Store(sys.argv[1]); a = s.add_article('https://example.com/other');"
        "s.add_version(sys.argv[2], ArticleText(title='T', paragraphs=('Two.',)));"
        "s.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(store.root), article.id], check=True)
    assert len(store.versions(article.id)) == 2  # read from the shard, no refresh needed
    assert len(store.articles()) == 1
    assert store.refresh() is True
    assert len(store.articles()) == 2
    assert store.article(article.id).version_count == 2
    assert store.refresh() is False


def test_refresh_after_another_process_compacted(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Store(store.root)
    article = other.add_article(URL)
    assert store.refresh() is True
    for n in range(3):
        other.add_version(article.id, text(f"Text {n}."), at(n))
    with other.locked():
        other._compact()
    other.add_version(article.id, text("After."), at(9))
    assert store.refresh() is True
    assert store.article(article.id).version_count == 4


def test_writers_in_threads_of_one_process_share_a_store(store: Store) -> None:
    ids = [store.add_article(f"https://example.com/{n}").id for n in range(4)]

    def work(n: int) -> None:
        for k in range(10):
            store.add_version(ids[n], text(f"Writer {n}, text {k}."), at(k))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.version_count for a in store.articles()} == {10}
    assert store.doctor().clean


def test_the_lock_is_reentrant_and_serialises_processes(store: Store) -> None:
    article = store.add_article(URL)
    with store.locked():
        store.add_version(article.id, text("Inside the lock."), at(0))  # no deadlock
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from newsdiff_tui.store import Store\n"
            "s = Store(sys.argv[1])\n"
            "with s.locked():\n"
            "    print('held', flush=True); time.sleep(0.6)\n",
            str(store.root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    # Readers never wait for the lock...
    start = time.monotonic()
    with Store(store.root) as reader:
        assert len(reader.articles()) == 1
        assert len(reader.versions(article.id)) == 1
    assert time.monotonic() - start < 0.4
    # ...writers do, and a thread waiting to write does not block this process's readers.
    writer = threading.Thread(
        target=store.add_version, args=(article.id, text("After the other process."), at(1))
    )
    writer.start()
    time.sleep(0.05)
    assert writer.is_alive()
    before_read = time.monotonic()
    assert store.articles()[0].version_count == 1
    assert time.monotonic() - before_read < 0.2
    writer.join(timeout=10)
    assert time.monotonic() - start > 0.3
    assert store.articles()[0].version_count == 2
    holder.wait(timeout=10)


# ----- doctor ------------------------------------------------------------------------------
def test_doctor_finds_drift_and_rebuild_repairs_it(seeded_store: Store) -> None:
    (article,) = seeded_store.articles()
    shard = json.loads(seeded_store.shard_path(article.id).read_bytes())
    del shard["versions"]["2"]  # the shard (the truth) now says one version
    store_mod.atomic_write_json(seeded_store.shard_path(article.id), shard)
    report = seeded_store.doctor()
    assert not report.clean
    assert any("stale" in p and article.id in p for p in report.problems)
    repaired = seeded_store.doctor(rebuild_index=True)
    assert repaired.repaired
    assert seeded_store.article(article.id).version_count == 1
    assert seeded_store.doctor().clean


def test_doctor_removes_temp_files_of_killed_writers(seeded_store: Store) -> None:
    (article,) = seeded_store.articles()
    leftover = seeded_store.shard_path(article.id).parent / f".{article.id}.json.abc123.tmp"
    leftover.write_text('{"half": ')
    report = seeded_store.doctor()
    assert report.clean and not leftover.exists()
    assert any("temp file" in r for r in report.repaired)


# ----- schema ------------------------------------------------------------------------------
def test_a_newer_schema_is_refused_with_a_clear_message(seeded_store: Store) -> None:
    meta = seeded_store.root / "meta.json"
    meta.write_text('{"schema": 99}')
    before = files_of(seeded_store.root)
    with pytest.raises(CacheError, match="schema 99, newer than this newsdiff-tui"):
        Store(seeded_store.root)
    assert files_of(seeded_store.root) == before


def test_an_older_schema_is_migrated_step_by_step(
    seeded_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = []
    now = store_mod.SCHEMA_VERSION
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", now + 2)
    monkeypatch.setattr(
        store_mod,
        "MIGRATIONS",
        {n: lambda root, n=n: steps.append((n, root)) for n in (now, now + 1)},
    )
    with Store(seeded_store.root) as migrated:
        assert len(migrated.articles()) == 1
    assert steps == [(now, seeded_store.root), (now + 1, seeded_store.root)]
    assert json.loads((seeded_store.root / "meta.json").read_text()) == {"schema": now + 2}
    Store(seeded_store.root).close()  # already current: nothing runs again
    assert len(steps) == 2


def test_an_older_schema_without_a_migration_is_refused(seeded_store: Store) -> None:
    (seeded_store.root / "meta.json").write_text('{"schema": 0}')
    with pytest.raises(CacheError, match="cannot upgrade"):
        Store(seeded_store.root)


# ----- corrupt files: reported by path, kept, never overwritten ----------------------------
BAD_CONTENT = {
    "garbage": b"\x00\x01not json at all",
    "truncated": b'{"article": {"1": {"id": "ab',
    "empty": b"",
    "wrong shape": b"[1, 2, 3]",
}


@pytest.mark.parametrize("content", BAD_CONTENT.values(), ids=list(BAD_CONTENT))
def test_a_corrupt_shard_is_reported_and_never_overwritten(
    seeded_store: Store, content: bytes
) -> None:
    (article,) = seeded_store.articles()
    shard = seeded_store.shard_path(article.id)
    shard.write_bytes(content)
    before = files_of(seeded_store.root)
    with pytest.raises(CacheError, match=re.escape(str(shard))):
        seeded_store.add_version(article.id, text("New text."), at(100))
    with pytest.raises(CacheError, match=re.escape(str(shard))):
        seeded_store.record_check(article.id, CheckState(checks=5))
    with pytest.raises(CacheError, match=re.escape(str(shard))):
        seeded_store.versions(article.id)
    with pytest.raises(CacheError, match=re.escape(str(shard))):
        seeded_store.add_article(article.url)
    assert files_of(seeded_store.root) == before
    report = seeded_store.doctor(rebuild_index=True)
    assert any(str(shard) in p for p in report.problems)
    assert shard.read_bytes() == content


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s["versions"]["1"].pop("text_hash"),
        lambda s: s["versions"]["1"].update(number="zero"),
        lambda s: s["versions"]["2"].update(number=5),
        lambda s: s["versions"]["1"].update(paragraphs="not a list"),
        lambda s: s["versions"]["1"].update(fetched_at="yesterday"),
        lambda s: s["article"]["1"].update(id="0000000000000000"),
        lambda s: s.update(article={}),
        lambda s: s.update(versions=[]),
    ],
    ids=["no hash", "bad number", "gap", "paragraphs", "timestamp", "wrong id", "no meta", "list"],
)
def test_a_shard_of_the_wrong_shape_is_reported_by_path(seeded_store: Store, mutate) -> None:
    (article,) = seeded_store.articles()
    path = seeded_store.shard_path(article.id)
    shard = json.loads(path.read_bytes())
    mutate(shard)
    path.write_text(json.dumps(shard))
    before = files_of(seeded_store.root)
    with pytest.raises(CacheError, match="shard is malformed"):
        seeded_store.add_version(article.id, text("New text."), at(100))
    assert files_of(seeded_store.root) == before


@pytest.mark.parametrize("content", BAD_CONTENT.values(), ids=list(BAD_CONTENT))
def test_a_corrupt_index_blocks_use_until_doctor_rebuilds_it(
    seeded_store: Store, content: bytes
) -> None:
    (article,) = seeded_store.articles()
    seeded_store.index_path.write_bytes(content)
    before = files_of(seeded_store.root)
    with Store(seeded_store.root) as broken:  # opens, so that doctor can run
        for call in (
            broken.articles,
            lambda: broken.add_version(article.id, text("New."), at(100)),
            lambda: broken.record_check(article.id, CheckState(checks=1)),
            lambda: broken.add_article("https://example.com/another"),
        ):
            with pytest.raises(CacheError, match=r"index\.json.*doctor --rebuild-index"):
                call()
        report = broken.doctor()
        assert any("index.json" in p for p in report.problems)
    assert files_of(seeded_store.root) == before  # close() did not compact over it
    with Store(seeded_store.root) as broken:
        report = broken.doctor(rebuild_index=True)
        assert any("kept the corrupt index.json as" in r for r in report.repaired)
        assert [a.id for a in broken.articles()] == [article.id]
    (aside,) = seeded_store.root.glob("index.json.corrupt-*")
    assert aside.read_bytes() == content
    with Store(seeded_store.root) as again:
        assert again.doctor().clean
        assert again.article(article.id).version_count == 2


def test_a_corrupt_line_inside_the_journal_is_reported_and_kept(seeded_store: Store) -> None:
    (article,) = seeded_store.articles()
    good = seeded_store.log_path.read_bytes()
    lines = good.splitlines(keepends=True)
    corrupt = b"".join([lines[0], b"#garbage#\n", *lines[1:]])
    seeded_store.log_path.write_bytes(corrupt)
    with Store(seeded_store.root) as broken:
        with pytest.raises(CacheError, match=r"index\.log"):
            broken.articles()
        report = broken.doctor(rebuild_index=True)
        assert any("kept the corrupt index.log" in r for r in report.repaired)
        assert broken.article(article.id).version_count == 2
    (aside,) = seeded_store.root.glob("index.log.corrupt-*")
    assert aside.read_bytes() == corrupt


@pytest.mark.parametrize("content", [b"{{{", b"", b'{"schema": "one"}', b"[]"])
def test_a_corrupt_meta_file_is_refused_and_kept(cache_dir: Path, content: bytes) -> None:
    Store(cache_dir).close()
    (cache_dir / "meta.json").write_bytes(content)
    with pytest.raises(CacheError, match=r"meta\.json"):
        Store(cache_dir)
    assert (cache_dir / "meta.json").read_bytes() == content


# ----- location ----------------------------------------------------------------------------
def test_default_root_prefers_db_then_newsdiff_home_then_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDIFF_HOME", str(tmp_path / "home"))
    assert default_root(str(tmp_path / "db")) == tmp_path / "db"
    assert default_root() == tmp_path / "home"
    monkeypatch.delenv("NEWSDIFF_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_root() == tmp_path / "xdg" / "newsdiff-tui"


def test_an_unwritable_location_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(CacheError, match="cannot create the cache directory"):
        Store(blocker / "cache")
    with pytest.raises(CacheError, match="no cache at"):
        Store(tmp_path / "missing", create=False)


# Opens the cache as ``nobody`` (root ignores directory permissions), reads, then tries a write.
READ_ONLY_PROBE = """
import os, sys
from newsdiff_tui.errors import CacheError
from newsdiff_tui.model import ArticleText
from newsdiff_tui.store import Store
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
with Store(sys.argv[1]) as store:
    print(len(store.articles()), len(store.versions(sys.argv[2])))
    try:
        store.add_version(sys.argv[2], ArticleText(title="T", paragraphs=("New.",)))
    except CacheError as exc:
        print(exc)
"""


def test_a_read_only_cache_can_be_read_but_not_written() -> None:
    shared = Path(tempfile.mkdtemp(prefix="newsdiff-ro-"))  # pytest's tmp is root-only
    try:
        root = shared / "cache"
        with Store(root) as store:
            article = store.add_article(URL)
            store.add_version(article.id, text("One."), at(0))
        paths = [root, *root.rglob("*")]
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        shared.chmod(0o755)
        before = files_of(root)
        result = subprocess.run(
            [sys.executable, "-c", READ_ONLY_PROBE, str(root), article.id],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        counts, error = result.stdout.splitlines()
        assert counts == "1 1"
        assert error.startswith(f"cannot write the cache directory {root}")
        assert files_of(root) == before
    finally:
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o755)
        shutil.rmtree(shared)


def test_add_version_records_the_check_in_the_same_write(store: Store) -> None:
    """One commit per check: the version and the check state land together (or neither)."""
    article = store.add_article("https://example.com/one-write")
    state = CheckState(last_checked=datetime(2024, 1, 1, tzinfo=UTC), etag='"v0"', checks=1)
    text = ArticleText(title="T", paragraphs=("First paragraph.",))
    version = store.add_version(article.id, text, check=state)
    assert version is not None and version.number == 0
    assert store.article(article.id).check == state
    again = CheckState(last_checked=datetime(2024, 1, 2, tzinfo=UTC), etag='"v0"', checks=2)
    assert store.add_version(article.id, text, check=again) is None  # unchanged text
    assert store.article(article.id).check == again  # but the check is still recorded
    assert len(store.versions(article.id)) == 1


def test_a_shard_is_a_real_tinydb_file(seeded_store: Store) -> None:
    """The per-article files are TinyDB databases: ad-hoc queries work on them as they are."""
    article = seeded_store.articles()[0]
    db = seeded_store.db(article.id)
    inserted = db.table("versions").search(Query().number == 1)
    assert [doc["paragraphs"][6] for doc in inserted] == ["“We did not compromise,” he said."]
    assert db.table("article").all()[0]["url"] == article.url
