"""Benchmark: our ``diff`` against difflib and diff-match-patch on the same word tokens, with
``git diff --word-diff`` as a C floor.

Run: ``.venv/bin/python benchmarks/bench_diff.py [--repeats N]``. Texts are generated
deterministically (seeded): Zipf-distributed words in sentences with commas, in paragraphs of
40-120 words; edits replace, insert or delete runs of 1-3 words; one case also moves paragraphs
(some of them edited). Ours is the full ``diff(ArticleText, ArticleText)`` call, moved-paragraph
detection included; the peers diff the whole text's word tokens (the keys our engine compares:
words and punctuation, whitespace left out), as a naive tool would. diff-match-patch runs in
word mode (each distinct token mapped to one character, its ``diff_linesToChars`` trick) with
its default settings (1 s timeout).

``git diff --no-index --word-diff=porcelain`` on the two texts as files (one paragraph a line)
is a peer to compare with, not a target: it is C, and its time includes starting the process
(the time of a ``git diff`` of two one-word files is printed as that floor). It is left out of
``ratio_to_fastest_peer``. Its changed-word count is the words on its ``-``/``+`` lines.

Prints a table, the changed-word comparison of the 2% cases, then as its LAST line a JSON
object with each case's median times, ``worst_ratio_to_fastest_peer`` and ``max_ours_s``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from diff_match_patch import diff_match_patch

from newsdiff_tui.diff import count_words, diff, word_keys
from newsdiff_tui.model import ArticleText

SEED = 20241122
CASES = [  # (name, words, share of words edited, paragraphs moved)
    ("2k words, 2% edited", 2_000, 0.02, 0),
    ("10k words, 2% edited", 10_000, 0.02, 0),
    ("50k words, 2% edited", 50_000, 0.02, 0),
    ("10k words, half rewritten", 10_000, 0.5, 0),
    ("10k words, 2% edited, 8 moved", 10_000, 0.02, 8),
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


def make_case(
    total: int, share: float, seed: int, moves: int = 0
) -> tuple[ArticleText, ArticleText]:
    """An article of ``total`` words and an edit of it with ``share`` of its words changed and
    ``moves`` paragraphs moved elsewhere (after the edits, so some moved ones are edited)."""
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
    for _ in range(moves):
        edited.insert(rng.randrange(len(edited)), edited.pop(rng.randrange(len(edited))))
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


# No user or system git configuration (an external diff tool, a word regex) in the timing.
_GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


class GitWordDiff:
    """``git diff --no-index --word-diff=porcelain`` on the texts written to two files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.git = shutil.which("git")

    def files(self, old: ArticleText, new: ArticleText) -> tuple[Path, Path]:
        a, b = self.folder / "old.txt", self.folder / "new.txt"
        a.write_text("\n".join(old.paragraphs) + "\n", encoding="utf-8")
        b.write_text("\n".join(new.paragraphs) + "\n", encoding="utf-8")
        return a, b

    def __call__(self, a: Path, b: Path) -> int:
        """Run git on two files; returns the number of words on its -/+ lines."""
        command = [self.git or "git", "diff", "--no-index", "--no-color"]
        command += ["--word-diff=porcelain", "--", str(a), str(b)]
        out = subprocess.run(command, capture_output=True, text=True, env=_GIT_ENV).stdout
        body = out.split("\n@@", 1)[-1] if "\n@@" in out else ""
        return sum(count_words(line[1:]) for line in body.splitlines() if line[:1] in ("-", "+"))


CONTENDERS: dict[str, Callable[[ArticleText, ArticleText], int]] = {
    "ours": ours,
    "difflib": with_difflib,
    "dmp-words": with_dmp,
}
PEERS = ("difflib", "dmp-words")  # the targets' peers; git is a floor, not a target


@dataclass
class Timing:
    median_s: float
    runs: int
    changed_words: int


def measure(
    old: ArticleText, new: ArticleText, repeats: int, git: GitWordDiff | None
) -> dict[str, Timing]:
    """Median wall time of each contender, runs interleaved so that load from elsewhere on
    the machine falls on all of them alike.

    Every contender runs ``repeats`` times (a slow one stops once it has spent 20 s); fast
    ones keep going, still interleaved, up to 40 runs or 1 s each, for a steadier median.
    git (when there is one) runs on files written before the timing starts.
    """
    contenders: dict[str, Callable[[], int]] = {
        label: (lambda fn=fn: fn(old, new)) for label, fn in CONTENDERS.items()
    }
    if git is not None:
        a, b = git.files(old, new)
        contenders["git"] = lambda: git(a, b)
    times: dict[str, list[float]] = {label: [] for label in contenders}
    changed: dict[str, int] = {}
    spent = dict.fromkeys(contenders, 0.0)
    for round_ in range(max(repeats, 40)):
        ran = False
        for label, fn in contenders.items():
            if spent[label] > (20.0 if round_ < repeats else 1.0):
                continue
            started = time.perf_counter()
            changed[label] = fn()
            elapsed = time.perf_counter() - started
            times[label].append(elapsed)
            spent[label] += elapsed
            ran = True
        if not ran:
            break
    return {
        label: Timing(statistics.median(t), len(t), changed[label]) for label, t in times.items()
    }


def _git_start(git: GitWordDiff) -> float:
    """Median time of ``git diff`` on two one-word files: mostly starting the process."""
    a, b = git.files(
        ArticleText(title="", paragraphs=("one",)), ArticleText(title="", paragraphs=("two",))
    )
    times = []
    for _ in range(9):
        started = time.perf_counter()
        git(a, b)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


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
    with tempfile.TemporaryDirectory(prefix="bench_diff_") as folder:
        git = GitWordDiff(Path(folder)) if shutil.which("git") else None
        git_start = _git_start(git) if git is not None else None
        if git_start is None:
            print("git not found: its column is left out")
        else:
            print(
                f"git diff of two one-word files (process start, the git column's floor): "
                f"{git_start * 1000:.1f} ms"
            )
        print()
        header = (
            f"{'case':<32}{'ours':>9}{'difflib':>10}{'dmp-words':>11}{'git':>9}"
            f"{'ours/fastest':>14}{'ours/git':>10}"
        )
        print(header)
        print("-" * len(header))
        worst_ratio = 0.0
        max_ours = 0.0
        quality: list[str] = []
        for k, (name, total, share, moves) in enumerate(CASES):
            if args.case and k not in args.case:
                continue
            old, new = make_case(total, share, SEED + k, moves)
            timings = measure(old, new, args.repeats, git)
            fastest_peer = min(timings[label].median_s for label in PEERS)
            ratio = timings["ours"].median_s / fastest_peer
            worst_ratio = max(worst_ratio, ratio)
            max_ours = max(max_ours, timings["ours"].median_s)
            git_ms = f"{timings['git'].median_s * 1000:>7.1f}ms" if "git" in timings else " " * 9
            to_git = (
                f"{timings['ours'].median_s / timings['git'].median_s:>10.2f}"
                if "git" in timings
                else ""
            )
            print(
                f"{name:<32}{timings['ours'].median_s * 1000:>7.1f}ms"
                f"{timings['difflib'].median_s * 1000:>8.0f}ms"
                f"{timings['dmp-words'].median_s * 1000:>9.0f}ms{git_ms}{ratio:>14.3f}{to_git}"
            )
            results[name] = {
                "words": total,
                "edited_share": share,
                "moved_paragraphs": moves,
                **{f"{label}_s": round(t.median_s, 5) for label, t in timings.items()},
                **{f"{label}_runs": t.runs for label, t in timings.items()},
                **{f"{label}_changed_words": t.changed_words for label, t in timings.items()},
                "ratio_to_fastest_peer": round(ratio, 4),
            }
            if "git" in timings:
                results[name]["ratio_to_git"] = round(
                    timings["ours"].median_s / timings["git"].median_s, 4
                )
            if share < 0.1:
                ours_changed = timings["ours"].changed_words
                limit = timings["difflib"].changed_words * 1.05
                results[name]["changed_words_within_difflib_plus_5pct"] = ours_changed <= limit
                quality.append(
                    f"{name:<32} ours marks {ours_changed} words changed, difflib "
                    f"{timings['difflib'].changed_words}, dmp "
                    f"{timings['dmp-words'].changed_words}"
                    + (f", git {timings['git'].changed_words}" if "git" in timings else "")
                    + f" (limit {limit:.0f}: {'ok' if ours_changed <= limit else 'OVER'})"
                )
    print()
    print("changed words (2% cases; target: ours <= difflib + 5%; a moved paragraph is no")
    print("changed word for ours, a deleted and an inserted one for the peers)")
    for line in quality:
        print("  " + line)
    print()
    summary = {
        "cases": results,
        "worst_ratio_to_fastest_peer": round(worst_ratio, 4),
        "max_ours_s": round(max_ours, 5),
        "targets": {"worst_ratio_to_fastest_peer": 0.5, "max_ours_s": 0.1},
        "git_process_start_s": None if git_start is None else round(git_start, 5),
        "peers_for_ratio": list(PEERS),
        "python": sys.version.split()[0],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
