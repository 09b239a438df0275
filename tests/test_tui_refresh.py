"""Refresh as users run it: the real extraction pool, started from inside the app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_add_refresh_and_refresh_due_with_the_real_pool_in_a_fresh_process() -> None:
    """``a`` a URL, ``r``, a changed page, ``r``, then ``R``: see ``tui_real_pool.py``.

    Under Textual, the pool's first start used to fail with "bad value(s) in fds_to_keep"; it
    only fails in a process where no pool has started yet, hence the fresh interpreter.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, str(TESTS / "tui_real_pool.py")],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert done.stdout.strip().endswith("ok")
