"""Short text forms for the screen: times, gaps, change stats and safe display strings."""

from __future__ import annotations

from datetime import datetime, tzinfo

from newsdiff_tui.textnorm import display_safe


def safe(text: str | None) -> str:
    """Untrusted text for one line of a Text object: control sequences stripped, tabs to spaces.

    The result is only ever passed to ``Text(...)``/``Text.append``, which never parse markup.
    """
    if not text:
        return ""
    return display_safe(text).replace("\t", " ").replace("\r", " ")


def local(moment: datetime, tz: tzinfo | None) -> datetime:
    """``moment`` in the display time zone (the machine's unless one is given)."""
    return moment.astimezone(tz)


def clock_time(moment: datetime, tz: tzinfo | None) -> str:
    """A version's time: ``22 Nov 09:15``, with the year when it is not the current one."""
    return local(moment, tz).strftime("%d %b %H:%M")


def short_gap(seconds: float) -> str:
    """A gap in at most six characters: ``32 min``, ``3 h``, ``2 d``, ``5 mo``, ``2 y``."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    if seconds < 86400 * 60:
        return f"{int(seconds // 86400)} d"
    if seconds < 86400 * 730:
        return f"{int(seconds // (86400 * 30))} mo"
    return f"{int(seconds // (86400 * 365))} y"


def list_when(moment: datetime | None, now: datetime, tz: tzinfo | None) -> str:
    """The article list's last-change column: ``12m ago`` today-ish, else a date."""
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    if 0 <= seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if 0 <= seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    shown = local(moment, tz)
    if shown.year == local(now, tz).year:
        return shown.strftime("%d %b")
    return shown.strftime("%b %Y")


def ago(moment: datetime, now: datetime) -> str:
    """How long ago, for the header: ``just now``, ``12 min ago``, ``3 h ago``, ``2 d ago``."""
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    return f"{short_gap(seconds)} ago"


def failure_text(error: str | None, failures: int) -> str:
    """An article's last failed check for one line: ``HTTP 404 · 3 failures in a row``."""
    if not error:
        return ""
    text = safe(error).replace("\n", " ")
    if failures > 1:
        text += f" · {failures} failures in a row"
    return text
