"""Tracking commands: ``add``, ``fetch`` and ``feed add|list|remove``."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, TextIO

from newsdiff_tui.commands.common import EXIT_USAGE, open_store, positive_int, print_json, warn
from newsdiff_tui.config import load_config
from newsdiff_tui.difftext import stats_compact
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.fetchoptions import FetchOptions
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import short_time
from newsdiff_tui.urls import clean_url, url_problem

# The network side (asyncio, httpx), the feeds and the tracker (extraction pool, lxml) load in
# the handlers that use them: every command builds this module's parsers.
if TYPE_CHECKING:
    from newsdiff_tui.feeds import FeedProbe
    from newsdiff_tui.tracker import CheckEvent

EXIT_OFFLINE = 1

FETCH_EPILOG = """\
schedule (how often an article is checked, from the time since it last changed):
  under 3 hours: every 15 min    under 1 day: hourly    under 7 days: every 3 hours
  under 30 days: every 3 days    older: no longer checked (use --all to check anyway)

manners: up to --per-site requests in flight to one site (default 4) with no fixed gap
(--delay sets one). A site that answers 429 or 503 is paused for its Retry-After and gets
half as many requests in flight (down to 1), growing back after successes; connection
errors slow down that site only. The summary names the sites that slowed the run down.
Runs that overlap (cron and a manual fetch, or the app) never check one article at once:
an article another run is checking is skipped. Ctrl+C stops the run; what was stored stays.

network guard: loopback, private, link-local and other non-public addresses are refused
(also after DNS and on redirects). For intranet sites set NEWSDIFF_ALLOW_PRIVATE=1 (every
address) or a list of addresses and networks, e.g. NEWSDIFF_ALLOW_PRIVATE=10.1.0.0/16.

exit status: 0 when the run happened, even if some checks failed (each failure is
recorded on its article and shown by `list`); 1 when there were articles to check but
no server could be reached (offline?); 2 for usage or cache errors; 130 when interrupted.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the tracking subcommands to the CLI."""
    p = sub.add_parser(
        "add",
        help="start tracking article URLs",
        description="Start tracking one or more article URLs (http or https). Tracking "
        "query parameters such as utm_* are removed. The first `fetch` stores version 0.",
    )
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument(
        "--backfill",
        action="store_true",
        help="then add their earlier versions from the Wayback Machine (see `backfill --help`)",
    )
    p.set_defaults(handler=run_add)

    p = sub.add_parser(
        "fetch",
        help="check tracked articles for changes",
        description="Read the followed feeds (tracking new articles), then check the "
        "articles that are due and store every new version. Prints one line per article "
        "(a progress bar on a terminal) and a summary.",
        epilog=FETCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--all", action="store_true", help="check every tracked article, due or not")
    defaults = FetchOptions()
    p.add_argument(
        "--concurrency",
        type=positive_int,
        metavar="N",
        help=f"requests in flight at once, over all sites (default: {defaults.concurrency})",
    )
    p.add_argument(
        "--per-site",
        type=positive_int,
        metavar="N",
        help=f"most requests in flight to one site (default: {defaults.per_site}; halved "
        "while a site answers 429 or 503)",
    )
    p.add_argument(
        "--delay",
        type=_seconds,
        metavar="SECONDS",
        help="least time between the starts of two requests to one site "
        f"(default: {defaults.host_delay:g})",
    )
    p.add_argument("--no-feeds", action="store_true", help="do not read the followed feeds")
    p.add_argument("--quiet", "-q", action="store_true", help="print only failures and the summary")
    p.set_defaults(handler=run_fetch)

    p = sub.add_parser(
        "feed",
        help="follow RSS/Atom feeds",
        description="Follow RSS or Atom feeds: each `fetch` reads them and starts "
        "tracking the articles they list.",
    )
    feed_sub = p.add_subparsers(dest="feed_command", metavar="ACTION", required=True)
    fp = feed_sub.add_parser(
        "add",
        help="follow a feed",
        description="Follow feed URLs. Each is read first: a URL that answers an HTTP error "
        "or is not an RSS or Atom feed (an HTML page, say) is refused and nothing is saved. "
        "When the server cannot be reached (offline), the feed is followed anyway with a "
        "warning, and the next `fetch` reads it.",
    )
    fp.add_argument("urls", nargs="+", metavar="URL")
    fp.add_argument("--no-check", action="store_true", help="follow without reading the feed first")
    fp.set_defaults(handler=run_feed_add)
    fp = feed_sub.add_parser(
        "list", help="list followed feeds", description="List the followed feeds."
    )
    fp.add_argument("--json", action="store_true", help="one JSON object per line")
    fp.set_defaults(handler=run_feed_list)
    fp = feed_sub.add_parser(
        "remove",
        help="stop following a feed",
        description="Stop following feeds (articles they found stay tracked).",
    )
    fp.add_argument("urls", nargs="+", metavar="URL")
    fp.set_defaults(handler=run_feed_remove)


def _seconds(text: str) -> float:
    """The ``--delay`` argument type: a number of seconds from 0 to 3600."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return value


# ----- add -----------------------------------------------------------------------------------
def run_add(args: argparse.Namespace) -> int:
    """``newsdiff-tui add URL...``: track the URLs (all checked first); ``--backfill`` them."""
    urls = []
    for raw in args.urls:
        problem = url_problem(raw.strip())
        if problem:
            raise NewsdiffError(problem)
        urls.append(clean_url(raw))
    with open_store(args) as store:
        known = {a.id for a in store.articles()}
        added = {}
        for url in urls:
            article = store.add_article(url)
            state = "already tracked" if article.id in known else "tracking"
            known.add(article.id)
            added[article.id] = article
            print(f"{state} {article.id}  {_line(url)}")
        if args.backfill:
            from newsdiff_tui.commands.archive import backfill_articles

            return backfill_articles(store, list(added.values()))
    return 0


# ----- fetch ---------------------------------------------------------------------------------
class _Progress:
    """Prints check events: a one-line bar on a terminal, plain lines otherwise.

    A line names the article by its title (its URL until a version gives it one), the new
    version's number and the change (``changed  3f2a…  v3  Title  ~2¶ +14 −3 words``). Web
    text goes through ``display_safe``.
    """

    def __init__(self, stream: TextIO, *, quiet: bool) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.quiet = quiet
        self.done = 0
        self.bar_shown = False

    def __call__(self, event: CheckEvent) -> None:
        """Print a finished check (only failures when quiet) and redraw the bar on a terminal."""
        if event.state == "checking":
            return
        self.done += 1
        if not (self.quiet and event.state != "failed"):
            self._clear()
            print(_event_line(event), file=self.stream, flush=True)
        if self.tty:
            self._bar(event.total)

    def feed(self, url: str, message: str) -> None:
        """A feed was read: failures and refused links always shown (on stderr), others
        unless quiet."""
        if message.startswith(("failed", "refused")):
            self._clear()
            warn(f"feed {_line(url)}: {_line(message)}")
        elif not self.quiet:
            self._clear()
            print(f"feed      {_line(url)}  {_line(message)}", file=self.stream, flush=True)

    def _bar(self, total: int) -> None:
        """Draw the progress bar in place on the terminal's current line."""
        width = max(10, min(40, shutil.get_terminal_size().columns - 30))
        filled = width * self.done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{total}")
        self.stream.flush()
        self.bar_shown = True

    def _clear(self) -> None:
        """Erase the progress bar, so that a line can be printed in its place."""
        if self.bar_shown:
            self.stream.write("\r\x1b[K")
            self.bar_shown = False

    def finish(self) -> None:
        """Erase the bar at the end of the run."""
        self._clear()


def _line(text: str) -> str:
    """Text for one output line: no escape codes or control characters from the web or the
    cache, whitespace runs (newlines included) made one space (``display_safe``)."""
    return display_safe(text, one_line=True)


def _event_line(event: CheckEvent) -> str:
    """One line per checked article: state, id, version, title (or URL), what happened."""
    version = f"v{event.version}" if event.version is not None else ""
    name = _line(event.title or event.url)
    notes = [_line(event.message)] if event.message else []
    if event.diff is not None:
        notes.insert(0, stats_compact(event.diff))
    what = "; ".join(notes)
    return f"{event.state:<9} {event.article_id}  {version:<4} {name}  {what}".rstrip()


def _fetch_options(args: argparse.Namespace) -> FetchOptions:
    """The fetch settings: the defaults, then the config file's ``[fetch]``, then the command
    line's on top."""
    base = load_config(getattr(args, "config", None)).fetch.apply(FetchOptions())
    changes = {
        name: value
        for name, value in (
            ("concurrency", getattr(args, "concurrency", None)),
            ("per_site", getattr(args, "per_site", None)),
            ("host_delay", getattr(args, "delay", None)),
        )
        if value is not None
    }
    return dataclasses.replace(base, **changes)


def run_fetch(args: argparse.Namespace) -> int:
    """``newsdiff-tui fetch``: read the feeds, check the due articles (or ``--all``), print a
    summary; 1 if offline."""
    import asyncio

    from newsdiff_tui.tracker import CheckOptions, fetch_run

    options = CheckOptions(fetch=_fetch_options(args))
    progress = _Progress(sys.stdout, quiet=args.quiet)
    with open_store(args) as store:
        try:
            discovery, summary = asyncio.run(
                fetch_run(
                    store,
                    check_all=args.all,
                    feeds=not args.no_feeds,
                    options=options,
                    on_event=progress,
                    on_feed=progress.feed,
                )
            )
        finally:
            progress.finish()
    if discovery.feeds:
        print(discovery.line())
    if not summary.checked and not summary.skipped:
        print("nothing is due (use --all to check every article anyway)")
        return 0
    print(_line(summary.line()))
    if summary.checked and not summary.network_ok:
        return EXIT_OFFLINE
    return 0


# ----- feed ----------------------------------------------------------------------------------
def run_feed_add(args: argparse.Namespace) -> int:
    """``newsdiff-tui feed add URL...``: follow the feeds, after reading each new one once to check
    it; if any is refused, none is followed."""
    import asyncio

    from newsdiff_tui.feeds import add_feed, load_feeds

    urls = []
    for raw in args.urls:
        problem = url_problem(raw.strip())
        if problem:
            raise NewsdiffError(problem)
        urls.append(raw.strip())
    with open_store(args) as store:
        followed = {feed.url for feed in load_feeds(store)}
        fresh = [url for url in dict.fromkeys(urls) if url not in followed]
        if args.no_check or not fresh:
            probes = []
        else:  # read once, quickly, with the config's address policy (an intranet feed)
            options = dataclasses.replace(_fetch_options(args), retries=1, timeout=15.0)
            probes = asyncio.run(_probe_all(fresh, options))
        refused = [p for p in probes if p.problem is not None]
        for probe in refused:
            warn(f"{_line(probe.url)}: {_line(probe.problem)}")
        if refused:
            return EXIT_USAGE  # nothing saved: fix the list and run again
        for probe in probes:
            if probe.unreachable is not None:
                warn(
                    _line(
                        f"could not read {probe.url} ({probe.unreachable}); following it "
                        "anyway: the next fetch will read it"
                    )
                )
        for url in urls:
            feed, added = add_feed(store, url)
            print(f"{'following' if added else 'already following'} {_line(feed.url)}")
    return 0


async def _probe_all(urls: list[str], options: FetchOptions) -> list[FeedProbe]:
    """Read every feed of ``urls`` once, side by side."""
    import asyncio

    from newsdiff_tui.feeds import probe_feed

    return list(await asyncio.gather(*(probe_feed(url, options=options) for url in urls)))


def run_feed_list(args: argparse.Namespace) -> int:
    """``newsdiff-tui feed list``: each followed feed, when it was read and what it found."""
    from newsdiff_tui.feeds import load_feeds

    with open_store(args) as store:
        feeds = load_feeds(store)
    for feed in feeds:
        if args.json:
            doc = asdict(feed)
            doc["added"] = feed.added.isoformat()
            doc["last_checked"] = feed.last_checked.isoformat() if feed.last_checked else None
            print_json(doc)
            continue
        checked = short_time(feed.last_checked) if feed.last_checked else "never"
        error = f"  error: {_line(feed.last_error)}" if feed.last_error else ""
        refused = f"  refused: {_line(feed.last_refused)}" if feed.last_refused else ""
        print(f"{_line(feed.url)}  read {checked}  {feed.discovered} found{error}{refused}")
    if not feeds and not args.json:
        print("no feeds followed (add one with `newsdiff-tui feed add URL`)")
    return 0


def run_feed_remove(args: argparse.Namespace) -> int:
    """``newsdiff-tui feed remove URL...``: stop following the feeds."""
    from newsdiff_tui.feeds import remove_feed

    with open_store(args) as store:
        for url in args.urls:
            feed = remove_feed(store, url)
            print(f"stopped following {_line(feed.url)}")
    return 0


__all__ = ["register"]
