"""Render a long diff (or text) piece by piece, so the first screen shows at once.

Wrapping costs ~0.2 ms a paragraph: 4 s for an article of 20,000 paragraphs, 8 s side by side.
The diff view's worker thread renders such an article in pieces of ``CHUNK`` paragraphs with
``diffrender``'s own functions, posting each piece as it is done and stopping between pieces
when the user has moved on. The pieces, joined, are exactly the whole rendering
(``tests/test_tui_chunks.py`` proves it): every piece after the first is rendered without the
title and byline, and the lines the renderer puts before the paragraphs (found by rendering a
diff that has none) are dropped from it. Folding never splits a run of unchanged paragraphs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from newsdiff_tui.diff import ArticleDiff, FieldDiff, ParagraphDiff
from newsdiff_tui.model import ArticleText
from newsdiff_tui.tui.diffrender import RenderedDiff

CHUNK = 100  # paragraphs per piece: ~20 ms of wrapping, the grain of cancellation
NO_FIELD = FieldDiff("", "", ())

T = TypeVar("T")


def _cut(items: Sequence[T], size: int, joined: Callable[[T, T], bool]) -> list[Sequence[T]]:
    """``items`` in runs of about ``size``, never cut between two items ``joined`` says belong
    together."""
    runs: list[Sequence[T]] = []
    start = 0
    for i in range(1, len(items)):
        if i - start >= size and not joined(items[i - 1], items[i]):
            runs.append(items[start:i])
            start = i
    runs.append(items[start:])
    return runs


def diff_pieces(d: ArticleDiff, *, fold: bool, size: int = CHUNK) -> list[ArticleDiff]:
    """``d`` as diffs of about ``size`` paragraphs; only the first has the title and byline.

    Every piece keeps ``d``'s stats, so the renderer's "no change" note (a property of the
    whole) is the same for all of them; only a diff with changed paragraphs is cut.
    """
    if len(d.paragraphs) <= size or not d.stats.has_changes:
        return [d]

    def joined(a: ParagraphDiff, b: ParagraphDiff) -> bool:
        return fold and a.op == "equal" and b.op == "equal"

    runs = _cut(d.paragraphs, size, joined)
    first = dataclasses.replace(d, paragraphs=tuple(runs[0]))
    rest = [
        dataclasses.replace(d, title=NO_FIELD, byline=NO_FIELD, paragraphs=tuple(run))
        for run in runs[1:]
    ]
    return [first, *rest]


def text_pieces(text: ArticleText, *, size: int = CHUNK) -> list[ArticleText]:
    """``text`` as texts of about ``size`` paragraphs; only the first has the title."""
    if len(text.paragraphs) <= size:
        return [text]
    runs = _cut(text.paragraphs, size, lambda a, b: False)
    first = dataclasses.replace(text, paragraphs=tuple(runs[0]))
    return [first, *(ArticleText(title="", paragraphs=tuple(run)) for run in runs[1:])]


def bare_diff(d: ArticleDiff) -> ArticleDiff:
    """``d`` without a title, byline or paragraph: what the renderer writes around the body."""
    return dataclasses.replace(d, title=NO_FIELD, byline=NO_FIELD, paragraphs=())


def bare_text() -> ArticleText:
    return ArticleText(title="")


def render_pieces(
    render: Callable[[T], RenderedDiff], pieces: Sequence[T], bare: T
) -> Iterator[RenderedDiff]:
    """Render ``pieces`` one by one, dropping from each piece after the first the lines
    ``render(bare)`` shows are the renderer's own header. If a piece does not start with
    that header (the renderer changed shape), the rest is rendered with its header kept:
    still complete, never wrong text."""
    if not pieces:
        return
    yield render(pieces[0])
    if len(pieces) == 1:
        return
    header = [line.plain for line in render(bare).lines]
    skip = len(header)
    for piece in pieces[1:]:
        out = render(piece)
        if [line.plain for line in out.lines[:skip]] != header:
            yield out
            continue
        yield RenderedDiff(
            lines=out.lines[skip:], anchors=[a - skip for a in out.anchors if a >= skip]
        )
