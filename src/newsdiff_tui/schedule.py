"""When an article is due for a check: the delay grows with the time since its last change.

Defaults as in DESIGN.md (after NewsDiffs): an article that changed under 3 h ago is checked
every 15 min, under a day hourly, under a week every 3 h, under 30 days every 3 days; past that
it is no longer checked unless the user asks (``fetch --all``, or a refresh of that article).
An article that never changed counts from when it was first seen. A brand-new article (never
checked) is due at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsdiff_tui.model import Article
from newsdiff_tui.timeutil import utcnow

__all__ = [
    "DEFAULT_POLICY",
    "SchedulePolicy",
    "describe_next_check",
    "is_due",
    "next_check",
]


@dataclass(frozen=True)
class SchedulePolicy:
    """Check intervals by age: ``steps`` are (age below, interval) pairs, ages increasing.

    An article older (since its last change) than the last step's age is not checked again.
    """

    steps: tuple[tuple[timedelta, timedelta], ...]

    def __post_init__(self) -> None:
        """Refuse no steps, steps out of age order, and intervals that are not positive."""
        ages = [age for age, _ in self.steps]
        if not self.steps or ages != sorted(ages):
            raise ValueError("schedule steps must be non-empty and ordered by age")
        if any(interval <= timedelta(0) for _, interval in self.steps):
            raise ValueError("schedule intervals must be positive")

    def interval(self, age: timedelta) -> timedelta | None:
        """The check interval for an article whose last change is ``age`` old, or None."""
        for limit, interval in self.steps:
            if age < limit:
                return interval
        return None

    @classmethod
    def parse(cls, spec: str) -> SchedulePolicy:
        """A policy from text like ``"3h:15m,1d:1h,7d:3h,30d:3d"`` (age:interval pairs)."""
        steps = []
        for part in spec.split(","):
            age, sep, interval = part.strip().partition(":")
            if not sep:
                raise ValueError(f"schedule step {part.strip()!r} is not AGE:INTERVAL")
            steps.append((_parse_duration(age), _parse_duration(interval)))
        return cls(tuple(steps))


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def _parse_duration(text: str) -> timedelta:
    """A duration such as ``15m``, ``3h`` or ``2d`` as a timedelta; ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 15m, 3h, 2d)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


DEFAULT_POLICY = SchedulePolicy(
    (
        (timedelta(hours=3), timedelta(minutes=15)),
        (timedelta(days=1), timedelta(hours=1)),
        (timedelta(days=7), timedelta(hours=3)),
        (timedelta(days=30), timedelta(days=3)),
    )
)


def next_check(
    article: Article, policy: SchedulePolicy = DEFAULT_POLICY, now: datetime | None = None
) -> datetime | None:
    """When ``article`` is next due, or None if it won't be checked again.

    The interval comes from the article's age (since its last change, else since first seen)
    at ``now``, or at its last check when no ``now`` is given. A brand-new article (no
    versions, never checked) is due from when it was first seen; an imported history that was
    never checked here counts its latest version as its last check.
    """
    last_checked = article.check.last_checked
    if last_checked is None and not article.version_count:
        return article.first_seen
    changed = article.last_changed or article.first_seen
    last_checked = last_checked or changed
    reference = max(last_checked, now) if now is not None else last_checked
    interval = policy.interval(max(reference - changed, timedelta(0)))
    if interval is None:
        return None
    return last_checked + interval


def is_due(
    article: Article, now: datetime | None = None, policy: SchedulePolicy = DEFAULT_POLICY
) -> bool:
    """Whether ``article`` should be checked at ``now`` (default: the current time)."""
    now = now or utcnow()
    moment = next_check(article, policy, now)
    return moment is not None and moment <= now


def describe_next_check(
    article: Article, now: datetime | None = None, policy: SchedulePolicy = DEFAULT_POLICY
) -> str:
    """A short label for the UI: "due now", "in 12 min", "in 3 h", "in 2 days" or "won't be
    checked again"."""
    now = now or utcnow()
    moment = next_check(article, policy, now)
    if moment is None:
        return "won't be checked again"
    seconds = (moment - now).total_seconds()
    if seconds <= 0:
        return "due now"
    if seconds < 3600:
        return f"in {max(1, round(seconds / 60))} min"
    if seconds < 86400:
        return f"in {round(seconds / 3600)} h"
    days = round(seconds / 86400)
    return f"in {days} day{'' if days == 1 else 's'}"
