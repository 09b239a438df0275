"""When the user last pressed a key, so that background work steps aside while the UI answers.

Worker threads share the GIL with the UI's event loop, which gives it up on every turn: a key
whose handling takes the UI 20 turns can wait ~5 ms for the GIL on each of them while a worker
wraps a long diff. So the app notes every key (``key_pressed``) and long-running workers call
``step_aside`` between steps: for a moment after a key they sleep instead of competing.
"""

from __future__ import annotations

import time

QUIET = 0.05  # seconds after a key during which background work waits
BETWEEN_STEPS = 0.001  # a short pause between steps at any time, for the UI's other work

_quiet_until = 0.0


def key_pressed() -> None:
    """Note a key press (called by the app on the UI thread)."""
    global _quiet_until
    _quiet_until = time.monotonic() + QUIET


def step_aside() -> None:
    """Called by workers between steps: pause briefly, longer while a key is being answered."""
    time.sleep(BETWEEN_STEPS)
    while (left := _quiet_until - time.monotonic()) > 0:
        time.sleep(min(left, 0.01))
