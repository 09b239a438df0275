"""Group commit (``Store.batch``): several writes, one commit, and nothing acknowledged lost.

The fault test kills real writer processes (SIGKILL) that commit versions in batches and print
``ack`` only after a batch returned; every acknowledged version must be found afterwards.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

import newsdiff_tui.storage as storage
from newsdiff_tui.errors import CacheError
from newsdiff_tui.model import ArticleText, CheckState
from newsdiff_tui.store import Store


def text(n: int) -> ArticleText:
    return ArticleText(title=f"Headline {n}", paragraphs=(f"Paragraph number {n}.", "Fixed."))


def test_a_batch_commits_every_write_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [store.add_article(f"https://news.example/{n}").id for n in range(5)]
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(storage.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    journal_before = store.log_path.read_bytes()

    with store.batch():
        for n, article_id in enumerate(ids):
            assert store.add_version(article_id, text(n)).number == 0
        store.record_check(ids[0], CheckState(checks=1, etag='"e"'))
        # Reads inside the block see the block's writes; the files do not yet.
        assert len(store.versions(ids[0])) == 1
        assert store.log_path.read_bytes() == journal_before

    # One journal fsync and one per shard (run together), then one per directory: no more.
    directories = {store.shard_path(i).parent for i in ids}
    assert len(synced) == 1 + len(ids) + len(directories)
    reopened = Store(store.root)
    assert [reopened.article(i).version_count for i in ids] == [1] * 5
    assert reopened.article(ids[0]).check.etag == '"e"'
    assert reopened.versions(ids[3])[0].text.title == "Headline 3"
    assert reopened.doctor().clean


def test_a_batch_that_raises_stores_nothing(store: Store) -> None:
    article_id = store.add_article("https://news.example/a").id
    with pytest.raises(RuntimeError), store.batch():
        store.add_version(article_id, text(1))
        raise RuntimeError("stop")
    assert store.versions(article_id) == []
    assert Store(store.root).article(article_id).version_count == 0
    with store.batch():  # the store is usable afterwards
        store.add_version(article_id, text(2))
    assert len(Store(store.root).versions(article_id)) == 1


def test_a_failed_commit_leaves_old_shards_and_a_consistent_index(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [store.add_article(f"https://news.example/{n}").id for n in range(3)]
    store.add_version(ids[0], text(0))

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("newsdiff_tui.store.atomic_write_json_many", full_disk)
    with pytest.raises(CacheError, match="No space left"), store.batch():
        for n, article_id in enumerate(ids):
            store.add_version(article_id, text(n + 10))
    monkeypatch.undo()
    reopened = Store(store.root)
    assert [len(reopened.versions(i)) for i in ids] == [1, 0, 0]
    assert [reopened.article(i).version_count for i in ids] == [1, 0, 0]
    assert reopened.doctor().clean


BATCH_WRITER = r"""
import sys
from datetime import UTC, datetime

import newsdiff_tui.store as store_mod
from newsdiff_tui.model import ArticleText, CheckState

store_mod.COMPACT_MIN_BYTES = 3000
root, tag = sys.argv[1], sys.argv[2]
store = store_mod.Store(root)
ids = [store.add_article(f"https://example.com/story-{n}").id for n in range(4)]
print("ready", flush=True)
n = 0
while True:
    done = []
    with store.batch():
        for article_id in ids[n % 2 :: 2]:
            n += 1
            text = ArticleText(title=f"Headline {tag} {n}", paragraphs=(f"Write {tag} {n}.",))
            version = store.add_version(article_id, text, datetime.now(UTC))
            done.append(f"ack {article_id} {version.text_hash}")
        store.record_check(ids[0], CheckState(checks=n))
    print("\n".join(done), flush=True)  # acknowledged only once the batch is committed
"""


def test_sigkilled_batch_writer_never_loses_an_acknowledged_version(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    rng = random.Random(20240601)
    acked: list[tuple[str, str]] = []
    for run in range(25):
        proc = subprocess.Popen(
            [sys.executable, "-c", BATCH_WRITER, str(root), f"w{run}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.005, 0.05))
        proc.kill()
        out, _ = proc.communicate()
        acked += [
            (parts[1], parts[2])
            for parts in (line.split() for line in out.splitlines())
            if parts[:1] == ["ack"] and len(parts) == 3
        ]
        with Store(root) as store:
            report = store.doctor()
            assert report.clean, report.problems  # the intents heal every kill
            stored: dict[str, set[str]] = {}
            for article_id, text_hash in acked:
                if article_id not in stored:
                    versions = store.versions(article_id)
                    assert store.article(article_id).version_count == len(versions)
                    stored[article_id] = {v.text_hash for v in versions}
                assert text_hash in stored[article_id], f"lost {text_hash} of {article_id}"
    assert len(acked) > 25  # the writers made progress between kills
