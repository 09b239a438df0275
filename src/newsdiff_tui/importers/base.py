"""What every importer shares: the article it yields, its errors, and the checks of each field.

A reader (one module per format) turns a source into a stream of ``ImportedArticle`` (an
article's URL and its versions as ``SeenText``, provenance included) or ``ArticleProblem`` (an
article whose rows cannot be used: a URL with control characters, a time that is not one, a
git object that is gone). A source that cannot be read at all (not the format, a missing
table, a truncated file) raises ``ImportSourceError``. ``importers.run`` decides what to do
with each.

The helpers here judge one field each, the same way in every format: URLs through
``urls.url_problem`` (refused with control characters or spaces) then ``clean_url`` (as
``add`` does, so an imported article is the one a live ``add`` of its link would track);
times as ISO 8601 or seconds since 1970, naive ones in the source's time zone; texts as
untrusted (the store normalises them; ``published`` is rewritten as an ISO time here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.model import ArticleText, SeenText
from newsdiff_tui.timeutil import to_iso
from newsdiff_tui.urls import clean_url, url_problem

# Seconds since 1970 written as text: 9 digits or more (1973 on), so that a year is not one.
_EPOCH = re.compile(r"\d{9,}(?:\.\d+)?")

__all__ = [
    "ArticleProblem",
    "BadRow",
    "ImportOptions",
    "ImportSourceError",
    "ImportedArticle",
    "article_url",
    "as_bool",
    "as_text",
    "imported_text",
    "link_url",
    "parse_time",
]


class ImportSourceError(NewsdiffError):
    """A source that cannot be imported at all: wrong format, missing table, unreadable file."""


class BadRow(Exception):
    """A row of a source that cannot be used; the reader turns it into an ``ArticleProblem``."""


@dataclass(frozen=True)
class ArticleProblem:
    """An article of the source left out, and why (``where`` names it in the source)."""

    where: str
    message: str

    def line(self) -> str:
        """The problem as one line: where, then what."""
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class ImportedArticle:
    """One article of another tracker, validated: its URL and its versions in time order."""

    url: str  # passed url_problem, then clean_url
    texts: tuple[SeenText, ...]
    where: str  # how the source names it ("entry 12"), for messages
    feed_url: str | None = None
    first_seen: datetime | None = None  # when the other tracker started on it, if it says


@dataclass(frozen=True)
class ImportOptions:
    """How to read a source: the time zone of its naive times (trackers wrote local time)."""

    timezone: tzinfo = field(default=UTC)


def as_text(value: Any) -> str:
    """A cell as text: None is empty, bytes are UTF-8 (bad bytes replaced), numbers as written."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def as_bool(value: Any, what: str) -> bool:
    """A boolean cell as SQLite, MySQL or a CSV export writes it (1/0, true/false, t/f)."""
    if value is None or value == "":
        return False
    if isinstance(value, int | float):
        return bool(value)
    text = as_text(value).strip().lower()
    if text in {"1", "true", "t", "yes", "y"}:
        return True
    if text in {"0", "false", "f", "no", "n"}:
        return False
    raise BadRow(f"{what} is not true or false: {text[:40]!r}")


def parse_time(value: Any, what: str, zone: tzinfo) -> datetime:
    """A time cell as an aware UTC datetime: ISO 8601 (a space or a T between date and time)
    or seconds since 1970. Naive times are taken in ``zone``."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadRow(f"{what} is not a time: {value!r}") from None
    else:
        text = as_text(value).strip()
        if not text:
            raise BadRow(f"{what} is missing")
        if _EPOCH.fullmatch(text):
            return parse_time(float(text), what, zone)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadRow(f"{what} is not a time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def article_url(value: Any, what: str) -> str:
    """An article's URL, refused (``BadRow``) unless ``url_problem`` accepts it; then cleaned
    as ``add`` cleans it (tracking parameters and fragment dropped)."""
    url = as_text(value).strip()
    problem = url_problem(url)
    if problem is not None:
        raise BadRow(f"{what} is refused: {problem}")
    return clean_url(url)


def link_url(value: Any, what: str) -> str | None:
    """An optional link (an archive page, a feed): None when empty or not http(s); refused
    (``BadRow``) when it is an http(s) URL that ``url_problem`` refuses (control characters,
    spaces): such a link is a sign of a doctored source, not of a missing one."""
    url = as_text(value).strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    problem = url_problem(url)
    if problem is not None:
        raise BadRow(f"{what} is refused: {problem}")
    return url


def imported_text(
    title: Any,
    paragraphs: Iterable[str],
    seen_at: datetime,
    ref: str,
    *,
    byline: Any = None,
    published: datetime | None = None,
    link: str | None = None,
    boring: bool = False,
) -> SeenText:
    """A version of another tracker as the store takes it: origin ``import``, ``ref`` its id
    there (``format:id``), ``link`` its page there (if any). The store normalises the text."""
    text = ArticleText(
        title=as_text(title),
        byline=as_text(byline) or None,
        published=to_iso(published),
        paragraphs=tuple(paragraphs),
    )
    return SeenText(text, seen_at, "import", ref, link, boring)


def in_time_order(texts: Iterable[SeenText]) -> tuple[SeenText, ...]:
    """Versions sorted by when they were seen (stable: the source's order breaks ties)."""
    return tuple(sorted(texts, key=lambda seen: seen.seen_at))


def grouped(rows: Iterable[tuple[Any, ...]], key_index: int = 0) -> Iterator[list[tuple]]:
    """Consecutive rows with the same value at ``key_index`` (rows come sorted by it)."""
    group: list[tuple] = []
    for row in rows:
        if group and row[key_index] != group[0][key_index]:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def articles_or_problems(
    groups: Iterable[list[tuple]],
    build: Callable[[list[tuple]], ImportedArticle],
    where: Callable[[list[tuple]], str],
) -> Iterator[ImportedArticle | ArticleProblem]:
    """``build`` each group of rows into an article; a ``BadRow`` it raises becomes an
    ``ArticleProblem`` named by ``where``."""
    for group in groups:
        try:
            yield build(group)
        except BadRow as exc:
            yield ArticleProblem(where(group), str(exc))
