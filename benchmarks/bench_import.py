"""Benchmark of ``import --from newsedits``: how many versions per second does an import store?

Generates a NewsEdits-style outlet file (SQLite, table ``entryversion``) of 1,000 articles x 10
versions (12 paragraphs of 40-80 words each; every version edits one paragraph of the one
before), deterministically, then measures through the public API (``importers.run``):

- ``import_s``: a first import into an empty cache, split into ``read_s`` (read, validate,
  normalise and stage the whole source) and ``write_s`` (write it to the store);
  ``versions_per_s`` = versions / ``import_s``;
- ``reimport_s``: the same import again (it adds nothing: every ``origin_ref`` is stored);
- ``store_only_s``: the same texts (already normalised) written to another empty cache
  straight through ``Store.add_article`` + ``Store.insert_versions`` (no source, no
  validation, no normalising), measured in the same run; ``import_vs_store_ratio`` =
  ``import_s`` / ``store_only_s`` is what reading and checking a source costs on top of
  storing it, a ratio that load on a shared machine moves far less than the absolute times.

The last line printed is JSON with the figures. Run: ``python benchmarks/bench_import.py``
(``--articles N --versions M`` for other sizes).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdiff_tui.importers.run import read_sources, write_staged
from newsdiff_tui.store import Store

PARAGRAPHS = 12
T0 = datetime(2021, 3, 1, tzinfo=UTC)
_NEWSY = (
    "the government said on monday that it would review the decision after officials from "
    "several ministries met with representatives of the opposition parties in the capital "
    "where protesters had gathered since early morning demanding answers about the budget "
    "cuts announced last week analysts expect markets to react cautiously while investors "
    "weigh the risks of a prolonged dispute between the two countries"
)
WORDS = _NEWSY.split()


def paragraph(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(40, 80))]
    return " ".join(words).capitalize() + "."


def make_source(path: Path, articles: int, versions: int) -> int:
    """The outlet file; returns the number of versions it holds."""
    rng = random.Random(14)
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE entryversion (id INTEGER, entry_id INTEGER, version INTEGER, "
        "created TEXT, title TEXT, url TEXT, num_versions INTEGER, summary TEXT)"
    )
    rows = []
    for entry in range(articles):
        body = [paragraph(rng) for _ in range(PARAGRAPHS)]
        url = f"https://www.example-news.com/{2021 + entry % 3}/story-{entry}.html"
        for version in range(versions):
            if version:
                body[rng.randrange(PARAGRAPHS)] = paragraph(rng)
            created = T0 + timedelta(days=entry % 300, minutes=37 * version)
            rows.append(
                (
                    len(rows) + 1,
                    entry,
                    version,
                    created.strftime("%Y-%m-%d %H:%M:%S"),
                    f"Story {entry}, take {version}",
                    url,
                    versions,
                    "<p>" + "</p><p>".join(body) + "</p>",
                )
            )
    conn.executemany("INSERT INTO entryversion VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return len(rows)


def timed_import(cache: Path, source: Path) -> tuple[float, float, int, list]:
    """Read and write phases of one import; returns (read_s, write_s, added, staged)."""
    start = time.perf_counter()
    with read_sources("newsedits", [str(source)]) as staged:
        read_s = time.perf_counter() - start
        articles = list(staged.staging)  # kept for the store-only run (not timed)
        start = time.perf_counter()
        with Store(cache) as store:
            summary = write_staged(store, staged)
        write_s = time.perf_counter() - start
    return read_s, write_s, summary.added, articles


def store_only(cache: Path, articles: list) -> float:
    """The same articles written straight to a store (no source read, no validation): what
    storing them costs at the least."""
    start = time.perf_counter()
    with Store(cache) as store:
        for article in articles:
            record = store.add_article(article.url, first_seen=article.texts[0].seen_at)
            store.insert_versions(record.id, article.texts, normalized=True)
        store.flush()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch:
        root = Path(scratch)
        source = root / "outlet.db"
        total = make_source(source, args.articles, args.versions)
        print(f"source: {args.articles} articles x {args.versions} versions = {total} versions")
        read_s, write_s, added, articles = timed_import(root / "cache", source)
        import_s = read_s + write_s
        print(f"import: {import_s:.2f} s (read {read_s:.2f} s, write {write_s:.2f} s)")
        again_read, again_write, again_added, _ = timed_import(root / "cache", source)
        reimport_s = again_read + again_write
        print(f"import again: {reimport_s:.2f} s, {again_added} added")
        store_s = store_only(root / "store-only", articles)
        print(f"store only: {store_s:.2f} s")
    if added != total or again_added != 0:
        print(f"unexpected: {added} of {total} added, then {again_added}", file=sys.stderr)
        return 1
    figures = {
        "versions": total,
        "import_s": round(import_s, 3),
        "read_s": round(read_s, 3),
        "write_s": round(write_s, 3),
        "versions_per_s": round(total / import_s),
        "reimport_s": round(reimport_s, 3),
        "reimport_versions_per_s": round(total / reimport_s),
        "store_only_s": round(store_s, 3),
        "import_vs_store_ratio": round(import_s / store_s, 2),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
