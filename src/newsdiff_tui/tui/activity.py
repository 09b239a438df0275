"""Whether the UI is answering a key, so that background work steps aside meanwhile.

Worker threads share the GIL with the UI's event loop, which gives it up on every turn: a key
whose handling takes the UI 20 turns can wait ~5 ms for the GIL on each of them while a worker
wraps a long diff. So the app notes each key (``key_pressed``) and each frame it shows
(``frame_shown``), and long-running workers call ``step_aside`` between steps: from a key to
the next frame they sleep instead of competing (``MAX_WAIT`` at most), and otherwise pause
briefly so the UI's other work gets its turn too.
"""

from __future__ import annotations

import time

MAX_WAIT = 0.1  # seconds a worker waits at most for the frame after a key
BETWEEN_STEPS = 0.001  # a short pause between steps at any time

_key_at: float | None = None  # when the key being answered was pressed


def key_pressed() -> None:
    """Note a key press (the app calls it on the UI thread for every key)."""
    global _key_at
    _key_at = time.monotonic()


def frame_shown() -> None:
    """Note a frame on screen: the key before it has been answered."""
    global _key_at
    _key_at = None


def step_aside() -> None:
    """Called by workers between steps: pause briefly, longer while a key is being answered."""
    time.sleep(BETWEEN_STEPS)
    while (key_at := _key_at) is not None and time.monotonic() - key_at < MAX_WAIT:
        time.sleep(0.002)
