"""Property tests: applying a diff's operations to the old text gives the new one, the old one
reads back too, moves are as few as can be; a text against itself has no change."""

from __future__ import annotations

from diff_helpers import alnum, apply_diff, recover_old
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdiff_tui.diff import (
    MOVE_MIN_ALNUM,
    ArticleDiff,
    diff,
    diff_words,
    match_blocks,
    render_new,
    render_old,
    tokenize,
)
from newsdiff_tui.model import ArticleText

# Letters of several scripts, digits, punctuation, typographic marks and every kind of space.
SPACES = [" ", "\t", "\n", "\xa0", "\u200b", "\u2028"]
ALPHABET = st.sampled_from([*"abcdeé日本語ДИ0123456789.,;:!?-–—’'“”\"()…", *SPACES])
WORDS = st.sampled_from(["the", "pact", "Korea’s", "Seoul", "a", "said", ",", ".", "2016", "—"])

free_text = st.text(ALPHABET, max_size=60) | st.text(max_size=30)
wordy_text = st.lists(WORDS, max_size=25).map(" ".join)
paragraph = wordy_text | free_text
paragraphs = st.lists(paragraph, max_size=8)

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _article(paras: list[str], title: str = "") -> ArticleText:
    return ArticleText(title=title, paragraphs=tuple(paras))


@st.composite
def edited(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A text and an edit of it (so that modified pairs, not only inserts/deletes, occur)."""
    old = draw(paragraphs)
    new = list(old)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["edit", "insert", "delete", "move"]))
        if action == "insert" or not new:
            new.insert(draw(st.integers(0, len(new))), draw(paragraph))
            continue
        k = draw(st.integers(0, len(new) - 1))
        if action == "delete":
            del new[k]
        elif action == "move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(k))
        else:
            tokens = tokenize(new[k])
            at = draw(st.integers(0, len(tokens)))
            cut = draw(st.integers(0, 3))
            tokens[at : at + cut] = [draw(st.sampled_from(["new ", "words, ", " ", "", "x"]))]
            new[k] = "".join(tokens)
    return old, new


def _check(result: ArticleDiff, old: list[str], new: list[str]) -> None:
    assert apply_diff(old, result) == new
    assert recover_old(result) == old
    for p in result.paragraphs:
        assert all(w.text for w in p.words) or p.words == (), p
        assert all(x.op != y.op for x, y in zip(p.words, p.words[1:], strict=False))


@SETTINGS
@given(paragraphs, paragraphs)
def test_any_two_texts_render_back(old: list[str], new: list[str]) -> None:
    _check(diff(_article(old), _article(new)), old, new)


@SETTINGS
@given(edited())
def test_edited_texts_render_back(pair: tuple[list[str], list[str]]) -> None:
    old, new = pair
    _check(diff(_article(old), _article(new)), old, new)


@SETTINGS
@given(paragraphs, free_text)
def test_a_text_against_itself_has_no_changes(paras: list[str], title: str) -> None:
    result = diff(_article(paras, title), _article(paras, title))
    assert not result.has_changes
    assert [p.op for p in result.paragraphs] == ["equal"] * len(paras)


@SETTINGS
@given(paragraph, paragraph)
def test_word_diff_renders_both_sides(old: str, new: str) -> None:
    words = diff_words(old, new)
    assert render_old(words) == old
    assert render_new(words) == new
    assert "".join(tokenize(old)) == old


# Paragraphs long enough to move (git's rule), all different, then shuffled and edited.
LONG = st.lists(WORDS, min_size=4, max_size=12).map(" ".join)
long_paragraph = st.tuples(st.integers(0, 10**6), LONG).map(
    lambda t: f"Item {t[0]} of the whole story: {t[1]}"
)


@st.composite
def shuffled(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Distinct long paragraphs and a permutation of them (a few also edited or replaced)."""
    old = draw(st.lists(long_paragraph, min_size=1, max_size=8, unique=True))
    new = draw(st.permutations(old))
    for k in draw(st.lists(st.integers(0, len(new) - 1), max_size=3)):
        new[k] = new[k] + draw(st.sampled_from([" More.", " Updated at 10am.", ""]))
    return old, new


def _lis(seq: list[int]) -> int:
    """Length of the longest increasing subsequence (quadratic reference)."""
    best = [1] * len(seq)
    for k in range(len(seq)):
        best[k] += max((best[i] for i in range(k) if seq[i] < seq[k]), default=0)
    return max(best, default=0)


@SETTINGS
@given(shuffled())
def test_reordered_paragraphs_are_the_fewest_moves(pair: tuple[list[str], list[str]]) -> None:
    """Applying the operations gives the new text, and a plain reordering is reported as the
    fewest moves: everything outside the longest in-order run moved, nothing deleted."""
    old, new = pair
    result = diff(_article(old), _article(new))
    _check(result, old, new)
    assert all(alnum(p) >= MOVE_MIN_ALNUM for p in old)
    if all(p in old for p in new):  # a pure permutation (no paragraph edited)
        order = [old.index(p) for p in new]
        assert result.stats.paragraphs_moved == len(old) - _lis(order)
        assert result.stats.paragraphs_deleted == result.stats.paragraphs_inserted == 0


def _lcs_length(a: list[str], b: list[str]) -> int:
    """Textbook dynamic programme, the reference for the matcher's exactness."""
    row = [0] * (len(b) + 1)
    for x in a:
        prev_diag, row[0] = 0, 0
        for j, y in enumerate(b, 1):
            prev_diag, row[j] = row[j], prev_diag + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


keys = st.lists(st.sampled_from(["a", "b", "c", "d", "e", ","]), max_size=40)


@SETTINGS
@given(keys, keys)
def test_matching_blocks_are_a_common_subsequence(a: list[str], b: list[str]) -> None:
    blocks = match_blocks(a, b)
    assert blocks[-1] == (len(a), len(b), 0)
    end_i = end_j = 0
    for i, j, size in blocks:
        assert i >= end_i and j >= end_j
        assert a[i : i + size] == b[j : j + size]
        end_i, end_j = i + size, j + size
    if len(a) + len(b) <= 32:  # small regions are solved exactly (bit-vector LCS or Myers)
        assert sum(size for _, _, size in blocks) == _lcs_length(a, b)
