"""Cache commands: ``import``, ``list`` and ``doctor``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from newsdiff_tui.commands.common import EXIT_USAGE, open_store, warn
from newsdiff_tui.errors import NoCacheError
from newsdiff_tui.history import apply_history, parse_history
from newsdiff_tui.inputs import input_name, read_input_json
from newsdiff_tui.model import Article
from newsdiff_tui.search import check_search_index
from newsdiff_tui.store import article_to_doc, default_root
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import to_iso


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import article histories from JSON files",
        description="Import article histories (the format --export --format json "
        "writes; the bundled seed file is one).",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE.json", help="history files (- reads standard input)"
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


def run_import(args: argparse.Namespace) -> int:
    """Import every file, or nothing: all are read and validated before the cache is touched."""
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
                print(json.dumps(list_document(article), ensure_ascii=False))
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
    changed = (to_iso(article.last_changed) or "-")[:16].replace("T", " ")
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
