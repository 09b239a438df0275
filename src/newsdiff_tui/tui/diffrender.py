"""Turn an ``ArticleDiff`` into wrapped Rich ``Text`` lines, inline or side by side.

Deleted and inserted words are coloured *and* wrapped in markers that survive without colour
(``[-old-]`` and ``{+new+}``, as ``git diff --word-diff`` writes them), with the text's own
spacing (``difftext.pieces``): ``$4.[-2-]{+3+} billion``. A moved paragraph has a ``↕`` gutter
under a ``↕ moved from ¶3 to ¶7`` label. A blame shows each sentence of a version on its own
line(s) after a gutter: the version that brought it, how long after the article was first
seen, ``~vN`` if version N last edited it and ``↺vN`` if N restored it, coloured on a scale from
the oldest version to the newest. All article text goes through ``Text.append``: markup in it is
shown literally and never styles the screen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby, zip_longest

from rich.color import Color, blend_rgb
from rich.console import Console
from rich.style import Style
from rich.text import Text

from newsdiff_tui.blame import Blame, BlamedSentence
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
from newsdiff_tui.tui.fmt import safe, short_gap

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
    blame_old: Style = field(default_factory=lambda: Style(color="#5f87af"))
    blame_new: Style = field(default_factory=lambda: Style(color="#ffaf00", bold=True))


@dataclass
class RenderedDiff:
    """Wrapped lines ready for a line-rendered view, and where each change starts."""

    lines: list[Text] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)  # line numbers of change starts

    def add(self, lines: Iterable[Text], *, change: bool = False) -> None:
        """Append ``lines``; with ``change``, note where this change starts."""
        if change:
            self.anchors.append(len(self.lines))
        self.lines.extend(lines)

    def blank(self) -> None:
        """Append an empty line (between paragraphs)."""
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
    """``text`` wrapped to ``width`` cells (at least 4), long words folded; if empty, one line."""
    if not text.plain:
        return [Text()]
    return list(text.wrap(console, max(width, 4), overflow="fold"))


def _with_gutter(lines: list[Text], mark: str, style: Style) -> list[Text]:
    """``lines``, each after the gutter ``mark``."""
    return [Text.assemble((mark, style), line) for line in lines]


def _fold_line(count: int, styles: DiffStyles) -> Text:
    """The line standing for ``count`` folded unchanged paragraphs."""
    return Text(f"  ⋯ {unchanged_note(count)} folded (f unfolds)", styles.dim)


def _move_line(p: ParagraphDiff, styles: DiffStyles) -> Text:
    """The label over a moved paragraph: '↕ moved from ¶3 to ¶7'."""
    return Text.assemble((GUTTER["move"], styles.gutter), (move_label(p), styles.dim))


def _field_inline(
    label: str, f: FieldDiff, width: int, styles: DiffStyles, console: Console, out: RenderedDiff
) -> None:
    """A title or byline line: its word diff if it changed, else its text; nothing if empty."""
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
    """Two texts side by side in columns of ``col`` cells, row by row, after the gutter ``mark``."""
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


# ----- blame ------------------------------------------------------------------------------

BLAME_BAR = "▌"
BLAME_RULE = " │ "
BLAME_CHUNK = 25  # paragraphs per piece (as ``chunks.CHUNK`` for diffs)


@dataclass(frozen=True)
class BlamePiece:
    """Some paragraphs of a blame to render, with what the whole blame decides: the gutter's
    column widths, the version the colour scale ends at, and the newest change (its sentences
    are the places ``n``/``N`` jump to). Only the first piece has the title."""

    blame: Blame
    version_width: int
    age_width: int
    mark_width: int
    newest: int
    first: bool = True

    def bare(self) -> BlamePiece:
        """This piece without a sentence: what every piece's rendering starts with (nothing)."""
        blame = dataclasses.replace(self.blame, title=None, sentences=())
        return dataclasses.replace(self, blame=blame, first=False)


def last_touch(sentence: BlamedSentence) -> int:
    """The last version that changed a sentence: brought it, edited it or restored it."""
    return max(sentence.introduced, sentence.edited or 0, sentence.restored or 0)


def blame_age(sentence: BlamedSentence) -> str:
    """How long after the article was first seen a sentence came: ``+32 min``, or ``first``."""
    seconds = sentence.after_first_seen.total_seconds()
    return "first" if seconds <= 0 else f"+{short_gap(seconds)}"


def blame_marks(sentence: BlamedSentence) -> str:
    """``↺v3`` if version 3 restored a sentence, ``~v4`` if version 4 last edited it."""
    marks = ""
    if sentence.restored is not None:
        marks += f"↺v{sentence.restored}"
    if sentence.edited is not None:
        marks += f"~v{sentence.edited}"
    return marks


def blame_pieces(b: Blame, size: int = BLAME_CHUNK) -> list[BlamePiece]:
    """A blame as pieces of about ``size`` paragraphs that render, one after the other, as the
    whole does (the gutter's widths are the whole blame's)."""
    rows = ([b.title] if b.title else []) + list(b.sentences)
    piece = BlamePiece(
        blame=b,
        version_width=max((len(f"v{s.introduced}") for s in rows), default=2),
        age_width=max((len(blame_age(s)) for s in rows), default=5),
        mark_width=max((len(blame_marks(s)) for s in rows), default=0),
        newest=max((last_touch(s) for s in rows), default=b.version),
    )
    paragraphs = [list(group) for _, group in groupby(b.sentences, key=lambda s: s.paragraph)]
    if len(paragraphs) <= size:
        return [piece]
    pieces = []
    for start in range(0, len(paragraphs), size):
        sentences = tuple(s for group in paragraphs[start : start + size] for s in group)
        first = start == 0
        blame = dataclasses.replace(b, title=b.title if first else None, sentences=sentences)
        pieces.append(dataclasses.replace(piece, blame=blame, first=first))
    return pieces


def blame_colour(age: float, styles: DiffStyles) -> Style:
    """The colour of an age on the scale: 0 is the oldest version's, 1 the newest's."""
    old, new = styles.blame_old.color, styles.blame_new.color
    if old is None or new is None:
        return styles.blame_new if age >= 1 else styles.blame_old
    mixed = blend_rgb(old.get_truecolor(), new.get_truecolor(), max(0.0, min(age, 1.0)))
    return Style(color=Color.from_triplet(mixed), bold=age >= 1 and bool(styles.blame_new.bold))


def _blame_gutter(
    sentence: BlamedSentence | None, piece: BlamePiece, colour: Style, styles: DiffStyles
) -> Text:
    """A sentence's gutter (``None``: the gutter of its continuation lines)."""
    if sentence is None:
        cells = " " * (piece.version_width + piece.age_width + piece.mark_width + 2)
    else:
        cells = (
            f"{'v' + str(sentence.introduced):<{piece.version_width}} "
            f"{blame_age(sentence):<{piece.age_width}} "
            f"{blame_marks(sentence):<{piece.mark_width}}"
        )
    return Text.assemble((BLAME_BAR, colour), (cells, colour), (BLAME_RULE, styles.dim))


def render_blame(
    piece: BlamePiece, width: int, console: Console, styles: DiffStyles
) -> RenderedDiff:
    """A piece of a blame: each sentence after its gutter, paragraphs apart, the title first."""
    out = RenderedDiff()
    b = piece.blame
    gutter_width = _blame_gutter(None, piece, Style(), styles).cell_len
    scale = max(b.version, 1)

    def add(sentence: BlamedSentence, text: Text) -> None:
        """Add a sentence after its gutter, coloured by age; the newest version's are changes."""
        touched = last_touch(sentence)
        colour = blame_colour(touched / scale, styles)
        lines = _wrap(text, width - gutter_width, console)
        out.add(
            [
                Text.assemble(
                    _blame_gutter(sentence if n == 0 else None, piece, colour, styles), line
                )
                for n, line in enumerate(lines)
            ],
            change=touched == piece.newest,
        )

    if b.title is not None:
        add(b.title, Text(safe(b.title.text), styles.heading))
        out.blank()
    for _, group in groupby(b.sentences, key=lambda s: s.paragraph):
        for sentence in group:
            add(sentence, Text(safe(sentence.text)))
        out.blank()
    if piece.first and b.title is None and not b.sentences:
        out.add([Text("  (this version has no text)", styles.dim)])
    return out
