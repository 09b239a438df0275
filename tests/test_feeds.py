"""Feeds: persisted in the cache, read over HTTP, new article URLs tracked once and cleaned."""

from __future__ import annotations

import json

import pytest
from local_server import LocalServer, Reply, atom_feed, rss_feed

from newsdiff_tui.errors import NewsdiffError, NotFoundError
from newsdiff_tui.feeds import (
    FeedError,
    FeedProbe,
    add_feed,
    discover_from_feeds,
    load_feeds,
    parse_feed,
    probe_feed,
    remove_feed,
)
from newsdiff_tui.fetch import FetchOptions
from newsdiff_tui.store import Store

FAST = FetchOptions(host_delay=0, retries=0, timeout=2.0)


def test_parse_feed_atom_and_rss() -> None:
    links = ["https://news.example/a?utm_campaign=x", "/relative/b", "https://news.example/a"]
    base = "https://news.example/feed"
    expected = ["https://news.example/a", "https://news.example/relative/b"]
    assert parse_feed(atom_feed(links).encode(), base) == expected
    assert parse_feed(rss_feed(links).encode(), base) == expected
    with pytest.raises(FeedError):
        parse_feed(b"<html><body>not a feed</body></html>", base)


def test_feeds_are_persisted(store: Store) -> None:
    feed, added = add_feed(store, "https://news.example/rss")
    assert added and feed.url == "https://news.example/rss"
    assert add_feed(store, "https://news.example/rss")[1] is False
    add_feed(store, "https://other.example/atom")
    assert [f.url for f in load_feeds(Store(store.root))] == [
        "https://news.example/rss",
        "https://other.example/atom",
    ]
    on_disk = json.loads((store.root / "feeds.json").read_text())
    assert set(on_disk["feeds"]) == {"https://news.example/rss", "https://other.example/atom"}
    remove_feed(store, "https://news.example/rss")
    assert [f.url for f in load_feeds(store)] == ["https://other.example/atom"]
    with pytest.raises(NotFoundError):
        remove_feed(store, "https://news.example/rss")
    with pytest.raises(NewsdiffError, match="only http:// or https://"):
        add_feed(store, "ftp://news.example/rss")


async def test_discovery_from_atom_and_rss(store: Store, local_server: LocalServer) -> None:
    a, b, c = (local_server.url(f"/2024/story-{n}.html") for n in "abc")
    atom = local_server.route(
        "/atom.xml",
        Reply(
            body=atom_feed([f"{a}?utm_source=atom&utm_medium=feed", b]),
            content_type="application/atom+xml",
            etag='"atom1"',
        ),
    )
    rss = local_server.route(
        "/rss.xml",
        [
            Reply(body=rss_feed([f"{b}?fbclid=xyz"]), content_type="application/rss+xml"),
            Reply(body=rss_feed([b, f"{c}?utm_source=rss"]), content_type="application/rss+xml"),
        ],
    )
    add_feed(store, atom)
    add_feed(store, rss)
    already = store.add_article(b)

    summary = await discover_from_feeds(store, options=FAST)

    assert (summary.feeds, summary.failed) == (2, 0)
    assert [x.url for x in summary.new_articles] == [a]
    assert store.article(summary.new_articles[0].id).feed_url == atom
    assert len(store.articles()) == 2 and already.id in {x.id for x in store.articles()}

    summary = await discover_from_feeds(store, options=FAST)
    assert [x.url for x in summary.new_articles] == [c]
    assert local_server.requests_for("/atom.xml")[-1].headers["if-none-match"] == '"atom1"'
    feeds = {f.url: f for f in load_feeds(store)}
    assert feeds[atom].discovered == 1 and feeds[rss].discovered == 1
    assert feeds[atom].last_error is None and feeds[atom].last_checked is not None


async def test_a_broken_feed_is_recorded(store: Store, local_server: LocalServer) -> None:
    bad = local_server.route("/bad.xml", Reply(body="<html>nope</html>", content_type="text/html"))
    gone = local_server.route("/gone.xml", Reply(status=404))
    add_feed(store, bad)
    add_feed(store, gone)
    messages: list[tuple[str, str]] = []
    summary = await discover_from_feeds(
        store, options=FAST, on_feed=lambda u, m: messages.append((u, m))
    )
    assert summary.failed == 2 and not summary.new_articles
    feeds = {f.url: f for f in load_feeds(store)}
    assert "not an RSS or Atom feed" in (feeds[bad].last_error or "")
    assert feeds[gone].last_error == "HTTP 404 Not Found" and feeds[gone].failures == 1
    assert len(messages) == 2


async def test_probe_tells_a_feed_from_a_refusal_from_a_passing_trouble(
    local_server: LocalServer, unused_port: int
) -> None:
    feed = local_server.route(
        "/ok.xml", Reply(body=rss_feed(["http://127.0.0.1/a", "http://127.0.0.1/b"]))
    )
    assert await probe_feed(feed, options=FAST) == FeedProbe(feed, links=2)
    gone = local_server.route("/gone.xml", Reply(status=410))
    assert (await probe_feed(gone, options=FAST)).problem == "HTTP 410 Gone"
    pdf = local_server.route("/doc", Reply(body=b"%PDF", content_type="application/pdf"))
    assert (
        await probe_feed(pdf, options=FAST)
    ).problem == "not a feed: the server sent application/pdf"
    # Trouble that may pass is not a verdict: the feed may be followed, with a warning.
    busy = local_server.route("/busy.xml", Reply(status=503))
    assert (await probe_feed(busy, options=FAST)).unreachable == "HTTP 503 Service Unavailable"
    offline = await probe_feed(f"http://127.0.0.1:{unused_port}/f.xml", options=FAST)
    assert offline.problem is None and "Connection refused" in (offline.unreachable or "")
