"""Checks shared by the diff tests: apply a diff's operations, and read markers back."""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsdiff_tui.diff import MOVE_MIN_ALNUM, ArticleDiff, render_new, render_old


def apply_diff(old: Sequence[str], result: ArticleDiff) -> list[str]:
    """The new paragraphs, built by applying ``result``'s operations to the old paragraphs.

    Every old paragraph must be used exactly once (kept, modified, moved or deleted), each
    operation's words must read back its old paragraph, and insertions bring their own text.
    """
    used: list[int] = []
    out: list[str] = []
    for p in result.paragraphs:
        if p.op == "insert":
            assert p.old_index is None and p.old is None and p.new_index == len(out)
            assert all(w.op == "insert" for w in p.words)
            out.append(render_new(p.words))
            continue
        assert p.old_index is not None
        assert p.old == old[p.old_index] == render_old(p.words)
        used.append(p.old_index)
        if p.op == "delete":
            assert p.new_index is None and p.new is None
            assert all(w.op == "delete" for w in p.words)
            continue
        assert p.new_index == len(out)
        if p.op == "equal":
            assert all(w.op == "equal" for w in p.words)
        if p.op == "modify":
            assert p.old != p.new
        if p.op == "move":
            assert alnum(p.old) >= MOVE_MIN_ALNUM and alnum(p.new or "") >= MOVE_MIN_ALNUM
        out.append(render_new(p.words))
        assert out[-1] == p.new
    assert sorted(used) == list(range(len(old)))
    # What stays in place keeps its order; only moves jump.
    in_place = [p.old_index for p in result.paragraphs if p.op != "move" and p.old is not None]
    assert in_place == sorted(in_place)
    return out


def recover_old(result: ArticleDiff) -> list[str]:
    """The old paragraphs read back from a diff (each operation's old side, by old index)."""
    olds = sorted(
        (p.old_index, render_old(p.words)) for p in result.paragraphs if p.old_index is not None
    )
    return [text for _, text in olds]


def alnum(text: str) -> int:
    """Letters and digits in ``text``."""
    return sum(c.isalnum() for c in text)


def read_marked(rendered: str, side: str, marks: dict[str, tuple[str, str]]) -> str:
    """One side of a rendering with ``marks``: the other side's marked runs dropped, this
    side's unwrapped. The marked text must not contain the closing mark."""
    keep, drop = ("delete", "insert") if side == "old" else ("insert", "delete")
    (ks, ke), (ds, de) = marks[keep], marks[drop]
    text = re.sub(f"{re.escape(ds)}.*?{re.escape(de)}", "", rendered, flags=re.S)
    return re.sub(f"{re.escape(ks)}(.*?){re.escape(ke)}", r"\1", text, flags=re.S)
