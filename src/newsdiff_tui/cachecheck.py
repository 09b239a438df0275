"""Shape checks of every document read from the cache: meta, index entries, shards, feeds.

A cache file can be valid JSON and still wrong: edited by hand, written by another tool, or
damaged in a way that keeps it parseable (an index entry without ``url``, a title that is a
number, a byline that is a list, a version without text, a feeds file of the wrong shape).
The store and the feeds module call these checks on everything they read, before any other
code touches it, so such a file is a ``CacheError`` naming the file and the field (one line in
the CLI, the error screen in the app) and never a ``TypeError`` far away.

The checks only read: nothing here repairs or rewrites a file (``doctor`` reports it, the user
decides). Unknown fields are allowed, so a field added later (or by another feature) does not
make older documents invalid; a missing optional field takes its default.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from newsdiff_tui.errors import CacheError
from newsdiff_tui.model import ORIGINS

__all__ = [
    "check_feeds",
    "check_index_entries",
    "check_index_entry",
    "check_meta",
    "check_shard",
]

_NULL = type(None)
_MISSING = object()
# A field: (name, the JSON types it may have, required). ``int`` never admits ``bool``: the
# checks compare ``type(value)``, and ``type(True)`` is ``bool``.
_Field = tuple[str, tuple[type, ...], bool]
_TEXT: tuple[type, ...] = (str,)
_OPT_TEXT: tuple[type, ...] = (str, _NULL)
_COUNT: tuple[type, ...] = (int, _NULL)

CHECK_FIELDS: tuple[_Field, ...] = (
    ("last_checked", _OPT_TEXT, False),
    ("last_error", _OPT_TEXT, False),
    ("failures", _COUNT, False),
    ("etag", _OPT_TEXT, False),
    ("last_modified", _OPT_TEXT, False),
    ("body_hash", _OPT_TEXT, False),
    ("final_url", _OPT_TEXT, False),
    ("checks", _COUNT, False),
)
CHECK_TIMES = ("last_checked",)

ARTICLE_FIELDS: tuple[_Field, ...] = (
    ("id", _TEXT, True),
    ("url", _TEXT, True),
    ("first_seen", _TEXT, True),
    ("source", _OPT_TEXT, False),
    ("title", _OPT_TEXT, False),
    ("feed_url", _OPT_TEXT, False),
    ("check", (dict, _NULL), False),
)
ARTICLE_TIMES = ("first_seen",)

INDEX_FIELDS: tuple[_Field, ...] = (
    *ARTICLE_FIELDS,
    ("last_changed", _OPT_TEXT, False),
    ("versions", _COUNT, False),
    ("words", _COUNT, False),
)
INDEX_TIMES = ("first_seen", "last_changed")

VERSION_FIELDS: tuple[_Field, ...] = (
    ("number", (int,), True),
    ("fetched_at", _TEXT, True),
    ("text_hash", _TEXT, True),
    ("paragraphs", (list,), True),
    ("title", _OPT_TEXT, False),
    ("byline", _OPT_TEXT, False),
    ("published", _OPT_TEXT, False),
    ("boring", (bool, _NULL), False),
    ("revert_of", (int, _NULL), False),
    ("origin", _OPT_TEXT, False),
    ("origin_ref", _OPT_TEXT, False),
    ("origin_url", _OPT_TEXT, False),
    ("source_boring", (bool, _NULL), False),  # store.SOURCE_BORING
)
VERSION_TIMES = ("fetched_at",)
# Where a version's text was seen (model.ORIGINS; null or missing: a live fetch).
VERSION_ORIGINS = frozenset(ORIGINS)

BACKFILL_FIELDS: tuple[_Field, ...] = (
    ("texts", (dict, _NULL), False),
    ("refused", (dict, _NULL), False),
    ("searched_at", _OPT_TEXT, False),
    ("last_error", _OPT_TEXT, False),
)
BACKFILL_TIMES = ("searched_at",)

FEED_FIELDS: tuple[_Field, ...] = (
    ("url", _TEXT, True),
    ("added", _OPT_TEXT, False),
    ("last_checked", _OPT_TEXT, False),
    ("last_error", _OPT_TEXT, False),
    ("failures", _COUNT, False),
    ("etag", _OPT_TEXT, False),
    ("last_modified", _OPT_TEXT, False),
    ("discovered", _COUNT, False),
    ("last_refused", _OPT_TEXT, False),
)
FEED_TIMES = ("added", "last_checked")


class _Bad(Exception):
    """What is wrong inside a document; turned into a ``CacheError`` naming the file."""


def _kind(value: Any) -> str:
    """How a JSON value is named in messages: 'a number', 'a list', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_EXPECTED = {
    _TEXT: "text",
    _OPT_TEXT: "text or null",
    _COUNT: "a whole number",
    (int,): "a whole number",
    (int, _NULL): "a whole number or null",
    (bool, _NULL): "true/false",
    (list,): "a list",
    (dict, _NULL): "an object",
}


def _check_fields(doc: Any, fields: Iterable[_Field], times: Iterable[str]) -> None:
    """Raise ``_Bad`` naming the first field of ``doc`` that is missing or of the wrong type.

    Kept to plain type comparisons: it runs on each of the 20,000 index entries at every open.
    """
    if type(doc) is not dict:
        raise _Bad(f"the document is {_kind(doc)}, not an object")
    for name, types, required in fields:
        value = doc.get(name, _MISSING)
        if value is _MISSING:
            if required:
                raise _Bad(f"'{name}' is missing")
        elif type(value) not in types:
            if value is None and required:
                raise _Bad(f"'{name}' is missing (null)")
            raise _Bad(f"'{name}' is {_kind(value)}, not {_EXPECTED[types]}")
    for name in times:
        value = doc.get(name)
        if value:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise _Bad(f"'{name}' is not an ISO 8601 time") from None


def _label(key: Any) -> str:
    """A key or id from the file, quoted and cut short (it may be anything)."""
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def check_meta(data: Any, path: Path) -> int:
    """The schema version ``meta.json`` holds; ``CacheError`` naming the file if malformed."""
    try:
        _check_fields(data, (("schema", (int,), True),), ())
        if data["schema"] < 0:
            raise _Bad("'schema' is negative")
    except _Bad as bad:
        raise CacheError(f"cache metadata is malformed ({bad}): {path}") from None
    return data["schema"]


def check_index_entries(docs: Sequence[dict[str, Any]], path: Path) -> None:
    """Raise ``CacheError`` naming ``path`` and the field unless every entry is valid.

    ``path`` is the index snapshot or its journal, whichever the entries were read from. Why a
    batch: opening a 20,000-article cache checks every entry, and testing one field across all
    entries at a time is faster than testing one entry at a time; when the batch
    fails, the entries are checked one by one to name the first bad one.
    """
    checks = None
    if _all_fit(docs, INDEX_FIELDS, INDEX_TIMES):
        checks = [check for doc in docs if (check := doc.get("check"))]
        if _all_fit(checks, CHECK_FIELDS, CHECK_TIMES):
            return
    for doc in docs:
        check_index_entry(doc, path)
    raise CacheError(f"index entry is malformed: {path}")  # not reached: the loop names it


def _all_fit(docs: Sequence[Any], fields: Iterable[_Field], times: Iterable[str]) -> bool:
    """Whether every document passes ``_check_fields`` (the same rules, tested field by field)."""
    if any(type(doc) is not dict for doc in docs):
        return False
    for name, types, required in fields:
        default = _MISSING if required else None
        if not {type(doc.get(name, default)) for doc in docs}.issubset(types):
            return False
    try:
        for name in times:
            deque(map(datetime.fromisoformat, [v for doc in docs if (v := doc.get(name))]), 0)
    except (TypeError, ValueError):
        return False
    return True


def check_index_entry(doc: Any, path: Path) -> None:
    """Raise ``CacheError`` naming ``path`` and the field unless ``doc`` is a valid index entry.

    ``path`` is the index snapshot or its journal, whichever the entry was read from.
    """
    try:
        _check_fields(doc, INDEX_FIELDS, INDEX_TIMES)
        check = doc.get("check")
        if check:
            try:
                _check_fields(check, CHECK_FIELDS, CHECK_TIMES)
            except _Bad as bad:
                raise _Bad(f"check state {bad}") from None
    except _Bad as bad:
        article = doc.get("id") if isinstance(doc, dict) else None
        which = f"article {_label(article)}" if article is not None else "an entry"
        raise CacheError(f"index entry is malformed ({which}: {bad}): {path}") from None


def check_shard(data: Any, path: Path, article_id: str | None = None) -> None:
    """Raise ``CacheError`` naming ``path`` unless ``data`` has the shape of an article shard.

    A shard has an ``article`` table with one document (url, first seen, check state) and a
    ``versions`` table whose documents are numbered 0..n-1, each with its text.
    """
    try:
        _check_shard(data, article_id)
    except _Bad as bad:
        raise CacheError(f"shard is malformed ({bad}): {path}") from None


def _check_shard(data: Any, article_id: str | None) -> None:
    """``check_shard`` without the path: raises ``_Bad`` saying what is wrong with ``data``."""
    if type(data) is not dict:
        raise _Bad(f"the file is {_kind(data)}, not an object")
    table = data.get("article")
    if type(table) is not dict or len(table) != 1:
        raise _Bad("no single article document")
    meta = next(iter(table.values()))
    try:
        _check_fields(meta, ARTICLE_FIELDS, ARTICLE_TIMES)
        if meta.get("check"):
            _check_fields(meta["check"], CHECK_FIELDS, CHECK_TIMES)
    except _Bad as bad:
        raise _Bad(f"article document: {bad}") from None
    if meta.get("backfill") is not None:
        _check_backfill(meta["backfill"])
    if article_id is not None and meta["id"] != article_id:
        raise _Bad("article id does not match the file name")
    versions = data.get("versions", {})
    if type(versions) is not dict:
        raise _Bad("versions is not a table")
    numbers = []
    for key, doc in versions.items():
        try:
            _check_fields(doc, VERSION_FIELDS, VERSION_TIMES)
            if not all(type(p) is str for p in doc["paragraphs"]):
                raise _Bad("'paragraphs' holds something other than text")
            if (doc.get("origin") or "live") not in VERSION_ORIGINS:
                raise _Bad(f"'origin' is {_label(doc['origin'])}, not live, wayback or import")
        except _Bad as bad:
            number = doc.get("number") if isinstance(doc, dict) else None
            which = f"version {number}" if type(number) is int else f"version entry {_label(key)}"
            raise _Bad(f"{which}: {bad}") from None
        numbers.append(doc["number"])
    if sorted(numbers) != list(range(len(numbers))):
        raise _Bad("version numbers are not 0..n-1")


def _check_backfill(state: Any) -> None:
    """The backfill state of an article document: digests mapped to text hashes or reasons."""
    try:
        _check_fields(state, BACKFILL_FIELDS, BACKFILL_TIMES)
        for name in ("texts", "refused"):
            table = state.get(name) or {}
            if not all(type(value) is str for value in table.values()):
                raise _Bad(f"'{name}' maps a digest to something other than text")
    except _Bad as bad:
        raise _Bad(f"article document: backfill state: {bad}") from None


def check_feeds(data: Any, path: Path) -> dict[str, dict[str, Any]]:
    """The followed feeds of a ``feeds.json`` document (None: the file does not exist yet).

    Raises ``CacheError`` naming ``path`` and the field when the document has the wrong shape.
    """
    if data is None:
        return {}
    try:
        if type(data) is not dict:
            raise _Bad(f"the file is {_kind(data)}, not an object")
        feeds = data.get("feeds", {})
        if feeds is None:
            return {}
        if type(feeds) is not dict:
            raise _Bad(f"'feeds' is {_kind(feeds)}, not an object")
        for key, doc in feeds.items():
            try:
                _check_fields(doc, FEED_FIELDS, FEED_TIMES)
            except _Bad as bad:
                raise _Bad(f"feed {_label(key)}: {bad}") from None
    except _Bad as bad:
        raise CacheError(f"feeds file is malformed ({bad}): {path}") from None
    return feeds
