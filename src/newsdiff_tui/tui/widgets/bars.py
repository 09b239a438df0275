"""One-line bars: the header (counts, network, pair shown) and the status bar (progress)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


def _two_sided(left: Text, right: Text, width: int) -> Text:
    """``left`` and ``right`` on one line, ``right`` flush right, ``left`` cut if needed."""
    room = max(width - right.cell_len - 1, 0)
    left = left.copy()
    left.truncate(room, overflow="ellipsis")
    gap = max(width - left.cell_len - right.cell_len, 1)
    return Text.assemble(left, " " * gap, right, no_wrap=True)


class AppHeader(Widget):
    """``newsdiff-tui — 42 articles · 7 changed today · online`` on the left; on the right the
    selected article's last failed check, if any, and the pair on display."""

    DEFAULT_CSS = """
    AppHeader { height: 1; }
    AppHeader > .app-header--problem { color: $error; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"app-header--problem"}

    summary: reactive[str] = reactive("")
    network: reactive[str] = reactive("")
    problem: reactive[str] = reactive("")  # safe text already (see fmt.failure_text)
    pair: reactive[str] = reactive("")

    def render(self) -> Text:
        """Counts and freshness on the left; the last problem and the pair on the right."""
        left = Text.assemble(("newsdiff-tui", "bold"), " — ", self.summary)
        if self.network:
            left.append(f" · {self.network}")
        right = Text()
        if self.problem:
            right.append(f"! {self.problem}", self.get_component_rich_style("app-header--problem"))
            right.truncate(max(self.size.width // 2, 10), overflow="ellipsis")
            if self.pair:
                right.append("  ")
        right.append(self.pair, "bold")
        return _two_sided(left, right, self.size.width)


class StatusBar(Widget):
    """Refresh progress and each article's state while checked; otherwise sort and filter."""

    DEFAULT_CSS = "StatusBar { height: 1; }"

    message: reactive[Text | str] = reactive("")
    view: reactive[str] = reactive("")

    def render(self) -> Text:
        """The last message on the left, the view's settings on the right."""
        message = self.message if isinstance(self.message, Text) else Text(self.message)
        return _two_sided(message, Text(self.view), self.size.width)
