"""The checking schedule: back-off by time since the last change, and its labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdiff_tui.model import Article, CheckState
from newsdiff_tui.schedule import (
    DEFAULT_POLICY,
    SchedulePolicy,
    describe_next_check,
    is_due,
    next_check,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def article(changed_ago: timedelta | None, checked_ago: timedelta | None) -> Article:
    return Article(
        id="a",
        url="https://example.com/a",
        source="example",
        title="A",
        first_seen=NOW - timedelta(days=90),
        last_changed=NOW - changed_ago if changed_ago is not None else None,
        version_count=1 if changed_ago is not None else 0,
        check=CheckState(
            last_checked=NOW - checked_ago if checked_ago is not None else None, checks=1
        ),
    )


def test_a_new_article_is_due_now() -> None:
    new = Article("n", "https://example.com/n", "example", "", first_seen=NOW)
    assert next_check(new) == NOW
    assert is_due(new, NOW)
    assert describe_next_check(new, NOW) == "due now"


@pytest.mark.parametrize(
    ("changed_ago", "interval"),
    [
        (timedelta(hours=1), timedelta(minutes=15)),
        (timedelta(hours=5), timedelta(hours=1)),
        (timedelta(days=3), timedelta(hours=3)),
        (timedelta(days=20), timedelta(days=3)),
    ],
)
def test_interval_grows_with_time_since_the_last_change(
    changed_ago: timedelta, interval: timedelta
) -> None:
    item = article(changed_ago, checked_ago=timedelta(0))
    assert next_check(item) == NOW + interval
    assert not is_due(item, NOW)
    assert is_due(item, NOW + interval)


def test_old_articles_are_no_longer_checked() -> None:
    item = article(timedelta(days=31), checked_ago=timedelta(0))
    assert next_check(item) is None
    assert not is_due(item, NOW + timedelta(days=365))
    assert describe_next_check(item, NOW) == "won't be checked again"


def test_an_article_stops_being_checked_once_it_is_old_now() -> None:
    item = article(timedelta(days=29), checked_ago=timedelta(0))
    assert next_check(item) == NOW + timedelta(days=3)
    assert next_check(item, now=NOW + timedelta(days=2)) is None
    assert not is_due(item, NOW + timedelta(days=3))
    assert describe_next_check(item, NOW + timedelta(days=2)) == "won't be checked again"


def test_an_imported_history_never_checked_here_counts_its_last_version() -> None:
    old = article(timedelta(days=400), checked_ago=None)
    assert describe_next_check(old, NOW) == "won't be checked again"
    assert not is_due(old, NOW)
    recent = article(timedelta(minutes=20), checked_ago=None)
    assert next_check(recent, now=NOW) == NOW - timedelta(minutes=5)
    assert is_due(recent, NOW)


def test_never_changed_counts_from_first_seen() -> None:
    item = article(None, checked_ago=timedelta(hours=1))  # first seen 90 days ago
    assert next_check(item) is None


def test_labels() -> None:
    item = article(timedelta(hours=1), checked_ago=timedelta(minutes=3))
    assert describe_next_check(item, NOW) == "in 12 min"
    assert describe_next_check(article(timedelta(days=3), timedelta(0)), NOW) == "in 3 h"
    assert describe_next_check(article(timedelta(days=20), timedelta(0)), NOW) == "in 3 days"
    assert describe_next_check(item, NOW + timedelta(hours=1)) == "due now"


def test_policy_is_configurable() -> None:
    policy = SchedulePolicy.parse("1h:5m, 2d:6h")
    assert policy.steps[0] == (timedelta(hours=1), timedelta(minutes=5))
    item = article(timedelta(minutes=10), checked_ago=timedelta(0))
    assert next_check(item, policy) == NOW + timedelta(minutes=5)
    assert next_check(article(timedelta(days=3), timedelta(0)), policy) is None
    assert SchedulePolicy.parse("3h:15m,1d:1h,7d:3h,30d:3d") == DEFAULT_POLICY


@pytest.mark.parametrize("spec", ["", "3h", "3h:0m", "1d:1h,3h:15m", "3x:15m"])
def test_bad_policies_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        SchedulePolicy.parse(spec)
