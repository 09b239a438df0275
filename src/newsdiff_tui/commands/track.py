"""Tracking commands: ``add``, ``fetch`` and ``feed add|list|remove``."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from dataclasses import asdict
from typing import TextIO

from newsdiff_tui.commands.common import open_store, warn
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.feeds import add_feed, load_feeds, remove_feed
from newsdiff_tui.fetch import FetchOptions
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.tracker import CheckEvent, CheckOptions, fetch_run
from newsdiff_tui.urls import clean_url, url_problem

EXIT_OFFLINE = 1

FETCH_EPILOG = """\
schedule (how often an article is checked, from the time since it last changed):
  under 3 hours: every 15 min    under 1 day: hourly    under 7 days: every 3 hours
  under 30 days: every 3 days    older: no longer checked (use --all to check anyway)

exit status: 0 when the run happened, even if some checks failed (each failure is
recorded on its article and shown by `list`); 1 when there were articles to check but
no server could be reached (offline?); 2 for usage or cache errors.
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
    p.add_argument(
        "--concurrency",
        type=_positive_int,
        default=8,
        metavar="N",
        help="requests in flight at once (default: 8; at most 2 per site)",
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
    fp = feed_sub.add_parser("add", help="follow a feed", description="Follow feed URLs.")
    fp.add_argument("urls", nargs="+", metavar="URL")
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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# ----- add -----------------------------------------------------------------------------------
def run_add(args: argparse.Namespace) -> int:
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
            print(f"{state} {article.id}  {url}")
        if args.backfill:
            from newsdiff_tui.commands.archive import backfill_articles

            return backfill_articles(store, list(added.values()))
    return 0


# ----- fetch ---------------------------------------------------------------------------------
class _Progress:
    """Prints check events: a one-line bar on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO, *, quiet: bool) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.quiet = quiet
        self.done = 0
        self.bar_shown = False

    def __call__(self, event: CheckEvent) -> None:
        if event.state == "checking":
            return
        self.done += 1
        if not (self.quiet and event.state != "failed"):
            self._clear()
            version = f" v{event.version}" if event.version is not None else ""
            print(
                f"{event.state:<9} {event.article_id}{version}  {display_safe(event.url)}"
                f"  {display_safe(event.message)}",
                file=self.stream,
            )
        if self.tty:
            self._bar(event.total)

    def feed(self, url: str, message: str) -> None:
        """A feed was read: failures always shown (on stderr), others unless quiet."""
        if message.startswith("failed"):
            warn(f"feed {display_safe(url)}: {display_safe(message)}")
        elif not self.quiet:
            print(f"feed      {display_safe(url)}  {display_safe(message)}", file=self.stream)

    def _bar(self, total: int) -> None:
        width = max(10, min(40, shutil.get_terminal_size().columns - 30))
        filled = width * self.done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{total}")
        self.stream.flush()
        self.bar_shown = True

    def _clear(self) -> None:
        if self.bar_shown:
            self.stream.write("\r\x1b[K")
            self.bar_shown = False

    def finish(self) -> None:
        self._clear()


def run_fetch(args: argparse.Namespace) -> int:
    options = CheckOptions(fetch=FetchOptions(concurrency=args.concurrency))
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
    print(summary.line() + f" in {summary.elapsed:.1f} s")
    if summary.checked and not summary.network_ok:
        return EXIT_OFFLINE
    return 0


# ----- feed ----------------------------------------------------------------------------------
def run_feed_add(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for url in args.urls:
            feed, added = add_feed(store, url)
            print(f"{'following' if added else 'already following'} {feed.url}")
    return 0


def run_feed_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        feeds = load_feeds(store)
    for feed in feeds:
        if args.json:
            doc = asdict(feed)
            doc["added"] = feed.added.isoformat()
            doc["last_checked"] = feed.last_checked.isoformat() if feed.last_checked else None
            print(json.dumps(doc, ensure_ascii=False))
            continue
        checked = feed.last_checked.strftime("%Y-%m-%d %H:%M") if feed.last_checked else "never"
        error = f"  error: {feed.last_error}" if feed.last_error else ""
        print(f"{feed.url}  read {checked}  {feed.discovered} found{error}")
    if not feeds and not args.json:
        print("no feeds followed (add one with `newsdiff-tui feed add URL`)")
    return 0


def run_feed_remove(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for url in args.urls:
            feed = remove_feed(store, url)
            print(f"stopped following {feed.url}")
    return 0


__all__ = ["register"]
