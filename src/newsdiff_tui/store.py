"""The TinyDB cache: one shard per article (the truth) and a derived index of all articles.

Layout under the cache root (see DESIGN.md, "The cache"):

- ``meta.json``: the schema version of the cache.
- ``articles/<2-char prefix>/<article id>.json``: a TinyDB file per article with two tables,
  ``article`` (one document: url, source, first seen, check state, backfill state) and
  ``versions``, numbered 0..n-1 in the order their texts were seen (schema 2 on).
- ``index.json``: a snapshot of the index, one small document per article, derived from the
  shards; ``index.log``: a journal of the index changes made since that snapshot (one JSON
  line per change), folded into a new snapshot now and then. Both are rebuildable by ``doctor``.
- ``.lock``: taken (``flock``) around every write so several processes can write safely.

Every file is written atomically (temp file, fsync, ``os.replace``); see ``storage.py``.
A write changes one shard and appends to the journal, so it costs the same in a cache of 200
articles as in one of 20,000.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from tinydb import TinyDB

from newsdiff_tui.cachecheck import check_index_entries, check_meta, check_shard
from newsdiff_tui.errors import AmbiguousError, CacheError, NoCacheError, NotFoundError
from newsdiff_tui.gcpause import gc_paused
from newsdiff_tui.model import (
    Article,
    ArticleText,
    BackfillState,
    CheckState,
    SeenText,
    Version,
)
from newsdiff_tui.storage import (
    AtomicJSONStorage,
    IndexJournal,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_json_many,
    lock_file,
    read_json_file,
    write_json_file,
)
from newsdiff_tui.textnorm import boring_key
from newsdiff_tui.timeutil import from_iso, to_iso, utcnow
from newsdiff_tui.urls import article_id_for, source_for

__all__ = [
    "APP_NAME",
    "SCHEMA_VERSION",
    "AtomicJSONStorage",
    "DoctorReport",
    "Store",
    "article_from_doc",
    "article_to_doc",
    "atomic_write_json",
    "default_root",
    "read_latest_version",
    "shard_document",
]

_T = TypeVar("_T")
SCHEMA_VERSION = 2
APP_NAME = "newsdiff-tui"
# The journal is folded into a new snapshot when it passes max(this, snapshot size / 4), so the
# amortised cost of an add stays constant and opening replays at most a quarter more bytes.
COMPACT_MIN_BYTES = 1 << 20
COMPACT_SHARE = 4
# On close a writer compacts sooner (journal past an eighth of the snapshot), keeping opens fast.
COMPACT_ON_CLOSE_SHARE = 8

# Upgrades of the cache layout: MIGRATIONS[n](root) turns a schema-n cache into schema n+1,
# in place, with the writer lock held. They are defined at the end of this module.
MIGRATIONS: dict[int, Callable[[Path], None]] = {}


def default_root(db: str | os.PathLike[str] | None = None) -> Path:
    """Where the cache lives: ``--db``, else ``$NEWSDIFF_HOME``, else the user data dir."""
    if db:
        return Path(db).expanduser()
    env = os.environ.get("NEWSDIFF_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def _ts(text: str | None) -> datetime | None:
    """``from_iso`` with a fast path for the UTC times the store writes (opening 20k articles)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is UTC else from_iso(text)


def _version_to_doc(version: Version) -> dict[str, Any]:
    """The shard document of ``version`` (the inverse of ``_version_from_doc``)."""
    text = version.text
    return {
        "number": version.number,
        "title": text.title,
        "byline": text.byline,
        "published": text.published,
        "paragraphs": list(text.paragraphs),
        "fetched_at": to_iso(version.fetched_at),
        "text_hash": version.text_hash,
        "boring": version.boring,
        "revert_of": version.revert_of,
        "origin": version.origin,
        "origin_ref": version.origin_ref,
        "origin_url": version.origin_url,
    }


def _version_from_doc(doc: dict[str, Any]) -> Version:
    """The Version a shard document holds; schema 1 documents have no origin: live fetches."""
    return Version(
        number=doc["number"],
        text=ArticleText(
            title=doc.get("title") or "",
            byline=doc.get("byline"),
            published=doc.get("published"),
            paragraphs=tuple(doc.get("paragraphs") or ()),
        ),
        fetched_at=from_iso(doc["fetched_at"]),  # type: ignore[arg-type]
        text_hash=doc["text_hash"],
        boring=bool(doc.get("boring")),
        revert_of=doc.get("revert_of"),
        origin=doc.get("origin") or "live",
        origin_ref=doc.get("origin_ref"),
        origin_url=doc.get("origin_url"),
    )


def _backfill_to_doc(state: BackfillState) -> dict[str, Any]:
    """The shard document of an article's backfill state."""
    return {
        "texts": dict(state.texts),
        "refused": dict(state.refused),
        "searched_at": to_iso(state.searched_at),
        "last_error": state.last_error,
    }


def _backfill_from_doc(doc: dict[str, Any] | None) -> BackfillState:
    """The BackfillState a shard document holds; an empty one if it has none."""
    if not doc:
        return BackfillState()
    return BackfillState(
        texts=dict(doc.get("texts") or {}),
        refused=dict(doc.get("refused") or {}),
        searched_at=_ts(doc.get("searched_at")),
        last_error=doc.get("last_error"),
    )


def _check_to_doc(check: CheckState) -> dict[str, Any]:
    """The shard document of an article's check state."""
    return {
        "last_checked": to_iso(check.last_checked),
        "last_error": check.last_error,
        "failures": check.failures,
        "etag": check.etag,
        "last_modified": check.last_modified,
        "body_hash": check.body_hash,
        "final_url": check.final_url,
        "checks": check.checks,
    }


def _dataclass_defaults(cls: type) -> dict[str, Any]:
    """The default value of every field of dataclass ``cls`` that has one, for ``_fast_new``."""
    values = {}
    for spec in fields(cls):
        if spec.default is not MISSING:
            values[spec.name] = spec.default
        elif spec.default_factory is not MISSING:
            values[spec.name] = spec.default_factory()
    return values


_DEFAULTS = {cls: _dataclass_defaults(cls) for cls in (Article, CheckState)}
_NO_CHECK = CheckState()


def _fast_new(cls: type[_T], values: dict[str, Any]) -> _T:
    """Build a frozen dataclass without its generated ``__init__``, which is 4x slower.

    Why: opening a 20,000-article cache builds 40,000 of these and must take under 0.5 s.
    Fields left out take their declared defaults; the result equals the ``__init__`` one.
    """
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", {**_DEFAULTS[cls], **values})
    return obj


def _check_from_doc(doc: dict[str, Any] | None) -> CheckState:
    """The CheckState a document holds (a shared empty one if none), built by ``_fast_new``."""
    if not doc:
        return _NO_CHECK
    return _fast_new(
        CheckState,
        {
            "last_checked": _ts(doc.get("last_checked")),
            "last_error": doc.get("last_error"),
            "failures": int(doc.get("failures") or 0),
            "etag": doc.get("etag"),
            "last_modified": doc.get("last_modified"),
            "body_hash": doc.get("body_hash"),
            "final_url": doc.get("final_url"),
            "checks": int(doc.get("checks") or 0),
        },
    )


def article_to_doc(article: Article) -> dict[str, Any]:
    """The index document of an article (also the ``list --json`` shape, plus check state)."""
    return {
        "id": article.id,
        "url": article.url,
        "source": article.source,
        "title": article.title,
        "first_seen": to_iso(article.first_seen),
        "last_changed": to_iso(article.last_changed),
        "versions": article.version_count,
        "feed_url": article.feed_url,
        "words": article.word_count,
        "archived": article.archived_versions,
        "imported": article.imported_versions,
        "check": _check_to_doc(article.check),
    }


def article_from_doc(doc: dict[str, Any]) -> Article:
    """The Article an index document describes (the inverse of ``article_to_doc``)."""
    return _fast_new(
        Article,
        {
            "id": doc["id"],
            "url": doc["url"],
            "source": doc.get("source") or source_for(doc["url"]),
            "title": doc.get("title") or "",
            "first_seen": _ts(doc["first_seen"]),
            "last_changed": _ts(doc.get("last_changed")),
            "version_count": int(doc.get("versions") or 0),
            "feed_url": doc.get("feed_url"),
            "word_count": int(doc.get("words") or 0),
            "archived_versions": int(doc.get("archived") or 0),
            "imported_versions": int(doc.get("imported") or 0),
            "check": _check_from_doc(doc.get("check")),
        },
    )


def shard_document(
    url: str,
    *,
    first_seen: datetime,
    source: str | None = None,
    feed_url: str | None = None,
    versions: Iterable[Version] = (),
) -> dict[str, Any]:
    """The content of a shard for ``url`` with ``versions`` (numbered 0..n-1, oldest first).

    ``add_article`` starts every shard from this; bulk builders (the benchmark) use it to write
    shards directly, then ``rebuild_index``.
    """
    meta = {
        "id": article_id_for(url),
        "url": url,
        "source": source or source_for(url),
        "first_seen": to_iso(first_seen),
        "feed_url": feed_url,
        "check": _check_to_doc(CheckState()),
    }
    table = {str(v.number + 1): _version_to_doc(v) for v in versions}
    return {"article": {"1": meta}, "versions": table}


@dataclass
class DoctorReport:
    """What ``Store.doctor`` found: problems by path, and what it repaired."""

    checked_files: int = 0
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when ``doctor`` found no problem."""
        return not self.problems


class Store:
    """The cache at ``root``. Cheap to open: only ``meta.json`` and the index are read.

    Writers take the cross-process lock per operation, so a TUI and a cron ``fetch`` can share
    one cache; each write is in the index (journal) when it returns. ``refresh()`` picks up
    other processes' writes. A corrupt index does not stop the store from opening (so that
    ``doctor`` can repair it) but every call that needs the index raises its ``CacheError``.
    """

    def __init__(self, root: str | os.PathLike[str], *, create: bool = True) -> None:
        """Open the cache at ``root`` (made if ``create``): check its schema, load its index."""
        self.root = Path(root)
        self._create = create
        self._mutex = threading.RLock()  # guards the in-memory index between threads
        self._held = threading.local()  # this thread's depth in ``locked()``
        self._wrote = False
        self._index_error: CacheError | None = None
        self._article_cache: dict[str, tuple[dict[str, Any], Article]] = {}
        self._sorted: list[Article] = []
        self._sorted_generation = -1
        self._check_schema()
        self._journal = IndexJournal(
            self.index_path, self.log_path, order=_doc_order, check=check_index_entries
        )
        self._load_index()

    # ----- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Fold a long journal into a new snapshot if this store wrote (keeps opening fast)."""
        if self._wrote and self._index_error is None:
            with contextlib.suppress(CacheError):
                self._maybe_compact(closing=True)

    def flush(self) -> None:
        """Kept for callers that batch: every write is in the index journal when it returns."""

    def _check_schema(self) -> None:
        """Write ``meta.json`` for a new cache; refuse a newer schema, migrate an older one."""
        meta_path = self.root / "meta.json"
        meta = read_json_file(meta_path)
        if meta is None:
            if not self._create:
                raise NoCacheError(
                    f"no cache at {self.root} (`newsdiff-tui add URL` or `import FILE` makes one)"
                )
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CacheError(
                    f"cannot create the cache directory {self.root}: {exc.strerror}"
                ) from None
            with self.locked():
                if read_json_file(meta_path) is None:
                    write_json_file(meta_path, {"schema": SCHEMA_VERSION})
            return
        schema = check_meta(meta, meta_path)
        if schema > SCHEMA_VERSION:
            raise CacheError(
                f"the cache at {self.root} has schema {schema}, newer than this newsdiff-tui "
                f"understands ({SCHEMA_VERSION}); upgrade newsdiff-tui to use it"
            )
        if schema < SCHEMA_VERSION:
            self._migrate(meta_path)

    def _migrate(self, meta_path: Path) -> None:
        """Upgrade an older cache step by step (under the lock: one process migrates)."""
        with self.locked():
            schema = check_meta(read_json_file(meta_path), meta_path)
            while schema < SCHEMA_VERSION:
                step = MIGRATIONS.get(schema)
                if step is None:
                    raise CacheError(
                        f"the cache at {self.root} has schema {schema}, which this "
                        f"newsdiff-tui cannot upgrade: {meta_path}"
                    )
                step(self.root)
                schema += 1
                write_json_file(meta_path, {"schema": schema})

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cache's writer lock (an ``flock`` on ``.lock``) for the duration.

        Re-entrant per thread. Each thread takes the flock on its own descriptor, so threads of
        one process queue like processes do; only then does it take the in-process mutex, so
        that waiting for another process (say a long ``doctor --rebuild-index``) never blocks
        this process's readers. Never take the lock while holding the mutex.
        """
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        try:
            fd = lock_file(self.root / ".lock")
        except OSError as exc:
            raise CacheError(
                f"cannot write the cache directory {self.root}: {exc.strerror}"
            ) from None
        try:
            with self._mutex:
                self._held.depth = 1
                try:
                    yield
                finally:
                    self._held.depth = 0
        finally:
            os.close(fd)  # releases the flock

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group this thread's writes inside the block into one commit (group commit).

        The writer lock is held for the whole block. Shards changed inside are kept in memory
        (reads in the block see them) and committed when the block ends: one journal append
        names them all, the shard files are written and fsynced together with the journal,
        renamed, their directories fsynced, then their index entries appended. So N writes
        cost two rounds of disk flushes instead of 3N flushes. For ``add_version`` and
        ``record_check``.

        Nothing written inside is durable before the block has ended without an exception:
        acknowledge nothing earlier. If the block raises, its writes are dropped. A crash at
        any point leaves each shard old or new, and the intents make readers re-read them.
        """
        if getattr(self._held, "batch", None) is not None:
            yield  # nested: the outer block commits
            return
        with self.locked():
            self._held.batch = {}
            try:
                yield
                pending, self._held.batch = self._held.batch, None
                self._commit_batch(pending)
            finally:
                self._held.batch = None
        self._maybe_compact()

    def _commit_batch(self, pending: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Write a batch's shards: intents, then the shards (the intents durable before any
        shard is replaced, as in ``_commit``), then the entries."""
        if not pending:
            return
        ids = sorted(pending)
        self._append([{"intent": article_id} for article_id in ids], durable=False)
        try:
            atomic_write_json_many(
                [(self.shard_path(i), pending[i][0]) for i in ids], sync_first=[self.log_path]
            )
        except OSError as exc:
            # The intents are durable: the next writer or reader re-reads these shards.
            raise CacheError(f"cannot write the cache in {self.root}: {exc.strerror}") from None
        self._append([{"put": pending[i][1]} for i in ids], durable=False)

    # ----- paths -----------------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        """The index snapshot, ``index.json``."""
        return self.root / "index.json"

    @property
    def log_path(self) -> Path:
        """The index journal, ``index.log``."""
        return self.root / "index.log"

    def shard_path(self, article_id: str) -> Path:
        """The TinyDB file of ``article_id``, under a two-character prefix directory."""
        return self.root / "articles" / article_id[:2] / f"{article_id}.json"

    def shard_paths(self) -> Iterator[Path]:
        """Every shard file, in a stable order."""
        base = self.root / "articles"
        if base.is_dir():
            yield from sorted(base.glob("*/*.json"))

    def _has_shards(self) -> bool:
        """Whether any shard exists, i.e. whether a missing index must be derived from them."""
        base = self.root / "articles"
        if not base.is_dir():
            return False
        return any(any(d.glob("*.json")) for d in base.iterdir() if d.is_dir())

    # ----- the index -------------------------------------------------------------------
    def _load_index(self) -> None:
        """Read the index (snapshot and journal); a broken one is kept as an error raised on use, so
        ``doctor`` can still open the cache."""
        with self._mutex, gc_paused():
            try:
                self._journal.load()
            except CacheError as exc:
                self._index_error = exc
                self._journal.docs = {}
                return
            self._index_error = None
            journal = self._journal
            if not journal.snapshot_exists and not journal.docs and self._has_shards():
                # index.json was lost: derive the index now; the next write persists it.
                journal.docs = self._scan_shards()[0]
                journal.generation += 1
            self._settle_in_memory()

    def _settle_in_memory(self) -> None:
        """Re-read the shards of unfinished writes (a reader cannot know if the writer died)."""
        journal = self._journal
        for article_id in sorted(journal.pending):
            doc = self._doc_or_none(article_id)
            if doc is not None:
                journal.docs[article_id] = doc
            elif not self.shard_path(article_id).exists():
                journal.docs.pop(article_id, None)
            journal.generation += 1

    def _doc_or_none(self, article_id: str) -> dict[str, Any] | None:
        """The index document derived from a shard; None if the shard is missing or corrupt."""
        try:
            return self._doc_from_shard(self.shard_path(article_id))
        except (NotFoundError, CacheError):
            return None

    def _sync(self) -> None:
        """With the lock held: catch up with the journal and settle writes that died midway."""
        if self._index_error is not None:
            self._load_index()  # another process may have repaired it meanwhile
            self._require_index()
        journal = self._journal
        journal.catch_up()
        if not journal.snapshot_exists and self._has_shards():
            self._compact(self._scan_shards()[0])  # index.json was lost: rebuild it once
        if journal.pending:
            records: list[dict[str, Any]] = []
            for article_id in sorted(journal.pending):
                doc = self._doc_or_none(article_id)
                if doc is None and self.shard_path(article_id).exists():
                    # Corrupt shard: keep what the index knew; doctor reports the file.
                    doc = journal.docs.get(article_id)
                records.append({"put": doc} if doc else {"del": article_id})
            self._append(records)

    def _append(self, records: list[dict[str, Any]], *, durable: bool = True) -> None:
        """Append ``records`` to the index journal; a failed write is a CacheError naming it."""
        try:
            self._journal.append(records, durable=durable)
        except OSError as exc:
            raise CacheError(f"cannot write the index journal {self.log_path}: {exc}") from None
        self._wrote = True

    def _maybe_compact(self, *, closing: bool = False) -> None:
        """Fold the journal into a new snapshot once it is long relative to the snapshot."""
        if getattr(self._held, "batch", None) is not None:
            return  # the batch's writes are not in the journal yet; its end compacts
        share = COMPACT_ON_CLOSE_SHARE if closing else COMPACT_SHARE
        minimum = COMPACT_MIN_BYTES // 8 if closing else COMPACT_MIN_BYTES
        journal = self._journal
        if journal.log_bytes <= max(minimum, journal.snapshot_bytes // share):
            return
        with self.locked():
            self._sync()
            if journal.log_bytes > max(minimum, journal.snapshot_bytes // share):
                self._compact()

    def _compact(self, docs: dict[str, dict[str, Any]] | None = None) -> None:
        """Fold the journal into a new snapshot (of ``docs`` if given); failing, a CacheError."""
        try:
            self._journal.compact(docs)
        except OSError as exc:
            raise CacheError(f"cannot write the index {self.index_path}: {exc}") from None

    def refresh(self) -> bool:
        """Pick up index changes other processes made; True when the index changed."""
        with self._mutex:
            if self._index_error is not None:
                self._load_index()
                return self._index_error is None
            changed = self._journal.catch_up()
            if changed and self._journal.pending:
                self._settle_in_memory()
            return changed

    def _require_index(self) -> dict[str, dict[str, Any]]:
        """The index documents by id; if the index is broken, its CacheError (see ``doctor``)."""
        if self._index_error is not None:
            raise CacheError(
                f"{self._index_error} (run `newsdiff-tui doctor --rebuild-index` to rebuild it)"
            )
        return self._journal.docs

    def _article_of(self, doc: dict[str, Any]) -> Article:
        """The Article of an index document, memoised while the document is the same object."""
        cached = self._article_cache.get(doc["id"])
        if cached is not None and cached[0] is doc:
            return cached[1]
        try:
            article = article_from_doc(doc)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CacheError(
                f"index entry of {doc.get('id')} is malformed: {self.index_path} "
                "(run `newsdiff-tui doctor --rebuild-index` to rebuild it)"
            ) from None
        self._article_cache[doc["id"]] = (doc, article)
        return article

    # ----- reading ---------------------------------------------------------------------
    def articles(self) -> list[Article]:
        """Every tracked article, most recently changed first."""
        with self._mutex:
            docs = self._require_index()
            if self._sorted_generation != self._journal.generation:
                ordered = sorted(docs.values(), key=_doc_order, reverse=True)
                with gc_paused():
                    self._sorted = [self._article_of(doc) for doc in ordered]
                if len(self._article_cache) > len(docs):
                    self._article_cache = {a.id: self._article_cache[a.id] for a in self._sorted}
                self._sorted_generation = self._journal.generation
            return list(self._sorted)

    def index_docs(self) -> list[dict[str, Any]]:
        """The raw index documents, unsorted: for views that convert only the rows they show.

        Read-only (they are the store's own); null and zero fields are left out, so read them
        with ``.get``; ``article_from_doc`` turns one into an ``Article``.
        """
        with self._mutex:
            return list(self._require_index().values())

    def __len__(self) -> int:
        """The number of articles in the index."""
        return len(self._require_index())

    def article(self, article_id: str) -> Article:
        """The article with this id, from the index (or its shard if the index lags)."""
        with self._mutex:
            doc = self._require_index().get(article_id)
            if doc is not None:
                return self._article_of(doc)
        path = self.shard_path(article_id)
        if not path.exists():
            raise NotFoundError(f"no article with id {article_id} in {self.root}")
        return article_from_doc(self._doc_from_shard(path))

    def search(self, term: str) -> list[Article]:
        """Articles whose title, source, URL or id contains ``term`` (case-insensitive)."""
        needle = term.casefold()
        with self._mutex:
            hits = [
                doc
                for doc in self._require_index().values()
                if needle in doc["id"]
                or needle in doc["url"].casefold()
                or needle in (doc.get("title") or "").casefold()
                or needle in (doc.get("source") or "").casefold()
            ]
            return [self._article_of(d) for d in sorted(hits, key=_doc_order, reverse=True)]

    def resolve(self, ref: str) -> Article:
        """An article named by id, URL or a search term that matches exactly one article."""
        ref = ref.strip()
        index = self._require_index()
        if ref in index:
            return self.article(ref)
        by_url = article_id_for(ref)
        if by_url in index:
            return self.article(by_url)
        hits = self.search(ref)
        if not hits:
            raise NotFoundError(f"no article matches {ref!r} in {self.root}")
        if len(hits) > 1:
            raise AmbiguousError(f"{len(hits)} articles match {ref!r}; name one by id", hits)
        return hits[0]

    def _read_shard(self, article_id: str) -> dict[str, Any]:
        """A shard's content, checked; ``CacheError`` naming the file if it is damaged."""
        batch = getattr(self._held, "batch", None)
        if batch and article_id in batch:
            return batch[article_id][0]  # written earlier in this thread's batch
        path = self.shard_path(article_id)
        data = AtomicJSONStorage(path).read()
        if data is None:
            raise NotFoundError(f"no article with id {article_id} in {self.root}")
        check_shard(data, path, article_id)
        return data

    def versions(self, article_id: str) -> list[Version]:
        """All stored versions of an article, oldest first (read from its shard)."""
        data = self._read_shard(article_id)
        docs = (data.get("versions") or {}).values()
        return sorted((_version_from_doc(d) for d in docs), key=lambda v: v.number)

    def version(self, article_id: str, number: int) -> Version:
        """Version ``number`` of an article (negative counts from the latest)."""
        versions = self.versions(article_id)
        if number < 0:
            number += len(versions)
        for version in versions:
            if version.number == number:
                return version
        raise NotFoundError(f"article {article_id} has no version {number}")

    # ----- writing ---------------------------------------------------------------------
    def add_article(
        self,
        url: str,
        *,
        source: str | None = None,
        feed_url: str | None = None,
        first_seen: datetime | None = None,
    ) -> Article:
        """Start tracking ``url``; returns the existing article if it is tracked already."""
        article_id = article_id_for(url)
        with self.locked():
            self._sync()
            path = self.shard_path(article_id)
            if path.exists():
                doc = self._doc_from_shard(path)
                if self._journal.docs.get(article_id) != doc:
                    self._append([{"put": doc}])
            else:
                data = shard_document(
                    url, source=source, feed_url=feed_url, first_seen=first_seen or utcnow()
                )
                doc = self._commit(article_id, data)
        self._maybe_compact()
        return self._article_of(doc)

    def add_version(
        self,
        article_id: str,
        text: ArticleText,
        fetched_at: datetime | None = None,
        *,
        check: CheckState | None = None,
    ) -> Version | None:
        """Store ``text``, fetched live, as a new version unless its normalised text equals the
        latest.

        Returns the new version, or None when nothing changed. Marks boring changes and
        reverts to an earlier text. ``check``, when given, is recorded in the same write (one
        fsynced commit per check instead of two). A ``fetched_at`` older than the latest
        version is placed in time order, as ``insert_versions`` does.
        """
        fetched_at = fetched_at or utcnow()
        text = text.normalized()
        with self.locked():
            self._sync()
            data = self._read_shard(article_id)
            docs = _version_docs(data)
            placed = _place(docs, text, text.hash_as_is(), fetched_at)
            if placed is not None:
                _set_versions(data, docs)
            if check is not None:
                _meta_of(data)["check"] = _check_to_doc(check)
            if placed is None and check is None:
                return None
            self._commit(article_id, data)
        self._maybe_compact()
        return _version_from_doc(placed) if placed is not None else None

    def insert_versions(
        self,
        article_id: str,
        seen: Iterable[SeenText],
        *,
        backfill: BackfillState | None = None,
        normalized: bool = False,
    ) -> list[Version | None]:
        """Place texts seen at known times (archive captures, imports) in the history, in one
        write; returns, for each, the version it became (numbered as stored) or None.

        Each text goes where its time puts it, possibly before version 0; versions after it
        are renumbered and the boring and revert marks of its neighbours recomputed. A text
        equal (once normalised) to the version just before or just after it in time adds
        nothing and is not stored; nor is one whose origin and ``origin_ref`` are stored
        already (adding the same capture or imported version twice stores it once).
        ``backfill``, when given, is saved in the same write. Nothing is written when nothing
        changes. ``normalized``: the caller has normalised every text already (an importer
        does, to find empty ones), so it is not done twice.
        """
        items = [(item, item.text if normalized else item.text.normalized()) for item in seen]
        with self.locked():
            self._sync()
            data = self._read_shard(article_id)
            docs = _version_docs(data)
            known = {(d.get("origin") or "live", d.get("origin_ref")) for d in docs}
            placed: list[dict[str, Any] | None] = []
            for item, text in items:
                doc = None
                if item.origin_ref is None or (item.origin, item.origin_ref) not in known:
                    doc = _place(docs, text, text.hash_as_is(), item.seen_at, item)
                    known.add((item.origin, item.origin_ref))
                placed.append(doc)
            meta = _meta_of(data)
            state = _backfill_to_doc(backfill) if backfill is not None else None
            if state is not None and state != meta.get("backfill"):
                meta["backfill"] = state
            elif not any(placed):
                return [None] * len(placed)
            _set_versions(data, docs)
            self._commit(article_id, data)
        self._maybe_compact()
        return [_version_from_doc(doc) if doc is not None else None for doc in placed]

    def backfill_state(self, article_id: str) -> BackfillState:
        """What earlier backfills from the Wayback Machine recorded for the article."""
        return _backfill_from_doc(_meta_of(self._read_shard(article_id)).get("backfill"))

    def record_check(self, article_id: str, check: CheckState) -> Article:
        """Save what a check found (success or failure); versions are never touched."""
        with self.locked():
            self._sync()
            data = self._read_shard(article_id)
            _meta_of(data)["check"] = _check_to_doc(check)
            doc = self._commit(article_id, data)
        self._maybe_compact()
        return self._article_of(doc)

    def delete_article(self, article_id: str) -> None:
        """Stop tracking an article and remove its shard."""
        with self.locked():
            self._sync()
            path = self.shard_path(article_id)
            if not path.exists() and article_id not in self._journal.docs:
                raise NotFoundError(f"no article with id {article_id} in {self.root}")
            self._append([{"intent": article_id}])
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            self._append([{"del": article_id}], durable=False)

    def _commit(self, article_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Write a shard and record it in the index: intent, shard, then the new entry.

        The intent is fsynced before the shard is replaced, so if this process dies before the
        entry is journaled, the next writer or reader sees the intent and re-reads the shard.
        In a ``batch`` the write waits for the end of the block.
        """
        batch = getattr(self._held, "batch", None)
        if batch is not None:
            doc = self._doc_from_data(data)
            batch[article_id] = (data, doc)
            return doc
        self._append([{"intent": article_id}])
        write_json_file(self.shard_path(article_id), data)
        doc = self._doc_from_data(data)
        self._append([{"put": doc}], durable=False)  # the intent already makes it recoverable
        return doc

    # ----- derivation ------------------------------------------------------------------
    def _doc_from_shard(self, path: Path) -> dict[str, Any]:
        """The index document derived from the shard at ``path``, which must exist and be valid."""
        data = AtomicJSONStorage(path).read()
        if data is None:
            raise NotFoundError(f"missing shard {path}")
        check_shard(data, path, path.stem)
        return self._doc_from_data(data)

    @staticmethod
    def _doc_from_data(data: dict[str, Any]) -> dict[str, Any]:
        """The index document derived from a shard's content.

        Null and zero fields are left out: the index is read whole on every open, so its size
        is the time to open.
        """
        meta = _meta_of(data)
        doc = {k: v for k, v in meta.items() if v is not None and k not in _NOT_INDEXED}
        check = {k: v for k, v in (meta.get("check") or {}).items() if v is not None and v != 0}
        if check:
            doc["check"] = check
        versions = sorted((data.get("versions") or {}).values(), key=lambda d: d["number"])
        doc["versions"] = len(versions)
        doc["title"] = versions[-1]["title"] if versions else meta.get("title", "")
        if versions:
            doc["last_changed"] = versions[-1]["fetched_at"]
            doc["words"] = sum(len(p.split()) for p in versions[-1].get("paragraphs") or ())
        for origin, key in (("wayback", "archived"), ("import", "imported")):
            count = sum(1 for v in versions if v.get("origin") == origin)
            if count:
                doc[key] = count
        return doc

    def db(self, article_id: str) -> TinyDB:
        """The article's shard as a TinyDB (atomic storage), for ad-hoc queries."""
        return TinyDB(self.shard_path(article_id), storage=AtomicJSONStorage)

    def _scan_shards(self) -> tuple[dict[str, dict[str, Any]], list[str], int]:
        """Index documents derived from every readable shard, the problems found, files read."""
        docs: dict[str, dict[str, Any]] = {}
        problems: list[str] = []
        count = 0
        for path in self.shard_paths():
            count += 1
            try:
                doc = self._doc_from_shard(path)
            except CacheError as exc:
                problems.append(str(exc))
                continue
            if path.parent.name != doc["id"][:2]:
                problems.append(f"shard is in the wrong directory: {path}")
                continue
            docs[doc["id"]] = doc
        return docs, problems, count

    def _drift(self, shard_docs: dict[str, dict[str, Any]]) -> list[str]:
        """How the index differs from what the shards say, one line per article."""
        index = self._journal.docs
        drift = []
        for article_id, doc in shard_docs.items():
            if article_id not in index:
                drift.append(f"article {article_id} is missing from the index")
            elif index[article_id] != doc:
                drift.append(f"index entry of {article_id} is stale")
        for gone in sorted(set(index) - set(shard_docs)):
            if not self.shard_path(gone).exists():
                drift.append(f"index lists {gone} but its shard is missing")
        return drift

    def _leftover_temp_files(self) -> list[Path]:
        """Temp files left by writers killed mid-write, for ``doctor`` to remove."""
        found = list(self.root.glob(".*.tmp"))
        base = self.root / "articles"
        if base.is_dir():
            found += base.glob("*/.*.tmp")
        return sorted(found)

    def doctor(self, *, rebuild_index: bool = False) -> DoctorReport:
        """Check every file; with ``rebuild_index`` rebuild the index from the shards.

        Corrupt files are reported by path and kept: a corrupt shard stays where it is, a
        corrupt index file is renamed aside (``index.json.corrupt-<time>``) before a rebuild.
        Temp files left by killed writers are removed (under the lock, so none is in use).
        """
        report = DoctorReport(checked_files=1)  # meta.json, checked when the store opened
        shard_docs, problems, count = self._scan_shards()
        report.checked_files += count
        report.problems += problems
        report.checked_files += self.index_path.exists() + self.log_path.exists()
        self.refresh()
        if self._index_error is not None:
            report.problems.append(str(self._index_error))
        else:
            drift = self._drift(shard_docs)
            if drift:
                # Maybe a writer was mid-way while we scanned: look again under the lock.
                with contextlib.suppress(CacheError), self.locked():
                    self._sync()
                    shard_docs, _, _ = self._scan_shards()
                    drift = self._drift(shard_docs)
            report.problems += [f"{line} ({self.index_path})" for line in drift]
        leftovers = self._leftover_temp_files()
        if leftovers:
            with contextlib.suppress(CacheError), self.locked():
                for path in self._leftover_temp_files():
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                report.repaired.append(
                    f"removed {len(leftovers)} temp file(s) left by interrupted writes"
                )
        if rebuild_index:
            report.repaired += self.rebuild_index()
        return report

    def rebuild_index(self) -> list[str]:
        """Rebuild the index from the shards; corrupt index files are kept aside, not overwritten.

        Returns what was done, one line each.
        """
        done = []
        with self.locked():
            shard_docs, _, _ = self._scan_shards()
            for path, _problem in self._journal.corrupt_files():
                aside = path.with_name(f"{path.name}.corrupt-{utcnow():%Y%m%dT%H%M%S%f}")
                try:
                    path.rename(aside)
                except OSError as exc:
                    raise CacheError(
                        f"cannot move the corrupt {path} aside: {exc.strerror}"
                    ) from None
                done.append(f"kept the corrupt {path.name} as {aside}")
            self._compact(shard_docs)
            self._index_error = None
            self._wrote = True
        done.append(f"rebuilt {self.index_path} from {len(shard_docs)} shards")
        return done


def read_latest_version(path: Path) -> Version | None:
    """The latest version in the shard at ``path`` (None: no shard or no version yet).

    For a process with no ``Store`` open, such as an extraction worker comparing a new text
    with the stored one; ``CacheError`` naming the file if it is damaged.
    """
    data = AtomicJSONStorage(path).read()
    if data is None:
        return None
    check_shard(data, path)
    docs = (data.get("versions") or {}).values()
    return _version_from_doc(max(docs, key=lambda d: d["number"])) if docs else None


def _meta_of(data: dict[str, Any]) -> dict[str, Any]:
    """The article document of shard ``data`` (the one document of its ``article`` table)."""
    table = data.get("article") or {}
    if not table:
        raise CacheError("shard has no article document")
    return next(iter(table.values()))


# Article document fields kept in the shard only: the index stays small (read on every open).
_NOT_INDEXED = ("check", "backfill")


# A version document's mark that the tracker it was imported from called it boring
# (``SeenText.boring``): its ``boring`` stays set whatever versions land next to it.
SOURCE_BORING = "source_boring"


def _version_docs(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A shard's version documents in number order (= the order their texts were seen)."""
    return sorted((data.get("versions") or {}).values(), key=lambda d: d["number"])


def _set_versions(data: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    """Store ``docs`` (in time order) as the shard's versions, numbered 0..n-1.

    Each version's ``revert_of`` is the latest earlier version with the same text: numbers
    shift when a version is inserted, and an insert can become what a later text returns to.
    """
    latest: dict[str, int] = {}
    for number, doc in enumerate(docs):
        doc["number"] = number
        doc["revert_of"] = latest.get(doc["text_hash"])
        latest[doc["text_hash"]] = number
    data["versions"] = {str(number + 1): doc for number, doc in enumerate(docs)}


def _place(
    docs: list[dict[str, Any]],
    text: ArticleText,
    text_hash: str,
    seen_at: datetime,
    seen: SeenText | None = None,
) -> dict[str, Any] | None:
    """Insert a version document for ``text`` (normalised) into ``docs`` by time; the new
    document, or None when the version seen just before or just after has the same text.

    Marks the new version boring against the one before it, and the one after it against the
    new one (its old predecessor is no longer next to it). Numbers and reverts are set by
    ``_set_versions``. ``seen`` gives the origin (default: a live fetch).
    """
    position = len(docs)
    while position and _ts(docs[position - 1]["fetched_at"]) > seen_at:  # type: ignore[operator]
        position -= 1
    before = docs[position - 1] if position else None
    after = docs[position] if position < len(docs) else None
    if any(d is not None and d["text_hash"] == text_hash for d in (before, after)):
        return None
    version = Version(
        number=position,
        text=text,
        fetched_at=seen_at,
        text_hash=text_hash,
        boring=(seen is not None and seen.boring)
        or (before is not None and _is_boring(_version_from_doc(before).text, text)),
        origin=seen.origin if seen else "live",
        origin_ref=seen.origin_ref if seen else None,
        origin_url=seen.origin_url if seen else None,
    )
    doc = _version_to_doc(version)
    if seen is not None and seen.boring:
        doc[SOURCE_BORING] = True
    docs.insert(position, doc)
    if after is not None:
        after["boring"] = bool(after.get(SOURCE_BORING)) or _is_boring(
            text, _version_from_doc(after).text
        )
    return doc


def _doc_order(doc: dict[str, Any]) -> tuple[str, str]:
    """Sort key for "most recently changed first" (use with ``reverse=True``), ties by id."""
    return (doc.get("last_changed") or doc.get("first_seen") or "", doc["id"])


def _is_boring(old: ArticleText, new: ArticleText) -> bool:
    """Whether ``old`` -> ``new`` changes only whitespace, typographic variants or punctuation.

    Boring keys are computed only where the (normalised) texts differ: normalising is most of
    the cost of an add.
    """
    before = (old.title, old.byline or "", *old.paragraphs)
    after = (new.title, new.byline or "", *new.paragraphs)
    return len(before) == len(after) and all(
        a == b or boring_key(a) == boring_key(b) for a, b in zip(before, after, strict=True)
    )


# ----- migrations -----------------------------------------------------------------------------
def _migrate_to_time_order(root: Path) -> None:
    """Schema 1 -> 2: versions carry their origin, and are numbered in the order seen.

    Schema 1 versions have no origin: they read as live fetches, so their shards stay as they
    are. But a schema 1 ``import`` appended an older history after the versions already
    stored; those shards are put in time order (a text then equal to the one before it is
    dropped: its twin keeps it) and re-derived by the index through a journal intent, the
    way an interrupted write is. Each shard rewritten is first copied, as it was, to
    ``<id>.json.schema1`` beside it, so nothing the old layout held is lost. Corrupt shards are
    left for ``doctor`` to report.
    """
    journal = IndexJournal(root / "index.json", root / "index.log", order=_doc_order)
    try:
        journal.load()
        journal_ok = journal.snapshot_exists
    except CacheError:
        journal_ok = False  # the index will be rebuilt from the shards anyway
    base = root / "articles"
    for path in sorted(base.glob("*/*.json")) if base.is_dir() else ():
        try:
            data = AtomicJSONStorage(path).read()
            if data is None:
                continue
            check_shard(data, path, path.stem)
        except CacheError:
            continue
        docs = _version_docs(data)
        times = [_ts(d["fetched_at"]) for d in docs]
        if all(a <= b for a, b in itertools.pairwise(times)):  # type: ignore[operator]
            continue
        ordered: list[dict[str, Any]] = []
        for doc in sorted(docs, key=lambda d: (_ts(d["fetched_at"]), d["number"])):
            version = _version_from_doc(doc)
            _place(ordered, version.text, version.text_hash, version.fetched_at)
        atomic_write_bytes(path.with_name(path.name + ".schema1"), path.read_bytes())
        _set_versions(data, ordered)
        if journal_ok:
            journal.append([{"intent": path.stem}])
        atomic_write_json(path, data)


MIGRATIONS[1] = _migrate_to_time_order
