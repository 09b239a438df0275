"""The stats screen (S): per source, how often and how fast articles change, and a chart.

The figures are ``stats.collect_stats``'s, written as the ``stats`` command writes them
(``statstable``): a table with a row per source (all sources first, then by article count),
and a bar chart of the time to the first change of the source under the table's cursor. Reading
every history takes a while on a big cache, so a thread worker collects them while a progress
bar counts the histories read; Escape closes the screen (and stops the worker between two
histories).
"""

from __future__ import annotations

import textwrap
import time
from itertools import accumulate
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, ProgressBar, Static
from textual.worker import get_current_worker

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.stats import ALL_SOURCES, HISTOGRAM_BINS, SourceStats, StatsReport, collect_stats
from newsdiff_tui.statstable import HEADERS, bar, percent, source_row, sparkline
from newsdiff_tui.store import Store
from newsdiff_tui.tui.activity import step_aside
from newsdiff_tui.tui.fmt import safe
from newsdiff_tui.tui.messages import StatsCollected, StatsProgress

POST_EVERY = 0.1  # seconds between two progress messages
STEP_EVERY = 20  # histories read between two pauses for the UI thread
HEADER_WIDTH = 11  # a column header is wrapped on two lines at this width
NOTE = (
    "Measured between stored versions, so how often articles were checked drives these "
    "figures (see the README's Statistics)."
)


class _Cancelled(Exception):
    """The screen was closed while the statistics were being collected."""


class FirstChangeChart(Widget):
    """A bar chart of the time to the first change of one source: a bar per bin, scaled to
    the widget's width, with the count, the share and the share by then (cumulative)."""

    DEFAULT_CSS = """
    FirstChangeChart { height: auto; }
    FirstChangeChart > .first-change-chart--bar { color: $accent; }
    FirstChangeChart > .first-change-chart--dim { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"first-change-chart--bar", "first-change-chart--dim"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.stats: SourceStats | None = None

    def show(self, stats: SourceStats) -> None:
        """Chart ``stats``'s histogram, naming the source in the border."""
        self.stats = stats
        noun = "article" if stats.changed == 1 else "articles"
        self.border_title = f"Time to the first change · {safe(stats.source)}"
        self.border_subtitle = f"{stats.changed} changed {noun} of {stats.articles}"
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        """A header line and a line per bin."""
        return len(HISTOGRAM_BINS) + 1

    def render(self) -> Text:
        """The chart of the source shown: per bin its count, share, share by then and bar."""
        stats = self.stats
        if stats is None:
            return Text()
        style = self.get_component_rich_style
        dim = style("first-change-chart--dim")
        label_width = max(len(label) for label, _ in HISTOGRAM_BINS)
        head = f"{'':<{label_width}}  articles  share  by then  "
        out = Text(head.rstrip(), dim, no_wrap=True)
        if not stats.changed:
            out.append("\n")
            out.append("No article of this source has changed: nothing to chart yet.")
            return out
        room = max(self.size.width - len(head), 1)
        top = max(stats.histogram)
        shares = [n / stats.changed for n in stats.histogram]
        for (label, _), n, share, by_then in zip(
            HISTOGRAM_BINS, stats.histogram, shares, accumulate(shares), strict=True
        ):
            out.append("\n")
            out.append(f"{label:<{label_width}}  {n:>8}  {percent(share):>5}  ")
            out.append(f"{percent(by_then):>7}  ", dim)
            out.append(bar(n, top, room, eighths=True), style("first-change-chart--bar"))
        return out


class StatsScreen(Screen[None]):
    """Statistics of the whole cache, per source; Escape (or q, or S) closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,S", "close", "Close", key_display="Esc"),
    ]
    DEFAULT_CSS = """
    StatsScreen { layout: vertical; }
    StatsScreen #stats-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    StatsScreen #stats-progress { height: auto; padding: 1 2; }
    StatsScreen #stats-progress ProgressBar { margin-top: 1; }
    StatsScreen DataTable {
        height: 1fr;
        min-height: 6;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
    }
    StatsScreen DataTable:focus { border: round $accent; border-title-color: $text; }
    StatsScreen FirstChangeChart {
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        padding: 0 1;
    }
    StatsScreen #stats-note { height: 1; padding: 0 1; color: $text-muted; }
    StatsScreen .-hidden { display: none; }
    """

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.report: StatsReport | None = None
        self.by_source: dict[str, SourceStats] = {}

    # ----- layout ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("Statistics", id="stats-title")
        with Vertical(id="stats-progress"):
            yield Static("Reading every article's history…", id="stats-reading")
            yield ProgressBar(show_eta=False, id="stats-bar")
        table: DataTable[Text] = DataTable(
            id="stats-table",
            zebra_stripes=True,
            cursor_type="row",
            header_height=2,
            fixed_columns=1,
            classes="-hidden",
        )
        table.border_title = "Per source"
        table.border_subtitle = "↑↓ picks the source the chart shows"
        yield table
        yield FirstChangeChart(id="stats-chart")
        yield Static(
            Text(NOTE, no_wrap=True, overflow="ellipsis"), id="stats-note", classes="-hidden"
        )
        yield Footer()

    @property
    def table(self) -> DataTable[Text]:
        """The per-source table."""
        return self.query_one("#stats-table", DataTable)

    @property
    def chart(self) -> FirstChangeChart:
        """The chart of the source picked in the table."""
        return self.query_one("#stats-chart", FirstChangeChart)

    def on_mount(self) -> None:
        """Hide the chart until the figures arrive, and start collecting them."""
        self.chart.add_class("-hidden")
        self.collect()

    def action_close(self) -> None:
        """Close the statistics (Escape, q or S)."""
        self.dismiss(None)

    # ----- collecting -----------------------------------------------------------------
    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="stats-report",
        description="collect the statistics",
    )
    def collect(self) -> None:
        """Read every history and compute the figures, posting progress as it goes."""
        worker = get_current_worker()
        posted = 0.0

        def progress(done: int, total: int) -> None:
            """Post progress at most every ``POST_EVERY`` seconds; stop if the screen was closed."""
            nonlocal posted
            if worker.is_cancelled:
                raise _Cancelled
            now = time.monotonic()
            if done == total or now - posted >= POST_EVERY:
                posted = now
                self.post_message(StatsProgress(done, total))
            if done % STEP_EVERY == 0:
                step_aside()  # let the UI thread have the GIL, above all while it answers a key

        try:
            report = collect_stats(self.store, progress=progress)
        except _Cancelled:
            return
        except NewsdiffError as exc:
            self.post_message(StatsCollected(None, str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(StatsCollected(report))

    def on_stats_progress(self, message: StatsProgress) -> None:
        """Show how many histories have been read."""
        progress_bar = self.query_one("#stats-bar", ProgressBar)
        progress_bar.update(total=message.total, progress=message.done)
        self.query_one("#stats-reading", Static).update(
            f"Reading every article's history… {message.done} of {message.total}"
        )

    def on_stats_collected(self, message: StatsCollected) -> None:
        """Show the figures, or why there are none."""
        if message.report is None:
            self.query_one("#stats-reading", Static).update(
                Text.assemble(("No statistics: ", "bold"), safe(message.error))
            )
            self.query_one("#stats-bar", ProgressBar).add_class("-hidden")
            return
        self.show_report(message.report)

    # ----- showing --------------------------------------------------------------------
    def show_report(self, report: StatsReport) -> None:
        """Fill the table (all sources first, then the biggest sources) and chart the first."""
        self.report = report
        overall = report.overall
        noun = "article" if overall.articles == 1 else "articles"
        sources = len(report.sources)
        self.query_one("#stats-title", Static).update(
            f"Statistics of {overall.articles} {noun} from {sources} "
            f"source{'' if sources == 1 else 's'}"
        )
        rows = sorted(report.sources, key=lambda s: (-s.articles, s.source.casefold()))
        if sources > 1:
            rows.insert(0, overall)
        table = self.table
        for n, header in enumerate([*HEADERS, "1st change shape"]):
            label = textwrap.fill(header, HEADER_WIDTH, break_long_words=False)
            table.add_column(Text(label, justify="left" if n == 0 else "right"), key=str(n))
        for stats in rows:
            cells = [*source_row(stats), sparkline(stats.histogram)]
            first, *rest = cells
            style = "bold" if stats.source == ALL_SOURCES else ""
            table.add_row(
                Text(first, style),
                *(Text(cell, style, justify="right") for cell in rest),
                key=stats.source,
            )
            self.by_source[stats.source] = stats
        self.query_one("#stats-progress").add_class("-hidden")
        for widget in (table, self.chart, self.query_one("#stats-note")):
            widget.remove_class("-hidden")
        self.chart.show(rows[0])
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Chart the source the table's cursor moved to."""
        stats = self.by_source.get(str(event.row_key.value))
        if stats is not None:
            self.chart.show(stats)
