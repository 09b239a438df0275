"""Cache commands: ``import`` (JSON histories, and other trackers' data through ``importers``),
``list`` and ``doctor``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsdiff_tui.commands.common import EXIT_USAGE, open_store, print_json, warn
from newsdiff_tui.errors import NewsdiffError, NoCacheError
from newsdiff_tui.history import apply_history, parse_history
from newsdiff_tui.importers import FORMAT_NAMES
from newsdiff_tui.inputs import input_name, read_input_json
from newsdiff_tui.model import Article
from newsdiff_tui.search import check_search_index
from newsdiff_tui.store import article_to_doc, default_root
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import short_time

if TYPE_CHECKING:
    from newsdiff_tui.importers.run import ImportProgress


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``import``, ``list`` and ``doctor`` subcommands to the CLI."""
    p = sub.add_parser(
        "import",
        help="import article histories: JSON files, or another tracker's data",
        description="Import article histories: JSON files (the format --export --format json "
        "writes; the bundled seed file is one), or with --from the data of diffengine, "
        "NewsEdits, NewsDiffs or NewsSniffer. Every source is read and checked before "
        "anything is written: a bad one imports nothing. Importing twice adds nothing.",
        epilog=IMPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="SOURCE",
        help="history files (- reads standard input), or with --from the tracker's data "
        "(see below)",
    )
    p.add_argument(
        "--from",
        dest="import_format",
        choices=("json", *FORMAT_NAMES),
        default="json",
        metavar="FORMAT",
        help=f"what SOURCE is: json (default), {', '.join(FORMAT_NAMES)}",
    )
    p.add_argument(
        "--timezone",
        metavar="ZONE",
        type=_time_zone,
        help="with --from: the zone of the source's times that carry none (default UTC; "
        "NewsDiffs wrote its server's local time, e.g. America/New_York)",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="with --from: leave out articles whose rows are bad (each named on stderr, "
        "exit 1) instead of importing nothing; a source that cannot be read still stops it",
    )
    p.set_defaults(handler=run_import)

    p = sub.add_parser(
        "list",
        help="list tracked articles",
        description="List tracked articles, most recently changed first.",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line: id, url, source, title, versions, first_seen, "
        "last_changed, last_error (why the last check failed, or null) and failures (failed "
        "checks in a row)",
    )
    p.set_defaults(handler=run_list)

    p = sub.add_parser(
        "doctor",
        help="check the cache files and repair the index",
        description="Check every cache file; report problems by path. Corrupt "
        "files are kept for you to inspect.",
    )
    p.add_argument(
        "--rebuild-index",
        action="store_true",
        help="rebuild index.json (and the search index, if built) from the per-article shards",
    )
    p.set_defaults(handler=run_doctor)


IMPORT_EPILOG = """\
formats (--from):
  json         history files (--export --format json); - reads standard input
  diffengine   its SQLite database (diffengine.db)
  newsedits    a NewsEdits outlet file (SQLite, table entryversion); several may be given
  newsdiffs    a NewsDiffs data directory (newsdiffs.db and the git repositories of its
               articles, in it or in its articles/ folder), or its database file; needs git
  newssniffer  a SQLite file with its tables, or a directory of CSV files with a header row:
               news_articles.csv, news_article_versions.csv, news_article_version_texts.csv

Each version keeps its time, its id in the other tracker (e.g. diffengine:123) and its link
there; `list` counts imported versions. Sources are only read, never written.
"""


def _time_zone(name: str) -> tzinfo:
    """A ``--timezone`` value: an IANA zone name (``Europe/London``) or UTC."""
    if name.strip().upper() in {"UTC", "Z"}:
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {name!r} (use a name like Europe/London or UTC)"
        ) from None


def run_import(args: argparse.Namespace) -> int:
    """Import every source, or nothing: all are read and validated before the cache is
    touched (with --keep-going, bad articles are left out and the exit status is 1)."""
    if args.import_format != "json":
        return _import_tracker(args)
    for option, given in (("--timezone", args.timezone), ("--keep-going", args.keep_going)):
        if given:
            raise NewsdiffError(f"{option} applies only to --from {'/'.join(FORMAT_NAMES)}")
    parsed = [
        parse_history(read_input_json(name, what="history"), where=input_name(name))
        for name in args.files
    ]
    with open_store(args) as store:
        for history in parsed:
            article, added = apply_history(store, history)
            title = display_safe(article.title or article.url, one_line=True)
            print(f"imported {added} version(s) of {article.id}  {title}")
    return 0


def _import_tracker(args: argparse.Namespace) -> int:
    """``import --from FORMAT SOURCE...``: progress on stderr, the summary on stdout."""
    from newsdiff_tui.importers.base import ImportOptions
    from newsdiff_tui.importers.run import read_sources, write_staged

    options = ImportOptions(timezone=args.timezone or UTC)
    progress = _ImportProgress(sys.stderr)
    try:
        # Every source is read and checked before the cache is even opened.
        with read_sources(
            args.import_format,
            args.files,
            options=options,
            keep_going=args.keep_going,
            progress=progress,
        ) as staged:
            progress.finish()
            with open_store(args) as store:
                summary = write_staged(store, staged, progress=progress)
    finally:
        progress.finish()
    for problem in summary.problems:
        warn(f"left out {problem.line()}")
    print(summary.line())
    return 1 if summary.problems else 0


class _ImportProgress:
    """Import progress on stderr: one line redrawn in place on a terminal (at most ten times a
    second), otherwise a plain line when reading ends and at every tenth of the writing."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.shown = False
        self.last = 0.0
        self.reported = -1

    def __call__(self, event: ImportProgress) -> None:
        """Show an import event: the line redrawn on a terminal, else a line per tenth written."""
        if event.phase == "reading":
            line = f"reading: {event.articles} article(s), {event.versions} version(s)"
        else:
            line = f"writing: {event.articles}/{event.total} article(s)"
        if self.tty:
            now = time.monotonic()
            if now - self.last >= 0.1 or event.articles == event.total:
                self.last = now
                self.stream.write(f"\r\x1b[K{line}")
                self.stream.flush()
                self.shown = True
            return
        if event.phase == "writing" and event.total:
            if event.articles == 1:
                print(f"read {event.total} article(s)", file=self.stream)
            tenth = event.articles * 10 // event.total
            if tenth > self.reported:
                self.reported = tenth
                print(line, file=self.stream, flush=True)

    def finish(self) -> None:
        """Erase the progress line from the terminal."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def run_list(args: argparse.Namespace) -> int:
    """The tracked articles, most recently changed first; a missing cache is an empty one."""
    try:
        store = open_store(args, create=False)  # listing never creates a cache
    except NoCacheError:
        if not args.json:
            warn(f"no articles in {default_root(args.db)} yet: `newsdiff-tui add URL` tracks one")
        return 0
    with store:
        articles = store.articles()
        if not articles and not args.json:
            warn(f"no articles in {store.root} yet: `newsdiff-tui add URL` tracks one")
        for article in articles:
            if args.json:
                print_json(list_document(article))
                continue
            _print_article(article)
    return 0


def list_document(article: Article) -> dict[str, Any]:
    """One line of ``list --json``: the index document without internals, plus why the last
    check failed (``last_error``, null after a success) and how many failed in a row."""
    doc = article_to_doc(article)
    for internal in ("check", "feed_url", "words"):
        doc.pop(internal, None)
    doc["last_error"] = article.check.last_error
    doc["failures"] = article.check.failures
    return doc


def _print_article(article: Article) -> None:
    """An article as ``list`` shows it: one line, and a second one when its last check failed.

    Titles, sources and errors come from the web or an import file: all go through
    ``display_safe`` so no escape sequence reaches the terminal.
    """
    changed = short_time(article.last_changed) if article.last_changed else "-"
    title = display_safe(article.title or article.url, one_line=True)
    source = display_safe(article.source, one_line=True)
    print(
        f"{article.id}  {source:<12.12} {article.version_count:>3}v  {changed:<16}  {title}"
        f"{_origins(article)}"
    )
    check = article.check
    if check.last_error:
        runs = f"{check.failures} failed check{'s' if check.failures != 1 else ''} in a row"
        print(f"{'':18}! {runs}: {display_safe(check.last_error, one_line=True)}")


def _origins(article: Article) -> str:
    """'  (2 archived, 1 imported)' when some versions were not fetched live, else ''."""
    counts = [
        f"{count} {what}"
        for count, what in (
            (article.archived_versions, "archived"),
            (article.imported_versions, "imported"),
        )
        if count
    ]
    return f"  ({', '.join(counts)})" if counts else ""


def run_doctor(args: argparse.Namespace) -> int:
    """Check every cache file (exit 2 on problems it did not repair); never creates a cache."""
    with open_store(args, create=False) as store:
        report = store.doctor(rebuild_index=args.rebuild_index)
        # The search index (search.py) is derived too; it checks and rebuilds itself.
        check_search_index(store, report, rebuild=args.rebuild_index)
    # Problems quote paths and field names from the cache: printed through display_safe.
    for problem in report.problems:
        print(f"problem: {display_safe(problem, one_line=True)}")
    for repair in report.repaired:
        print(f"repaired: {display_safe(repair, one_line=True)}")
    print(
        f"checked {report.checked_files} file(s): "
        f"{'clean' if report.clean else f'{len(report.problems)} problem(s)'}"
    )
    if report.problems and not report.repaired:
        warn("run `newsdiff-tui doctor --rebuild-index` to rebuild the index")
        return EXIT_USAGE
    return 0
