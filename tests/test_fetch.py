"""The fetcher against a real HTTP server on 127.0.0.1: limits, retries, charsets, manners."""

from __future__ import annotations

import asyncio
import email.utils
import time
from dataclasses import replace

from local_server import LocalServer, Reply

from newsdiff_tui.fetch import (
    GROW_AFTER,
    USER_AGENT,
    Fetcher,
    FetchOptions,
    SiteSlowdown,
    _Site,
)

FAST = FetchOptions(host_delay=0, timeout=2.0, retries=2, backoff=0.01, backoff_max=0.05)


async def fetch(url: str, options: FetchOptions = FAST, **kwargs: object):
    async with Fetcher(options) as fetcher:
        return await fetcher.fetch(url, **kwargs)  # type: ignore[arg-type]


async def test_user_agent_names_the_tool_and_version(local_server: LocalServer) -> None:
    url = local_server.route("/", Reply(body="<p>hi</p>"))
    result = await fetch(url)
    assert result.ok and result.status == 200
    agent = local_server.requests[-1].headers["user-agent"]
    assert agent == USER_AGENT and agent.startswith("newsdiff-tui/0.")


async def test_conditional_request_gets_304_without_body(local_server: LocalServer) -> None:
    url = local_server.route("/p", Reply(body="<p>" + "x" * 5000 + "</p>", etag='"e1"'))
    first = await fetch(url)
    assert first.etag == '"e1"' and first.body
    sent = local_server.body_bytes_sent
    second = await fetch(url, etag='"e1"')
    assert second.not_modified and second.body is None and second.ok
    assert local_server.body_bytes_sent == sent
    assert local_server.requests[-1].headers["if-none-match"] == '"e1"'


async def test_answers_without_a_body_keep_the_connection(local_server: LocalServer) -> None:
    """A 304, a redirect and a 429 are read to their end, so the next request to the site
    reuses the connection instead of opening a new one."""
    page = local_server.route("/p", Reply(body="<p>x</p>", etag='"e"'))
    local_server.route("/moved", Reply(status=301, headers={"Location": "/p"}))
    local_server.route("/busy", [Reply(status=429, headers={"Retry-After": "0"}), Reply()])
    async with Fetcher(replace(FAST, per_site=1)) as fetcher:
        for url in [page, page, local_server.url("/moved"), local_server.url("/busy")]:
            result = await fetcher.fetch(url, etag='"e"')
            assert result.ok
    assert len({r.client_port for r in local_server.requests}) == 1
    assert len(local_server.requests) == 6


async def test_429_honours_retry_after(local_server: LocalServer) -> None:
    url = local_server.route(
        "/busy", [Reply(status=429, headers={"Retry-After": "1"}), Reply(body="<p>ok</p>")]
    )
    started = time.monotonic()
    result = await fetch(url, FetchOptions(host_delay=0, backoff=0.01, retry_after_max=5))
    assert result.ok and result.attempts == 2
    assert time.monotonic() - started >= 0.9  # waited as the server asked
    local_server.route("/busy2", [Reply(status=429, headers={"Retry-After": "3600"}), Reply()])
    started = time.monotonic()
    result = await fetch(
        local_server.url("/busy2"), FetchOptions(retry_after_max=0.1, host_delay=0)
    )
    # An hour is more than a run waits (retry_after_max): failed with the reason, not retried
    # early and not waited for.
    assert not result.ok and result.attempts == 1 and "wait 1 hour" in (result.error or "")
    assert time.monotonic() - started < 2


async def test_retries_give_up_with_a_clear_message(local_server: LocalServer) -> None:
    url = local_server.route("/down", Reply(status=502))
    result = await fetch(url)
    assert result.error == "HTTP 502 Bad Gateway after 3 attempts"
    assert len(local_server.requests_for("/down")) == 3


async def test_size_limit_is_enforced_while_streaming(local_server: LocalServer) -> None:
    url = local_server.route("/big", Reply(stream_bytes=4 * 1024 * 1024))
    result = await fetch(url, FetchOptions(host_delay=0, max_bytes=1024 * 1024))
    assert result.error == "page too large: more than 1 MB (stopped reading)"
    declared = local_server.route("/declared", Reply(body=b"x" * 2_000_000))
    result = await fetch(declared, FetchOptions(host_delay=0, max_bytes=1024 * 1024))
    assert result.error == "page too large: 1.9 MB (limit 1 MB)"


async def test_charset_from_header_or_document(local_server: LocalServer) -> None:
    body = "<html><body><p>Café in Zürich</p></body></html>".encode("latin-1")
    url = local_server.route("/h", Reply(body=body, content_type="text/html; charset=ISO-8859-1"))
    assert "Café in Zürich" in (await fetch(url)).text
    meta = b'<html><head><meta charset="windows-1252"></head>' + body[6:]
    url = local_server.route("/m", Reply(body=meta, content_type="text/html"))
    assert "Café in Zürich" in (await fetch(url)).text
    # An unknown label on a valid UTF-8 page falls back to UTF-8 rather than failing.
    utf8 = "<p>Café</p>".encode()
    url = local_server.route("/u", Reply(body=utf8, content_type="text/html; charset=bogus"))
    assert (await fetch(url)).text == "<p>Café</p>"


async def test_redirect_target_must_be_http(local_server: LocalServer) -> None:
    url = local_server.route("/r", Reply(status=302, headers={"Location": "ftp://x/y"}))
    result = await fetch(url)
    assert result.error is not None and "only http:// or https://" in result.error


async def test_feeds_accept_xml_but_pages_do_not(local_server: LocalServer) -> None:
    url = local_server.route("/f", Reply(body="<rss/>", content_type="application/rss+xml"))
    assert (await fetch(url, kind="feed")).ok
    assert "not an HTML page" in ((await fetch(url)).error or "")


async def test_global_concurrency_limit(local_server: LocalServer) -> None:
    for i in range(6):
        local_server.route(f"/c{i}", Reply(body="<p>x</p>", delay=0.2))
    options = FetchOptions(concurrency=2, per_site=8, host_delay=0)
    started = time.monotonic()
    async with Fetcher(options) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(local_server.url(f"/c{i}")) for i in range(6))
        )
    elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert 0.55 < elapsed < 1.5  # three waves of two


async def test_polite_delay_between_requests_to_one_host(local_server: LocalServer) -> None:
    for i in range(3):
        local_server.route(f"/d{i}", Reply(body="<p>x</p>"))
    options = FetchOptions(concurrency=8, per_site=8, host_delay=0.25)
    started = time.monotonic()
    async with Fetcher(options) as fetcher:
        await asyncio.gather(*(fetcher.fetch(local_server.url(f"/d{i}")) for i in range(3)))
    assert time.monotonic() - started >= 0.5  # starts at 0, 0.25 and 0.5 s


# ----- manners per site -------------------------------------------------------------------
async def _fetch_all(options: FetchOptions, urls: list[str]) -> tuple[list, Fetcher]:
    async with Fetcher(options) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    return results, fetcher


async def test_four_requests_in_flight_per_site_by_default(local_server: LocalServer) -> None:
    urls = [local_server.route(f"/p{i}", Reply(body="<p>x</p>", delay=0.3)) for i in range(10)]
    defaults = FetchOptions()
    assert (defaults.per_site, defaults.host_delay, defaults.concurrency) == (4, 0.0, 8)
    results, fetcher = await _fetch_all(replace(FAST, per_site=defaults.per_site), urls)
    assert all(r.ok for r in results)
    assert local_server.max_in_flight == 4
    assert fetcher.slowdowns() == []  # nothing slowed us down


async def test_per_site_sets_the_most_in_flight(local_server: LocalServer) -> None:
    urls = [local_server.route(f"/q{i}", Reply(body="<p>x</p>", delay=0.2)) for i in range(6)]
    results, _ = await _fetch_all(replace(FAST, per_site=2), urls)
    assert all(r.ok for r in results)
    assert local_server.max_in_flight == 2


async def test_429_pauses_the_site_and_halves_its_concurrency(local_server: LocalServer) -> None:
    # The pages answer slowly, so the client has read the (immediate) 429 long before the three
    # requests sent beside it finish, however loaded the machine is.
    page = Reply(body="<p>x</p>", delay=0.25)
    # /r0 and 3 others go first; the other 7 and /r0's retry come after the 429, as many as
    # the site's limit takes to grow back (GROW_AFTER answers), so all run at the halved limit.
    urls = [local_server.route(f"/r{i}", page) for i in range(1, GROW_AFTER + 3)]
    first = local_server.route("/r0", [Reply(status=429, headers={"Retry-After": "1"}), page])
    options = replace(FAST, per_site=4, backoff=0.01)
    results, fetcher = await _fetch_all(options, [first, *urls])
    assert all(r.ok for r in results)
    # /r0 starts in the first four (slots are handed out in order), though not necessarily
    # the first to arrive: the 429 is its first arrival.
    arrivals = local_server.arrivals
    limited = next(k for k, (_, path, _) in enumerate(arrivals) if path == "/r0")
    assert limited < 4
    limited_at = arrivals[limited][0]
    # The whole site waited for Retry-After: nothing arrived in the second after the 429,
    # except the three requests sent beside it.
    others = arrivals[:limited] + arrivals[limited + 1 :]
    early = [path for t, path, _ in others if t < limited_at + 0.9]
    assert len(early) <= 3, early
    # Afterwards at most 2 (half of 4) were in flight at once.
    later = [n for t, _, n in local_server.arrivals if t >= limited_at + 0.9]
    assert len(later) == GROW_AFTER and max(later) <= 2
    (slowdown,) = fetcher.slowdowns()
    assert slowdown.site == f"127.0.0.1:{local_server.port}"
    assert slowdown.signals == (("429", 1),) and slowdown.lowest == 2
    assert 0.9 <= slowdown.waited <= 3.0  # Retry-After: 1 (more only on a loaded machine)
    assert slowdown.line() == f"127.0.0.1:{local_server.port} slowed us: 429 x1, waited 1.0 s"


async def test_a_retry_after_longer_than_a_run_waits_is_honoured_until_the_next_run(
    local_server: LocalServer,
) -> None:
    """Retry-After: 3600 is never cut short: the site is asked nothing more in this run (its
    other pages fail with the reason at once) instead of being retried after a minute."""
    first = local_server.route("/busy", Reply(status=429, headers={"Retry-After": "3600"}))
    others = [local_server.route(f"/later{i}", Reply(body="<p>x</p>")) for i in range(3)]
    results, fetcher = await _fetch_all(replace(FAST, per_site=1), [first, *others])
    assert [path for _, path, _ in local_server.arrivals] == ["/busy"]  # asked once, no retry
    assert all(not r.ok and "asked us to wait 1 hour" in (r.error or "") for r in results)
    assert all(r.reached_server for r in results)  # the site answered: not offline
    (slowdown,) = fetcher.slowdowns()
    assert slowdown.signals == (("429", 1),)
    # A 5xx (not a slow-down answer) asking for the same is not retried early either.
    late = local_server.route("/down", Reply(status=502, headers={"Retry-After": "7200"}))
    (result,), _ = await _fetch_all(FAST, [late])
    assert not result.ok and result.attempts == 1 and "asked us to wait 2 hours" in result.error


async def test_503_with_an_http_date_retry_after(local_server: LocalServer) -> None:
    when = email.utils.formatdate(time.time() + 1, usegmt=True)
    url = local_server.route(
        "/busy-date", [Reply(status=503, headers={"Retry-After": when}), Reply(body="<p>ok</p>")]
    )
    results, fetcher = await _fetch_all(FAST, [url])
    assert results[0].ok and results[0].attempts == 2
    assert fetcher.slowdowns()[0].signals == (("503", 1),)


async def test_connection_errors_back_off_that_site_only(
    local_server: LocalServer, unused_port: int
) -> None:
    dead = [f"http://127.0.0.1:{unused_port}/d{i}" for i in range(6)]
    alive = [local_server.route(f"/a{i}", Reply(body="<p>x</p>")) for i in range(6)]
    options = replace(FAST, backoff=0.05, backoff_max=0.1)
    results, fetcher = await _fetch_all(options, [*dead, *alive])
    assert all(r.ok for r in results[6:])
    failed = results[:6]
    assert all(not r.ok and "cannot connect" in (r.error or "") for r in failed)
    gave_up = [r for r in failed if "gave up on this site" in (r.error or "")]
    (slowdown,) = fetcher.slowdowns()  # the live site was not slowed down
    assert slowdown.site == f"127.0.0.1:{unused_port}"
    ((signal, tried),) = slowdown.signals
    # The first round (4 in flight) really tried; then the site was left alone for the run.
    assert signal == "connection errors" and tried == 4 and len(gave_up) == 2


def test_a_site_grows_back_after_successes() -> None:
    site = _Site("news.example", 4)
    epoch = site.epoch
    site.slow_down("429", 0.0, epoch)
    site.slow_down("429", 0.0, epoch)  # an answer to a request of the same round: no halving
    assert site.limit == 2
    site.slow_down("429", 0.0, site.epoch)
    assert site.limit == 1 and site.lowest == 1
    site.slow_down("429", 0.0, site.epoch)
    assert site.limit == 1  # never below one
    for _ in range(GROW_AFTER - 1):
        site.succeeded(site.epoch)
    site.succeeded(epoch)  # an answer to a request from before the halving does not count
    assert site.limit == 1
    site.succeeded(site.epoch)
    assert site.limit == 2
    for _ in range(10 * GROW_AFTER):
        site.succeeded(site.epoch)
    assert site.limit == 4  # back to the ceiling, not above
    assert site.slowdown() == SiteSlowdown("news.example", (("429", 4),), 0.0, 1)
