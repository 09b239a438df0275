"""The article list's model: index documents sorted and filtered, converted only when shown.

Converting 20,000 index documents to ``Article`` objects costs about 0.3 s; sorting and
filtering the raw documents costs a few milliseconds. So the list keeps the documents and
converts the handful of rows on screen (cached).

The list is narrowed by a filter on titles, sources and URLs (as you type), or by a search of
the text of every version (``TextMatches``: the articles ``search.py`` found, by a worker).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any, Literal

from newsdiff_tui.model import Article
from newsdiff_tui.search import SearchHit, SearchMode, SearchQuery
from newsdiff_tui.store import article_from_doc

SortKey = Literal["changed", "first_seen", "title"]
SORT_KEYS: tuple[SortKey, ...] = ("changed", "first_seen", "title")
SORT_LABELS: dict[SortKey, str] = {
    "changed": "last change",
    "first_seen": "first seen",
    "title": "title",
}
Doc = dict[str, Any]
MODE_PREFIXES: dict[str, SearchMode] = {"+": "added", "-": "removed"}
MODE_WORDS: dict[SearchMode, str] = {"contains": "in", "added": "added in", "removed": "removed in"}


def text_query(typed: str) -> SearchQuery:
    """What the filter's text mode searches for: the words anywhere in a version, or, after
    ``+`` / ``-``, the versions where they were added / removed; in double quotes, as a phrase
    (``+"no deal"``). The words are the core's to check (``search.py`` says what is wrong)."""
    words = typed.strip()
    mode: SearchMode = "contains"
    if words[:1] in MODE_PREFIXES:
        mode, words = MODE_PREFIXES[words[0]], words[1:].strip()
    phrase = len(words) > 1 and words[0] in '"“' and words[-1] in '"”'
    if phrase:
        words = words[1:-1].strip()
    return SearchQuery(words, mode=mode, phrase=phrase)


@dataclass(frozen=True, eq=False)
class TextMatches:
    """The articles a search of the text of every version found; while set, the list shows
    only these (compared by identity: a new search is a new object)."""

    typed: str  # as typed in the filter
    query: SearchQuery
    hits: Mapping[str, SearchHit]  # by article id

    @property
    def versions(self) -> int:
        """Versions reported over all the articles found."""
        return sum(len(hit.versions) for hit in self.hits.values())


@contextlib.contextmanager
def long_lived_allocations() -> Iterator[None]:
    """Load data that lives as long as the app (the index) without garbage collection passes,
    then exempt it from later ones.

    The index of 20,000 articles is tens of thousands of tracked objects: loading it set off
    full collections (0.1 s of the first frame), and afterwards every full collection walked
    it again while the screen redraws (it doubled the cost of a cursor move in the benchmark).
    A reload unfreezes first, so the documents it replaces can be collected.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _changed_key(doc: Doc) -> tuple[str, str]:
    """Sort key by last change (first seen if none), ties broken by id."""
    return (doc.get("last_changed") or doc.get("first_seen") or "", doc["id"])


def _first_seen_key(doc: Doc) -> tuple[str, str]:
    """Sort key by first seen, ties broken by id."""
    return (doc.get("first_seen") or "", doc["id"])


def _title_key(doc: Doc) -> tuple[str, str]:
    """Sort key by title (the URL if none), case-folded, ties broken by id."""
    return ((doc.get("title") or doc.get("url") or "").casefold(), doc["id"])


class ArticleRows:
    """Sorted, filtered view of index documents; ``article(i)`` converts one row on demand."""

    def __init__(self, docs: Iterable[Doc] = (), sort: SortKey = "changed") -> None:
        """Rows over ``docs``, sorted by ``sort``, unfiltered."""
        self.sort: SortKey = sort
        self.filter = ""
        self.search: TextMatches | None = None
        self._docs: dict[str, Doc] = {}
        self._sorted: list[Doc] = []
        self._rows: list[Doc] = []
        self._hay: dict[str, str] = {}
        self.replace_all(docs)

    def __len__(self) -> int:
        """The number of rows listed (after the filter and the text search)."""
        return len(self._rows)

    @property
    def total(self) -> int:
        """Articles in the cache, filtered or not."""
        return len(self._docs)

    def with_docs(self, docs: Iterable[Doc]) -> ArticleRows:
        """New rows over ``docs`` with this sort and filter (built off the UI thread, then
        swapped in)."""
        rows = ArticleRows(sort=self.sort)
        rows.filter = self.filter
        rows.search = self.search
        rows.replace_all(docs)
        return rows

    def doc_of(self, article_id: str) -> Doc | None:
        """The index document of an article, filtered out or not."""
        return self._docs.get(article_id)

    def last_checked(self) -> str | None:
        """The latest check of any article (ISO UTC), from the index: one pass."""
        latest = None
        for doc in self._docs.values():
            moment = (doc.get("check") or {}).get("last_checked")
            if moment and (latest is None or moment > latest):
                latest = moment
        return latest

    def replace_all(self, docs: Iterable[Doc]) -> None:
        """Take a fresh set of documents (after a reload), keeping sort and filter."""
        self._docs = {doc["id"]: doc for doc in docs}
        self._hay = {}
        self._resort()

    def upsert(self, doc: Doc) -> None:
        """Add or update one document (after a check or an add)."""
        self._docs[doc["id"]] = doc
        self._hay.pop(doc["id"], None)
        self._resort()

    def remove(self, article_id: str) -> None:
        """Forget one document (after a delete)."""
        if self._docs.pop(article_id, None) is not None:
            self._hay.pop(article_id, None)
            self._resort()

    def set_sort(self, sort: SortKey) -> None:
        """Sort the rows by ``sort``, keeping the filter."""
        self.sort = sort
        self._resort()

    def set_filter(self, term: str) -> None:
        """Keep only rows whose title, source or URL contains ``term`` (case-insensitive)."""
        self.filter = term
        self._refilter()

    def set_search(self, matches: TextMatches | None) -> None:
        """Keep only the articles a text search found (None: every article)."""
        self.search = matches
        self._refilter()

    @property
    def narrowed_by(self) -> str:
        """What narrows the list, as typed (the filter or the text searched), or ``""``."""
        return self.filter or (self.search.typed if self.search else "")

    def _resort(self) -> None:
        """Sort every document by ``sort``, then filter again."""
        docs = list(self._docs.values())
        if self.sort == "title":
            docs.sort(key=_title_key)
        elif self.sort == "first_seen":
            docs.sort(key=_first_seen_key, reverse=True)
        else:
            # A C-level key for the common case (every article has a version) is 3x faster
            # than a Python key function on 20,000 articles; the rest fall back to first seen.
            changed = [d for d in docs if isinstance(d.get("last_changed"), str)]
            if len(changed) == len(docs):
                docs.sort(key=itemgetter("last_changed", "id"), reverse=True)
            else:
                docs.sort(key=_changed_key, reverse=True)
        self._sorted = docs
        self._refilter()

    def _hay_of(self, doc: Doc) -> str:
        """What the filter looks in: title, source and URL, case-folded (memoised)."""
        hay = self._hay.get(doc["id"])
        if hay is None:
            hay = f"{doc.get('title') or ''}\x00{doc.get('source') or ''}\x00{doc['url']}"
            hay = self._hay[doc["id"]] = hay.casefold()
        return hay

    def _refilter(self) -> None:
        """The listed rows: the sorted documents the text search found and the filter matches."""
        needle = self.filter.strip().casefold()
        rows = self._sorted
        if self.search is not None:
            found = self.search.hits
            rows = [doc for doc in rows if doc["id"] in found]
        if needle:
            hay = self._hay_of
            rows = [doc for doc in rows if needle in hay(doc)]
        self._rows = rows

    def doc(self, index: int) -> Doc:
        """The index document of row ``index``."""
        return self._rows[index]

    def id_at(self, index: int) -> str | None:
        """The article id of row ``index``, None if there is no such row."""
        if 0 <= index < len(self._rows):
            return self._rows[index]["id"]
        return None

    def index_of(self, article_id: str) -> int | None:
        """Row of an article in the current view (linear; used on reloads, not per move)."""
        for n, doc in enumerate(self._rows):
            if doc["id"] == article_id:
                return n
        return None

    def article(self, index: int) -> Article:
        """The ``Article`` of a row, converted on demand and cached by document identity."""
        return _article(_Key(self._rows[index]))

    def changed_since(self, iso_moment: str) -> int:
        """How many articles changed at or after ``iso_moment`` (an ISO UTC string)."""
        return sum(
            1 for doc in self._docs.values() if (doc.get("last_changed") or "") >= iso_moment
        )


class _Key:
    """Hashable by identity, so a replaced document gets converted again."""

    __slots__ = ("doc",)

    def __init__(self, doc: Doc) -> None:
        self.doc = doc

    def __hash__(self) -> int:
        return id(self.doc)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.doc is self.doc


@lru_cache(maxsize=512)
def _article(key: _Key) -> Article:
    """The Article of an index document, memoised by the document's identity."""
    return article_from_doc(key.doc)
