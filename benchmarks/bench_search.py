"""Benchmark of search: does a search cost the same on 20,000 articles as on 200?

Builds the two caches of ``bench_store.py`` with its own builder (200 and 20,000 articles,
5 versions each), then gives a few articles of each (the same share) a sixth version that adds
"ceasefire negotiations" and some a seventh that drops it again, through ``Store.add_version``.
Then, through the public API (``SearchIndex`` on an open ``Store``, as the CLI and the TUI use
it):

- ``build_small_s`` / ``build_large_s``: the search index built from scratch from the shards;
- ``search_small_s`` / ``search_large_s``: the median time of one search (contains, added,
  removed and a phrase, on an up-to-date index: the freshness check is included), small and
  large interleaved so that load on a shared machine hits both alike; ``search_ratio`` is
  large / small (target: within 2x, and under 0.2 s);
- for the record: a search for a word in nearly every article, and the first search after a
  store write (the per-article staleness check plus indexing the changed article).

The last line printed is JSON with the figures. Run: ``python benchmarks/bench_search.py``
(``--dir DIR`` keeps the caches and reuses them on the next run).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import T0, build_cache, make_paragraph_pool

from newsdiff_tui.model import ArticleText
from newsdiff_tui.search import SearchIndex, SearchQuery
from newsdiff_tui.store import Store

PLANTED = 6  # articles given the planted words, in each cache: a search finds as many in both
QUERIES = [
    ("ceasefire", "contains", False),
    ("ceasefire", "added", False),
    ("ceasefire negotiations", "removed", False),
    ("ceasefire negotiations", "contains", True),
]


def plant(store: Store) -> int:
    """Add "ceasefire negotiations" to PLANTED articles spread over the cache, then take it out
    of half of them."""
    ordered = sorted(store.articles(), key=lambda a: a.id)
    articles = ordered[:: len(ordered) // PLANTED][:PLANTED]
    for k, article in enumerate(articles):
        latest = store.version(article.id, -1).text
        planted = (*latest.paragraphs, "Officials said ceasefire negotiations would resume.")
        at = T0 + timedelta(days=400)
        store.add_version(article.id, ArticleText(latest.title, latest.byline, None, planted), at)
        if k % 2:
            store.add_version(article.id, latest, at + timedelta(hours=3))
    return len(articles)


def prepare(root: Path, count: int, pool: list[str]) -> None:
    """The cache of bench_store with the planted versions (kept when it exists already)."""
    if (root / "index.json").exists():
        print(f"reusing {root}", flush=True)
        return
    if root.exists():
        shutil.rmtree(root)
    build = build_cache(root, count, pool)
    with Store(root) as store:
        marked = plant(store)
    print(
        f"built {count} articles ({build['mb']:.0f} MB) in {build['shards_s']:.1f} s, "
        f"{marked} with planted words",
        flush=True,
    )


def timed_search(index: SearchIndex, words: str, mode: str, phrase: bool) -> tuple[float, int]:
    started = time.perf_counter()
    result = index.search(SearchQuery(words, mode=mode, phrase=phrase))  # type: ignore[arg-type]
    return time.perf_counter() - started, len(result.hits)


def main(argv: list[str] | None = None) -> int:
    """Build, measure, print the figures and, last, one line of JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200, help="articles in the small cache")
    parser.add_argument("--large", type=int, default=20_000, help="articles in the large cache")
    parser.add_argument("--repeat", type=int, default=15, help="rounds of the searches")
    parser.add_argument("--dir", type=Path, help="build here and keep the caches")
    args = parser.parse_args(argv)

    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    pool = make_paragraph_pool(random.Random(1), 4000)
    try:
        roots = {"small": base / f"cache-{args.small}", "large": base / f"cache-{args.large}"}
        for label, count in (("small", args.small), ("large", args.large)):
            prepare(roots[label], count, pool)
        builds = {}
        with Store(roots["small"]) as small, Store(roots["large"]) as large:
            indexes = {"small": SearchIndex(small), "large": SearchIndex(large)}
            for label, index in indexes.items():
                started = time.perf_counter()
                indexed = index.rebuild()
                builds[label] = time.perf_counter() - started
                size = index.path.stat().st_size / 1e6
                print(
                    f"search index of {indexed} articles built from scratch in "
                    f"{builds[label]:.2f} s ({size:.0f} MB)",
                    flush=True,
                )
            timings: dict[str, list[float]] = {"small": [], "large": []}
            hits: dict[tuple[str, str], int] = {}
            for k in range(args.repeat):
                for label in ("small", "large") if k % 2 else ("large", "small"):
                    for words, mode, phrase in QUERIES:
                        took, found = timed_search(indexes[label], words, mode, phrase)
                        timings[label].append(took)
                        hits[label, f"{mode}{' phrase' if phrase else ''} {words!r}"] = found
            for (label, query), found in sorted(hits.items()):
                print(f"{label}: {query}: {found} article(s)")
            for label, samples in timings.items():
                q = statistics.quantiles(samples, n=10)
                print(
                    f"search {label}: median {statistics.median(samples) * 1e3:.2f} ms, "
                    f"p10 {q[0] * 1e3:.2f} ms, p90 {q[-1] * 1e3:.2f} ms (n={len(samples)})"
                )
            for label, index in indexes.items():
                took, found = timed_search(index, "geneva", "contains", False)
                print(f"{label}: a word in nearly every article: {found} hits in {took:.3f} s")
            for label, store in (("small", small), ("large", large)):
                article = store.articles()[-1]
                store.add_version(
                    article.id, ArticleText("Changed", None, None, ("A new text.",)), T0
                )
                took, _ = timed_search(indexes[label], "ceasefire", "contains", False)
                print(f"{label}: first search after a store write: {took:.3f} s")
        small_s = statistics.median(timings["small"])
        large_s = statistics.median(timings["large"])
        result = {
            "search_small_s": round(small_s, 5),
            "search_large_s": round(large_s, 5),
            "search_ratio": round(large_s / small_s, 3),
            "build_small_s": round(builds["small"], 3),
            "build_large_s": round(builds["large"], 2),
        }
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
