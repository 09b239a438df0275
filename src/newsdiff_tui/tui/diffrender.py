"""Turn an ``ArticleDiff`` into wrapped Rich ``Text`` lines, inline or side by side.

Deleted and inserted words are coloured *and* wrapped in markers that survive without colour
(``[-old-]`` and ``{+new+}``, as ``git diff --word-diff`` writes them), with the text's own
spacing (``difftext.pieces``): ``$4.[-2-]{+3+} billion``. A moved paragraph has a ``↕`` gutter
under a ``↕ moved from ¶3 to ¶7`` label. All article text goes through ``Text.append``: markup
in it is shown literally and never styles the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from rich.console import Console
from rich.style import Style
from rich.text import Text

from newsdiff_tui.diff import ArticleDiff, FieldDiff, ParagraphDiff, WordOp
from newsdiff_tui.difftext import (
    GIT_MARKS,
    SIGNS,
    Side,
    fold_unchanged,
    move_label,
    pieces,
    unchanged_note,
)
from newsdiff_tui.model import ArticleText
from newsdiff_tui.tui.fmt import safe

DELETE_MARKS = GIT_MARKS["delete"]
INSERT_MARKS = GIT_MARKS["insert"]
GUTTER = {
    "equal": "  ",
    "modify": "~ ",
    "insert": "+ ",
    "delete": "- ",
    "move": f"{SIGNS['move']} ",
}
SEPARATOR = " │ "


@dataclass(frozen=True)
class DiffStyles:
    """The styles a rendering uses (the widget takes them from its component classes)."""

    delete: Style = field(default_factory=lambda: Style(color="red", strike=True))
    insert: Style = field(default_factory=lambda: Style(color="green", underline=True))
    heading: Style = field(default_factory=lambda: Style(bold=True))
    dim: Style = field(default_factory=lambda: Style(dim=True))
    gutter: Style = field(default_factory=lambda: Style(bold=True))


@dataclass
class RenderedDiff:
    """Wrapped lines ready for a line-rendered view, and where each change starts."""

    lines: list[Text] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)  # line numbers of change starts

    def add(self, lines: Iterable[Text], *, change: bool = False) -> None:
        if change:
            self.anchors.append(len(self.lines))
        self.lines.extend(lines)

    def blank(self) -> None:
        self.lines.append(Text())


def words_text(words: Sequence[WordOp], styles: DiffStyles, side: Side = "both") -> Text:
    """One paragraph's word operations as Text; ``side`` old/new keeps one side's words."""
    out = Text()
    for piece in pieces(words, side):
        if piece.op == "equal":
            out.append(safe(piece.text))
        else:
            start, end = DELETE_MARKS if piece.op == "delete" else INSERT_MARKS
            style = styles.delete if piece.op == "delete" else styles.insert
            out.append(f"{start}{safe(piece.text)}{end}", style)
    return out


def _wrap(text: Text, width: int, console: Console) -> list[Text]:
    if not text.plain:
        return [Text()]
    return list(text.wrap(console, max(width, 4), overflow="fold"))


def _with_gutter(lines: list[Text], mark: str, style: Style) -> list[Text]:
    return [Text.assemble((mark, style), line) for line in lines]


def _fold_line(count: int, styles: DiffStyles) -> Text:
    return Text(f"  ⋯ {unchanged_note(count)} folded (f unfolds)", styles.dim)


def _move_line(p: ParagraphDiff, styles: DiffStyles) -> Text:
    """The label over a moved paragraph: '↕ moved from ¶3 to ¶7'."""
    return Text.assemble((GUTTER["move"], styles.gutter), (move_label(p), styles.dim))


def _field_inline(
    label: str, f: FieldDiff, width: int, styles: DiffStyles, console: Console, out: RenderedDiff
) -> None:
    if not f.old and not f.new:
        return
    if f.changed:
        text = Text.assemble((f"{label}: ", styles.heading), words_text(f.words, styles))
        out.add(_with_gutter(_wrap(text, width - 2, console), "~ ", styles.gutter), change=True)
    else:
        text = Text(safe(f.new), styles.heading if label == "Title" else styles.dim)
        out.add(_with_gutter(_wrap(text, width - 2, console), "  ", styles.gutter))


def render_inline(
    d: ArticleDiff, width: int, console: Console, styles: DiffStyles, *, fold: bool = False
) -> RenderedDiff:
    """The diff as one column: title and byline first, then every paragraph in new order."""
    out = RenderedDiff()
    _field_inline("Title", d.title, width, styles, console, out)
    _field_inline("Byline", d.byline, width, styles, console, out)
    out.blank()
    body_width = width - 2
    for item in fold_unchanged(d.paragraphs, fold):
        if isinstance(item, int):
            out.add([_fold_line(item, styles)])
            out.blank()
            continue
        lines = _with_gutter(
            _wrap(words_text(item.words, styles), body_width, console),
            GUTTER[item.op],
            styles.gutter,
        )
        if item.op == "move":
            lines.insert(0, _move_line(item, styles))
        out.add(lines, change=item.op != "equal")
        out.blank()
    if not d.has_changes:
        out.add([Text("  (no text change between these versions)", styles.dim)])
    return out


def _pair_rows(left: Text, right: Text, col: int, console: Console, mark: str, styles: DiffStyles):
    lefts = _wrap(left, col, console) if left.plain else []
    rights = _wrap(right, col, console) if right.plain else []
    rows = []
    for a, b in zip_longest(lefts, rights, fillvalue=None):
        a = a or Text()
        b = b or Text()
        a.truncate(col, pad=True)
        rows.append(Text.assemble((mark, styles.gutter), a, (SEPARATOR, styles.dim), b))
    return rows or [Text.assemble((mark, styles.gutter), " " * col, (SEPARATOR, styles.dim))]


def render_side_by_side(
    d: ArticleDiff,
    width: int,
    console: Console,
    styles: DiffStyles,
    *,
    labels: tuple[str, str] = ("old", "new"),
    fold: bool = False,
) -> RenderedDiff:
    """The diff in two columns: the old side with deletions, the new side with insertions."""
    out = RenderedDiff()
    col = max((width - 2 - len(SEPARATOR)) // 2, 8)
    out.add(
        _pair_rows(
            Text(labels[0], styles.heading),
            Text(labels[1], styles.heading),
            col,
            console,
            "  ",
            styles,
        )
    )
    out.add([Text("  " + "─" * col + "─┼─" + "─" * col, styles.dim)])
    for f, is_title in ((d.title, True), (d.byline, False)):
        if not f.old and not f.new:
            continue
        base = styles.heading if is_title else styles.dim
        left = words_text(f.words, styles, "old")
        right = words_text(f.words, styles, "new")
        left.stylize(base)
        right.stylize(base)
        mark = "~ " if f.changed else "  "
        out.add(_pair_rows(left, right, col, console, mark, styles), change=f.changed)
    out.blank()
    for item in fold_unchanged(d.paragraphs, fold):
        if isinstance(item, int):
            out.add([_fold_line(item, styles)])
            out.blank()
            continue
        left = words_text(item.words, styles, "old") if item.op != "insert" else Text()
        right = words_text(item.words, styles, "new") if item.op != "delete" else Text()
        rows = _pair_rows(left, right, col, console, GUTTER[item.op], styles)
        if item.op == "move":
            rows.insert(0, _move_line(item, styles))
        out.add(rows, change=item.op != "equal")
        out.blank()
    return out


def render_single(
    text: ArticleText, width: int, console: Console, styles: DiffStyles
) -> RenderedDiff:
    """One version's text on its own (the first version has nothing to compare with)."""
    out = RenderedDiff()
    out.add(
        _with_gutter(
            _wrap(Text(safe(text.title), styles.heading), width - 2, console), "  ", styles.gutter
        )
    )
    if text.byline:
        out.add(
            _with_gutter(
                _wrap(Text(safe(text.byline), styles.dim), width - 2, console), "  ", styles.gutter
            )
        )
    out.blank()
    for paragraph in text.paragraphs:
        out.add(_with_gutter(_wrap(Text(safe(paragraph)), width - 2, console), "  ", styles.gutter))
        out.blank()
    return out


def render_message(lines: Iterable[str | Text], width: int, console: Console) -> RenderedDiff:
    """Plain lines (empty state, errors) wrapped to the view's width."""
    out = RenderedDiff()
    for line in lines:
        text = line if isinstance(line, Text) else Text(line)
        out.add(_wrap(text, width, console) if text.plain else [Text()])
    return out
