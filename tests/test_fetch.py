"""The fetcher against a real HTTP server on 127.0.0.1: limits, retries, charsets, manners."""

from __future__ import annotations

import asyncio
import time

from local_server import LocalServer, Reply

from newsdiff_tui.fetch import USER_AGENT, Fetcher, FetchOptions

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


async def test_429_honours_retry_after_up_to_the_cap(local_server: LocalServer) -> None:
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
    assert result.ok and time.monotonic() - started < 2  # an hour was capped


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
    options = FetchOptions(concurrency=2, per_host=8, host_delay=0)
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
    options = FetchOptions(concurrency=8, per_host=8, host_delay=0.25)
    started = time.monotonic()
    async with Fetcher(options) as fetcher:
        await asyncio.gather(*(fetcher.fetch(local_server.url(f"/d{i}")) for i in range(3)))
    assert time.monotonic() - started >= 0.5  # starts at 0, 0.25 and 0.5 s
