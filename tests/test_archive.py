"""The archive client's parts: CDX answers, the base URL, and the gate's limits and pauses
(in simulated time: no test sleeps for minutes, and none contacts the real archive)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from fake_archive import SimulatedClock

from newsdiff_tui.archive import (
    DEFAULT_BASE,
    ArchiveError,
    ArchiveGate,
    ArchiveStopped,
    Capture,
    RateLimiter,
    archive_base,
    parse_cdx,
)
from newsdiff_tui.errors import NewsdiffError

URL = "https://www.nytimes.com/2019/11/22/world/asia/pact.html"
HEADER = ["timestamp", "original", "statuscode", "digest", "mimetype"]


def cdx(*rows: list[str]) -> bytes:
    return json.dumps([HEADER, *rows]).encode()


# ----- CDX answers ---------------------------------------------------------------------------
def test_the_header_row_names_the_fields_in_any_order() -> None:
    body = json.dumps(
        [
            ["digest", "timestamp", "mimetype", "original", "statuscode"],
            ["D1", "20191122091500", "text/html", URL, "200"],
        ]
    ).encode()
    (capture,), key = parse_cdx(body)
    assert capture == Capture("20191122091500", URL, "200", "D1", "text/html")
    assert key is None
    assert capture.link == f"https://web.archive.org/web/20191122091500/{URL}"
    assert capture.seen_at.isoformat() == "2019-11-22T09:15:00+00:00"


def test_a_page_ends_with_an_empty_row_and_the_resume_key() -> None:
    body = json.dumps(
        [HEADER, ["20191122091500", URL, "200", "D1", "text/html"], [], ["com,nytimes)/x 2019"]]
    ).encode()
    captures, key = parse_cdx(body)
    assert len(captures) == 1 and key == "com,nytimes)/x 2019"


def test_malformed_rows_are_skipped_and_kinds_of_rows_told_apart() -> None:
    captures, _ = parse_cdx(
        cdx(
            ["20191122091500", URL, "200", "D1", "text/html"],
            ["20191122091600", URL, "-", "D1", "warc/revisit"],
            ["20191122091700", URL, "-", "D2", "text/html"],
            ["20191122091800", URL, "200", "D3", "application/pdf"],
            ["2019112209", URL, "200", "D4", "text/html"],  # a short timestamp
            ["20191399999999", URL, "200", "D5", "text/html"],  # no such date
            ["20191122091900", URL, "200"],  # too short
            [20191122092000, URL, "200", "D6", "text/html"],  # not text
        )
    )
    assert [(c.timestamp[-4:], c.is_page, c.is_revisit) for c in captures] == [
        ("1500", True, False),
        ("1600", True, True),
        ("1700", False, False),
        ("1800", False, False),
    ]


@pytest.mark.parametrize("body", [b"", b"  \n", b"[]"])
def test_no_captures(body: bytes) -> None:
    assert parse_cdx(body) == ([], None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>busy</html>", "not JSON"),
        (b'{"rows": []}', "not a list"),
        (json.dumps([["20191122091500", URL, "200", "D1", "text/html"]]).encode(), "header"),
    ],
)
def test_an_answer_that_is_not_a_cdx_page_is_an_error(body: bytes, message: str) -> None:
    with pytest.raises(ArchiveError, match=message):
        parse_cdx(body)


# ----- the base URL --------------------------------------------------------------------------
def test_the_base_url_comes_from_the_environment() -> None:
    assert archive_base({}) == DEFAULT_BASE
    assert archive_base({"NEWSDIFF_WAYBACK_URL": "http://127.0.0.1:8123/"}) == (
        "http://127.0.0.1:8123"
    )


@pytest.mark.parametrize(
    "value", ["127.0.0.1:8000", "ftp://archive.example", "http://a.example/wayback", "http://:80"]
)
def test_a_bad_base_url_is_refused_clearly(value: str) -> None:
    with pytest.raises(NewsdiffError, match="NEWSDIFF_WAYBACK_URL must be a scheme and host"):
        archive_base({"NEWSDIFF_WAYBACK_URL": value})


# ----- the limits, in simulated time -----------------------------------------------------------
def test_a_rate_limiter_reserves_the_earliest_start_in_the_window() -> None:
    limiter = RateLimiter(2, 1.0)
    assert [limiter.reserve(0.0) for _ in range(5)] == [0.0, 0.0, 1.0, 1.0, 2.0]
    assert limiter.reserve(10.0) == 10.0
    assert limiter.reserve(10.0, not_before=30.0) == 30.0


def starts(gate: ArchiveGate, clock: SimulatedClock, kinds: list[str]) -> list[float]:
    """Start one request of each kind at once; the time each got its turn."""

    async def one(kind: str) -> float:
        return await gate.slot(kind)  # type: ignore[arg-type]

    async def go() -> list[float]:
        return await clock.run(*(one(kind) for kind in kinds))

    return asyncio.run(go())


def test_the_gate_spaces_captures_and_searches() -> None:
    clock = SimulatedClock()
    gate = ArchiveGate(clock=clock)
    assert starts(gate, clock, ["capture"] * 5) == [0.0, 0.0, 1.0, 1.0, 2.0]
    # The clock is at 2 s now: 24 searches start then, the next ones a minute later.
    assert sorted(starts(gate, clock, ["cdx"] * 26))[23:] == [2.0, 62.0, 62.0]


def test_a_429_holds_requests_already_waiting_for_their_turn() -> None:
    clock = SimulatedClock()
    gate = ArchiveGate(clock=clock)

    async def throttle_soon() -> None:
        await clock.sleep(0.2)
        assert gate.throttled(120.0, started=0.2) == 120.0

    async def capture() -> float:
        return await gate.slot("capture")

    async def go() -> list[float]:
        return await clock.run(throttle_soon(), *(capture() for _ in range(5)))

    _, *times = asyncio.run(go())
    # Two started at once; the three that were waiting for 1 s and 2 s wait out the pause.
    assert sorted(times)[:2] == [0.0, 0.0]
    assert all(t >= 120.2 for t in sorted(times)[2:])


def test_429s_of_one_episode_count_once_and_repeated_ones_stop_everything() -> None:
    clock = SimulatedClock()
    gate = ArchiveGate(clock=clock)
    assert gate.throttled(None, started=0.0) == 60.0
    # Another request sent before that pause began: the same episode, no longer pause.
    assert gate.throttled(None, started=-1.0) == 60.0
    clock.time = 61.0
    assert gate.throttled(None, started=61.0) == 120.0  # doubles without Retry-After
    clock.time = 200.0
    with pytest.raises(ArchiveStopped, match="3 times in a row"):
        gate.throttled(None, started=200.0)
    with pytest.raises(ArchiveStopped):
        starts(gate, clock, ["capture"])
    # A long-lived process (the app) may ask again once the stop has run its hour, not before.
    clock.time = 200.0 + 3599.0
    with pytest.raises(ArchiveStopped):
        starts(gate, clock, ["capture"])
    clock.time = 200.0 + 3600.0
    assert starts(gate, clock, ["capture"]) == [3800.0]
    assert gate.stopped is None


def test_an_unreachable_archive_stops_traffic_for_a_minute() -> None:
    clock = SimulatedClock()
    gate = ArchiveGate(clock=clock)
    gate.stop("cannot reach the archive")
    with pytest.raises(ArchiveStopped, match="cannot reach the archive"):
        starts(gate, clock, ["cdx"])
    clock.time = 60.0
    assert starts(gate, clock, ["cdx"]) == [60.0]


def test_a_success_ends_an_episode_and_a_huge_retry_after_stops_the_run() -> None:
    clock = SimulatedClock()
    gate = ArchiveGate(clock=clock)
    gate.throttled(None, started=0.0)
    gate.succeeded()
    clock.time = 100.0
    assert gate.throttled(None, started=100.0) == 60.0  # a new episode: no doubling
    clock.time = 200.0
    with pytest.raises(ArchiveStopped, match="wait 60 minutes"):
        gate.throttled(3600.0, started=200.0)


def test_the_archive_modules_are_core() -> None:
    """Backfill runs headless (CLI, cron): the archive modules never import Textual."""
    script = (
        "import sys, newsdiff_tui.archive, newsdiff_tui.backfill, newsdiff_tui.commands.archive;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
