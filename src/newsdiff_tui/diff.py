"""The diff engine: paragraphs aligned first, then words diffed inside modified paragraphs.

One engine serves the TUI, the CLI ``diff`` command and every exporter. Tokens keep their
whitespace and punctuation, so joining a side's tokens reproduces that side's text exactly.

Algorithm (each step is cheap before the next, costlier one runs):

1. Paragraphs: equal ones are matched by value (Python's cached string hash) with the common
   prefix and suffix trimmed, then unique paragraphs anchored patience-style (LIS), then a
   bounded Myers pass on what is left.
2. The runs of unequal paragraphs between those anchors are paired by similarity (mean Dice
   coefficient of their word and word-pair sets, threshold ``PAIR_THRESHOLD``) with an
   order-preserving dynamic programme, so an edited paragraph becomes ``modify`` and one
   replaced wholesale becomes ``delete`` + ``insert``. Pairs that share most characters as
   common prefix + suffix skip the similarity computation.
3. Words are diffed only inside modified pairs, and only between the first and last differing
   character (snapped to token boundaries): tokens there are matched on their keys (word or
   punctuation, whitespace left out, so "now." against "now and" still matches "now") by prefix
   and suffix trimming, anchors on keys unique to both sides (patience, LIS) and Myers on the
   small gaps left; then a semantic cleanup folds a short equality between two replacements
   (a stray "the") into them.
4. Moves: a deleted and an inserted paragraph with the same text, or alike enough
   (``MOVE_THRESHOLD``), both of at least ``MOVE_MIN_ALNUM`` letters or digits (git's rule for
   moved lines), are candidates. The longest increasing run of all matched pairs (alignment
   pairs and candidates) stays in place; every other matched pair is a ``move``, which gives
   the smallest set of moves. Without candidates (the usual case) this costs one scan.
5. A time budget (``timeout``) bounds the whole call: past it, the remaining work degrades to
   paragraph-level delete + insert and ``ArticleDiff.coarse`` is set. Every inner loop is
   bounded too, so no input can hang the caller.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import Literal

from newsdiff_tui.gcpause import gc_paused
from newsdiff_tui.model import ArticleText

WordOpKind = Literal["equal", "insert", "delete"]
ParagraphOpKind = Literal["equal", "insert", "delete", "modify", "move"]

# A word keeps inner apostrophes and hyphens ("Korea’s", "three-year-old"); any other
# non-space character is a token on its own, and a token owns the whitespace after it.
_WORD_RE = r"\w+(?:['’\-]\w+)*"
_WORDS = re.compile(_WORD_RE)
_CORE = re.compile(rf"{_WORD_RE}|[^\w\s]")
_TOKEN = re.compile(rf"(?:{_WORD_RE}|[^\w\s])\s*")
_LEAD = re.compile(r"\s*")

#: ``similarity`` at or above which two paragraphs are paired as one modified paragraph. On the
#: seed article the edited pairs score 0.45-0.83 (0.45: the paragraph rewritten around a new
#: clause) and any two different paragraphs at most 0.26 (they share function words, names
#: and the topic, rarely a word pair); a paragraph with half its words replaced scores ~0.4.
#: 0.35 sits in that gap; tests/test_diff.py pins it on the seed.
PAIR_THRESHOLD = 0.35

#: ``similarity`` at or above which a deleted and an inserted paragraph are one moved (and
#: edited) paragraph. Stricter than PAIR_THRESHOLD: a pair in place is backed by its position,
#: a move is searched across the whole article, where chance resemblances are more common.
MOVE_THRESHOLD = 0.5

#: Letters or digits a paragraph needs to count as moved (git's rule for moved lines): a short
#: line such as "Advertisement" or "Read more" that reappears elsewhere is not a move.
MOVE_MIN_ALNUM = 20

#: Default time budget of one ``diff`` call, in seconds.
DEFAULT_TIMEOUT = 0.5

_MYERS_STEPS = 40_000  # bound on (n + m) * D for one Myers run: ~10 ms of Python at most
_SMALL = 32  # regions up to this many tokens (both sides) go straight to the bit-vector LCS
_FEW_EDITS = 6  # D cap of the first, cheap Myers try on a large region
_LCS_CELLS = 4_000_000  # bound on n * m for the bit-vector LCS of one region (~10 ms)
_PAIRING_CELLS = 40_000  # bound on the similarity matrix of one unequal-paragraph run
_MOVE_CELLS = 10_000  # bound on deleted x inserted paragraphs compared in the move search
_QUICK_KEEP = 0.6  # share of characters kept as common prefix + suffix that means "similar"


@dataclass(frozen=True)
class WordOp:
    """A run of tokens that is kept, inserted or deleted; ``text`` keeps its whitespace."""

    op: WordOpKind
    text: str


@dataclass(frozen=True)
class FieldDiff:
    """The diff of a one-line field (title or byline)."""

    old: str
    new: str
    words: tuple[WordOp, ...]

    @property
    def changed(self) -> bool:
        """Whether the field's text differs between the versions."""
        return self.old != self.new


@dataclass(frozen=True)
class ParagraphDiff:
    """One aligned paragraph: kept, inserted, deleted, modified or moved (with word operations).

    A ``move`` sits at its new position (``new_index``) and keeps where it came from in
    ``old_index``; its ``words`` are one equal run, or its word diff if it was edited too.
    """

    op: ParagraphOpKind
    old: str | None
    new: str | None
    words: tuple[WordOp, ...]
    old_index: int | None = None
    new_index: int | None = None


@dataclass(frozen=True)
class DiffStats:
    """Summary figures of a diff, shown in the timeline and in exports."""

    words_added: int
    words_removed: int
    paragraphs_equal: int
    paragraphs_modified: int
    paragraphs_inserted: int
    paragraphs_deleted: int
    share_changed: float  # 0..1, changed words over the larger side's words
    paragraphs_moved: int = 0  # apart from inserted/deleted; an edited move's words count

    @property
    def paragraphs_changed(self) -> int:
        """Paragraphs modified, inserted, deleted or moved."""
        return (
            self.paragraphs_modified
            + self.paragraphs_inserted
            + self.paragraphs_deleted
            + self.paragraphs_moved
        )

    @property
    def has_changes(self) -> bool:
        """Whether any paragraph or word changed."""
        return bool(self.paragraphs_changed or self.words_added or self.words_removed)


@dataclass(frozen=True)
class ArticleDiff:
    """Everything that changed between two ArticleTexts."""

    title: FieldDiff
    byline: FieldDiff
    paragraphs: tuple[ParagraphDiff, ...]
    stats: DiffStats
    coarse: bool = False  # True when the time bound forced a paragraph-level fallback

    @property
    def has_changes(self) -> bool:
        """Whether the title, the byline or the body changed."""
        return self.title.changed or self.byline.changed or self.stats.has_changes


# ----- tokens -------------------------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    """Word and punctuation tokens that keep their trailing whitespace.

    ``"".join(tokenize(t)) == t``; leading whitespace, if any, is a token of its own.
    """
    lead = _LEAD.match(text).group()
    tokens = _TOKEN.findall(text)
    return [lead, *tokens] if lead else tokens


def word_keys(text: str) -> list[str]:
    """The comparison keys of a text's tokens: words and punctuation, whitespace left out."""
    return _CORE.findall(text)


def count_words(text: str) -> int:
    """Words in ``text`` as the diff counts them (punctuation is not a word)."""
    return len(_WORDS.findall(text))


class _Tokens:
    """A text's tokens (with whitespace) and their keys (without), lead whitespace first.

    Index 0 is always the leading whitespace with key "", so both sides start with a match.
    """

    __slots__ = ("keys", "texts")

    def __init__(self, text: str) -> None:
        """Tokenise ``text`` in one regex pass."""
        tokens = _TOKEN.findall(text)
        self.texts: list[str] = [_LEAD.match(text).group(), *tokens]
        # A core never ends in whitespace, so stripping a token gives its key (one regex pass).
        self.keys: list[str] = ["", *map(str.rstrip, tokens)]


# ----- sequence matching ----------------------------------------------------------------------

Block = tuple[int, int, int]  # (i, j, size): a[i:i+size] == b[j:j+size]


class _Deadline:
    """A monotonic deadline; ``None`` budget means never."""

    __slots__ = ("at", "hit")

    def __init__(self, budget: float | None) -> None:
        self.at = None if budget is None else time.perf_counter() + budget
        self.hit = False

    def passed(self) -> bool:
        """Whether the budget is spent; once True it stays True (and the clock is read no more)."""
        if self.at is not None and not self.hit and time.perf_counter() > self.at:
            self.hit = True
        return self.hit


def _myers(
    a: Sequence[object], alo: int, ahi: int, b: Sequence[object], blo: int, bhi: int, max_d: int
) -> list[Block] | None:
    """Matching blocks of a minimal edit script (Myers' greedy O((n+m)D)), or None if D > max_d."""
    n, m = ahi - alo, bhi - blo
    off = max_d + 1
    v = [0] * (2 * max_d + 3)
    trace: list[list[int]] = []
    for d in range(max_d + 1):
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[off + k - 1] < v[off + k + 1]):
                x = v[off + k + 1]
            else:
                x = v[off + k - 1] + 1
            y = x - k
            while x < n and y < m and a[alo + x] == b[blo + y]:
                x += 1
                y += 1
            v[off + k] = x
            if x >= n and y >= m:
                trace.append(v[:])
                return _myers_blocks(trace, off, n, m, alo, blo)
        trace.append(v[:])
    return None


def _myers_blocks(
    trace: list[list[int]], off: int, n: int, m: int, alo: int, blo: int
) -> list[Block]:
    """Walk a Myers trace back from (n, m) and collect the diagonal runs (snakes)."""
    blocks: list[Block] = []
    x, y = n, m
    for d in range(len(trace) - 1, 0, -1):
        prev = trace[d - 1]
        k = x - y
        if k == -d or (k != d and prev[off + k - 1] < prev[off + k + 1]):
            pk = k + 1
            px = prev[off + pk]
            sx = px  # a down move keeps x
        else:
            pk = k - 1
            px = prev[off + pk]
            sx = px + 1
        if x > sx:
            blocks.append((alo + sx, blo + sx - k, x - sx))
        x, y = px, px - pk
    if x > 0:
        blocks.append((alo, blo, x))
    return blocks


def _lcs_bits(
    a: Sequence[object], alo: int, ahi: int, b: Sequence[object], blo: int, bhi: int
) -> list[Block]:
    """Matches of a longest common subsequence, by the bit-vector LCS of Crochemore et al.

    One big-int operation per token of ``b`` (bit i of a row is 0 where row's LCS grows at
    a[i]), then a walk back through the rows with popcounts: O(m) C-level operations where
    Myers needs O((n + m) D) Python steps, so it suits regions that differ a lot.
    """
    masks: dict[object, int] = {}
    bit = 1
    for k in range(alo, ahi):
        masks[a[k]] = masks.get(a[k], 0) | bit
        bit <<= 1
    full = bit - 1
    v = full
    rows = [v]
    get = masks.get
    for k in range(blo, bhi):
        u = v & get(b[k], 0)
        v = ((v + u) | (v - u)) & full
        rows.append(v)
    # LCS(i, j) = i - popcount(rows[j] & (2**i - 1)): the zeros among the lowest i bits.
    blocks: list[Block] = []
    i, j = ahi - alo, bhi - blo
    while i and j:
        if a[alo + i - 1] == b[blo + j - 1]:
            i -= 1
            j -= 1
            blocks.append((alo + i, blo + j, 1))
        elif (i - 1) - (rows[j] & ((1 << (i - 1)) - 1)).bit_count() >= i - (
            rows[j - 1] & ((1 << i) - 1)
        ).bit_count():
            i -= 1
        else:
            j -= 1
    return blocks


def _lis_anchors(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by i) whose j also increase (patience sorting)."""
    tails: list[int] = []  # j of the smallest tail of an increasing run of each length
    tail_idx: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for idx, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(idx)
        else:
            tails[pos] = j
            tail_idx[pos] = idx
        back[idx] = tail_idx[pos - 1] if pos else -1
    out: list[tuple[int, int]] = []
    idx = tail_idx[-1] if tail_idx else -1
    while idx >= 0:
        out.append(pairs[idx])
        idx = back[idx]
    out.reverse()
    return out


def _unique_anchors(
    a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int
) -> list[tuple[int, int]] | None:
    """Pairs (i, j) of keys that occur exactly once in each range, longest increasing chain.

    None when the ranges have no key in common at all (nothing can match).
    """
    sa, sb = a[alo:ahi], b[blo:bhi]
    ca, cb = Counter(sa), Counter(sb)
    common = ca.keys() & cb.keys()
    if not common:
        return None
    unique = [t for t in common if ca[t] == 1 and cb[t] == 1]
    if not unique:
        return []
    # dict(zip(...)) keeps the last index of each key: for a unique key, its only one.
    pos_a = dict(zip(sa, range(alo, ahi), strict=True))
    pos_b = dict(zip(sb, range(blo, bhi), strict=True))
    return _lis_anchors(sorted([(pos_a[t], pos_b[t]) for t in unique]))


def _small(
    a: Sequence[str], i: int, ie: int, b: Sequence[str], j: int, je: int, out: list[Block]
) -> None:
    """Match a small region (already trimmed, both sides non-empty) exactly."""
    if ie - i == 1:
        if a[i] in b[j:je]:  # one token against a few: it matches its first occurrence or none
            out.append((i, b.index(a[i], j, je), 1))
        return
    if je - j == 1:
        if b[j] in a[i:ie]:
            out.append((a.index(b[j], i, ie), j, 1))
        return
    common = len(set(a[i:ie]).intersection(b[j:je]))
    if not common:
        return  # nothing in common: a plain replacement, no search needed
    n_m = ie - i + je - j
    # Both are exact; Myers is quicker when few edits separate the sides (its cost grows with
    # their number D, here estimated as n + m - 2 * shared keys), the bit-vector LCS otherwise.
    if n_m - 2 * common <= 8:
        out.extend(_myers(a, i, ie, b, j, je, n_m) or ())
    else:
        out.extend(_lcs_bits(a, i, ie, b, j, je))


def match_blocks(
    a: Sequence[str], b: Sequence[str], deadline: _Deadline | None = None
) -> list[Block]:
    """Matching blocks (i, j, size) of ``a`` and ``b`` in order, ending with (len a, len b, 0).

    Trim common prefix and suffix, anchor on keys unique to both sides (patience), recurse into
    the gaps, and finish small gaps with an exact LCS. Work is bounded: a large region with no
    unique anchor gets a D-capped Myers, then a size-capped LCS, else is left unmatched (a
    replace), and so is everything once the deadline has passed.
    """
    blocks: list[Block] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        # Trim the common prefix and suffix: most edits leave most of a region alike.
        i, j = alo, blo
        while i < ahi and j < bhi and a[i] == b[j]:
            i += 1
            j += 1
        if i > alo:
            blocks.append((alo, blo, i - alo))
        ie, je = ahi, bhi
        while ie > i and je > j and a[ie - 1] == b[je - 1]:
            ie -= 1
            je -= 1
        if ie < ahi:
            blocks.append((ie, je, ahi - ie))
        n, m = ie - i, je - j
        if not n or not m:
            continue
        if n + m <= _SMALL:
            _small(a, i, ie, b, j, je, blocks)
            continue
        if deadline is not None and deadline.passed():
            continue
        # A few edits apart (the usual case once trimmed): a D-capped Myers settles it at once.
        found = _myers(a, i, ie, b, j, je, _FEW_EDITS)
        if found is not None:
            blocks.extend(found)
            continue
        anchors = _unique_anchors(a, i, ie, b, j, je)
        if anchors is None:
            continue  # no key in common: a plain replacement
        if anchors:
            pi, pj = i, j
            for ai, bj in [*anchors, (ie, je)]:
                if ai < ie:
                    blocks.append((ai, bj, 1))
                # Gaps empty on one side need no work; 1 x 1 gaps are a match or not.
                if ai - pi == 1 and bj - pj == 1:
                    if a[pi] == b[pj]:
                        blocks.append((pi, pj, 1))
                elif ai > pi and bj > pj:
                    stack.append((pi, ai, pj, bj))
                pi, pj = ai + 1, bj + 1
            continue
        # No unique anchor: Myers if the region differs little (D never exceeds n + m; past
        # that the k loop alone would cost O(max_d ** 2)), else bit-vector LCS if affordable.
        found = _myers(a, i, ie, b, j, je, min(n + m, max(2, _MYERS_STEPS // (n + m))))
        if found is None and n * m <= _LCS_CELLS:
            found = _lcs_bits(a, i, ie, b, j, je)
        blocks.extend(found or ())
    blocks.sort()
    merged: list[Block] = []
    for blk in blocks:
        if merged:
            pi, pj, ps = merged[-1]
            if pi + ps == blk[0] and pj + ps == blk[1]:
                merged[-1] = (pi, pj, ps + blk[2])
                continue
        merged.append(blk)
    merged.append((len(a), len(b), 0))
    return merged


Opcode = tuple[str, int, int, int, int]


def _opcodes(blocks: list[Block]) -> list[Opcode]:
    """difflib-style opcodes (equal/replace/delete/insert) from matching blocks."""
    ops: list[Opcode] = []
    i = j = 0
    for bi, bj, size in blocks:
        if i < bi and j < bj:
            ops.append(("replace", i, bi, j, bj))
        elif i < bi:
            ops.append(("delete", i, bi, j, bj))
        elif j < bj:
            ops.append(("insert", i, bi, j, bj))
        if size:
            ops.append(("equal", bi, bi + size, bj, bj + size))
        i, j = bi + size, bj + size
    return ops


def _cleanup(ops: list[Opcode]) -> list[Opcode]:
    """Fold a short equality between two replacements into one replacement.

    A minimal diff of a rewritten sentence keeps stray "the" and commas as equal, which shreds
    the change into confetti. Like diff-match-patch's semantic cleanup, an equality no longer
    than the replacement on either side of it is folded in; unlike it, an equality next to a
    pure insertion or deletion is kept (folding it would show text as deleted that was not).
    """
    out: list[Opcode] = []
    k = 0
    while k < len(ops):
        op = ops[k]
        if (
            op[0] == "equal"
            and out
            and out[-1][0] == "replace"
            and k + 1 < len(ops)
            and ops[k + 1][0] == "replace"
        ):
            size = op[2] - op[1]
            before, after = out[-1], ops[k + 1]
            if size <= max(before[2] - before[1], before[4] - before[3]) and size <= max(
                after[2] - after[1], after[4] - after[3]
            ):
                out[-1] = ("replace", before[1], after[2], before[3], after[4])
                k += 2
                continue
        out.append(op)
        k += 1
    return out


class _Runs:
    """Word runs being built: adjacent runs of one kind merge; WordOps are made once, at the end."""

    __slots__ = ("ops", "parts")

    def __init__(self) -> None:
        self.ops: list[WordOpKind] = []
        self.parts: list[list[str]] = []

    def add(self, op: WordOpKind, text: str) -> None:
        """Append ``text`` as ``op``, merged into the last run if it is of the same kind."""
        if not text:
            return
        if self.ops and self.ops[-1] == op:
            self.parts[-1].append(text)
        else:
            self.ops.append(op)
            self.parts.append([text])

    def done(self) -> tuple[WordOp, ...]:
        """The runs as WordOps."""
        return tuple(WordOp(op, "".join(p)) for op, p in zip(self.ops, self.parts, strict=True))


def _token_ops(out: _Runs, ta: _Tokens, tb: _Tokens, deadline: _Deadline | None) -> None:
    """Add the word runs turning ``ta`` into ``tb`` (keys compared, whitespace kept exact)."""
    ops = _cleanup(_opcodes(match_blocks(ta.keys, tb.keys, deadline)))
    a, b = ta.texts, tb.texts
    add = out.add
    for tag, i1, i2, j1, j2 in ops:
        if tag != "equal":
            add("delete", "".join(a[i1:i2]))
            add("insert", "".join(b[j1:j2]))
        elif a[i1:i2] == b[j1:j2]:
            add("equal", "".join(a[i1:i2]))
        else:
            # Same keys, different whitespace: keep what is common, show the rest as changed.
            for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
                if x == y:
                    add("equal", x)
                    continue
                p = _common_prefix(x, y)
                add("equal", x[:p])
                add("delete", x[p:])
                add("insert", y[p:])


def _trim(a: str, b: str) -> tuple[int, int]:
    """Lengths of the common prefix and suffix of two different strings (not overlapping).

    Binary search over slice comparisons: O(log n) steps that each run in C.
    """
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, min(len(a), len(b)) - prefix
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid :] == b[lb - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


def _starts_token(text: str, i: int) -> bool:
    """Whether a token starts at ``text[i]``: a non-space after whitespace."""
    return 0 < i < len(text) and text[i - 1].isspace() and not text[i].isspace()


def _word_ops(
    a: str, b: str, deadline: _Deadline | None, trim: tuple[int, int] | None = None
) -> tuple[WordOp, ...]:
    """Word runs turning ``a`` into ``b``; only the span between the first and the last
    differing character is tokenised (snapped outwards to token boundaries)."""
    prefix, suffix = trim or _trim(a, b)
    # Cut only at token starts (non-space after whitespace) that both sides share, so the
    # cut-off parts tokenise identically on both sides.
    q = prefix
    while q > 0 and not (_starts_token(a, q) and _starts_token(b, q)):
        q -= 1
    ra, rb = len(a) - suffix, len(b) - suffix
    while ra < len(a) and not (_starts_token(a, ra) and _starts_token(b, rb)):
        ra += 1
        rb += 1
    out = _Runs()
    out.add("equal", a[:q])
    if deadline is not None and deadline.passed():
        out.add("delete", a[q:ra])
        out.add("insert", b[q:rb])
    else:
        _token_ops(out, _Tokens(a[q:ra]), _Tokens(b[q:rb]), deadline)
    out.add("equal", a[ra:])
    return out.done()


def _whole(op: WordOpKind, text: str) -> tuple[WordOp, ...]:
    """A whole text as one run (none for an empty text, so no run is ever empty)."""
    return (WordOp(op, text),) if text else ()


def _common_prefix(x: str, y: str) -> int:
    """Length of the common prefix of two strings."""
    n = min(len(x), len(y))
    p = 0
    while p < n and x[p] == y[p]:
        p += 1
    return p


def diff_words(old: str, new: str) -> tuple[WordOp, ...]:
    """Word-level operations turning ``old`` into ``new``."""
    if old == new:
        return _whole("equal", old)
    return _word_ops(old, new, None)


# ----- paragraphs ---------------------------------------------------------------------------


class Signature:
    """A paragraph's case-folded words and word bigrams: what pairing compares.

    Words here are whitespace-separated (punctuation stays attached): a C-speed split is
    plenty for judging similarity, and pairing may look at many paragraph pairs.
    """

    __slots__ = ("bigrams", "words")

    def __init__(self, text: str) -> None:
        words = text.casefold().split()
        self.words = frozenset(words)
        # Padded with the paragraph's edges, so short paragraphs still have bigrams to share;
        # kept as hashes, since a tuple's hash is recomputed on every set lookup.
        self.bigrams = frozenset(map(hash, pairwise(["\x02", *words, "\x03"])))


def _dice(a: frozenset, b: frozenset) -> float:
    """Dice coefficient of two sets (1 when both are empty)."""
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def similarity(a: Signature, b: Signature) -> float:
    """How alike two paragraphs are, 0..1: mean Dice of their word sets and bigram sets.

    Words alone overrate unrelated paragraphs of one article (they share "the", names and the
    topic); bigrams alone underrate heavy rewrites; the mean separates the two (PAIR_THRESHOLD).
    """
    return (_dice(a.words, b.words) + _dice(a.bigrams, b.bigrams)) / 2


class _Paragraphs:
    """Both texts' paragraphs, their signatures (computed once each, on first use: pairing runs
    and the move search share them) and the paragraphs kept out of pairing (``reserve``)."""

    __slots__ = ("_a", "_b", "pa", "pb", "reserved_a", "reserved_b")

    def __init__(self, pa: Sequence[str], pb: Sequence[str]) -> None:
        self.pa, self.pb = pa, pb
        self._a: dict[int, Signature] = {}
        self._b: dict[int, Signature] = {}
        self.reserved_a: set[int] = set()
        self.reserved_b: set[int] = set()

    def reserve(self, blocks: list[Block]) -> None:
        """Keep out of pairing the unmatched paragraphs whose very text is unmatched on the
        other side too (and long enough to move): they moved, and pairing one with a merely
        similar neighbour would hide that (two near-identical paragraphs swapped would read as
        two edits). Repeated texts pair up in order."""
        pa, pb = self.pa, self.pb
        free: dict[str, list[int]] = {}
        gaps_b: list[tuple[int, int]] = []
        ia = ib = 0
        for bi, bj, size in blocks:
            for i in range(bi - 1, ia - 1, -1):  # backwards: pop() gives the first
                free.setdefault(pa[i], []).append(i)
            gaps_b.append((ib, bj))
            ia, ib = bi + size, bj + size
        if not free:
            return
        for lo, hi in gaps_b:
            for j in range(lo, hi):
                same = free.get(pb[j])
                if same and _movable(pb[j]):
                    self.reserved_a.add(same.pop())
                    self.reserved_b.add(j)

    def similarity(self, i: int, j: int) -> float:
        """``similarity`` of old paragraph ``i`` and new paragraph ``j``."""
        sa = self._a.get(i) or self._a.setdefault(i, Signature(self.pa[i]))
        sb = self._b.get(j) or self._b.setdefault(j, Signature(self.pb[j]))
        return similarity(sa, sb)


class _Run:
    """A run of unequal paragraphs on each side (old ``alo:ahi``, new ``blo:bhi``), compared
    with indices local to the run."""

    def __init__(self, paras: _Paragraphs, alo: int, ahi: int, blo: int, bhi: int) -> None:
        self.olds, self.news = paras.pa[alo:ahi], paras.pb[blo:bhi]
        self._paras, self._alo, self._blo = paras, alo, blo
        self.trims: dict[tuple[int, int], tuple[int, int]] = {}

    def reserved(self, i: int, j: int) -> bool:
        """Whether old ``i`` or new ``j`` is kept out of pairing (``_Paragraphs.reserve``)."""
        return self._alo + i in self._paras.reserved_a or self._blo + j in self._paras.reserved_b

    def similarity(self, i: int, j: int) -> float:
        """``similarity`` of old ``i`` and new ``j`` of the run; 0 if either is reserved."""
        if self.reserved(i, j):
            return 0.0
        return self._paras.similarity(self._alo + i, self._blo + j)

    def similar(self, i: int, j: int) -> bool:
        """Whether old ``i`` and new ``j`` pair up; cheap when they share most characters.

        Keeping QUICK_KEEP of the longer paragraph as common prefix + suffix implies word and
        bigram overlaps far above PAIR_THRESHOLD, so the signatures are not needed.
        """
        if self.reserved(i, j):
            return False
        a, b = self.olds[i], self.news[j]
        trim = self.trims[i, j] = _trim(a, b)
        if trim[0] + trim[1] >= _QUICK_KEEP * max(len(a), len(b)):
            return True
        return self.similarity(i, j) >= PAIR_THRESHOLD

    def pairs(self, deadline: _Deadline) -> list[tuple[int, int]]:
        """Order-preserving pairs (i, j) of similar paragraphs maximising total similarity."""
        n, m = len(self.olds), len(self.news)
        head: list[tuple[int, int]] = []
        # Fast paths from both ends: the usual case is "every paragraph edited a little".
        lo = 0
        while lo < min(n, m) and self.similar(lo, lo):
            head.append((lo, lo))
            lo += 1
        hi_a, hi_b = n, m
        tail: list[tuple[int, int]] = []
        while hi_a > lo and hi_b > lo and self.similar(hi_a - 1, hi_b - 1):
            hi_a -= 1
            hi_b -= 1
            tail.append((hi_a, hi_b))
        rn, rm = hi_a - lo, hi_b - lo
        if rn and rm and rn * rm <= _PAIRING_CELLS and not deadline.passed():
            head.extend(self._best_pairs(lo, hi_a, lo, hi_b, deadline))
        head.extend(reversed(tail))
        return head

    def _best_pairs(
        self, alo: int, ahi: int, blo: int, bhi: int, deadline: _Deadline
    ) -> list[tuple[int, int]]:
        """Needleman-Wunsch without gap costs: the best monotone pairing above the threshold.

        Gives up (no pairs: deletes and inserts) if the deadline passes while it runs.
        """
        n, m = ahi - alo, bhi - blo
        score = [[0.0] * (m + 1) for _ in range(n + 1)]
        for i in range(1, n + 1):
            if deadline.passed():
                return []
            row, up = score[i], score[i - 1]
            for j in range(1, m + 1):
                best = row[j - 1] if row[j - 1] > up[j] else up[j]
                s = self.similarity(alo + i - 1, blo + j - 1)
                if s >= PAIR_THRESHOLD and up[j - 1] + s > best:
                    best = up[j - 1] + s
                row[j] = best
        pairs: list[tuple[int, int]] = []
        i, j = n, m
        while i and j:
            if score[i][j] == score[i - 1][j]:
                i -= 1
            elif score[i][j] == score[i][j - 1]:
                j -= 1
            else:
                pairs.append((alo + i - 1, blo + j - 1))
                i -= 1
                j -= 1
        pairs.reverse()
        return pairs


def diff(
    old: ArticleText, new: ArticleText, *, timeout: float | None = DEFAULT_TIMEOUT
) -> ArticleDiff:
    """Diff two texts: title and byline on their own, paragraphs aligned then word-diffed.

    ``timeout`` (seconds, None for none) bounds the work; past it the rest of the diff is
    paragraph-level only and the result has ``coarse=True``.
    """
    with gc_paused():
        return _diff(old, new, _Deadline(timeout))


def _diff(old: ArticleText, new: ArticleText, deadline: _Deadline) -> ArticleDiff:
    """``diff`` proper (see there)."""
    pa, pb = old.paragraphs, new.paragraphs
    paras = _Paragraphs(pa, pb)
    blocks = match_blocks(pa, pb, deadline)
    paras.reserve(blocks)
    paragraphs: list[ParagraphDiff] = []
    ia = ib = 0
    for bi, bj, size in blocks:
        if ia < bi or ib < bj:
            _changed_run(paragraphs, paras, ia, bi, ib, bj, deadline)
        for k in range(size):
            text = pa[bi + k]
            paragraphs.append(
                ParagraphDiff("equal", text, text, _whole("equal", text), bi + k, bj + k)
            )
        ia, ib = bi + size, bj + size
    paragraphs = _with_moves(paragraphs, paras, deadline)
    return ArticleDiff(
        title=_field(old.title, new.title),
        byline=_field(old.byline, new.byline),
        paragraphs=tuple(paragraphs),
        stats=_stats(paragraphs, old, new),
        coarse=deadline.hit,
    )


def _changed_run(
    out: list[ParagraphDiff],
    paras: _Paragraphs,
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    deadline: _Deadline,
) -> None:
    """Append the diffs of a run of unequal paragraphs: pairs modified, the rest del/ins."""
    pa, pb = paras.pa, paras.pb
    pairs: list[tuple[int, int]] = []
    run = _Run(paras, alo, ahi, blo, bhi)
    if ahi > alo and bhi > blo and not deadline.passed():
        pairs = run.pairs(deadline)
    i, j = alo, blo
    for pi, pj in [*((alo + x, blo + y) for x, y in pairs), (ahi, bhi)]:
        for k in range(i, pi):
            out.append(_deleted(pa, k))
        for k in range(j, pj):
            out.append(_inserted(pb, k))
        if pi == ahi:
            break
        out.append(_matched(pa[pi], pb[pj], pi, pj, deadline, run.trims.get((pi - alo, pj - blo))))
        i, j = pi + 1, pj + 1


def _deleted(pa: Sequence[str], i: int) -> ParagraphDiff:
    """Old paragraph ``i`` as deleted."""
    return ParagraphDiff("delete", pa[i], None, _whole("delete", pa[i]), i, None)


def _inserted(pb: Sequence[str], j: int) -> ParagraphDiff:
    """New paragraph ``j`` as inserted."""
    return ParagraphDiff("insert", None, pb[j], _whole("insert", pb[j]), None, j)


def _pair_words(
    a: str, b: str, deadline: _Deadline, trim: tuple[int, int] | None = None
) -> tuple[WordOp, ...]:
    """The word runs of a matched pair: one equal run, the word diff, or (past the deadline)
    the whole old text deleted and the whole new one inserted."""
    if a == b:
        return _whole("equal", a)
    if deadline.passed():
        return _whole("delete", a) + _whole("insert", b)
    return _word_ops(a, b, deadline, trim)


# ----- moves --------------------------------------------------------------------------------


def _movable(text: str) -> bool:
    """Whether a paragraph is long enough to count as moved: ``MOVE_MIN_ALNUM`` letters or
    digits (git's rule for moved lines)."""
    return sum(map(str.isalnum, text)) >= MOVE_MIN_ALNUM


def _move_candidates(
    deleted: list[int], inserted: list[int], paras: _Paragraphs, deadline: _Deadline
) -> list[tuple[int, int]]:
    """Pairs (old i, new j) of deleted and inserted paragraphs that may be one moved paragraph.

    Same text first (in order, so repeated paragraphs pair up in turn), then among the rest the
    most alike pairs at or above ``MOVE_THRESHOLD``, greedily, each paragraph used once. The
    similarity search is skipped past the deadline or beyond ``_MOVE_CELLS`` pairs (a rewrite
    that large gains little from edited moves; moves of the very text are still found).
    """
    pa, pb = paras.pa, paras.pb
    by_text: dict[str, list[int]] = {}
    for i in reversed(deleted):
        by_text.setdefault(pa[i], []).append(i)
    pairs: list[tuple[int, int]] = []
    left_new: list[int] = []
    for j in inserted:
        same = by_text.get(pb[j])
        if same:
            pairs.append((same.pop(), j))
        else:
            left_new.append(j)
    taken = {i for i, _ in pairs}
    left_old = [i for i in deleted if i not in taken]
    if (
        not left_old
        or not left_new
        or len(left_old) * len(left_new) > _MOVE_CELLS
        or deadline.passed()
    ):
        return pairs
    scored: list[tuple[float, int, int]] = []
    for j in left_new:
        if deadline.passed():
            break
        for i in left_old:
            score = paras.similarity(i, j)
            if score >= MOVE_THRESHOLD:
                scored.append((-score, i, j))
    scored.sort()
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, i, j in scored:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((i, j))
    return pairs


def _in_place(pairs: list[tuple[int, int, bool]]) -> set[tuple[int, int]]:
    """The pairs (i, j) to keep in place: the longest chain increasing in both i and j.

    ``pairs`` are (i, j, from_alignment), each i and each j at most once. Among chains of one
    length, the one with the most alignment pairs wins, so a candidate only displaces the
    alignment when that means fewer moves. A max-Fenwick tree over j: O(n log n).
    """
    ordered = sorted(pairs)
    size = max(j for _, j, _ in ordered) + 1
    tree: list[tuple[int, int, int]] = [(0, 0, -1)] * (size + 1)  # (length, aligned, pair)
    back: list[int] = [-1] * len(ordered)
    best: tuple[int, int, int] = (0, 0, -1)
    for idx, (_, j, aligned) in enumerate(ordered):
        prev = (0, 0, -1)
        k = j  # the best chain ending at a new index below j (tree positions 1..j)
        while k > 0:
            if tree[k] > prev:
                prev = tree[k]
            k -= k & -k
        back[idx] = prev[2]
        here = (prev[0] + 1, prev[1] + aligned, idx)
        best = max(best, here)
        k = j + 1
        while k <= size:
            if here > tree[k]:
                tree[k] = here
            k += k & -k
    keep: set[tuple[int, int]] = set()
    idx = best[2]
    while idx >= 0:
        keep.add(ordered[idx][:2])
        idx = back[idx]
    return keep


def _with_moves(
    paragraphs: list[ParagraphDiff], paras: _Paragraphs, deadline: _Deadline
) -> list[ParagraphDiff]:
    """The alignment with moved paragraphs found: unchanged when nothing can have moved.

    The alignment's own pairs (equal, modify) and the move candidates are matched pairs; the
    longest increasing run of them stays in place (equal or modify) and every other movable
    pair becomes a ``move`` at its new position (a short one falls back to delete + insert).
    """
    pa, pb = paras.pa, paras.pb
    deleted: list[int] = []
    inserted: list[int] = []
    aligned: dict[tuple[int, int], ParagraphDiff] = {}
    for p in paragraphs:
        i, j = p.old_index, p.new_index
        if i is None and j is not None and _movable(pb[j]):
            inserted.append(j)
        elif j is None and i is not None and _movable(pa[i]):
            deleted.append(i)
        elif i is not None and j is not None:
            aligned[i, j] = p
    if not deleted or not inserted:
        return paragraphs
    candidates = _move_candidates(deleted, inserted, paras, deadline)
    if not candidates:
        return paragraphs
    keep = _in_place([(i, j, True) for i, j in aligned] + [(i, j, False) for i, j in candidates])
    placed: list[tuple[int, int, ParagraphDiff]] = []  # the pairs kept in place, in order
    moved: dict[int, ParagraphDiff] = {}  # new index -> its move
    for i, j in sorted([*aligned, *candidates]):
        pair = aligned.get((i, j))
        if (i, j) in keep:
            placed.append((i, j, pair or _matched(pa[i], pb[j], i, j, deadline)))
        elif pair is None or (_movable(pa[i]) and _movable(pb[j])):
            words = pair.words if pair is not None else _pair_words(pa[i], pb[j], deadline)
            moved[j] = ParagraphDiff("move", pa[i], pb[j], words, i, j)
    moved_from = {p.old_index for p in moved.values()}
    out: list[ParagraphDiff] = []
    ia = ib = 0
    for pi, pj, pair in [*placed, (len(pa), len(pb), None)]:
        out.extend(_deleted(pa, k) for k in range(ia, pi) if k not in moved_from)
        out.extend(moved.get(k) or _inserted(pb, k) for k in range(ib, pj))
        if pair is not None:
            out.append(pair)
        ia, ib = pi + 1, pj + 1
    return out


def _matched(
    a: str, b: str, i: int, j: int, deadline: _Deadline, trim: tuple[int, int] | None = None
) -> ParagraphDiff:
    """Old ``i`` and new ``j`` as a pair in place: equal, or modified with its word runs."""
    words = _pair_words(a, b, deadline, trim)
    return ParagraphDiff("equal" if a == b else "modify", a, b, words, i, j)


def _field(old: str | None, new: str | None) -> FieldDiff:
    """The diff of a title or byline (None counts as empty)."""
    old, new = old or "", new or ""
    return FieldDiff(old=old, new=new, words=diff_words(old, new))


def _stats(paragraphs: list[ParagraphDiff], old: ArticleText, new: ArticleText) -> DiffStats:
    """Word and paragraph counts.

    Changed words are counted by ``count_words``; the share's denominator is the larger side's
    ``_space_words`` (the model's ``word_count`` for normalised text, cheaper than a regex
    pass or a split over both whole texts).
    """
    counts = {"equal": 0, "modify": 0, "insert": 0, "delete": 0, "move": 0}
    inserted: list[str] = []
    deleted: list[str] = []
    for p in paragraphs:
        counts[p.op] += 1
        if p.op != "equal":
            for w in p.words:
                if w.op == "insert":
                    inserted.append(w.text)
                elif w.op == "delete":
                    deleted.append(w.text)
    # One regex pass per side; the newline keeps runs from gluing into one word.
    added, removed = count_words("\n".join(inserted)), count_words("\n".join(deleted))
    larger = max(_space_words(old.paragraphs), _space_words(new.paragraphs))
    return DiffStats(
        words_added=added,
        words_removed=removed,
        paragraphs_equal=counts["equal"],
        paragraphs_modified=counts["modify"],
        paragraphs_inserted=counts["insert"],
        paragraphs_deleted=counts["delete"],
        paragraphs_moved=counts["move"],
        share_changed=min(1.0, max(added, removed) / max(larger, 1)),
    )


def _space_words(paragraphs: Sequence[str]) -> int:
    """Words as spaces + 1 per paragraph: ``ArticleText.word_count`` for normalised text
    (single spaces, as stored versions are) without splitting every paragraph into a list."""
    return sum(map(str.count, paragraphs, repeat(" "))) + sum(1 for p in paragraphs if p)


def render_old(words: tuple[WordOp, ...]) -> str:
    """The old side of a word diff: equal and deleted runs."""
    return "".join(w.text for w in words if w.op != "insert")


def render_new(words: tuple[WordOp, ...]) -> str:
    """The new side of a word diff: equal and inserted runs."""
    return "".join(w.text for w in words if w.op != "delete")
