"""Fault injection on the cache: writers killed with SIGKILL, and writers racing each other.

The writers are real processes (``python -c WRITER``) so that a kill can land anywhere: in a
shard write, a journal append, a compaction. Each prints ``ack ...`` only after the store call
returned, so every acknowledged write must be found afterwards.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

from newsdiff_tui.store import Store

# A writer: adds versions (and now and then an article or a check result) until killed.
# Compaction thresholds are tiny so that kills also land inside compactions.
WRITER = r"""
import sys
from datetime import UTC, datetime

import newsdiff_tui.store as store_mod
from newsdiff_tui.model import ArticleText, CheckState

store_mod.COMPACT_MIN_BYTES = 3000
store_mod.COMPACT_ON_CLOSE_SHARE = 1
root, tag, urls, limit = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
store = store_mod.Store(root)
ids = [store.add_article(url).id for url in urls]
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    raise SystemExit(1)
n = 0
while limit == 0 or n < limit:
    n += 1
    article_id = ids[n % len(ids)]
    if limit == 0 and n % 7 == 0:
        new = store.add_article(f"https://example.org/{tag}/new-{n}")
        print(f"art {new.id}", flush=True)
        continue
    if limit == 0 and n % 5 == 0:
        store.record_check(article_id, CheckState(checks=n, etag=f"{tag}-{n}"))
        continue
    text = ArticleText(
        title=f"Headline {tag} {n}",
        paragraphs=(f"Paragraph from writer {tag}, write {n}.", "A longer fixed paragraph. " * 30),
    )
    version = store.add_version(article_id, text, datetime.now(UTC))
    print(f"ack {article_id} {version.text_hash}", flush=True)
store.close()
"""

URLS = [f"https://example.com/story-{n}" for n in range(4)]


def _start_writer(root: Path, tag: str, urls: list[str], limit: int = 0) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), tag, ",".join(urls), str(limit)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _go(proc: subprocess.Popen) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


def _acks(output: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(article id, text hash) of every acknowledged version, and ids of acknowledged articles."""
    versions, articles = [], []
    for line in output.splitlines():
        parts = line.split()
        if parts[:1] == ["ack"] and len(parts) == 3:
            versions.append((parts[1], parts[2]))
        elif parts[:1] == ["art"] and len(parts) == 2:
            articles.append(parts[1])
    return versions, articles


def _interrupted(root: Path) -> bool:
    """Whether the journal shows a write cut short (a torn line or an unanswered intent)."""
    raw = (root / "index.log").read_bytes()
    if raw and not raw.endswith(b"\n"):
        return True
    last = raw.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return last.startswith(b'{"intent"')


def _assert_everything_there(root: Path, acked: list[tuple[str, str]], articles: list[str]) -> bool:
    """Open the cache, let doctor check it, and find every acknowledged write; True if repaired."""
    repaired = False
    with Store(root) as store:
        report = store.doctor()
        if not report.clean:
            repaired = True
            store.doctor(rebuild_index=True)
            report = store.doctor()
        assert report.clean, report.problems
        listed = {a.id: a for a in store.articles()}
        for article_id in articles:
            assert article_id in listed
        hashes: dict[str, set[str]] = {}
        for article_id, text_hash in acked:
            if article_id not in hashes:
                versions = store.versions(article_id)
                assert listed[article_id].version_count == len(versions)
                hashes[article_id] = {v.text_hash for v in versions}
            assert text_hash in hashes[article_id], f"lost version {text_hash} of {article_id}"
    return repaired


def test_sigkilled_writer_never_loses_an_acknowledged_write(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    rng = random.Random(20240501)
    acked: list[tuple[str, str]] = []
    articles: list[str] = []
    interrupted = repairs = 0
    kills = 60
    for run in range(kills):
        proc = _start_writer(root, f"w{run}", URLS)
        _go(proc)
        time.sleep(rng.uniform(0.005, 0.06))
        proc.kill()
        out, _ = proc.communicate()
        assert proc.returncode == -9
        versions, new_articles = _acks(out)
        acked += versions
        articles += new_articles
        interrupted += _interrupted(root)
        repairs += _assert_everything_there(root, acked, articles)
    print(f"{kills} kills, {len(acked)} acked versions, {interrupted} cut mid-write")
    assert len(acked) > kills  # the writers made progress between kills
    assert repairs == 0  # the journal's intents heal every kill without a rebuild


def _race(root: Path, first_urls: list[str], second_urls: list[str]) -> None:
    """Two writers released at once, 30 versions each; every one of the 60 must be stored."""
    Store(root).close()
    writers = [
        _start_writer(root, "a", first_urls, limit=30),
        _start_writer(root, "b", second_urls, limit=30),
    ]
    for proc in writers:
        _go(proc)
    acked = []
    for proc in writers:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        acked += _acks(out)[0]
    assert len(acked) == 60
    _assert_everything_there(root, acked, [])


def test_two_writers_on_different_articles_lose_nothing(tmp_path: Path) -> None:
    _race(tmp_path / "cache", URLS[:2], URLS[2:])
    with Store(tmp_path / "cache") as store:
        assert sum(a.version_count for a in store.articles()) == 60


def test_two_writers_on_the_same_article_lose_nothing(tmp_path: Path) -> None:
    _race(tmp_path / "cache", URLS[:1], URLS[:1])
    with Store(tmp_path / "cache") as store:
        (article,) = store.articles()
        versions = store.versions(article.id)
        assert article.version_count == len(versions) == 60
        assert [v.number for v in versions] == list(range(60))
