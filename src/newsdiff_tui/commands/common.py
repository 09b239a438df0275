"""Helpers every CLI command shares: opening the store, printing errors and JSON."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime
from typing import Any

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.store import Store, default_root
from newsdiff_tui.textnorm import display_safe
from newsdiff_tui.timeutil import from_iso

EXIT_USAGE = 2
# What JSON leaves raw inside strings and a terminal may obey: DEL, the C1 controls (U+009B
# is a CSI), the line and paragraph separators and the bidi controls. JSON escapes C0 itself.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


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


def print_json(data: Any, *, indent: int | None = None) -> None:
    """Print ``data`` as JSON on stdout: readable UTF-8, but every control character written as
    a ``\\u`` escape, so web text in it arrives as data, never as an escape code (the data
    itself is kept: a JSON parser reads back the same string)."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    print(_RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


def parse_since(text: str | None) -> datetime | None:
    """The ``--since`` date or time, with a clear error for anything else."""
    if not text:
        return None
    try:
        return from_iso(text)
    except ValueError:
        raise NewsdiffError(
            f"--since {text!r} is not a date (use YYYY-MM-DD or an ISO 8601 time)"
        ) from None


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--limit``, ``--concurrency``, ...)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
