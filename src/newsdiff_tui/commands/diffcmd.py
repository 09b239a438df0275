"""The ``diff`` command: a word-level diff of two article versions, from files or the cache.

Each side is a file or a stored version ``ARTICLE@N``:

- ``*.html`` / ``*.htm`` / ``*.xhtml`` files are run through the article extractor;
- any other file is plain text: paragraphs are separated by blank lines and each is
  normalised (whitespace collapsed) as stored versions are. There is no title, unless the
  first paragraph is a single line starting with ``# `` (a Markdown heading): that is the title.
- ``ARTICLE@N``: version N (0 is the first; -1 the latest, -2 the one before) of the article
  named by id, URL or a search term matching one article. An existing file of that name wins.

Text output is coloured on a terminal; elsewhere, or with NO_COLOR set, it marks changes as
``git diff --word-diff`` does: ``[-deleted-]`` and ``{+inserted+}``, keeping the text's own
spacing (``difftext``): either side reads back exactly. A moved paragraph is printed at its
new place under a ``↕ moved from ¶i to ¶j`` line, with its word diff if it was edited too.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdiff_tui.commands.common import open_store, print_json
from newsdiff_tui.diff import ArticleDiff, FieldDiff, WordOp, diff
from newsdiff_tui.difftext import (
    GIT_MARKS,
    SIGNS,
    fold_unchanged,
    move_label,
    stats_report,
    unchanged_note,
)
from newsdiff_tui.difftext import render_words as render_pieces
from newsdiff_tui.errors import NewsdiffError, NotFoundError
from newsdiff_tui.inputs import read_input_bytes, read_input_text
from newsdiff_tui.model import ArticleText
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import short_time

DESCRIPTION = """\
Word diff of two versions of an article. Each side is a file or a stored version:

  page.html, page.htm   extracted like a fetched page
  notes.txt (any other) plain text: paragraphs separated by blank lines; no title, unless
                        the first paragraph is one line starting with "# "
  ARTICLE@N             version N of a cached article (0 = first, -1 = latest, -2 = the one
                        before); ARTICLE is an id, a URL or a search term matching one article

On a terminal, deletions are red and insertions green; piped, or with NO_COLOR set, they
are marked as git's word diff marks them: [-deleted-] and {+inserted+}. Spaces only one
side has are inside its marks, so either side reads back exactly: $4.[-2-]{+3+} billion.
A paragraph that moved (20+ letters or digits, unchanged or edited) is shown at its new
place under "↕ moved from ¶i to ¶j" (paragraphs counted from 1), not deleted and inserted."""

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_VERSION_REF = re.compile(r"^(?P<article>.+)@(?P<number>[+-]?\d+)$")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")

# ANSI styles: deleted red, inserted green, headers bold, folds dim (as git colours them),
# move labels cyan (git's --color-moved uses cyan and magenta).
_STYLES = {
    "delete": "\x1b[31m",
    "insert": "\x1b[32m",
    "header": "\x1b[1m",
    "dim": "\x1b[2m",
    "move": "\x1b[36m",
}
_RESET = "\x1b[0m"
_COLOURS = {op: (_STYLES[op], _RESET) for op in ("delete", "insert")}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``diff`` subcommand to the CLI."""
    p = sub.add_parser(
        "diff",
        help="word diff of two versions (files or ARTICLE@N)",
        description=DESCRIPTION,
        epilog="examples:\n"
        "  newsdiff-tui diff ARTICLE@0 ARTICLE@-1     first against latest stored version\n"
        "  newsdiff-tui diff old.html new.html\n"
        "  newsdiff-tui diff a.txt b.txt --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("old", metavar="OLD", help="file or ARTICLE@N")
    p.add_argument("new", metavar="NEW", help="file or ARTICLE@N")
    p.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text output (auto: on a terminal, unless NO_COLOR is set)",
    )
    p.add_argument(
        "--full", action="store_true", help="print unchanged paragraphs instead of folding them"
    )
    p.add_argument(
        "--exit-code", action="store_true", help="exit with 1 if the versions differ, else 0"
    )
    p.set_defaults(handler=run_diff)


@dataclass(frozen=True)
class Side:
    """One side of the comparison: its text and how to name it in the output."""

    label: str
    text: ArticleText
    ref: dict[str, Any]


def run_diff(args: argparse.Namespace) -> int:
    """``newsdiff-tui diff OLD NEW``: print the word diff of two files or stored versions, as text
    or JSON (``--exit-code``: exit 1 if they differ)."""
    old = load_side(args.old, args)
    new = load_side(args.new, args)
    result = diff(old.text, new.text)
    if args.format == "json":
        print_json(to_json(result, old, new), indent=2)
    else:
        sys.stdout.write(
            render_text(result, old, new, color=_use_color(args.color), full=args.full)
        )
    return 1 if args.exit_code and result.has_changes else 0


# ----- loading ------------------------------------------------------------------------------


def parse_version_ref(ref: str) -> tuple[str, int] | None:
    """``ARTICLE@N`` split into the article reference and the version number, else None."""
    match = _VERSION_REF.match(ref)
    return (match["article"], int(match["number"])) if match else None


def load_side(ref: str, args: argparse.Namespace) -> Side:
    """The text named by ``ref``: a file, else a stored version ``ARTICLE@N``."""
    path = Path(ref)
    if path.is_file():
        return _load_file(path)
    parsed = parse_version_ref(ref)
    if parsed is None:
        if path.exists():
            raise NewsdiffError(f"{ref}: is a directory, not a file")
        raise NewsdiffError(f"{ref}: no such file (to name a stored version, use ARTICLE@N)")
    with open_store(args, create=False) as store:
        article = store.resolve(parsed[0])
        number = parsed[1]
        try:
            version = store.version(article.id, number)
        except NotFoundError:
            count = len(store.versions(article.id))
            raise NotFoundError(
                f"{ref}: article {article.id} has {count} version(s), numbered 0 to {count - 1} "
                f"(or -1 to -{count} from the latest)"
            ) from None
    return Side(
        label=f"{article.id}@{version.number}  {short_time(version.fetched_at)}",
        text=version.text,
        ref={"article": article.id, "url": article.url, "version": version.number},
    )


def _load_file(path: Path) -> Side:
    """A side read from a file: an HTML page is extracted, anything else read as plain text."""
    if path.suffix.lower() in HTML_SUFFIXES:
        raw = read_input_bytes(path, what="HTML page")
        from newsdiff_tui.extract import extract  # heavy HTML parser: only when needed

        try:
            text = extract(raw)
        except ValueError as exc:  # undecodable bytes (extract.CharsetError)
            raise NewsdiffError(f"{path}: cannot decode the page ({exc})") from None
        if not text.paragraphs and not text.title:
            raise NewsdiffError(f"{path}: no article text found in this page")
    else:
        text = parse_text(read_input_text(path, what="text file"))
    return Side(label=str(path), text=text, ref={"file": str(path)})


def parse_text(content: str) -> ArticleText:
    """Plain text as an ArticleText: blank-line separated paragraphs, optional ``# Title``."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b for b in _BLANK_LINE.split(content) if b.strip()]
    title = ""
    if blocks and "\n" not in blocks[0].strip() and blocks[0].lstrip().startswith("# "):
        title = blocks.pop(0).strip()[2:]
    return ArticleText(title=title, paragraphs=tuple(blocks)).normalized()


# ----- output -------------------------------------------------------------------------------


def _use_color(choice: str) -> bool:
    """Colour for ``always``; for ``auto`` only on a terminal without NO_COLOR or TERM=dumb."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def render_words(words: tuple[WordOp, ...], *, color: bool) -> str:
    """A word diff as one line: changes coloured, or between git's word-diff markers; web text
    made safe for a terminal (``display_safe``)."""
    return render_pieces(words, marks=_COLOURS if color else GIT_MARKS, escape=display_safe)


def _style(text: str, style: str, color: bool) -> str:
    """``text`` in the ANSI ``style``, or as it is without colour."""
    return f"{_STYLES[style]}{text}{_RESET}" if color else text


def _field_line(name: str, field: FieldDiff, color: bool) -> str:
    """A title or byline as ``name: `` and its word diff."""
    return f"{name}: {render_words(field.words, color=color)}"


def render_text(result: ArticleDiff, old: Side, new: Side, *, color: bool, full: bool) -> str:
    """The whole diff as text: headers, title/byline changes, paragraphs, a stats line."""
    lines = [
        _style(f"--- {display_safe(old.label)}", "header", color),
        _style(f"+++ {display_safe(new.label)}", "header", color),
    ]
    if result.title.changed:
        lines.append(_field_line("Title", result.title, color))
    if result.byline.changed:
        lines.append(_field_line("Byline", result.byline, color))
    for item in fold_unchanged(result.paragraphs, fold=not full):
        lines.append("")
        if isinstance(item, int):
            lines.append(_style(f"({unchanged_note(item)})", "dim", color))
            continue
        if item.op == "move":
            lines.append(_style(f"{SIGNS['move']} {move_label(item)}", "move", color))
        lines.append(render_words(item.words, color=color))
    lines.extend(["", _style(stats_report(result), "dim", color)])
    return "\n".join(lines) + "\n"


def _words_json(words: tuple[WordOp, ...]) -> list[dict[str, str]]:
    """Word runs as JSON-ready data."""
    return [{"op": w.op, "text": w.text} for w in words]


def _field_json(field: FieldDiff) -> dict[str, Any]:
    """A title or byline diff as JSON-ready data."""
    return {
        "changed": field.changed,
        "old": field.old,
        "new": field.new,
        "words": _words_json(field.words),
    }


def to_json(result: ArticleDiff, old: Side, new: Side) -> dict[str, Any]:
    """The diff as a JSON-ready dict: sides, fields, paragraphs (op, texts, words), stats.

    Paragraphs come in the new text's order; a ``move`` carries where it was (``old_index``)
    and where it is (``new_index``), both counted from 0, and its words (one equal run when it
    only moved). ``words`` are given for modified and moved paragraphs.
    """
    paragraphs = []
    for p in result.paragraphs:
        entry: dict[str, Any] = {
            "op": p.op,
            "old_index": p.old_index,
            "new_index": p.new_index,
            "old": p.old,
            "new": p.new,
        }
        if p.op in ("modify", "move"):
            entry["words"] = _words_json(p.words)
        paragraphs.append(entry)
    s = result.stats
    return {
        "old": {"label": old.label, **old.ref},
        "new": {"label": new.label, **new.ref},
        "title": _field_json(result.title),
        "byline": _field_json(result.byline),
        "paragraphs": paragraphs,
        "stats": {
            "words_added": s.words_added,
            "words_removed": s.words_removed,
            "paragraphs_equal": s.paragraphs_equal,
            "paragraphs_modified": s.paragraphs_modified,
            "paragraphs_inserted": s.paragraphs_inserted,
            "paragraphs_deleted": s.paragraphs_deleted,
            "paragraphs_moved": s.paragraphs_moved,
            "paragraphs_changed": s.paragraphs_changed,
            "share_changed": round(s.share_changed, 4),
        },
        "has_changes": result.has_changes,
        "coarse": result.coarse,
    }
