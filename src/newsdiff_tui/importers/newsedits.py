"""A NewsEdits per-outlet SQLite file -> imported articles.

The NewsEdits release (Spangher et al., 2022) ships one SQLite file per outlet with a table
``entryversion(id, entry_id, version, created, title, url, num_versions, summary)``: a row per
version of an article (``entry_id``), numbered by ``version``, its paragraphs joined by
``</p><p>``. Versions are grouped by ``entry_id``; the article's URL is its first version's
(the address the tracker found it under; later ones may be canonical rewrites).

Each row becomes a version with ``origin_ref`` ``newsedits:<entry_id>:<version>`` (the pair
names a version in an outlet's file whatever ``id`` means there). Paragraphs: the summary split
on ``</p><p>`` (a leading ``<p>`` and trailing ``</p>`` dropped, HTML entities decoded); any
other markup is kept as the literal text it is, never interpreted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from newsdiff_tui.importers.base import (
    ArticleProblem,
    ImportedArticle,
    ImportOptions,
    article_url,
    articles_or_problems,
    as_text,
    grouped,
    imported_text,
    in_time_order,
    parse_time,
)
from newsdiff_tui.importers.sqlitesrc import SQLiteSource

__all__ = ["read", "split_paragraphs"]

FORMAT = "newsedits"
REQUIRED = {"entryversion": ("entry_id", "version", "created", "title", "url", "summary")}
_SEPARATOR = re.compile(r"</p>\s*<p(?:\s[^>]*)?>", re.IGNORECASE)
_OUTER = re.compile(r"^\s*<p(?:\s[^>]*)?>|</p>\s*$", re.IGNORECASE)


def read(source: str, options: ImportOptions) -> Iterator[ImportedArticle | ArticleProblem]:
    """The articles of one NewsEdits outlet file, in ``entry_id`` order."""
    with SQLiteSource(source, fmt=FORMAT) as db:
        db.require(REQUIRED)
        rows = db.rows(
            "SELECT entry_id, version, created, title, url, summary FROM entryversion "
            "ORDER BY entry_id, version"
        )

        def build(group: list[tuple]) -> ImportedArticle:
            """One article from its group of version rows."""
            entry_id = group[0][0]
            url = article_url(group[0][4], f"version {group[0][1]}: 'url'")
            texts = [
                imported_text(
                    title,
                    split_paragraphs(summary),
                    parse_time(created, f"version {version}: 'created'", options.timezone),
                    f"{FORMAT}:{entry_id}:{version}",
                )
                for _, version, created, title, _, summary in group
            ]
            return ImportedArticle(url, in_time_order(texts), f"entry {entry_id}")

        yield from articles_or_problems(grouped(rows), build, lambda g: f"entry {g[0][0]}")


def split_paragraphs(summary: object) -> list[str]:
    """A NewsEdits summary's paragraphs: split on ``</p><p>``, entities decoded."""
    text = _OUTER.sub("", as_text(summary))
    return [html.unescape(part) for part in _SEPARATOR.split(text) if part.strip()]
