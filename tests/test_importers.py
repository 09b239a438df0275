"""``import --from diffengine|newsedits|newssniffer``: small sources built from each tracker's
schema go through the real CLI into a real cache.

What must hold: versions, times, titles and text come through with their provenance; a second
import adds nothing (the cache's bytes and mtimes stay); the source is never written; every
bad source gives one line on stderr, exit 2, and leaves the cache as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_helpers import run, tree_state
from importer_fixtures import (
    SEED,
    cache_fixture,  # noqa: F401 - the fixture ``cache``
    diffengine_db,
    import_from,
    newsedits_db,
    newssniffer_csv,
    newssniffer_db,
    stored,
)

from newsdiff_tui.cli import main
from newsdiff_tui.importers import FORMAT_NAMES
from newsdiff_tui.importers.diffengine import html_paragraphs
from newsdiff_tui.importers.newsedits import split_paragraphs
from newsdiff_tui.importers.run import FORMATS
from newsdiff_tui.store import Store
from newsdiff_tui.urls import article_id_for

URL_A = "https://www.example.com/2020/01/01/storm.html"
URL_B = "https://news.example.org/politics/vote"
LEAD = "The storm reached the coast on Wednesday night, officials said in a statement"
MORE = "Thousands of homes were left without power as the wind brought down lines"


# ----- sources --------------------------------------------------------------------------------
def diffengine_source(path: Path, **overrides: object) -> Path:
    """Two entries: one with two versions (the first with an archive link), one with one;
    ``overrides`` replace cells: ``{"1_created": ...}`` is the created time of row 1."""
    versions = [
        (
            11,
            "Storm hits coast",
            URL_A,
            f"<p>{LEAD}.</p>\n<p>{MORE}.</p>",
            "2020-01-01 10:00:00.250000",
            "https://web.archive.org/web/20200101100000/" + URL_A,
            1,
            None,
        ),
        (
            12,
            "Storm hits coast, killing two",
            URL_A,
            f"<p>{LEAD} &amp; police.</p>\n<p>{MORE}.</p>\n<p>Two people died.</p>",
            "2020-01-01 12:30:00",
            None,
            1,
            None,
        ),
        (21, "Vote delayed", URL_B, f"<p>{LEAD}.</p>", "2020-02-01 08:00:00", "", 2, None),
    ]
    for key, value in overrides.items():
        row, column = key.split("_", 1)
        index = int(row)
        cells = list(versions[index])
        cells[{"title": 1, "summary": 3, "created": 4, "archive": 5}[column]] = value
        versions[index] = tuple(cells)
    return diffengine_db(
        path,
        entries=[
            (1, URL_A + "?utm_source=rss", "2020-01-01 09:59:00", "2020-01-02 00:00:00", None),
            (2, URL_B, "2020-02-01 08:00:00", "2020-02-02 00:00:00", None),
        ],
        versions=versions,
        feeds=[("https://www.example.com/rss", "Example", "2019-12-01 00:00:00")],
        feed_entries=[(1, "https://www.example.com/rss", 1, "2020-01-01 09:59:00")],
    )


def newsedits_source(path: Path, rows: list[tuple] | None = None) -> Path:
    return newsedits_db(
        path,
        rows
        if rows is not None
        else [
            (1, 7, 0, "2019-05-01 10:00:00", "Budget vote", URL_A, 2, f"<p>{LEAD}.</p><p>{MORE}."),
            (2, 7, 1, "2019-05-01 14:00:00", "Budget passes", URL_A, 2, f"{LEAD}.</p><p>{MORE}!"),
            (3, 9, 0, "2019-05-02T09:00:00Z", "Other story", URL_B, 1, f"{MORE}.</p><p>{LEAD}."),
        ],
    )


def newssniffer_tables(text_rows: list[tuple] | None = None) -> dict[str, list[tuple]]:
    return {
        "news_articles": [
            (5, "BBC", "guid-5", URL_A, "Storm", "2018-03-04 05:00:00", 2),
            (6, "Guardian", "guid-6", URL_B, "Vote", None, 1),
        ],
        "news_article_versions": [
            (50, 5, "Storm warning", URL_A, "2018-03-04 06:00:00", 1, "h50"),
            (51, 5, "Storm hits", URL_A, "2018-03-04 09:00:00", 2, "h51"),
            (60, 6, "Vote today", URL_B, "2018-03-05 10:00:00", 1, "h60"),
        ],
        "news_article_version_texts": text_rows
        if text_rows is not None
        else [
            (50, f"{LEAD}.\n{MORE}."),
            (51, f"{LEAD}.\n\n{MORE}.\nThe clean-up began."),
            (60, f"{MORE}."),
        ],
    }


# ----- what comes through ---------------------------------------------------------------------
def test_diffengine_versions_times_titles_text_and_provenance(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = diffengine_source(tmp_path / "diffengine.db")
    code, out, err = import_from(capsys, cache, "diffengine", source)
    assert code == 0, err
    assert out.strip() == (
        "diffengine: 2 article(s) (2 new), 3 version(s) imported, 0 skipped "
        "(0 already in the cache or unchanged), 0 error(s)"
    )
    first, second = stored(cache, URL_A)  # the entry's URL, cleaned as `add` cleans it
    assert first.text.title == "Storm hits coast"
    assert second.text.title == "Storm hits coast, killing two"
    assert [v.fetched_at.isoformat() for v in (first, second)] == [
        "2020-01-01T10:00:00.250000+00:00",
        "2020-01-01T12:30:00+00:00",
    ]
    assert first.text.paragraphs == (f"{LEAD}.", f"{MORE}.")
    assert second.text.paragraphs == (f"{LEAD} & police.", f"{MORE}.", "Two people died.")
    assert (first.origin, first.origin_ref, first.origin_url) == (
        "import",
        "diffengine:11",
        "https://web.archive.org/web/20200101100000/" + URL_A,
    )
    assert (second.origin_ref, second.origin_url) == ("diffengine:12", None)
    with Store(cache) as store:
        article = store.article(article_id_for(URL_A))
        assert article.feed_url == "https://www.example.com/rss"
        assert article.first_seen.isoformat() == "2020-01-01T09:59:00+00:00"
        assert article.imported_versions == 2
    (only,) = stored(cache, URL_B)
    assert (only.origin_ref, only.origin_url) == ("diffengine:21", None)  # "" is no link


def test_newsedits_versions_come_through_split_on_paragraph_tags(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = import_from(capsys, cache, "newsedits", newsedits_source(tmp_path / "nyt.db"))
    assert code == 0, err
    assert "2 article(s) (2 new), 3 version(s) imported" in out
    v0, v1 = stored(cache, URL_A)
    assert (v0.text.title, v1.text.title) == ("Budget vote", "Budget passes")
    assert v0.text.paragraphs == (f"{LEAD}.", f"{MORE}.")
    assert v1.text.paragraphs == (f"{LEAD}.", f"{MORE}!")
    assert (v0.origin_ref, v1.origin_ref) == ("newsedits:7:0", "newsedits:7:1")
    assert v1.fetched_at.isoformat() == "2019-05-01T14:00:00+00:00"
    (other,) = stored(cache, URL_B)
    assert other.fetched_at.isoformat() == "2019-05-02T09:00:00+00:00"  # Z read as UTC


@pytest.mark.parametrize("kind", ["sqlite", "csv"])
def test_newssniffer_from_sqlite_or_csv(
    kind: str, tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = newssniffer_tables()
    source = (
        newssniffer_db(tmp_path / "sniffer.db", tables)
        if kind == "sqlite"
        else newssniffer_csv(tmp_path / "sniffer-csv", tables)
    )
    code, out, err = import_from(capsys, cache, "newssniffer", source)
    assert code == 0, err
    assert "2 article(s) (2 new), 3 version(s) imported" in out
    v0, v1 = stored(cache, URL_A)
    assert (v0.text.title, v1.text.title) == ("Storm warning", "Storm hits")
    assert v0.text.paragraphs == (f"{LEAD}.", f"{MORE}.")
    assert v1.text.paragraphs == (f"{LEAD}.", f"{MORE}.", "The clean-up began.")
    assert (v0.origin_ref, v1.origin_ref) == ("newssniffer:50", "newssniffer:51")
    assert v0.fetched_at.isoformat() == "2018-03-04T06:00:00+00:00"
    assert v0.text.published == "2018-03-04T05:00:00+00:00"
    (vote,) = stored(cache, URL_B)
    assert vote.text.published is None  # NULL (\N in the CSV)


def test_naive_times_can_be_read_in_the_trackers_time_zone(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = newsedits_source(tmp_path / "nyt.db")
    code, _, err = run(
        capsys, "--db", str(cache), "import", "--from", "newsedits", "--timezone",
        "America/New_York", str(source),
    )  # fmt: skip
    assert code == 0, err
    v0, _ = stored(cache, URL_A)
    assert v0.fetched_at.isoformat() == "2019-05-01T14:00:00+00:00"  # 10:00 EDT
    (other,) = stored(cache, URL_B)
    assert other.fetched_at.isoformat() == "2019-05-02T09:00:00+00:00"  # had its own zone
    with pytest.raises(SystemExit) as stopped:
        main(["import", "--from", "newsedits", "--timezone", "Mars/Base", "x"])
    assert stopped.value.code == 2
    assert "unknown time zone 'Mars/Base'" in capsys.readouterr().err


def test_imported_versions_merge_with_live_ones_in_time_order(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An article tracked live gets the other tracker's older versions before its own."""
    from newsdiff_tui.model import ArticleText
    from newsdiff_tui.timeutil import from_iso

    with Store(cache) as store:
        article = store.add_article(URL_A)
        store.add_version(
            article.id,
            ArticleText("Budget passes", paragraphs=(f"{LEAD}.", f"{MORE}!", "Live only.")),
            from_iso("2019-06-01T00:00:00Z"),
        )
    assert import_from(capsys, cache, "newsedits", newsedits_source(tmp_path / "n.db"))[0] == 0
    versions = stored(cache, URL_A)
    assert [(v.number, v.origin) for v in versions] == [(0, "import"), (1, "import"), (2, "live")]


# ----- twice, and the source untouched --------------------------------------------------------
@pytest.mark.parametrize("fmt", ["diffengine", "newsedits", "newssniffer", "newssniffer-csv"])
def test_a_second_import_adds_nothing_and_writes_nothing(
    fmt: str, tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = {
        "diffengine": lambda: diffengine_source(tmp_path / "d.db"),
        "newsedits": lambda: newsedits_source(tmp_path / "n.db"),
        "newssniffer": lambda: newssniffer_db(tmp_path / "s.db", newssniffer_tables()),
        "newssniffer-csv": lambda: newssniffer_csv(tmp_path / "csv", newssniffer_tables()),
    }[fmt]()
    fmt = fmt.removesuffix("-csv")
    before_source = tree_state(tmp_path)
    assert import_from(capsys, cache, fmt, source)[0] == 0
    after_first = tree_state(cache)
    code, out, err = import_from(capsys, cache, fmt, source)
    assert code == 0, err
    assert "(0 new), 0 version(s) imported, 3 skipped (3 already in the cache" in out
    assert tree_state(cache) == after_first  # not one byte, not one mtime
    source_now = {k: v for k, v in tree_state(tmp_path).items() if not k.startswith("cache")}
    assert source_now == {k: v for k, v in before_source.items() if not k.startswith("cache")}
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(("-journal", "-wal", "-shm"))]


def test_the_same_text_twice_in_a_source_is_one_version(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deduplicated by normalised text: spacing and an invisible character are no change."""
    rows = [
        (1, 7, 0, "2019-05-01 10:00:00", "Budget vote", URL_A, 3, f"{LEAD}.</p><p>{MORE}."),
        (2, 7, 1, "2019-05-01 11:00:00", "Budget  vote", URL_A, 3, f"{LEAD}.\u200b </p><p>{MORE}."),
        (3, 7, 2, "2019-05-01 12:00:00", "Budget vote", URL_A, 3, ""),  # an empty capture
    ]
    code, out, err = import_from(capsys, cache, "newsedits", newsedits_source(tmp_path / "n", rows))
    assert code == 0, err
    assert "1 version(s) imported, 2 skipped (1 already in the cache or unchanged, 1 empty)" in out
    assert len(stored(cache, URL_A)) == 1


# ----- untrusted text -------------------------------------------------------------------------
def test_escape_codes_and_markup_in_titles_and_text_are_stored_inert(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    title = "\x1b]0;pwned\x07<b>Storm</b> \x1b[31mred\x1b[0m [bold]x[/bold]"
    summary = "<p>\x1b[2JCleared?</p><p>&lt;script&gt;alert(1)&lt;/script&gt; ok</p>"
    source = diffengine_source(tmp_path / "d.db", **{"0_title": title, "0_summary": summary})
    code, _, err = import_from(capsys, cache, "diffengine", source)
    assert code == 0, err
    first = stored(cache, URL_A)[0]
    assert first.text.title == "<b>Storm</b> red [bold]x[/bold]"  # markup kept as text
    assert first.text.paragraphs == ("Cleared?", "<script>alert(1)</script> ok")
    code, out, _ = run(capsys, "--db", str(cache), "list")
    assert "\x1b" not in out and "\x07" not in out


def test_diffengine_summary_paragraphs() -> None:
    html = (
        "Loose lead text\n<p>One &amp; <b>two</b></p><script>evil()</script>"
        "<p>Three<br>Four</p><style>p{}</style><!-- note --><p>  </p>tail"
    )
    assert html_paragraphs(html) == ["Loose lead text", "One & two", "Three", "Four", "tail"]
    assert html_paragraphs("") == [] and html_paragraphs(None) == []
    assert html_paragraphs("\x00<p>a</p>") == ["a"]


def test_newsedits_paragraph_split() -> None:
    assert split_paragraphs("<p>a &amp; b</p><p>c</p>") == ["a & b", "c"]
    assert split_paragraphs("a</p>\n<P class='x'>b") == ["a", "b"]
    assert split_paragraphs(None) == []


def test_every_format_name_has_a_reader() -> None:
    assert tuple(FORMATS) == FORMAT_NAMES


# ----- bad sources: one line, exit 2, the cache unchanged -------------------------------------
def truncated(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def big_newsedits(path: Path) -> Path:
    """Enough rows that cutting the file in half cuts the table."""
    rows = [
        (n, n // 3, n % 3, "2019-05-01 10:00:00", f"T{n}", f"{URL_A}?id={n // 3}", 3, LEAD * 5)
        for n in range(600)
    ]
    return newsedits_source(path, rows)


BAD_SOURCES = {
    "diffengine: not a database": (
        "diffengine",
        lambda d: (d / "x.db").write_text("just text, not SQLite\n" * 100) and d / "x.db",
        "file is not a database",
    ),
    "diffengine: a NewsEdits file": (
        "diffengine",
        lambda d: newsedits_source(d / "n.db"),
        "not a diffengine database (no table 'entry'); it looks like a newsedits database: "
        "try --from newsedits",
    ),
    "newsedits: a missing column": (
        "newsedits",
        lambda d: _sqlite(d / "n.db", "CREATE TABLE entryversion (id, entry_id, title)"),
        "not a newsedits database (table 'entryversion' has no column 'version', 'created', "
        "'url', 'summary')",
    ),
    "newssniffer: a missing table": (
        "newssniffer",
        lambda d: _sqlite(d / "s.db", "CREATE TABLE news_articles (id, url)"),
        "not a newssniffer database (no table 'news_article_versions')",
    ),
    "newsedits: an empty database": (
        "newsedits",
        lambda d: _sqlite(d / "e.db", ""),
        "the database has no tables at all",
    ),
    "newsedits: a truncated file": (
        "newsedits",
        lambda d: truncated(big_newsedits(d / "big.db")),
        "cannot read it as a SQLite database (database disk image is malformed)",
    ),
    "diffengine: a URL with control characters": (
        "diffengine",
        lambda d: diffengine_db(
            d / "d.db",
            entries=[(1, "https://example.com/\x1b[2Ja", "2020-01-01", "2020-01-01", None)],
            versions=[(1, "T", "u", f"<p>{LEAD}</p>", "2020-01-01", None, 1, None)],
        ),
        "entry 1: the entry's url is refused: a URL cannot contain control characters "
        "(nothing was imported",
    ),
    "diffengine: an archive link with an escape code": (
        "diffengine",
        lambda d: diffengine_source(d / "d.db", **{"1_archive": "https://web.archive.org/\x1b]8"}),
        "entry version 12: 'archive_url' is refused: a URL cannot contain control characters",
    ),
    "diffengine: a time that is not one": (
        "diffengine",
        lambda d: diffengine_source(d / "d.db", **{"2_created": "yesterday-ish"}),
        "entry 2: entry version 21: 'created' is not a time: 'yesterday-ish'",  # after a good one
    ),
    "diffengine: a version of a missing entry": (
        "diffengine",
        lambda d: diffengine_db(
            d / "d.db",
            entries=[],
            versions=[(1, "T", URL_A, f"<p>{LEAD}</p>", "2020-01-01", None, 4, None)],
        ),
        "entry 4: its versions refer to an entry that is not in the diffengine database",
    ),
    "newssniffer: a version without its text": (
        "newssniffer",
        lambda d: newssniffer_db(d / "s.db", newssniffer_tables(text_rows=[(50, "x"), (60, "y")])),
        "article 5: version 51 has no row in news_article_version_texts",
    ),
    "newssniffer: a CSV file missing": (
        "newssniffer",
        lambda d: _without(newssniffer_csv(d / "csv", newssniffer_tables()), "news_articles.csv"),
        "not a newssniffer CSV export (no news_articles.csv; expected news_articles.csv, "
        "news_article_versions.csv, news_article_version_texts.csv)",
    ),
    "newssniffer: a truncated CSV file": (
        "newssniffer",
        lambda d: _cut_csv(newssniffer_csv(d / "csv", newssniffer_tables())),
        "news_article_version_texts.csv: line 2: not valid CSV (unexpected end of data",
    ),
    "newssniffer: a CSV row cut short": (
        "newssniffer",
        lambda d: _append(
            newssniffer_csv(d / "csv", newssniffer_tables()), "news_article_versions.csv", "61,6,"
        ),
        "news_article_versions.csv: line 5: 3 fields where the header has 7 (a truncated or "
        "broken CSV file)",
    ),
    "newssniffer: a CSV file without a header": (
        "newssniffer",
        lambda d: _headless(newssniffer_csv(d / "csv", newssniffer_tables())),
        "not a news_articles CSV file (its header has no column 'id', 'url'",
    ),
    "a missing file": ("newsedits", lambda d: d / "nope.db", "nope.db: no such file"),
    "a directory for a file": ("diffengine", lambda d: d, "is a directory, not a diffengine"),
}


def _sqlite(path: Path, ddl: str) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(ddl or "CREATE TABLE t (x); DROP TABLE t;")
    conn.close()
    return path


def _without(directory: Path, name: str) -> Path:
    (directory / name).unlink()
    return directory


def _append(directory: Path, name: str, line: str) -> Path:
    with (directory / name).open("a", encoding="utf-8") as handle:
        handle.write(line + "\r\n")
    return directory


def _cut_csv(directory: Path) -> Path:
    """The texts file cut inside a quoted field (its paragraphs hold newlines)."""
    path = directory / "news_article_version_texts.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b'50,"') + 20])
    return directory


def _headless(directory: Path) -> Path:
    path = directory / "news_articles.csv"
    path.write_text(path.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    return directory


@pytest.mark.parametrize("case", sorted(BAD_SOURCES))
def test_a_bad_source_gives_one_line_exit_2_and_leaves_the_cache_unchanged(
    case: str, tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fmt, build, message = BAD_SOURCES[case]
    workdir = tmp_path / "source"
    workdir.mkdir()
    source = build(workdir)
    before = tree_state(cache)
    code, out, err = import_from(capsys, cache, fmt, source)
    assert code == 2
    lines = [line for line in err.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("newsdiff-tui: "), err
    assert message in lines[0]
    assert out == ""
    assert tree_state(cache) == before


def test_a_bad_source_does_not_create_a_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh"
    code, _, err = import_from(capsys, fresh, "newsedits", tmp_path / "missing.db")
    assert code == 2 and "no such file" in err
    assert not fresh.exists()


def test_a_bad_second_source_imports_nothing_of_the_first(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = newsedits_source(tmp_path / "good.db")
    bad = _sqlite(tmp_path / "bad.db", "CREATE TABLE entryversion (id)")
    before = tree_state(cache)
    code, _, err = import_from(capsys, cache, "newsedits", good, bad)
    assert code == 2 and "bad.db: not a newsedits database" in err
    assert tree_state(cache) == before


def test_keep_going_leaves_out_bad_articles_and_says_which(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = diffengine_source(tmp_path / "d.db", **{"1_created": "not a time"})
    code, out, err = run(
        capsys, "--db", str(cache), "import", "--from", "diffengine", "--keep-going", str(source)
    )
    assert code == 1
    assert "1 article(s) (1 new), 1 version(s) imported" in out and "1 error(s)" in out
    assert "left out " in err and "entry 1: entry version 12: 'created' is not a time" in err
    assert stored(cache, URL_B) and not _has(cache, URL_A)


def _has(cache: Path, url: str) -> bool:
    with Store(cache) as store:
        return any(a.url == url for a in store.articles())


def test_tracker_options_are_refused_for_json_files(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--db", str(cache), "import", "--keep-going", str(SEED))
    assert code == 2 and "--keep-going applies only to --from" in err
    code, _, err = run(capsys, "--db", str(cache), "import", "--from", "newsedits", "-")
    assert code == 2 and "cannot be read from standard input" in err


def test_help_names_the_formats(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    out = capsys.readouterr().out
    for name in FORMAT_NAMES:
        assert name in out
    assert "news_article_version_texts.csv" in out


def test_a_wal_database_is_read_without_leaving_files_beside_it(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """At rest (no -wal file), read as immutable: a read-only open would leave -wal and -shm."""
    folder = tmp_path / "outlet"
    folder.mkdir()
    source = newsedits_source(folder / "n.db")
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    before = tree_state(folder)
    assert import_from(capsys, cache, "newsedits", source)[0] == 0
    assert tree_state(folder) == before


def test_a_wal_database_in_use_is_read_with_what_its_writer_committed(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tracker still running (its -wal file open): its committed rows are read, not missed."""
    source = newsedits_source(tmp_path / "n.db")
    writer = sqlite3.connect(source)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")  # the new row stays in the -wal file
        row = (4, 9, 1, "2019-05-03 09:00:00", "Other story, later", URL_B, 2, f"{LEAD}!")
        writer.execute("INSERT INTO entryversion VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        writer.commit()
        assert (tmp_path / "n.db-wal").exists()
        code, _, err = import_from(capsys, cache, "newsedits", source)
    finally:
        writer.close()
    assert code == 0, err
    assert [v.text.title for v in stored(cache, URL_B)] == ["Other story", "Other story, later"]


def test_progress_is_one_line_redrawn_on_a_terminal_and_plain_lines_otherwise() -> None:
    import io

    from newsdiff_tui.commands.cache import _ImportProgress
    from newsdiff_tui.importers.run import ImportProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    events = [ImportProgress("reading", n, n * 10) for n in (1, 2)] + [
        ImportProgress("writing", n, n * 10, 2) for n in (1, 2)
    ]
    plain = io.StringIO()
    terminal = Terminal()
    for stream in (plain, terminal):
        printer = _ImportProgress(stream)
        for event in events:
            printer(event)
        printer.finish()
    assert plain.getvalue().splitlines() == [
        "read 2 article(s)",
        "writing: 1/2 article(s)",
        "writing: 2/2 article(s)",
    ]
    shown = terminal.getvalue()
    assert "\n" not in shown and shown.startswith("\r\x1b[Kreading: 1 article(s), 10 version(s)")
    assert "writing: 2/2 article(s)" in shown and shown.endswith("\r\x1b[K")
