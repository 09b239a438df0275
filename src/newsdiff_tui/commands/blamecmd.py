"""The ``blame`` command: each sentence of a version with the version that introduced it.

The work is ``newsdiff_tui.blame``'s; this module names the version (``ARTICLE[@N]``, parsed as
the ``diff`` command parses it) and prints the result as text or JSON.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from newsdiff_tui.blame import Blame, BlamedSentence, blame
from newsdiff_tui.commands.common import open_store, print_json
from newsdiff_tui.commands.diffcmd import parse_version_ref
from newsdiff_tui.errors import NotFoundError
from newsdiff_tui.model import Article
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import humanize_delta, short_time, to_iso

DESCRIPTION = """\
Print each sentence of a stored version with the version that introduced it: its number,
when it was seen, and how long after the article was first seen. A sentence whose wording
changed later says which version last edited it ("edited vN"); one that was removed and came
back keeps its first origin and says where it was restored ("restored vN").

ARTICLE is an id, a URL or a search term matching one article; @N picks version N (0 is the
first, -1 the latest, the default)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``blame`` subcommand to the CLI."""
    p = sub.add_parser(
        "blame",
        help="which version introduced each sentence of a version",
        description=DESCRIPTION,
        epilog="examples:\n"
        "  newsdiff-tui blame gsomia            the latest version\n"
        "  newsdiff-tui blame gsomia@1 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("article", metavar="ARTICLE[@N]", help="the article and version to blame")
    p.add_argument("--json", action="store_true", help="print the blame as one JSON document")
    p.set_defaults(handler=run_blame)


def run_blame(args: argparse.Namespace) -> int:
    """Resolve ``ARTICLE[@N]``, blame that version and print it."""
    name, number = parse_version_ref(args.article) or (args.article, -1)
    with open_store(args, create=False) as store:
        article = store.resolve(name)
        try:
            result = blame(store.versions(article.id), number)
        except NotFoundError as exc:
            raise NotFoundError(f"{args.article}: {exc}") from None
    if args.json:
        print_json(to_json(article, result), indent=2)
    else:
        sys.stdout.write(render_text(article, result))
    return 0


def _age(sentence: BlamedSentence) -> str:
    """How long after the article was first seen the sentence appeared ("first seen" if then)."""
    seconds = sentence.after_first_seen.total_seconds()
    return "first seen" if seconds <= 0 else f"+{humanize_delta(seconds)}"


def _marks(sentence: BlamedSentence) -> str:
    """The sentence's later edit and restoration, e.g. "edited v3, restored v5"."""
    marks = []
    if sentence.edited is not None:
        marks.append(f"edited v{sentence.edited}")
    if sentence.restored is not None:
        marks.append(f"restored v{sentence.restored}")
    return ", ".join(marks)


def render_text(article: Article, result: Blame) -> str:
    """The blame as text: a header, then one line per sentence, paragraphs apart."""
    latest = " (latest)" if result.version == result.version_count - 1 else ""
    lines = [
        f"blame of {article.id}@{result.version}{latest}, {short_time(result.fetched_at)}, "
        f"{result.version_count} version(s), first seen {short_time(result.first_seen)}",
        f"{display_safe(article.url)}",
    ]
    rows = ([result.title] if result.title else []) + list(result.sentences)
    if not rows:
        return "\n".join([*lines, "", "(this version has no text)"]) + "\n"
    gutters = [(f"v{s.introduced}", short_time(s.introduced_at), _age(s), _marks(s)) for s in rows]
    widths = [max(len(g[k]) for g in gutters) for k in range(4)]
    paragraph = None
    for sentence, gutter in zip(rows, gutters, strict=True):
        if sentence.paragraph != paragraph:
            lines.append("")
            paragraph = sentence.paragraph
        cells = "  ".join(cell.ljust(width) for cell, width in zip(gutter, widths, strict=True))
        label = "title: " if sentence.paragraph == -1 else ""
        lines.append(f"{cells} | {label}{display_safe(sentence.text)}")
    return "\n".join(lines) + "\n"


def _sentence_json(sentence: BlamedSentence) -> dict[str, Any]:
    """A blamed sentence as JSON-ready data."""

    def ref(number: int | None, moment: Any) -> dict[str, Any] | None:
        """A version reference (number and time), None for no version."""
        return None if number is None else {"number": number, "fetched_at": to_iso(moment)}

    return {
        "paragraph": sentence.paragraph,
        "text": sentence.text,
        "introduced": {
            **ref(sentence.introduced, sentence.introduced_at),  # type: ignore[dict-item]
            "after_first_seen_s": int(sentence.after_first_seen.total_seconds()),
        },
        "edited": ref(sentence.edited, sentence.edited_at),
        "restored": ref(sentence.restored, sentence.restored_at),
    }


def to_json(article: Article, result: Blame) -> dict[str, Any]:
    """The blame as a JSON-ready dict: the article, the version, the title and each sentence."""
    return {
        "article": {"id": article.id, "url": article.url, "source": article.source},
        "version": {"number": result.version, "fetched_at": to_iso(result.fetched_at)},
        "versions": result.version_count,
        "first_seen": to_iso(result.first_seen),
        "title": _sentence_json(result.title) if result.title else None,
        "sentences": [_sentence_json(s) for s in result.sentences],
    }
