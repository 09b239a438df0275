"""The domain objects: frozen dataclasses with no I/O, shared by every layer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from newsdiff_tui.textnorm import normalize

# Where a version's text was seen: our own fetch, a Wayback Machine capture, another tracker.
Origin = Literal["live", "wayback", "import"]
ORIGINS: tuple[Origin, ...] = ("live", "wayback", "import")
WAYBACK_WEB = "https://web.archive.org"


def wayback_link(timestamp: str, url: str) -> str:
    """The public Wayback Machine page of the capture of ``url`` at ``timestamp`` (14 digits).

    Always the public archive's address, whatever host served the capture (tests use a fake
    archive): the link names the capture, and is what a reader can open.
    """
    return f"{WAYBACK_WEB}/web/{timestamp}/{url}"


@dataclass(frozen=True)
class ArticleText:
    """What extraction yields from one page: the parts of an article we compare between versions."""

    title: str
    byline: str | None = None
    published: str | None = None  # ISO 8601 as the page gave it, if it gave one
    paragraphs: tuple[str, ...] = ()

    def normalized(self) -> ArticleText:
        """The same text with every field normalised (see ``textnorm.normalize``)."""
        return ArticleText(
            title=normalize(self.title),
            byline=normalize(self.byline) if self.byline else None,
            published=self.published,
            paragraphs=tuple(p for p in (normalize(p) for p in self.paragraphs) if p),
        )

    def content_hash(self) -> str:
        """Hash of the normalised title, byline and paragraphs: equal hashes mean no change.

        ``published`` is left out: sites rewrite it on every edit, which is not a text change.
        """
        return self.normalized().hash_as_is()

    def hash_as_is(self) -> str:
        """``content_hash`` for a text that is already normalised (skips normalising again)."""
        payload = "\x1e".join([self.title, self.byline or "", *self.paragraphs])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def word_count(self) -> int:
        """The whitespace-separated words of the body (title and byline not counted)."""
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass(frozen=True)
class Version:
    """One distinct text of an article, as stored in its shard."""

    number: int  # 0 for the first version, then 1, 2, ...
    text: ArticleText
    fetched_at: datetime  # timezone-aware (UTC)
    text_hash: str
    boring: bool = False  # only whitespace, typographic quotes/dashes or punctuation changed
    revert_of: int | None = None  # the earlier version whose text this one returns to
    origin: Origin = "live"  # where the text was seen (``fetched_at`` is when)
    # wayback: the capture's 14-digit timestamp; import: the version's id in the other tracker
    origin_ref: str | None = None
    # wayback: the capture's page (``wayback_link``); import: the version's page there, if any
    origin_url: str | None = None

    @property
    def archived(self) -> bool:
        """Whether the text comes from a Wayback Machine capture."""
        return self.origin == "wayback"


@dataclass(frozen=True)
class SeenText:
    """A text seen at a known time somewhere: what ``Store.insert_versions`` places in a history.

    Archive captures and other trackers' versions are seen in the past, so they may land
    before versions already stored; ``origin_ref`` identifies them, so adding the same one
    twice stores it once.
    """

    text: ArticleText
    seen_at: datetime  # timezone-aware
    origin: Origin = "live"
    origin_ref: str | None = None
    origin_url: str | None = None
    # The other tracker marked this version boring (NewsDiffs does): the mark is kept even where
    # our own rule would not set it, and survives later inserts next to it.
    boring: bool = False


@dataclass(frozen=True)
class BackfillState:
    """What backfills from the Wayback Machine did for an article, kept in its shard.

    A capture's digest names its bytes: a digest in ``texts`` or ``refused`` is never
    downloaded again, so a second backfill fetches only captures it has not seen.
    """

    # digest -> text hash of what it extracted to (a version with that hash holds the text)
    texts: dict[str, str] = field(default_factory=dict)
    # digest -> why the capture is not a version (archived error page, redirect stub, ...)
    refused: dict[str, str] = field(default_factory=dict)
    searched_at: datetime | None = None  # when the archive was last searched
    last_error: str | None = None  # what went wrong in the last backfill, if anything


@dataclass(frozen=True)
class CheckState:
    """What the last checks of an article found; kept with the article, never with a version."""

    last_checked: datetime | None = None
    last_error: str | None = None
    failures: int = 0  # failed checks in a row
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # hash of the last body's bytes, to skip re-extraction
    final_url: str | None = None  # where redirects led on the last check
    checks: int = 0


@dataclass(frozen=True)
class Article:
    """A tracked article as the index describes it (derived from its shard)."""

    id: str
    url: str
    source: str
    title: str
    first_seen: datetime
    last_changed: datetime | None = None
    version_count: int = 0
    check: CheckState = field(default_factory=CheckState)
    feed_url: str | None = None  # the feed it was discovered from, if any
    word_count: int = 0  # words in the latest version, to spot a collapsed extraction
    archived_versions: int = 0  # versions whose text comes from the Wayback Machine
    imported_versions: int = 0  # versions whose text comes from another tracker
