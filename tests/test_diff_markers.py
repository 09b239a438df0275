"""One renderer of word runs (``difftext``) for the app, the ``diff`` command and the exports.

The property that matters: reading either side out of a rendering gives back that side's text
exactly, in the app's Rich Text and in the Markdown export (as a CommonMark renderer reads it).
Also here: folding, move labels and stats lines, which every medium takes from ``difftext``.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from diff_helpers import read_marked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.console import Console
from rich.text import Text

from newsdiff_tui.commands.diffcmd import render_words as cli_words
from newsdiff_tui.diff import ArticleDiff, diff, diff_words
from newsdiff_tui.difftext import (
    GIT_MARKS,
    HTML_MARKS,
    fold_unchanged,
    pieces,
    render_words,
    stats_compact,
    stats_report,
    stats_summary,
    unchanged_note,
)
from newsdiff_tui.export import render_atom, render_markdown
from newsdiff_tui.model import Article, ArticleText, Version
from newsdiff_tui.textnorm import normalize
from newsdiff_tui.tui.diffrender import DiffStyles, render_inline, render_side_by_side, words_text

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
STYLES = DiffStyles()
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

A = "The council voted on Tuesday to close the old library on Main Street next spring."
B = "Residents packed the hall, and several speakers urged members to delay the decision."
C = "The mayor said the building would be sold and the money spent on the new school."
D = "Weather forecasters expect heavy snow across the northern valleys by Friday night."


def _text(*paragraphs: str, title: str = "T") -> ArticleText:
    return ArticleText(title=title, paragraphs=tuple(paragraphs))


def _history(old: ArticleText, new: ArticleText) -> tuple[Article, list[Version]]:
    versions = [Version(0, old, T0, "h0"), Version(1, new, T0 + timedelta(minutes=5), "h1")]
    article = Article(
        id="0123456789abcdef",
        url="https://example.com/story",
        source="example",
        title=new.title,
        first_seen=T0,
        last_changed=versions[-1].fetched_at,
        version_count=2,
    )
    return article, versions


# ----- the text's own spacing ---------------------------------------------------------------


def test_a_replacement_keeps_the_texts_own_spacing_in_every_medium() -> None:
    words = diff_words("It cost $4.2 billion.", "It cost $4.3 billion.")
    assert words_text(words, STYLES).plain == "It cost $4.[-2-]{+3+} billion."
    assert cli_words(words, color=False) == "It cost $4.[-2-]{+3+} billion."
    markdown = render_markdown(
        *_history(_text("It cost $4.2 billion."), _text("It cost $4.3 billion."))
    )
    assert "It cost $4.<del>2</del><ins>3</ins> billion." in markdown
    atom = render_atom(*_history(_text("It cost $4.2 billion."), _text("It cost $4.3 billion.")))
    assert "$4.&lt;del&gt;2&lt;/del&gt;&lt;ins&gt;3&lt;/ins&gt; billion." in atom


def test_shared_space_outside_a_sides_own_space_inside() -> None:
    assert (
        render_words(diff_words("South Korea took", "Seoul took"))
        == "[-South Korea-]{+Seoul+} took"
    )
    assert render_words(diff_words("a b c", "a c")) == "a [-b -]c"
    assert render_words(diff_words("one two", "one two three")) == "one two{+ three+}"
    assert render_words(diff_words("a,b", "a, b")) == "a,{+ +}b"  # visible, not lost
    assert render_words(diff_words("a b", "a b"), side="old") == "a b"
    assert render_words(diff_words("x y z", "x q z"), side="new") == "x {+q+} z"


def test_one_side_alone_never_marks_a_space() -> None:
    """Shown alone (side by side), a side reads the same with its edge spaces outside the
    marks, so a struck or underlined run never reaches into the space between words."""
    words = diff_words("the pact was set", "the pact a serious rift was set")
    assert render_words(words) == "the pact {+a serious rift +}was set"  # both: exact
    assert render_words(words, side="new") == "the pact {+a serious rift+} was set"
    assert render_words(words, side="old") == "the pact was set"
    gone = diff_words("for now and more. The end", "for now. The end")
    assert render_words(gone, side="old") == "for now [-and more-]. The end"


def test_pieces_never_repeat_a_kind() -> None:
    result = pieces(diff_words("one two three and more four five", "one 2 three and more 4 five"))
    assert all(a.op != b.op for a, b in itertools.pairwise(result))
    assert [p.op for p in result] == [
        "equal",
        "delete",
        "insert",
        "equal",
        "delete",
        "insert",
        "equal",
    ]


# ----- reading the sides back: the app and the Markdown export ------------------------------

TOKENS = st.sampled_from(
    [
        "the", "pact", "Seoul", "$4.2", "billion", "2019.", "AT&T", "&amp;", "*", "_x_", "[x]",
        "<b>", "#", "-", "+", "\\", "`", "|", "~~", "!", "—", "“q”", "a", "[-", "-]", "{+",
        "+}", "<ins>", "</del>", ",", ".",
    ]
)  # fmt: skip
sentence = st.lists(TOKENS, min_size=1, max_size=14).map(" ".join).map(normalize)


@st.composite
def edited_pair(draw: st.DrawFn) -> tuple[str, str]:
    """A normalised paragraph (as stored versions are) and an edit of it, or another one."""
    old = draw(sentence)
    if draw(st.booleans()):
        return old, draw(sentence)
    tokens = old.split(" ")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(tokens)))
        cut = draw(st.integers(0, 2))
        tokens[at : at + cut] = draw(st.lists(TOKENS, max_size=2))
    new = normalize(" ".join(tokens))
    return old, new or "x"


def _read_rich(text: Text, side: str) -> str:
    """One side of the app's Rich Text, told apart by the spans' styles (not by the marker
    characters, which the article text may contain too)."""
    plain, out, pos = text.plain, [], 0
    for span in sorted(text.spans, key=lambda s: s.start):
        if span.style not in (STYLES.delete, STYLES.insert):
            continue
        op = "delete" if span.style == STYLES.delete else "insert"
        start, end = GIT_MARKS[op]
        body = plain[span.start : span.end]
        assert body.startswith(start) and body.endswith(end), body
        out.append(plain[pos : span.start])
        if (op == "delete") == (side == "old"):
            out.append(body[len(start) : -len(end)])
        pos = span.end
    out.append(plain[pos:])
    return "".join(out)


@SETTINGS
@given(edited_pair())
def test_the_apps_rendering_reads_back_both_sides(pair: tuple[str, str]) -> None:
    old, new = pair
    words = diff_words(old, new)
    shown = words_text(words, STYLES)
    assert (_read_rich(shown, "old"), _read_rich(shown, "new")) == (old, new)
    assert (words_text(words, STYLES, "old").plain, words_text(words, STYLES, "new").plain) == (
        render_words(words, side="old"),
        render_words(words, side="new"),
    )
    if old == new:
        return
    # The same through the diff view's own lines (wide enough not to wrap), past the gutter.
    result = diff(_text(old), _text(new))
    lines = render_inline(result, 10_000, Console(width=10_000), STYLES).lines
    body = [line for line in lines[2:] if line.plain.strip()]
    olds = [_read_rich(line[2:], "old") for line in body]
    news = [_read_rich(line[2:], "new") for line in body]
    assert [t for t in olds if t] == [old] and [t for t in news if t] == [new]


class _Sides(HTMLParser):
    """Each top-level block of rendered HTML as (tag, old side, new side): text in <ins> is
    only on the new side, text in <del> only on the old one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str, str]] = []
        self.depth = 0
        self.inside = {"del": 0, "ins": 0}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.inside:
            self.inside[tag] += 1
            return
        if self.depth == 0:
            self.blocks.append((tag, "", ""))
        self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.inside:
            self.inside[tag] -= 1
        else:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:  # the newlines between blocks
            return
        tag, old, new = self.blocks[-1]
        old += "" if self.inside["ins"] else data
        new += "" if self.inside["del"] else data
        self.blocks[-1] = (tag, old, new)


def _markdown_sides(markdown: str) -> tuple[str, str]:
    """The diff paragraphs' old and new sides, as a CommonMark renderer shows them."""
    parser = _Sides()
    parser.feed(MarkdownIt("commonmark").render(markdown))
    start = [old for _, old, _ in parser.blocks].index("Headline unchanged.") + 1
    diff_blocks = parser.blocks[start:]
    return "".join(o for _, o, _ in diff_blocks), "".join(n for _, _, n in diff_blocks)


@SETTINGS
@given(edited_pair())
def test_the_markdown_export_reads_back_both_sides(pair: tuple[str, str]) -> None:
    old, new = pair
    markdown = render_markdown(*_history(_text(old), _text(new)), full=True, latest=False)
    assert _markdown_sides(markdown) == (old, new)


def test_markdown_markers_read_back_at_the_source_too() -> None:
    old, new = "AT&T said <b> was *fine*", "AT&T said <i> was *fine* now"
    markdown = render_markdown(*_history(_text(old), _text(new)), full=True, latest=False)
    (block,) = [b.strip() for b in markdown.split("\n\n") if "said" in b]
    assert block == r"AT&T said \<<del>b</del><ins>i</ins>\> was \*fine\*<ins> now</ins>"
    assert read_marked(block, "old", HTML_MARKS).replace("\\", "") == old


# ----- moves in every medium ----------------------------------------------------------------


def _moved() -> ArticleDiff:
    return diff(_text(A, B, C, D), _text(B, C, D, A.replace("Tuesday", "Wednesday")))


def test_the_app_marks_a_moved_paragraph() -> None:
    console = Console(width=100)
    inline = [line.plain for line in render_inline(_moved(), 100, console, STYLES).lines]
    at = inline.index("↕ moved from ¶1 to ¶4")
    assert inline[at + 1].startswith("↕ The council voted on [-Tuesday-]{+Wednesday+} to close")
    split = [line.plain for line in render_side_by_side(_moved(), 160, console, STYLES).lines]
    at = split.index("↕ moved from ¶1 to ¶4")
    assert split[at + 1].startswith("↕ The council voted on [-Tuesday-] to close")
    assert "│ The council voted on {+Wednesday+} to close" in split[at + 1]


def test_the_app_folds_around_a_move_and_jumps_to_it() -> None:
    rendered = render_inline(_moved(), 100, Console(width=100), STYLES, fold=True)
    plain = [line.plain for line in rendered.lines]
    assert "  ⋯ 3 unchanged paragraphs folded (f unfolds)" in plain
    assert [plain[k] for k in rendered.anchors] == ["↕ moved from ¶1 to ¶4"]


def test_the_exports_label_a_moved_paragraph() -> None:
    old, new = _text(A, B, C, D), _text(B, C, D, A.replace("Tuesday", "Wednesday"))
    markdown = render_markdown(*_history(old, new))
    assert (
        "_↕ moved from ¶1 to ¶4:_ The council voted on <del>Tuesday</del><ins>Wednesday</ins> "
        "to close" in markdown
    )
    assert "+1 −1 words · paragraph: 1 moved" in markdown
    assert "_… 3 unchanged paragraphs …_" in markdown
    atom = render_atom(*_history(old, new))
    assert "&lt;em&gt;↕ moved from ¶1 to ¶4:&lt;/em&gt; The council" in atom


def test_a_hostile_moved_paragraph_stays_text() -> None:
    hostile = "<script>alert(1)</script> *bold* [x](javascript:evil) and enough words here"
    markdown = render_markdown(*_history(_text(hostile, A), _text(A, hostile)))
    assert r"_↕ moved from ¶1 to ¶2:_ \<script\>alert(1)\</script\> \*bold\* \[x\]" in markdown
    assert "<script>" not in markdown


# ----- folding and stats lines ----------------------------------------------------------------


def test_folding_and_its_note() -> None:
    result = diff(_text(A, B, C, D), _text(A, B.replace("several", "many"), C, D))
    assert [x if isinstance(x, int) else x.op for x in fold_unchanged(result.paragraphs)] == [
        1,
        "modify",
        2,
    ]
    assert [p.op for p in fold_unchanged(result.paragraphs, fold=False)] == [  # type: ignore[union-attr]
        "equal",
        "modify",
        "equal",
        "equal",
    ]
    assert (unchanged_note(1), unchanged_note(2)) == (
        "1 unchanged paragraph",
        "2 unchanged paragraphs",
    )


@pytest.mark.parametrize(
    ("old", "new", "compact", "summary", "report"),
    [
        (
            _text(A, B, C, D, title="Old"),
            _text(B, C.replace("new school", "new stadium"), D, "Short new line.", A, title="New"),
            "title ~1¶ +1¶ ↕1¶ +4 −1 words",
            "+4 −1 words · paragraphs: 1 modified, 1 inserted, 1 moved",
            "1 modified, 1 inserted, 0 deleted, 1 moved, 2 unchanged paragraph(s); +4 -1 words "
            "(7% of the text); title changed",
        ),
        (_text(A), _text(A), "no text change", "+0 −0 words", "no changes"),
    ],
)
def test_stats_lines(
    old: ArticleText, new: ArticleText, compact: str, summary: str, report: str
) -> None:
    result = diff(old, new)
    assert (stats_compact(result), stats_summary(result), stats_report(result)) == (
        compact,
        summary,
        report,
    )
