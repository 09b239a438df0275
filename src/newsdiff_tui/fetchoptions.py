"""The fetcher's settings (``FetchOptions``) and the name it gives servers (``USER_AGENT``).

Apart from ``fetch.py`` (which re-exports them) so that what only names the settings, such as
the CLI's ``--help`` and the config file, does not load the HTTP stack: every command (and the
app) builds the whole parser, and asyncio with httpx was some 40% of building it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsdiff_tui import __version__

if TYPE_CHECKING:
    from newsdiff_tui.netguard import AddressPolicy

__all__ = ["MB", "USER_AGENT", "FetchOptions"]

USER_AGENT = f"newsdiff-tui/{__version__} (+https://github.com/newsdiff-tui/newsdiff-tui)"
MB = 1024 * 1024


@dataclass(frozen=True)
class FetchOptions:
    """Limits and manners of the fetcher (a config file or the command line may set them)."""

    concurrency: int = 8  # requests in flight at once, over all sites
    per_site: int = 4  # most requests in flight to one site (halved on 429/503, grows back)
    host_delay: float = 0.0  # least seconds between the starts of two requests to one site
    timeout: float = 20.0  # seconds for connecting, and between bytes of the answer
    retries: int = 3  # extra attempts after a timeout, dropped connection, 5xx or 429
    backoff: float = 1.0  # first retry delay in seconds; doubles per attempt
    backoff_max: float = 30.0
    # the longest Retry-After a run waits for; a site asking for more is left until next run
    retry_after_max: float = 60.0
    max_bytes: int = 10 * MB
    max_redirects: int = 10
    user_agent: str = USER_AGENT
    # Non-public addresses allowed anyway; None: as NEWSDIFF_ALLOW_PRIVATE says.
    address_policy: AddressPolicy | None = None
