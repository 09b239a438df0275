"""The diff engine: paragraphs aligned first, then words diffed inside modified paragraphs.

One engine serves the TUI, the CLI ``diff`` command and every exporter. Tokens keep their
whitespace and punctuation, so joining a side's tokens reproduces that side's text exactly.

NOTE: first cut (difflib-based) that fixes the public types; the real engine replaces the body.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from newsdiff_tui.model import ArticleText

WordOpKind = Literal["equal", "insert", "delete"]
ParagraphOpKind = Literal["equal", "insert", "delete", "modify"]

_TOKEN = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class WordOp:
    """A run of tokens that is kept, inserted or deleted; ``text`` keeps its whitespace."""

    op: WordOpKind
    text: str


@dataclass(frozen=True)
class FieldDiff:
    """The diff of a one-line field (title or byline)."""

    old: str
    new: str
    words: tuple[WordOp, ...]

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class ParagraphDiff:
    """One aligned paragraph: kept, inserted, deleted or modified (with word operations)."""

    op: ParagraphOpKind
    old: str | None
    new: str | None
    words: tuple[WordOp, ...]
    old_index: int | None = None
    new_index: int | None = None


@dataclass(frozen=True)
class DiffStats:
    """Summary figures of a diff, shown in the timeline and in exports."""

    words_added: int
    words_removed: int
    paragraphs_equal: int
    paragraphs_modified: int
    paragraphs_inserted: int
    paragraphs_deleted: int
    share_changed: float  # 0..1, changed words over the larger side's words

    @property
    def paragraphs_changed(self) -> int:
        return self.paragraphs_modified + self.paragraphs_inserted + self.paragraphs_deleted

    @property
    def has_changes(self) -> bool:
        return bool(self.paragraphs_changed or self.words_added or self.words_removed)


@dataclass(frozen=True)
class ArticleDiff:
    """Everything that changed between two ArticleTexts."""

    title: FieldDiff
    byline: FieldDiff
    paragraphs: tuple[ParagraphDiff, ...]
    stats: DiffStats
    coarse: bool = False  # True when the time bound forced a paragraph-level fallback

    @property
    def has_changes(self) -> bool:
        return self.title.changed or self.byline.changed or self.stats.has_changes


def tokenize(text: str) -> list[str]:
    """Word tokens that keep their trailing whitespace: ``"".join(tokenize(t)) == t``."""
    return _TOKEN.findall(text)


def diff_words(old: str, new: str) -> tuple[WordOp, ...]:
    """Word-level operations turning ``old`` into ``new``."""
    a, b = tokenize(old), tokenize(new)
    ops: list[WordOp] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(WordOp("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(WordOp("delete", "".join(a[i1:i2])))
        if j2 > j1:
            ops.append(WordOp("insert", "".join(b[j1:j2])))
    return tuple(ops)


def _field(old: str | None, new: str | None) -> FieldDiff:
    old, new = old or "", new or ""
    return FieldDiff(old=old, new=new, words=diff_words(old, new))


def diff(old: ArticleText, new: ArticleText) -> ArticleDiff:
    """Diff two texts: title and byline on their own, paragraphs aligned then word-diffed."""
    paragraphs: list[ParagraphDiff] = []
    matcher = difflib.SequenceMatcher(None, old.paragraphs, new.paragraphs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                text = old.paragraphs[i1 + k]
                paragraphs.append(
                    ParagraphDiff("equal", text, text, (WordOp("equal", text),), i1 + k, j1 + k)
                )
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            a, b = old.paragraphs[i1 + k], new.paragraphs[j1 + k]
            paragraphs.append(ParagraphDiff("modify", a, b, diff_words(a, b), i1 + k, j1 + k))
        for k in range(i1 + pairs, i2):
            a = old.paragraphs[k]
            paragraphs.append(ParagraphDiff("delete", a, None, (WordOp("delete", a),), k, None))
        for k in range(j1 + pairs, j2):
            b = new.paragraphs[k]
            paragraphs.append(ParagraphDiff("insert", None, b, (WordOp("insert", b),), None, k))
    return ArticleDiff(
        title=_field(old.title, new.title),
        byline=_field(old.byline, new.byline),
        paragraphs=tuple(paragraphs),
        stats=_stats(paragraphs, old, new),
    )


def _stats(paragraphs: list[ParagraphDiff], old: ArticleText, new: ArticleText) -> DiffStats:
    added = sum(len(w.text.split()) for p in paragraphs for w in p.words if w.op == "insert")
    removed = sum(len(w.text.split()) for p in paragraphs for w in p.words if w.op == "delete")
    counts = {
        op: sum(1 for p in paragraphs if p.op == op)
        for op in ("equal", "modify", "insert", "delete")
    }
    larger = max(old.word_count, new.word_count, 1)
    return DiffStats(
        words_added=added,
        words_removed=removed,
        paragraphs_equal=counts["equal"],
        paragraphs_modified=counts["modify"],
        paragraphs_inserted=counts["insert"],
        paragraphs_deleted=counts["delete"],
        share_changed=min(1.0, max(added, removed) / larger),
    )


def render_old(words: tuple[WordOp, ...]) -> str:
    """The old side of a word diff: equal and deleted runs."""
    return "".join(w.text for w in words if w.op != "insert")


def render_new(words: tuple[WordOp, ...]) -> str:
    """The new side of a word diff: equal and inserted runs."""
    return "".join(w.text for w in words if w.op != "delete")
