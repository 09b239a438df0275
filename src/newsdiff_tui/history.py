"""The JSON history format: what ``import`` reads and ``--export --format json`` writes.

A history is one JSON object (UTF-8, times in ISO 8601 UTC); ``dump_history`` writes it with
the keys in this order, two-space indents and a final newline, so equal caches give equal bytes::

    {
      "format": "newsdiff-tui/history",   # optional on import; another value is refused
      "format_version": 2,                # optional; a newer version is refused (1: no origins)
      "id": str,                          # derived from the URL; ignored on import
      "url": str,                         # required, http(s)
      "source": str,                      # optional: derived from the URL when missing
      "title": str,                       # the latest title; ignored on import
      "first_seen": str,                  # optional: the first version's fetched_at
      "feed_url": str | null,             # optional: the feed the article came from
      "check": {                          # optional: what the last checks found
        "last_checked": str | null, "last_error": str | null, "failures": int,
        "etag": str | null, "last_modified": str | null, "body_hash": str | null,
        "final_url": str | null, "checks": int
      },
      "versions": [                       # required, non-empty, in the order seen
        {
          "number": int,                  # 0, 1, ...; renumbered on import ("version" too)
          "fetched_at": str,              # required: when this text was first seen
          "origin": "live" | "wayback" | "import",  # optional, default "live": where it was
          "origin_ref": str | null,       # wayback: the capture's yyyyMMddhhmmss timestamp;
                                          # import: the version's id in the other tracker
          "origin_url": str | null,       # wayback: the capture's web.archive.org/web/ link;
                                          # import: the version's page there (http(s) or null)
          "title": str, "byline": str | null, "published": str | null,
          "paragraphs": [str, ...],       # required
          "boring": bool, "revert_of": int | null, "text_hash": str
        }, ...
      ]
    }

On import, versions are placed in ``fetched_at`` order among those the cache holds, with their
origin, through the store (``Store.insert_versions``), which normalises the text and recomputes
``number``, ``boring``, ``revert_of`` and ``text_hash`` (so they are informational in the
file; except ``boring: true`` on an ``import`` version, the other tracker's mark, which is
kept); versions whose ``fetched_at`` the cache already holds are skipped, and so are texts
equal to the version seen just before or after them.

An import file is untrusted. A URL (``url``, ``feed_url``, ``check.final_url``) must pass
``urls.url_problem``: one holding control characters (an escape code) or spaces is refused, and
nothing is written. Every other text is stored with its control characters and escape
sequences removed: the title, byline and paragraphs by the store's normalisation (the rule for
fetched pages too), ``source``, ``published`` and the check's texts here. So the cache never
holds an escape code, and what prints it strips them again (``textnorm.display_safe``).
The check state is restored unless the cache has a more recent check of the article. Exporting,
importing into an empty cache and exporting again gives identical bytes.

The seed file (``shared/seed/gsomia-versions.json``) is a valid history as it is: fields this
format does not know (``note``) are ignored, optional ones may be missing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from newsdiff_tui.errors import NewsdiffError
from newsdiff_tui.model import ORIGINS, Article, ArticleText, CheckState, SeenText, Version
from newsdiff_tui.store import Store
from newsdiff_tui.textnorm import normalize
from newsdiff_tui.timeutil import from_iso, to_iso
from newsdiff_tui.urls import url_problem

FORMAT = "newsdiff-tui/history"
FORMAT_VERSION = 2


class HistoryFormatError(NewsdiffError):
    """An import file that is not a history in the documented format."""


def _require(condition: bool, where: str, message: str) -> None:
    """Raise HistoryFormatError ``where: message`` unless ``condition`` holds."""
    if not condition:
        raise HistoryFormatError(f"{where}: {message}")


def history_to_json(article: Article, versions: Sequence[Version]) -> dict[str, Any]:
    """An article's whole history as the documented JSON object (see the module docstring)."""
    check = article.check
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "id": article.id,
        "url": article.url,
        "source": article.source,
        "title": article.title,
        "first_seen": to_iso(article.first_seen),
        "feed_url": article.feed_url,
        "check": {**asdict(check), "last_checked": to_iso(check.last_checked)},
        "versions": [
            {
                "number": v.number,
                "fetched_at": to_iso(v.fetched_at),
                "origin": v.origin,
                "origin_ref": v.origin_ref,
                "origin_url": v.origin_url,
                "title": v.text.title,
                "byline": v.text.byline,
                "published": v.text.published,
                "paragraphs": list(v.text.paragraphs),
                "boring": v.boring,
                "revert_of": v.revert_of,
                "text_hash": v.text_hash,
            }
            for v in sorted(versions, key=lambda v: v.number)
        ],
    }


def dump_history(article: Article, versions: Sequence[Version]) -> str:
    """The history as JSON text: deterministic key order, two-space indents, final newline."""
    return json.dumps(history_to_json(article, versions), ensure_ascii=False, indent=2) + "\n"


def _optional_str(doc: dict[str, Any], key: str, where: str) -> str | None:
    """``doc[key]`` if it is a string or missing/null; anything else is a format error."""
    value = doc.get(key)
    _require(value is None or isinstance(value, str), where, f"'{key}' must be a string or null")
    return value


def _optional_text(doc: dict[str, Any], key: str, where: str) -> str | None:
    """``_optional_str`` normalised as stored text is (escape sequences and control characters
    removed, whitespace collapsed); None when nothing is left."""
    value = _optional_str(doc, key, where)
    return (normalize(value) or None) if value is not None else None


def _optional_url(doc: dict[str, Any], key: str, where: str) -> str | None:
    """``doc[key]`` if it is missing/null or a URL ``url_problem`` accepts; else a format error."""
    value = _optional_str(doc, key, where)
    if value is not None:
        problem = url_problem(value)
        _require(problem is None, where, f"'{key}' is refused: {problem}")
    return value


def _time(value: Any, where: str, key: str) -> datetime | None:
    """Parse an optional ISO 8601 time, with an error naming the field."""
    if value is None:
        return None
    try:
        return from_iso(value)
    except (TypeError, ValueError, AttributeError):
        raise HistoryFormatError(f"{where}: '{key}' must be an ISO 8601 time") from None


def _check_from_json(doc: Any, where: str) -> CheckState | None:
    """The ``check`` object of a history, validated; None when the file has none.

    Fields follow ``CheckState``: ``last_checked`` is a time, counters are whole numbers, the
    rest strings or null; unknown keys are ignored, missing ones take the defaults.
    """
    if doc is None:
        return None
    where = f"{where}: check"
    _require(isinstance(doc, dict), where, "expected an object")
    values: dict[str, Any] = {}
    for spec in fields(CheckState):
        if spec.name not in doc:
            continue
        value = doc[spec.name]
        if spec.name == "last_checked":
            values[spec.name] = _time(value, where, spec.name)
        elif isinstance(spec.default, int):
            _require(
                type(value) is int and value >= 0, where, f"'{spec.name}' must be a whole number"
            )
            values[spec.name] = value
        elif spec.name == "final_url":
            values[spec.name] = _optional_url(doc, spec.name, where)
        else:  # an error message, or a validator sent back to the server as a header
            values[spec.name] = _optional_text(doc, spec.name, where)
    return CheckState(**values)


@dataclass(frozen=True)
class ParsedHistory:
    """A validated history, ready to be written to a store by ``apply_history``."""

    url: str
    source: str | None
    feed_url: str | None
    first_seen: datetime
    texts: tuple[SeenText, ...]  # oldest first
    check: CheckState | None


def load_history(store: Store, data: Any, *, where: str = "import") -> tuple[Article, int]:
    """Add the article and versions described by ``data``; returns (article, versions added).

    Everything is validated before anything is written, so a bad file changes nothing.
    """
    return apply_history(store, parse_history(data, where=where))


def parse_history(data: Any, *, where: str = "import") -> ParsedHistory:
    """Validate ``data`` as a history; raises ``HistoryFormatError`` naming what is wrong."""
    _require(isinstance(data, dict), where, "expected a JSON object with 'url' and 'versions'")
    fmt = data.get("format", FORMAT)
    _require(fmt == FORMAT, where, f"'format' is {fmt!r}, not {FORMAT!r}")
    version = data.get("format_version", FORMAT_VERSION)
    _require(isinstance(version, int), where, "'format_version' must be a whole number")
    _require(
        version <= FORMAT_VERSION,
        where,
        f"written by a newer newsdiff-tui (format version {version}; this one reads "
        f"{FORMAT_VERSION}): upgrade newsdiff-tui to import it",
    )
    url = data.get("url")
    _require(isinstance(url, str), where, "'url' must be an http(s) URL")
    problem = url_problem(url)
    _require(problem is None, where, f"'url' is refused: {problem}")
    versions = data.get("versions")
    _require(
        isinstance(versions, list) and bool(versions), where, "'versions' must be a non-empty list"
    )
    texts = []
    for n, entry in enumerate(versions):
        at = f"{where}: versions[{n}]"
        _require(isinstance(entry, dict), at, "expected an object")
        paragraphs = entry.get("paragraphs")
        _require(
            isinstance(paragraphs, list) and all(isinstance(p, str) for p in paragraphs),
            at,
            "'paragraphs' must be a list of strings",
        )
        title = entry.get("title") or ""
        _require(isinstance(title, str), at, "'title' must be a string")
        fetched_at = _time(entry.get("fetched_at"), at, "fetched_at")
        _require(fetched_at is not None, at, "'fetched_at' must be an ISO 8601 time")
        text = ArticleText(  # title, byline and paragraphs: the store normalises them
            title=title,
            byline=_optional_str(entry, "byline", at),
            published=_optional_text(entry, "published", at),
            paragraphs=tuple(paragraphs),
        )
        texts.append(_seen(entry, at, text, fetched_at))  # type: ignore[arg-type]
    texts.sort(key=lambda item: item.seen_at)
    first_seen = _time(data.get("first_seen"), where, "first_seen") or texts[0].seen_at
    source = _optional_text(data, "source", where)  # None: derived from the URL
    feed_url = _optional_url(data, "feed_url", where)
    check = _check_from_json(data.get("check"), where)
    return ParsedHistory(url, source, feed_url, first_seen, tuple(texts), check)


def _seen(entry: dict[str, Any], at: str, text: ArticleText, fetched_at: datetime) -> SeenText:
    """A version entry's text with its provenance (``origin``, ``origin_ref``, ``origin_url``)."""
    origin = entry.get("origin", "live")
    _require(origin in ORIGINS, at, f"'origin' must be one of {', '.join(ORIGINS)}")
    origin_url = _optional_url(entry, "origin_url", at)  # http(s), no control characters
    origin_ref = _optional_text(entry, "origin_ref", at)
    # Another tracker's boring mark (NewsDiffs') is a fact about its source, kept as such; for
    # our own versions ``boring`` is recomputed.
    boring = origin == "import" and entry.get("boring") is True
    return SeenText(text, fetched_at, origin, origin_ref, origin_url, boring=boring)


def apply_history(store: Store, parsed: ParsedHistory) -> tuple[Article, int]:
    """Write a validated history; versions already stored (same fetch time) are skipped."""
    article = store.add_article(
        parsed.url, source=parsed.source, feed_url=parsed.feed_url, first_seen=parsed.first_seen
    )
    existing = {v.fetched_at for v in store.versions(article.id)}
    new: dict[datetime, SeenText] = {}
    for seen in parsed.texts:  # the first of several entries with one time counts, as before
        if seen.seen_at not in existing:
            new.setdefault(seen.seen_at, seen)
    added = sum(v is not None for v in store.insert_versions(article.id, new.values()))
    check = parsed.check
    if check is not None and _newer(check, store.article(article.id).check):
        store.record_check(article.id, check)
    store.flush()
    return store.article(article.id), added


def _newer(imported: CheckState, current: CheckState) -> bool:
    """Whether an imported check state should replace the cache's: only a more recent one."""
    if imported.last_checked is None:
        return current.last_checked is None and imported != current
    return current.last_checked is None or imported.last_checked > current.last_checked
