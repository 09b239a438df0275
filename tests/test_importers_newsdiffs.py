"""``import --from newsdiffs``: a NewsDiffs data directory with real git repositories, built in
a temp dir with ``git init`` / ``git commit``, read through the real CLI into a real cache.

Texts come from git (``REV:host/path``), the boring flag from the database; git is only read
(the data directory keeps its bytes and mtimes); a gone object, a doctored commit id or
repository path give one line, exit 2 and an unchanged cache.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import tree_state
from importer_fixtures import (
    cache_fixture,  # noqa: F401 - the fixture ``cache``
    commit_version,
    git,
    import_from,
    init_repo,
    newsdiffs_dir,
    newsdiffs_file,
    stored,
)

from newsdiff_tui.history import dump_history, load_history
from newsdiff_tui.importers.newsdiffs import parse_version_file
from newsdiff_tui.model import ArticleText
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import from_iso
from newsdiff_tui.urls import article_id_for

URL = "http://www.nytimes.com/2013/09/10/world/middleeast/syria.html"
OTHER = "https://www.bbc.co.uk/news/world-123/"  # NewsDiffs files it without the slash
LEAD = "Syria agreed on Tuesday to a Russian proposal to hand over its chemical weapons"
BYLINE = "By MICHAEL R. GORDON"
MORE = "The proposal was welcomed cautiously by officials in Washington and Paris"


def import_newsdiffs(
    capsys: pytest.CaptureFixture[str], cache: Path, source: Path
) -> tuple[int, str, str]:
    return import_from(capsys, cache, "newsdiffs", source)


def build_data_dir(root: Path, **overrides: object) -> tuple[Path, dict[str, str]]:
    """A NewsDiffs data directory: article 1 in articles/old with three commits (the third
    flagged boring by NewsDiffs), article 2 in a repository at the top of the directory."""
    data = root / "newsdiffs"
    old = init_repo(data / "articles" / "old")
    commits = {
        "v0": commit_version(
            old,
            URL,
            newsdiffs_file("September 10, 2013", "Syria Backs Plan", BYLINE, [LEAD, MORE]),
            "2013-09-10T14:00:00+00:00",
        ),
        "v1": commit_version(
            old,
            URL,
            newsdiffs_file(
                "September 10, 2013",
                "Syria Backs Russian Plan",
                "By MICHAEL R. GORDON and STEVEN LEE MYERS",
                [LEAD + " and join a treaty", MORE, "Markets rose."],
            ),
            "2013-09-10T15:30:00+00:00",
        ),
        "v2": commit_version(
            old,
            URL,
            newsdiffs_file(
                "September 10, 2013",
                "Syria Backs Russian Plan",
                "By MICHAEL R. GORDON and STEVEN LEE MYERS",
                [LEAD + " and join a treaty", MORE, "Markets rose sharply."],
            ),
            "2013-09-10T16:00:00+00:00",
        ),
    }
    top = init_repo(data / "bbc")
    commits["w0"] = commit_version(
        top, OTHER, newsdiffs_file("", "Storm", "", [MORE]), "2013-09-11T08:00:00+00:00"
    )
    versions = [
        (101, 1, commits["v0"], "Syria Backs Plan", BYLINE, "2013-09-10 14:00:05", 0, None),
        (102, 1, commits["v1"], "Syria Backs Russian Plan", "x", "2013-09-10 15:30:05", 0, None),
        (103, 1, commits["v2"], "Syria Backs Russian Plan", "x", "2013-09-10 16:00:05", 1, None),
        (201, 2, commits["w0"], "Storm", "", "2013-09-11 08:00:05.500000", False, None),
    ]  # fmt: skip
    articles = [
        (1, URL, "2013-09-10 13:59:00", "2013-09-10 16:00:05", "2013-09-10 17:00:00", "old"),
        (2, OTHER, "2013-09-11 08:00:00", "2013-09-11 08:00:05", "2013-09-11 09:00:00", "bbc"),
    ]
    for key, value in overrides.items():
        row, column = key.split("_", 1)
        if column == "git_dir":
            cells = list(articles[int(row)])
            cells[5] = value
            articles[int(row)] = tuple(cells)
        else:
            cells = list(versions[int(row)])
            cells[{"v": 2, "date": 5}[column]] = value
            versions[int(row)] = tuple(cells)
    newsdiffs_dir(data, articles, versions)
    return data, commits


def test_versions_times_titles_bylines_boring_and_text_come_from_git(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = build_data_dir(tmp_path)
    code, out, err = import_newsdiffs(capsys, cache, data)
    assert code == 0, err
    assert "newsdiffs: 2 article(s) (2 new), 4 version(s) imported, 0 skipped" in out
    v0, v1, v2 = stored(cache, URL)
    assert [v.text.title for v in (v0, v1, v2)] == [
        "Syria Backs Plan",
        "Syria Backs Russian Plan",
        "Syria Backs Russian Plan",
    ]
    assert v0.text.byline == "By MICHAEL R. GORDON"
    assert v1.text.byline == "By MICHAEL R. GORDON and STEVEN LEE MYERS"  # git's, not the db's
    assert v0.text.paragraphs == (LEAD, MORE)
    assert v2.text.paragraphs == (LEAD + " and join a treaty", MORE, "Markets rose sharply.")
    assert [v.fetched_at.isoformat() for v in (v0, v1, v2)] == [
        "2013-09-10T14:00:05+00:00",
        "2013-09-10T15:30:05+00:00",
        "2013-09-10T16:00:05+00:00",
    ]
    # NewsDiffs called the third boring; our own rule would not (a word was added): kept.
    assert [v.boring for v in (v0, v1, v2)] == [False, False, True]
    assert [v.origin_ref for v in (v0, v1, v2)] == [
        "newsdiffs:101",
        "newsdiffs:102",
        "newsdiffs:103",
    ]
    assert {v.origin for v in (v0, v1, v2)} == {"import"}
    (storm,) = stored(cache, OTHER)  # found without its trailing slash, in <data>/bbc
    assert storm.text.paragraphs == (MORE,) and storm.text.byline is None
    assert storm.fetched_at.isoformat() == "2013-09-11T08:00:05.500000+00:00"
    with Store(cache) as store:
        assert store.article(article_id_for(URL)).first_seen == from_iso("2013-09-10T13:59:00")


def test_the_boring_flag_survives_a_version_landing_before_it(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A live text placed between v1 and v2 recomputes v2's mark: the source's flag stays."""
    data, _ = build_data_dir(tmp_path)
    assert import_newsdiffs(capsys, cache, data)[0] == 0
    with Store(cache) as store:
        article_id = article_id_for(URL)
        store.add_version(
            article_id,
            ArticleText("Something else entirely", paragraphs=("Unrelated text here.",)),
            from_iso("2013-09-10T15:45:00Z"),
        )
        versions = store.versions(article_id)
    assert [(v.origin, v.boring) for v in versions] == [
        ("import", False),
        ("import", False),
        ("live", False),
        ("import", True),
    ]


def test_the_boring_flag_survives_a_json_round_trip(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Export the imported history as JSON, import it elsewhere: NewsDiffs' mark is kept."""
    data, _ = build_data_dir(tmp_path)
    assert import_newsdiffs(capsys, cache, data)[0] == 0
    with Store(cache) as store:
        article = store.article(article_id_for(URL))
        exported = dump_history(article, store.versions(article.id))
    again = tmp_path / "again"
    with Store(again) as other:
        load_history(other, json.loads(exported))
        assert [v.boring for v in other.versions(article.id)] == [False, False, True]
        assert dump_history(other.article(article.id), other.versions(article.id)) == exported


def test_a_second_import_adds_nothing_and_git_is_only_read(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = build_data_dir(tmp_path)
    source_before = tree_state(data)
    assert import_newsdiffs(capsys, cache, data)[0] == 0
    cache_after = tree_state(cache)
    code, out, err = import_newsdiffs(capsys, cache, data / "newsdiffs.db")  # the file works too
    assert code == 0, err
    assert "0 version(s) imported, 4 skipped (4 already in the cache or unchanged)" in out
    assert tree_state(cache) == cache_after
    assert tree_state(data) == source_before  # .git included: no index refresh, no lock


def test_parse_version_file_is_tolerant() -> None:
    assert parse_version_file("d\nt\nb\n\np1 line\ncontinues\n\n\np2\n") == (
        "d",
        "t",
        "b",
        ["p1 line continues", "p2"],
    )
    assert parse_version_file("d\nt\nb\np1\np2") == ("d", "t", "b", ["p1", "p2"])
    assert parse_version_file("only a date") == ("only a date", "", "", [])


def remove_object(repo: Path, name: str) -> None:
    """Delete the loose object ``name`` (``rev:path``) from a repository: 'gone'."""
    sha = git(repo, "rev-parse", name)
    (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


def drop_v1_blob(data: Path, commits: dict[str, str]) -> None:
    remove_object(data / "articles" / "old", f"{commits['v1']}:{URL.removeprefix('http://')}")


# case: (cells to change in the database, what to do to the directory after, the message)
BAD: dict[str, tuple[dict[str, object], Any, str]] = {
    "a git object that is gone": ({}, drop_v1_blob, "article 1: version 102: git has no "),
    "a commit id that is an option": (
        {"1_v": "--batch-all-objects"},
        None,
        "article 1: version 102: 'v' is not a git commit id: '--batch-all-objects'",
    ),
    "a git_dir outside the data directory": (
        {"0_git_dir": "../../etc"},
        None,
        "article 1: 'git_dir' must name a folder inside the data directory: '../../etc'",
    ),
    "a git_dir that is not there": (
        {"1_git_dir": "gone"},
        None,
        "article 2: its git repository 'gone' is in neither ",
    ),
    "a folder that is not a git repository": (  # ... inside one, which must not be read
        {"1_git_dir": "notgit"},
        lambda data, _commits: (init_repo(data), (data / "notgit").mkdir()),
        "article 2: git cannot read ",
    ),
    "a time that is not one": (
        {"2_date": "0000-00-00 00:00:00"},
        None,
        "article 1: version 103: 'date' is not a time: '0000-00-00 00:00:00'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_data_directory_gives_one_line_exit_2_and_leaves_the_cache_unchanged(
    case: str, tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides, change, message = BAD[case]
    data, commits = build_data_dir(tmp_path, **overrides)
    if change is not None:
        change(data, commits)
    before = tree_state(cache)
    code, out, err = import_newsdiffs(capsys, cache, data)
    assert code == 2, out
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsdiff-tui: "), err
    assert message in lines[0]
    assert tree_state(cache) == before


def test_a_directory_without_a_database_is_refused(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = import_newsdiffs(capsys, cache, tmp_path / "empty")
    assert code == 2
    assert "not a newsdiffs data directory (no newsdiffs.db, and none)" in err
