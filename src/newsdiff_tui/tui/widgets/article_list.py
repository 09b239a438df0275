"""The article list: one row per article, line-rendered so 20,000 rows cost nothing up front."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.events import Click
from textual.message import Message
from textual.strip import Strip

from newsdiff_tui.tui.fmt import list_when, safe
from newsdiff_tui.tui.keys import ARTICLES, move_binding, pane_bindings
from newsdiff_tui.tui.rows import ArticleRows
from newsdiff_tui.tui.widgets.lineview import LineView

# Per-article marks while a refresh runs (and after it, until the next reload).
MARKS = {"checking": "↻", "changed": "*", "unchanged": " ", "failed": "!", "skipped": " "}


@dataclass(frozen=True)
class Columns:
    """How wide each column of a row is at one width; 0 drops the column."""

    source: int
    when: int
    count: int

    @classmethod
    def for_width(cls, width: int) -> Columns:
        """The title gets what is left: columns go, least useful first, as the pane narrows."""
        if width >= 90:
            return cls(source=12, when=8, count=4)
        if width >= 64:
            return cls(source=9, when=8, count=4)
        if width >= 52:
            return cls(source=7, when=8, count=0)
        if width >= 36:
            return cls(source=0, when=8, count=0)
        return cls(source=0, when=0, count=0)


def _cell(text: str, width: int, style: Style | str = "") -> Text:
    """``text`` in exactly ``width`` cells, ending in ``…`` when cut."""
    cell = Text(text, style=style, no_wrap=True)
    cell.truncate(width, overflow="ellipsis", pad=True)
    return cell


class ArticleList(LineView):
    """Articles with source, title, version count and last change; a cursor selects one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        move_binding("cursor.up", "cursor(-1)"),
        move_binding("cursor.down", "cursor(1)"),
        move_binding("cursor.page_up", "page(-1)"),
        move_binding("cursor.page_down", "page(1)"),
        move_binding("cursor.top", "jump(0)"),
        move_binding("cursor.bottom", "jump(-1)"),
        move_binding("cursor.open", "open"),
        *pane_bindings(ARTICLES),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "article-list--cursor",
        "article-list--cursor-blurred",
        "article-list--source",
        "article-list--dim",
        "article-list--failed",
        "article-list--changed",
    }

    class Highlighted(Message):
        """The cursor moved to an article (or to none: the list is empty)."""

        def __init__(self, article_id: str | None) -> None:
            super().__init__()
            self.article_id = article_id

    class Opened(Message):
        """Enter was pressed on an article."""

        def __init__(self, article_id: str) -> None:
            super().__init__()
            self.article_id = article_id

    def __init__(
        self,
        rows: ArticleRows,
        *,
        now: Callable[[], datetime],
        tz: tzinfo | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.rows = rows
        self.cursor = 0
        self.marks: dict[str, str] = {}
        self._now = now
        self._tz = tz
        self._minute = ""  # "now" to the minute, part of the row cache key

    # ----- data -------------------------------------------------------------------------
    @property
    def selected_id(self) -> str | None:
        """The article under the cursor, None when the list is empty."""
        return self.rows.id_at(self.cursor)

    def reload(self, keep_id: str | None = None) -> None:
        """Re-read the row count after the rows changed; keep the cursor on ``keep_id``."""
        target = keep_id if keep_id is not None else self.selected_id
        index = self.rows.index_of(target) if target is not None else None
        self.set_row_count(len(self.rows))
        self.move_to(
            index if index is not None else min(self.cursor, len(self.rows) - 1), force=True
        )

    def set_rows(self, rows: ArticleRows, keep_id: str | None) -> None:
        """Show another set of rows (a reloaded index), the cursor staying on ``keep_id``."""
        self.rows = rows
        self.reload(keep_id=keep_id)

    def set_mark(self, article_id: str, mark: str) -> None:
        """Show a refresh state next to an article."""
        self.marks[article_id] = mark
        self.clear_row_cache()

    # ----- movement ---------------------------------------------------------------------
    def move_to(self, index: int, *, force: bool = False) -> None:
        """Put the cursor on row ``index`` (clamped) and announce the article there."""
        count = len(self.rows)
        index = max(0, min(index, count - 1)) if count else 0
        if index == self.cursor and not force:
            return
        old, self.cursor = self.cursor, index
        self.refresh_line_row(old)
        self.refresh_line_row(index)
        self.scroll_row_visible(index)
        self.post_message(self.Highlighted(self.selected_id))

    def refresh_line_row(self, row: int) -> None:
        """Repaint row ``row``."""
        self.refresh_line(row)  # the row cache key includes the cursor, no clearing needed

    def action_cursor(self, delta: int) -> None:
        """Move the cursor ``delta`` rows (the movement keys)."""
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        """Move the cursor a page up (-1) or down (1)."""
        page = max(self.scrollable_content_region.height - 1, 1)
        self.move_to(self.cursor + direction * page)

    def action_jump(self, where: int) -> None:
        """Go to the first article (0) or the last (-1)."""
        self.move_to(len(self.rows) - 1 if where < 0 else where)

    def action_open(self) -> None:
        """Enter: open the selected article's versions."""
        if self.selected_id is not None:
            self.post_message(self.Opened(self.selected_id))

    def on_click(self, event: Click) -> None:
        """A click selects the article clicked."""
        row = round(self.scroll_y) + event.y
        if 0 <= row < len(self.rows):
            self.move_to(row)

    # ----- rendering --------------------------------------------------------------------
    def row_key(self, row: int, width: int) -> Hashable:
        """A row changes with its document, cursor, focus, width, mark and the minute (ages)."""
        doc = self.rows.doc(row)
        return (
            id(doc),
            row == self.cursor,
            self.has_focus,
            width,
            self._minute,
            self.marks.get(doc["id"]),
        )

    def render_line(self, y: int) -> Strip:
        """Note the minute first: the ages shown change with it."""
        self._minute = self._now().strftime("%Y%m%d%H%M")
        return super().render_line(y)

    def render_row(self, row: int, width: int) -> Text:
        """One article: mark, source, title, versions and age, as the width allows."""
        article = self.rows.article(row)
        style = self.get_component_rich_style
        mark = self.marks.get(article.id)
        if mark is None and article.check.last_error:
            mark = "failed"
        flag = MARKS.get(mark or "", " ")
        flag_style: Style | str = ""
        if flag == "!":
            flag_style = style("article-list--failed")
        elif flag in ("*", "↻"):
            flag_style = style("article-list--changed")
        columns = Columns.for_width(width)
        line = Text.assemble("▶" if row == self.cursor else " ", (flag, flag_style), no_wrap=True)
        if columns.source:
            line.append_text(
                _cell(safe(article.source), columns.source, style("article-list--source"))
            )
            line.append(" ")
        tail = Text(no_wrap=True)
        if columns.when:
            if article.version_count:
                when = list_when(article.last_changed or article.first_seen, self._now(), self._tz)
            else:
                when = "no text"  # tracked, never fetched successfully: no age to show
            tail.append(f" {when:>{columns.when - 1}}", style("article-list--dim"))
        if columns.count:
            tail.append(f" {article.version_count:>{columns.count - 1}}")
        title_width = max(width - line.cell_len - tail.cell_len, 1)
        line.append_text(_cell(safe(article.title) or safe(article.url), title_width))
        line.append_text(tail)
        if row == self.cursor:
            cursor = "article-list--cursor" if self.has_focus else "article-list--cursor-blurred"
            line.truncate(width, overflow="ellipsis", pad=True)
            line.stylize(style(cursor))
        return line
