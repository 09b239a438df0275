"""Driving the app headless (tests, screenshots): wait until it has settled.

The app does its work in worker threads, so "the key was handled" is not "the screen is
final". ``settle`` waits on the workers themselves (and Textual's idle check between
messages), never on a fixed delay.
"""

from __future__ import annotations

from textual.pilot import Pilot


async def settle(pilot: Pilot, *, ignore: tuple[str, ...] = ()) -> None:
    """Return once the app has handled its messages and its workers, but those of the groups
    in ``ignore``, have finished."""
    app = pilot.app
    while True:
        await pilot.pause()
        busy = [w for w in app.workers if not w.is_finished and w.group not in ignore]
        if not busy:
            return
        await app.workers.wait_for_complete(busy)
