"""The diff viewer: a line-rendered view of pre-wrapped diff lines, inline or side by side."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from newsdiff_tui.diff import ArticleDiff
from newsdiff_tui.model import ArticleText
from newsdiff_tui.tui import diffrender
from newsdiff_tui.tui.diffrender import DiffStyles, RenderedDiff
from newsdiff_tui.tui.keys import DIFF, pane_bindings
from newsdiff_tui.tui.widgets.lineview import LineView


@dataclass(frozen=True)
class DiffContent:
    """What the view shows: a diff, one version's text, or a message."""

    diff: ArticleDiff | None = None
    single: ArticleText | None = None
    message: tuple[str | Text, ...] = ()
    labels: tuple[str, str] = ("old", "new")


class DiffView(LineView):
    """Wraps its content once per width or mode change; each frame renders visible lines only."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_lines(-1)", "Up", show=False),
        Binding("down,j", "scroll_lines(1)", "Down", show=False),
        Binding("pageup", "scroll_page(-1)", "Page up", show=False),
        Binding("pagedown,space", "scroll_page(1)", "Page down", show=False),
        Binding("home", "scroll_lines(-1000000)", "Top", show=False),
        Binding("end", "scroll_lines(1000000)", "Bottom", show=False),
        *pane_bindings(DIFF),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diff-view--delete",
        "diff-view--insert",
        "diff-view--heading",
        "diff-view--dim",
        "diff-view--gutter",
        "diff-view--current",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content = DiffContent()
        self.split = False
        self.fold = False
        self.rendered = RenderedDiff()
        self.current_change: int | None = None
        self._generation = 0
        self._built_width = -1

    # ----- content ----------------------------------------------------------------------
    def show(self, content: DiffContent) -> None:
        """Display new content from its top."""
        self.content = content
        self.current_change = None
        self.rebuild()
        self.scroll_to(y=0, animate=False, immediate=True)

    def show_message(self, lines: Iterable[str | Text]) -> None:
        self.show(DiffContent(message=tuple(lines)))

    def set_split(self, split: bool) -> None:
        self.split = split
        self._rebuild_keeping_place()

    def set_fold(self, fold: bool) -> None:
        self.fold = fold
        self._rebuild_keeping_place()

    def _rebuild_keeping_place(self) -> None:
        """Re-render in another mode, staying on the current change (else at the top).

        Line numbers differ between modes, but changes come in the same order in all of them.
        """
        current = self.current_change
        self.rebuild()
        anchors = self.rendered.anchors
        if current is not None and current < len(anchors):
            self.scroll_to(y=max(anchors[current] - 1, 0), animate=False, immediate=True)
        else:
            self.current_change = None
            self.scroll_to(y=0, animate=False, immediate=True)

    def styles_for_diff(self) -> DiffStyles:
        style = self.get_component_rich_style
        return DiffStyles(
            delete=style("diff-view--delete"),
            insert=style("diff-view--insert"),
            heading=style("diff-view--heading"),
            dim=style("diff-view--dim"),
            gutter=style("diff-view--gutter"),
        )

    def rebuild(self) -> None:
        """Wrap the content at the current width (cheap: one article's text)."""
        width = self.row_width
        self._built_width = width
        if width <= 0:
            self.rendered = RenderedDiff()
        else:
            self.rendered = self._render(width)
        self._generation += 1
        self.set_row_count(len(self.rendered.lines))

    def _render(self, width: int) -> RenderedDiff:
        console = self.app.console
        content = self.content
        if content.diff is not None:
            styles = self.styles_for_diff()
            if self.split:
                return diffrender.render_side_by_side(
                    content.diff, width, console, styles, labels=content.labels, fold=self.fold
                )
            return diffrender.render_inline(content.diff, width, console, styles, fold=self.fold)
        if content.single is not None:
            return diffrender.render_single(content.single, width, console, self.styles_for_diff())
        return diffrender.render_message(content.message, width, console)

    def on_resize(self) -> None:
        if self.row_width != self._built_width:
            self.rebuild()
        else:
            super().on_resize()

    # ----- changes ----------------------------------------------------------------------
    @property
    def change_count(self) -> int:
        return len(self.rendered.anchors)

    def jump_change(self, direction: int) -> int | None:
        """Scroll to the next (1) or previous (-1) change; returns its index or None."""
        anchors = self.rendered.anchors
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
        self._generation += 1
        self.scroll_to(y=max(anchors[index] - 1, 0), animate=False, immediate=True)
        self.clear_row_cache()
        return index

    # ----- scrolling --------------------------------------------------------------------
    def action_scroll_lines(self, delta: int) -> None:
        self.scroll_to(y=max(0, round(self.scroll_y) + delta), animate=False)

    def action_scroll_page(self, direction: int) -> None:
        page = max(self.scrollable_content_region.height - 1, 1)
        self.scroll_to(y=max(0, round(self.scroll_y) + direction * page), animate=False)

    # ----- rendering --------------------------------------------------------------------
    def row_key(self, row: int, width: int) -> Hashable:
        return (self._generation, row, width)

    def render_row(self, row: int, width: int) -> Text:
        line = self.rendered.lines[row].copy()
        anchors = self.rendered.anchors
        if self.current_change is not None and anchors and row == anchors[self.current_change]:
            current = self.get_component_rich_style("diff-view--current")
            line = Text.assemble(("▶", current), line[1:])
        return line
