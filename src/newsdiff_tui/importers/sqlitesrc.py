"""Reading another tracker's SQLite database without ever writing to it.

The file is opened with SQLite's ``mode=ro`` URI (the database cannot be written) and read
inside one read transaction, so every query of an import sees the same snapshot even if the
tracker is still running and writing. ``immutable=1`` turns off locking and change detection
(a database another process writes while we read would give torn rows), so it is used in one
case only: a database in WAL mode with no ``-wal`` file beside it. There a read-only
connection would still create ``-wal`` and ``-shm`` files next to the source (and could not
remove them), while the missing ``-wal`` says that no connection has it open: the whole
database is in the file, and nobody is writing it.

Every SQLite failure (not a database, a truncated or corrupt file, a locked one) becomes one
``ImportSourceError`` naming the file.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from newsdiff_tui.importers.base import ImportSourceError
from newsdiff_tui.inputs import check_input_file

__all__ = ["SQLiteSource", "guess_format", "sqlite_error"]

# The tables that tell each format apart (lower case), for "it looks like ..." hints.
_SIGNATURES: dict[str, frozenset[str]] = {
    "diffengine": frozenset({"entry", "entryversion"}),
    "newsedits": frozenset({"entryversion"}),
    "newsdiffs": frozenset({"articles", "version"}),
    "newssniffer": frozenset({"news_articles", "news_article_versions"}),
}


def guess_format(tables: set[str]) -> str | None:
    """The format whose tables a database holds (the most specific match), or None."""
    found = [name for name, need in _SIGNATURES.items() if need <= tables]
    return max(found, key=lambda name: len(_SIGNATURES[name]), default=None)


def sqlite_error(path: Path | str, exc: sqlite3.Error) -> ImportSourceError:
    """A SQLite failure as the one line the user sees."""
    return ImportSourceError(f"{path}: cannot read it as a SQLite database ({exc})")


class SQLiteSource:
    """A tracker's database opened read-only, with the checks every reader runs first.

    Use as a context manager; ``require`` checks tables and columns before any row is read,
    ``rows`` runs a query and turns SQLite failures into ``ImportSourceError``.
    """

    def __init__(self, path: Path | str, *, fmt: str, what: str = "database") -> None:
        """Open the database at ``path`` read-only, in one snapshot for the whole import."""
        self.path = check_input_file(path, what=f"{fmt} {what}")
        self.fmt = fmt
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        if _wal_at_rest(self.path):
            uri += "&immutable=1"
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            # Text that is not UTF-8 is read with the bad bytes replaced, never refused.
            self.conn.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
            self.conn.execute("BEGIN")  # one snapshot for every query of the import
            self.tables = {
                name.lower(): name
                for (name,) in self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            }
        except sqlite3.Error as exc:
            with contextlib.suppress(Exception):
                self.conn.close()
            raise sqlite_error(self.path, exc) from None

    def __enter__(self) -> SQLiteSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the read snapshot and close the database."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.rollback()
        self.conn.close()

    def has(self, table: str) -> bool:
        """Whether the database has table ``table`` (any case)."""
        return table.lower() in self.tables

    def require(self, columns: Mapping[str, Sequence[str]]) -> None:
        """Refuse the source unless it has each table with at least the given columns."""
        for table, needed in columns.items():
            if not self.has(table):
                raise ImportSourceError(self._missing(f"no table '{table}'"))
            have = self.columns(table)
            missing = [c for c in needed if c.lower() not in have]
            if missing:
                raise ImportSourceError(
                    self._missing(f"table '{table}' has no column {', '.join(map(repr, missing))}")
                )

    def columns(self, table: str) -> set[str]:
        """The column names of ``table``, in lower case."""
        name = self.tables[table.lower()].replace('"', '""')
        try:
            return {row[1].lower() for row in self.conn.execute(f'PRAGMA table_info("{name}")')}
        except sqlite3.Error as exc:
            raise sqlite_error(self.path, exc) from None

    def _missing(self, what: str) -> str:
        """'PATH: not a FORMAT database (WHAT)', with a hint when the tables say which it is."""
        message = f"{self.path}: not a {self.fmt} database ({what})"
        guess = guess_format(set(self.tables))
        if guess is not None and guess != self.fmt:
            message += f"; it looks like a {guess} database: try --from {guess}"
        elif not self.tables:
            message += "; the database has no tables at all"
        return message

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, read lazily; SQLite errors (a corrupt page met half-way) become
        ``ImportSourceError``."""
        try:
            cursor = self.conn.execute(sql, params)
            while batch := cursor.fetchmany(500):
                yield from batch
        except sqlite3.Error as exc:
            raise sqlite_error(self.path, exc) from None


def _wal_at_rest(path: Path) -> bool:
    """Whether ``path`` is a SQLite database in WAL mode that no connection has open (no
    ``-wal`` file beside it): its header says WAL (read version 2 at byte 18)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    in_wal_mode = header[:16] == b"SQLite format 3\x00" and len(header) == 20 and header[18] == 2
    return in_wal_mode and not path.with_name(path.name + "-wal").exists()
