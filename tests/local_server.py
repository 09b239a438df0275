"""A real HTTP server on 127.0.0.1 for tests, and news-like pages to serve from it.

A pytest plugin (registered in ``conftest.py``). Fixtures:

- ``local_server`` -> ``LocalServer``: a threaded ``http.server`` on ``127.0.0.1`` (random free
  port), started for the test and stopped after it. Programme it per path:

  - ``server.route("/a", Reply(body=b"..."))``: always answer that reply.
  - ``server.route("/a", [Reply(status=500), Reply(body=...)])``: answer them in turn; the last
    one repeats.
  - ``server.route("/a", lambda request: Reply(...))``: compute a reply per ``Request``.
  - ``server.url("/a")`` -> ``"http://127.0.0.1:PORT/a"``.
  - ``server.requests`` lists every ``Request(method, path, headers)`` in arrival order;
    ``server.requests_for("/a")`` only those for one path.
  - ``server.body_bytes_sent`` counts body bytes written to sockets (a 304 writes none);
    ``server.body_bytes_for("/a")`` per path.
  - Unknown paths answer 404.

  - ``LocalServer(address="127.0.0.2")`` listens on another loopback address (a second
    "site" for network guard tests); ``server.latency = 0.05`` delays every answer.
  - ``server.in_flight`` / ``server.max_in_flight``: requests received and not yet answered,
    now / at most.
  - ``server.arrivals``: ``(time.monotonic(), path, in flight then)`` of every request, in
    arrival order (the count includes the request itself).

- ``second_server`` -> a ``LocalServer`` on 127.0.0.2 (skipped where that address is missing).
- ``unused_port`` -> an ``int`` port on 127.0.0.1 that nothing listens on.
- ``rate_limited(reply, every=N, retry_after=S)`` -> a route answering 429 with Retry-After to
  every N-th request and ``reply`` otherwise.

``Reply`` fields: ``status``, ``body`` (bytes or str, str is UTF-8 encoded), ``content_type``,
``headers`` (extra), ``delay`` (seconds before answering), ``etag`` / ``last_modified`` (when
set, a request whose ``If-None-Match`` / ``If-Modified-Since`` matches gets a bodiless 304),
``stream_bytes`` (send that many filler bytes in 64 KB chunks with no Content-Length, to test
size limits enforced while streaming; ``server.body_bytes_for`` tells how far it got).

Pages: ``news_page(title, paragraphs, variant=N, ...)`` builds a realistic article page whose
boilerplate (navigation, related links, ads, scripts, cache-busting image URLs, "Updated N
minutes ago") differs with ``variant`` while the article text stays the same.
``atom_feed`` and ``rss_feed`` build feeds listing given links.
"""

from __future__ import annotations

import contextlib
import html
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

__all__ = [
    "LocalServer",
    "Reply",
    "Request",
    "atom_feed",
    "news_page",
    "rate_limited",
    "rss_feed",
]


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]  # header names lower-cased
    client_port: int = 0  # the client's port: one per connection


@dataclass(frozen=True)
class Reply:
    """What the server answers to one request."""

    status: int = 200
    body: bytes | str = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    stream_bytes: int = 0


Route = Reply | Sequence[Reply] | Callable[[Request], Reply]


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (timeouts, size limits) are expected, not errors."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalServer:
    """A programmable threaded HTTP server bound to 127.0.0.1 (see the module docstring)."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.address = address
        self._routes: dict[str, Route] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.arrivals: list[tuple[float, str, int]] = []
        self.latency = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self._bytes: dict[str, int] = {}
        self._httpd = _QuietServer((address, 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # ----- programming ---------------------------------------------------------------------
    def route(self, path: str, reply: Route) -> str:
        """Answer ``path`` with ``reply``; returns the full URL of the path."""
        with self._lock:
            self._routes[path] = reply
            self._served[path] = 0
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://{self.address}:{self.port}{path}"

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    @property
    def body_bytes_sent(self) -> int:
        return sum(self._bytes.values())

    def body_bytes_for(self, path: str) -> int:
        return self._bytes.get(path, 0)

    # ----- lifecycle -----------------------------------------------------------------------
    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # ----- serving -------------------------------------------------------------------------
    def _reply_for(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.arrivals.append((time.monotonic(), request.path, self.in_flight))
            # A query string falls back to the route of the bare path.
            path = request.path if request.path in self._routes else request.path.split("?")[0]
            route = self._routes.get(path)
            count = self._served.get(path, 0)
            self._served[path] = count + 1
        if route is None:
            return Reply(status=404, body="not found", content_type="text/plain")
        if isinstance(route, Reply):
            return route
        if callable(route):
            return route(request)
        return route[min(count, len(route) - 1)]

    def _count(self, path: str, sent: int) -> None:
        with self._lock:
            self._bytes[path] = self._bytes.get(path, 0) + sent

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

            def do_GET(self) -> None:
                request = Request(
                    "GET",
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.client_address[1],
                )
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server._reply_for(request)
                    if reply.delay or server.latency:
                        time.sleep(reply.delay + server.latency)
                finally:
                    # Counted out before answering: a client cannot send its next request in
                    # the same slot before it has read this answer.
                    with server._lock:
                        server.in_flight -= 1
                self._send(request, reply)

            def _send(self, request: Request, reply: Reply) -> None:
                headers = request.headers
                not_modified = (
                    reply.etag is not None and headers.get("if-none-match") == reply.etag
                ) or (
                    reply.last_modified is not None
                    and headers.get("if-modified-since") == reply.last_modified
                )
                body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                status = 304 if not_modified else reply.status
                self.send_response(status)
                if reply.content_type and status != 304:
                    self.send_header("Content-Type", reply.content_type)
                if reply.etag:
                    self.send_header("ETag", reply.etag)
                if reply.last_modified:
                    self.send_header("Last-Modified", reply.last_modified)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if status == 304:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if reply.stream_bytes:
                    self._stream(request.path, reply.stream_bytes)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                    server._count(request.path, len(body))
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _stream(self, path: str, total: int) -> None:
                # No Content-Length: the client can only find out the size by reading.
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                chunk = b"<p>" + b"x" * (65536 - 7) + b"</p>\n"
                sent = 0
                try:
                    while sent < total:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        server._count(path, len(chunk))
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A started ``LocalServer`` on 127.0.0.1, stopped after the test."""
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def second_server() -> Iterator[LocalServer]:
    """A started ``LocalServer`` on 127.0.0.2: another site on this machine."""
    try:
        server = LocalServer("127.0.0.2").start()
    except OSError as exc:
        pytest.skip(f"127.0.0.2 is not usable here: {exc}")
    try:
        yield server
    finally:
        server.stop()


def rate_limited(reply: Reply, *, every: int, retry_after: str = "1") -> Callable[[Request], Reply]:
    """A route answering ``429 Too Many Requests`` with ``Retry-After`` to every ``every``-th
    request (the 1st, the N+1-th, ...) and ``reply`` to the others."""
    count = 0
    lock = threading.Lock()

    def route(request: Request) -> Reply:
        nonlocal count
        with lock:
            count += 1
            limited = (count - 1) % every == 0
        if limited:
            return Reply(
                status=429,
                body="slow down",
                content_type="text/plain",
                headers={"Retry-After": retry_after},
            )
        return reply

    return route


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- pages -------------------------------------------------------------------------------
_SECTIONS = ["World", "U.S.", "Politics", "Business", "Tech", "Science", "Sports", "Arts"]
_HEADLINES = [
    "Markets Rally as Inflation Cools",
    "A Quiet Town Braces for the Storm",
    "The Chef Who Reinvented Breakfast",
    "Election Officials Prepare for Recount",
    "Scientists Map the Ocean Floor",
    "Why Commuters Are Returning to Trains",
    "The Last Video Store in the City",
    "Inside the Race to Build Better Batteries",
    "A Museum Returns Looted Artifacts",
    "The Season's Best New Novels",
]


def news_page(
    title: str,
    paragraphs: Sequence[str],
    *,
    variant: int = 0,
    byline: str | None = None,
    published: str | None = "2019-11-22T09:15:00Z",
    site: str = "The Daily Planet",
    json_ld: bool = True,
    filler_kb: int = 0,
) -> str:
    """A news article page whose boilerplate changes with ``variant``; the text never does.

    ``filler_kb`` adds roughly that many KB of inline scripts and navigation, to make pages
    as heavy as real ones (50-150 KB) for benchmarks.
    """
    v = variant
    esc = html.escape
    nav = "".join(
        f'<li><a href="/section/{s.lower()}?ref=nav{v}">{esc(s)}</a></li>'
        for s in _SECTIONS[v % 3 :] + _SECTIONS[: v % 3]
    )
    related = "".join(
        f'<li><a href="/2019/11/{20 + (i + v) % 9}/story-{i + v}.html">'
        f"{esc(_HEADLINES[(i + v) % len(_HEADLINES)])}</a></li>"
        for i in range(5 + v % 3)
    )
    body = []
    for i, para in enumerate(paragraphs):
        body.append(f"<p>{esc(para)}</p>")
        if i == 2:
            body.append(
                f'<div class="ad ad-slot" id="ad-{v}-{i}"><span>Advertisement</span>'
                f'<img src="https://ads.example.com/banner.gif?cb={v * 7919}" alt=""></div>'
            )
        if i == 3:
            # Boilerplate inside the article container, where extractors tend to keep it.
            body.append(
                f'<div class="related-inline"><p>Read more: <a href="/story-{v}.html">'
                f"{esc(_HEADLINES[(v + 3) % len(_HEADLINES)])}</a></p></div>"
                f'<div class="newsletter-promo"><p>Get our {esc(_SECTIONS[v % 8])} newsletter'
                f" in your inbox every morning, with {v + 3} stories picked by our editors.</p>"
                "</div>"
                f'<div class="trending-now"><p>Trending now: {esc(_HEADLINES[v % 10])}, and '
                f"{v + 2} more stories readers are talking about today.</p></div>"
                f'<div role="complementary"><p>Also of interest: the {v + 5} best places to '
                "eat in the city this year, picked by our critics.</p></div>"
                f"<div hidden><p>Tracking pixel fallback text number {v * 977} for readers "
                "without scripts.</p></div>"
            )
        if i == 4:
            body.append(
                f'<figure><img src="/images/photo-{i}.jpg?cachebust={v * 104729}&w=800" '
                f'alt=""><figcaption>Photo credit: Wire Service</figcaption></figure>'
            )
    ld = ""
    if json_ld:
        authors = (
            ", ".join(
                f'{{"@type":"Person","name":"{esc(name)}"}}' for name in byline.split(" and ")
            )
            if byline
            else ""
        )
        ld = (
            '<script type="application/ld+json">{"@context":"https://schema.org",'
            f'"@type":"NewsArticle","headline":{_json(title)},'
            + (f'"datePublished":"{published}",' if published else "")
            + f'"dateModified":"2019-11-22T{9 + v % 10:02d}:{(v * 13) % 60:02d}:00Z",'
            + f'"author":[{authors}],'
            + f'"publisher":{{"@type":"Organization","name":{_json(site)}}}}}</script>'
        )
    filler = ""
    if filler_kb:
        chunk = (
            "window.__analytics = window.__analytics || [];"
            f"__analytics.push({{event: 'view', ts: {v}, slot: 'top', data: '"
            + "abcdefghij" * 40
            + "'});\n"
        )
        filler = "<script>" + chunk * max(1, filler_kb * 1024 // len(chunk)) + "</script>"
    byline_html = f'<p class="byline">By {esc(byline)}</p>' if byline else ""
    time_html = (
        f'<time datetime="{published}">Nov. 22, 2019</time>' if published else ""
    ) + f'<span class="updated">Updated {v * 3 + 2} minutes ago</span>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(title)} - {esc(site)}</title>
<meta property="og:title" content="{esc(title)}">
<meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="/static/site.css?v={v}">
<script>var pageview = {{"id": "{v * 31337}", "ts": {1574414100 + v * 60}}};</script>
{ld}{filler}
</head><body>
<div class="consent-banner">We use cookies to improve your experience. <button>Accept</button></div>
<header class="site-header"><a href="/" class="logo">{esc(site)}</a>
<nav class="main-nav"><ul>{nav}</ul></nav>
<div class="trending">Trending: {esc(_HEADLINES[v % len(_HEADLINES)])}</div></header>
<main><article>
<h1>{esc(title)}</h1>
{byline_html}
<div class="meta">{time_html}</div>
<div class="share-tools"><a href="https://twitter.com/share?u={v}">Share on Twitter</a>
<a href="mailto:?subject=story{v}">Email</a></div>
{"".join(body)}
</article>
<aside class="related"><h2>Related Coverage</h2><ul>{related}</ul></aside>
<div class="newsletter"><h3>Sign up for the Morning Briefing</h3>
<p>Get the news you need to start your day, delivered to your inbox.</p><form><input>
</form></div>
</main>
<footer class="site-footer"><p>&copy; 2019 {esc(site)}. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy Policy</a></li><li><a href="/terms">Terms of Service</a>
</li></ul></footer>
<script src="/static/app.js?build={v * 65537}"></script>
<script>window.dataLayer = [{{"variant": {v}}}];</script>
</body></html>
"""


def _json(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False).replace("</", "<\\/")


def atom_feed(links: Sequence[str], *, title: str = "Test Atom feed") -> str:
    """An Atom 1.0 feed with one entry per link."""
    entries = "".join(
        f'<entry><title>Story {i}</title><link rel="alternate" href="{html.escape(link)}"/>'
        f"<id>urn:story:{i}</id><updated>2019-11-22T09:{i:02d}:00Z</updated></entry>"
        for i, link in enumerate(links)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(title)}</title><id>urn:feed</id>"
        f"<updated>2019-11-22T10:00:00Z</updated>{entries}</feed>"
    )


def rss_feed(links: Sequence[str], *, title: str = "Test RSS feed") -> str:
    """An RSS 2.0 feed with one item per link."""
    items = "".join(
        f"<item><title>Story {i}</title><link>{html.escape(link)}</link>"
        f"<guid>{html.escape(link)}</guid></item>"
        for i, link in enumerate(links)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>test</description>{items}</channel></rss>"
    )
