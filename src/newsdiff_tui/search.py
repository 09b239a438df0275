"""Search across every version: a derived SQLite FTS5 index of the cache's text.

The index (``search.sqlite3`` under the cache root) is derived from the article files the way
``index.json`` is, and never holds the only copy of anything: when it is missing, damaged or of
another schema it is rebuilt from the shards, and when the store changed it is brought up to
date article by article before a search. Layout:

- ``passages`` (FTS5): each distinct title, byline and paragraph of an article once, with the
  versions that contain it as compact spans (``"0-2,4"``). Versions share most of their text,
  so the index holds about one version's worth of text per article, not all of them. A
  passage's rowid is ``article key << 20 | n``, so an article's passages are one rowid range.
- ``articles``: the key, id and source of each indexed article, its version count, and the
  *state* the store's index showed when it was indexed (version count, last change, first
  seen, title, words): an article whose state differs is stale and is indexed again.
- ``versions``: when each version was seen (for ``--since`` and the output).
- ``meta``: the schema, and the *fingerprint* (inode, size, mtime) of ``index.json`` and
  ``index.log`` at the last sync. Every store write appends to the journal, so an unchanged
  fingerprint means nothing changed and a search costs no per-article check; a changed one
  leads to the per-article comparison of states.

Words are matched as FTS5 tokens (case and diacritics folded). Every word the user gives is
sent as a quoted FTS5 string, so nothing they type is read as query syntax. A version matches
when it contains every word (anywhere in its title, byline or paragraphs), or with
``phrase=True`` the words in this order within one passage. ``added`` / ``removed`` report the
versions where that became true / stopped being true against the version before.

Each call opens its own connection, so the TUI can search from a thread worker. Writers of the
index take its own lock file (``search.lock``), never the store's writer lock, so a long
rebuild never holds up a ``fetch``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from newsdiff_tui.errors import CacheError, NewsdiffError
from newsdiff_tui.model import Version
from newsdiff_tui.storage import lock_file, stat_key
from newsdiff_tui.store import DoctorReport, Store
from newsdiff_tui.timeutil import from_iso, to_iso

__all__ = [
    "SCHEMA",
    "SearchHit",
    "SearchIndex",
    "SearchMode",
    "SearchQuery",
    "SearchResult",
    "VersionMatch",
    "check_search_index",
    "compact_ranges",
    "fts5_available",
    "search",
]

SCHEMA = 1
INDEX_NAME = "search.sqlite3"
LOCK_NAME = "search.lock"
PASSAGE_BITS = 20  # passages per article in one rowid range (more are left out of the index)
_LOW_MASK = (1 << PASSAGE_BITS) - 1
SearchMode = Literal["contains", "added", "removed"]
_START, _END = "\x02", "\x03"  # snippet markers: stored text is normalised, so never contains them
_EXCERPT_TOKENS = 24

_SCHEMA_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    versions INTEGER NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE versions (
    key INTEGER NOT NULL,
    number INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (key, number)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE passages USING fts5(
    text, kind UNINDEXED, spans UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
);
"""


class SearchIndexError(CacheError):
    """The search index cannot be used (FTS5 missing, or a file that cannot be written)."""


class _Damaged(Exception):
    """The index file is not a usable index of our schema (it will be rebuilt)."""


@functools.cache
def fts5_available() -> bool:
    """Whether this Python's SQLite has FTS5 (some minimal builds leave it out)."""
    try:
        with contextlib.closing(sqlite3.connect(":memory:")) as conn:
            conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    return True


@dataclass(frozen=True)
class VersionMatch:
    """A version a search reports: its number and when it was seen."""

    number: int
    fetched_at: datetime


@dataclass(frozen=True)
class SearchHit:
    """An article a search found, with the versions it reports (oldest first).

    ``excerpt`` is a short passage around the words in the first reported version (for
    ``removed``, in the version before it), as segments ``(text, is_match)``.
    """

    article_id: str
    url: str
    source: str
    title: str
    version_count: int
    versions: tuple[VersionMatch, ...]
    excerpt: tuple[tuple[str, bool], ...]

    @property
    def excerpt_text(self) -> str:
        """The excerpt as plain text."""
        return "".join(text for text, _ in self.excerpt)


@dataclass(frozen=True)
class SearchQuery:
    """What to search for: every one of ``words`` (or them as a ``phrase``) in a version
    (``contains``), or the versions where that became true (``added``) or stopped being true
    (``removed``) against the version before; optionally only one source, versions seen
    since a time, and at most ``limit`` hits (the most recent)."""

    words: str
    mode: SearchMode = "contains"
    phrase: bool = False
    source: str | None = None
    since: datetime | None = None
    limit: int | None = None


@dataclass(frozen=True)
class SearchResult:
    """What a search found: hits, most recent reported version first; ``total`` counts them
    all when ``limit`` kept fewer."""

    query: SearchQuery
    hits: tuple[SearchHit, ...]
    total: int
    rebuilt: str | None = None  # why the index was rebuilt first (missing, damaged, ...)


def _state(doc: dict[str, Any]) -> str:
    """What an article's index document says about its text: it changes with every version."""
    return json.dumps(
        [doc.get("versions"), doc.get("last_changed"), doc.get("first_seen"), doc.get("title")],
        ensure_ascii=False,
    )


def compact_ranges(numbers: Iterable[int]) -> str:
    """Sorted version numbers as compact ranges: ``[0, 1, 2, 4]`` -> ``"0-2,4"``."""
    parts: list[str] = []
    run: list[int] = []
    for n in sorted(numbers):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(parts)


@functools.lru_cache(maxsize=4096)
def _numbers(spans: str) -> frozenset[int]:
    """The inverse of ``compact_ranges`` (memoised: most passages share a few span strings)."""
    numbers: set[int] = set()
    for part in spans.split(","):
        first, _, last = part.partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return frozenset(numbers)


def _passages(versions: Sequence[Version]) -> dict[tuple[str, str], set[int]]:
    """Each distinct (kind, text) of a history with the versions that contain it."""
    found: dict[tuple[str, str], set[int]] = {}
    for version in versions:
        text = version.text
        pieces = [("t", text.title), ("b", text.byline or "")]
        pieces += [("p", p) for p in text.paragraphs]
        for piece in pieces:
            if piece[1]:
                found.setdefault(piece, set()).add(version.number)
    return found


def _fts_terms(words: str, *, phrase: bool) -> list[str]:
    """The user's words as FTS5 query strings, each quoted (``"`` doubled) so none is syntax.

    Each whitespace-separated word is one term (FTS5 splits ``U.S.`` into a phrase of its
    tokens); with ``phrase`` the whole text is one term. Words with no letter or digit match
    nothing FTS5 could index and are dropped.
    """
    chunks = [words] if phrase else words.split()
    return [
        '"' + chunk.replace('"', '""') + '"'
        for chunk in chunks
        if any(ch.isalnum() for ch in chunk)
    ]


class SearchIndex:
    """The search index of a store's cache; every method opens its own connection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = store.root / INDEX_NAME
        self._lock_path = store.root / LOCK_NAME

    # ----- files and connections -------------------------------------------------------
    def _fingerprint(self) -> str:
        """Identity of the store index files' content: a store write always changes it."""
        return json.dumps([stat_key(self.store.index_path), stat_key(self.store.log_path)])

    def _connect(self, path: Path | None = None) -> sqlite3.Connection:
        """A connection to the index (or to ``path``); a SearchIndexError if it cannot be opened."""
        try:
            conn = sqlite3.connect(path or self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise SearchIndexError(f"cannot open the search index {self.path}: {exc}") from None
        return conn

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the index's writer lock (an ``flock`` on ``search.lock``)."""
        try:
            fd = lock_file(self._lock_path)
        except OSError as exc:
            raise SearchIndexError(
                f"cannot write the search index in {self.store.root}: {exc.strerror}"
            ) from None
        try:
            yield
        finally:
            os.close(fd)

    def _open_checked(self) -> sqlite3.Connection | None:
        """A connection to a usable index of our schema; None if there is none; or ``_Damaged``."""
        if not self.path.exists():
            return None
        conn = self._connect()
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _Damaged(str(exc)) from None
        if row is None or row[0] != str(SCHEMA):
            conn.close()
            raise _Damaged(f"schema {row[0] if row else 'missing'}, expected {SCHEMA}")
        return conn

    # ----- keeping it fresh ------------------------------------------------------------
    def sync(self) -> str | None:
        """Bring the index up to date with the store; returns why it was rebuilt, if it was."""
        if not fts5_available():
            raise SearchIndexError(
                "search needs SQLite's FTS5, which this Python's sqlite3 lacks "
                f"(SQLite {sqlite3.sqlite_version}); install a Python built with FTS5"
            )
        fingerprint = self._fingerprint()
        seen = self._inode()
        try:
            conn = self._open_checked()
            if conn is None:
                return self._rebuild_unless_replaced(seen, "missing")
            with contextlib.closing(conn):
                if self._meta(conn, "fingerprint") == fingerprint:
                    return None
            with self._locked(), contextlib.closing(self._connect()) as conn:
                if self._meta(conn, "fingerprint") != fingerprint:
                    self._update(conn, fingerprint)
        except (_Damaged, sqlite3.DatabaseError) as exc:
            return self._rebuild_unless_replaced(seen, f"damaged ({exc})")
        return None

    def _inode(self) -> int | None:
        """The index file's inode: a rebuild replaces the file, an update keeps it."""
        try:
            return self.path.stat().st_ino
        except FileNotFoundError:
            return None

    @staticmethod
    def _meta(conn: sqlite3.Connection, key: str) -> str | None:
        """The value of ``key`` in the index's ``meta`` table, None if unset."""
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _rebuild_unless_replaced(self, seen: int | None, reason: str) -> str | None:
        """Rebuild under the lock, unless another process put a good index in place since we
        looked at file ``seen``; returns ``reason`` if this call rebuilt it."""
        with self._locked():
            if self._inode() != seen:
                try:
                    conn = self._open_checked()
                except _Damaged:
                    conn = None
                if conn is not None:
                    conn.close()
                    return None
            self._build()
        return reason

    def rebuild(self) -> int:
        """Build the index from scratch from the article files; returns the articles indexed."""
        with self._locked():
            return self._build()

    def _build(self) -> int:
        """Build into a new file and swap it in (lock held): readers never see a half index."""
        for leftover in self.path.parent.glob(f"{INDEX_NAME}.new-*"):
            with contextlib.suppress(OSError):
                leftover.unlink()  # left by a build that was killed (we hold the lock)
        fingerprint = self._fingerprint()
        temp = self.path.with_name(f"{INDEX_NAME}.new-{os.getpid()}")
        try:
            with contextlib.closing(self._connect(temp)) as conn:
                conn.execute("PRAGMA journal_mode = OFF")
                conn.execute("PRAGMA synchronous = OFF")
                conn.executescript(_SCHEMA_SQL)
                conn.execute("BEGIN")
                conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
                count = self._index_all(conn)
                conn.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
                conn.execute("COMMIT")
                conn.execute("INSERT INTO passages(passages) VALUES ('optimize')")
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except sqlite3.Error as exc:
            raise SearchIndexError(f"cannot build the search index {self.path}: {exc}") from None
        except OSError as exc:
            raise SearchIndexError(
                f"cannot write the search index {self.path}: {exc.strerror}"
            ) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return count

    def _index_all(self, conn: sqlite3.Connection) -> int:
        """Index every article of the store into an empty index; returns how many."""
        self.store.refresh()
        docs = sorted(self.store.index_docs(), key=lambda d: d["id"])
        for key, doc in enumerate(docs, start=1):
            self._index_article(conn, key, doc)
        return len(docs)

    def _update(self, conn: sqlite3.Connection, fingerprint: str) -> None:
        """Index again the articles whose state changed; drop the ones the store no longer has."""
        self.store.refresh()
        docs = {doc["id"]: doc for doc in self.store.index_docs()}
        indexed = {
            row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, key, state FROM articles")
        }
        conn.execute("BEGIN IMMEDIATE")
        try:
            for article_id in indexed.keys() - docs.keys():
                self._drop(conn, indexed[article_id][0])
                conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            next_key = 1 + (conn.execute("SELECT max(key) FROM articles").fetchone()[0] or 0)
            for article_id in sorted(docs):
                doc = docs[article_id]
                known = indexed.get(article_id)
                if known is not None and known[1] == _state(doc):
                    continue
                if known is not None:
                    key = known[0]
                    self._drop(conn, key)
                else:
                    key, next_key = next_key, next_key + 1
                self._index_article(conn, key, doc)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _drop(conn: sqlite3.Connection, key: int) -> None:
        """Delete the passages and versions indexed under article ``key``."""
        low = key << PASSAGE_BITS
        conn.execute("DELETE FROM passages WHERE rowid BETWEEN ? AND ?", (low, low | _LOW_MASK))
        conn.execute("DELETE FROM versions WHERE key = ?", (key,))

    def _index_article(self, conn: sqlite3.Connection, key: int, doc: dict[str, Any]) -> None:
        """Index one article's shard. A damaged shard is indexed as empty (doctor names it)
        with an empty state, so the next sync tries it again."""
        state = _state(doc)
        try:
            versions = self.store.versions(doc["id"])
        except NewsdiffError:
            versions, state = [], ""
        conn.execute(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)",
            (key, doc["id"], doc.get("source") or "", len(versions), state),
        )
        conn.executemany(
            "INSERT INTO versions VALUES (?, ?, ?)",
            [(key, v.number, to_iso(v.fetched_at)) for v in versions],
        )
        base = key << PASSAGE_BITS
        passages = list(_passages(versions).items())[: 1 << PASSAGE_BITS]
        conn.executemany(
            "INSERT INTO passages(rowid, text, kind, spans) VALUES (?, ?, ?, ?)",
            [
                (base + n, text, kind, compact_ranges(numbers))
                for n, ((kind, text), numbers) in enumerate(passages)
            ],
        )

    # ----- searching -------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        """The articles and versions ``query`` asks for, after bringing the index up to date."""
        terms = _fts_terms(query.words, phrase=query.phrase)
        if not terms:
            raise NewsdiffError(
                f"nothing to search for in {query.words!r}: give a word with letters or digits"
            )
        rebuilt = self.sync()
        try:
            hits, total = self._find(terms, query)
        except sqlite3.DatabaseError as exc:
            # Damage only a query reaches (the full-text pages): rebuild once and search again.
            self.rebuild()
            rebuilt = f"damaged ({exc})"
            hits, total = self._find(terms, query)
        return SearchResult(query=query, hits=tuple(hits), total=total, rebuilt=rebuilt)

    def _find(self, terms: list[str], query: SearchQuery) -> tuple[list[SearchHit], int]:
        """The hits of ``query`` (versions holding every term) and their total."""
        with contextlib.closing(self._connect()) as conn:
            found = self._versions_with_all(conn, terms)
            return self._hits(conn, found, terms, query)

    @staticmethod
    def _versions_with_all(conn: sqlite3.Connection, terms: list[str]) -> dict[int, set[int]]:
        """Article key -> the versions that contain every term (in any of their passages)."""
        result: dict[int, set[int]] | None = None
        for term in terms:
            per_article: dict[int, set[int]] = {}
            rows = conn.execute("SELECT rowid, spans FROM passages WHERE passages MATCH ?", (term,))
            for rowid, spans in rows:
                key = rowid >> PASSAGE_BITS
                if result is not None and key not in result:
                    continue
                per_article.setdefault(key, set()).update(_numbers(spans))
            if result is None:
                result = per_article
            else:
                result = {
                    key: both
                    for key, numbers in per_article.items()
                    if (both := numbers & result[key])
                }
            if not result:
                break
        return result or {}

    def _hits(
        self,
        conn: sqlite3.Connection,
        found: dict[int, set[int]],
        terms: list[str],
        query: SearchQuery,
    ) -> tuple[list[SearchHit], int]:
        """The hits (most recent first, at most ``query.limit``) and how many there are."""
        wanted_source = query.source.casefold() if query.source else None
        reported: dict[int, tuple[str, int, list[int]]] = {}
        for key, article_id, source, count in _rows_for_keys(
            conn, "SELECT key, id, source, versions FROM articles WHERE key IN ({})", found
        ):
            if wanted_source is not None and source.casefold() != wanted_source:
                continue
            present = found[key]
            if query.mode == "added":
                numbers = {v for v in present if v > 0 and v - 1 not in present}
            elif query.mode == "removed":
                numbers = {v + 1 for v in present if v + 1 < count and v + 1 not in present}
            else:
                numbers = present
            if numbers:
                reported[key] = (article_id, count, sorted(numbers))
        times: dict[int, dict[int, str]] = {}
        for key, number, fetched_at in _rows_for_keys(
            conn, "SELECT key, number, fetched_at FROM versions WHERE key IN ({})", reported
        ):
            times.setdefault(key, {})[number] = fetched_at
        since = to_iso(query.since) if query.since else None
        candidates = []
        for key, (article_id, count, numbers) in reported.items():
            seen = times.get(key, {})
            kept = [n for n in numbers if n in seen and (since is None or seen[n] >= since)]
            if kept:
                candidates.append((seen[kept[-1]], article_id, key, count, kept))
        candidates.sort(reverse=True)
        hits = []
        for _, article_id, key, count, kept in candidates:
            if query.limit is not None and len(hits) >= query.limit:
                break
            try:
                article = self.store.article(article_id)
            except NewsdiffError:
                continue  # deleted since the sync
            shown = kept[0] - 1 if query.mode == "removed" else kept[0]
            hits.append(
                SearchHit(
                    article_id=article_id,
                    url=article.url,
                    source=article.source,
                    title=article.title,
                    version_count=count,
                    versions=tuple(
                        VersionMatch(n, from_iso(times[key][n]))  # type: ignore[arg-type]
                        for n in kept
                    ),
                    excerpt=self._excerpt(conn, key, shown, terms),
                )
            )
        return hits, len(candidates)

    @staticmethod
    def _excerpt(
        conn: sqlite3.Connection, key: int, number: int, terms: list[str]
    ) -> tuple[tuple[str, bool], ...]:
        """A snippet of a passage of version ``number``: the first holding every term, else
        the first holding one of them (the words may be spread over several paragraphs)."""
        low = key << PASSAGE_BITS
        for query in (" AND ".join(terms), " OR ".join(terms)):
            rows = conn.execute(
                "SELECT snippet(passages, 0, ?, ?, '…', ?), spans FROM passages "
                "WHERE passages MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid",
                (_START, _END, _EXCERPT_TOKENS, query, low, low | _LOW_MASK),
            )
            for snippet, spans in rows:
                if number in _numbers(spans):
                    return _segments(snippet)
        return ()


def _rows_for_keys(
    conn: sqlite3.Connection, sql: str, keys: Iterable[int]
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (with ``IN ({})`` for the keys) for any number of article keys."""
    keys = list(keys)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        yield from conn.execute(sql.format(",".join("?" * len(chunk))), chunk)


def _segments(snippet: str) -> tuple[tuple[str, bool], ...]:
    """A snippet with ``_START``/``_END`` markers as ``(text, is_match)`` segments."""
    segments: list[tuple[str, bool]] = []
    for k, part in enumerate(snippet.split(_START)):
        if k == 0:
            if part:
                segments.append((part, False))
            continue
        match, _, rest = part.partition(_END)
        segments.append((match, True))
        if rest:
            segments.append((rest, False))
    return tuple(segments)


def search(store: Store, words: str, **options: Any) -> SearchResult:
    """Search a store's cache for ``words`` (``options``: the other ``SearchQuery`` fields);
    builds or updates the index first."""
    return SearchIndex(store).search(SearchQuery(words, **options))


def check_search_index(store: Store, report: DoctorReport, *, rebuild: bool = False) -> None:
    """``doctor``'s check of the search index, added to ``report``; ``rebuild`` rebuilds it.

    A missing index is not a problem (the first search builds it); an index that SQLite or
    FTS5 finds damaged, or of another schema, is. It holds no data of its own, so a rebuild
    simply replaces it.
    """
    index = SearchIndex(store)
    if not index.path.exists():
        return
    report.checked_files += 1
    damaged = False
    try:
        conn = index._open_checked()
        if conn is not None:
            with contextlib.closing(conn):
                status = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if status != "ok":
                    # One line for the report: SQLite's first finding past its "*** in ..." header.
                    lines = [ln for ln in status.splitlines() if not ln.startswith("***")]
                    raise _Damaged(f"quick_check: {(lines or ['failed'])[0][:120]}")
                conn.execute("INSERT INTO passages(passages) VALUES ('integrity-check')")
    except (_Damaged, sqlite3.DatabaseError) as exc:
        damaged = True
        report.problems.append(f"search index is damaged ({exc}): {index.path}")
    if not rebuild:
        return
    try:
        count = index.rebuild()
    except CacheError as exc:
        report.problems.append(str(exc))
        return
    what = "rebuilt the damaged" if damaged else "rebuilt the"
    report.repaired.append(f"{what} search index {index.path} from {count} articles")
