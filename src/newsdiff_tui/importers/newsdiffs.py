"""A NewsDiffs data directory (its database and git repositories) -> imported articles.

NewsDiffs (Django) keeps ``Articles(id, url, initial_date, last_update, last_check, git_dir)``
and ``version(id, article_id, v, title, byline, date, boring, diff_json)`` in its database
(SQLite: ``newsdiffs.db``), and each version's text in a git repository: ``v`` is a commit of
the repository ``git_dir`` (found in the data directory, or in its ``articles/`` folder where
NewsDiffs puts them), and the text is the file named by the URL without its scheme
(``git show <v>:<host/path>``). That file holds the article's date, title and byline on one
line each, then the body: paragraphs separated by blank lines (a body with no blank line is
read one paragraph a line).

SOURCE is the data directory (its ``newsdiffs.db``, or its only ``*.db`` / ``*.sqlite``
file) or the database file itself (the directory is then the one holding it). Versions
NewsDiffs marked ``boring`` are imported as boring (``SeenText.boring``); ``origin_ref`` is
``newsdiffs:<version id>``.

git is run read-only, without a shell: one ``git -C REPO cat-file --batch`` per repository
(``git show REV:PATH`` for every version at once: one process instead of one per version),
with ``GIT_OPTIONAL_LOCKS=0`` and no inherited ``GIT_*`` variables, so it writes nothing to
the repository and reads only the one named. ``v`` must be a commit id (hex), so a doctored
database cannot name other revisions.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from newsdiff_tui.importers.base import (
    ArticleProblem,
    BadRow,
    ImportedArticle,
    ImportOptions,
    ImportSourceError,
    article_url,
    articles_or_problems,
    as_bool,
    as_text,
    grouped,
    imported_text,
    in_time_order,
    parse_time,
)
from newsdiff_tui.importers.sqlitesrc import SQLiteSource
from newsdiff_tui.inputs import check_input_directory

__all__ = ["parse_version_file", "read"]

FORMAT = "newsdiffs"
DATABASE_NAME = "newsdiffs.db"
REQUIRED = {
    "Articles": ("id", "url", "initial_date", "git_dir"),
    "version": ("id", "article_id", "v", "title", "byline", "date", "boring"),
}
_COMMIT = re.compile(r"[0-9a-fA-F]{4,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t\xa0]*\n")


def read(source: str, options: ImportOptions) -> Iterator[ImportedArticle | ArticleProblem]:
    """The articles of a NewsDiffs data directory, each version's text read from git."""
    data_dir, database = _locate(source)
    with SQLiteSource(database, fmt=FORMAT) as db, _Repositories(data_dir) as repos:
        db.require(REQUIRED)
        rows = db.rows(
            "SELECT v.article_id, v.id, v.v, v.title, v.byline, v.date, v.boring, "
            "a.id, a.url, a.initial_date, a.git_dir "
            "FROM version v LEFT JOIN Articles a ON a.id = v.article_id "
            "ORDER BY v.article_id, v.id"
        )

        def build(group: list[tuple]) -> ImportedArticle:
            """One article from its group of version rows."""
            return _article(group, repos, options)

        yield from articles_or_problems(grouped(rows), build, lambda g: f"article {g[0][0]}")


def _locate(source: str) -> tuple[Path, Path]:
    """The data directory and the database file that SOURCE names."""
    path = Path(source)
    if not path.is_dir():
        return path.parent, path
    data_dir = check_input_directory(path, what=f"{FORMAT} data directory")
    named = data_dir / DATABASE_NAME
    if named.is_file():
        return data_dir, named
    found = sorted(
        p for pattern in ("*.db", "*.sqlite", "*.sqlite3") for p in data_dir.glob(pattern)
    )
    if len(found) == 1:
        return data_dir, found[0]
    which = f"{len(found)} candidates: {', '.join(p.name for p in found)}" if found else "none"
    raise ImportSourceError(
        f"{data_dir}: not a {FORMAT} data directory (no {DATABASE_NAME}, and {which}); "
        "name the database file instead"
    )


def _article(group: list[tuple], repos: _Repositories, options: ImportOptions) -> ImportedArticle:
    """The article of one group of version rows, each version's text read from git."""
    article_id, _, _, _, _, _, _, found_id, raw_url, initial_date, git_dir = group[0]
    if found_id is None:
        raise BadRow("its versions refer to an article that is not in the Articles table")
    url = article_url(raw_url, "its url")
    repo = repos.get(git_dir)
    names = _file_names(as_text(raw_url).strip())
    texts = []
    for _, version_id, commit, title, byline, date, boring, *_ in group:
        what = f"version {version_id}"
        commit = as_text(commit).strip()
        if not _COMMIT.fullmatch(commit):
            raise BadRow(f"{what}: 'v' is not a git commit id: {commit[:40]!r}")
        blob = next((b for b in (repo.blob(f"{commit}:{n}") for n in names) if b is not None), None)
        if blob is None:
            raise BadRow(
                f"{what}: git has no {commit}:{names[0]} in {repo.path}: the object is gone"
            )
        _, file_title, file_byline, paragraphs = parse_version_file(
            blob.decode("utf-8", errors="replace")
        )
        texts.append(
            imported_text(
                file_title or title,
                paragraphs,
                parse_time(date, f"{what}: 'date'", options.timezone),
                f"{FORMAT}:{version_id}",
                byline=file_byline or byline,
                boring=as_bool(boring, f"{what}: 'boring'"),
            )
        )
    first_seen = (
        parse_time(initial_date, "'initial_date'", options.timezone) if initial_date else None
    )
    return ImportedArticle(
        url, in_time_order(texts), f"article {article_id}", first_seen=first_seen
    )


def _file_names(url: str) -> list[str]:
    """Where NewsDiffs may have filed the URL's text: the URL without its scheme and without a
    trailing slash (its ``Article.filename``), then as it is."""
    bare = _SCHEME.sub("", url)
    return list(dict.fromkeys((bare.rstrip("/"), bare)))


def parse_version_file(text: str) -> tuple[str, str, str, list[str]]:
    """A NewsDiffs version file as (date, title, byline, paragraphs)."""
    lines = text.replace("\r\n", "\n").split("\n")
    date, title, byline = ([*lines[:3], "", "", ""])[:3]
    body = "\n".join(lines[3:]).strip("\n")
    if _BLANK_LINE.search(body):
        blocks = _BLANK_LINE.split(body)
        paragraphs = [" ".join(block.split()) for block in blocks]
    else:
        paragraphs = body.split("\n")
    return date.strip(), title.strip(), byline.strip(), [p for p in paragraphs if p.strip()]


class _Repositories:
    """The git repositories of a data directory, each read by one ``cat-file`` process."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.open: dict[str, _CatFile] = {}

    def __enter__(self) -> _Repositories:
        return self

    def __exit__(self, *exc: object) -> None:
        for reader in self.open.values():
            reader.close()

    def get(self, git_dir: Any) -> _CatFile:
        """The reader of the repository an article names (``BadRow`` if there is none)."""
        name = as_text(git_dir).strip()
        if name not in self.open:
            self.open[name] = _CatFile(self._path(name))
        return self.open[name]

    def _path(self, name: str) -> Path:
        """The folder of repository ``name``, in the data directory or its ``articles`` folder;
        ``BadRow`` for a name that would lead outside."""
        relative = PurePosixPath(name)
        if not name or _CONTROL.search(name) or relative.is_absolute() or ".." in relative.parts:
            raise BadRow(f"'git_dir' must name a folder inside the data directory: {name[:60]!r}")
        for base in (self.data_dir, self.data_dir / "articles"):
            if (base / relative).is_dir():
                return base / relative
        raise BadRow(
            f"its git repository {name!r} is in neither {self.data_dir} nor "
            f"{self.data_dir / 'articles'}"
        )


def _git_environment(repo: Path) -> dict[str, str]:
    """The environment for git: no inherited ``GIT_*`` (a ``GIT_DIR`` would point elsewhere),
    no looking for a repository above ``repo`` (a folder that is not one must not be read as
    the repository around the data directory), no optional locks (nothing written), no
    prompts, messages in English."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CEILING_DIRECTORIES=str(repo.resolve().parent),
        GIT_OPTIONAL_LOCKS="0",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


class _CatFile:
    """``git -C REPO cat-file --batch``: blobs by ``REV:PATH``, one request at a time."""

    def __init__(self, path: Path) -> None:
        """Start ``git cat-file --batch`` in the repository at ``path`` (git must be installed)."""
        self.path = path
        self.errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        try:
            self.process = subprocess.Popen(
                ["git", "-C", str(path), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.errors,
                env=_git_environment(path),
            )
        except FileNotFoundError:
            self.errors.close()
            raise ImportSourceError(
                "git is needed to read a NewsDiffs data directory, and it is not installed"
            ) from None

    def blob(self, name: str) -> bytes | None:
        """The blob at ``name`` (``commit:path``), or None when git has no such file."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(name.encode("utf-8") + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._failed() from None
        header = stdout.readline()
        if header.endswith((b" missing\n", b" ambiguous\n")):
            return None
        parts = header.split()
        if len(parts) != 3 or not parts[2].isdigit():
            raise self._failed()
        size = int(parts[2])
        data = stdout.read(size)
        if len(data) != size or stdout.read(1) != b"\n":  # git stopped half-way
            raise self._failed()
        return data if parts[1] == b"blob" else None

    def _failed(self) -> BadRow:
        """Why git stopped answering, as the problem of the article that asked."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.errors.seek(0)
        lines = self.errors.read().decode("utf-8", errors="replace").strip().splitlines()
        reason = lines[0] if lines else f"git exited with status {self.process.returncode}"
        return BadRow(f"git cannot read {self.path}: {reason}")

    def close(self) -> None:
        """Stop the git process (killed if it does not end in 10 s) and close its pipes."""
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.errors.close()
