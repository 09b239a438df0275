"""A context manager that pauses Python's cyclic garbage collector around allocation bursts."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many short-lived, acyclic objects.

    Each collection it would trigger walks every live object of the process (the TUI's widgets
    included); for objects that hold no cycles that is wasted time: up to half of a heavy diff
    and a fifth of opening a 20,000-article index. Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
