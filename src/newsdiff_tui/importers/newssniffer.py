"""A NewsSniffer export (its MySQL tables, as SQLite or CSV) -> imported articles.

NewsSniffer keeps ``news_articles(id, source, guid, url, title, published_at,
versions_count, ...)``, ``news_article_versions(id, news_article_id, title, url, created_at,
version, text_hash)`` and ``news_article_version_texts(news_article_version_id, text)``, the
text's paragraphs joined by newlines. The source is either a SQLite file holding those tables
or a directory of CSV files, one per table, named after it: ``news_articles.csv``,
``news_article_versions.csv`` and ``news_article_version_texts.csv``. A CSV file has a header
row naming its columns (extra columns are ignored), is UTF-8, comma- or tab-separated (told
by its header), and an empty field or MySQL's ``\\N`` is NULL. CSV files are first loaded
into a SQLite file in a temporary directory (never beside the source), so both kinds are read
by the same queries.

Each version becomes a version of its article's URL with ``origin_ref``
``newssniffer:<version id>``; the article's ``published_at``, when it is a time, is kept as
the version's ``published``.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from newsdiff_tui.importers.base import (
    ArticleProblem,
    BadRow,
    ImportedArticle,
    ImportOptions,
    ImportSourceError,
    article_url,
    articles_or_problems,
    as_text,
    grouped,
    imported_text,
    in_time_order,
    parse_time,
)
from newsdiff_tui.importers.sqlitesrc import SQLiteSource
from newsdiff_tui.inputs import check_input_file

__all__ = ["CSV_FILES", "read"]

FORMAT = "newssniffer"
REQUIRED = {
    "news_articles": ("id", "url"),
    "news_article_versions": ("id", "news_article_id", "title", "created_at", "version"),
    "news_article_version_texts": ("news_article_version_id", "text"),
}
OPTIONAL = {"news_articles": ("published_at",)}
CSV_FILES = tuple(f"{table}.csv" for table in REQUIRED)
# An article text in one CSV field can be far longer than the csv module's default limit.
CSV_FIELD_LIMIT = 64 << 20
_NULLS = frozenset({"", "\\N"})


def read(source: str, options: ImportOptions) -> Iterator[ImportedArticle | ArticleProblem]:
    """The articles of a NewsSniffer export (a SQLite file, or a directory of CSV files)."""
    if Path(source).is_dir():
        with tempfile.TemporaryDirectory(prefix="newsdiff-import-") as scratch:
            loaded = Path(scratch) / "newssniffer.sqlite"
            _load_csv_directory(Path(source), loaded)
            yield from _read_db(SQLiteSource(loaded, fmt=FORMAT), options, source)
    else:
        yield from _read_db(SQLiteSource(source, fmt=FORMAT), options, source)


def _read_db(
    db: SQLiteSource, options: ImportOptions, source: str
) -> Iterator[ImportedArticle | ArticleProblem]:
    """The articles of a NewsSniffer database, one per group of version rows."""
    with db:
        db.require(REQUIRED)
        published = "a.published_at" if "published_at" in db.columns("news_articles") else "NULL"
        rows = db.rows(
            "SELECT v.news_article_id, v.id, v.title, v.created_at, "
            f"t.news_article_version_id, t.text, a.id, a.url, {published} "
            "FROM news_article_versions v "
            "LEFT JOIN news_articles a ON a.id = v.news_article_id "
            "LEFT JOIN news_article_version_texts t ON t.news_article_version_id = v.id "
            "ORDER BY v.news_article_id, CAST(v.version AS INTEGER), v.id"
        )

        def build(group: list[tuple]) -> ImportedArticle:
            """One article from its group of version rows."""
            return _article(group, options)

        yield from articles_or_problems(grouped(rows), build, lambda g: f"article {g[0][0]}")


def _article(group: list[tuple], options: ImportOptions) -> ImportedArticle:
    """The article of one group of version rows (a version's first text row counts)."""
    article_id, _, _, _, _, _, found_id, url, published_at = group[0]
    if found_id is None:
        raise BadRow("its versions refer to an article that is not in news_articles")
    url = article_url(url, "its url")
    try:
        published = parse_time(published_at, "published_at", options.timezone)
    except BadRow:  # optional: an article without a usable publication time is still one
        published = None
    texts, seen = [], set()
    for _, version_id, title, created, text_id, text, *_ in group:
        if version_id in seen:  # several text rows for one version: the first counts
            continue
        seen.add(version_id)
        if text_id is None:
            raise BadRow(f"version {version_id} has no row in news_article_version_texts")
        paragraphs = as_text(text).replace("\r\n", "\n").split("\n")
        texts.append(
            imported_text(
                title,
                paragraphs,
                parse_time(created, f"version {version_id}: 'created_at'", options.timezone),
                f"{FORMAT}:{version_id}",
                published=published,
            )
        )
    return ImportedArticle(url, in_time_order(texts), f"article {article_id}")


# ----- CSV ------------------------------------------------------------------------------------
def _load_csv_directory(directory: Path, target: Path) -> None:
    """Load the three CSV files of ``directory`` into a new SQLite file ``target``."""
    missing = [name for name in CSV_FILES if not (directory / name).is_file()]
    if missing:
        raise ImportSourceError(
            f"{directory}: not a {FORMAT} CSV export (no {', '.join(missing)}; expected "
            f"{', '.join(CSV_FILES)})"
        )
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    conn = sqlite3.connect(target)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        for table, needed in REQUIRED.items():
            wanted = (*needed, *OPTIONAL.get(table, ()))
            _load_csv(conn, directory / f"{table}.csv", table, needed, wanted)
        conn.execute(
            "CREATE INDEX texts_by_version ON news_article_version_texts(news_article_version_id)"
        )
        conn.execute("CREATE INDEX articles_by_id ON news_articles(id)")
        conn.commit()
    finally:
        conn.close()


def _load_csv(
    conn: sqlite3.Connection,
    path: Path,
    table: str,
    needed: tuple[str, ...],
    wanted: tuple[str, ...],
) -> None:
    """Copy the ``wanted`` columns of one CSV file into a table of the same name."""
    check_input_file(path, what="CSV file")
    with path.open("rb") as raw:
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            header_line = handle.readline()
            dialect = "excel-tab" if "\t" in header_line and "," not in header_line else "excel"
            rows = csv.reader(_chain(header_line, handle), dialect, strict=True)
            header = [name.strip().lower() for name in next(rows, [])]
            absent = [name for name in needed if name not in header]
            if absent:
                raise ImportSourceError(
                    f"{path}: not a {table} CSV file (its header has no column "
                    f"{', '.join(map(repr, absent))}; a header row naming the columns is needed)"
                )
            columns = [name for name in wanted if name in header]
            picks = [header.index(name) for name in columns]
            conn.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
            insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})"

            def values() -> Iterator[list[str | None]]:
                """Each row's wanted fields, NULL spellings as None; a row of wrong length fails."""
                for row in rows:
                    if len(row) != len(header):
                        if not row:
                            continue
                        raise ImportSourceError(
                            f"{path}: line {rows.line_num}: {len(row)} fields where the header "
                            f"has {len(header)} (a truncated or broken CSV file)"
                        )
                    yield [None if row[i] in _NULLS else row[i] for i in picks]

            conn.executemany(insert, values())
        except csv.Error as exc:
            raise ImportSourceError(
                f"{path}: line {rows.line_num}: not valid CSV ({exc}; a truncated file?)"
            ) from None
        except UnicodeDecodeError as exc:
            raise ImportSourceError(
                f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); export it as UTF-8"
            ) from None


def _chain(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    """The header line already read, then the rest of the file (csv reads any line iterator)."""
    yield first
    yield from rest
