"""The core must be usable without the TUI: importing it must not import textual."""

from __future__ import annotations

import subprocess
import sys

CORE_MODULES = [
    "newsdiff_tui.model",
    "newsdiff_tui.textnorm",
    "newsdiff_tui.store",
    "newsdiff_tui.history",
    "newsdiff_tui.diff",
    "newsdiff_tui.cli",
    "newsdiff_tui.commands.cache",
]
OPTIONAL_CORE = ["extract", "fetch", "feeds", "schedule", "export", "tracker"]


def test_core_does_not_import_textual() -> None:
    script = f"""
import importlib, importlib.util, sys
mods = {CORE_MODULES!r} + [
    "newsdiff_tui." + m for m in {OPTIONAL_CORE!r}
    if importlib.util.find_spec("newsdiff_tui." + m) is not None
]
for name in mods:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(len(mods), leaked)
assert not leaked, leaked
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout


def test_cli_help_and_version_do_not_need_the_tui() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsdiff_tui", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.startswith("newsdiff-tui ")
    result = subprocess.run(
        [sys.executable, "-m", "newsdiff_tui", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "--export" in result.stdout and "import" in result.stdout


def test_commands_start_without_the_network_the_extractor_or_the_process_pool() -> None:
    """Every command (and the app) pays for what building the parser imports: the network
    side (asyncio, httpx), the extractor (lxml) and the extraction pool (multiprocessing) load
    only in the commands that run them."""
    script = """
import sys
from newsdiff_tui.cli import build_parser
build_parser()
heavy = {"asyncio", "httpx", "httpcore", "lxml", "trafilatura", "multiprocessing"}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy or m == "newsdiff_tui.extract")
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout
