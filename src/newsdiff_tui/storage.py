"""File primitives of the cache: atomic JSON writes, strict reads, file locks and the index
journal.

Nothing here knows about articles: ``store.py`` decides what the documents mean. Every write is
atomic (temp file, fsync, ``os.replace``) or an append of whole lines to the journal, so a
process killed at any instant leaves files that read back as before or after its write.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import functools
import json
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from newsdiff_tui.errors import CacheError
from newsdiff_tui.timeutil import to_iso, utcnow

_DUMP = {"ensure_ascii": False, "separators": (",", ":")}


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(
    path: Path, payload: bytes, *, create_dirs: bool = True, durable: bool = True
) -> None:
    """Write ``payload`` so that readers see the old file or the new one, never a mix.

    ``durable=False`` skips the fsyncs: only for bulk builds that can simply be redone.
    """
    if create_dirs:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def atomic_write_json(
    path: Path, data: Any, *, create_dirs: bool = True, durable: bool = True
) -> None:
    """Write ``data`` as compact JSON, atomically (see ``atomic_write_bytes``)."""
    payload = json.dumps(data, **_DUMP).encode("utf-8")
    atomic_write_bytes(Path(path), payload, create_dirs=create_dirs, durable=durable)


def write_json_file(
    path: Path, data: Any, *, create_dirs: bool = True, durable: bool = True
) -> None:
    """``atomic_write_json`` for a cache file: ``CacheError`` naming it if it cannot be written
    (a full disk, a read-only directory), the counterpart of ``read_json_file``."""
    try:
        atomic_write_json(path, data, create_dirs=create_dirs, durable=durable)
    except OSError as exc:
        raise CacheError(f"cannot write {path}: {exc.strerror or exc}") from None


_SYNC_THREADS = 8
_sync_pool: ThreadPoolExecutor | None = None
_sync_pool_lock = threading.Lock()


def _fsync_all(calls: Sequence[Callable[[], None]]) -> None:
    """Run fsync calls at once in a few threads: a file system commits fsyncs that arrive
    together in one flush, where one after another each waits for its own."""
    global _sync_pool
    if len(calls) <= 1:
        for call in calls:
            call()
        return
    with _sync_pool_lock:
        if _sync_pool is None:
            _sync_pool = ThreadPoolExecutor(_SYNC_THREADS, thread_name_prefix="newsdiff-fsync")
        pool = _sync_pool
    futures = [pool.submit(call) for call in calls]
    concurrent.futures.wait(futures)  # all finished before any error is raised
    for future in futures:
        future.result()


def _fsync_path(path: Path) -> None:
    """Flush the file (or directory) at ``path`` to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_json_many(
    items: Sequence[tuple[Path, Any]], *, sync_first: Sequence[Path] = ()
) -> None:
    """Write several JSON files, each atomically, and make them all durable together.

    Like ``atomic_write_json`` for each file (readers see a file old or new, never a mix),
    but the temp files are fsynced together (with the files in ``sync_first``, which are thus
    durable before any file is replaced: a journal's intents), then renamed, then each
    directory is fsynced once: a batch costs two rounds of disk flushes, however many files
    it holds. Durable when it returns; killed midway, every file is old or new. Temp files
    are removed on error.
    """
    staged: list[tuple[str, Path]] = []
    try:
        handles = []
        try:
            for path, data in items:
                path = Path(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                handle = os.fdopen(fd, "wb")
                handles.append(handle)
                staged.append((tmp, path))
                handle.write(json.dumps(data, **_DUMP).encode("utf-8"))
                handle.flush()
            _fsync_all(
                [functools.partial(_fsync_path, Path(p)) for p in sync_first]
                + [functools.partial(os.fsync, h.fileno()) for h in handles]
            )
        finally:
            for handle in handles:
                handle.close()
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _path in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    directories = sorted({path.parent for _tmp, path in staged})
    _fsync_all([functools.partial(_fsync_dir, d) for d in directories])


def lock_file(path: Path) -> int:
    """Open ``path`` (created if missing) and wait for an exclusive ``flock`` on it; returns
    the descriptor, whose closing releases the lock (as the process's end does, however it
    ends). ``OSError`` when the file cannot be opened or locked."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def try_lock_file(path: Path) -> int | None:
    """``lock_file`` without waiting or creating: None when another holder has the lock;
    ``OSError`` when the file does not exist or cannot be opened."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, BlockingIOError):
            return None
        raise
    return fd


def decode_json(raw: bytes) -> Any:
    """Parse JSON bytes; ``ValueError`` with a short reason (empty, not UTF-8, where it breaks)."""
    if not raw.strip():
        raise ValueError("the file is empty")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"bad JSON at line {exc.lineno} column {exc.colno}") from None


def read_json_file(path: Path) -> Any:
    """Parse a cache file; None if it does not exist, ``CacheError`` naming it if unreadable."""
    try:
        raw = Path(path).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise CacheError(f"cache file is a directory: {path}") from None
    except OSError as exc:
        raise CacheError(f"cannot read cache file ({exc.strerror}): {path}") from None
    try:
        return decode_json(raw)
    except ValueError as exc:
        raise CacheError(f"cache file is corrupt ({exc}): {path}") from None


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file: temp file, fsync, ``os.replace``.

    A file that exists but does not parse raises ``CacheError`` naming it; it is never
    overwritten, so a user can inspect or restore it. A write that fails is a ``CacheError``
    too, and leaves the file as it was.
    """

    def __init__(
        self, path: str | os.PathLike[str], create_dirs: bool = True, durable: bool = True
    ) -> None:
        """Storage in the file at ``path``; ``durable=False`` skips the fsyncs."""
        super().__init__()
        self.path = Path(path)
        self._create_dirs = create_dirs
        self._durable = durable

    def read(self) -> dict[str, Any] | None:
        """The file's document, None if there is none; a CacheError if it is not an object."""
        data = read_json_file(self.path)
        if data is not None and not isinstance(data, dict):
            raise CacheError(f"cache file is not a TinyDB document: {self.path}")
        return data

    def write(self, data: dict[str, Any]) -> None:
        """Write ``data`` atomically (and durably unless made with ``durable=False``)."""
        write_json_file(self.path, data, create_dirs=self._create_dirs, durable=self._durable)


def stat_key(path: Path) -> tuple[int, int, int] | None:
    """Identity of a file's current content as far as stat can tell; None if it is missing."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class IndexJournal:
    """The index on disk: a snapshot (``index.json``) plus an append-only journal (``index.log``).

    Why: rewriting a 20,000-article index on every add would make adds cost O(articles). Each
    write appends one JSON line to the journal instead; ``compact`` folds the journal into a new
    snapshot now and then. The journal's first line names the snapshot it continues
    (``{"log": id}``), so a journal left over from a compaction cut short is recognised and
    ignored (its content is in the snapshot already). Records are ``{"put": doc}``,
    ``{"del": id}`` and ``{"intent": id}`` (a writer is about to change that article's shard;
    an intent with no later put/del means the writer died and the shard must be re-read).
    A torn last line (a writer killed mid-append) is ignored and cut off by the next writer.

    Methods that write must be called with the cache's writer lock held.
    """

    def __init__(
        self,
        snapshot_path: Path,
        log_path: Path,
        *,
        order: Callable[[dict[str, Any]], Any] | None = None,
        check: Callable[[list[dict[str, Any]], Path], None] | None = None,
    ) -> None:
        """The index kept in ``snapshot_path`` and ``log_path``; nothing is read before ``load``."""
        self.snapshot_path = snapshot_path
        self.log_path = log_path
        # Snapshots are written in descending ``order``, so the reader's sort is nearly free.
        self._order = order or (lambda doc: doc["id"])
        # Called on the documents read (the snapshot's all at once, then each journal entry, with
        # the file): raises CacheError for one of the wrong shape, so none reaches ``docs``.
        self._check = check or (lambda docs, path: None)
        self.docs: dict[str, dict[str, Any]] = {}
        self.pending: set[str] = set()  # ids with an intent and no outcome yet
        self.generation = 0  # bumped whenever ``docs`` changes, for callers' caches
        self.log_stale = False  # the journal on disk does not continue the snapshot
        self.snapshot_exists = False
        self._log_id: str | None = None
        self._snap_key: tuple[int, int, int] | None = None
        self._log_ino: int | None = None
        self._log_pos = 0  # byte offset just after the last complete line applied

    # ----- reading ---------------------------------------------------------------------
    def load(self) -> None:
        """Read the snapshot and replay the journal from scratch."""
        for _ in range(20):
            before = stat_key(self.snapshot_path)
            docs, log_id = self._read_snapshot()
            state = self._read_log_from(0, None)
            if stat_key(self.snapshot_path) == before:
                break
            # A writer compacted while we read: the journal may belong to the new snapshot.
        self.docs = docs
        self._log_id = log_id
        self._snap_key = before
        self.snapshot_exists = before is not None
        self.pending = set()
        ino, pos, header, records = state
        self._log_ino = ino
        if header is None or header != log_id:
            self.log_stale = ino is not None or before is not None
            self._log_pos = pos
        else:
            self.log_stale = False
            self._log_pos = pos
            self._apply(records)
        self.generation += 1

    def catch_up(self) -> bool:
        """Apply what other processes wrote since we last looked; True if anything changed."""
        if stat_key(self.snapshot_path) != self._snap_key:
            self.load()
            return True
        ino, pos, header, records = self._read_log_from(self._log_pos, self._log_ino)
        if ino != self._log_ino or header is not None:
            self.load()  # the journal was replaced: a compaction we did not see whole
            return True
        self._log_pos = pos
        if records and not self.log_stale:
            self._apply(records)
            return True
        return False

    def _read_snapshot(self) -> tuple[dict[str, dict[str, Any]], str | None]:
        """The snapshot's documents by id and the id of the journal it continues."""
        data = read_json_file(self.snapshot_path)
        if data is None:
            return {}, None
        table = data.get("articles") if isinstance(data, dict) else None
        journal = data.get("_journal") if isinstance(data, dict) else None
        if not isinstance(table, dict) or not isinstance(journal, dict | None):
            raise CacheError(f"index file has the wrong shape: {self.snapshot_path}")
        docs: dict[str, dict[str, Any]] = {}
        for doc in table.values():
            if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
                raise CacheError(f"index file has a malformed entry: {self.snapshot_path}")
            docs[doc["id"]] = doc
        self._check(list(docs.values()), self.snapshot_path)
        log_id = None
        if journal:
            header = next(iter(journal.values()))
            log_id = header.get("log") if isinstance(header, dict) else None
        return docs, log_id

    def _read_log_from(
        self, pos: int, expect_ino: int | None
    ) -> tuple[int | None, int, str | None, list[dict[str, Any]]]:
        """Complete records after byte ``pos``: (inode, new pos, header id if read, records)."""
        try:
            handle = open(self.log_path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            return None, 0, None, []
        with handle:
            ino = os.fstat(handle.fileno()).st_ino
            if expect_ino is not None and ino != expect_ino:
                return ino, 0, None, []
            handle.seek(pos)
            chunk = handle.read()
        end = chunk.rfind(b"\n") + 1  # bytes after the last newline are a torn line
        header: str | None = None
        records: list[dict[str, Any]] = []
        for number, line in enumerate(chunk[:end].splitlines()):
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise CacheError(
                    f"index journal is corrupt at byte {pos}: {self.log_path}"
                ) from None
            if not isinstance(record, dict):
                raise CacheError(f"index journal has a malformed record: {self.log_path}")
            if pos == 0 and number == 0 and "log" in record:
                header = record["log"]
            else:
                records.append(record)
            pos += len(line) + 1
        return ino, pos, header, records

    def corrupt_files(self) -> list[tuple[Path, str]]:
        """The index files that cannot be read, each with the reason (for ``doctor``)."""
        found = []
        try:
            self._read_snapshot()
        except CacheError as exc:
            found.append((self.snapshot_path, str(exc)))
        try:
            _, _, _, records = self._read_log_from(0, None)
            scratch = IndexJournal(self.snapshot_path, self.log_path, check=self._check)
            scratch._apply(records)
        except CacheError as exc:
            found.append((self.log_path, str(exc)))
        return found

    def _apply(self, records: Iterable[dict[str, Any]]) -> None:
        """Apply journal records (put, del, intent) to ``docs``; a CacheError on a malformed one."""
        for record in records:
            if "put" in record:
                doc = record["put"]
                if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
                    raise CacheError(f"index journal has a malformed record: {self.log_path}")
                self._check([doc], self.log_path)
                self.docs[doc["id"]] = doc
                self.pending.discard(doc["id"])
            elif not isinstance(record.get("del", record.get("intent", "")), str):
                raise CacheError(f"index journal has a malformed record: {self.log_path}")
            elif "del" in record:
                self.docs.pop(record["del"], None)
                self.pending.discard(record["del"])
            elif "intent" in record:
                self.pending.add(record["intent"])
            else:
                raise CacheError(f"index journal has an unknown record: {self.log_path}")
        self.generation += 1

    # ----- writing (writer lock held) --------------------------------------------------
    def append(self, records: list[dict[str, Any]], *, durable: bool = True) -> None:
        """Append records to the journal (after ``catch_up``) and apply them in memory."""
        if self.log_stale or not self.snapshot_exists or self._log_ino is None:
            self.compact()
        payload = b"".join(json.dumps(r, **_DUMP).encode("utf-8") + b"\n" for r in records)
        with open(self.log_path, "r+b") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size != self._log_pos:
                # Under the lock no writer is mid-append: the excess is a torn line.
                handle.truncate(self._log_pos)
            handle.seek(self._log_pos)
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        self._log_pos += len(payload)
        self._apply(records)

    def compact(self, docs: dict[str, dict[str, Any]] | None = None) -> None:
        """Write ``docs`` (default: the current index) as a new snapshot and start a new journal.

        Order matters: the snapshot first, then the journal that names it. Killed in between,
        the old journal no longer matches the snapshot and is ignored (its records are in the
        snapshot). Pending intents must have been resolved by the caller.
        """
        if docs is not None:
            self.docs = docs
            self.generation += 1
        log_id = uuid.uuid4().hex
        ordered = sorted(self.docs.values(), key=self._order, reverse=True)
        snapshot = {
            "_journal": {"1": {"log": log_id, "written_at": to_iso(utcnow())}},
            "articles": {str(n): doc for n, doc in enumerate(ordered, 1)},
        }
        atomic_write_json(self.snapshot_path, snapshot)
        header = json.dumps({"log": log_id}, **_DUMP).encode("utf-8") + b"\n"
        atomic_write_bytes(self.log_path, header)
        self._log_id = log_id
        self._snap_key = stat_key(self.snapshot_path)
        self.snapshot_exists = True
        self._log_ino = self.log_path.stat().st_ino
        self._log_pos = len(header)
        self.log_stale = False
        self.pending = set()

    @property
    def log_bytes(self) -> int:
        """Size of the journal we have applied (what a compaction would fold in)."""
        return self._log_pos

    @property
    def snapshot_bytes(self) -> int:
        """Size of the snapshot as last read or written."""
        return self._snap_key[1] if self._snap_key else 0
