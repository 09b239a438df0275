"""Cache commands: ``import``, ``list`` and ``doctor``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from newsdiff_tui.commands.common import EXIT_USAGE, open_store, warn
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.history import apply_history, parse_history
from newsdiff_tui.model import Article
from newsdiff_tui.storage import decode_json
from newsdiff_tui.store import article_to_doc
from newsdiff_tui.textnorm import display_safe


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import article histories from JSON files",
        description="Import article histories (the format --export --format json "
        "writes; the bundled seed file is one).",
    )
    p.add_argument("files", nargs="+", metavar="FILE.json")
    p.set_defaults(handler=run_import)

    p = sub.add_parser(
        "list",
        help="list tracked articles",
        description="List tracked articles, most recently changed first.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
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
        help="rebuild index.json from the per-article shards",
    )
    p.set_defaults(handler=run_doctor)


def _read_json(path: Path) -> object:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NewsdiffError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NewsdiffError(f"{path}: is a directory, not a JSON file") from None
    except OSError as exc:
        raise NewsdiffError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return decode_json(raw)
    except ValueError as exc:
        raise NewsdiffError(f"{path}: not valid JSON ({exc})") from None


def run_import(args: argparse.Namespace) -> int:
    # Validate every file before writing anything, so a bad file in the list changes nothing.
    parsed = [parse_history(_read_json(Path(f)), where=f) for f in args.files]
    with open_store(args) as store:
        for history in parsed:
            article, added = apply_history(store, history)
            print(f"imported {added} version(s) of {article.id}  {article.title}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        articles = store.articles()
        if not articles and not args.json:
            warn(f"no articles in {store.root} yet: `newsdiff-tui add URL` tracks one")
        for article in articles:
            doc = article_to_doc(article)
            if args.json:
                for internal in ("check", "feed_url", "words"):
                    doc.pop(internal, None)
                print(json.dumps(doc, ensure_ascii=False))
                continue
            changed = (doc["last_changed"] or "-")[:16].replace("T", " ")
            # Titles and errors come from the web: no escape sequence may reach the terminal.
            title = display_safe(article.title or article.url)
            print(
                f"{article.id}  {display_safe(article.source):<12.12} "
                f"{article.version_count:>3}v  {changed:<16}  {title}{_origins(article)}"
            )
            check = article.check
            if check.last_error:
                runs = f"{check.failures} failed check{'s' if check.failures != 1 else ''} in a row"
                print(f"{'':18}! {runs}: {display_safe(check.last_error)}")
    return 0


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
    with open_store(args) as store:
        report = store.doctor(rebuild_index=args.rebuild_index)
    for problem in report.problems:
        print(f"problem: {problem}")
    for repair in report.repaired:
        print(f"repaired: {repair}")
    print(
        f"checked {report.checked_files} file(s): "
        f"{'clean' if report.clean else f'{len(report.problems)} problem(s)'}"
    )
    if report.problems and not report.repaired:
        warn("run `newsdiff-tui doctor --rebuild-index` to rebuild the index")
        return EXIT_USAGE
    return 0
