"""check_articles against a real HTTP server on 127.0.0.1: versions stored, failures recorded."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from local_server import LocalServer, Reply, Request, news_page

from newsdiff_tui import tracker
from newsdiff_tui.diff import diff
from newsdiff_tui.errors import NotFoundError
from newsdiff_tui.fetch import FetchOptions
from newsdiff_tui.model import ArticleText, CheckState
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import utcnow
from newsdiff_tui.tracker import CheckEvent, CheckOptions, CheckSummary, check_articles

FAST = CheckOptions(
    fetch=FetchOptions(
        host_delay=0, timeout=2.0, retries=2, backoff=0.01, backoff_max=0.05, retry_after_max=0.1
    ),
    workers=1,
)


async def run_check(
    store: Store, article_id: str, options: CheckOptions = FAST
) -> tuple[CheckSummary, CheckEvent]:
    """Check one article; returns the summary and its final event."""
    events: list[CheckEvent] = []
    summary = await check_articles(
        store, [store.article(article_id)], options=options, on_event=events.append
    )
    finals = [e for e in events if e.state != "checking"]
    assert len(finals) == 1, events
    return summary, finals[0]


def page(seed: dict, number: int, variant: int = 0) -> str:
    version = seed["versions"][number]
    return news_page(version["title"], version["paragraphs"], variant=variant)


def text_of(seed: dict, number: int) -> tuple[str, tuple[str, ...]]:
    version = seed["versions"][number]
    return version["title"], tuple(version["paragraphs"])


async def test_versions_follow_the_text_not_the_boilerplate(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    url = local_server.route(
        "/2019/11/22/story.html",
        [
            Reply(body=page(seed_data, 0, variant=0)),
            Reply(body=page(seed_data, 0, variant=1)),  # nav, ads, scripts, "Updated" differ
            Reply(body=page(seed_data, 0, variant=2)),
            Reply(body=page(seed_data, 1, variant=3)),  # the article changed
        ],
    )
    article = store.add_article(url)

    summary, event = await run_check(store, article.id)
    assert (event.state, event.version) == ("changed", 0)
    assert summary.changed == 1 and summary.network_ok
    first = store.versions(article.id)
    assert (first[0].text.title, first[0].text.paragraphs) == text_of(seed_data, 0)

    for _ in range(2):
        summary, event = await run_check(store, article.id)
        assert event.state == "unchanged", event
        assert summary.unchanged == 1
    assert store.versions(article.id) == first

    summary, event = await run_check(store, article.id)
    assert (event.state, event.version) == ("changed", 1)
    versions = store.versions(article.id)
    assert len(versions) == 2
    assert (versions[1].text.title, versions[1].text.paragraphs) == text_of(seed_data, 1)
    assert versions[0] == first[0]
    assert store.article(article.id).check.checks == 4


async def test_not_modified_stores_nothing_and_downloads_no_body(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    url = local_server.route("/story", Reply(body=page(seed_data, 0), etag='"v0"'))
    article = store.add_article(url)
    await run_check(store, article.id)
    assert store.article(article.id).check.etag == '"v0"'
    sent_before = local_server.body_bytes_for("/story")
    assert sent_before > 0

    _, event = await run_check(store, article.id)

    assert event.state == "unchanged" and "304" in event.message
    assert local_server.requests_for("/story")[-1].headers["if-none-match"] == '"v0"'
    assert local_server.body_bytes_for("/story") == sent_before  # no body bytes sent
    assert len(store.versions(article.id)) == 1
    assert store.article(article.id).check.etag == '"v0"'


async def test_last_modified_is_sent_back(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    stamp = "Fri, 22 Nov 2019 09:15:00 GMT"
    url = local_server.route("/lm", Reply(body=page(seed_data, 0), last_modified=stamp))
    article = store.add_article(url)
    await run_check(store, article.id)
    _, event = await run_check(store, article.id)
    assert event.state == "unchanged"
    assert local_server.requests_for("/lm")[-1].headers["if-modified-since"] == stamp


async def test_same_bytes_skip_extraction(
    store: Store, local_server: LocalServer, seed_data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = local_server.route("/same", Reply(body=page(seed_data, 0)))
    article = store.add_article(url)
    calls: list[str] = []
    real = tracker._extract_job
    monkeypatch.setattr(tracker, "_extract_job", lambda html, u: calls.append(u) or real(html, u))
    await run_check(store, article.id)
    _, event = await run_check(store, article.id)
    assert event.state == "unchanged" and "same page" in event.message
    assert len(calls) == 1


async def test_server_error_then_success_is_retried(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    url = local_server.route("/flaky", [Reply(status=500), Reply(body=page(seed_data, 0))])
    article = store.add_article(url)
    _, event = await run_check(store, article.id)
    assert (event.state, event.version) == ("changed", 0)
    assert len(local_server.requests_for("/flaky")) == 2
    check = store.article(article.id).check
    assert check.failures == 0 and check.last_error is None


async def test_redirect_records_the_final_url(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    local_server.route("/old", Reply(status=301, headers={"Location": "/new"}))
    final = local_server.route("/new", Reply(body=page(seed_data, 0)))
    article = store.add_article(local_server.url("/old"))
    _, event = await run_check(store, article.id)
    assert event.state == "changed"
    assert store.article(article.id).check.final_url == final


def _failure_setups(server: LocalServer, seed: dict, port: int) -> dict[str, tuple[str, str]]:
    """Case name -> (article URL, words the failure message must contain)."""
    latin1 = page(seed, 0).replace('<meta charset="utf-8">', "").encode("latin-1", "replace")
    latin1 = latin1.replace(b"TOKYO", "TÔKYÔ".encode("latin-1"))
    server.route("/loop-a", Reply(status=302, headers={"Location": "/loop-b"}))
    server.route("/loop-b", Reply(status=302, headers={"Location": "/loop-a"}))
    return {
        "timeout": (server.route("/slow", Reply(body=page(seed, 1), delay=1.5)), "timed out"),
        "huge": (server.route("/huge", Reply(stream_bytes=20 * 1024 * 1024)), "too large"),
        "pdf": (
            server.route("/doc.pdf", Reply(body=b"%PDF-1.7 ...", content_type="application/pdf")),
            "application/pdf",
        ),
        "redirect-loop": (server.url("/loop-a"), "redirect loop"),
        "bad-charset": (
            server.route(
                "/charset", Reply(body=latin1, content_type="text/html; charset=x-klingon")
            ),
            "unknown charset 'x-klingon'",
        ),
        "file-url": ("file:///etc/passwd", "only http:// or https://"),
        "unreachable": (f"http://127.0.0.1:{port}/story", "cannot connect"),
        "server-error": (server.route("/broken", Reply(status=503)), "HTTP 503"),
        "not-found": (server.route("/gone", Reply(status=404)), "HTTP 404"),
        "consent-wall": (
            server.route(
                "/wall",
                Reply(body="<html><body><h1>Before you continue</h1></body></html>"),
            ),
            "no article text",
        ),
        "collapsed": (
            server.route(
                "/paywall",
                Reply(
                    body=news_page(
                        seed["versions"][1]["title"], [seed["versions"][1]["paragraphs"][0]]
                    )
                ),
            ),
            "collapsed",
        ),
    }


FAILURES = [
    "timeout",
    "huge",
    "pdf",
    "redirect-loop",
    "bad-charset",
    "file-url",
    "unreachable",
    "server-error",
    "not-found",
    "consent-wall",
    "collapsed",
]


@pytest.mark.parametrize("case", FAILURES)
async def test_failures_are_recorded_and_lose_nothing(
    case: str, store: Store, local_server: LocalServer, seed_data: dict, unused_port: int
) -> None:
    url, words = _failure_setups(local_server, seed_data, unused_port)[case]
    article = store.add_article(url)
    # The article already has a version and an earlier good check: neither may be lost.
    title, paragraphs = text_of(seed_data, 0)
    store.add_version(article.id, ArticleText(title=title, paragraphs=paragraphs))
    store.record_check(
        article.id, CheckState(last_checked=utcnow() - timedelta(hours=1), etag='"old"', checks=1)
    )
    before = store.versions(article.id)
    options = CheckOptions(
        fetch=FetchOptions(
            host_delay=0, timeout=0.3, retries=1, backoff=0.01, backoff_max=0.02, max_bytes=10 << 20
        ),
        workers=1,
    )

    summary, event = await run_check(store, article.id, options)
    huge_sent = local_server.body_bytes_for("/huge")
    summary2, _ = await run_check(store, article.id, options)

    assert event.state == "failed"
    assert words in event.message, event.message
    assert (summary.failed, summary.changed, summary2.failed) == (1, 0, 1)
    assert store.versions(article.id) == before
    check = store.article(article.id).check
    assert check.last_error == event.message
    assert check.failures == 2  # in a row
    assert check.etag == '"old"'  # validators of the last good check are kept
    if case == "huge":
        # The server streamed until the client hung up: 10 MB read, plus socket buffers.
        assert 10 * 1024 * 1024 < huge_sent < 20 * 1024 * 1024
    if case in {"file-url", "unreachable"}:
        assert not summary.network_ok
    else:
        assert summary.network_ok


async def test_a_failure_then_success_resets_the_count(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    url = local_server.route("/later", [Reply(status=404), Reply(body=page(seed_data, 0))])
    article = store.add_article(url)
    _, event = await run_check(store, article.id)
    assert event.state == "failed" and store.article(article.id).check.failures == 1
    _, event = await run_check(store, article.id)
    assert event.state == "changed"
    check = store.article(article.id).check
    assert (check.failures, check.last_error) == (0, None)


async def test_many_articles_in_a_process_pool(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    articles = [
        store.add_article(local_server.route(f"/s{i}", Reply(body=page(seed_data, i % 2, i))))
        for i in range(6)
    ]
    articles.append(articles[0])  # listed twice: skipped, not checked twice
    events: list[CheckEvent] = []
    options = CheckOptions(fetch=FetchOptions(host_delay=0), workers=2)
    summary = await check_articles(store, articles, options=options, on_event=events.append)
    assert (summary.checked, summary.changed, summary.skipped) == (6, 6, 1)
    states = [e.state for e in events]
    assert states.count("checking") == 6 and states.count("changed") == 6
    assert {e.total for e in events} == {7}
    for i, article in enumerate(articles[:6]):
        assert store.versions(article.id)[0].text.paragraphs == text_of(seed_data, i % 2)[1]


async def test_due_articles_follow_the_schedule(store: Store) -> None:
    fresh = store.add_article("http://127.0.0.1:9/fresh")
    checked = store.add_article("http://127.0.0.1:9/checked")
    store.record_check(checked.id, CheckState(last_checked=utcnow(), checks=1))
    due = tracker.due_articles(store)
    assert [a.id for a in due] == [fresh.id]
    later = tracker.due_articles(store, utcnow() + timedelta(minutes=20))
    assert {a.id for a in later} == {fresh.id, checked.id}


async def test_slow_extraction_fails_the_check(
    store: Store, local_server: LocalServer, seed_data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = local_server.route("/slow-extract", Reply(body=page(seed_data, 0)))
    article = store.add_article(url)

    def slow(html: str, url: str) -> ArticleText:
        time.sleep(0.5)
        raise AssertionError("should have timed out")

    monkeypatch.setattr(tracker, "_extract_job", slow)
    options = CheckOptions(fetch=FAST.fetch, workers=1, extract_timeout=0.1)
    _, event = await run_check(store, article.id, options)
    assert event.state == "failed" and "took longer than 0.1 s" in event.message
    assert store.versions(article.id) == []


async def test_a_broken_store_write_fails_one_article_not_the_run(
    store: Store, local_server: LocalServer, seed_data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = store.add_article(local_server.route("/good", Reply(body=page(seed_data, 0))))
    bad = store.add_article(local_server.route("/bad", Reply(body=page(seed_data, 1))))
    real = store.add_version

    def flaky(article_id: str, *args: object, **kwargs: object) -> object:
        if article_id == bad.id:
            raise OSError(28, "No space left on device")
        return real(article_id, *args, **kwargs)

    monkeypatch.setattr(store, "add_version", flaky)
    events: list[CheckEvent] = []
    summary = await check_articles(store, [good, bad], options=FAST, on_event=events.append)
    assert (summary.changed, summary.failed) == (1, 1)
    failed = next(e for e in events if e.state == "failed")
    assert failed.article_id == bad.id and "No space left" in failed.message
    assert store.article(bad.id).check.failures == 1


async def test_a_dead_extraction_worker_fails_its_pages_not_the_run(
    store: Store, local_server: LocalServer, seed_data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = [
        store.add_article(local_server.route(f"/w{i}", Reply(body=page(seed_data, 0, i))))
        for i in range(3)
    ]
    made: list[object] = []
    real = tracker.make_extract_pool

    def broken_then_real(workers: int | None = None) -> object:
        pool = real(1)
        if not made:  # the first pool loses its worker before any page reaches it
            pool.submit(os.getpid).result()
            for process in list(pool._processes.values()):  # type: ignore[attr-defined]
                process.kill()
                process.join()
        made.append(pool)
        return pool

    monkeypatch.setattr(tracker, "make_extract_pool", broken_then_real)
    options = CheckOptions(fetch=FAST.fetch, workers=2)
    events: list[CheckEvent] = []
    summary = await check_articles(store, articles, options=options, on_event=events.append)
    assert summary.checked == 3 and summary.failed >= 1
    assert all("BrokenProcessPool" in e.message for e in events if e.state == "failed"), events
    assert len(made) == 2  # replaced once, however many jobs saw it broken
    summary = await check_articles(store, [store.article(a.id) for a in articles], options=options)
    assert summary.failed == 0


POOL_UNDER_TEXTUAL = """
import io, sys
from newsdiff_tui.tracker import _extract_job, make_extract_pool


class TextualStderr(io.StringIO):
    # What Textual puts in sys.stderr while an app runs: no file descriptor.
    def fileno(self) -> int:
        return -1


if __name__ == "__main__":
    real = sys.stderr
    sys.stderr = TextualStderr()
    pool = make_extract_pool(2)
    page = "<html><title>T</title><body><article><p>{body}</p></article></body></html>"
    text = pool.submit(_extract_job, page, "http://127.0.0.1/a").result(timeout=60)
    pool.shutdown()
    sys.stderr = real
    print(text.title)
"""


def test_the_pool_starts_when_stderr_has_no_file_descriptor(tmp_path) -> None:
    """Textual's stderr has fileno() -1; multiprocessing's helpers used to fail to start."""
    import subprocess
    import sys

    script = tmp_path / "pool_under_textual.py"
    body = "A sentence long enough to be an article paragraph, repeated. " * 20
    script.write_text(POOL_UNDER_TEXTUAL.replace("{body}", body), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "T"


# ----- change summaries, group commit, claims ---------------------------------------------
async def test_changed_events_carry_the_title_and_the_diff_stats(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    url = local_server.route(
        "/story", [Reply(body=page(seed_data, 0)), Reply(body=page(seed_data, 1, variant=2))]
    )
    article = store.add_article(url)
    _, first = await run_check(store, article.id)
    assert (first.version, first.diff) == (0, None)
    words = store.versions(article.id)[0].text.word_count
    assert first.message == f"first version ({words} words)"
    assert first.title == seed_data["versions"][0]["title"]

    _, second = await run_check(store, article.id)

    v0, v1 = store.versions(article.id)
    expected = diff(v0.text, v1.text)
    assert second.version == 1 and second.title == v1.text.title
    assert second.diff is not None and second.diff.stats == expected.stats
    assert second.diff.title.changed == expected.title.changed
    assert second.diff.paragraphs == ()  # only the summary travels back from the worker
    assert second.message == ""


async def test_unchanged_and_failed_events_carry_the_stored_title(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    url = local_server.route("/t", [Reply(body=page(seed_data, 0)), Reply(status=404)])
    article = store.add_article(url)
    _, first = await run_check(store, article.id)
    _, failed = await run_check(store, article.id)
    assert failed.state == "failed" and failed.title == first.title != ""
    fresh = store.add_article(local_server.route("/never", Reply(status=404)))
    _, never = await run_check(store, fresh.id)
    assert never.title == ""  # no version yet: the CLI shows the URL instead


async def test_writes_that_queue_up_are_committed_together(store: Store) -> None:
    ids = [store.add_article(f"https://news.example/{n}").id for n in range(10)]
    writer = tracker._GroupWriter(store)
    try:
        states = [CheckState(checks=1, etag=f'"{n}"') for n in range(10)]
        results = await asyncio.gather(
            *(writer.write(store.record_check, i, s) for i, s in zip(ids, states, strict=True)),
            writer.write(store.record_check, "no-such-article", states[0]),
            return_exceptions=True,
        )
    finally:
        await writer.aclose()
    assert writer.groups == 1  # queued while nothing was committing: one group
    assert [r.check.etag for r in results[:10]] == [f'"{n}"' for n in range(10)]
    assert isinstance(results[10], NotFoundError)  # a failing call fails alone
    assert Store(store.root).article(ids[9]).check.etag == '"9"'


async def test_a_second_run_skips_the_articles_the_first_is_checking(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    gate = threading.Event()
    arrived = threading.Semaphore(0)

    def held(request: Request) -> Reply:
        arrived.release()
        gate.wait(10)
        return Reply(body=page(seed_data, 0))

    articles = [store.add_article(local_server.route(f"/h{i}", held)) for i in range(3)]
    free = store.add_article(local_server.route("/free", Reply(body=page(seed_data, 1))))
    patient = CheckOptions(fetch=replace(FAST.fetch, timeout=60), workers=1)
    first = asyncio.create_task(check_articles(store, articles, options=patient))
    for _ in range(3):  # the first run's requests are all at the server, waiting
        await asyncio.to_thread(arrived.acquire)
    events: list[CheckEvent] = []
    second = await check_articles(store, [*articles, free], options=FAST, on_event=events.append)
    gate.set()
    first_summary = await first
    assert (second.skipped, second.changed) == (3, 1)
    skipped = [e for e in events if e.state == "skipped"]
    assert {e.article_id for e in skipped} == {a.id for a in articles}
    assert all(f"being checked by another run (pid {os.getpid()})" in e.message for e in skipped)
    assert first_summary.changed == 3
    assert len(local_server.requests) == 4  # each article fetched once
    # Claims end with their run: a third run checks them again.
    third = await check_articles(store, [store.article(a.id) for a in articles], options=FAST)
    assert third.skipped == 0 and third.checked == 3


async def test_an_article_checked_meanwhile_is_left_out_of_a_due_run(
    store: Store, local_server: LocalServer, seed_data: dict
) -> None:
    article = store.add_article(local_server.route("/m", Reply(body=page(seed_data, 0))))
    listed = tracker.due_articles(store)
    store.record_check(article.id, CheckState(last_checked=utcnow(), checks=1))  # another run
    events: list[CheckEvent] = []
    summary = await check_articles(
        store,
        listed,
        options=FAST,
        on_event=events.append,
        still_due=lambda a: tracker.is_due(a, utcnow()),
    )
    assert (summary.checked, summary.skipped) == (0, 1)
    assert events[-1].message == "checked meanwhile by another run"
    assert local_server.requests == []


def test_claims_end_with_their_run_even_when_it_is_killed(store: Store, tmp_path) -> None:
    """A claim counts only while its run's process holds its lock: a SIGKILLed run's claims
    are void at once, with no time-out."""
    import subprocess
    import sys

    from newsdiff_tui.claims import RunClaims

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from newsdiff_tui.store import Store; "
            "from newsdiff_tui.claims import RunClaims; "
            "c = RunClaims(Store(sys.argv[1])); print(c.claim(['a', 'b'])[0] == {'a', 'b'}, "
            "flush=True); sys.stdin.read()",
            str(store.root),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        with RunClaims(store) as ours:
            owned, taken = ours.claim(["a", "c"])
            assert owned == {"c"} and taken == {"a": f"pid {holder.pid}"}
    finally:
        holder.kill()
        holder.wait()
    with RunClaims(store) as ours:
        assert ours.claim(["a", "b"]) == ({"a", "b"}, {})
    assert sorted(p.name for p in (store.root / ".runs").iterdir()) == ["claims.json"]
