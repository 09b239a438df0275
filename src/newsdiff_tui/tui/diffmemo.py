"""Diffs of version pairs, computed once and shared by the worker threads that need them.

The timeline's stats worker and the diff view's worker often want the same pair at the same
moment (the selected version against the one before it): the second waits for the first
instead of diffing the same texts again. Keyed by the versions' text hashes, so a pair is the
same whichever article or version numbers it comes from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from newsdiff_tui.diff import ArticleDiff, diff
from newsdiff_tui.model import Version

Key = tuple[str, str]


class DiffMemo:
    """A thread-safe, bounded memo of ``diff(old.text, new.text)``."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._done: OrderedDict[Key, ArticleDiff] = OrderedDict()
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
            with self._lock:
                self._done[key] = result
                while len(self._done) > self.size:
                    self._done.popitem(last=False)
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
        with self._lock:
            self._done.clear()
