"""Small sources of other trackers, built from their schemas, for the importer tests.

Each builder writes the tables the way the tracker does (diffengine's peewee DDL, NewsEdits'
outlet file, NewsDiffs' Django tables and git repositories, NewsSniffer's MySQL tables as
SQLite or CSV) and takes plain rows, so a test states exactly what the source holds.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run

from newsdiff_tui.store import Store
from newsdiff_tui.urls import article_id_for

SEED = (
    Path(__file__).resolve().parents[1] / "src" / "newsdiff_tui" / "data" / "gsomia-versions.json"
)

DIFFENGINE_DDL = """
CREATE TABLE feed (url VARCHAR(255) NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,
                   created DATETIME NOT NULL);
CREATE TABLE entry (id INTEGER NOT NULL PRIMARY KEY, url VARCHAR(255) NOT NULL,
                    created DATETIME NOT NULL, checked DATETIME NOT NULL,
                    tweet_status_id_str VARCHAR(255));
CREATE TABLE feedentry (id INTEGER NOT NULL PRIMARY KEY, feed_id VARCHAR(255) NOT NULL,
                        entry_id INTEGER NOT NULL, created DATETIME NOT NULL,
                        FOREIGN KEY (feed_id) REFERENCES feed (url),
                        FOREIGN KEY (entry_id) REFERENCES entry (id));
CREATE TABLE entryversion (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(255) NOT NULL,
                           url VARCHAR(255) NOT NULL, summary VARCHAR(255) NOT NULL,
                           created DATETIME NOT NULL, archive_url VARCHAR(255),
                           entry_id INTEGER NOT NULL, tweet_status_id_str VARCHAR(255),
                           FOREIGN KEY (entry_id) REFERENCES entry (id));
CREATE INDEX entryversion_url ON entryversion (url);
CREATE TABLE diff (id INTEGER NOT NULL PRIMARY KEY, old_id INTEGER NOT NULL,
                   new_id INTEGER NOT NULL, created DATETIME NOT NULL, tweeted DATETIME,
                   blogged DATETIME);
"""

NEWSEDITS_DDL = """
CREATE TABLE entryversion (id INTEGER, entry_id INTEGER, version INTEGER, created TEXT,
                           title TEXT, url TEXT, num_versions INTEGER, summary TEXT);
"""

NEWSDIFFS_DDL = """
CREATE TABLE "Articles" ("id" integer NOT NULL PRIMARY KEY, "url" varchar(255) NOT NULL UNIQUE,
                         "initial_date" datetime NOT NULL, "last_update" datetime NOT NULL,
                         "last_check" datetime NOT NULL, "git_dir" varchar(255) NOT NULL);
CREATE TABLE "version" ("id" integer NOT NULL PRIMARY KEY, "article_id" integer NOT NULL
                        REFERENCES "Articles" ("id"), "v" varchar(255) NOT NULL UNIQUE,
                        "title" varchar(255) NOT NULL, "byline" varchar(255) NOT NULL,
                        "date" datetime NOT NULL, "boring" bool NOT NULL,
                        "diff_json" varchar(255));
"""

NEWSSNIFFER_COLUMNS = {
    "news_articles": ("id", "source", "guid", "url", "title", "published_at", "versions_count"),
    "news_article_versions": (
        "id",
        "news_article_id",
        "title",
        "url",
        "created_at",
        "version",
        "text_hash",
    ),
    "news_article_version_texts": ("news_article_version_id", "text"),
}


def sqlite_file(path: Path, ddl: str, tables: dict[str, Iterable[Sequence[Any]]]) -> Path:
    """A SQLite file made of ``ddl`` and the rows of each table (in column order)."""
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(ddl)
        for table, rows in tables.items():
            for row in rows:
                marks = ", ".join("?" * len(row))
                conn.execute(f'INSERT INTO "{table}" VALUES ({marks})', tuple(row))
    conn.close()
    return path


def diffengine_db(
    path: Path,
    entries: Iterable[Sequence[Any]],
    versions: Iterable[Sequence[Any]],
    feeds: Iterable[Sequence[Any]] = (),
    feed_entries: Iterable[Sequence[Any]] = (),
) -> Path:
    """entries: (id, url, created, checked, tweet); versions: (id, title, url, summary, created,
    archive_url, entry_id, tweet); feeds: (url, name, created); feed_entries: (id, feed_id,
    entry_id, created)."""
    return sqlite_file(
        path,
        DIFFENGINE_DDL,
        {"feed": feeds, "entry": entries, "feedentry": feed_entries, "entryversion": versions},
    )


def newsedits_db(path: Path, rows: Iterable[Sequence[Any]]) -> Path:
    """rows: (id, entry_id, version, created, title, url, num_versions, summary)."""
    return sqlite_file(path, NEWSEDITS_DDL, {"entryversion": rows})


def newssniffer_db(path: Path, tables: dict[str, Iterable[Sequence[Any]]]) -> Path:
    """A SQLite file with NewsSniffer's three tables (columns as ``NEWSSNIFFER_COLUMNS``)."""
    ddl = "".join(
        f"CREATE TABLE {table} ({', '.join(columns)});\n"
        for table, columns in NEWSSNIFFER_COLUMNS.items()
    )
    return sqlite_file(path, ddl, tables)


def newssniffer_csv(directory: Path, tables: dict[str, Iterable[Sequence[Any]]]) -> Path:
    """A directory of CSV files, one per NewsSniffer table, each with a header row; None is
    written as MySQL's ``\\N``."""
    directory.mkdir(parents=True, exist_ok=True)
    for table, columns in NEWSSNIFFER_COLUMNS.items():
        with (directory / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in tables.get(table, ()):
                writer.writerow(["\\N" if cell is None else cell for cell in row])
    return directory


GIT_IDENTITY = ("-c", "user.name=NewsDiffs", "-c", "user.email=newsdiffs@example.org")


def git(repo: Path, *args: str, when: str | None = None) -> str:
    """Run git in ``repo`` with a fixed identity (and commit time ``when``); its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    result = subprocess.run(
        ["git", *GIT_IDENTITY, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout.strip()


def newsdiffs_file(date: str, title: str, byline: str, paragraphs: Sequence[str]) -> str:
    """A version file as NewsDiffs writes it: date, title, byline, then the body (a blank line,
    paragraphs separated by blank lines), each line stripped, ending with a newline."""
    return "\n".join([date, title, byline, "", "\n\n".join(paragraphs)]) + "\n"


def commit_version(repo: Path, url: str, content: str, when: str) -> str:
    """Write ``content`` where NewsDiffs files ``url`` (no scheme, no trailing slash), commit
    it as NewsDiffs does, and return the commit id."""
    name = url.split("://", 1)[1].rstrip("/")
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"Change to file {name}", when=when)
    return git(repo, "rev-parse", "HEAD")


def newsdiffs_dir(
    directory: Path,
    articles: Iterable[Sequence[Any]],
    versions: Iterable[Sequence[Any]],
) -> Path:
    """A NewsDiffs data directory's database (``newsdiffs.db``); the repositories are made by
    ``commit_version`` in ``directory / "articles" / git_dir``. articles: (id, url,
    initial_date, last_update, last_check, git_dir); versions: (id, article_id, v, title,
    byline, date, boring, diff_json)."""
    directory.mkdir(parents=True, exist_ok=True)
    sqlite_file(
        directory / "newsdiffs.db", NEWSDIFFS_DDL, {"Articles": articles, "version": versions}
    )
    return directory


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q")
    return repo


def import_from(
    capsys: pytest.CaptureFixture[str], cache: Path, fmt: str, *sources: Path | str
) -> tuple[int, str, str]:
    """``newsdiff-tui --db CACHE import --from FMT SOURCE...``."""
    return run(capsys, "--db", str(cache), "import", "--from", fmt, *map(str, sources))


def stored(cache: Path, url: str) -> list:
    """The versions the cache holds for ``url``."""
    with Store(cache) as store:
        return store.versions(article_id_for(url))


@pytest.fixture(name="cache")
def cache_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A cache that already holds the seed article (so "unchanged" has something to keep)."""
    root = tmp_path / "cache"
    assert run(capsys, "--db", str(root), "import", str(SEED))[0] == 0
    return root
