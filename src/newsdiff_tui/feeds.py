"""RSS and Atom feeds: which ones are followed, and the new article URLs they list.

Feeds live in ``<cache root>/feeds.json`` (written atomically under the store's writer lock).
Each fetch run reads every feed (conditionally: ETag / Last-Modified) and starts tracking the
article links it has not seen, with tracking query parameters (``utm_*``, ``fbclid``, ...)
and fragments removed so one story is tracked once. A link to an address the network guard
refuses (loopback, private, ...; see ``netguard.py``) is not tracked: the refusal is reported
and kept on the feed (``last_refused``). ``probe_feed`` reads a URL once to tell whether it is
a feed at all, before ``feed add`` follows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from newsdiff_tui.cachecheck import check_feeds
from newsdiff_tui.errors import NewsdiffError, NotFoundError
from newsdiff_tui.fetch import Fetcher, FetchOptions, FetchResult
from newsdiff_tui.model import Article
from newsdiff_tui.netguard import AddressPolicy, host_problem
from newsdiff_tui.store import AtomicJSONStorage, Store
from newsdiff_tui.timeutil import from_iso, to_iso, utcnow
from newsdiff_tui.urls import article_id_for, clean_url, url_problem

__all__ = [
    "DiscoverySummary",
    "Feed",
    "FeedProbe",
    "add_feed",
    "discover_from_feeds",
    "load_feeds",
    "parse_feed",
    "probe_feed",
    "remove_feed",
]

FEEDS_FILE = "feeds.json"


@dataclass(frozen=True)
class Feed:
    """A followed feed and what its last read found."""

    url: str
    added: datetime
    last_checked: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    etag: str | None = None
    last_modified: str | None = None
    discovered: int = 0  # articles this feed has started tracking, in all
    last_refused: str | None = None  # links the last read refused to track, and why


def _feed_to_doc(feed: Feed) -> dict[str, Any]:
    """The ``feeds.json`` document of ``feed``."""
    doc = asdict(feed)
    doc["added"] = to_iso(feed.added)
    doc["last_checked"] = to_iso(feed.last_checked)
    return doc


def _feed_from_doc(doc: dict[str, Any]) -> Feed:
    """The Feed a ``feeds.json`` document holds."""
    return Feed(
        url=doc["url"],
        added=from_iso(doc.get("added")) or utcnow(),
        last_checked=from_iso(doc.get("last_checked")),
        last_error=doc.get("last_error"),
        failures=int(doc.get("failures") or 0),
        etag=doc.get("etag"),
        last_modified=doc.get("last_modified"),
        discovered=int(doc.get("discovered") or 0),
        last_refused=doc.get("last_refused"),
    )


def _storage(store: Store) -> AtomicJSONStorage:
    """The storage of the cache's ``feeds.json``."""
    return AtomicJSONStorage(store.root / FEEDS_FILE)


def _read(store: Store) -> dict[str, dict[str, Any]]:
    """The followed feeds' documents by URL (a CacheError if the file has the wrong shape)."""
    storage = _storage(store)
    return check_feeds(storage.read(), storage.path)  # CacheError if of the wrong shape


def _write(store: Store, feeds: dict[str, dict[str, Any]]) -> None:
    """Write the followed feeds' documents."""
    _storage(store).write({"feeds": feeds})


def load_feeds(store: Store) -> list[Feed]:
    """The followed feeds, in the order they were added."""
    feeds = [_feed_from_doc(doc) for doc in _read(store).values()]
    return sorted(feeds, key=lambda f: (f.added, f.url))


def add_feed(store: Store, url: str) -> tuple[Feed, bool]:
    """Follow ``url``; returns the feed and whether it was new. Raises for a bad URL."""
    url = url.strip()
    problem = url_problem(url)
    if problem:
        raise NewsdiffError(problem)
    with store.locked():
        feeds = _read(store)
        if url in feeds:
            return _feed_from_doc(feeds[url]), False
        feed = Feed(url=url, added=utcnow())
        feeds[url] = _feed_to_doc(feed)
        _write(store, feeds)
    return feed, True


def remove_feed(store: Store, url: str) -> Feed:
    """Stop following ``url`` (articles it found stay tracked)."""
    url = url.strip()
    with store.locked():
        feeds = _read(store)
        doc = feeds.pop(url, None)
        if doc is None:
            raise NotFoundError(f"not following the feed {url}")
        _write(store, feeds)
    return _feed_from_doc(doc)


def _update_feed(store: Store, feed: Feed) -> None:
    """Store ``feed``'s new state, unless it was removed meanwhile."""
    with store.locked():
        feeds = _read(store)
        if feed.url in feeds:  # removed meanwhile: leave it removed
            feeds[feed.url] = _feed_to_doc(feed)
            _write(store, feeds)


class FeedError(NewsdiffError):
    """A document that is not a readable RSS or Atom feed."""


def parse_feed(body: bytes, base_url: str) -> list[str]:
    """The article links of an RSS or Atom document, cleaned, in feed order, without repeats.

    Raises ``FeedError`` when the document is not a feed at all.
    """
    import feedparser  # imported lazily: only feed reading needs it

    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = getattr(parsed, "bozo_exception", None)
        raise FeedError(f"not an RSS or Atom feed{f' ({reason})' if reason else ''}")
    links: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            for candidate in entry.get("links") or []:
                if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                    link = candidate["href"]
                    break
        if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
            link = entry["id"]
        if not link:
            continue
        cleaned = clean_url(urljoin(base_url, link))
        if url_problem(cleaned) is None and cleaned not in links:
            links.append(cleaned)
    return links


@dataclass
class DiscoverySummary:
    """What reading the feeds found."""

    feeds: int = 0
    failed: int = 0
    new_articles: list[Article] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (feed url, message)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (link, why not tracked)

    def line(self) -> str:
        """'read 3 feed(s): 5 new article(s), 1 link(s) refused, 1 feed(s) failed'."""
        text = f"read {self.feeds} feed(s): {len(self.new_articles)} new article(s)"
        if self.refused:
            text += f", {len(self.refused)} link(s) refused"
        return text + (f", {self.failed} feed(s) failed" if self.failed else "")


async def discover_from_feeds(
    store: Store,
    *,
    options: FetchOptions | None = None,
    fetcher: Fetcher | None = None,
    on_feed: Callable[[str, str], None] | None = None,
) -> DiscoverySummary:
    """Read every followed feed and start tracking the articles not tracked yet.

    ``on_feed(feed_url, message)`` reports each feed's outcome. Failures are recorded on the
    feed (last error, failures in a row) and never raise.
    """
    summary = DiscoverySummary()
    feeds = await asyncio.to_thread(load_feeds, store)
    if not feeds:
        return summary
    own = fetcher is None
    client = fetcher or Fetcher(options)
    try:
        results = await asyncio.gather(
            *(
                client.fetch(f.url, etag=f.etag, last_modified=f.last_modified, kind="feed")
                for f in feeds
            )
        )
    finally:
        if own:
            await client.aclose()
    known = {a.id for a in store.articles()}
    hosts: dict[str, str | None] = {}  # host -> refusal, resolved once per run
    for feed, result in zip(feeds, results, strict=True):
        summary.feeds += 1
        now = utcnow()
        links: list[str] = []
        error = result.error
        if error is None and not result.not_modified:
            try:
                links = parse_feed(result.body or b"", result.final_url)
            except FeedError as exc:
                error = str(exc)
        if error is not None:
            summary.failed += 1
            summary.errors.append((feed.url, error))
            updated = replace(feed, last_checked=now, last_error=error, failures=feed.failures + 1)
            await asyncio.to_thread(_update_feed, store, updated)
            if on_feed:
                on_feed(feed.url, f"failed: {error}")
            continue
        fresh = [link for link in links if article_id_for(link) not in known]
        refusals = await _refusals(fresh, client.policy, hosts)
        for link, why in refusals.items():
            summary.refused.append((link, why))
            if on_feed:
                on_feed(feed.url, f"refused {link}: {why}")
        fresh = [link for link in fresh if link not in refusals]
        for link in fresh:
            article = await asyncio.to_thread(store.add_article, link, feed_url=feed.url)
            known.add(article.id)
            summary.new_articles.append(article)
        updated = replace(
            feed,
            last_checked=now,
            last_error=None,
            failures=0,
            etag=result.etag or (feed.etag if result.not_modified else None),
            last_modified=result.last_modified
            or (feed.last_modified if result.not_modified else None),
            discovered=feed.discovered + len(fresh),
            last_refused="; ".join(f"{link} ({why})" for link, why in refusals.items())
            or (feed.last_refused if result.not_modified else None),
        )
        await asyncio.to_thread(_update_feed, store, updated)
        if on_feed:
            note = "not modified" if result.not_modified else f"{len(links)} links"
            refused = f", {len(refusals)} refused" if refusals else ""
            on_feed(feed.url, f"{note}, {len(fresh)} new{refused}")
    return summary


async def _refusals(
    links: list[str], policy: AddressPolicy, hosts: dict[str, str | None]
) -> dict[str, str]:
    """The links whose host the network guard refuses, with the reason ("refused: private
    address 10.0.0.5"). Host names are resolved once per run (``hosts``); a name that cannot
    be resolved now is let through, and the guard decides when the article is fetched."""
    wanted = {urlsplit(link).hostname or "" for link in links} - hosts.keys()
    if wanted:
        verdicts = await asyncio.gather(*(host_problem(host, policy) for host in wanted))
        hosts.update(zip(wanted, verdicts, strict=True))
    return {
        link: why for link in links if (why := hosts.get(urlsplit(link).hostname or "")) is not None
    }


@dataclass(frozen=True)
class FeedProbe:
    """What reading a URL once says about following it as a feed.

    ``problem``: it answered, and it is not a usable feed (refuse it). ``unreachable``: no
    answer (offline?), so nothing is known yet. Neither: a feed listing ``links`` articles.
    """

    url: str
    problem: str | None = None
    unreachable: str | None = None
    links: int = 0


async def probe_feed(url: str, *, options: FetchOptions | None = None) -> FeedProbe:
    """Read ``url`` once and judge it as a feed (for ``feed add``); never raises.

    Refused: an HTTP 4xx answer, a refused address, a type that cannot be a feed, a document
    that does not parse as RSS or Atom (for an HTML page that names its feed, the message
    says which URL to add instead). Not judged (``unreachable``): no connection, a timeout or a
    5xx, which may pass; the next ``fetch`` reads the feed and records what it finds.
    """
    options = options or FetchOptions(retries=1, timeout=15.0)
    async with Fetcher(options) as fetcher:
        result = await fetcher.fetch(url, kind="feed")
    if result.error is not None:
        temporary = not result.refused and (
            not result.reached_server
            or result.error.startswith(("timed out", "connection dropped"))
            or (result.status or 0) >= 500
        )
        if temporary:
            return FeedProbe(url, unreachable=result.error)
        return FeedProbe(url, problem=result.error)
    try:
        links = parse_feed(result.body or b"", result.final_url)
    except FeedError as exc:
        return FeedProbe(url, problem=_not_a_feed(result, str(exc)))
    return FeedProbe(url, links=len(links))


def _not_a_feed(result: FetchResult, reason: str) -> str:
    """Why a document is not a feed; for an HTML page, the feed it names if it names one."""
    mime = str(result.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    body = result.body or b""
    if mime not in {"text/html", "application/xhtml+xml"} and b"<html" not in body[:4096].lower():
        return reason
    import lxml.html  # only needed for this message (lxml comes with trafilatura)

    try:
        tree = lxml.html.document_fromstring(body.decode("utf-8", "replace"))
    except (ValueError, lxml.etree.ParserError):
        return "not a feed but an HTML page (it names no RSS or Atom feed)"
    for node in tree.xpath(
        "//link[contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]"
    ):
        kind = (node.get("type") or "").lower()
        href = node.get("href")
        if href and kind in {"application/rss+xml", "application/atom+xml"}:
            named = clean_url(urljoin(result.final_url, href))
            if url_problem(named) is None:
                return f"not a feed but an HTML page; it names its feed: {named}"
    return "not a feed but an HTML page (it names no RSS or Atom feed)"
