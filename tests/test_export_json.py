"""The JSON history: export, import into an empty cache, export again gives identical bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdiff_tui.history import (
    FORMAT,
    HistoryFormatError,
    dump_history,
    history_to_json,
    load_history,
)
from newsdiff_tui.model import ArticleText, CheckState
from newsdiff_tui.store import Store

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def _dump(store: Store, article_id: str) -> str:
    return dump_history(store.article(article_id), store.versions(article_id))


def _reimport(text: str, root: Path) -> tuple[Store, str]:
    """Import a JSON history into a new empty cache at ``root``; returns it and the id."""
    store = Store(root)
    article, _ = load_history(store, json.loads(text))
    return store, article.id


def test_seed_round_trips_to_identical_bytes(seeded_store: Store, tmp_path: Path) -> None:
    (article,) = seeded_store.articles()
    first = _dump(seeded_store, article.id)
    again, article_id = _reimport(first, tmp_path / "again")
    assert article_id == article.id
    assert _dump(again, article_id) == first


def test_rich_history_round_trips_losslessly(store: Store, tmp_path: Path) -> None:
    """Boring versions, reverts, bylines, published times, feed URL and check state survive."""
    article = store.add_article(
        "https://news.example.org/2024/story?id=7",
        source="example",
        feed_url="https://news.example.org/feed.xml",
        first_seen=T0,
    )
    texts = [
        ArticleText("Storm warning", "By A. Writer", "2024-03-01T07:00:00Z", ("One.", "Two.")),
        ArticleText("Storm warning", "By A. Writer", "2024-03-01T07:00:00Z", ("One!", "Two.")),
        ArticleText("Storm warning issued", None, None, ("One!", "Two.", "Three <b>&amp;</b>.")),
        ArticleText("Storm warning", "By A. Writer", "2024-03-01T07:00:00Z", ("One.", "Two.")),
    ]
    for n, text in enumerate(texts):
        store.add_version(article.id, text, T0 + timedelta(hours=n, microseconds=n))
    check = CheckState(
        last_checked=T0 + timedelta(days=1),
        last_error="HTTP 503",
        failures=2,
        etag='W/"abc"',
        last_modified="Sat, 02 Mar 2024 08:00:00 GMT",
        body_hash="f" * 64,
        final_url="https://news.example.org/2024/story",
        checks=9,
    )
    store.record_check(article.id, check)
    store.flush()

    first = _dump(store, article.id)
    doc = json.loads(first)
    assert [(v["boring"], v["revert_of"]) for v in doc["versions"]] == [
        (False, None),
        (True, None),
        (False, None),
        (False, 0),
    ]
    again, article_id = _reimport(first, tmp_path / "again")
    assert _dump(again, article_id) == first
    assert again.article(article_id).check == check
    assert again.article(article_id).feed_url == "https://news.example.org/feed.xml"


def test_export_documents_the_format(seeded_store: Store) -> None:
    (article,) = seeded_store.articles()
    doc = history_to_json(article, seeded_store.versions(article.id))
    assert doc["format"] == FORMAT and doc["format_version"] == 2
    assert list(doc) == [
        "format",
        "format_version",
        "id",
        "url",
        "source",
        "title",
        "first_seen",
        "feed_url",
        "check",
        "versions",
    ]
    assert list(doc["versions"][0]) == [
        "number",
        "fetched_at",
        "origin",
        "origin_ref",
        "origin_url",
        "title",
        "byline",
        "published",
        "paragraphs",
        "boring",
        "revert_of",
        "text_hash",
    ]
    assert [v["fetched_at"] for v in doc["versions"]] == [
        "2019-11-22T09:15:00+00:00",
        "2019-11-22T09:47:00+00:00",
    ]
    assert dump_history(article, seeded_store.versions(article.id)).endswith("}\n")


def test_import_keeps_a_more_recent_check(store: Store, seed_data: dict) -> None:
    article, _ = load_history(store, seed_data)
    recent = CheckState(last_checked=datetime(2025, 1, 1, tzinfo=UTC), checks=40)
    store.record_check(article.id, recent)
    older = dict(seed_data, check={"last_checked": "2020-01-01T00:00:00+00:00", "checks": 3})
    _, added = load_history(store, older)
    assert added == 0
    assert store.article(article.id).check == recent


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": 3}, "newer newsdiff-tui"),
        ({"format": "something-else"}, "'format'"),
        ({"check": {"failures": "many"}}, "'failures' must be a whole number"),
        ({"check": {"last_checked": "yesterday"}}, "'last_checked' must be an ISO 8601 time"),
        ({"check": []}, "check: expected an object"),
        ({"feed_url": 3}, "'feed_url' must be a string"),
        ({"first_seen": "soon"}, "'first_seen' must be an ISO 8601 time"),
    ],
)
def test_bad_history_is_refused_and_changes_nothing(
    store: Store, seed_data: dict, change: dict, message: str
) -> None:
    with pytest.raises(HistoryFormatError, match=message):
        load_history(store, dict(seed_data, **change), where="bad.json")
    assert len(store) == 0


def test_bad_version_field_is_named(store: Store, seed_data: dict) -> None:
    seed_data["versions"][1]["published"] = 2019
    with pytest.raises(HistoryFormatError, match=r"bad.json: versions\[1\]: 'published'"):
        load_history(store, seed_data, where="bad.json")
    seed_data["versions"][1]["published"] = None
    seed_data["versions"][0]["fetched_at"] = 5
    with pytest.raises(HistoryFormatError, match=r"versions\[0\]: 'fetched_at'"):
        load_history(store, seed_data, where="bad.json")
    assert len(store) == 0
