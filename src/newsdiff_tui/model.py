"""The domain objects: frozen dataclasses with no I/O, shared by every layer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from newsdiff_tui.textnorm import normalize


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
