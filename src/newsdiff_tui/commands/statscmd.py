"""The ``stats`` command: per-source figures of how articles change, as text, Markdown or JSON.

The figures are ``newsdiff_tui.stats``'s (see its definitions); this module lays them out: a
table per source plus all sources, and a histogram of the time to the first change as a
terminal bar chart (text) or a table with bars (Markdown).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from newsdiff_tui.commands.common import open_store, parse_since, print_json
from newsdiff_tui.export import md_escape
from newsdiff_tui.stats import HISTOGRAM_BINS, SourceStats, StatsReport, collect_stats
from newsdiff_tui.statstable import HEADERS, bars, report_rows, scope_text

BAR_WIDTH = 40

DESCRIPTION = """\
Per source (outlet): how many articles, how many versions each (mean, median, max), the share
changed at all and within 24 hours of being first seen, the median time to the first change,
the share with a headline change, and what kind of paragraph edits they were (added, deleted,
modified, moved); then a histogram of the time to the first change.

Versions are those stored, boring ones included, and times are measured between them, so the
figures depend on how often the articles were checked (see the README's "Statistics")."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``stats`` subcommand to the CLI."""
    p = sub.add_parser(
        "stats",
        help="per-source figures: how often, how fast and how articles change",
        description=DESCRIPTION,
        epilog="examples:\n"
        "  newsdiff-tui stats\n"
        "  newsdiff-tui stats --source bbc --since 2024-01-01\n"
        "  newsdiff-tui stats --format markdown > stats.md\n"
        "  newsdiff-tui stats --json                 one JSON object per source, per line",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", help="only this source (as `list` shows it)")
    p.add_argument(
        "--since", metavar="DATE", help="only articles first seen since DATE (YYYY-MM-DD)"
    )
    p.add_argument(
        "--format",
        dest="stats_format",
        choices=("text", "markdown", "json"),
        default="text",
        help="text (default), a Markdown report, or JSON lines",
    )
    p.add_argument(
        "--json", action="store_true", help="the same as --format json: one object per source"
    )
    p.set_defaults(handler=run_stats)


def run_stats(args: argparse.Namespace) -> int:
    """Collect the figures and print them in the chosen format."""
    since = parse_since(args.since)
    with open_store(args, create=False) as store:
        report = collect_stats(store, source=args.source, since=since, progress=_progress_printer())
    fmt = "json" if args.json else args.stats_format
    if fmt == "json":
        for source in report.sources:
            print_json(source_json(source))
    elif fmt == "markdown":
        sys.stdout.write(render_markdown(report))
    else:
        sys.stdout.write(render_text(report))
    return 0


def _progress_printer() -> Any:
    """A progress callback that counts on a terminal's stderr for long runs, else None."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        """Show ``done/total`` on one line, for runs of 500 articles or more."""
        if total >= 500 and (done % 200 == 0 or done == total):
            end = "\n" if done == total else ""
            print(f"\rreading histories {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


# ----- formatting ---------------------------------------------------------------------------


def render_text(report: StatsReport) -> str:
    """An aligned table (numbers right-aligned) and the histogram as a bar chart."""
    rows = report_rows(report)
    widths = [max(len(r[k]) for r in [HEADERS, *rows]) for k in range(len(HEADERS))]

    def line(cells: list[str]) -> str:
        """A table row: the first cell left-aligned, the numbers right-aligned."""
        out = [cells[0].ljust(widths[0])]
        out += [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(out).rstrip()

    title = f"Statistics of {report.overall.articles} article(s) {scope_text(report)}"
    lines = [title.rstrip(), ""]
    lines += [line(HEADERS), *(line(r) for r in rows), ""]
    overall = report.overall
    lines.append(f"Time to the first change ({overall.changed} changed article(s)):")
    total = overall.changed or 1
    label_width = max(len(label) for label, _ in HISTOGRAM_BINS)
    for (label, _), n, bar in zip(
        HISTOGRAM_BINS, overall.histogram, bars(overall.histogram, BAR_WIDTH), strict=True
    ):
        lines.append(f"  {label:<{label_width}}  {n:>6}  {n / total:>4.0%}  {bar}".rstrip())
    return "\n".join(lines) + "\n"


def render_markdown(report: StatsReport) -> str:
    """The same report as Markdown: a table of sources and a histogram table with bars."""

    def md_row(cells: list[str]) -> str:
        """A Markdown table row, the source name escaped and every ``|`` too."""
        # Only the first cell (a source name, from a URL) is outside text; all are escaped
        # for | but numbers and our labels need nothing else.
        first, *rest = cells
        return "| " + " | ".join([md_escape(first), *(c.replace("|", "\\|") for c in rest)]) + " |"

    title = f"Statistics of {report.overall.articles} article(s) {md_escape(scope_text(report))}"
    lines = [f"# {title.rstrip()}", ""]
    lines += [md_row(HEADERS), "| --- " + "| ---: " * (len(HEADERS) - 1) + "|"]
    lines += [md_row(r) for r in report_rows(report)]
    overall = report.overall
    lines += ["", f"## Time to the first change ({overall.changed} changed article(s))", ""]
    lines += ["| time to first change | articles | share | |", "| --- | ---: | ---: | --- |"]
    total = overall.changed or 1
    for (label, _), n, bar in zip(
        HISTOGRAM_BINS, overall.histogram, bars(overall.histogram, BAR_WIDTH), strict=True
    ):
        lines.append(md_row([label, str(n), f"{n / total:.0%}", bar]))
    return "\n".join(lines) + "\n"


def source_json(stats: SourceStats) -> dict[str, Any]:
    """One source's figures as a JSON-ready dict (shares as fractions 0..1, times in seconds)."""
    median = stats.first_change_median
    return {
        "source": stats.source,
        "articles": stats.articles,
        "versions_mean": round(stats.versions_mean, 4),
        "versions_median": stats.versions_median,
        "versions_max": stats.versions_max,
        "changed": stats.changed,
        "changed_share": round(stats.changed_share, 4),
        "changed_24h_share": round(stats.changed_24h_share, 4),
        "first_change_median_s": None if median is None else int(median.total_seconds()),
        "headline_changed_share": round(stats.headline_changed_share, 4),
        "paragraphs": stats.paragraphs,
        "paragraph_shares": {
            kind: None if share is None else round(share, 4)
            for kind, share in stats.paragraph_shares.items()
        },
        "first_change_histogram": [
            {
                "bin": label,
                "below_s": None if upper is None else int(upper.total_seconds()),
                "count": n,
            }
            for (label, upper), n in zip(HISTOGRAM_BINS, stats.histogram, strict=True)
        ],
    }
