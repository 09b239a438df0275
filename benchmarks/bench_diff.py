"""Benchmark: our ``diff`` against difflib and diff-match-patch on the same word tokens.

Run: ``.venv/bin/python benchmarks/bench_diff.py [--repeats N]``. Texts are generated
deterministically (seeded): Zipf-distributed words in sentences with commas, in paragraphs of
40-120 words; edits replace, insert or delete runs of 1-3 words. Ours is the full
``diff(ArticleText, ArticleText)`` call; the peers diff the whole text's word tokens (the keys
our engine compares: words and punctuation, whitespace left out), as a naive tool would.
diff-match-patch runs in word mode (each distinct token mapped to one character, its
``diff_linesToChars`` trick) with its default settings (1 s timeout).

Prints a table, the changed-word comparison of the 2% cases, then as its LAST line a JSON
object with each case's median times, ``worst_ratio_to_fastest_peer`` and ``max_ours_s``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

from newsdiff_tui.diff import count_words, diff, word_keys
from newsdiff_tui.model import ArticleText

SEED = 20241122
CASES = [  # (name, words, share of words edited)
    ("2k words, 2% edited", 2_000, 0.02),
    ("10k words, 2% edited", 10_000, 0.02),
    ("50k words, 2% edited", 50_000, 0.02),
    ("10k words, half rewritten", 10_000, 0.5),
]


# ----- text generation ----------------------------------------------------------------------


def _vocabulary(rng: random.Random, size: int = 6_000) -> tuple[list[str], list[float]]:
    """Pseudo-words with Zipf weights, so common words repeat as "the" and "of" do."""
    words: set[str] = set()
    while len(words) < size:
        length = max(1, int(rng.gauss(5, 2.5)))
        words.add("".join(rng.choice("etaoinshrdlucmfwypvbgkjqxz") for _ in range(length)))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered, [1 / (rank + 1) ** 1.05 for rank in range(size)]


def _words(rng: random.Random, vocab: tuple[list[str], list[float]], n: int) -> list[str]:
    return rng.choices(vocab[0], weights=vocab[1], k=n)


def _sentences(words: list[str], rng: random.Random) -> list[str]:
    """Words shaped into sentences: capitalised starts, a comma now and then, full stops."""
    out: list[str] = []
    start = True
    for k, word in enumerate(words):
        if start:
            word = word.capitalize()
            start = False
        if k == len(words) - 1 or rng.random() < 1 / 18:
            word += "."
            start = True
        elif rng.random() < 1 / 12:
            word += ","
        out.append(word)
    return out


def make_case(total: int, share: float, seed: int) -> tuple[ArticleText, ArticleText]:
    """An article of ``total`` words and an edit of it with ``share`` of its words changed."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    paragraphs: list[list[str]] = []
    left = total
    while left > 0:
        size = min(left, rng.randint(40, 120))
        paragraphs.append(_sentences(_words(rng, vocab, size), rng))
        left -= size
    edited = [list(p) for p in paragraphs]
    budget = int(total * share)
    while budget > 0:
        p = rng.choice(edited)
        at = rng.randrange(len(p))
        span = min(rng.randint(1, 3), budget, len(p) - at)
        kind = rng.choice(("replace", "replace", "insert", "delete"))
        if kind == "insert":
            p[at:at] = _words(rng, vocab, span)
        elif kind == "delete" and len(p) > span + 10:
            del p[at : at + span]
        else:
            p[at : at + span] = _words(rng, vocab, span)
        budget -= span
    return (
        ArticleText(title="Benchmark", paragraphs=tuple(" ".join(p) for p in paragraphs)),
        ArticleText(title="Benchmark", paragraphs=tuple(" ".join(p) for p in edited)),
    )


# ----- contenders -------------------------------------------------------------------------


def ours(old: ArticleText, new: ArticleText) -> int:
    """Our full diff; returns the number of words it marks changed."""
    stats = diff(old, new).stats
    return stats.words_added + stats.words_removed


def _whole(text: ArticleText) -> list[str]:
    return word_keys("\n\n".join(text.paragraphs))


def _changed(tokens: list[str]) -> int:
    return sum(count_words(t) for t in tokens)


def with_difflib(old: ArticleText, new: ArticleText) -> int:
    """difflib.SequenceMatcher(autojunk=False) on the whole texts' word tokens."""
    a, b = _whole(old), _whole(new)
    changed = 0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changed += _changed(a[i1:i2]) + _changed(b[j1:j2])
    return changed


def with_dmp(old: ArticleText, new: ArticleText) -> int:
    """diff-match-patch on the word tokens mapped to characters (default 1 s timeout)."""
    a, b = _whole(old), _whole(new)
    codes: dict[str, str] = {}
    tokens: list[str] = []

    def encode(seq: list[str]) -> str:
        chars = []
        for token in seq:
            char = codes.get(token)
            if char is None:
                # Skip the surrogate range: those code points cannot stand alone in a str.
                n = len(tokens) + (2048 if len(tokens) >= 0xD800 else 0)
                char = codes[token] = chr(n)
                tokens.append(token)
            chars.append(char)
        return "".join(chars)

    def decode(char: str) -> str:
        n = ord(char)
        return tokens[n - 2048 if n >= 0xD800 + 2048 else n]

    dmp = diff_match_patch()
    changed = 0
    for op, chars in dmp.diff_main(encode(a), encode(b), False):
        if op != 0:
            changed += _changed([decode(c) for c in chars])
    return changed


CONTENDERS: dict[str, Callable[[ArticleText, ArticleText], int]] = {
    "ours": ours,
    "difflib": with_difflib,
    "dmp-words": with_dmp,
}


@dataclass
class Timing:
    median_s: float
    runs: int
    changed_words: int


def measure(old: ArticleText, new: ArticleText, repeats: int) -> dict[str, Timing]:
    """Median wall time of each contender, runs interleaved so that load from elsewhere on
    the machine falls on all of them alike.

    Every contender runs ``repeats`` times (a slow one stops once it has spent 20 s); fast
    ones keep going, still interleaved, up to 40 runs or 1 s each, for a steadier median.
    """
    times: dict[str, list[float]] = {label: [] for label in CONTENDERS}
    changed: dict[str, int] = {}
    spent = dict.fromkeys(CONTENDERS, 0.0)
    for round_ in range(max(repeats, 40)):
        ran = False
        for label, fn in CONTENDERS.items():
            if spent[label] > (20.0 if round_ < repeats else 1.0):
                continue
            started = time.perf_counter()
            changed[label] = fn(old, new)
            elapsed = time.perf_counter() - started
            times[label].append(elapsed)
            spent[label] += elapsed
            ran = True
        if not ran:
            break
    return {
        label: Timing(statistics.median(t), len(t), changed[label]) for label, t in times.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=7, help="runs per contender at least (median)"
    )
    parser.add_argument(
        "--case",
        type=int,
        action="append",
        choices=range(len(CASES)),
        help="run only this case (0-based; repeatable); default: all",
    )
    args = parser.parse_args()

    results: dict[str, dict[str, object]] = {}
    header = f"{'case':<28}{'ours':>10}{'difflib':>10}{'dmp-words':>11}{'ours/fastest':>14}"
    print(header)
    print("-" * len(header))
    worst_ratio = 0.0
    max_ours = 0.0
    quality: list[str] = []
    for k, (name, total, share) in enumerate(CASES):
        if args.case and k not in args.case:
            continue
        old, new = make_case(total, share, SEED + k)
        timings = measure(old, new, args.repeats)
        fastest_peer = min(t.median_s for label, t in timings.items() if label != "ours")
        ratio = timings["ours"].median_s / fastest_peer
        worst_ratio = max(worst_ratio, ratio)
        max_ours = max(max_ours, timings["ours"].median_s)
        print(
            f"{name:<28}{timings['ours'].median_s * 1000:>8.1f}ms"
            f"{timings['difflib'].median_s * 1000:>8.0f}ms"
            f"{timings['dmp-words'].median_s * 1000:>9.0f}ms{ratio:>14.3f}"
        )
        results[name] = {
            "words": total,
            "edited_share": share,
            **{f"{label}_s": round(t.median_s, 5) for label, t in timings.items()},
            **{f"{label}_runs": t.runs for label, t in timings.items()},
            **{f"{label}_changed_words": t.changed_words for label, t in timings.items()},
            "ratio_to_fastest_peer": round(ratio, 4),
        }
        if share < 0.1:
            ours_changed = timings["ours"].changed_words
            limit = timings["difflib"].changed_words * 1.05
            results[name]["changed_words_within_difflib_plus_5pct"] = ours_changed <= limit
            quality.append(
                f"{name:<28} ours marks {ours_changed} words changed, difflib "
                f"{timings['difflib'].changed_words}, dmp {timings['dmp-words'].changed_words} "
                f"(limit {limit:.0f}: {'ok' if ours_changed <= limit else 'OVER'})"
            )
    print()
    print("changed words (2% cases; target: ours <= difflib + 5%)")
    for line in quality:
        print("  " + line)
    print()
    summary = {
        "cases": results,
        "worst_ratio_to_fastest_peer": round(worst_ratio, 4),
        "max_ours_s": round(max_ours, 5),
        "targets": {"worst_ratio_to_fastest_peer": 0.5, "max_ours_s": 0.1},
        "python": sys.version.split()[0],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
