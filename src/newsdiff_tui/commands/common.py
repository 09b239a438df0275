"""Helpers every CLI command shares: opening the store, printing errors."""

from __future__ import annotations

import argparse
import sys

from newsdiff_tui.store import Store, default_root
from newsdiff_tui.textnorm import display_safe

EXIT_USAGE = 2


def open_store(args: argparse.Namespace, *, create: bool = True) -> Store:
    """The store named by ``--db`` / ``NEWSDIFF_HOME`` / the user data dir."""
    return Store(default_root(getattr(args, "db", None)), create=create)


def warn(message: str) -> None:
    """A one-line message on stderr, prefixed with the program name.

    Messages often quote untrusted text (a URL, a title, a file name, a server's error), so the
    whole line goes through ``display_safe``: no escape sequence reaches the terminal and no
    newline splits the message.
    """
    print(f"newsdiff-tui: {display_safe(message, one_line=True)}", file=sys.stderr)
