"""The ``extract`` command: what would be stored for a page, and (``--explain``) why."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TextIO

from newsdiff_tui.commands.common import print_json, warn
from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.extract_charset import CharsetError, decode_html
from newsdiff_tui.inputs import read_input_bytes
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.urls import url_problem

# The extractor (lxml, trafilatura) and the fetcher (asyncio, httpx) load when they run: every
# command builds this module's parser.
if TYPE_CHECKING:
    from newsdiff_tui.extract import Explanation
    from newsdiff_tui.extract_clean import Block

EXTRACT_EPILOG = """\
how a page is read:
  1. title, byline and date from the page's JSON-LD, then <meta> tags, then its markup
  2. cleaning removes labelled widgets (ads, share tools, related lists, "Updated 5
     minutes ago") that are small or link lists, but never the block holding the article
  3. paragraphs from a site rule, else trafilatura on the cleaned page (the page as served
     if that gives too little; JSON-LD articleBody if it states twice as many words)
  4. page furniture ("Advertisement", the title repeated, the byline line) is dropped
--explain shows each step's decisions for the page.

exit status: 0 when every page has an article, 1 when a page would be refused (the rule is
printed on stderr), 2 for a file or URL that cannot be read.
"""

_SHOWN_CHARS = 70  # a dropped paragraph is shown up to this many characters


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``extract`` subcommand to the CLI."""
    p = sub.add_parser(
        "extract",
        help="show what would be stored for a page",
        description="Extract the article from HTML files or URLs and print what would be "
        "stored (title, byline, published, paragraphs), to see why a page came out wrong. "
        "Nothing is stored.",
        epilog=EXTRACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="FILE_OR_URL", help="an HTML file, - or a URL")
    p.add_argument(
        "--url",
        help="the page's URL, for files (selects site-specific rules, resolves links)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per input: url, title, byline, published, paragraphs, problem "
        "(and with --explain, an 'explain' object)",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="also show which blocks cleaning removed (tag, class/id, words) or kept, which "
        "rule or extractor gave the paragraphs, which were dropped, and why a page is refused",
    )
    p.set_defaults(handler=run_extract)


def _read_input(source: str, base_url: str | None) -> tuple[str, str | None]:
    """The HTML of a file, stdin (``-``) or a URL, and the URL to extract it with."""
    if source.startswith(("http://", "https://")):
        import asyncio

        return asyncio.run(_download(source)), source
    if "://" in source:
        raise NewsdiffError(url_problem(source) or f"cannot read {source}")
    raw = read_input_bytes(source, what="HTML page")
    try:
        return decode_html(raw), base_url
    except CharsetError as exc:
        raise NewsdiffError(f"{source}: {exc}") from None


async def _download(url: str) -> str:
    """Fetch the page at ``url`` (one retry); a NewsdiffError if that fails."""
    from newsdiff_tui.fetch import Fetcher, FetchOptions

    async with Fetcher(FetchOptions(retries=1, host_delay=0)) as fetcher:
        result = await fetcher.fetch(url)
    if result.error is not None or result.text is None:
        raise NewsdiffError(f"{url}: {result.error}")
    return result.text


def _explain_doc(found: Explanation) -> dict[str, Any]:
    """The ``--explain`` decisions as JSON-ready data."""
    return {
        "extractor": found.extractor,
        "byline_source": found.byline_source,
        "removed": [asdict(block) for block in found.removed],
        "kept_despite_label": [asdict(block) for block in found.spared],
        "dropped": [{"text": text, "why": why} for text, why in found.dropped],
        "refused": found.refused,
    }


def _print_text(source: str, found: Explanation, out: TextIO, *, details: bool) -> None:
    """Print what was extracted from ``source`` and, with ``details``, how it was decided."""
    text = found.text
    out.write(f"== {display_safe(source)}\n")
    out.write(f"title:     {display_safe(text.title)}\n")
    byline_from = f"  (from {found.byline_source})" if details and text.byline else ""
    out.write(f"byline:    {display_safe(text.byline or '-')}{byline_from}\n")
    out.write(f"published: {display_safe(text.published or '-')}\n")
    out.write(f"{len(text.paragraphs)} paragraphs, {text.word_count} words\n")
    if details:
        _print_explanation(found, out)
    out.write("\n")
    for paragraph in text.paragraphs:
        out.write(display_safe(paragraph) + "\n\n")


def _block_line(block: Block) -> str:
    """One line about a labelled block: tag, the label that marked it, words, decision."""
    label = "" if block.label == f"<{block.tag}>" else f" {display_safe(block.label)}"
    words = f"{block.words} word" + ("" if block.words == 1 else "s")
    return f"  <{block.tag}>{label}  {words}  {block.reason}\n"


def _print_explanation(found: Explanation, out: TextIO) -> None:
    """Print the ``--explain`` decisions: extractor, verdict, blocks removed, spared and dropped."""
    out.write(f"paragraphs from: {found.extractor}\n")
    out.write(f"refused:   {found.refused or 'no (this text would be stored)'}\n")
    words = sum(block.words for block in found.removed)
    out.write(f"\ncleaning removed {len(found.removed)} blocks ({words} words):\n")
    for block in found.removed:
        out.write(_block_line(block))
    if found.spared:
        out.write(f"\nkept despite their labels ({len(found.spared)} blocks):\n")
        for block in found.spared:
            out.write(_block_line(block))
    if found.dropped:
        out.write(f"\ndropped as page furniture ({len(found.dropped)} paragraphs):\n")
        for paragraph, why in found.dropped:
            shown = paragraph if len(paragraph) <= _SHOWN_CHARS else paragraph[:69] + "…"
            out.write(f"  {display_safe(shown)!r}  {why}\n")


def run_extract(args: argparse.Namespace) -> int:
    """Extract each input and print it; 1 if any page would be refused."""
    from newsdiff_tui.extract import explain

    failed = False
    for source in args.inputs:
        html, url = _read_input(source, args.url)
        found = explain(html, url or args.url)
        text = found.text
        if args.json:
            doc = {"input": source, **asdict(text), "paragraphs": list(text.paragraphs)}
            doc["problem"] = found.refused
            if args.explain:
                doc["explain"] = _explain_doc(found)
            print_json(doc)
        else:
            _print_text(source, found, sys.stdout, details=args.explain)
        if found.refused:
            failed = True
            warn(f"{display_safe(source)}: {found.refused}")
    return 1 if failed else 0


__all__ = ["register"]
