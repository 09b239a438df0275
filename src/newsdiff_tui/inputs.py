"""Reading the files a user names on the command line, with one clear message per failure.

Every command that reads an input file (``import``, and ``diff`` and ``extract`` for files)
goes through these functions, so a missing file, a directory, an unreadable file, bytes that
are not UTF-8 or a file too large for its purpose gives the same one-line ``InputError``
(``newsdiff-tui: PATH: why``, exit 2) wherever it happens. ``-`` reads standard input.

    raw = read_input_bytes(path, what="HTML page", max_bytes=PAGE_MAX_BYTES)
    text = read_input_text(path, what="text file")
    data = read_input_json(path, what="history")

Nothing here knows what the content means: parsing it is the caller's job.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any, BinaryIO

from newsdiff_tui.errors import InputError
from newsdiff_tui.fetchoptions import MB, FetchOptions
from newsdiff_tui.storage import decode_json

__all__ = [
    "HISTORY_MAX_BYTES",
    "PAGE_MAX_BYTES",
    "STDIN",
    "check_input_directory",
    "check_input_file",
    "input_name",
    "read_input_bytes",
    "read_input_json",
    "read_input_text",
]

# A page as big as the fetcher accepts: a local file is judged like a download.
PAGE_MAX_BYTES = FetchOptions.max_bytes
# A JSON history holds every version of an article: far more than one page.
HISTORY_MAX_BYTES = 256 * MB
STDIN = "-"


def read_input_bytes(
    source: str | os.PathLike[str], *, what: str = "file", max_bytes: int = PAGE_MAX_BYTES
) -> bytes:
    """The bytes of the file ``source`` names (``-``: standard input), at most ``max_bytes``.

    ``what`` names the kind of file in messages ("is a directory, not a history"). Raises
    ``InputError`` naming the file when it is missing, a directory, unreadable or too large;
    a pipe or device is read only up to the limit, never to its end.
    """
    name = os.fspath(source)
    if name == STDIN:
        return _read_limited(sys.stdin.buffer, "standard input", what, max_bytes)
    handle = _open_input(name, what)
    with handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
            raise InputError(_too_large(name, what, max_bytes, info.st_size))
        try:
            return _read_limited(handle, name, what, max_bytes)
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def check_input_file(source: str | os.PathLike[str], *, what: str = "file") -> Path:
    """The path of a file that exists and can be read (opened once, then closed), for readers
    that open it themselves (SQLite); ``InputError`` as ``read_input_bytes`` words it, and
    for ``-``: such a file cannot come from standard input."""
    name = os.fspath(source)
    if name == STDIN:
        raise InputError(f"a {what} cannot be read from standard input: name the file")
    _open_input(name, what).close()
    return Path(name)


def check_input_directory(source: str | os.PathLike[str], *, what: str = "directory") -> Path:
    """The path of a directory that exists and can be listed; ``InputError`` naming it if not."""
    name = os.fspath(source)
    path = Path(name)
    if name == STDIN or not path.exists():
        raise InputError(f"{name}: no such directory")
    if not path.is_dir():
        raise InputError(f"{name}: is a file, not a {what}")
    try:
        next(os.scandir(path), None)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    return path


def _open_input(name: str, what: str) -> BinaryIO:
    """The file ``name`` opened for reading; ``InputError`` when it is missing, a directory or
    unreadable."""
    try:
        handle = Path(name).open("rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a {what}") from None
    except NotADirectoryError:
        raise InputError(f"{name}: no such file (a part of the path is not a directory)") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(os.fstat(handle.fileno()).st_mode):  # some systems open directories
        handle.close()
        raise InputError(f"{name}: is a directory, not a {what}")
    return handle


def read_input_text(
    source: str | os.PathLike[str], *, what: str = "text file", max_bytes: int = PAGE_MAX_BYTES
) -> str:
    """The file as UTF-8 text (a leading byte-order mark dropped); ``InputError`` if it is not
    UTF-8, naming the line and column of the first bad byte, or for any reason of
    ``read_input_bytes``."""
    raw = read_input_bytes(source, what=what, max_bytes=max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"{input_name(source)}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}, "
            f"column {column}); save the {what} as UTF-8"
        ) from None


def read_input_json(
    source: str | os.PathLike[str], *, what: str = "JSON file", max_bytes: int = HISTORY_MAX_BYTES
) -> Any:
    """The file parsed as JSON; ``InputError`` naming the file and where the JSON breaks (or
    any reason of ``read_input_bytes``)."""
    raw = read_input_bytes(source, what=what, max_bytes=max_bytes)
    try:
        return decode_json(raw)
    except ValueError as exc:
        raise InputError(f"{input_name(source)}: not a valid JSON {what} ({exc})") from None


def input_name(source: str | os.PathLike[str]) -> str:
    """How messages name an input: its path as given, or "standard input" for ``-``."""
    name = os.fspath(source)
    return "standard input" if name == STDIN else name


def _read_limited(handle: BinaryIO, name: str, what: str, max_bytes: int) -> bytes:
    """Read to the end, but never more than ``max_bytes`` (one byte more tells it is too big)."""
    raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise InputError(_too_large(name, what, max_bytes))
    return raw


def _too_large(name: str, what: str, max_bytes: int, size: int | None = None) -> str:
    """The message for an input file over ``max_bytes`` (its size given if known)."""
    found = f"{_size(size)}; " if size is not None else ""
    return f"{name}: too large for a {what} ({found}the limit is {_size(max_bytes)})"


def _size(count: int) -> str:
    """A byte count for people: '12.5 MB', '800 bytes'."""
    if count >= MB:
        return f"{count / MB:.1f} MB"
    if count >= 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count} bytes"
