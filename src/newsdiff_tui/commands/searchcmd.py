"""The ``search`` command: the articles and versions whose text holds some words.

The work is ``newsdiff_tui.search``'s (a derived SQLite FTS5 index under the cache root, built
on the first search and brought up to date on each one); this module prints the hits.
"""

from __future__ import annotations

import argparse
import sys

from newsdiff_tui.commands.common import open_store, parse_since, positive_int, print_json, warn
from newsdiff_tui.search import (
    SearchHit,
    SearchIndex,
    SearchQuery,
    SearchResult,
    compact_ranges,
)
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import short_time, to_iso

EXIT_NO_MATCH = 1

DESCRIPTION = """\
List the articles and versions whose text (title, byline or paragraphs) contains every one
of WORDS, case and accents ignored; --phrase wants them together in this order. With --added
or --removed, list instead the versions where the words appeared or disappeared compared
with the version before. Each article is printed with the versions found and an excerpt.

The first search builds a full-text index of the cache (search.sqlite3, derived from the
article files like index.json; it can always be deleted); later searches update it with what
changed. Exits 1 when nothing matches."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``search`` subcommand to the CLI."""
    p = sub.add_parser(
        "search",
        help="find the articles and versions that contain, gained or lost some words",
        description=DESCRIPTION,
        epilog="examples:\n"
        "  newsdiff-tui search ceasefire\n"
        "  newsdiff-tui search ceasefire --removed --source bbc --since 2024-05-01\n"
        '  newsdiff-tui search "we did not compromise" --phrase --json',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("words", nargs="+", metavar="WORDS", help="the words to look for")
    change = p.add_mutually_exclusive_group()
    change.add_argument("--added", action="store_true", help="versions where the words appeared")
    change.add_argument(
        "--removed", action="store_true", help="versions where the words disappeared"
    )
    p.add_argument("--phrase", action="store_true", help="the words together, in this order")
    p.add_argument("--source", help="only articles from this source (as `list` shows it)")
    p.add_argument(
        "--since", metavar="DATE", help="only versions seen since DATE (YYYY-MM-DD or ISO 8601)"
    )
    p.add_argument(
        "--limit", type=positive_int, metavar="N", help="show only the N most recent articles"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per article, per line")
    p.set_defaults(handler=run_search)


def run_search(args: argparse.Namespace) -> int:
    """Search, print the hits; exit 1 when there are none."""
    since = parse_since(args.since)
    mode = "added" if args.added else "removed" if args.removed else "contains"
    with open_store(args, create=False) as store:
        index = SearchIndex(store)
        if not index.path.exists() and len(store) > 1000:
            warn(
                f"building the search index of {len(store)} articles (once; later searches "
                "only update it)"
            )
        query = SearchQuery(
            " ".join(args.words),
            mode=mode,
            phrase=args.phrase,
            source=args.source,
            since=since,
            limit=args.limit,
        )
        result = index.search(query)
    if result.rebuilt and result.rebuilt.startswith("damaged"):
        warn(f"the search index was {result.rebuilt}: rebuilt it from the article files")
    if args.json:
        for hit in result.hits:
            print_json(hit_json(hit))
    else:
        sys.stdout.write(render_text(result))
    if not result.hits:
        if not args.json:
            warn(f"no version matches {' '.join(args.words)!r}")
        return EXIT_NO_MATCH
    return 0


_LABELS = {"contains": "in", "added": "added in", "removed": "removed in"}


def _versions(hit: SearchHit) -> str:
    """The hit's version numbers as ranges, e.g. "v0-2, v5"."""
    return "v" + compact_ranges(v.number for v in hit.versions).replace(",", ", v")


def render_text(result: SearchResult) -> str:
    """Each hit as two lines: the article, then its versions and an excerpt."""
    lines = []
    for hit in result.hits:
        title = display_safe(hit.title or hit.url)
        lines.append(f"{hit.article_id}  {display_safe(hit.source):<12.12} {title}")
        first = hit.versions[0]
        when = short_time(first.fetched_at)
        when = f"first {when}" if len(hit.versions) > 1 else when
        where = f"{_LABELS[result.query.mode]} {_versions(hit)} of {hit.version_count} ({when})"
        # A removal is shown by what the version before it said.
        said = f"v{first.number - 1} had" if result.query.mode == "removed" else f"v{first.number}"
        lines.append(f"    {where}; {said}: {display_safe(hit.excerpt_text)}")
    if result.hits:
        count = sum(len(hit.versions) for hit in result.hits)
        shown = f"{len(result.hits)} article(s), {count} version(s)"
        if result.total > len(result.hits):
            shown = f"the {len(result.hits)} most recent of {result.total} article(s) found"
        lines.append(shown)
    return "".join(f"{line}\n" for line in lines)


def hit_json(hit: SearchHit) -> dict:
    """A hit as a JSON-ready dict."""
    return {
        "id": hit.article_id,
        "url": hit.url,
        "source": hit.source,
        "title": hit.title,
        "version_count": hit.version_count,
        "versions": [
            {"number": v.number, "fetched_at": to_iso(v.fetched_at)} for v in hit.versions
        ],
        "excerpt": hit.excerpt_text,
    }
