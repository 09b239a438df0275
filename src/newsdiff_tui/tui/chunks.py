"""Render a long diff (or text) piece by piece, so the first screen shows at once.

Wrapping costs ~0.2 ms a paragraph: 4 s for an article of 20,000 paragraphs, 8 s side by side.
The diff view's worker thread wraps such an article in pieces of ``CHUNK`` paragraphs with
``diffrender``'s own functions, posting each piece's line count as it is done and stopping
between pieces when the user has moved on; the view keeps only the lines of the pieces on
screen (``PieceLayout``). The pieces, joined, are exactly the whole rendering
(``tests/test_tui_chunks.py`` proves it): every piece after the first is rendered without the
title and byline, and the lines the renderer puts before the paragraphs (found by rendering a
diff that has none) are dropped from it. Folding never splits a run of unchanged paragraphs.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.text import Text

from newsdiff_tui.diff import ArticleDiff, FieldDiff, ParagraphDiff
from newsdiff_tui.model import ArticleText
from newsdiff_tui.tui.diffrender import RenderedDiff

CHUNK = 25  # paragraphs per piece: ~5 ms of wrapping, the grain of cancellation and of redraws
KEPT_PIECES = 12  # rendered pieces kept (the ones on screen lately)
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
        """Two unchanged paragraphs in a row fold into one line: never cut between them."""
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
    """A text with no title or paragraph: what ``render_single`` writes around the body."""
    return ArticleText(title="")


def render_pieces(
    render: Callable[[T], RenderedDiff], pieces: Sequence[T], bare: T
) -> Iterator[tuple[T, int, RenderedDiff]]:
    """Render ``pieces`` one by one: each with the number of lines to drop from its rendering
    (what ``render(bare)`` shows is the renderer's own header, repeated by every piece after
    the first) and its rendering without them. If a piece does not start with that header
    (the renderer changed shape), it keeps its header: still complete, never wrong text."""
    if not pieces:
        return
    yield pieces[0], 0, render(pieces[0])
    if len(pieces) == 1:
        return
    header = [line.plain for line in render(bare).lines]
    for piece in pieces[1:]:
        out = render(piece)
        skip = len(header) if [x.plain for x in out.lines[: len(header)]] == header else 0
        yield piece, skip, dropped(out, skip)


def dropped(out: RenderedDiff, skip: int) -> RenderedDiff:
    """``out`` without its first ``skip`` lines."""
    if not skip:
        return out
    anchors = [a - skip for a in out.anchors if a >= skip]
    return RenderedDiff(lines=out.lines[skip:], anchors=anchors)


@dataclass(frozen=True)
class Measured:
    """What the worker learnt of a piece: its line count and change starts (relative), and
    its lines when they are worth sending (the first screen)."""

    source: Any
    skip: int
    count: int
    anchors: list[int]
    lines: list[Text] | None

    @classmethod
    def of(cls, source: Any, skip: int, rendered: RenderedDiff, *, keep: bool) -> Measured:
        """The measures of a rendered piece, with its lines if ``keep``."""
        lines = rendered.lines if keep else None
        return cls(source, skip, len(rendered.lines), list(rendered.anchors), lines)


@dataclass
class Piece:
    """A piece of the content: what to render, where its lines start, how many there are."""

    source: Any
    start: int
    count: int
    skip: int  # header lines its rendering starts with, to drop


class PieceLayout:
    """The view's lines by piece: every piece's line count is known (the worker wrapped it
    once to count), but its ``Text`` lines are kept only for the few pieces on screen lately
    and rendered again when scrolled back to (a few ms a piece).

    Keeping every wrapped line of a 20,000-paragraph diff meant ~400,000 objects for the
    garbage collector to walk: full collections of up to 0.7 s on the UI thread.
    """

    def __init__(self, render: Callable[[Any], RenderedDiff] | None = None) -> None:
        self.render = render
        self.pieces: list[Piece] = []
        self.starts: list[int] = []
        self.anchors: list[int] = []  # line numbers where changes start
        self.line_count = 0
        self._cache: OrderedDict[int, list[Text]] = OrderedDict()

    @classmethod
    def of(cls, rendered: RenderedDiff) -> PieceLayout:
        """A layout of lines rendered already (a message, a short text)."""
        layout = cls()
        layout.add(Measured.of(None, 0, rendered, keep=True))
        return layout

    def add(self, piece: Measured) -> None:
        """Append a measured piece (its lines, if it brings them, are kept)."""
        index = len(self.pieces)
        self.pieces.append(Piece(piece.source, self.line_count, piece.count, piece.skip))
        self.starts.append(self.line_count)
        self.anchors.extend(a + self.line_count for a in piece.anchors)
        self.line_count += piece.count
        if piece.lines is not None:
            self._remember(index, piece.lines)

    def line(self, number: int) -> Text:
        """Line ``number`` (rendering its piece again if it is not kept)."""
        index = bisect_right(self.starts, number) - 1
        piece = self.pieces[index]
        lines = self._cache.get(index)
        if lines is None:
            assert self.render is not None
            lines = dropped(self.render(piece.source), piece.skip).lines
            self._remember(index, lines)
        else:
            self._cache.move_to_end(index)
        offset = number - piece.start
        return lines[offset] if offset < len(lines) else Text()

    def all_lines(self) -> list[Text]:
        """Every line (renders every piece: for tests and small content)."""
        return [self.line(n) for n in range(self.line_count)]

    def _remember(self, index: int, lines: list[Text]) -> None:
        """Keep a piece's lines, forgetting the piece seen longest ago past ``KEPT_PIECES``."""
        self._cache[index] = lines
        while len(self._cache) > KEPT_PIECES and self.render is not None:
            self._cache.popitem(last=False)
