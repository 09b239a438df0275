"""Claims on articles by running checks, so overlapping runs never check the same article.

A cron ``fetch``, a manual ``fetch`` and the app's refresh may run at the same time on one
cache. Each run claims the articles it is about to check; articles claimed by another live run
are skipped. State lives in ``<cache>/.runs/``:

- ``claims.json``: ``{"runs": {run id: {"pid", "started"}}, "articles": {article id: run id}}``,
  read and written under the cache's writer lock.
- ``<run id>.lock``: each run holds an ``flock`` on its own file for as long as it runs. A claim
  counts only while its run's file is locked, and the kernel drops the lock when a process
  ends, however it ends (SIGKILL included): no time-outs, no stale claims, no PID reuse.

The files hold nothing a user needs: a malformed ``claims.json`` is treated as empty.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsdiff_tui.errors import CacheError
from newsdiff_tui.storage import lock_file, read_json_file, try_lock_file, write_json_file
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import to_iso, utcnow

__all__ = ["RunClaims"]

RUNS_DIR = ".runs"
CLAIMS_FILE = "claims.json"


class RunClaims:
    """One run's claims. ``claim`` what you will check; ``release`` (or leave the ``with``
    block) when done. Two ``RunClaims`` in one process are two runs (each has its own lock)."""

    def __init__(self, store: Store) -> None:
        """A new run in ``store``'s cache, with a fresh id; nothing is claimed before ``claim``."""
        self.store = store
        self.run_id = uuid.uuid4().hex[:16]
        self.dir = store.root / RUNS_DIR
        self._fd: int | None = None
        self.claimed: set[str] = set()
        # ``release`` waits for a ``claim`` still running in another thread (a run cancelled
        # while claiming), so that no claim outlives its run in a long-lived process.
        self._busy = threading.Lock()

    def __enter__(self) -> RunClaims:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def _path(self) -> Path:
        """The file of every live run's claims, under the cache's ``.runs`` directory."""
        return self.dir / CLAIMS_FILE

    def _lock_path(self, run_id: str) -> Path:
        """The lock file held by run ``run_id`` for as long as it lives."""
        return self.dir / f"{run_id}.lock"

    def claim(self, article_ids: Iterable[str]) -> tuple[set[str], dict[str, str]]:
        """Claim every article no other live run holds.

        Returns the ids now ours, and for the others who holds them ("pid 1234").
        """
        wanted = list(article_ids)
        with self._busy, self.store.locked():
            if self._fd is None:
                # Under the writer lock, so no other run judges our file before we hold it.
                try:
                    self.dir.mkdir(exist_ok=True)
                    self._fd = lock_file(self._lock_path(self.run_id))
                except OSError as exc:
                    raise CacheError(f"cannot write {self.dir}: {exc.strerror}") from None
            runs, articles = self._live_state()
            runs[self.run_id] = {"pid": os.getpid(), "started": to_iso(utcnow())}
            taken: dict[str, str] = {}
            for article_id in wanted:
                holder = articles.get(article_id)
                if holder is not None and holder != self.run_id:
                    taken[article_id] = _describe(runs.get(holder))
                else:
                    articles[article_id] = self.run_id
                    self.claimed.add(article_id)
            self._write(runs, articles)
        return {a for a in wanted if a not in taken}, taken

    def release(self) -> None:
        """Give up every claim of this run (also done by the kernel if the process dies)."""
        with self._busy:
            self._release()

    def _release(self) -> None:
        """``release`` without taking ``_busy``: drop our claims and our lock file."""
        if self._fd is None:
            return
        try:
            with self.store.locked():
                runs, articles = self._live_state()
                runs.pop(self.run_id, None)
                articles = {a: r for a, r in articles.items() if r != self.run_id}
                self._write(runs, articles)
                with contextlib.suppress(FileNotFoundError):
                    self._lock_path(self.run_id).unlink()
        finally:
            os.close(self._fd)
            self._fd = None
            self.claimed.clear()

    def _write(self, runs: dict[str, Any], articles: dict[str, str]) -> None:
        """Write the claims file."""
        # Not fsynced: after a crash the claims are void anyway (their runs are gone).
        write_json_file(self._path, {"runs": runs, "articles": articles}, durable=False)

    def _live_state(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Runs still alive (lock files of dead ones removed) and the claims they hold."""
        doc = None
        with contextlib.suppress(CacheError):  # ephemeral: a damaged file is just replaced
            doc = read_json_file(self._path)
        runs = doc.get("runs") if isinstance(doc, dict) else None
        articles = doc.get("articles") if isinstance(doc, dict) else None
        runs = runs if isinstance(runs, dict) else {}
        articles = articles if isinstance(articles, dict) else {}
        live = {
            run_id: info
            for run_id, info in runs.items()
            if isinstance(run_id, str) and (run_id == self.run_id or self._alive(run_id))
        }
        held = {a: r for a, r in articles.items() if isinstance(a, str) and r in live}
        return live, held

    def _alive(self, run_id: str) -> bool:
        """Whether the run holding ``run_id``'s lock file is still running."""
        path = self._lock_path(run_id)
        try:
            fd = try_lock_file(path)
        except OSError:
            return False  # no lock file: the run is over
        if fd is None:
            return True
        try:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # a dead run's file; we hold its lock, so nobody else uses it
        finally:
            os.close(fd)
        return False


def _describe(info: Any) -> str:
    """Who holds a claim, for a message: "pid 1234", or "another run" if unknown."""
    pid = info.get("pid") if isinstance(info, dict) else None
    return f"pid {pid}" if isinstance(pid, int) else "another run"
