"""A Line API base: renders only the rows on screen, caching each rendered row."""

from __future__ import annotations

from collections.abc import Hashable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LineView(ScrollView, can_focus=True):
    """A scrolling view of ``row_count`` rows; subclasses implement ``render_row``.

    Cost per frame is proportional to the rows on screen, never to ``row_count`` (the article
    list holds 20,000 rows this way at no cost).
    """

    DEFAULT_CSS = """
    LineView {
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._row_cache: LRUCache[Hashable, Strip] = LRUCache(256)
        self.row_count = 0

    # ----- subclass API -----------------------------------------------------------------
    def render_row(self, row: int, width: int) -> Text:
        """The Text of one row (it is cropped or padded to ``width``)."""
        raise NotImplementedError

    def row_key(self, row: int, width: int) -> Hashable:
        """A cache key that changes whenever the row's rendering would."""
        return (row, width)

    # ----- machinery --------------------------------------------------------------------
    @property
    def row_width(self) -> int:
        """The width rows are rendered at (the content minus the scrollbar)."""
        return max(self.scrollable_content_region.width, 0)

    def set_row_count(self, count: int) -> None:
        """Resize the virtual canvas and drop cached rows."""
        self.row_count = count
        self._row_cache.clear()
        self.virtual_size = Size(self.row_width, count)
        self.refresh()

    def clear_row_cache(self) -> None:
        self._row_cache.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._row_cache.clear()
        self.virtual_size = Size(self.row_width, self.row_count)

    def on_focus(self) -> None:
        self.clear_row_cache()

    def on_blur(self) -> None:
        self.clear_row_cache()

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.row_width
        base = self.rich_style
        if row >= self.row_count or width <= 0:
            return Strip.blank(width, base)
        key = self.row_key(row, width)
        strip = self._row_cache.get(key)
        if strip is None:
            text = self.render_row(row, width)
            text.truncate(width, overflow="ellipsis", pad=True)
            segments = list(text.render(self.app.console, end=""))
            strip = Strip(Segment.apply_style(segments, base), width)
            strip = strip.crop_extend(0, width, base)
            self._row_cache[key] = strip
        return strip.apply_offsets(0, row)

    def scroll_row_visible(self, row: int) -> None:
        """Scroll the least needed so ``row`` is on screen."""
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = round(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    @staticmethod
    def styled(style: Style | None) -> Style:
        return style or Style()
