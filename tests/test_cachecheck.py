"""Cache files that are valid JSON but of the wrong shape: one line naming the file and the field.

Each case edits one field of a real cache (the seed article imported through the CLI): an index
entry (snapshot or journal), an article shard (its article document or a version), the feeds
file, meta.json. Every command that reads the file must exit 2 with one line naming the file
and the field, never a traceback, and must leave every file as it was (bytes and mtimes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_cli_cache import SEED, files_of, one_error_line, run

from newsdiff_tui.cachecheck import check_index_entries
from newsdiff_tui.errors import CacheError
from newsdiff_tui.store import Store

Edit = Callable[[dict[str, Any]], Any]


@pytest.fixture
def cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The seed article imported through the CLI, its index compacted into index.json."""
    root = tmp_path / "cache"
    assert run(capsys, "--db", str(root), "import", str(SEED))[0] == 0
    assert run(capsys, "--db", str(root), "doctor", "--rebuild-index")[0] == 0
    return root


def edit_json(path: Path, change: Edit) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def only(table: dict[str, Any]) -> dict[str, Any]:
    (doc,) = table.values()
    return doc


def expect_one_line(
    capsys: pytest.CaptureFixture[str], root: Path, argv: list[str], *needles: str
) -> None:
    """``argv`` fails with exit 2 and one line holding every needle, and changes no file."""
    before = files_of(root)
    code, out, err = run(capsys, "--db", str(root), *argv)
    assert (code, out) == (2, ""), err
    line = one_error_line(err)
    for needle in needles:
        assert needle in line, (needle, line)
    assert files_of(root) == before


# ----- index entries -------------------------------------------------------------------------
INDEX_CASES: dict[str, tuple[Edit, str]] = {
    "no url": (lambda doc: doc.pop("url"), "'url' is missing"),
    "url null": (lambda doc: doc.update(url=None), "'url' is missing"),
    "title a number": (lambda doc: doc.update(title=5), "'title' is a number"),
    "source a list": (lambda doc: doc.update(source=["a"]), "'source' is a list"),
    "first_seen missing": (lambda doc: doc.pop("first_seen"), "'first_seen' is missing"),
    "first_seen not a time": (lambda doc: doc.update(first_seen="yesterday"), "'first_seen'"),
    "last_changed a number": (lambda doc: doc.update(last_changed=3), "'last_changed'"),
    "versions text": (lambda doc: doc.update(versions="two"), "'versions' is text"),
    "versions true": (lambda doc: doc.update(versions=True), "'versions' is true/false"),
    "check a list": (lambda doc: doc.update(check=[1]), "'check' is a list"),
    "check error a number": (
        lambda doc: doc.update(check={"last_error": 404}),
        "check state 'last_error' is a number",
    ),
    "check failures text": (
        lambda doc: doc.update(check={"failures": "3"}),
        "check state 'failures' is text",
    ),
}


@pytest.mark.parametrize(("edit", "field"), INDEX_CASES.values(), ids=list(INDEX_CASES))
def test_a_malformed_index_entry_is_one_line_and_kept(
    cache: Path, capsys: pytest.CaptureFixture[str], edit: Edit, field: str
) -> None:
    index = cache / "index.json"
    edit_json(index, lambda data: edit(only(data["articles"])))
    for argv in (["list"], ["list", "--json"], ["--export", "Korea"], ["import", str(SEED)]):
        expect_one_line(capsys, cache, argv, str(index), field, "doctor --rebuild-index")
    before = files_of(cache)
    code, out, _ = run(capsys, "--db", str(cache), "doctor")
    assert code == 2 and field in out and str(index) in out
    assert files_of(cache) == before
    code, out, _ = run(capsys, "--db", str(cache), "doctor", "--rebuild-index")
    assert code == 0 and "kept the corrupt index.json as" in out
    code, out, _ = run(capsys, "--db", str(cache), "list", "--json")
    assert code == 0 and json.loads(out)["versions"] == 2


def test_a_malformed_journal_entry_names_the_journal(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = cache / "index.log"
    header = journal.read_bytes()
    entry = only(json.loads((cache / "index.json").read_text())["articles"])
    for record, field in (
        ({"del": ["not", "an", "id"]}, "malformed record"),
        ({"intent": 5}, "malformed record"),
        ({"put": {**entry, "title": ["a", "list"]}}, "'title' is a list"),  # kept aside below
    ):
        journal.write_bytes(header + json.dumps(record).encode() + b"\n")
        expect_one_line(capsys, cache, ["list"], str(journal), field)
    bad = journal.read_bytes()
    code, out, _ = run(capsys, "--db", str(cache), "doctor", "--rebuild-index")
    assert code == 0 and "kept the corrupt index.log as" in out
    (aside,) = cache.glob("index.log.corrupt-*")
    assert aside.read_bytes() == bad
    assert run(capsys, "--db", str(cache), "list")[0] == 0


def test_the_store_refuses_a_malformed_entry_written_by_another_process(cache: Path) -> None:
    """A reader already open picks up a bad journal entry as a CacheError, not a crash."""
    with Store(cache) as store:
        assert len(store.articles()) == 1
        entry = only(json.loads((cache / "index.json").read_text())["articles"])
        with (cache / "index.log").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"put": {**entry, "id": "f" * 16, "url": 7}}) + "\n")
        with pytest.raises(CacheError, match=r"'url' is a number.*index\.log"):
            store.refresh()


def test_index_checks_name_the_first_bad_entry_in_a_batch(tmp_path: Path) -> None:
    good = {"id": "a" * 16, "url": "https://e.com/a", "first_seen": "2024-01-01T00:00:00+00:00"}
    docs = [{**good, "id": f"{n:016x}"} for n in range(50)]
    check_index_entries(docs, tmp_path / "index.json")  # fine
    docs[30] = {**docs[30], "check": {"last_checked": "soon"}}
    with pytest.raises(CacheError) as caught:
        check_index_entries(docs, tmp_path / "index.json")
    assert str(caught.value) == (
        "index entry is malformed (article '000000000000001e': check state 'last_checked' is "
        f"not an ISO 8601 time): {tmp_path / 'index.json'}"
    )


# ----- article shards ------------------------------------------------------------------------
def version(data: dict[str, Any], number: int = 1) -> dict[str, Any]:
    return data["versions"][str(number + 1)]


SHARD_CASES: dict[str, tuple[Edit, str]] = {
    "title a number": (lambda d: version(d).update(title=5), "version 1: 'title' is a number"),
    "title zero": (lambda d: version(d).update(title=0), "version 1: 'title' is a number"),
    "byline a list": (lambda d: version(d).update(byline=["x"]), "'byline' is a list"),
    "no text": (lambda d: version(d).pop("paragraphs"), "version 1: 'paragraphs' is missing"),
    "text not strings": (
        lambda d: version(d).update(paragraphs=["a", 2]),
        "'paragraphs' holds something other than text",
    ),
    "published a number": (lambda d: version(d).update(published=2019), "'published'"),
    "boring text": (lambda d: version(d).update(boring="yes"), "'boring' is text"),
    "revert_of text": (lambda d: version(d).update(revert_of="0"), "'revert_of' is text"),
    "version a list": (lambda d: d["versions"].update({"2": [1]}), "version entry '2'"),
    "source a number": (
        lambda d: only(d["article"]).update(source=5),
        "article document: 'source' is a number",
    ),
    "url missing": (lambda d: only(d["article"]).pop("url"), "article document: 'url'"),
    "check error a list": (
        lambda d: only(d["article"]).update(check={"last_error": ["x"]}),
        "'last_error' is a list",
    ),
    "file a list": (lambda d: d.clear() or d.update(x=1), "no single article document"),
}


@pytest.mark.parametrize(("edit", "field"), SHARD_CASES.values(), ids=list(SHARD_CASES))
def test_a_malformed_shard_is_one_line_and_kept(
    cache: Path, capsys: pytest.CaptureFixture[str], edit: Edit, field: str
) -> None:
    (shard,) = (cache / "articles").glob("*/*.json")
    edit_json(shard, edit)
    for argv in (
        ["--export", "Korea"],
        ["--export", "Korea", "--format", "atom"],
        ["import", str(SEED)],
        ["diff", f"{shard.stem}@0", f"{shard.stem}@1"],
    ):
        expect_one_line(capsys, cache, argv, str(shard), "shard is malformed", field)
    code, out, _ = run(capsys, "--db", str(cache), "doctor")
    assert code == 2 and field in out and str(shard) in out


def test_a_shard_that_is_a_list_is_named(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shard,) = (cache / "articles").glob("*/*.json")
    shard.write_text("[1, 2]")
    expect_one_line(capsys, cache, ["--export", "Korea"], str(shard))


# ----- feeds.json ----------------------------------------------------------------------------
FEED = {"url": "https://example.com/rss", "added": "2024-01-01T00:00:00+00:00"}
FEEDS_CASES: dict[str, tuple[Any, str]] = {
    "a list": ([FEED], "not a TinyDB document"),
    "feeds a list": ({"feeds": [FEED]}, "'feeds' is a list"),
    "feed text": ({"feeds": {"u": "https://example.com/rss"}}, "feed 'u': the document is text"),
    "url a number": ({"feeds": {"u": {**FEED, "url": 5}}}, "'url' is a number"),
    "no url": ({"feeds": {"u": {"added": FEED["added"]}}}, "'url' is missing"),
    "failures text": ({"feeds": {"u": {**FEED, "failures": "2"}}}, "'failures' is text"),
    "added not a time": ({"feeds": {"u": {**FEED, "added": "monday"}}}, "'added' is not an ISO"),
    "error an object": ({"feeds": {"u": {**FEED, "last_error": {}}}}, "'last_error' is an obj"),
    "refused a list": ({"feeds": {"u": {**FEED, "last_refused": ["x"]}}}, "'last_refused' is a"),
}


@pytest.mark.parametrize(("content", "field"), FEEDS_CASES.values(), ids=list(FEEDS_CASES))
def test_a_malformed_feeds_file_is_one_line_and_kept(
    cache: Path, capsys: pytest.CaptureFixture[str], content: Any, field: str
) -> None:
    feeds = cache / "feeds.json"
    feeds.write_text(json.dumps(content))
    for argv in (["feed", "list"], ["fetch", "--all"], ["feed", "add", "https://example.com/b"]):
        expect_one_line(capsys, cache, argv, str(feeds), field)


# ----- meta.json -----------------------------------------------------------------------------
META_CASES: dict[str, tuple[bytes, str]] = {
    "a list": (b'[{"schema": 1}]', "the document is a list"),
    "schema text": (b'{"schema": "1"}', "'schema' is text"),
    "schema true": (b'{"schema": true}', "'schema' is true/false"),
    "schema null": (b'{"schema": null}', "'schema' is missing"),
    "no schema": (b"{}", "'schema' is missing"),
    "negative": (b'{"schema": -1}', "'schema' is negative"),
}


@pytest.mark.parametrize(("content", "field"), META_CASES.values(), ids=list(META_CASES))
def test_a_malformed_meta_file_is_one_line_and_kept(
    cache: Path, capsys: pytest.CaptureFixture[str], content: bytes, field: str
) -> None:
    meta = cache / "meta.json"
    meta.write_bytes(content)
    for argv in (["list"], ["doctor", "--rebuild-index"], ["import", str(SEED)]):
        expect_one_line(capsys, cache, argv, str(meta), field)


def test_no_traceback_from_the_console_script(cache: Path) -> None:
    """The real entry point, in its own process: one line on stderr, exit 2."""
    edit_json(cache / "index.json", lambda data: only(data["articles"]).update(title=5))
    result = subprocess.run(
        [sys.executable, "-m", "newsdiff_tui", "--db", str(cache), "list"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "'title' is a number" in one_error_line(result.stderr)
