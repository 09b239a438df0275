"""The statistics laid out for reading: table cells and chart bars.

Shared by the ``stats`` command (text and Markdown) and the TUI's stats screen, so both show
the same figures written the same way: shares as percentages, times as ``2 hours``, the
versions per article as ``avg/median/max``, and the time-to-first-change histogram as bars.
"""

from __future__ import annotations

from datetime import timedelta

from newsdiff_tui.stats import SourceStats, StatsReport
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import humanize_delta, short_time

BLOCK = "█"
EIGHTHS = " ▏▎▍▌▋▊▉"  # a bar's last cell, in eighths of a cell
SPARKS = "▁▂▃▄▅▆▇█"
HEADERS = [
    "source",
    "articles",
    "versions avg/med/max",
    "changed",
    "in 24 h",
    "1st change (median)",
    "headline",
    "¶ add/del/mod/move",
]


def percent(share: float | None) -> str:
    """A share as a percentage: whole when it is one, else with one decimal (16.7%)."""
    if share is None:
        return "-"
    value = share * 100
    return f"{value:.0f}%" if abs(value - round(value)) < 0.05 else f"{value:.1f}%"


def delay_text(delay: timedelta | None) -> str:
    """A time to first change as ``2 hours`` (``-`` when there is none)."""
    return "-" if delay is None else humanize_delta(delay.total_seconds())


def kinds_text(stats: SourceStats) -> str:
    """The shares of added / deleted / modified / moved paragraphs: ``25%/25%/50%/0%``."""
    shares = stats.paragraph_shares
    return "/".join(percent(shares[kind]) for kind in ("added", "deleted", "modified", "moved"))


def source_row(stats: SourceStats) -> list[str]:
    """One source's figures as the cells of ``HEADERS`` (the source name made safe to print)."""
    return [
        display_safe(stats.source),
        str(stats.articles),
        f"{stats.versions_mean:.1f}/{stats.versions_median:g}/{stats.versions_max}",
        percent(stats.changed_share),
        percent(stats.changed_24h_share),
        delay_text(stats.first_change_median),
        percent(stats.headline_changed_share),
        kinds_text(stats),
    ]


def report_rows(report: StatsReport) -> list[list[str]]:
    """A row per source, then all sources together when there are several."""
    rows = [source_row(s) for s in report.sources]
    if len(report.sources) > 1:
        rows.append(source_row(report.overall))
    return rows


def scope_text(report: StatsReport) -> str:
    """The filters a report was made with, in brackets (empty without filters)."""
    parts = []
    if report.source:
        parts.append(f"source {report.source}")
    if report.since:
        parts.append(f"first seen since {short_time(report.since)} UTC")
    return f"({', '.join(parts)})" if parts else ""


def bar(count: int, top: int, width: int, *, eighths: bool = False) -> str:
    """A bar for ``count`` scaled so that ``top`` fills ``width`` cells; with ``eighths`` its
    end is drawn to an eighth of a cell (a terminal's finest bar) and a count above zero
    shows at least a sliver, else it is in whole blocks (as the text report has it)."""
    if count <= 0 or top <= 0 or width <= 0:
        return ""
    if not eighths:
        return BLOCK * round(width * count / top)
    units = max(round(width * 8 * count / top), 1)
    whole, rest = divmod(units, 8)
    return BLOCK * whole + (EIGHTHS[rest] if rest else "")


def bars(histogram: tuple[int, ...], width: int, *, eighths: bool = False) -> list[str]:
    """A bar per bin, scaled so that the largest count fills ``width``."""
    top = max(histogram, default=0)
    return [bar(n, top, width, eighths=eighths) for n in histogram]


def sparkline(histogram: tuple[int, ...]) -> str:
    """The histogram in one cell per bin (``▁`` to ``█``; a space for an empty bin), so each
    source's shape can be compared at a glance in a table."""
    top = max(histogram, default=0)
    if top <= 0:
        return " " * len(histogram)
    out = []
    for n in histogram:
        out.append(" " if n <= 0 else SPARKS[max(round((len(SPARKS) - 1) * n / top), 0)])
    return "".join(out)
