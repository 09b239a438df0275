"""Diffs of version pairs, computed once and shared by the worker threads that need them.

The timeline's stats worker and the diff view's worker often want the same pair at the same
moment (the selected version against the one before it): the second waits for the first
instead of diffing the same texts again. Keyed by the versions' text hashes, so a pair is the
same whichever article or version numbers it comes from.

A long diff is frozen (``gc.freeze``) as soon as it is computed. Frozen objects are still freed
when nothing refers to them; only garbage in reference cycles that exists at that moment is
kept (a few thousand objects, once per long diff computed).
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict

from newsdiff_tui.diff import ArticleDiff, diff
from newsdiff_tui.model import Version

Key = tuple[str, str]
FREEZE_PARAGRAPHS = 1_000  # diffs this long are exempted from garbage collection passes


class DiffMemo:
    """A thread-safe, bounded memo of ``diff(old.text, new.text)``."""

    def __init__(self, size: int = 128, paragraphs: int = 60_000) -> None:
        """A memo of at most ``size`` diffs, holding at most ``paragraphs`` paragraphs in all."""
        self.size = size
        self.paragraphs = paragraphs  # bound on the paragraphs of all diffs kept together
        self._lock = threading.Lock()
        self._done: OrderedDict[Key, ArticleDiff] = OrderedDict()
        self._weight = 0
        self._running: dict[Key, threading.Event] = {}

    def get(self, old: Version, new: Version) -> ArticleDiff:
        """The diff of the pair: from the memo, from a thread already computing it, or now."""
        key = (old.text_hash, new.text_hash)
        while True:
            with self._lock:
                found = self._done.get(key)
                if found is not None:
                    self._done.move_to_end(key)
                    return found
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            running.wait()  # another thread computes it; if it failed, compute it here
        try:
            result = diff(old.text, new.text)
            if len(result.paragraphs) >= FREEZE_PARAGRAPHS:
                # A long article's diff lives on while it is read: its ~100,000 objects would
                # be walked by every full pass of the garbage collector (0.1-0.3 s, on the UI
                # thread as often as not). Exempt it, as the app does for the index.
                gc.freeze()
            with self._lock:
                self._done[key] = result
                self._weight += len(result.paragraphs)
                while len(self._done) > 1 and (
                    len(self._done) > self.size or self._weight > self.paragraphs
                ):
                    _, dropped = self._done.popitem(last=False)
                    self._weight -= len(dropped.paragraphs)
            return result
        finally:
            with self._lock:
                self._running.pop(key, None)
            running.set()

    def peek(self, old: Version, new: Version) -> ArticleDiff | None:
        """The diff if it was already computed (never computes)."""
        with self._lock:
            return self._done.get((old.text_hash, new.text_hash))

    def clear(self) -> None:
        """Forget every diff (the benchmark measures each move's diff work this way)."""
        with self._lock:
            self._done.clear()
            self._weight = 0
