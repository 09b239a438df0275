"""The network guard: non-public addresses refused where the connection is made.

Every test here removes ``NEWSDIFF_ALLOW_PRIVATE`` (which the suite sets so that other tests
can reach 127.0.0.1) and goes through the real fetcher and a real server on 127.0.0.x.
"""

from __future__ import annotations

import ipaddress

import pytest
from local_server import LocalServer, Reply, atom_feed, news_page

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.feeds import add_feed, discover_from_feeds, load_feeds
from newsdiff_tui.fetch import Fetcher, FetchOptions
from newsdiff_tui.netguard import (
    ALLOW_PRIVATE_ENV,
    AddressPolicy,
    GuardedBackend,
    address_problem,
)
from newsdiff_tui.store import Store
from newsdiff_tui.tracker import CheckOptions, check_articles

FAST = FetchOptions(timeout=2.0, retries=0, backoff=0.01)


@pytest.fixture(autouse=True)
def _guard_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_PRIVATE_ENV, raising=False)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "private"),  # reserved; Python files it under private first
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
    ],
)
def test_non_public_addresses_are_named(address: str, kind: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert address_problem(parsed) == f"{kind} address {address}"
    assert AddressPolicy().problem(parsed) == f"refused: {kind} address {address}"
    assert AddressPolicy(allow_all=True).problem(parsed) is None


@pytest.mark.parametrize(
    ("address", "named"),
    [
        ("::ffff:127.0.0.1", "loopback address 127.0.0.1"),  # IPv4-mapped
        ("::ffff:10.0.0.5", "private address 10.0.0.5"),
        ("2002:a00:5::1", "private address 10.0.0.5"),  # 6to4
        ("64:ff9b::a9fe:a9fe", "link-local address 169.254.169.254"),  # NAT64
    ],
)
def test_ipv6_carrying_ipv4_is_judged_by_the_ipv4_address(address: str, named: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert address_problem(parsed) == f"{named} (as {parsed})"


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert AddressPolicy().problem(ipaddress.ip_address(address)) is None


def test_the_opt_in_parses_all_or_a_list() -> None:
    assert AddressPolicy.parse("1") == AddressPolicy(allow_all=True)
    assert AddressPolicy.parse("0") == AddressPolicy.parse("") == AddressPolicy()
    some = AddressPolicy.parse("10.1.0.0/16, 127.0.0.1")
    assert some.problem(ipaddress.ip_address("10.1.2.3")) is None
    assert some.problem(ipaddress.ip_address("127.0.0.1")) is None
    assert some.problem(ipaddress.ip_address("::ffff:127.0.0.1")) is None
    assert some.problem(ipaddress.ip_address("10.2.0.1")) == "refused: private address 10.2.0.1"
    with pytest.raises(NewsdiffError, match="NEWSDIFF_ALLOW_PRIVATE: 'yes please'"):
        AddressPolicy.parse("yes please")
    assert AddressPolicy.from_env({ALLOW_PRIVATE_ENV: "1"}).allow_all
    assert AddressPolicy.from_env({}) == AddressPolicy()


async def fetch(url: str, options: FetchOptions = FAST):
    async with Fetcher(options) as fetcher:
        return await fetcher.fetch(url)


async def test_loopback_is_refused_by_default(local_server: LocalServer) -> None:
    url = local_server.route("/secret", Reply(body="<p>intranet</p>"))
    result = await fetch(url)
    assert result.error == "refused: loopback address 127.0.0.1"
    assert result.refused and not result.reached_server
    assert local_server.requests == []  # no connection was made


async def test_a_name_that_resolves_to_loopback_is_refused(local_server: LocalServer) -> None:
    local_server.route("/secret", Reply(body="<p>intranet</p>"))
    result = await fetch(f"http://localhost:{local_server.port}/secret")
    assert result.error in {"refused: loopback address 127.0.0.1", "refused: loopback address ::1"}
    assert local_server.requests == []


async def test_ipv4_mapped_ipv6_is_refused(local_server: LocalServer) -> None:
    result = await fetch(f"http://[::ffff:127.0.0.1]:{local_server.port}/")
    mapped = ipaddress.ip_address("::ffff:127.0.0.1")  # printed as ::ffff:7f00:1 before 3.13
    assert result.error == f"refused: loopback address 127.0.0.1 (as {mapped})"


async def test_the_opt_in_allows_private_addresses(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = local_server.route("/intranet", Reply(body="<p>intranet news</p>"))
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    assert (await fetch(url)).ok
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "127.0.0.0/8")
    assert (await fetch(url)).ok
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "10.0.0.0/8")
    assert (await fetch(url)).error == "refused: loopback address 127.0.0.1"
    # A policy in the options (as a config file would set it) wins over the environment.
    allowed = FetchOptions(timeout=2.0, address_policy=AddressPolicy(allow_all=True))
    assert (await fetch(url, allowed)).ok


async def test_a_redirect_from_an_allowed_site_to_loopback_is_refused(
    local_server: LocalServer, second_server: LocalServer
) -> None:
    """The first site (127.0.0.2, allowed by the policy) redirects to 127.0.0.1 (not allowed):
    both hops go through the real connect path; the second is refused before connecting."""
    secret = local_server.route("/admin", Reply(body="<p>the intranet's secrets</p>"))
    start = second_server.route("/story", Reply(status=302, headers={"Location": secret}))
    policy = AddressPolicy(allowed=(ipaddress.ip_network("127.0.0.2/32"),))
    options = FetchOptions(timeout=2.0, retries=0, address_policy=policy)

    result = await fetch(start, options)

    assert result.error == "refused: loopback address 127.0.0.1"
    assert [r.path for r in second_server.requests] == ["/story"]
    assert local_server.requests == []
    # The same policy lets the first site's own pages through.
    page = second_server.route("/page", Reply(body="<p>ok</p>"))
    assert (await fetch(page, options)).ok


async def test_the_guard_connects_to_the_address_it_checked(local_server: LocalServer) -> None:
    """No second DNS lookup after the check (DNS rebinding): the backend below the guard is
    handed the IP address, never the name."""
    from httpcore import AnyIOBackend

    asked: list[str] = []

    class Recording(AnyIOBackend):
        async def connect_tcp(self, host: str, port: int, **kwargs: object):  # type: ignore[override]
            asked.append(host)
            return await super().connect_tcp(host, port, **kwargs)  # type: ignore[arg-type]

    guard = GuardedBackend(AddressPolicy(allow_all=True), Recording())
    stream = await guard.connect_tcp("localhost", local_server.port, timeout=2.0)
    await stream.aclose()
    assert asked and all(ipaddress.ip_address(host).is_loopback for host in asked)
    refused = GuardedBackend(AddressPolicy(), Recording())
    asked.clear()
    with pytest.raises(Exception, match="refused: loopback address"):
        await refused.connect_tcp("localhost", local_server.port, timeout=2.0)
    assert asked == []


async def test_a_refused_check_is_recorded_and_is_not_offline(
    store: Store, local_server: LocalServer
) -> None:
    url = local_server.route("/s", Reply(body=news_page("T", ["A paragraph of words."] * 3)))
    article = store.add_article(url)
    summary = await check_articles(store, [article], options=CheckOptions(fetch=FAST, workers=1))
    assert summary.failed == 1 and summary.network_ok  # our refusal, not the network's
    assert store.article(article.id).check.last_error == "refused: loopback address 127.0.0.1"
    assert local_server.requests == []


async def test_a_feed_listing_private_urls_gets_them_refused(
    store: Store, local_server: LocalServer, second_server: LocalServer
) -> None:
    """The feed's site (127.0.0.2) is allowed; the links to 127.0.0.1 and 10.0.0.5 are not
    tracked, and the refusal is reported and kept on the feed."""
    public = second_server.url("/2024/story.html")
    secret = local_server.route("/admin", Reply(body="<p>secret</p>"))
    feed = second_server.route(
        "/feed.xml",
        Reply(
            body=atom_feed([public, secret, "http://10.0.0.5/internal"]),
            content_type="application/atom+xml",
        ),
    )
    add_feed(store, feed)
    policy = AddressPolicy(allowed=(ipaddress.ip_network("127.0.0.2/32"),))
    messages: list[tuple[str, str]] = []
    async with Fetcher(FetchOptions(timeout=2.0, address_policy=policy)) as fetcher:
        summary = await discover_from_feeds(
            store, fetcher=fetcher, on_feed=lambda u, m: messages.append((u, m))
        )
    assert [a.url for a in summary.new_articles] == [public]
    assert summary.refused == [
        (secret, "refused: loopback address 127.0.0.1"),
        ("http://10.0.0.5/internal", "refused: private address 10.0.0.5"),
    ]
    assert (feed, f"refused {secret}: refused: loopback address 127.0.0.1") in messages
    assert (feed, "3 links, 1 new, 2 refused") in messages
    (saved,) = load_feeds(store)
    assert saved.last_refused is not None and "10.0.0.5" in saved.last_refused
    assert [a.url for a in store.articles()] == [public]
    assert local_server.requests == []


def test_an_idle_connection_closed_by_the_server_reads_as_readable() -> None:
    """httpcore drops an idle keep-alive connection whose socket is readable (the server hung
    up); the guard's stream answers that from the socket it keeps."""
    import socket

    from newsdiff_tui.netguard import _readable

    ours, theirs = socket.socketpair()
    try:
        assert not _readable(ours)
        theirs.close()
        assert _readable(ours)
    finally:
        ours.close()
    assert _readable(ours)  # a closed socket (fileno -1) is never reused
