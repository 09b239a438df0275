"""The JSON history format: what ``import`` reads and ``--export --format json`` writes.

Format (``"format": "newsdiff-tui/history"``, ``"format_version": 1``)::

    {"source": str, "url": str, "first_seen": ISO time?, "versions": [
        {"version": int?, "title": str, "byline": str?, "published": str?,
         "paragraphs": [str, ...], "fetched_at": ISO time}, ...]}

The seed file (``shared/seed/gsomia-versions.json``) is a valid history as it is: fields this
format does not know (``note``) are ignored, optional ones may be missing.
"""

from __future__ import annotations

from typing import Any

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.model import Article, ArticleText
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import from_iso


class HistoryFormatError(NewsdiffError):
    """An import file that is not a history in the documented format."""


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise HistoryFormatError(f"{where}: {message}")


def load_history(store: Store, data: Any, *, where: str = "import") -> tuple[Article, int]:
    """Add the article and versions described by ``data``; returns (article, versions added).

    Everything is validated before anything is written, so a bad file changes nothing.
    """
    _require(isinstance(data, dict), where, "expected a JSON object with 'url' and 'versions'")
    url = data.get("url")
    _require(
        isinstance(url, str) and url.startswith(("http://", "https://")),
        where,
        "'url' must be an http(s) URL",
    )
    versions = data.get("versions")
    _require(
        isinstance(versions, list) and bool(versions), where, "'versions' must be a non-empty list"
    )
    texts = []
    for n, entry in enumerate(versions):
        at = f"{where}: versions[{n}]"
        _require(isinstance(entry, dict), at, "expected an object")
        paragraphs = entry.get("paragraphs")
        _require(
            isinstance(paragraphs, list) and all(isinstance(p, str) for p in paragraphs),
            at,
            "'paragraphs' must be a list of strings",
        )
        title = entry.get("title") or ""
        _require(isinstance(title, str), at, "'title' must be a string")
        byline = entry.get("byline")
        _require(byline is None or isinstance(byline, str), at, "'byline' must be a string")
        try:
            fetched_at = from_iso(entry.get("fetched_at"))
        except (TypeError, ValueError):
            fetched_at = None
        _require(fetched_at is not None, at, "'fetched_at' must be an ISO 8601 time")
        published = entry.get("published")
        text = ArticleText(
            title=title, byline=byline, published=published, paragraphs=tuple(paragraphs)
        )
        texts.append((fetched_at, text))
    texts.sort(key=lambda item: item[0])
    first_seen = from_iso(data.get("first_seen")) if data.get("first_seen") else texts[0][0]
    source = data.get("source") if isinstance(data.get("source"), str) else None
    article = store.add_article(url, source=source, first_seen=first_seen)
    existing = {v.fetched_at for v in store.versions(article.id)}
    added = 0
    for fetched_at, text in texts:
        if fetched_at in existing:
            continue
        if store.add_version(article.id, text, fetched_at) is not None:
            added += 1
    store.flush()
    return store.article(article.id), added
