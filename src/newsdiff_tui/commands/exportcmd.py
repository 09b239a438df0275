"""``newsdiff-tui --export ARTICLE|all``: an article's history as Markdown, JSON, Atom or HTML.

The options are parsed in ``cli.py``; the rendering and writing are ``newsdiff_tui.export``'s,
the same code the TUI's ``e`` key runs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from newsdiff_tui.commands.common import open_store, parse_since, warn
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.export import ExportError, export_article, render
from newsdiff_tui.model import Article
from newsdiff_tui.store import Store
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import from_iso, utcnow


def run_export(args: argparse.Namespace) -> int:
    """Export one article to stdout or ``-o FILE``, or every article into the ``-o`` directory."""
    everything = args.export.strip() == "all"
    _check_options(args, everything)
    now = _now(args.now)  # read once: every file of an --export all says the same
    with open_store(args, create=False) as store:
        if not len(store):
            raise NewsdiffError(
                f"the cache at {store.root} holds no articles: nothing to export "
                "(add one with `newsdiff-tui add URL` or `newsdiff-tui import FILE`)"
            )
        if everything:
            return _export_all(store, args, now)
        article = store.resolve(args.export)
        options = {"full": args.full, "latest": not args.no_latest, "now": now}
        if args.output:
            path = export_article(
                store, article.id, fmt=args.export_format, path=Path(args.output), **options
            )
            print(f"wrote {display_safe(str(path), one_line=True)}")
        else:
            text = render(article, store.versions(article.id), args.export_format, **options)
            sys.stdout.write(text)
            sys.stdout.flush()
    return 0


def _check_options(args: argparse.Namespace, everything: bool) -> None:
    """Refuse option combinations that would silently do something other than asked."""
    if everything and not args.output:
        raise NewsdiffError("--export all writes one file per article: name a directory with -o")
    if not everything and (args.source or args.since):
        raise NewsdiffError("--source and --since only apply to --export all")
    if args.export_format != "markdown" and (args.full or args.no_latest):
        raise NewsdiffError("--full and --no-latest only apply to --format markdown")
    if args.export_format not in ("markdown", "html") and args.now:
        raise NewsdiffError("--now only applies to --format markdown and html")


def _now(text: str | None) -> datetime | None:
    """The ``--now`` time: None when not given (exports leave out what depends on the clock),
    the clock's time for ``now``, else an ISO 8601 date or time."""
    if not text:
        return None
    if text.strip().lower() == "now":
        return utcnow()
    try:
        return from_iso(text.strip())
    except ValueError:
        raise NewsdiffError(
            f"--now {text!r} is not a time (use 'now', YYYY-MM-DD or an ISO 8601 time)"
        ) from None


def _selected(store: Store, args: argparse.Namespace) -> list[Article]:
    """The articles ``--source`` and ``--since`` select, most recently changed first."""
    since = parse_since(args.since)
    source = args.source.casefold() if args.source else None
    return [
        article
        for article in store.articles()
        if (source is None or article.source.casefold() == source)
        and (since is None or (article.last_changed or article.first_seen) >= since)
    ]


def _export_all(store: Store, args: argparse.Namespace, now: datetime | None) -> int:
    """Every selected article into the ``-o`` directory: a file each, named by
    ``default_filename``, or with ``--format html`` one browsable site."""
    directory = Path(args.output)
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"-o {directory} is a file: --export all needs a directory")
    articles = _selected(store, args)
    if not articles:
        filters = " ".join(
            f"{flag} {value}"
            for flag, value in (("--source", args.source), ("--since", args.since))
            if value
        )
        raise NewsdiffError(f"no article matches {filters}: nothing exported")
    if args.export_format == "html":
        from newsdiff_tui.site import build_site

        report = build_site(store, articles, directory, scope=args.source, now=now)
        for note in report.notes:
            warn(note)
        print(report.summary)
        return 0
    for article in articles:
        path = export_article(
            store,
            article.id,
            fmt=args.export_format,
            directory=directory,
            full=args.full,
            latest=not args.no_latest,
            now=now,
        )
        print(f"wrote {display_safe(str(path), one_line=True)}")
    where = display_safe(str(directory), one_line=True)  # a path as typed: may hold anything
    print(f"exported {len(articles)} article{'' if len(articles) == 1 else 's'} to {where}")
    return 0
