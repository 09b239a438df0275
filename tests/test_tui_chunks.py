"""A long diff is rendered in pieces (``tui/chunks.py``): the pieces, joined, must be exactly
the whole rendering, in every mode, or the diff view would show a different text than the
renderer's (property tests with small pieces, so that every example is cut)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from newsdiff_tui.diff import diff
from newsdiff_tui.model import ArticleText
from newsdiff_tui.tui import diffrender
from newsdiff_tui.tui.chunks import (
    Measured,
    PieceLayout,
    bare_diff,
    bare_text,
    diff_pieces,
    render_pieces,
    text_pieces,
)
from newsdiff_tui.tui.diffrender import DiffStyles, RenderedDiff

CONSOLE = Console(width=200, color_system=None)
STYLES = DiffStyles()
WORDS = ["the", "pact", "Seoul", "said", "on", "Friday", "talks", "—", ",", "2019"]
paragraph = st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join)
texts = st.lists(paragraph, min_size=0, max_size=24)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def edited(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    old = draw(texts)
    new = list(old)
    for _ in range(draw(st.integers(1, 5))):
        where = draw(st.integers(0, len(new)))
        action = draw(st.sampled_from(["insert", "delete", "edit"]))
        if action == "insert" or not new:
            new.insert(where, draw(paragraph))
        elif action == "delete":
            del new[min(where, len(new) - 1)]
        else:
            k = min(where, len(new) - 1)
            new[k] = new[k] + " " + draw(paragraph)
    return old, new


def joined(render, pieces, bare) -> tuple[list[str], list[int]]:  # type: ignore[no-untyped-def]
    """The pieces rendered and joined, as the view's layout joins them (and re-renders one
    piece when it is scrolled back to)."""
    layout = PieceLayout(render)
    for n, (piece, skip, out) in enumerate(render_pieces(render, pieces, bare)):
        layout.add(Measured.of(piece, skip, out, keep=n == 0))
    return [line.plain for line in layout.all_lines()], layout.anchors


def plain(rendered: RenderedDiff) -> tuple[list[str], list[int]]:
    return [line.plain for line in rendered.lines], rendered.anchors


@SETTINGS
@given(
    edited(),
    st.integers(20, 90),
    st.booleans(),
    st.booleans(),
    st.integers(1, 5),
    st.booleans(),
)
def test_pieces_of_a_diff_join_into_the_whole_rendering(
    texts: tuple[list[str], list[str]],
    width: int,
    split: bool,
    fold: bool,
    size: int,
    title_changed: bool,
) -> None:
    old, new = texts
    d = diff(
        ArticleText("A title", byline="By A. Writer", paragraphs=tuple(old)),
        ArticleText(
            "Another title" if title_changed else "A title",
            byline="By A. Writer",
            paragraphs=tuple(new),
        ),
    )

    def render(piece):  # type: ignore[no-untyped-def]
        if split:
            return diffrender.render_side_by_side(
                piece, width, CONSOLE, STYLES, labels=("v0", "v1"), fold=fold
            )
        return diffrender.render_inline(piece, width, CONSOLE, STYLES, fold=fold)

    pieces = diff_pieces(d, fold=fold, size=size)
    assert joined(render, pieces, bare_diff(d)) == plain(render(d))


@SETTINGS
@given(texts, st.integers(20, 90), st.integers(1, 5), st.booleans())
def test_pieces_of_a_text_join_into_the_whole_rendering(
    paragraphs: list[str], width: int, size: int, byline: bool
) -> None:
    text = ArticleText(
        "A title", byline="By A. Writer" if byline else None, paragraphs=tuple(paragraphs)
    )

    def render(piece):  # type: ignore[no-untyped-def]
        return diffrender.render_single(piece, width, CONSOLE, STYLES)

    pieces = text_pieces(text, size=size)
    assert joined(render, pieces, bare_text()) == plain(render(text))


def test_folding_never_cuts_a_run_of_unchanged_paragraphs() -> None:
    old = [f"Paragraph {n} stays the same." for n in range(30)]
    new = [*old[:10], "A new paragraph.", *old[10:]]
    d = diff(ArticleText("T", paragraphs=tuple(old)), ArticleText("T", paragraphs=tuple(new)))
    pieces = diff_pieces(d, fold=True, size=4)
    for a, b in pairwise(pieces):
        assert not (a.paragraphs[-1].op == "equal" and b.paragraphs[0].op == "equal")
    assert len(diff_pieces(d, fold=False, size=4)) == 8  # unfolded, every 4 paragraphs
