"""What the app's workers send back to the UI thread: small dataclass messages, past tense.

Messages are dataclasses with ``eq=False`` (identity, as Textual expects of messages). Workers
run blocking work (reading an article's file, diffing, wrapping a long diff, re-reading
the index, checking articles) off the UI thread and post one of these; the handler on the UI
thread only swaps the result in. Each message carries what it is about (an article id, a
render token), so a result that arrives after the user moved on is recognised and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from newsdiff_tui.model import Article, Version

if TYPE_CHECKING:
    from newsdiff_tui.tui.chunks import Measured
    from newsdiff_tui.tui.rows import ArticleRows


# ----- an article's versions, stats and diff --------------------------------------------------


@dataclass(eq=False)
class VersionsLoaded(Message):
    """An article's versions were read from its file."""

    article_id: str
    versions: list[Version]


@dataclass(eq=False)
class ArticleUnreadable(Message):
    """An article's file could not be read (the message says which file and why)."""

    article_id: str
    error: str


@dataclass(eq=False)
class StatsComputed(Message):
    """Change stats of some of an article's neighbouring versions, by (old, new) number."""

    article_id: str
    stats: dict[tuple[int, int], str]


@dataclass(eq=False)
class DiffLinesRendered(Message):
    """Pieces of the diff view's content, wrapped and measured; more follow until ``done``.

    ``token`` names the content and width they were rendered for; ``first`` starts it over.
    """

    token: int
    pieces: list[Measured]
    first: bool
    done: bool


# ----- the article list ---------------------------------------------------------------------


@dataclass(eq=False)
class IndexReloaded(Message):
    """The index was read again (after a refresh, or another process's writes)."""

    rows: ArticleRows
    select: str | None  # put the cursor on this article (a new one), else keep it
    changed_today: int  # counted off the UI thread too, for the header
    last_checked: str | None  # the latest check of any article (ISO UTC)


@dataclass(eq=False)
class ArticleAdded(Message):
    """A URL is now tracked; its first check follows."""

    article: Article
    url: str


@dataclass(eq=False)
class ArticleDeleted(Message):
    """An article and its versions were removed from the cache."""

    article: Article


@dataclass(eq=False)
class ExportWritten(Message):
    """An article's history was exported to ``path``."""

    path: str


@dataclass(eq=False)
class BrowserOpened(Message):
    """A browser was started on ``url``."""

    url: str


@dataclass(eq=False)
class ActionFailed(Message):
    """A background action (add, delete, export, reading the cache) failed; ``what`` says
    which, ``error`` why."""

    what: str
    error: str


# ----- refreshes ----------------------------------------------------------------------------


@dataclass(eq=False)
class CheckProgress(Message):
    """An article is being checked; newer progress replaces older, unhandled progress."""

    started: int
    total: int
    label: str
    article_id: str

    def can_replace(self, message: Message) -> bool:
        """Drop this progress for a newer one queued after it: only the latest counts."""
        return isinstance(message, CheckProgress)


@dataclass(eq=False)
class ArticleChecked(Message):
    """One article's check finished: ``state`` is changed, unchanged, failed or skipped."""

    article_id: str
    state: str
    detail: str
    label: str
    done: int
    total: int


@dataclass(eq=False)
class RefreshFinished(Message):
    """A refresh ended; ``summary`` is the tracker's CheckSummary (None: it failed)."""

    summary: Any
    due_run: bool = False  # feeds and due articles, rather than chosen ones
    error: str | None = None


# ----- backfills from the Wayback Machine ------------------------------------------------------


@dataclass(eq=False)
class BackfillProgress(Message):
    """A backfill searched the archive or handled one of its captures (``index``/``total``);
    newer progress replaces older, unhandled progress. ``stored``: a version came in."""

    article_id: str
    label: str
    state: str  # searching, found or capture (see ``backfill.BackfillEvent``)
    index: int
    total: int
    stored: bool = False

    def can_replace(self, message: Message) -> bool:
        """Drop this progress for a newer one queued, unless it stored a version (a reload)."""
        # ``self`` is the older message, dropped for ``message``: never one that stored a version.
        return isinstance(message, BackfillProgress) and not self.stored


@dataclass(eq=False)
class BackfillPaused(Message):
    """The archive asked us to slow down (HTTP 429): all archive requests wait."""

    article_id: str
    message: str


@dataclass(eq=False)
class BackfillFinished(Message):
    """A backfill ended; ``summary`` is the core's BackfillSummary (None: it failed)."""

    article_id: str
    label: str
    summary: Any
    error: str | None = None


# ----- searching the text, statistics -------------------------------------------------------


@dataclass(eq=False)
class TextSearchProgress(Message):
    """A text search is under way; ``note`` says what it does (building the index)."""

    token: int
    note: str


@dataclass(eq=False)
class TextSearchDone(Message):
    """A text search ended: ``result`` is a ``search.SearchResult``, or ``error`` says why
    there is none. ``token`` names the search (a newer one makes it stale)."""

    token: int
    typed: str
    result: Any
    error: str | None = None


@dataclass(eq=False)
class StatsProgress(Message):
    """The statistics have read ``done`` of ``total`` histories; newer progress replaces
    older, unhandled progress."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        """Drop this progress for a newer one queued after it: only the latest counts."""
        return isinstance(message, StatsProgress)


@dataclass(eq=False)
class StatsCollected(Message):
    """The statistics are ready (``report``: a ``stats.StatsReport``), or ``error`` says why
    there are none."""

    report: Any
    error: str | None = None
