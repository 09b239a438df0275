"""Turn an ``ArticleDiff`` into wrapped Rich ``Text`` lines, inline or side by side.

Deleted and inserted words are coloured *and* wrapped in markers that survive without colour
(``[-old-]`` and ``{+new+}``, as ``git diff --word-diff`` writes them). All article text goes
through ``Text.append``: markup in it is shown literally and never styles the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from rich.console import Console
from rich.style import Style
from rich.text import Text

from newsdiff_tui.diff import ArticleDiff, FieldDiff, ParagraphDiff, WordOp
from newsdiff_tui.model import ArticleText
from newsdiff_tui.tui.fmt import safe

DELETE_MARKS = ("[-", "-]")
INSERT_MARKS = ("{+", "+}")
GUTTER = {"equal": "  ", "modify": "~ ", "insert": "+ ", "delete": "- "}
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


def _marked(text: str, marks: tuple[str, str], style: Style) -> Text:
    """``text`` inside markers, whitespace around it left outside (and unstyled)."""
    body = safe(text)
    core = body.strip()
    if not core:
        return Text(body)
    lead = body[: len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()) :]
    out = Text(lead)
    out.append(f"{marks[0]}{core}{marks[1]}", style)
    out.append(trail)
    return out


def words_text(words: Sequence[WordOp], styles: DiffStyles, side: str = "both") -> Text:
    """One paragraph's word operations as Text; ``side`` old/new keeps one side's words."""
    out = Text()
    for w in words:
        if w.op == "equal":
            out.append(safe(w.text))
        elif w.op == "delete" and side != "new":
            out.append_text(_marked(w.text, DELETE_MARKS, styles.delete))
        elif w.op == "insert" and side != "old":
            out.append_text(_marked(w.text, INSERT_MARKS, styles.insert))
    return out


def _wrap(text: Text, width: int, console: Console) -> list[Text]:
    if not text.plain:
        return [Text()]
    return list(text.wrap(console, max(width, 4), overflow="fold"))


def _with_gutter(lines: list[Text], mark: str, style: Style) -> list[Text]:
    return [Text.assemble((mark, style), line) for line in lines]


def _fold_line(count: int, styles: DiffStyles) -> Text:
    noun = "paragraph" if count == 1 else "paragraphs"
    return Text(f"  ⋯ {count} unchanged {noun} folded (f unfolds)", styles.dim)


def _folded(paragraphs: Sequence[ParagraphDiff], fold: bool) -> list[ParagraphDiff | int]:
    """Paragraphs with runs of unchanged ones replaced by their length when folding."""
    if not fold:
        return list(paragraphs)
    out: list[ParagraphDiff | int] = []
    for p in paragraphs:
        if p.op == "equal":
            if out and isinstance(out[-1], int):
                out[-1] += 1
            else:
                out.append(1)
        else:
            out.append(p)
    return out


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
    for item in _folded(d.paragraphs, fold):
        if isinstance(item, int):
            out.add([_fold_line(item, styles)])
            out.blank()
            continue
        lines = _wrap(words_text(item.words, styles), body_width, console)
        out.add(_with_gutter(lines, GUTTER[item.op], styles.gutter), change=item.op != "equal")
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
    for item in _folded(d.paragraphs, fold):
        if isinstance(item, int):
            out.add([_fold_line(item, styles)])
            out.blank()
            continue
        left = words_text(item.words, styles, "old") if item.op != "insert" else Text()
        right = words_text(item.words, styles, "new") if item.op != "delete" else Text()
        out.add(
            _pair_rows(left, right, col, console, GUTTER[item.op], styles),
            change=item.op != "equal",
        )
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
