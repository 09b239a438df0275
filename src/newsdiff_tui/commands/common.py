"""Helpers every CLI command shares: opening the store, printing errors."""

from __future__ import annotations

import argparse
import sys

from newsdiff_tui.store import Store, default_root

EXIT_USAGE = 2


def open_store(args: argparse.Namespace, *, create: bool = True) -> Store:
    """The store named by ``--db`` / ``NEWSDIFF_HOME`` / the user data dir."""
    return Store(default_root(getattr(args, "db", None)), create=create)


def warn(message: str) -> None:
    """A one-line message on stderr, prefixed with the program name."""
    print(f"newsdiff-tui: {message}", file=sys.stderr)
