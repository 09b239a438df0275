"""A Line API base: renders only the rows on screen, caching each rendered row."""

from __future__ import annotations

from collections.abc import Hashable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region, Size
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
        overflow-y: scroll;
        overflow-x: hidden;
    }
    """

    AUTO_HEIGHT = False  # True when the CSS height is auto: the row count changes the layout

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._row_cache: LRUCache[Hashable, Strip] = LRUCache(256)
        self.row_count = 0
        self._base_style: Style | None = None

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
        """Resize the virtual canvas and drop cached rows.

        Assigning ``virtual_size`` re-lays out the whole screen (it is a layout reactive), which
        repaints every widget: 20-40 ms per cursor move. A view whose box does not depend on
        its row count (fixed height, scrollbar always shown) only needs its scrollbar updated.
        """
        layout = self.AUTO_HEIGHT and count != self.row_count
        self.row_count = count
        self._row_cache.clear()
        size = Size(self.row_width, count)
        if layout or not self.is_mounted:
            self.virtual_size = size
        else:
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)  # Textual's own path after a resize (pinned 8.2.8)
        self.refresh()

    def clear_row_cache(self) -> None:
        """Forget every rendered row and repaint (after a change of content or style)."""
        self._row_cache.clear()
        self.refresh()

    def on_resize(self) -> None:
        """Rows are rendered at the width: drop them and size the canvas again."""
        self._row_cache.clear()
        self.virtual_size = Size(self.row_width, self.row_count)

    def on_focus(self) -> None:
        """The focus changes the style of rows: render them again."""
        self.clear_row_cache()

    def on_blur(self) -> None:
        """The focus changes the style of rows: render them again."""
        self.clear_row_cache()

    def render_lines(self, crop: Region) -> list[Strip]:
        """Look up the base style once for the whole render pass."""
        # ``rich_style`` walks up the DOM on every access: look it up once per render pass.
        self._base_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the screen: its row rendered (or taken from the cache) at the width."""
        _, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.row_width
        base = self._base_style or self.rich_style
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
        """Scroll so ``row`` is on screen; stepping past an edge scrolls half a page.

        Half-page steps (mutt scrolls a whole page) keep context in view and repaint the list
        once per half page instead of on every move: a full repaint of the pane costs as much
        as updating the timeline and the diff.
        """
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = round(self.scroll_y)
        if top <= row < top + height:
            return
        step = max(height // 2, 1)
        if row == top - 1:
            target = row - step + 1
        elif row == top + height:
            target = row - height + step
        else:
            target = row - height // 2  # a jump (search, Home/End, page): centre it
        target = max(0, min(target, max(self.row_count - height, 0)))
        self.scroll_to(y=target, animate=False, immediate=True)

    @staticmethod
    def styled(style: Style | None) -> Style:
        """``style``, or an empty style for None."""
        return style or Style()
