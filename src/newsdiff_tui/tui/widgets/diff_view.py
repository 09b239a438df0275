"""The diff viewer: a line-rendered view of wrapped diff lines, inline or side by side.

Diffing two versions and wrapping the result run in a thread worker (``wrap_lines``): on an
article of 20,000 paragraphs that is seconds of work, which must never hold a key. The worker
sends the content back in measured pieces (``DiffLinesRendered``), the first screen first; a
new content, mode or width cancels the work in flight, and pieces of an old rendering are
recognised by their token and dropped. The view keeps the lines of the pieces on screen only
(``chunks.PieceLayout``). Messages (the empty state, errors) are wrapped at once.

A blame (``DiffContent.blame``) is computed by the same worker (``blame.blame``: a walk over
the history up to the version) and rendered the same way, in pieces of paragraphs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Literal

from rich.console import Console
from rich.text import Text
from textual import on, work
from textual.binding import BindingType
from textual.worker import Worker, WorkerState, get_current_worker

from newsdiff_tui.blame import blame
from newsdiff_tui.diff import ArticleDiff
from newsdiff_tui.model import ArticleText, Version
from newsdiff_tui.tui import diffrender
from newsdiff_tui.tui.activity import step_aside
from newsdiff_tui.tui.chunks import (
    Measured,
    PieceLayout,
    bare_diff,
    bare_text,
    diff_pieces,
    render_pieces,
    text_pieces,
)
from newsdiff_tui.tui.diffrender import DiffStyles, RenderedDiff, blame_pieces
from newsdiff_tui.tui.fmt import safe
from newsdiff_tui.tui.keys import DIFF, move_binding, pane_bindings
from newsdiff_tui.tui.messages import DiffLinesRendered
from newsdiff_tui.tui.widgets.lineview import LineView

POST_EVERY = 0.1  # seconds between two batches of lines from the worker (the first goes at once)
Place = tuple[Literal["top", "change", "line"], int]
BLAME_LEGEND = "vN +time: brought it · ~vN: edited · ↺vN: restored"


@dataclass(frozen=True)
class DiffContent:
    """What the view shows: a pair of versions (diffed by the worker), a diff already
    computed, one version's text, the blame of a version (``blame``: the history and the
    position of the version in it, blamed by the worker), or a message."""

    pair: tuple[Version, Version] | None = None
    diff: ArticleDiff | None = None
    single: ArticleText | None = None
    message: tuple[str | Text, ...] = ()
    labels: tuple[str, str] = ("old", "new")
    blame: tuple[tuple[Version, ...], int] | None = None

    @property
    def is_message(self) -> bool:
        """Whether this content is only a message (nothing to diff or show)."""
        return (
            self.pair is None and self.diff is None and self.single is None and self.blame is None
        )


class DiffView(LineView):
    """Shows its content wrapped to its width; each frame renders visible lines only."""

    BINDINGS: ClassVar[list[BindingType]] = [
        move_binding("cursor.up", "scroll_lines(-1)"),
        move_binding("cursor.down", "scroll_lines(1)"),
        move_binding("cursor.page_up", "scroll_page(-1)"),
        move_binding("cursor.page_down", "scroll_page(1)", key="pagedown,space"),
        move_binding("cursor.top", "scroll_lines(-1000000)"),
        move_binding("cursor.bottom", "scroll_lines(1000000)"),
        *pane_bindings(DIFF),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diff-view--delete",
        "diff-view--insert",
        "diff-view--heading",
        "diff-view--dim",
        "diff-view--gutter",
        "diff-view--current",
        "diff-view--blame-old",
        "diff-view--blame-new",
    }
    DEFAULT_CSS = """
    DiffView > .diff-view--blame-old { color: $primary-lighten-1; }
    DiffView > .diff-view--blame-new { color: $warning; text-style: bold; }
    """

    def __init__(
        self, *, pair_diff: Callable[[Version, Version], ArticleDiff], id: str | None = None
    ) -> None:
        """An empty view; ``pair_diff`` diffs two versions (the screen's memo)."""
        super().__init__(id=id)
        self.content = DiffContent()
        self.split = False
        self.fold = False
        self.wrapped = PieceLayout()
        self.current_change: int | None = None
        self.rendering = False  # the worker has more lines to send
        self._pair_diff = pair_diff
        self._generation = 0
        self._built_width = -1
        self._token = 0
        self._place: Place | None = None  # where to scroll once the lines for it arrive
        self._render: Callable[[Any], RenderedDiff] | None = None  # of the content in the works

    # ----- content ----------------------------------------------------------------------
    def show(self, content: DiffContent) -> None:
        """Display new content from its top."""
        self.content = content
        self.current_change = None
        self.border_subtitle = BLAME_LEGEND if content.blame is not None else ""
        self.rebuild(("top", 0))

    def show_message(self, lines: Iterable[str | Text]) -> None:
        """Show ``lines`` instead of a diff."""
        self.show(DiffContent(message=tuple(lines)))

    def set_split(self, split: bool) -> None:
        """Show the diff side by side or inline, staying at the same change or line."""
        self.split = split
        self._rebuild_keeping_place()

    def set_fold(self, fold: bool) -> None:
        """Fold unchanged paragraphs or not, staying at the same change or line."""
        self.fold = fold
        self._rebuild_keeping_place()

    def _rebuild_keeping_place(self) -> None:
        """Re-render in another mode, staying on the current change (else at the top).

        Line numbers differ between modes, but changes come in the same order in all of them.
        """
        current = self.current_change
        self.rebuild(("change", current) if current is not None else ("top", 0))

    def styles_for_diff(self) -> DiffStyles:
        """The view's component styles, for the renderer (which runs in a worker)."""
        style = self.get_component_rich_style
        return DiffStyles(
            delete=style("diff-view--delete"),
            insert=style("diff-view--insert"),
            heading=style("diff-view--heading"),
            dim=style("diff-view--dim"),
            gutter=style("diff-view--gutter"),
            blame_old=style("diff-view--blame-old"),
            blame_new=style("diff-view--blame-new"),
        )

    def rebuild(self, place: Place | None = None) -> None:
        """Wrap the content at the current width: a message at once, the rest in the worker."""
        self._token += 1
        width = self.row_width
        self._built_width = width
        self._place = place
        if width <= 0:
            return  # not laid out yet: the first resize renders it
        content = self.content
        console = self.app.console
        if content.is_message:
            self.rendering = False
            self._take(PieceLayout.of(diffrender.render_message(content.message, width, console)))
            return
        styles = self.styles_for_diff()
        render: Callable[[Any], RenderedDiff]
        if content.single is not None:
            render = partial(diffrender.render_single, width=width, console=console, styles=styles)
        elif content.blame is not None:
            render = partial(diffrender.render_blame, width=width, console=console, styles=styles)
        else:
            render = _diff_renderer(width, console, styles, self.split, self.fold, content.labels)
        self.rendering = True
        self._render = render
        self.wrap_lines(self._token, content, render, self.fold)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="diff-render",
        description="diff and wrap",
    )
    def wrap_lines(
        self, token: int, content: DiffContent, render: Callable[[Any], RenderedDiff], fold: bool
    ) -> None:
        """Diff (for a pair) or blame, and wrap the content in pieces, posting their measures
        as they are done; the first piece's lines go along (the first screen)."""
        worker = get_current_worker()
        pieces: list[Any]
        if content.single is not None:
            pieces = text_pieces(content.single)
            bare: Any = bare_text()
        elif content.blame is not None:
            versions, position = content.blame
            pieces = blame_pieces(blame(versions, position))
            if worker.is_cancelled:
                return
            bare = pieces[0].bare()
        else:
            d = content.diff
            if d is None:
                assert content.pair is not None
                d = self._pair_diff(*content.pair)
            if worker.is_cancelled:
                return
            pieces = diff_pieces(d, fold=fold)
            bare = bare_diff(d)
        batch: list[Measured] = []
        first = True
        posted = time.monotonic()
        for n, (piece, skip, out) in enumerate(render_pieces(render, pieces, bare), 1):
            if worker.is_cancelled:
                return
            batch.append(Measured.of(piece, skip, out, keep=first and not batch))
            if first or time.monotonic() - posted >= POST_EVERY:
                self.post_message(DiffLinesRendered(token, batch, first, done=False))
                batch, first = [], False
                posted = time.monotonic()
            if n < len(pieces):
                step_aside()  # let the UI thread have the GIL, above all while it answers a key
        if not worker.is_cancelled:
            self.post_message(DiffLinesRendered(token, batch, first, done=True))

    @on(DiffLinesRendered)
    def _lines_rendered(self, message: DiffLinesRendered) -> None:
        """Take a batch of pieces from the rendering worker, if still for what the view shows."""
        message.stop()
        if message.token != self._token:
            return  # pieces of a content, mode or width the view no longer shows
        if message.done:
            self.rendering = False
        layout = PieceLayout(self._render) if message.first else self.wrapped
        for piece in message.pieces:
            layout.add(piece)
        self._take(layout)

    def _take(self, layout: PieceLayout) -> None:
        """Show ``layout`` (new, or grown by pieces); then scroll to the place asked for once
        its line is there."""
        self.wrapped = layout
        self._generation += 1
        self.set_row_count(layout.line_count)
        self._settle_place(final=not self.rendering)

    def _settle_place(self, *, final: bool) -> None:
        """Scroll to the place asked for once its line has arrived (``final``: no more will)."""
        place = self._place
        if place is None:
            return
        kind, value = place
        if kind == "top":
            self._place = None
            self.scroll_to(y=0, animate=False, immediate=True)
        elif kind == "line":
            if value < self.wrapped.line_count or final:
                self._place = None
                self.scroll_to(y=value, animate=False, immediate=True)
        else:
            anchors = self.wrapped.anchors
            if value < len(anchors):
                self._place = None
                self.current_change = value
                self._generation += 1
                self.scroll_to(y=max(anchors[value] - 1, 0), animate=False, immediate=True)
            elif final:
                self._place = None
                self.current_change = None
                self.scroll_to(y=0, animate=False, immediate=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A rendering that failed says so in the view instead of leaving old lines."""
        if event.worker.group != "diff-render" or event.state != WorkerState.ERROR:
            return
        event.stop()
        self.rendering = False
        what = "blame" if self.content.blame is not None else "diff"
        self.border_subtitle = ""
        self.content = DiffContent(
            message=(
                Text(f"This {what} cannot be shown.", "bold"),
                "",
                safe(f"{type(event.worker.error).__name__}: {event.worker.error}"),
            )
        )
        self.rebuild(("top", 0))

    def on_resize(self) -> None:
        """Wrap the lines again at a new width, staying at the same change or line."""
        if self.row_width != self._built_width:
            current = self.current_change
            place: Place = (
                ("change", current) if current is not None else ("line", round(self.scroll_y))
            )
            self.rebuild(place)
        else:
            super().on_resize()

    # ----- changes ----------------------------------------------------------------------
    @property
    def anchors(self) -> list[int]:
        """Line numbers where the changes start (of the lines measured so far)."""
        return self.wrapped.anchors

    def text_lines(self) -> list[str]:
        """Every line of the content as plain text (renders every piece: tests, small texts)."""
        return [line.plain for line in self.wrapped.all_lines()]

    @property
    def change_count(self) -> int:
        """The number of changes (of the lines measured so far)."""
        return len(self.wrapped.anchors)

    def jump_change(self, direction: int) -> int | None:
        """Scroll to the next (1) or previous (-1) change; returns its index or None."""
        anchors = self.wrapped.anchors
        if not anchors:
            return None
        if self.current_change is None:
            top = round(self.scroll_y)
            if direction > 0:
                index = next((n for n, a in enumerate(anchors) if a >= top), len(anchors) - 1)
            else:
                index = next((n for n in range(len(anchors) - 1, -1, -1) if anchors[n] < top), 0)
        else:
            index = max(0, min(self.current_change + direction, len(anchors) - 1))
        self.current_change = index
        self._place = None
        self._generation += 1
        self.scroll_to(y=max(anchors[index] - 1, 0), animate=False, immediate=True)
        self.clear_row_cache()
        return index

    # ----- scrolling --------------------------------------------------------------------
    def action_scroll_lines(self, delta: int) -> None:
        """Scroll by ``delta`` lines (the movement keys)."""
        self.scroll_to(y=max(0, round(self.scroll_y) + delta), animate=False)

    def action_scroll_page(self, direction: int) -> None:
        """Scroll a page up (-1) or down (1), keeping a line of the last page."""
        page = max(self.scrollable_content_region.height - 1, 1)
        self.scroll_to(y=max(0, round(self.scroll_y) + direction * page), animate=False)

    # ----- rendering --------------------------------------------------------------------
    def row_key(self, row: int, width: int) -> Hashable:
        """Rows change with every new layout or current change (``_generation``)."""
        return (self._generation, row, width)

    def render_row(self, row: int, width: int) -> Text:
        """A line of the layout, marked with ▶ where the current change starts."""
        line = self.wrapped.line(row).copy()
        anchors = self.wrapped.anchors
        if self.current_change is not None and anchors and row == anchors[self.current_change]:
            current = self.get_component_rich_style("diff-view--current")
            line = Text.assemble(("▶", current), line[1:])
        return line


def _diff_renderer(
    width: int,
    console: Console,
    styles: DiffStyles,
    split: bool,
    fold: bool,
    labels: tuple[str, str],
) -> Callable[[ArticleDiff], RenderedDiff]:
    """``diffrender``'s inline or side-by-side rendering with the view's settings."""
    if split:
        return lambda d: diffrender.render_side_by_side(
            d, width, console, styles, labels=labels, fold=fold
        )
    return lambda d: diffrender.render_inline(d, width, console, styles, fold=fold)
