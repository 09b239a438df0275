"""Backfill against a fake Wayback Machine on 127.0.0.1, in simulated time.

Every case of issue 12's list ends as stored versions or a clear recorded failure, and the
live version stored before the backfill never changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from fake_archive import (
    FakeArchive,
    SimulatedClock,
    capture_reply,
    fake_archive_fixture,  # noqa: F401 - the fixture ``fake_archive``
    gzipped,
    memento_datetime,
    page,
)
from local_server import Reply

from newsdiff_tui import archive
from newsdiff_tui import backfill as backfill_module
from newsdiff_tui.archive import ArchiveGate, WaybackClient
from newsdiff_tui.backfill import BackfillEvent, BackfillOptions, BackfillSummary, backfill_run
from newsdiff_tui.model import Article, ArticleText, Version, wayback_link
from newsdiff_tui.store import Store

URL = "https://www.nytimes.com/2019/11/22/world/asia/pact.html"
LIVE_AT = datetime(2019, 11, 23, 12, 0, tzinfo=UTC)
SENTENCE = "Officials in Seoul said on Friday that the decision to extend the pact was final"


def paragraphs(tag: str, count: int = 3) -> list[str]:
    """Article paragraphs (well over the 25-word minimum) that differ by ``tag``."""
    return [
        f"{SENTENCE}, {tag} report number {n} said in a statement to reporters."
        for n in range(count)
    ]


def body(tag: str, count: int = 3) -> str:
    return page(f"Pact news {tag}", paragraphs(tag, count))


@pytest.fixture
def live(store: Store) -> Article:
    """An article with one live version (the first check happened after the captures)."""
    article = store.add_article(URL)
    store.add_version(
        article.id, ArticleText("Pact news live", None, None, tuple(paragraphs("live"))), LIVE_AT
    )
    return store.article(article.id)


def backfill(
    store: Store,
    fake: FakeArchive,
    articles: Sequence[Article] | None = None,
    *,
    clock: SimulatedClock | None = None,
    options: BackfillOptions | None = None,
    page_rows: int = 500,
    events: list[BackfillEvent] | None = None,
) -> BackfillSummary:
    """Backfill ``articles`` (default: all) in simulated time through a fresh gate, and check
    that every version stored before is still there, unchanged (renumbering aside)."""
    before = {a.id: kept(store.versions(a.id)) for a in store.articles()}
    clock = clock or SimulatedClock()
    fake.clock = clock
    gate = ArchiveGate(clock=clock)
    notes = events if events is not None else []

    def pause(message: str) -> None:
        notes.append(BackfillEvent("", "", "paused", message))

    async def go() -> BackfillSummary:
        async with WaybackClient(
            base=fake.base, gate=gate, page_rows=page_rows, on_pause=pause
        ) as client:
            (summary,) = await clock.run(
                backfill_run(
                    store,
                    articles if articles is not None else store.articles(),
                    options,
                    client=client,
                    on_event=notes.append,
                )
            )
            return summary

    summary = asyncio.run(go())
    for article_id, versions in before.items():
        assert versions <= kept(store.versions(article_id))
    return summary


def kept(versions: Sequence[Version]) -> set[tuple]:
    """What must never change in a stored version (its number may shift)."""
    return {(v.text, v.fetched_at, v.text_hash, v.origin, v.origin_ref) for v in versions}


def texts(versions: Sequence[Version]) -> list[tuple[str, str]]:
    """(title's last word, origin) per version, in order."""
    return [(v.text.title.rsplit(" ", 1)[-1], v.origin) for v in versions]


def downloads(fake: FakeArchive) -> int:
    return len(fake.times("capture"))


def live_version_unchanged(store: Store, article: Article) -> None:
    (kept,) = [v for v in store.versions(article.id) if v.origin == "live"]
    assert kept.fetched_at == LIVE_AT and kept.text.title == "Pact news live"


# ----- the ordinary case --------------------------------------------------------------------
def test_captures_before_the_first_live_version_become_versions(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    fake_archive.add(URL, "20191122091500", body("a"))
    fake_archive.add(URL, "20191122094700", body("b"))
    fake_archive.add(URL, "20191122100000", body("b"), digest="SAME-AS-B-BUT-REFETCHED")
    fake_archive.add(URL, "20191124000000", body("after"))  # after the live version: not wanted
    events: list[BackfillEvent] = []
    summary = backfill(store, fake_archive, events=events)
    versions = store.versions(live.id)
    assert texts(versions) == [("a", "wayback"), ("b", "wayback"), ("live", "live")]
    first = versions[0]
    assert first.origin_ref == "20191122091500"
    assert first.origin_url == wayback_link("20191122091500", URL)
    assert first.fetched_at == datetime(2019, 11, 22, 9, 15, tzinfo=UTC)
    (result,) = summary.articles
    assert (result.captures, result.downloaded, result.stored) == (3, 3, 2)
    assert "20191124" not in " ".join(path for _, _, path in fake_archive.log)
    progress = [f"{e.index}/{e.total}" for e in events if e.state == "capture"]
    assert progress == ["1/3", "2/3", "3/3"]
    assert summary.line().startswith("backfilled 1 article: 2 versions stored from 3 captures")
    live_version_unchanged(store, live)
    state = store.backfill_state(live.id)
    assert state.last_error is None and state.searched_at is not None and len(state.texts) == 3
    assert store.article(live.id).archived_versions == 2


def test_a_second_run_fetches_nothing_it_already_has(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    fake_archive.add(URL, "20191122091500", body("a"))
    fake_archive.add(URL, "20191122094700", body("b"))
    backfill(store, fake_archive)
    shard = store.shard_path(live.id)
    before = (shard.read_bytes(), downloads(fake_archive))
    summary = backfill(store, fake_archive)
    assert (shard.read_bytes()[:0], downloads(fake_archive)) == (b"", before[1])
    assert summary.articles[0].downloaded == 0 and summary.stored == 0
    assert texts(store.versions(live.id)) == [("a", "wayback"), ("b", "wayback"), ("live", "live")]


def test_limit_stops_an_article_and_the_next_run_goes_on(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    for n, stamp in enumerate(("20191122090000", "20191122100000", "20191122110000")):
        fake_archive.add(URL, stamp, body(f"v{n}"))
    first = backfill(store, fake_archive, options=BackfillOptions(limit=2))
    assert first.articles[0].downloaded == 2 and first.articles[0].more
    assert "more left" in first.articles[0].line()
    second = backfill(store, fake_archive, options=BackfillOptions(limit=2))
    assert second.articles[0].downloaded == 1 and not second.articles[0].more
    assert len(store.versions(live.id)) == 4


def test_captures_outside_the_window_are_never_taken(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    """Even from an archive that answers more than the window asked for."""
    fake_archive.ignore_range = True
    fake_archive.add(URL, "20191121000000", body("early"))
    fake_archive.add(URL, "20191122091500", body("a"))
    fake_archive.add(URL, "20191123120000", body("same second as the live check"))
    summary = backfill(
        store, fake_archive, options=BackfillOptions(since=datetime(2019, 11, 22, tzinfo=UTC))
    )
    assert texts(store.versions(live.id)) == [("a", "wayback"), ("live", "live")]
    assert summary.articles[0].captures == 1 and downloads(fake_archive) == 1


def test_since_limits_the_search(store: Store, live: Article, fake_archive: FakeArchive) -> None:
    fake_archive.add(URL, "20191121090000", body("old"))
    fake_archive.add(URL, "20191122090000", body("new"))
    backfill(store, fake_archive, options=BackfillOptions(since=datetime(2019, 11, 22, tzinfo=UTC)))
    assert texts(store.versions(live.id)) == [("new", "wayback"), ("live", "live")]
    (cdx,) = [path for _, kind, path in fake_archive.log if kind == "cdx"]
    assert "from=20191122000000" in cdx and "to=20191123120000" in cdx


def test_an_article_without_live_versions_takes_every_capture(
    store: Store, fake_archive: FakeArchive
) -> None:
    article = store.add_article(URL)
    fake_archive.add(URL, "20191122091500", body("a"))
    fake_archive.add(URL, "20250101000000", body("z"))
    backfill(store, fake_archive)
    assert texts(store.versions(article.id)) == [("a", "wayback"), ("z", "wayback")]
    (cdx,) = [path for _, kind, path in fake_archive.log if kind == "cdx"]
    assert "to=" not in cdx


# ----- the cases of the list ----------------------------------------------------------
def test_paging_by_resume_key(store: Store, live: Article, fake_archive: FakeArchive) -> None:
    for n in range(5):
        fake_archive.add(URL, f"2019112209{n:02d}00", body(f"p{n}"))
    summary = backfill(store, fake_archive, page_rows=2)
    cdx = [path for _, kind, path in fake_archive.log if kind == "cdx"]
    assert len(cdx) == 3 and "resumeKey" not in cdx[0] and "resumeKey=4" in cdx[2]
    assert summary.articles[0].captures == 5
    assert len(store.versions(live.id)) == 6


def test_revisits_and_dash_status_rows(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    fake_archive.add(URL, "20191122090000", body("a"), digest="DA")
    fake_archive.add(URL, "20191122100000", body("b"), digest="DB")
    # A revisit record: the bytes of the capture with digest DA, seen again after B.
    fake_archive.rows.append(["20191122110000", URL, "-", "DA", "warc/revisit"])
    # A "-" status row that is not a revisit, and a capture that is not a page.
    fake_archive.rows.append(["20191122113000", URL, "-", "DX", "text/html"])
    fake_archive.rows.append(["20191122114000", URL, "200", "DP", "application/pdf"])
    summary = backfill(store, fake_archive)
    assert downloads(fake_archive) == 2  # the revisit's text is the one digest DA gave
    versions = store.versions(live.id)
    assert texts(versions) == [
        ("a", "wayback"),
        ("b", "wayback"),
        ("a", "wayback"),
        ("live", "live"),
    ]
    assert versions[2].revert_of == 0 and versions[2].origin_ref == "20191122110000"
    assert summary.articles[0].captures == 3


def test_duplicate_digests_are_downloaded_once(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    """collapse=digest only drops consecutive duplicates: A, B, A comes back whole."""
    fake_archive.add(URL, "20191122090000", body("a"), digest="DA")
    fake_archive.add(URL, "20191122100000", body("b"), digest="DB")
    fake_archive.rows.append(["20191122110000", URL, "200", "DA", "text/html"])
    backfill(store, fake_archive)
    assert downloads(fake_archive) == 2
    assert [v.revert_of for v in store.versions(live.id)] == [None, None, 0, None]


def test_a_429_pauses_for_its_retry_after_and_is_reported(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    fake_archive.add(URL, "20191122090000", body("a"))
    fake_archive.cdx_replies.append(Reply(status=429, headers={"Retry-After": "90"}))
    events: list[BackfillEvent] = []
    backfill(store, fake_archive, events=events)
    (throttled, retried) = fake_archive.times("cdx")
    assert retried - throttled >= 90
    (paused,) = [e for e in events if e.state == "paused"]
    assert "HTTP 429" in paused.message and "90 s" in paused.message
    assert texts(store.versions(live.id)) == [("a", "wayback"), ("live", "live")]


def test_a_503_then_success_is_retried_with_backoff(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    stamp = "20191122090000"
    fake_archive.add(URL, stamp, [Reply(status=503), capture_reply(stamp, body("a"))])
    backfill(store, fake_archive)
    first, second = fake_archive.times("capture")
    assert second - first >= 2  # backoff, not a tight loop
    assert texts(store.versions(live.id)) == [("a", "wayback"), ("live", "live")]


def test_a_search_that_keeps_failing_is_a_recorded_failure(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    fake_archive.cdx_replies += [Reply(status=503)] * 4
    before = store.versions(live.id)
    summary = backfill(store, fake_archive)
    assert len(fake_archive.times("cdx")) == 4
    assert "HTTP 503 after 4 attempts" in (summary.articles[0].error or "")
    assert "HTTP 503" in (store.backfill_state(live.id).last_error or "")
    assert store.versions(live.id) == before


def test_a_double_gzipped_capture_is_unpacked(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    stamp = "20191122090000"
    reply = Reply(
        body=gzipped(body("zipped"), times=2),
        headers={"Content-Encoding": "gzip", "Memento-Datetime": memento_datetime(stamp)},
    )
    fake_archive.add(URL, stamp, reply)
    backfill(store, fake_archive)
    assert texts(store.versions(live.id)) == [("zipped", "wayback"), ("live", "live")]


def test_a_capture_without_memento_datetime_is_a_recorded_failure(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    fake_archive.add(URL, "20191122090000", body("a"), memento=False)
    fake_archive.add(URL, "20191122100000", body("b"))
    summary = backfill(store, fake_archive)
    assert texts(store.versions(live.id)) == [("b", "wayback"), ("live", "live")]
    error = store.backfill_state(live.id).last_error or ""
    assert "capture 20191122090000" in error and "no Memento-Datetime" in error
    assert summary.articles[0].failed == 1
    # Not remembered as refused: the next run tries it again (and only it).
    backfill(store, fake_archive)
    assert downloads(fake_archive) == 3
    live_version_unchanged(store, live)


def test_archived_error_pages_are_refused_and_remembered(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    stamp = "20191122090000"
    fake_archive.add(
        URL,
        stamp,
        Reply(
            status=404,
            body=page("Not Found", ["Page not found."]),
            headers={"Memento-Datetime": memento_datetime(stamp)},
        ),
    )
    fake_archive.add(
        URL, "20191122093000", page("Page Not Found", ["Sorry, we could not find that page."])
    )
    fake_archive.add(URL, "20191122100000", body("b"))
    summary = backfill(store, fake_archive)
    assert texts(store.versions(live.id)) == [("b", "wayback"), ("live", "live")]
    refused = store.backfill_state(live.id).refused
    assert sorted(refused.values())[0].startswith("archived error page (HTTP 404")
    assert any("rule: wall" in reason for reason in refused.values())  # its title says 404
    assert summary.articles[0].refused == 2
    again = backfill(store, fake_archive)
    assert again.articles[0].downloaded == 0 and again.articles[0].refused == 2
    live_version_unchanged(store, live)


def test_redirects_within_the_archive_are_followed_and_stubs_refused(
    store: Store, live: Article, fake_archive: FakeArchive
) -> None:
    near = fake_archive.add(URL, "20191122090500", body("near"))
    # The archive sends an id_ request to the nearest capture of the same page...
    fake_archive.rows.append(["20191122090000", URL, "200", "DNEAR", "text/html"])
    fake_archive.server.route(
        f"/web/20191122090000id_/{URL}",
        Reply(status=302, headers={"Location": fake_archive.server.url(near)}),
    )
    # ... but a capture that redirects to another page is a stub.
    fake_archive.add(
        URL,
        "20191122100000",
        Reply(status=302, headers={"Location": "https://www.nytimes.com/subscribe"}),
    )
    backfill(store, fake_archive)
    versions = store.versions(live.id)
    assert texts(versions) == [("near", "wayback"), ("live", "live")]
    assert versions[0].origin_ref == "20191122090500"  # the capture the archive served
    assert any("redirect stub" in r for r in store.backfill_state(live.id).refused.values())


def test_captures_that_are_not_pages_are_refused(
    store: Store, live: Article, fake_archive: FakeArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MAX_BYTES", 50_000)
    stamp = "20191122090000"
    image = capture_reply(stamp, b"\x89PNG...")
    fake_archive.add(
        URL, stamp, Reply(body=image.body, content_type="image/png", headers=image.headers)
    )
    fake_archive.add(URL, "20191122091000", page("Huge", ["word " * 20_000]))
    fake_archive.add(URL, "20191122092000", body("fine"))
    fake_archive.rows.append(["20191122093000", URL + "?ref=\x1b[2J", "200", "DJ", "text/html"])
    backfill(store, fake_archive)
    assert texts(store.versions(live.id)) == [("fine", "wayback"), ("live", "live")]
    reasons = sorted(store.backfill_state(live.id).refused.values())
    assert [r.split(":")[0] for r in reasons] == [
        "not a web page",
        "the archived URL cannot be requested",
        "too large",
    ]
    assert downloads(fake_archive) == 3  # the bad URL was never requested


def test_a_page_the_extractor_cannot_read_is_refused(
    store: Store, live: Article, fake_archive: FakeArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = backfill_module.extract

    def fragile(html: str, url: str | None = None) -> ArticleText:
        if "poison" in html:
            raise RecursionError("maximum recursion depth exceeded")
        return real(html, url)

    monkeypatch.setattr(backfill_module, "extract", fragile)
    fake_archive.add(URL, "20191122090000", body("poison"))
    fake_archive.add(URL, "20191122100000", body("b"))
    backfill(store, fake_archive)
    assert texts(store.versions(live.id)) == [("b", "wayback"), ("live", "live")]
    assert list(store.backfill_state(live.id).refused.values()) == [
        "extraction failed: RecursionError"
    ]


def test_an_unreachable_archive_stops_the_run(
    store: Store, live: Article, unused_port: int
) -> None:
    clock = SimulatedClock()
    gate = ArchiveGate(clock=clock)

    async def go() -> BackfillSummary:
        async with WaybackClient(base=f"http://127.0.0.1:{unused_port}", gate=gate) as client:
            (summary,) = await clock.run(backfill_run(store, [live, live], client=client))
            return summary

    summary = asyncio.run(go())
    assert summary.stopped and "cannot reach the archive" in summary.stopped
    assert len(summary.articles) == 1
    assert "cannot reach" in (store.backfill_state(live.id).last_error or "")
    live_version_unchanged(store, live)


def test_429s_in_a_row_stop_the_run(store: Store, live: Article, fake_archive: FakeArchive) -> None:
    fake_archive.cdx_replies += [Reply(status=429)] * 5
    summary = backfill(store, fake_archive)
    assert summary.stopped and "slow down 3 times in a row" in summary.stopped
    times = fake_archive.times("cdx")
    assert len(times) == 3 and times[1] - times[0] >= 60 and times[2] - times[1] >= 120
    live_version_unchanged(store, live)


# ----- politeness: the limiter holds with N concurrent backfills ---------------------------
def most_in_any_window(times: Sequence[float], window: float) -> int:
    ordered = sorted(times)
    return max(
        (sum(1 for t in ordered if start <= t < start + window) for start in ordered), default=0
    )


def concurrent_backfills(
    store: Store, fake: FakeArchive, articles: int, captures: int
) -> tuple[list[BackfillSummary], list[Article]]:
    """``articles`` backfills at once, each of ``captures`` captures (one CDX page each),
    through one gate with the default limits, in simulated time."""
    clock = SimulatedClock()
    fake.clock = clock
    gate = ArchiveGate(clock=clock)  # the defaults: 24 searches a minute, 2 captures a second
    tracked = []
    for n in range(articles):
        url = f"https://www.nytimes.com/2019/11/22/world/story-{n}.html"
        tracked.append(store.add_article(url))
        for c in range(captures):
            fake.add(url, f"201911220{c}0000", body(f"s{n}c{c}"))

    async def go() -> list[BackfillSummary]:
        async with WaybackClient(base=fake.base, gate=gate, page_rows=1) as client:
            return await clock.run(
                *(backfill_run(store, [article], client=client) for article in tracked)
            )

    return asyncio.run(go()), tracked


def test_concurrent_backfills_never_exceed_the_rates(
    store: Store, fake_archive: FakeArchive
) -> None:
    summaries, articles = concurrent_backfills(store, fake_archive, articles=6, captures=6)
    assert all(s.stopped is None for s in summaries)
    cdx_times, capture_times = fake_archive.times("cdx"), fake_archive.times("capture")
    assert len(cdx_times) == 6 * 6  # one search per capture: more than a minute's worth
    assert most_in_any_window(cdx_times, 60.0) == 24
    assert len(capture_times) == 6 * 6 and most_in_any_window(capture_times, 1.0) == 2
    assert sum(len(store.versions(a.id)) for a in articles) == 6 * 6


def test_a_429_stops_every_archive_request_until_its_retry_after(
    store: Store, fake_archive: FakeArchive
) -> None:
    fake_archive.cdx_at[5] = Reply(status=429, headers={"Retry-After": "120"})
    summaries, articles = concurrent_backfills(store, fake_archive, articles=4, captures=3)
    assert all(s.stopped is None for s in summaries)
    throttled = sorted(fake_archive.times("cdx"))[4]
    everything = fake_archive.times()
    assert not [t for t in everything if throttled < t < throttled + 120]
    assert [t for t in everything if t >= throttled + 120]  # and then it goes on
    assert sum(len(store.versions(a.id)) for a in articles) == 4 * 3
