"""Archive commands: ``backfill`` (and ``add --backfill``): versions from the Wayback Machine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from newsdiff_tui.commands.common import open_store, parse_since, positive_int, warn
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.model import WAYBACK_WEB, Article
from newsdiff_tui.store import Store
from newsdiff_tui.textnorm import display_safe

# The archive client (asyncio, httpx) and the backfill (the extractor, lxml) load when a
# backfill runs: every command builds this module's parser.
if TYPE_CHECKING:
    from newsdiff_tui.backfill import BackfillEvent, BackfillOptions

EXIT_ARCHIVE_UNUSABLE = 1

BACKFILL_EPILOG = f"""\
what it does:
  For each article, search the Internet Archive's Wayback Machine for captures up to
  the article's first live version (all captures when it has none, e.g. an imported
  history), download each distinct capture once, extract it as a live fetch would, and
  store the texts that differ, at their capture times: archived versions can come before
  version 0, and say where they came from (list, exports). Error pages and redirect stubs
  the archive kept are refused, never stored. A run can be interrupted at any time: what
  it stored stays, and the next run downloads only the captures it has not seen.

politeness (the archive blocks IPs that ignore its limits):
  at most 24 searches a minute and 2 captures a second, shared by everything this process
  does; an HTTP 429 pauses all archive requests for its Retry-After (60 s without one,
  doubling if it repeats) and three in a row stop the run. $NEWSDIFF_WAYBACK_URL replaces
  the archive's scheme and host (default {WAYBACK_WEB}).

exit status: 0 when the run happened (failures are recorded on their articles and shown
here); 1 when the archive could not be used (unreachable, or it asked us to stop); 2 for
usage or cache errors.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``backfill`` subcommand to the CLI."""
    p = sub.add_parser(
        "backfill",
        help="add versions from before tracking began, from the Wayback Machine",
        description="Add versions of tracked articles from the Wayback Machine's captures "
        "of them: the history from before tracking began.",
        epilog=BACKFILL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "articles",
        nargs="*",
        metavar="ARTICLE",
        help="an article id, a URL, or a search term matching one article",
    )
    p.add_argument("--all", action="store_true", help="every tracked article")
    p.add_argument(
        "--since",
        metavar="DATE",
        help="only captures from DATE on (YYYY-MM-DD or an ISO 8601 time, UTC)",
    )
    p.add_argument(
        "--limit",
        type=positive_int,
        metavar="N",
        help="download at most N captures per article in this run (a later run goes on)",
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", help="print only each article's result and a summary"
    )
    p.set_defaults(handler=run_backfill)


def run_backfill(args: argparse.Namespace) -> int:
    """``newsdiff-tui backfill ARTICLE...|--all``."""
    from newsdiff_tui.backfill import BackfillOptions

    if args.all == bool(args.articles):
        raise NewsdiffError("name the articles to backfill, or use --all (not both)")
    options = BackfillOptions(since=parse_since(args.since), limit=args.limit)
    with open_store(args, create=False) as store:
        if args.all:
            articles = store.articles()
        else:
            found = {a.id: a for a in (store.resolve(ref) for ref in args.articles)}
            articles = list(found.values())
        if not articles:
            print("no articles are tracked: nothing to backfill")
            return 0
        return backfill_articles(store, articles, options, quiet=args.quiet)


def backfill_articles(
    store: Store,
    articles: Sequence[Article],
    options: BackfillOptions | None = None,
    *,
    quiet: bool = False,
) -> int:
    """Backfill ``articles``, printing progress and a summary; returns the exit status.

    Shared by ``backfill`` and ``add --backfill``.
    """
    import asyncio

    from newsdiff_tui.archive import archive_base
    from newsdiff_tui.backfill import backfill_run

    archive_base()  # a bad NEWSDIFF_WAYBACK_URL is a usage error before anything starts
    printer = _Progress(sys.stdout, quiet=quiet)
    summary = asyncio.run(backfill_run(store, articles, options, on_event=printer))
    print(summary.line())
    return EXIT_ARCHIVE_UNUSABLE if summary.stopped else 0


class _Progress:
    """Prints backfill events: each capture as ``i/N captures``, each article's result."""

    def __init__(self, stream: TextIO, *, quiet: bool) -> None:
        self.stream = stream
        self.quiet = quiet

    def __call__(self, event: BackfillEvent) -> None:
        """Print a backfill event (only results when quiet); a pause goes to stderr."""
        message = display_safe(event.message)  # archive answers and URLs are web text
        if event.state == "paused":
            warn(message)
            return
        if event.state in {"done", "failed"}:
            line = f"{event.article_id}  {message}"
        elif self.quiet:
            return
        elif event.state == "capture":
            line = f"{event.article_id}  {event.index}/{event.total} captures  {message}"
        else:
            line = f"{event.article_id}  {message}"
        print(line, file=self.stream, flush=True)


__all__ = ["backfill_articles", "register"]
