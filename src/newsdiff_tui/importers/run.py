"""An import from start to end: read and validate every source, then write.

Two phases, so that a bad source leaves the cache as it was:

1. **Read.** Every source is read to its end; each article is validated (URLs, times, git
   objects), normalised, and staged in a SQLite file in a temporary directory. A source that
   cannot be read (wrong format, a missing table, a truncated file) or, unless ``keep_going``,
   an article whose rows are bad stops the import here with one ``ImportSourceError``: the
   cache has not been opened for writing. Staging on disk instead of in memory keeps memory
   flat on a NewsEdits outlet file of a million versions, and reads the source (and runs git)
   once.
2. **Write.** Each staged article goes to the store in one write (``Store.add_article`` for a
   new one, then ``Store.insert_versions``), which places each version by its time and skips a
   text equal to its neighbour or an ``origin_ref`` already stored: importing twice adds
   nothing. Each article's write is atomic, so an import interrupted here (Ctrl+C, a full
   disk) leaves whole articles, and running it again completes it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol

from newsdiff_tui.errors import NotFoundError
from newsdiff_tui.importers import diffengine, newsdiffs, newsedits, newssniffer
from newsdiff_tui.importers.base import (
    ArticleProblem,
    ImportedArticle,
    ImportOptions,
    ImportSourceError,
)
from newsdiff_tui.model import ArticleText, SeenText
from newsdiff_tui.store import Store
from newsdiff_tui.textnorm import normalize
from newsdiff_tui.timeutil import from_iso, to_iso
from newsdiff_tui.urls import article_id_for

__all__ = [
    "FORMATS",
    "ImportProgress",
    "ImportSummary",
    "StagedImport",
    "import_sources",
    "read_sources",
    "write_staged",
]


class Reader(Protocol):
    """What every format's ``read`` is: a source and options in, articles or problems out."""

    def __call__(
        self, source: str, options: ImportOptions
    ) -> Iterator[ImportedArticle | ArticleProblem]:
        """Read ``source``: each article it holds, or the problem that kept one out."""


# The formats ``import --from`` reads, each by its module's ``read``.
FORMATS: dict[str, Reader] = {  # keys: importers.FORMAT_NAMES
    "diffengine": diffengine.read,
    "newsedits": newsedits.read,
    "newsdiffs": newsdiffs.read,
    "newssniffer": newssniffer.read,
}


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is: reading (articles and versions staged so far) or writing (articles
    written of ``total``)."""

    phase: Literal["reading", "writing"]
    articles: int
    versions: int
    total: int | None = None


@dataclass
class ImportSummary:
    """What an import did: articles and versions read and added, what it skipped and why."""

    fmt: str
    articles: int = 0  # articles of the sources with at least one version that has text
    new_articles: int = 0  # ... of which the cache did not hold before
    read: int = 0  # versions with text that the sources hold
    added: int = 0  # ... of which are new in the cache
    empty: int = 0  # versions with no paragraph (a failed extraction there): not imported
    problems: list[ArticleProblem] = field(default_factory=list)  # articles left out

    @property
    def skipped(self) -> int:
        """Versions not added: already in the cache, the same text as a neighbour, or empty."""
        return self.read - self.added + self.empty

    def line(self) -> str:
        """The summary as one line (articles, versions, skipped, errors)."""
        reasons = [f"{self.read - self.added} already in the cache or unchanged"]
        if self.empty:
            reasons.append(f"{self.empty} empty")
        return (
            f"{self.fmt}: {self.articles} article(s) ({self.new_articles} new), "
            f"{self.added} version(s) imported, {self.skipped} skipped "
            f"({', '.join(reasons)}), {len(self.problems)} error(s)"
        )


def import_sources(
    store: Store,
    fmt: str,
    sources: Sequence[str],
    *,
    options: ImportOptions | None = None,
    keep_going: bool = False,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportSummary:
    """Import every source of format ``fmt`` into ``store``: ``read_sources`` then
    ``write_staged`` (see the module docstring)."""
    with read_sources(
        fmt, sources, options=options, keep_going=keep_going, progress=progress
    ) as staged:
        return write_staged(store, staged, progress=progress)


@dataclass
class StagedImport:
    """Sources read and validated, waiting in a scratch file to be written."""

    summary: ImportSummary
    staging: _Staging


@contextlib.contextmanager
def read_sources(
    fmt: str,
    sources: Sequence[str],
    *,
    options: ImportOptions | None = None,
    keep_going: bool = False,
    progress: Callable[[ImportProgress], None] | None = None,
) -> Iterator[StagedImport]:
    """Read and validate every source of format ``fmt`` (phase 1), before any cache is opened.

    Raises ``ImportSourceError`` for a source that cannot be read, and (unless ``keep_going``,
    which lists them in the summary's ``problems``) for an article whose rows are bad.
    """
    reader = FORMATS[fmt]
    options = options or ImportOptions()
    summary = ImportSummary(fmt)
    report = progress or _silent
    with (
        tempfile.TemporaryDirectory(prefix="newsdiff-import-") as scratch,
        _Staging(Path(scratch) / "staged.sqlite") as staging,
    ):
        for source in sources:
            with contextlib.closing(reader(source, options)) as items:
                for item in items:
                    if isinstance(item, ArticleProblem):
                        if not keep_going:
                            raise ImportSourceError(
                                f"{source}: {item.line()} (nothing was imported; --keep-going "
                                "imports the other articles)"
                            )
                        summary.problems.append(replace(item, where=f"{source}: {item.where}"))
                        continue
                    article, empty = _with_text(item)
                    summary.empty += empty
                    if article.texts:
                        staging.add(article)
                        summary.articles += 1
                        summary.read += len(article.texts)
                        report(ImportProgress("reading", summary.articles, summary.read))
        yield StagedImport(summary, staging)


def write_staged(
    store: Store,
    staged: StagedImport,
    *,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportSummary:
    """Write the staged articles to ``store`` (phase 2), one write each; returns the summary."""
    summary = staged.summary
    report = progress or _silent
    for done, article in enumerate(staged.staging, 1):
        _write(store, article, summary)
        report(ImportProgress("writing", done, summary.added, summary.articles))
    store.flush()
    return summary


def _silent(_event: ImportProgress) -> None:
    """The progress callback when nobody listens."""


def _with_text(article: ImportedArticle) -> tuple[ImportedArticle, int]:
    """The article with its texts normalised (as the store would) and those with no paragraph
    left out; and how many were left out.

    Versions of an article share most paragraphs, so each distinct one is normalised once.
    """
    seen_before: dict[str, str] = {}

    def normal(text: str) -> str:
        """``normalize(text)``, memoised across the article's versions."""
        if text not in seen_before:
            seen_before[text] = normalize(text)
        return seen_before[text]

    kept = []
    for seen in article.texts:
        text = seen.text
        paragraphs = tuple(p for p in map(normal, text.paragraphs) if p)
        if paragraphs:
            byline = normal(text.byline) if text.byline else None
            clean = ArticleText(normal(text.title), byline or None, text.published, paragraphs)
            kept.append(replace(seen, text=clean))
    return replace(article, texts=tuple(kept)), len(article.texts) - len(kept)


def _write(store: Store, article: ImportedArticle, summary: ImportSummary) -> None:
    """One article into the store: created if new, then its versions in one write.

    Versions whose id in the other tracker the article holds already are left out before the
    store is asked (it would skip them too, after reading and checking them): a second import
    reads each shard once and writes nothing.
    """
    article_id = article_id_for(article.url)
    texts = article.texts
    try:
        store.article(article_id)
    except NotFoundError:
        summary.new_articles += 1
        first = texts[0].seen_at
        store.add_article(
            article.url,
            feed_url=article.feed_url,
            first_seen=min(first, article.first_seen) if article.first_seen else first,
        )
    else:
        known = {v.origin_ref for v in store.versions(article_id) if v.origin == "import"}
        texts = tuple(seen for seen in texts if seen.origin_ref not in known)
        if not texts:
            return
    placed = store.insert_versions(article_id, texts, normalized=True)
    summary.added += sum(version is not None for version in placed)


class _Staging:
    """Validated articles kept in a scratch SQLite file between reading and writing."""

    def __init__(self, path: Path) -> None:
        """A scratch table at ``path``, unjournalled and unsynced: it is thrown away afterwards."""
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("CREATE TABLE staged (n INTEGER PRIMARY KEY, article TEXT NOT NULL)")

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def add(self, article: ImportedArticle) -> None:
        """Stage one validated article."""
        self.conn.execute("INSERT INTO staged (article) VALUES (?)", (_dump(article),))

    def __iter__(self) -> Iterator[ImportedArticle]:
        """The staged articles, in the order they were added."""
        self.conn.commit()
        for (doc,) in self.conn.execute("SELECT article FROM staged ORDER BY n"):
            yield _load(doc)


def _dump(article: ImportedArticle) -> str:
    """An article as one JSON row of the scratch database (the inverse of ``_load``)."""
    texts = [
        [
            seen.text.title,
            seen.text.byline,
            seen.text.published,
            list(seen.text.paragraphs),
            to_iso(seen.seen_at),
            seen.origin_ref,
            seen.origin_url,
            seen.boring,
        ]
        for seen in article.texts
    ]
    return json.dumps(
        [article.url, article.where, article.feed_url, to_iso(article.first_seen), texts],
        ensure_ascii=False,
    )


def _load(doc: str) -> ImportedArticle:
    """The article a scratch row holds (the inverse of ``_dump``)."""
    url, where, feed_url, first_seen, texts = json.loads(doc)
    return ImportedArticle(
        url=url,
        where=where,
        feed_url=feed_url,
        first_seen=from_iso(first_seen),
        texts=tuple(
            SeenText(
                ArticleText(title, byline, published, tuple(paragraphs)),
                from_iso(seen_at),  # type: ignore[arg-type]
                "import",
                ref,
                link,
                boring,
            )
            for title, byline, published, paragraphs, seen_at, ref, link, boring in texts
        ),
    )
