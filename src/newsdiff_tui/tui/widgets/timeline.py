"""The version timeline of the selected article: time, gap, change stats, boring/revert marks.

The change stats of each row need a diff of the version with the one before it; the screen's
worker computes them off the UI thread and hands them over with ``set_stats``. Until a row's
stats arrive it shows ``…``: rendering a row never diffs anything.

Where a version's text was seen is marked when an article has versions from elsewhere (``⌂``
a Wayback Machine capture, ``i`` another tracker's import), and the pane's bottom border names
the selected one's origin (``v0 · archived 22 Nov 2019 09:15 · web.archive.org``) before the
article's check state. ``MARKS`` explains every mark (the help screen lists it).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import tzinfo
from typing import ClassVar
from urllib.parse import urlsplit

from rich.text import Text
from textual.binding import BindingType
from textual.events import Click
from textual.message import Message

from newsdiff_tui.model import Version
from newsdiff_tui.tui.fmt import clock_time, local, safe, short_gap
from newsdiff_tui.tui.keys import VERSIONS, move_binding, pane_bindings
from newsdiff_tui.tui.widgets.lineview import LineView

Pair = tuple[int, int]  # (old version number, new version number)
PENDING = "…"
ORIGIN_MARKS = {"wayback": "⌂", "import": "i"}  # live versions have none
# Every mark a row can carry, for the help screen and the README.
MARKS: tuple[tuple[str, str], ...] = (
    ("⌂", "archived: the text of a Wayback Machine capture, at its capture time (W)"),
    ("i", "imported from another tracker (newsdiff-tui import)"),
    ("↺ back to vN", "the text returned to that of an earlier version"),
    ("· boring", "only whitespace, quotes, dashes or punctuation changed (h shows them)"),
    ("◆ base", "the base version the selected one is compared with (b)"),
    ("~5¶ +1¶ +61 −38 words", "paragraphs changed, added, removed, moved; words added, removed"),
)


def origin_note(version: Version, tz: tzinfo | None) -> str:
    """Where a version's text was seen, for one line (safe text); "" for our own fetches."""
    if version.origin == "wayback":
        when = local(version.fetched_at, tz).strftime("%d %b %Y %H:%M")
        host = urlsplit(version.origin_url or "").hostname
        return f"v{version.number} · archived {when}" + (f" · {safe(host)}" if host else "")
    if version.origin == "import":
        ref = f" · original id {safe(version.origin_ref)}" if version.origin_ref else ""
        return f"v{version.number} · imported{ref}"
    return ""


class VersionTimeline(LineView):
    """One row per version (boring ones hidden unless shown); the cursor picks the new side."""

    BINDINGS: ClassVar[list[BindingType]] = [
        move_binding("cursor.up", "cursor(-1)"),
        move_binding("cursor.down", "cursor(1)"),
        move_binding("cursor.page_up", "cursor(-10)"),
        move_binding("cursor.page_down", "cursor(10)"),
        move_binding("cursor.top", "jump(0)"),
        move_binding("cursor.bottom", "jump(-1)"),
        move_binding("cursor.open", "open"),
        *pane_bindings(VERSIONS),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "version-timeline--cursor",
        "version-timeline--cursor-blurred",
        "version-timeline--dim",
        "version-timeline--mark",
        "version-timeline--base",
        "version-timeline--origin",
    }

    AUTO_HEIGHT = True
    DEFAULT_CSS = """
    VersionTimeline {
        overflow-y: auto;
    }
    VersionTimeline > .version-timeline--origin {
        color: $primary;
        text-style: bold;
    }
    """

    class Highlighted(Message):
        """The cursor moved to another version."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class Opened(Message):
        """Enter was pressed on a version."""

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.versions: list[Version] = []
        self.shown: list[Version] = []
        self.show_boring = False
        self.base: int | None = None
        self.cursor = 0
        self.stats: dict[Pair, str] = {}
        self._tz = tz
        self._generation = 0  # bumps when the rows change, for the row cache key
        self._marked = False  # whether rows have an origin column (versions from elsewhere)
        self._check_note: str | Text = ""  # the article's check state, set by the screen

    # ----- data -------------------------------------------------------------------------
    def set_versions(
        self, versions: list[Version], *, select: int | None = None, base: int | None = None
    ) -> None:
        """Show an article's versions; the cursor goes to ``select`` if it is shown, else to
        the latest visible version. ``base`` keeps a base version (on a reload)."""
        known = {v.number for v in versions}
        before = [v.text_hash for v in self.versions]
        if [v.text_hash for v in versions[: len(before)]] != before:
            self.stats = {}  # another article (a reload that only adds versions keeps them)
        self.versions = versions
        self.base = base if base in known else None
        self._marked = any(v.origin != "live" for v in versions)
        self._recompute(select=select)

    def renumbered(self, number: int | None, versions: Sequence[Version]) -> int | None:
        """The number that version ``number`` of the versions shown now has in ``versions``,
        a reload of the same article: versions seen earlier (a backfill, an import) may have
        come in before it and shifted its number. None if it is gone."""
        old = next((v for v in self.versions if v.number == number), None)
        if old is None:
            return None
        same = (old.fetched_at, old.text_hash)
        return next((v.number for v in versions if (v.fetched_at, v.text_hash) == same), None)

    def seen_after_latest(self, versions: Sequence[Version]) -> int:
        """How many of ``versions`` (a reload) were seen after the latest version shown now:
        new versions, rather than earlier ones a backfill or an import placed before it."""
        if not self.versions:
            return len(versions)
        latest = self.versions[-1].fetched_at
        return sum(1 for v in versions if v.fetched_at > latest)

    def set_check_note(self, note: str | Text) -> None:
        """The article's check state for the bottom border (after the selected version's
        origin); a ``Text``, so that web text in it is never read as markup."""
        self._check_note = note
        self._update_note()

    def _update_note(self) -> None:
        """The bottom border: the selected version's origin (if not ours), the check state."""
        selected = self.selected
        origin = origin_note(selected, self._tz) if selected is not None else ""
        note = self._check_note
        if origin:
            note = Text.assemble(origin, " · ", note) if note else Text(origin)
        self.border_subtitle = note  # type: ignore[assignment]

    def set_show_boring(self, show: bool) -> None:
        """Show or hide boring versions, keeping the cursor on its version."""
        self.show_boring = show
        self._recompute(select=self.selected.number if self.selected else None)

    def set_stats(self, stats: dict[Pair, str]) -> None:
        """Take change stats computed by a worker (for the versions shown now)."""
        self.stats.update(stats)
        self._generation += 1
        self.clear_row_cache()

    def _recompute(self, select: int | None) -> None:
        """Pick the versions to show (the base always), the cursor on ``select`` or the latest."""
        self.shown = [
            v for v in self.versions if self.show_boring or not v.boring or v.number == self.base
        ]
        numbers = [v.number for v in self.shown]
        if select in numbers:
            self.cursor = numbers.index(select)
        else:
            self.cursor = max(len(self.shown) - 1, 0)
        self._generation += 1
        self._update_note()
        self.set_row_count(len(self.shown))
        self.scroll_row_visible(self.cursor)
        # The height follows the row count (auto height): scroll again once laid out, or a
        # long timeline shows its first rows while the cursor is on its last.
        self.call_after_refresh(self.scroll_row_visible, self.cursor)

    @property
    def selected(self) -> Version | None:
        """The version under the cursor, None when there is none."""
        return self.shown[self.cursor] if self.shown else None

    def previous_of(self, version: Version) -> Version | None:
        """The version shown before ``version`` in the timeline (boring ones may be skipped)."""
        numbers = [v.number for v in self.shown]
        if version.number not in numbers:
            return None
        index = numbers.index(version.number)
        return self.shown[index - 1] if index > 0 else None

    def neighbour_pairs(self) -> list[tuple[Version, Version]]:
        """The (previous, version) pairs whose stats the rows show, nearest the cursor first."""
        pairs = [(self.shown[i - 1], self.shown[i]) for i in range(1, len(self.shown))]
        pairs.sort(key=lambda pair: abs(self.shown.index(pair[1]) - self.cursor))
        return [p for p in pairs if (p[0].number, p[1].number) not in self.stats]

    def select_number(self, number: int) -> None:
        """Put the cursor on version ``number``, if it is shown."""
        numbers = [v.number for v in self.shown]
        if number in numbers:
            self.move_to(numbers.index(number))

    def toggle_base(self) -> int | None:
        """Mark the selected version as the base of comparisons, or unmark it."""
        selected = self.selected
        if selected is None:
            return None
        self.base = None if self.base == selected.number else selected.number
        self._generation += 1
        self.clear_row_cache()
        return self.base

    def clear_base(self) -> None:
        """Unmark the base version: diffs compare with the previous version again."""
        self.base = None
        self._generation += 1
        self.clear_row_cache()

    # ----- movement ---------------------------------------------------------------------
    def move_to(self, index: int) -> None:
        """Put the cursor on row ``index`` (clamped) and announce the version there."""
        count = len(self.shown)
        index = max(0, min(index, count - 1)) if count else 0
        if index == self.cursor:
            return
        old, self.cursor = self.cursor, index
        self._update_note()
        self.refresh_line(old)
        self.refresh_line(index)
        self.scroll_row_visible(index)
        self.post_message(self.Highlighted(self.shown[index].number))

    def action_cursor(self, delta: int) -> None:
        """Move the cursor ``delta`` rows (the movement keys)."""
        self.move_to(self.cursor + delta)

    def action_jump(self, where: int) -> None:
        """Go to the first version (0) or the latest (-1)."""
        self.move_to(len(self.shown) - 1 if where < 0 else where)

    def action_open(self) -> None:
        """Enter: open the selected version's diff."""
        self.post_message(self.Opened())

    def on_click(self, event: Click) -> None:
        """A click selects the version clicked."""
        row = round(self.scroll_y) + event.y
        if 0 <= row < len(self.shown):
            self.move_to(row)

    # ----- rendering --------------------------------------------------------------------
    def row_key(self, row: int, width: int) -> Hashable:
        """A row changes with the rows, the cursor, the focus and the width."""
        return (self._generation, row, row == self.cursor, self.has_focus, width)

    def render_row(self, row: int, width: int) -> Text:
        """One version: number, origin, time, gap since the previous, marks and change figures."""
        style = self.get_component_rich_style
        version = self.shown[row]
        previous = self.shown[row - 1] if row > 0 else None
        when = clock_time(version.fetched_at, self._tz)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("▶ " if row == self.cursor else "  ")
        line.append(f"v{version.number:<3}", style("version-timeline--mark"))
        if self._marked:
            line.append(ORIGIN_MARKS.get(version.origin, " "), style("version-timeline--origin"))
            line.append(" ")
        line.append(f"{when}  ")
        if previous is None:
            line.append(f"{'first seen':<9}", style("version-timeline--dim"))
        else:
            gap = (version.fetched_at - previous.fetched_at).total_seconds()
            line.append(f"{'+' + short_gap(gap):<9}", style("version-timeline--dim"))
        # Marks before the stats, so a narrow pane cuts the stats rather than the marks.
        if self.base == version.number:
            line.append(" ◆ base", style("version-timeline--base"))
        if version.revert_of is not None:
            line.append(f" ↺ back to v{version.revert_of}", style("version-timeline--mark"))
        if version.boring:
            line.append(" · boring", style("version-timeline--dim"))
        if previous is not None:
            stats = self.stats.get((previous.number, version.number), PENDING)
            line.append("  " + stats)
        line.truncate(width, overflow="ellipsis", pad=True)
        if row == self.cursor:
            cursor = (
                "version-timeline--cursor" if self.has_focus else "version-timeline--cursor-blurred"
            )
            line.stylize(style(cursor))
        return line
