"""Per-outlet statistics of how articles change: how often, how fast, and what kind of edit.

Definitions (the README's "Statistics" section repeats them beside published figures):

- ``articles``: articles with at least one stored version (first seen since ``since``, if given).
- ``versions`` per article: every stored version, boring ones (whitespace, quotes or
  punctuation only) included; mean, median and maximum.
- ``changed_share``: the share of articles with a second version (changed at all);
  ``changed_24h_share``: with a second version seen within 24 hours of the first.
- ``first_change_median``: the median time from the first version to the second, over the
  changed articles; the histogram counts those times in ``HISTOGRAM_BINS``.
- ``headline_changed_share``: the share of articles whose title differs between two
  consecutive versions at least once.
- paragraph shares: over every pair of consecutive versions, the paragraphs the diff engine
  reports inserted (``added``), deleted, modified and moved, each as a share of all four.

Every time is measured between *stored* versions, so the figures depend on how often pages were
checked (the schedule): a change is seen at the first check after it happened.

Pure functions over a ``Store``: ``collect_stats`` reads only what it needs (an article with
one version is counted from the index alone) and can report progress, so a TUI calls it from a
thread worker; ``article_facts`` and ``summarize`` work on plain values for tests and reuse.
"""

from __future__ import annotations

import contextlib
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.export import changes
from newsdiff_tui.model import Version
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import short_time

__all__ = [
    "ALL_SOURCES",
    "HISTOGRAM_BINS",
    "PARAGRAPH_KINDS",
    "ArticleFacts",
    "SourceStats",
    "StatsReport",
    "article_facts",
    "collect_stats",
    "summarize",
]

ALL_SOURCES = "all sources"
DAY = timedelta(hours=24)
# Time-to-first-change bins: (label, upper bound, exclusive); None means no upper bound.
HISTOGRAM_BINS: tuple[tuple[str, timedelta | None], ...] = (
    ("< 15 min", timedelta(minutes=15)),
    ("15-60 min", timedelta(hours=1)),
    ("1-3 h", timedelta(hours=3)),
    ("3-6 h", timedelta(hours=6)),
    ("6-12 h", timedelta(hours=12)),
    ("12-24 h", DAY),
    ("1-3 days", timedelta(days=3)),
    ("3-7 days", timedelta(days=7)),
    (">= 7 days", None),
)
# The diff engine's paragraph ops that count as changes, under the names the stats use.
PARAGRAPH_KINDS = {"insert": "added", "delete": "deleted", "modify": "modified", "move": "moved"}


@dataclass(frozen=True)
class ArticleFacts:
    """What the statistics need from one article's history."""

    source: str
    versions: int
    first_change: timedelta | None = None  # first version to second; None if never changed
    headline_changed: bool = False
    paragraphs: dict[str, int] = field(default_factory=dict)  # PARAGRAPH_KINDS values -> count


def article_facts(source: str, versions: Sequence[Version]) -> ArticleFacts:
    """The facts of one history (versions in any order), diffing each consecutive pair."""
    ordered = sorted(versions, key=lambda v: v.number)
    if len(ordered) < 2:
        return ArticleFacts(source=source, versions=len(ordered))
    counts: Counter[str] = Counter()
    headline = False
    for change in changes(ordered):
        headline = headline or change.diff.title.changed
        counts.update(
            PARAGRAPH_KINDS[p.op] for p in change.diff.paragraphs if p.op in PARAGRAPH_KINDS
        )
    return ArticleFacts(
        source=source,
        versions=len(ordered),
        first_change=ordered[1].fetched_at - ordered[0].fetched_at,
        headline_changed=headline,
        paragraphs={kind: counts[kind] for kind in PARAGRAPH_KINDS.values()},
    )


def _bin(delay: timedelta) -> int:
    """The index in ``HISTOGRAM_BINS`` of a time to first change."""
    for index, (_, upper) in enumerate(HISTOGRAM_BINS):
        if upper is None or delay < upper:
            return index
    raise AssertionError("the last bin has no upper bound")


@dataclass(frozen=True)
class SourceStats:
    """The figures of one source (or of all of them: ``source == ALL_SOURCES``)."""

    source: str
    articles: int
    versions_mean: float
    versions_median: float
    versions_max: int
    changed: int
    changed_share: float
    changed_24h_share: float
    first_change_median: timedelta | None
    headline_changed_share: float
    paragraphs: dict[str, int]  # added / deleted / modified / moved -> count
    histogram: tuple[int, ...]  # changed articles per HISTOGRAM_BINS bin

    @property
    def paragraph_shares(self) -> dict[str, float | None]:
        """Each kind of paragraph change as a share of all changed paragraphs (None if none)."""
        total = sum(self.paragraphs.values())
        return {kind: (n / total if total else None) for kind, n in self.paragraphs.items()}


def summarize(source: str, facts: Sequence[ArticleFacts]) -> SourceStats:
    """The figures of a group of articles (see the module's definitions)."""
    if not facts:
        raise ValueError("no articles to summarise")
    counts = [f.versions for f in facts]
    delays = [f.first_change for f in facts if f.first_change is not None]
    histogram = [0] * len(HISTOGRAM_BINS)
    for delay in delays:
        histogram[_bin(delay)] += 1
    paragraphs = dict.fromkeys(PARAGRAPH_KINDS.values(), 0)
    for f in facts:
        for kind, n in f.paragraphs.items():
            paragraphs[kind] += n
    n = len(facts)
    return SourceStats(
        source=source,
        articles=n,
        versions_mean=statistics.fmean(counts),
        versions_median=statistics.median(counts),
        versions_max=max(counts),
        changed=len(delays),
        changed_share=len(delays) / n,
        changed_24h_share=sum(d <= DAY for d in delays) / n,
        first_change_median=statistics.median(delays) if delays else None,
        headline_changed_share=sum(f.headline_changed for f in facts) / n,
        paragraphs=paragraphs,
        histogram=tuple(histogram),
    )


@dataclass(frozen=True)
class StatsReport:
    """Per-source figures (sources by name) and the same figures over all of them."""

    sources: tuple[SourceStats, ...]
    overall: SourceStats
    source: str | None = None  # the filters the report was made with
    since: datetime | None = None


def collect_stats(
    store: Store,
    *,
    source: str | None = None,
    since: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StatsReport:
    """The statistics of the cache, per source; ``source`` (case-insensitive) and ``since``
    (first seen at or after) select the articles. ``progress(done, total)`` is called as
    histories are read. A damaged shard is skipped (``doctor`` names it).

    Raises ``NewsdiffError`` when no article is selected.
    """
    wanted = source.casefold() if source else None
    selected = [
        a
        for a in store.articles()
        if a.version_count
        and (wanted is None or a.source.casefold() == wanted)
        and (since is None or a.first_seen >= since)
    ]
    if not selected:
        raise NewsdiffError(_nothing_selected(store, source, since))
    facts: list[ArticleFacts] = []
    for done, article in enumerate(selected, start=1):
        if article.version_count == 1:
            facts.append(ArticleFacts(source=article.source, versions=1))
        else:
            # A damaged or vanished shard is left out of the figures.
            with contextlib.suppress(NewsdiffError):
                facts.append(article_facts(article.source, store.versions(article.id)))
        if progress is not None:
            progress(done, len(selected))
    if not facts:
        raise NewsdiffError(f"no readable article history in {store.root} (run `doctor`)")
    return _report(facts, source, since)


def _report(
    facts: Iterable[ArticleFacts], source: str | None, since: datetime | None
) -> StatsReport:
    """The report of ``facts``: one summary per source, in name order, and one over all."""
    by_source: dict[str, list[ArticleFacts]] = defaultdict(list)
    everything = []
    for f in facts:
        by_source[f.source].append(f)
        everything.append(f)
    return StatsReport(
        sources=tuple(summarize(name, by_source[name]) for name in sorted(by_source)),
        overall=summarize(ALL_SOURCES, everything),
        source=source,
        since=since,
    )


def _nothing_selected(store: Store, source: str | None, since: datetime | None) -> str:
    """Why there are no statistics: an empty cache, or no article the filters select."""
    if not len(store):
        return (
            f"the cache at {store.root} holds no articles yet "
            "(`newsdiff-tui add URL` or `import FILE` adds some)"
        )
    filters = " and ".join(
        part
        for part in (
            f"from source {source!r}" if source else "",
            f"first seen since {short_time(since)}" if since else "",
        )
        if part
    )
    return f"no article with a stored version {filters}".rstrip() + ": no statistics"
