"""The TinyDB cache: one shard per article (the truth) and a derived index of all articles.

Layout under the cache root (see DESIGN.md, "The cache"):

- ``meta.json``: the schema version of the cache.
- ``articles/<2-char prefix>/<article id>.json``: a TinyDB file per article with two tables,
  ``article`` (one document: url, source, first seen, check state) and ``versions``.
- ``index.json``: a TinyDB file with one small document per article, derived from the shards,
  written in batches and rebuildable by ``doctor``.
- ``.lock``: taken (``flock``) around every write so several processes can write safely.

Every file is written through ``AtomicJSONStorage``: temp file, fsync, ``os.replace``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tinydb import TinyDB
from tinydb.storages import Storage

from newsdiff_tui.errors import AmbiguousError, CacheError, NotFoundError
from newsdiff_tui.model import Article, ArticleText, CheckState, Version
from newsdiff_tui.textnorm import boring_key
from newsdiff_tui.timeutil import from_iso, to_iso, utcnow

SCHEMA_VERSION = 1
APP_NAME = "newsdiff-tui"
INDEX_FLUSH_EVERY = 500  # dirty index entries held in memory before the index is rewritten


def default_root(db: str | os.PathLike[str] | None = None) -> Path:
    """Where the cache lives: ``--db``, else ``$NEWSDIFF_HOME``, else the user data dir."""
    if db:
        return Path(db).expanduser()
    env = os.environ.get("NEWSDIFF_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def article_id_for(url: str) -> str:
    """A stable id for a URL: 16 hex characters of its SHA-256."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


def source_for(url: str) -> str:
    """A short source name from a URL's host: ``www.nytimes.com`` -> ``nytimes``."""
    host = (urlsplit(url).hostname or "").lower()
    parts = [p for p in host.split(".") if p not in {"www", "m", "amp", "edition", "mobile"}]
    if len(parts) >= 3 and parts[-2] in {"co", "com", "org", "net", "gov", "ac"}:
        return parts[-3]
    if len(parts) >= 2:
        return parts[-2]
    return parts[0] if parts else "unknown"


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file: temp file, fsync, ``os.replace``.

    A file that exists but does not parse raises ``CacheError`` naming it; it is never
    overwritten, so a user can inspect or restore it.
    """

    def __init__(self, path: str | os.PathLike[str], create_dirs: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self._create_dirs = create_dirs

    def read(self) -> dict[str, Any] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            raise CacheError(f"cache file is empty: {self.path}")
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CacheError(f"cache file is corrupt ({exc}): {self.path}") from exc
        if not isinstance(data, dict):
            raise CacheError(f"cache file is not a TinyDB document: {self.path}")
        return data

    def write(self, data: dict[str, Any]) -> None:
        atomic_write_json(self.path, data, create_dirs=self._create_dirs)


def atomic_write_json(path: Path, data: Any, *, create_dirs: bool = True) -> None:
    """Write JSON so that readers see the old file or the new one, never a mix."""
    if create_dirs:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _version_to_doc(version: Version) -> dict[str, Any]:
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
    }


def _version_from_doc(doc: dict[str, Any]) -> Version:
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
    )


def _check_to_doc(check: CheckState) -> dict[str, Any]:
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


def _check_from_doc(doc: dict[str, Any] | None) -> CheckState:
    doc = doc or {}
    return CheckState(
        last_checked=from_iso(doc.get("last_checked")),
        last_error=doc.get("last_error"),
        failures=int(doc.get("failures") or 0),
        etag=doc.get("etag"),
        last_modified=doc.get("last_modified"),
        body_hash=doc.get("body_hash"),
        final_url=doc.get("final_url"),
        checks=int(doc.get("checks") or 0),
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
        "check": _check_to_doc(article.check),
    }


def article_from_doc(doc: dict[str, Any]) -> Article:
    return Article(
        id=doc["id"],
        url=doc["url"],
        source=doc.get("source") or source_for(doc["url"]),
        title=doc.get("title") or "",
        first_seen=from_iso(doc["first_seen"]),  # type: ignore[arg-type]
        last_changed=from_iso(doc.get("last_changed")),
        version_count=int(doc.get("versions") or 0),
        feed_url=doc.get("feed_url"),
        check=_check_from_doc(doc.get("check")),
    )


@dataclass
class DoctorReport:
    """What ``Store.doctor`` found: problems by path, and what it repaired."""

    checked_files: int = 0
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


class Store:
    """The cache at ``root``. Cheap to open: only ``meta.json`` and the index are read.

    Writers take the cross-process lock per operation, so a TUI and a cron ``fetch`` can share
    one cache. Call ``flush()`` (or use the store as a context manager) to write the index.
    """

    def __init__(self, root: str | os.PathLike[str], *, create: bool = True) -> None:
        self.root = Path(root)
        self._create = create
        self._check_schema()
        self._index: dict[str, dict[str, Any]] = {}
        self._dirty = 0
        self._deleted: set[str] = set()
        self._index_mtime: float | None = None
        self._load_index()

    # ----- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Write pending index changes."""
        self.flush()

    def _check_schema(self) -> None:
        meta_path = self.root / "meta.json"
        meta = AtomicJSONStorage(meta_path).read()
        if meta is None:
            if not self._create:
                raise CacheError(f"no cache at {self.root}")
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                with self.locked():
                    if AtomicJSONStorage(meta_path).read() is None:
                        atomic_write_json(meta_path, {"schema": SCHEMA_VERSION})
            except PermissionError as exc:
                raise CacheError(f"cannot write the cache directory {self.root}: {exc}") from exc
            return
        schema = meta.get("schema")
        if not isinstance(schema, int):
            raise CacheError(f"cache file has no schema version: {meta_path}")
        if schema > SCHEMA_VERSION:
            raise CacheError(
                f"the cache at {self.root} has schema {schema}, newer than this newsdiff-tui "
                f"understands ({SCHEMA_VERSION}); upgrade newsdiff-tui to use it"
            )

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cache's writer lock (an ``flock`` on ``.lock``) for the duration."""
        try:
            handle = open(self.root / ".lock", "a+")  # noqa: SIM115
        except PermissionError as exc:
            raise CacheError(f"cannot write the cache directory {self.root}: {exc}") from exc
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    # ----- paths -----------------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        return self.root / "index.json"

    def shard_path(self, article_id: str) -> Path:
        return self.root / "articles" / article_id[:2] / f"{article_id}.json"

    def shard_paths(self) -> Iterator[Path]:
        base = self.root / "articles"
        if base.is_dir():
            yield from sorted(base.glob("*/*.json"))

    # ----- the index -------------------------------------------------------------------
    def _load_index(self) -> None:
        data = AtomicJSONStorage(self.index_path).read() or {}
        table = data.get("articles") or {}
        self._index = {doc["id"]: doc for doc in table.values() if "id" in doc}
        with contextlib.suppress(FileNotFoundError):
            self._index_mtime = self.index_path.stat().st_mtime

    def refresh(self) -> bool:
        """Reload the index if another process rewrote it; True when it changed."""
        try:
            mtime = self.index_path.stat().st_mtime
        except FileNotFoundError:
            return False
        if mtime == self._index_mtime or self._dirty:
            return False
        self._load_index()
        return True

    def flush(self) -> None:
        """Write the index if entries changed since the last write."""
        if not self._dirty:
            return
        with self.locked():
            self._write_index()

    def _write_index(self) -> None:
        # Another process may have added articles: merge its index under the lock.
        on_disk = AtomicJSONStorage(self.index_path).read() or {}
        merged = {doc["id"]: doc for doc in (on_disk.get("articles") or {}).values()}
        merged.update(self._index)
        for gone in self._deleted:
            merged.pop(gone, None)
        self._index = merged
        table = {
            str(n): doc
            for n, doc in enumerate(sorted(merged.values(), key=_doc_order, reverse=True), 1)
        }
        atomic_write_json(self.index_path, {"articles": table})
        self._dirty = 0
        self._deleted.clear()
        self._index_mtime = self.index_path.stat().st_mtime

    def _touch_index(self, doc: dict[str, Any]) -> None:
        self._index[doc["id"]] = doc
        self._dirty += 1
        if self._dirty >= INDEX_FLUSH_EVERY:
            self._write_index()

    # ----- reading ---------------------------------------------------------------------
    def articles(self) -> list[Article]:
        """Every tracked article, most recently changed first."""
        docs = sorted(self._index.values(), key=_doc_order, reverse=True)
        return [article_from_doc(doc) for doc in docs]

    def __len__(self) -> int:
        return len(self._index)

    def article(self, article_id: str) -> Article:
        doc = self._index.get(article_id)
        if doc is None:
            path = self.shard_path(article_id)
            if not path.exists():
                raise NotFoundError(f"no article with id {article_id} in {self.root}")
            doc = self._doc_from_shard(path)
        return article_from_doc(doc)

    def search(self, term: str) -> list[Article]:
        """Articles whose title, source, URL or id contains ``term`` (case-insensitive)."""
        needle = term.casefold()
        hits = [
            doc
            for doc in self._index.values()
            if needle in doc["id"]
            or needle in doc["url"].casefold()
            or needle in (doc.get("title") or "").casefold()
            or needle in (doc.get("source") or "").casefold()
        ]
        return [article_from_doc(doc) for doc in sorted(hits, key=_doc_order, reverse=True)]

    def resolve(self, ref: str) -> Article:
        """An article named by id, URL or a search term that matches exactly one article."""
        ref = ref.strip()
        if ref in self._index:
            return self.article(ref)
        by_url = article_id_for(ref)
        if by_url in self._index:
            return self.article(by_url)
        hits = self.search(ref)
        if not hits:
            raise NotFoundError(f"no article matches {ref!r} in {self.root}")
        if len(hits) > 1:
            raise AmbiguousError(f"{len(hits)} articles match {ref!r}; name one by id", hits)
        return hits[0]

    def _read_shard(self, article_id: str) -> dict[str, Any]:
        path = self.shard_path(article_id)
        data = AtomicJSONStorage(path).read()
        if data is None:
            raise NotFoundError(f"no article with id {article_id} in {self.root}")
        return data

    def versions(self, article_id: str) -> list[Version]:
        """All stored versions of an article, oldest first (read from its shard)."""
        data = self._read_shard(article_id)
        docs = (data.get("versions") or {}).values()
        return sorted((_version_from_doc(d) for d in docs), key=lambda v: v.number)

    def version(self, article_id: str, number: int) -> Version:
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
            path = self.shard_path(article_id)
            if path.exists():
                doc = self._doc_from_shard(path)
            else:
                meta = {
                    "id": article_id,
                    "url": url,
                    "source": source or source_for(url),
                    "first_seen": to_iso(first_seen or utcnow()),
                    "feed_url": feed_url,
                    "check": _check_to_doc(CheckState()),
                }
                self._write_shard(article_id, {"article": {"1": meta}, "versions": {}})
                doc = self._doc_from_shard(path)
            self._touch_index(doc)
        return article_from_doc(doc)

    def add_version(
        self, article_id: str, text: ArticleText, fetched_at: datetime | None = None
    ) -> Version | None:
        """Store ``text`` as a new version unless its normalised text equals the latest.

        Returns the new version, or None when nothing changed. Marks boring changes and
        reverts to an earlier text.
        """
        fetched_at = fetched_at or utcnow()
        text = text.normalized()
        text_hash = text.content_hash()
        with self.locked():
            data = self._read_shard(article_id)
            table: dict[str, Any] = data.setdefault("versions", {})
            docs = sorted(table.values(), key=lambda d: d["number"])
            if docs and docs[-1]["text_hash"] == text_hash:
                return None
            revert_of = next(
                (d["number"] for d in reversed(docs) if d["text_hash"] == text_hash), None
            )
            boring = bool(docs) and _boring_signature(_version_from_doc(docs[-1]).text) == (
                _boring_signature(text)
            )
            version = Version(
                number=len(docs),
                text=text,
                fetched_at=fetched_at,
                text_hash=text_hash,
                boring=boring,
                revert_of=revert_of,
            )
            table[str(len(docs) + 1)] = _version_to_doc(version)
            self._write_shard(article_id, data)
            self._touch_index(self._doc_from_data(data))
        return version

    def record_check(self, article_id: str, check: CheckState) -> Article:
        """Save what a check found (success or failure); versions are never touched."""
        with self.locked():
            data = self._read_shard(article_id)
            meta = _meta_of(data)
            meta["check"] = _check_to_doc(check)
            self._write_shard(article_id, data)
            doc = self._doc_from_data(data)
            self._touch_index(doc)
        return article_from_doc(doc)

    def delete_article(self, article_id: str) -> None:
        """Stop tracking an article and remove its shard."""
        with self.locked():
            path = self.shard_path(article_id)
            if not path.exists() and article_id not in self._index:
                raise NotFoundError(f"no article with id {article_id} in {self.root}")
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            self._index.pop(article_id, None)
            self._deleted.add(article_id)
            self._dirty += 1
            self._write_index()

    def _write_shard(self, article_id: str, data: dict[str, Any]) -> None:
        try:
            AtomicJSONStorage(self.shard_path(article_id)).write(data)
        except PermissionError as exc:
            raise CacheError(f"cannot write the cache directory {self.root}: {exc}") from exc

    # ----- derivation ------------------------------------------------------------------
    def _doc_from_shard(self, path: Path) -> dict[str, Any]:
        data = AtomicJSONStorage(path).read()
        if data is None:
            raise NotFoundError(f"missing shard {path}")
        return self._doc_from_data(data)

    @staticmethod
    def _doc_from_data(data: dict[str, Any]) -> dict[str, Any]:
        """The index document derived from a shard's content."""
        meta = dict(_meta_of(data))
        versions = sorted((data.get("versions") or {}).values(), key=lambda d: d["number"])
        meta["versions"] = len(versions)
        meta["title"] = versions[-1]["title"] if versions else meta.get("title", "")
        meta["last_changed"] = versions[-1]["fetched_at"] if versions else None
        return meta

    def db(self, article_id: str) -> TinyDB:
        """The article's shard as a TinyDB (atomic storage), for ad-hoc queries."""
        return TinyDB(self.shard_path(article_id), storage=AtomicJSONStorage)

    def doctor(self, *, rebuild_index: bool = False) -> DoctorReport:
        """Check every file; with ``rebuild_index`` rebuild the index from the shards.

        Corrupt shards are reported by path and left in place.
        """
        report = DoctorReport()
        rebuilt: dict[str, dict[str, Any]] = {}
        for path in self.shard_paths():
            report.checked_files += 1
            try:
                doc = self._doc_from_shard(path)
            except CacheError as exc:
                report.problems.append(str(exc))
                continue
            rebuilt[doc["id"]] = doc
            if doc["id"] not in self._index:
                report.problems.append(f"article {doc['id']} is missing from the index: {path}")
            elif self._index[doc["id"]] != doc:
                report.problems.append(f"index entry of {doc['id']} is stale: {path}")
        for gone in set(self._index) - set(rebuilt):
            report.problems.append(f"index lists {gone} but its shard is missing")
        report.checked_files += 1
        if rebuild_index:
            with self.locked():
                self._index = rebuilt
                self._deleted = set()
                table = {
                    str(n): doc
                    for n, doc in enumerate(
                        sorted(rebuilt.values(), key=_doc_order, reverse=True), 1
                    )
                }
                atomic_write_json(self.index_path, {"articles": table})
                self._dirty = 0
            report.repaired.append(f"rebuilt {self.index_path} from {len(rebuilt)} shards")
        return report


def _meta_of(data: dict[str, Any]) -> dict[str, Any]:
    table = data.get("article") or {}
    if not table:
        raise CacheError("shard has no article document")
    return next(iter(table.values()))


def _doc_order(doc: dict[str, Any]) -> tuple[str, str]:
    """Sort key for "most recently changed first" (use with ``reverse=True``), ties by id."""
    return (doc.get("last_changed") or doc.get("first_seen") or "", doc["id"])


def _boring_signature(text: ArticleText) -> tuple[str, ...]:
    return (
        boring_key(text.title),
        boring_key(text.byline or ""),
        *map(boring_key, text.paragraphs),
    )


def parse_timestamp(value: str) -> datetime:
    """Parse a timestamp from an import file, with a clear error."""
    moment = from_iso(value)
    if moment is None:
        raise ValueError("missing timestamp")
    return moment
