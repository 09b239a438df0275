"""Benchmark of the cache: does adding a version cost the same at 20,000 articles as at 200?

Builds two caches (200 and 20,000 articles, 5 versions each, articles of 15-30 paragraphs of
40-120 words, generated deterministically), then measures through the public ``Store`` API:

- ``open_index_s``: open the large cache with ``Store(root)`` and list it with ``articles()``;
- ``add_version_small_s`` / ``add_version_large_s``: ``Store.add_version`` of a new text to an
  existing article, index bookkeeping included (medians; small and large adds interleaved so
  that load on a shared machine hits both alike); ``add_version_ratio`` = large / small.

The bulk build writes shards straight through the storage layer (no fsync: it can be redone)
and then builds the index with ``Store.rebuild_index``, the path ``doctor --rebuild-index``
takes. The last line printed is JSON with the figures. Run: ``python benchmarks/bench_store.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdiff_tui.model import ArticleText, Version
from newsdiff_tui.storage import atomic_write_json
from newsdiff_tui.store import Store, shard_document
from newsdiff_tui.urls import article_id_for

VERSIONS = 5
SOURCES = ["nytimes", "bbc", "guardian", "reuters", "apnews", "washingtonpost", "lemonde"]
T0 = datetime(2024, 1, 1, tzinfo=UTC)
_NEWSY = (
    "the government said on monday that it would review the decision after officials from "
    "several ministries met with representatives of the opposition parties in the capital "
    "where protesters had gathered since early morning demanding answers about the budget "
    "cuts announced last week analysts expect markets to react cautiously while investors "
    "weigh the risks of a prolonged dispute between the two countries whose trade ties have "
    "grown steadily over the past decade according to figures released by the statistics "
    "office spokesman declined to comment further but confirmed that talks would resume "
    "next month in geneva under the supervision of international mediators who have warned "
    "that time is running out for a negotiated settlement residents described scenes of "
    "confusion as emergency services arrived hospital sources reported dozens injured"
)
WORDS = _NEWSY.split()


def make_paragraph_pool(rng: random.Random, size: int) -> list[str]:
    """Sentences of newsy words, 40-120 words a paragraph: the raw material of every article."""
    pool = []
    for _ in range(size):
        words = [rng.choice(WORDS) for _ in range(rng.randint(40, 120))]
        sentences, start = [], 0
        while start < len(words):
            end = min(len(words), start + rng.randint(8, 24))
            sentence = " ".join(words[start:end])
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
            start = end
        pool.append(" ".join(sentences))
    return pool


def content_hash(text: ArticleText) -> str:
    """``ArticleText.content_hash`` for text that is normalised already (much faster in bulk)."""
    payload = "\x1e".join([text.title, text.byline or "", *text.paragraphs])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def article_texts(n: int, pool: list[str]) -> tuple[str, list[ArticleText]]:
    """Article ``n``'s URL and its versions: each edit rewrites, adds or drops a paragraph."""
    rng = random.Random(n)
    source = SOURCES[n % len(SOURCES)]
    url = f"https://www.{source}.com/2024/01/{n % 28 + 1:02d}/world/story-{n}.html"
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14))).capitalize()
    paragraphs = [rng.choice(pool) for _ in range(rng.randint(15, 30))]
    texts = [ArticleText(title=title, byline="By A. Reporter", paragraphs=tuple(paragraphs))]
    for k in range(1, VERSIONS):
        paragraphs = list(paragraphs)
        where = rng.randrange(len(paragraphs))
        edit = k % 3
        if edit == 0 and len(paragraphs) > 15:
            del paragraphs[where]
        elif edit == 1:
            paragraphs.insert(where, rng.choice(pool))
        else:
            paragraphs[where] = f"{paragraphs[where]} Updated {k}."
        if k == VERSIONS - 1:
            title = f"{title}, officials say"
        texts.append(
            ArticleText(title=title, byline="By A. Reporter", paragraphs=tuple(paragraphs))
        )
    return url, texts


def build_cache(root: Path, count: int, pool: list[str]) -> dict[str, float]:
    """Write ``count`` shards directly, then index them the way ``doctor`` does."""
    start = time.perf_counter()
    Store(root).close()  # meta.json, through the normal path
    for n in range(count):
        url, texts = article_texts(n, pool)
        versions = [
            Version(
                number=k,
                text=text,
                fetched_at=T0 + timedelta(days=n % 300, hours=k),
                text_hash=content_hash(text),
            )
            for k, text in enumerate(texts)
        ]
        data = shard_document(url, first_seen=versions[0].fetched_at, versions=versions)
        path = root / "articles" / article_id_for(url)[:2] / f"{article_id_for(url)}.json"
        atomic_write_json(path, data, durable=False)
    written = time.perf_counter()
    with Store(root) as store:
        store.rebuild_index()
    indexed = time.perf_counter()
    size = sum(p.stat().st_size for p in root.rglob("*.json"))
    return {
        "shards_s": written - start,
        "index_s": indexed - written,
        "mb": size / 1e6,
        "index_mb": (root / "index.json").stat().st_size / 1e6,
    }


def edited(text: ArticleText, k: int) -> ArticleText:
    """A new text for an add: one paragraph gains a sentence."""
    paragraphs = list(text.paragraphs)
    paragraphs[k % len(paragraphs)] += f" Correction {k}: an earlier version misstated this."
    return ArticleText(title=text.title, byline=text.byline, paragraphs=tuple(paragraphs))


def measure_adds(small: Store, large: Store, repeat: int) -> tuple[list[float], list[float]]:
    """Interleaved timings of ``add_version`` on random existing articles of each cache."""
    rng = random.Random(7)
    timings: dict[int, list[float]] = {id(small): [], id(large): []}
    ids = {id(small): [a.id for a in small.articles()], id(large): [a.id for a in large.articles()]}
    for k in range(repeat):
        for store in (small, large) if k % 2 else (large, small):
            article_id = rng.choice(ids[id(store)])
            text = edited(store.version(article_id, -1).text, k)
            at = T0 + timedelta(days=400, minutes=k)
            started = time.perf_counter()
            added = store.add_version(article_id, text, at)
            timings[id(store)].append(time.perf_counter() - started)
            assert added is not None
    return timings[id(small)], timings[id(large)]


OPEN_AND_LIST = """
import sys, time
from newsdiff_tui.store import Store
started = time.perf_counter()
with Store(sys.argv[1]) as store:
    listed = store.articles()
print(time.perf_counter() - started, len(listed))
"""


def measure_open(root: Path, repeat: int, expected: int) -> list[float]:
    """Timings of opening a cache and listing every article, each in a fresh process.

    A fresh process is what the TUI or a CLI command is; repeating in one process would also
    time freeing the previous store's 20,000 articles.
    """
    timings = []
    for _ in range(repeat):
        result = subprocess.run(
            [sys.executable, "-c", OPEN_AND_LIST, str(root)],
            capture_output=True,
            text=True,
            check=True,
        )
        took, count = result.stdout.split()
        assert int(count) == expected
        timings.append(float(took))
    return timings


def main(argv: list[str] | None = None) -> int:
    """Build, measure, print the figures and, last, one line of JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200, help="articles in the small cache")
    parser.add_argument("--large", type=int, default=20_000, help="articles in the large cache")
    parser.add_argument("--repeat", type=int, default=60, help="adds measured per cache")
    parser.add_argument("--dir", type=Path, help="build here and keep the caches")
    args = parser.parse_args(argv)

    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-store-"))
    pool = make_paragraph_pool(random.Random(1), 4000)
    _, sample = article_texts(0, pool)
    assert content_hash(sample[0]) == sample[0].content_hash()  # the bulk hash is the real one
    try:
        roots = {}
        for label, count in (("small", args.small), ("large", args.large)):
            roots[label] = base / f"cache-{count}"
            if roots[label].exists():
                shutil.rmtree(roots[label])
            build = build_cache(roots[label], count, pool)
            print(
                f"built {count} articles x {VERSIONS} versions: {build['mb']:.0f} MB "
                f"(index {build['index_mb']:.1f} MB); shards {build['shards_s']:.1f} s, "
                f"index rebuild {build['index_s']:.1f} s",
                flush=True,
            )
        opens = measure_open(roots["large"], 7, args.large)
        print(f"open + articles() of {args.large}: " + ", ".join(f"{t:.3f}" for t in opens))
        with Store(roots["small"]) as small, Store(roots["large"]) as large:
            adds_small, adds_large = measure_adds(small, large, args.repeat)
        for label, timings in (("small", adds_small), ("large", adds_large)):
            q = statistics.quantiles(timings, n=10)
            print(
                f"add_version {label}: median {statistics.median(timings) * 1e3:.2f} ms, "
                f"p10 {q[0] * 1e3:.2f} ms, p90 {q[-1] * 1e3:.2f} ms (n={len(timings)})"
            )
        with Store(roots["large"]) as large, large.locked():
            started = time.perf_counter()
            large._compact()  # what a compaction costs at this size, for the record
            took = time.perf_counter() - started
            print(f"compaction of the {args.large}-article index: {took:.3f} s")
        small_s, large_s = statistics.median(adds_small), statistics.median(adds_large)
        result = {
            "open_index_s": round(statistics.median(opens), 4),
            "add_version_small_s": round(small_s, 5),
            "add_version_large_s": round(large_s, 5),
            "add_version_ratio": round(large_s / small_s, 3),
        }
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
