"""Debian's chromium run headless: the one harness of the browser test and the HTML screenshot.

Only local files are opened, with networking, updates and sync off and a throwaway profile.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

#: The chromium binary, or None where none is installed (the browser test is then skipped).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def run_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Open ``page`` in headless chromium with ``args`` (e.g. ``--dump-dom``); its output."""
    if CHROMIUM is None:
        raise FileNotFoundError("no chromium installed (apt-get install chromium)")
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
