"""How a diff reads, in every medium: word runs as marked pieces, folded unchanged paragraphs,
move labels and the stats lines.

One home for this logic: the TUI (Rich styles), the ``diff`` command (markers or ANSI colours)
and the exports (Markdown and HTML tags) format the same pieces their own way.

Word runs keep the text's own spacing: whitespace both sides share stays outside the marks and
whitespace only one side has stays inside that side's mark, so reading either side out of the
rendering gives back that side's text exactly: ``$4.[-2-]{+3+} billion``, never
``$4.[-2-] {+3+} billion`` (which reads "$4. 3 billion").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from newsdiff_tui.diff import ArticleDiff, DiffStats, ParagraphDiff, WordOp, WordOpKind

Side = Literal["both", "old", "new"]
Marks = dict[str, tuple[str, str]]

#: Git's word-diff markers (``git diff --word-diff``), readable without colour.
GIT_MARKS: Marks = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}
#: HTML's edit tags, for Markdown and HTML exports.
HTML_MARKS: Marks = {"delete": ("<del>", "</del>"), "insert": ("<ins>", "</ins>")}
#: The sign of each kind of paragraph change, in stats lines and gutters.
SIGNS = {"modify": "~", "insert": "+", "delete": "−", "move": "↕"}


@dataclass(frozen=True)
class Piece:
    """A stretch of a rendered word diff: kept text, or a deleted or inserted run to mark."""

    op: WordOpKind
    text: str


# ----- word runs ----------------------------------------------------------------------------


def _shared_space(a: str, b: str, *, end: bool = False) -> int:
    """Length of the whitespace both strings start (or, with ``end``, finish) with."""
    n = 0
    limit = min(len(a), len(b))
    while n < limit:
        x, y = (a[-1 - n], b[-1 - n]) if end else (a[n], b[n])
        if x != y or not x.isspace():
            break
        n += 1
    return n


def pieces(words: Sequence[WordOp], side: Side = "both") -> list[Piece]:
    """Word runs regrouped for display, one side (``old``: kept + deleted) or both.

    Each change (the deleted and inserted runs between two kept ones) becomes: the whitespace
    both sides start with, the deleted text, the inserted text, the whitespace both sides end
    with. Kept text around merges, so a piece never follows one of its own kind. On one side
    alone a change's own edge whitespace is kept text too (only one side is shown, so it reads
    the same; a mark then never underlines or strikes a space).
    """
    out: list[Piece] = []

    def add(op: WordOpKind, text: str) -> None:
        """Append ``text`` as ``op``, merged into the last piece if it is of the same kind."""
        if not text:
            return
        if out and out[-1].op == op:
            out[-1] = Piece(op, out[-1].text + text)
        else:
            out.append(Piece(op, text))

    k, n = 0, len(words)
    while k < n:
        if words[k].op == "equal":
            add("equal", words[k].text)
            k += 1
            continue
        deleted: list[str] = []
        inserted: list[str] = []
        while k < n and words[k].op != "equal":
            (deleted if words[k].op == "delete" else inserted).append(words[k].text)
            k += 1
        old, new = "".join(deleted), "".join(inserted)
        if side != "both":
            op, text = ("delete", old) if side == "old" else ("insert", new)
            core = text.strip()
            start = text.find(core) if core else len(text)
            add("equal", text[:start])
            add(op, core)
            add("equal", text[start + len(core) :])
            continue
        lead = _shared_space(old, new)
        trail = _shared_space(old[lead:], new[lead:], end=True)
        add("equal", old[:lead])
        add("delete", old[lead : len(old) - trail])
        add("insert", new[lead : len(new) - trail])
        add("equal", old[len(old) - trail :])
    return out


def _same(text: str) -> str:
    """No escaping: the default ``escape`` of ``render_words``."""
    return text


def render_words(
    words: Sequence[WordOp],
    *,
    marks: Marks = GIT_MARKS,
    escape: Callable[[str], str] = _same,
    side: Side = "both",
) -> str:
    """A word diff as one string: every piece through ``escape``, changes between ``marks``."""
    out: list[str] = []
    for piece in pieces(words, side):
        if piece.op == "equal":
            out.append(escape(piece.text))
        else:
            start, end = marks[piece.op]
            out.append(f"{start}{escape(piece.text)}{end}")
    return "".join(out)


# ----- paragraphs ---------------------------------------------------------------------------


def fold_unchanged(
    paragraphs: Iterable[ParagraphDiff], fold: bool = True
) -> list[ParagraphDiff | int]:
    """The paragraphs to show: with ``fold``, each run of unchanged ones becomes its length."""
    out: list[ParagraphDiff | int] = []
    for p in paragraphs:
        if fold and p.op == "equal":
            if out and isinstance(out[-1], int):
                out[-1] += 1
            else:
                out.append(1)
        else:
            out.append(p)
    return out


def unchanged_note(count: int) -> str:
    """What stands for a folded run: '1 unchanged paragraph', '3 unchanged paragraphs'."""
    return f"{count} unchanged paragraph{'' if count == 1 else 's'}"


def move_label(p: ParagraphDiff) -> str:
    """Where a moved paragraph was and is, counting paragraphs from 1: 'moved from ¶3 to ¶7'."""
    return f"moved from ¶{(p.old_index or 0) + 1} to ¶{(p.new_index or 0) + 1}"


# ----- stats lines --------------------------------------------------------------------------


def paragraph_counts(stats: DiffStats) -> list[tuple[str, int]]:
    """(op, count) of each kind of paragraph change, in the order every stats line uses."""
    return [
        ("modify", stats.paragraphs_modified),
        ("insert", stats.paragraphs_inserted),
        ("delete", stats.paragraphs_deleted),
        ("move", stats.paragraphs_moved),
    ]


_PAST = {"modify": "modified", "insert": "inserted", "delete": "deleted", "move": "moved"}


def changed_fields(d: ArticleDiff) -> list[str]:
    """'title' and/or 'byline', those that changed."""
    return [name for name, f in (("title", d.title), ("byline", d.byline)) if f.changed]


def stats_compact(d: ArticleDiff) -> str:
    """A diff's size in a few columns (the timeline): ``title ~5¶ +1¶ ↕1¶ +61 −38 words``."""
    s = d.stats
    parts = changed_fields(d)
    parts += [f"{SIGNS[op]}{count}¶" for op, count in paragraph_counts(s) if count]
    if s.words_added or s.words_removed:
        parts.append(f"+{s.words_added} −{s.words_removed} words")
    return " ".join(parts) if parts else "no text change"


def stats_summary(d: ArticleDiff) -> str:
    """A diff's size for readers of an export: '+105 −54 words · paragraphs: 5 modified,
    1 inserted, 1 moved' (kinds with no paragraph left out)."""
    s = d.stats
    counts = [f"{count} {_PAST[op]}" for op, count in paragraph_counts(s) if count]
    words = f"+{s.words_added} −{s.words_removed} words"
    if not counts:
        return words
    noun = "paragraph" if s.paragraphs_changed == 1 else "paragraphs"
    return f"{words} · {noun}: {', '.join(counts)}"


def stats_report(d: ArticleDiff) -> str:
    """A diff's size in full (the ``diff`` command's last line): every kind of paragraph
    (moved only when there are any), words, the share of the text, changed fields, coarse."""
    s = d.stats
    if not d.has_changes:
        return "no changes"
    parts = [f"{count} {_PAST[op]}" for op, count in paragraph_counts(s) if count or op != "move"]
    parts.append(f"{s.paragraphs_equal} unchanged paragraph(s)")
    summary = ", ".join(parts) + f"; +{s.words_added} -{s.words_removed} words"
    summary += f" ({s.share_changed:.0%} of the text)"
    fields = changed_fields(d)
    if fields:
        summary += f"; {' and '.join(fields)} changed"
    if d.coarse:
        summary += "; coarse diff (time limit reached)"
    return summary
