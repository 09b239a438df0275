"""Time helpers shared by the core: aware UTC datetimes in, ISO 8601 strings on disk."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def to_iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC for storage, or None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def from_iso(text: str | None) -> datetime | None:
    """Parse what ``to_iso`` wrote (or any ISO 8601 time; naive times are taken as UTC)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def short_time(moment: datetime) -> str:
    """A time for a line of output, to the minute in UTC: '2019-11-22 09:15'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def humanize_delta(seconds: float) -> str:
    """A gap as people say it: '32 minutes', '3 hours', '2 days'."""
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    count = int(seconds)
    return f"{count} second{'' if count == 1 else 's'}"
