"""Article URLs: the one home for validating, cleaning, naming and identifying them.

Used by ``add``, the app's add dialog, feeds, import and the fetcher, so a URL is judged and
named the same way wherever it enters.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["article_id_for", "clean_url", "source_for", "url_problem"]

# Query parameters that only say where a click came from (``utm_*`` is handled as a prefix).
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "smid",
        "smtyp",
        "at_medium",
        "at_campaign",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "vero_id",
        "oly_enc_id",
        "oly_anon_id",
        "rb_clickid",
        "s_kwcid",
        "__twitter_impression",
    }
)
# C0/C1 controls and DEL: an escape code in a stored URL would reach every terminal that
# prints it.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What a DNS name or an IPv4 address may hold (IPv6 literals come in brackets, checked apart).
_HOST = re.compile(r"^[A-Za-z0-9._~%-]+$", re.ASCII)
# Words dropped from a host before naming its source: www.nytimes.com -> nytimes.
_HOST_NOISE = frozenset({"www", "m", "amp", "edition", "mobile"})
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac"})


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be tracked or fetched, or None when it is an http(s) URL with a host.

    Refuses empty text, spaces, control characters (escape codes), other schemes, a missing
    or malformed host and a bad port, each with a message a person can act on.
    """
    url = url.strip()
    if not url:
        return "enter a URL"
    if _CONTROL.search(url):
        return "a URL cannot contain control characters"
    if any(ch.isspace() for ch in url):
        return f"a URL cannot contain spaces: {url}"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"not a valid URL ({exc}): {url}"
    if not parts.scheme or "://" not in url:
        return f"not a URL (expected http:// or https://…): {url}"
    if parts.scheme.lower() not in {"http", "https"}:
        return f"only http:// or https:// URLs can be used, not {parts.scheme}: {url}"
    if not host:
        return f"the URL has no host: {url}"
    if not _valid_host(host):
        return f"not a valid host name {host!r}: {url}"
    return None


def _valid_host(host: str) -> bool:
    """Whether ``host`` is an IPv6 literal or a well-formed (possibly international) host name."""
    if ":" in host:  # an IPv6 literal (urlsplit removed the brackets)
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    if host.startswith(".") or ".." in host:
        return False
    return bool(_HOST.match(host)) or _is_idn(host)


def _is_idn(host: str) -> bool:
    """A non-ASCII host name that IDNA can encode (``bücher.de``)."""
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return not _CONTROL.search(host) and not any(ch.isspace() for ch in host)


def clean_url(url: str) -> str:
    """``url`` without tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ...) or fragment;
    scheme and host lower-cased. Other parameters keep their order."""
    parts = urlsplit(url.strip())
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in _TRACKING_PARAMS
    ]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


def article_id_for(url: str) -> str:
    """A stable id for a URL: 16 hex characters of its SHA-256."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


def source_for(url: str) -> str:
    """A short source name from a URL's host: ``www.nytimes.com`` -> ``nytimes``.

    An IP address or a one-word host (``localhost``) is its own name.
    """
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return "unknown"
    if not host:
        return "unknown"
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    parts = [p for p in host.split(".") if p and p not in _HOST_NOISE]
    if len(parts) >= 3 and parts[-2] in _SECOND_LEVEL:
        return parts[-3]
    if len(parts) >= 2:
        return parts[-2]
    return parts[0] if parts else host
