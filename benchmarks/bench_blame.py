"""Benchmark of sentence blame: does a 50-version history blame in well under a second?

Builds a 50-version history (25 paragraphs of 40-120 words from bench_store's generator; each
version edits a sentence, adds one, drops one, and every tenth version restores an earlier
text), then measures, interleaved so that load on a shared machine hits both alike:

- ``blame_50_s``: ``blame(versions)`` of the latest version (the CLI's work, after reading);
- ``blame_all_50_s``: ``blame_all(versions)``, the blame of every version in one walk;
- ``diff_pairs_50_s``: the diff engine on the 49 consecutive pairs, the work a diff-based
  blame would start from (a peer to compare with, not a target); ``blame_vs_diff`` the ratio.

The last line printed is JSON with the figures. Run: ``python benchmarks/bench_blame.py``.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


from bench_store import make_paragraph_pool

from newsdiff_tui.blame import blame, blame_all, split_sentences
from newsdiff_tui.diff import diff
from newsdiff_tui.model import ArticleText, Version

VERSIONS = 50
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def history(rng: random.Random) -> list[Version]:
    """A 50-version history with edits, additions, removals and restores."""
    pool = make_paragraph_pool(rng, 400)
    paragraphs = [split_sentences(p) for p in rng.sample(pool, 25)]
    texts: list[tuple[str, ...]] = []
    for k in range(VERSIONS):
        if k and k % 10 == 0:
            restored = texts[k - 7]  # an earlier text comes back whole
            paragraphs = [split_sentences(p) for p in restored]
        elif k:
            where = rng.randrange(len(paragraphs))
            sentences = paragraphs[where] = list(paragraphs[where])
            s = rng.randrange(len(sentences))
            sentences[s] = sentences[s][:-1] + f", officials said on day {k}."
            sentences.insert(rng.randrange(len(sentences) + 1), f"Update {k} came in overnight.")
            other = paragraphs[rng.randrange(len(paragraphs))]
            if len(other) > 1:
                other.pop(rng.randrange(len(other)))
        texts.append(tuple(" ".join(p) for p in paragraphs))
    return [
        Version(k, ArticleText(title="A story", paragraphs=t), T0 + timedelta(hours=k), str(k))
        for k, t in enumerate(texts)
    ]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> int:
    """Measure, print the figures and, last, one line of JSON."""
    versions = history(random.Random(3))
    sentences = sum(len(split_sentences(p)) for p in versions[-1].text.paragraphs)
    print(f"history: {VERSIONS} versions, {sentences} sentences in the latest")
    runs: dict[str, list[float]] = {"blame": [], "blame_all": [], "diff": []}
    pairs = list(itertools.pairwise(versions))
    for _ in range(7):
        runs["blame"].append(timed(lambda: blame(versions)))
        runs["blame_all"].append(timed(lambda: blame_all(versions)))
        runs["diff"].append(timed(lambda: [diff(a.text, b.text) for a, b in pairs]))
    for name, samples in runs.items():
        print(
            f"{name}: median {statistics.median(samples) * 1e3:.1f} ms, "
            f"all: {', '.join(f'{s * 1e3:.1f}' for s in samples)}"
        )
    latest = blame(versions)
    print(
        f"latest: {sum(s.introduced > 0 for s in latest.sentences)} sentences after v0, "
        f"{sum(s.restored is not None for s in latest.sentences)} restored, "
        f"{sum(s.edited is not None for s in latest.sentences)} edited"
    )
    medians = {name: statistics.median(samples) for name, samples in runs.items()}
    print(
        json.dumps(
            {
                "blame_50_s": round(medians["blame"], 4),
                "blame_all_50_s": round(medians["blame_all"], 4),
                "diff_pairs_50_s": round(medians["diff"], 4),
                "blame_vs_diff": round(medians["blame"] / medians["diff"], 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
