"""``newsdiff-tui --export``: output, files, ``--export all``, and every error a clear exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from cli_helpers import run as _run

from newsdiff_tui.export import (
    WONT_BE_CHECKED,
    default_filename,
    export_article,
    render_markdown,
)
from newsdiff_tui.history import load_history
from newsdiff_tui.model import ArticleText, CheckState
from newsdiff_tui.store import Store

SEED_ID = "eb003b29ba6b3e19"


def _add_second_nyt(store: Store, seed_data: dict) -> str:
    """Another nytimes article, so that the term 'nytimes' matches two."""
    other = dict(
        seed_data,
        url="https://www.nytimes.com/2024/01/02/world/other.html",
        versions=[dict(seed_data["versions"][0], title="Another story")],
    )
    article, _ = load_history(store, other)
    return article.id


# ----- success ------------------------------------------------------------------------------


def test_markdown_to_stdout_by_id_url_and_term(
    seeded_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = render_markdown(seeded_store.article(SEED_ID), seeded_store.versions(SEED_ID))
    url = seeded_store.article(SEED_ID).url
    for ref in (SEED_ID, url, "intelligence pact"):
        code, out, err = _run(capsys, "--db", str(seeded_store.root), "--export", ref)
        assert (code, err) == (0, "")
        assert out == expected


def test_output_file_and_formats(
    seeded_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(seeded_store.root)
    target = tmp_path / "story.atom"
    code, out, _ = _run(
        capsys, "--db", db, "--export", SEED_ID, "-o", str(target), "--format", "atom"
    )
    assert code == 0 and out == f"wrote {target}\n"
    assert feedparser.parse(target.read_text(encoding="utf-8")).bozo == 0

    code, out, _ = _run(capsys, "--db", db, "--export", SEED_ID, "--format", "json")
    assert code == 0
    saved = tmp_path / "history.json"
    saved.write_text(out, encoding="utf-8")
    other = tmp_path / "other"
    assert _run(capsys, "--db", str(other), "import", str(saved))[0] == 0
    assert _run(capsys, "--db", str(other), "--export", SEED_ID, "--format", "json")[1] == out


def test_full_and_no_latest(seeded_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(seeded_store.root)
    _, out, _ = _run(capsys, "--db", db, "--export", SEED_ID, "--full", "--no-latest")
    assert "unchanged paragraph" not in out and "## Latest text" not in out


def test_export_all_writes_one_file_per_article(
    seeded_store: Store, seed_data: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other_id = _add_second_nyt(seeded_store, seed_data)
    seeded_store.flush()
    outdir = tmp_path / "exports" / "nested"
    code, out, err = _run(
        capsys, "--db", str(seeded_store.root), "--export", "all", "-o", str(outdir)
    )
    assert (code, err) == (0, "")
    names = sorted(p.name for p in outdir.iterdir())
    assert names == sorted(
        [
            f"at-last-minute-south-korea-holds-off-on-leaving-{SEED_ID}.md",
            f"another-story-{other_id}.md",
        ]
    )
    assert out.splitlines()[-1] == f"exported 2 articles to {outdir}"
    assert all(f"wrote {outdir / name}" in out for name in names)


def test_export_all_filters(
    seeded_store: Store, seed_data: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_second_nyt(seeded_store, seed_data)
    seeded_store.add_article(
        "https://www.bbc.co.uk/news/x", first_seen=datetime(2024, 5, 1, tzinfo=UTC)
    )
    seeded_store.flush()
    db = str(seeded_store.root)
    code, out, _ = _run(
        capsys, "--db", db, "--export", "all", "-o", str(tmp_path / "a"), "--source", "BBC"
    )
    assert code == 0 and out.splitlines()[-1].startswith("exported 1 article ")
    code, out, _ = _run(
        capsys, "--db", db, "--export", "all", "-o", str(tmp_path / "b"), "--since", "2019-11-22"
    )
    assert code == 0 and "exported 3 articles" in out
    code, out, _ = _run(
        capsys, "--db", db, "--export", "all", "-o", str(tmp_path / "c"), "--since", "2020-01-01"
    )
    assert code == 0 and "exported 1 article " in out


def test_export_article_defaults_to_the_current_directory(
    seeded_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = export_article(seeded_store, SEED_ID)
    article = seeded_store.article(SEED_ID)
    assert path == tmp_path / default_filename(article, "markdown")
    assert path.stat().st_mode & 0o777 == 0o644  # not the 0600 of the temp file
    assert path.read_text(encoding="utf-8") == render_markdown(
        article, seeded_store.versions(SEED_ID)
    )
    again = export_article(seeded_store, SEED_ID, fmt="json", directory=tmp_path / "new")
    assert (
        again
        == tmp_path / "new" / f"at-last-minute-south-korea-holds-off-on-leaving-{SEED_ID}.json"
    )
    assert json.loads(again.read_text(encoding="utf-8"))["id"] == SEED_ID
    named = export_article(
        seeded_store, SEED_ID, fmt="atom", path=Path("x.atom"), directory=tmp_path
    )
    assert named == tmp_path / "x.atom"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_check_status_says_wont_be_checked_again(store: Store, seed_data: dict) -> None:
    pytest.importorskip("newsdiff_tui.schedule")
    article, _ = load_history(store, seed_data)
    store.record_check(article.id, CheckState(last_checked=datetime(2020, 1, 1, tzinfo=UTC)))
    article = store.article(article.id)
    now = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    text = render_markdown(article, store.versions(article.id), now=now)
    assert f"- **Checking:** {WONT_BE_CHECKED} (as of 2024-06-01 12:00 UTC)" in text
    assert "- **Last checked:** 2020-01-01 00:00 UTC" in text
    assert "Checking" not in render_markdown(article, store.versions(article.id))  # no clock


def test_boring_and_revert_versions_are_labelled(store: Store) -> None:
    article = store.add_article(
        "https://example.com/a", first_seen=datetime(2024, 1, 1, tzinfo=UTC)
    )
    for n, paragraph in enumerate(["A fact.", "A fact!", "A new fact.", "A fact!"]):
        store.add_version(
            article.id,
            ArticleText("T", paragraphs=(paragraph,)),
            datetime(2024, 1, 1, n, tzinfo=UTC),
        )
    text = render_markdown(store.article(article.id), store.versions(article.id))
    assert "## Version 0 → Version 1, 1 hour later (boring)" in text
    assert "## Version 1 → Version 2, 1 hour later\n" in text
    assert "## Version 2 → Version 3, 1 hour later (reverts to version 1)" in text


# ----- errors: a clear message and exit 2 ---------------------------------------------------


def test_unknown_article(seeded_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--db", str(seeded_store.root), "--export", "no-such-story")
    assert (code, out) == (2, "")
    assert err == f"newsdiff-tui: no article matches 'no-such-story' in {seeded_store.root}\n"


def test_ambiguous_article_lists_the_matches(
    seeded_store: Store, seed_data: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    other_id = _add_second_nyt(seeded_store, seed_data)
    seeded_store.flush()
    code, out, err = _run(capsys, "--db", str(seeded_store.root), "--export", "nytimes")
    assert (code, out) == (2, "")
    assert "2 articles match 'nytimes'" in err
    assert SEED_ID in err and other_id in err


@pytest.mark.parametrize("where", ["under-a-file", "a-directory", "missing-parent"])
def test_unwritable_output(
    seeded_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    target, why = {
        "under-a-file": (blocker / "story.md", f"{blocker} is not a directory"),
        "a-directory": (tmp_path, "it is a directory; name a file"),
        "missing-parent": (tmp_path / "nope" / "story.md", "does not exist"),
    }[where]
    code, out, err = _run(
        capsys, "--db", str(seeded_store.root), "--export", SEED_ID, "-o", str(target)
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"newsdiff-tui: cannot write {target}: ") and why in err
    assert blocker.read_text() == "x"


def test_empty_cache(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--db", str(store.root), "--export", "anything")
    assert (code, out) == (2, "")
    assert f"the cache at {store.root} holds no articles" in err


def test_no_cache_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--db", str(tmp_path / "nothing"), "--export", "all", "-o", "x")
    assert code == 2 and f"no cache at {tmp_path / 'nothing'}" in err
    assert not (tmp_path / "nothing").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--export", "all"], "--export all writes one file per article: name a directory with -o"),
        (
            ["--export", SEED_ID, "--source", "bbc"],
            "--source and --since only apply to --export all",
        ),
        (["--export", SEED_ID, "--format", "json", "--full"], "only apply to --format markdown"),
        (
            ["--export", "all", "-o", "OUT", "--since", "last week"],
            "--since 'last week' is not a date",
        ),
        (["--export", "all", "-o", "OUT", "--source", "bbc"], "no article matches --source bbc"),
        (["--export", "all", "-o", "FILE"], "is a file: --export all needs a directory"),
    ],
)
def test_bad_options(
    seeded_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    (tmp_path / "FILE").write_text("")
    argv = [str(tmp_path / a) if a in {"OUT", "FILE"} else a for a in argv]
    code, out, err = _run(capsys, "--db", str(seeded_store.root), *argv)
    assert (code, out) == (2, "")
    assert message in err
    assert not (tmp_path / "OUT").exists()


def test_errors_through_the_installed_entry_point(seeded_store: Store, tmp_path: Path) -> None:
    db = str(seeded_store.root)
    result = subprocess.run(
        [sys.executable, "-m", "newsdiff_tui", "--db", db, "--export", "no-such-story"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"newsdiff-tui: no article matches 'no-such-story' in {db}\n"
    result = subprocess.run(
        [sys.executable, "-m", "newsdiff_tui", "--db", db, "--export", SEED_ID],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert result.returncode == 0
    assert result.stdout.startswith("# At Last Minute, South Korea Holds Off")
