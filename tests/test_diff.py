"""The diff engine on the seed article and on the cases its design names."""

from __future__ import annotations

import itertools
import time

import pytest
from diff_helpers import apply_diff, recover_old

from newsdiff_tui.diff import (
    MOVE_THRESHOLD,
    PAIR_THRESHOLD,
    ArticleDiff,
    Signature,
    WordOp,
    count_words,
    diff,
    diff_words,
    render_new,
    render_old,
    similarity,
    tokenize,
)
from newsdiff_tui.model import ArticleText


def _text(*paragraphs: str, title: str = "T", byline: str | None = None) -> ArticleText:
    return ArticleText(title=title, byline=byline, paragraphs=tuple(paragraphs))


def _versions(seed_data: dict) -> list[ArticleText]:
    return [
        ArticleText(title=v["title"], byline=v.get("byline"), paragraphs=tuple(v["paragraphs"]))
        for v in seed_data["versions"]
    ]


def _changes(words: tuple[WordOp, ...], op: str) -> list[str]:
    return [w.text.strip() for w in words if w.op == op]


def _assert_reproduces(result: ArticleDiff, old: ArticleText, new: ArticleText) -> None:
    """Applying the operations to the old text gives the new one; the old one reads back."""
    assert apply_diff(old.paragraphs, result) == list(new.paragraphs)
    assert recover_old(result) == list(old.paragraphs)


# ----- the seed -----------------------------------------------------------------------------


def test_seed_paragraph_counts_and_second_paragraph(seed_data: dict) -> None:
    old, new = _versions(seed_data)[:2]
    result = diff(old, new)
    stats = result.stats
    assert (
        stats.paragraphs_equal,
        stats.paragraphs_modified,
        stats.paragraphs_inserted,
        stats.paragraphs_deleted,
    ) == (6, 5, 1, 0)
    assert stats.paragraphs_moved == 0
    assert not result.coarse
    second = result.paragraphs[1]
    assert second.op == "modify"
    assert _changes(second.words, "delete") == [
        "and conveyed their intentions to the Japanese government"
    ]
    assert _changes(second.words, "insert") == [
        "a serious rupture between two close American allies"
    ]
    inserted = [p for p in result.paragraphs if p.op == "insert"]
    assert [p.new for p in inserted] == ["“We did not compromise,” he said."]
    assert inserted[0].new_index == 6
    _assert_reproduces(result, old, new)


def test_seed_stats_are_consistent(seed_data: dict) -> None:
    old, new = _versions(seed_data)[:2]
    stats = diff(old, new).stats
    # Version 1 grew: at least the inserted paragraph's 5 words and the two new sentences.
    assert stats.words_added > stats.words_removed > 0
    assert stats.paragraphs_changed == 6
    assert stats.has_changes
    larger = max(old.word_count, new.word_count)
    assert stats.share_changed == pytest.approx(stats.words_added / larger)


def test_pair_threshold_separates_the_seed_edits_from_unrelated_paragraphs(
    seed_data: dict,
) -> None:
    """Pins PAIR_THRESHOLD: every real edit of the seed pairs, no two different paragraphs do."""
    old, new = _versions(seed_data)[:2]
    edited = {(1, 1), (2, 2), (3, 3), (5, 5), (8, 9)}
    same = {(0, 0), (4, 4), (6, 7), (7, 8), (9, 10), (10, 11)}
    for i, j in itertools.product(range(len(old.paragraphs)), range(len(new.paragraphs))):
        score = similarity(Signature(old.paragraphs[i]), Signature(new.paragraphs[j]))
        if (i, j) in edited | same:
            assert score >= PAIR_THRESHOLD, (i, j, score)
        else:
            assert score < PAIR_THRESHOLD, (i, j, score)


# ----- alignment ----------------------------------------------------------------------------

A = "The council voted on Tuesday to close the old library on Main Street next spring."
B = "Residents packed the hall, and several speakers urged members to delay the decision."
C = "The mayor said the building would be sold and the money spent on the new school."
D = "Weather forecasters expect heavy snow across the northern valleys by Friday night."


def test_replaced_wholesale_is_delete_plus_insert() -> None:
    result = diff(_text(A, B, C), _text(A, D, C))
    assert [p.op for p in result.paragraphs] == ["equal", "delete", "insert", "equal"]
    assert result.stats.paragraphs_deleted == result.stats.paragraphs_inserted == 1


def test_edited_paragraph_is_modify_with_word_ops() -> None:
    edited = B.replace("several speakers", "dozens of speakers").replace("delay", "reverse")
    result = diff(_text(A, B, C), _text(A, edited, C))
    assert [p.op for p in result.paragraphs] == ["equal", "modify", "equal"]
    words = result.paragraphs[1].words
    assert _changes(words, "delete") == ["several", "delay"]
    assert _changes(words, "insert") == ["dozens of", "reverse"]
    assert result.stats.words_removed == 2
    assert result.stats.words_added == 3


def _ops(result: ArticleDiff) -> list[tuple[str, int | None, int | None]]:
    return [(p.op, p.old_index, p.new_index) for p in result.paragraphs]


def test_paragraph_moved_from_first_to_last_is_one_move() -> None:
    old, new = _text(A, B, C, D), _text(B, C, D, A)
    result = diff(old, new)
    assert _ops(result) == [("equal", 1, 0), ("equal", 2, 1), ("equal", 3, 2), ("move", 0, 3)]
    move = result.paragraphs[-1]
    assert (move.old, move.new, move.words) == (A, A, (WordOp("equal", A),))
    stats = result.stats
    assert (stats.paragraphs_moved, stats.paragraphs_inserted, stats.paragraphs_deleted) == (
        1,
        0,
        0,
    )
    assert (stats.words_added, stats.words_removed) == (0, 0)
    assert result.has_changes and stats.paragraphs_changed == 1
    _assert_reproduces(result, old, new)


def test_paragraph_moved_from_last_to_first_is_one_move() -> None:
    old, new = _text(A, B, C, D), _text(D, A, B, C)
    result = diff(old, new)
    assert _ops(result) == [("move", 3, 0), ("equal", 0, 1), ("equal", 1, 2), ("equal", 2, 3)]
    _assert_reproduces(result, old, new)


def test_moved_and_edited_paragraph_is_a_move_with_its_word_diff() -> None:
    edited = A.replace("Tuesday", "Wednesday").replace("next spring", "this summer")
    old, new = _text(A, B, C, D), _text(B, C, D, edited)
    result = diff(old, new)
    assert _ops(result)[-1] == ("move", 0, 3)
    move = result.paragraphs[-1]
    assert (move.old, move.new) == (A, edited)
    assert _changes(move.words, "delete") == ["Tuesday", "next spring"]
    assert _changes(move.words, "insert") == ["Wednesday", "this summer"]
    assert (result.stats.words_removed, result.stats.words_added) == (3, 3)
    assert result.stats.paragraphs_moved == 1
    assert result.stats.paragraphs_modified == 0
    _assert_reproduces(result, old, new)


def test_swapping_two_paragraphs_is_one_move() -> None:
    old, new = _text(A, B, C), _text(B, A, C)
    result = diff(old, new)
    assert [p.op for p in result.paragraphs].count("move") == 1
    assert {p.op for p in result.paragraphs} == {"equal", "move"}
    assert result.stats.paragraphs_moved == 1
    _assert_reproduces(result, old, new)


def test_short_paragraphs_are_not_moves() -> None:
    """Git's rule: fewer than 20 letters or digits is no move ("Read more" reappearing)."""
    short = "Read more: sign up today."  # 19 letters and digits
    assert sum(c.isalnum() for c in short) == 19
    old, new = _text(short, A, B), _text(A, B, short)
    result = diff(old, new)
    assert _ops(result) == [
        ("delete", 0, None),
        ("equal", 1, 0),
        ("equal", 2, 1),
        ("insert", None, 2),
    ]
    longer = short.replace("today", "today 2")  # 20: a move
    result = diff(_text(longer, A, B), _text(A, B, longer))
    assert [p.op for p in result.paragraphs] == ["equal", "equal", "move"]


def test_the_smallest_set_of_moves_wins() -> None:
    """B and C edited in place and A moved is one move; A kept and B, C moved would be two."""
    b2, c2 = B.replace("several", "a dozen"), C.replace("new school", "new stadium")
    old, new = _text(A, B, C), _text(b2, c2, A)
    result = diff(old, new)
    assert _ops(result) == [("modify", 1, 0), ("modify", 2, 1), ("move", 0, 2)]
    _assert_reproduces(result, old, new)


def test_a_rewritten_paragraph_elsewhere_is_no_move() -> None:
    """Delete + insert when the texts share too little (below MOVE_THRESHOLD)."""
    half = " ".join(A.split()[:6]) + " but residents want the building kept for the town."
    assert similarity(Signature(A), Signature(half)) < MOVE_THRESHOLD
    result = diff(_text(A, B, C), _text(B, C, half))
    assert [p.op for p in result.paragraphs] == ["delete", "equal", "equal", "insert"]


def test_repeated_paragraphs_move_in_turn() -> None:
    old, new = _text(A, B, A, C), _text(B, C, A, A)
    result = diff(old, new)
    assert result.stats.paragraphs_moved + result.stats.paragraphs_equal == 4
    assert result.stats.paragraphs_inserted == result.stats.paragraphs_deleted == 0
    _assert_reproduces(result, old, new)


def test_a_large_rewrite_still_finds_moves_of_the_very_text() -> None:
    """Past the bound on fuzzy move search (deleted x inserted pairs), exact moves remain."""
    olds = [f"Old paragraph {k} about topic {k * 7} with words w{k} v{k} u{k}." for k in range(120)]
    news = [f"New text {k} on matter {k * 11} using terms x{k} y{k} z{k}." for k in range(120)]
    old, new = _text(A, B, *olds), _text(*news, B, A)  # A and B swapped: one of them moved
    result = diff(old, new, timeout=None)
    assert result.stats.paragraphs_moved == 1
    assert result.stats.paragraphs_deleted == result.stats.paragraphs_inserted == 120
    _assert_reproduces(result, old, new)


def test_moves_are_found_past_the_deadline_too(seed_data: dict) -> None:
    """Same-text moves cost one hash lookup each, so even a coarse diff reports them."""
    old, new = _text(A, B, C, D), _text(B, C, D, A)
    result = diff(old, new, timeout=0)
    assert result.stats.paragraphs_moved == 1
    _assert_reproduces(result, old, new)


def test_edits_among_insertions_pair_the_right_paragraphs() -> None:
    a2 = A.replace("Tuesday", "Wednesday")
    c2 = C.replace("new school", "new stadium")
    old, new = _text(A, B, C), _text(D, a2, B + " More later.", "Short new line.", c2)
    result = diff(old, new)
    ops = [(p.op, p.old_index, p.new_index) for p in result.paragraphs]
    assert ops == [
        ("insert", None, 0),
        ("modify", 0, 1),
        ("modify", 1, 2),
        ("insert", None, 3),
        ("modify", 2, 4),
    ]
    _assert_reproduces(result, old, new)


def test_identical_texts_have_no_changes(seed_data: dict) -> None:
    text = _versions(seed_data)[1]
    result = diff(text, text)
    assert not result.has_changes
    assert all(p.op == "equal" for p in result.paragraphs)
    assert result.stats.share_changed == 0


def test_empty_texts() -> None:
    result = diff(_text(), _text())
    assert result.paragraphs == ()
    assert not result.has_changes
    grown = diff(_text(), _text(A))
    assert [p.op for p in grown.paragraphs] == ["insert"]
    assert grown.stats.words_added == count_words(A)
    assert grown.stats.share_changed == 1.0


# ----- words --------------------------------------------------------------------------------


def test_tokens_keep_whitespace_and_punctuation() -> None:
    text = "  Korea’s “three-year-old” pact,  signed in 2016 —  ended?\n"
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert tokens[:3] == ["  ", "Korea’s ", "“"]
    assert "three-year-old" in tokens
    assert count_words(text) == 7


def test_punctuation_does_not_glue_to_words() -> None:
    """ "now." against "now and ..." still keeps "now" (whitespace is not part of a key)."""
    words = diff_words("for now and then some. The end", "for now. The end")
    assert render_old(words) == "for now and then some. The end"
    assert render_new(words) == "for now. The end"
    assert _changes(words, "delete") == ["and then some"]
    assert _changes(words, "insert") == []


def test_whitespace_only_change_is_exact() -> None:
    words = diff_words("a  b c", "a b\tc")
    assert render_old(words) == "a  b c"
    assert render_new(words) == "a b\tc"
    assert any(w.op != "equal" for w in words)


def test_stray_common_words_fold_into_the_change() -> None:
    """A rewrite that happens to keep one "the" shows one change, not confetti."""
    words = diff_words(
        "He went to the shop on the corner yesterday.",
        "She drove past the stadium near the river today.",
    )
    assert [w.op for w in words] == ["delete", "insert", "equal"]
    assert _changes(words, "delete") == ["He went to the shop on the corner yesterday"]


def test_fields_are_diffed_on_their_own() -> None:
    result = diff(
        _text(A, title="Council to close library", byline="By Ann Lee"),
        _text(A, title="Council votes to close library", byline=None),
    )
    assert result.title.changed
    assert _changes(result.title.words, "insert") == ["votes"]
    assert result.byline.changed
    assert render_old(result.byline.words) == "By Ann Lee"
    assert render_new(result.byline.words) == ""
    assert result.has_changes
    assert not result.stats.has_changes


# ----- time bound ---------------------------------------------------------------------------


def test_zero_budget_falls_back_to_a_coarse_but_exact_diff(seed_data: dict) -> None:
    old, new = _versions(seed_data)[:2]
    result = diff(old, new, timeout=0)
    assert result.coarse
    _assert_reproduces(result, old, new)
    assert result.stats.paragraphs_changed >= 1


def test_pathological_input_is_bounded() -> None:
    """Long paragraphs with no unique word and everything shifted: must not hang."""
    old = _text(" ".join(["a b c"] * 30_000), " ".join(["x y"] * 20_000))
    new = _text(" ".join(["b a c"] * 30_000), " ".join(["y x x"] * 15_000))
    started = time.perf_counter()
    result = diff(old, new, timeout=0.3)
    assert time.perf_counter() - started < 3
    _assert_reproduces(result, old, new)


def test_no_timeout_gives_the_full_diff(seed_data: dict) -> None:
    old, new = _versions(seed_data)[:2]
    assert diff(old, new, timeout=None) == diff(old, new)


def test_garbage_collector_state_is_restored() -> None:
    import gc

    assert gc.isenabled()
    diff(_text(A), _text(B))
    assert gc.isenabled()
    gc.disable()
    try:
        diff(_text(A), _text(B))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_many_unrelated_paragraphs_stay_within_the_budget() -> None:
    """A full rewrite of a long article: pairing has a matrix to fill, and a deadline."""
    old = _text(
        *(f"Old paragraph {k} about topic {k * 7} with words w{k} v{k} u{k}." for k in range(180))
    )
    new = _text(
        *(f"New text {k} on matter {k * 11} using terms x{k} y{k} z{k}." for k in range(180))
    )
    started = time.perf_counter()
    result = diff(old, new, timeout=0.05)
    assert time.perf_counter() - started < 1
    _assert_reproduces(result, old, new)
    assert result.stats.paragraphs_modified == 0
