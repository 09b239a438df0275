"""The cache commands (``import``, ``list``, ``doctor``) and how they fail on bad input.

Every bad input must give one clear message, exit code 2, and leave every existing file as it
was (bytes and mtimes compared before and after).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import run
from cli_helpers import tree_state as files_of

from newsdiff_tui.model import ArticleText, CheckState
from newsdiff_tui.store import SCHEMA_VERSION, Store

SEED = (
    Path(__file__).resolve().parents[1] / "src" / "newsdiff_tui" / "data" / "gsomia-versions.json"
)
LIST_KEYS = {
    "id",
    "url",
    "source",
    "title",
    "versions",
    "first_seen",
    "last_changed",
    "last_error",
    "failures",
    "archived",
    "imported",
}


@pytest.fixture
def cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A cache holding the seed article, imported through the CLI."""
    root = tmp_path / "cache"
    code, _, err = run(capsys, "--db", str(root), "import", str(SEED))
    assert code == 0, err
    return root


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("newsdiff-tui: ")
    return lines[0]


# ----- the happy paths -----------------------------------------------------------------------
def test_import_list_and_doctor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "cache"
    code, out, _ = run(capsys, "--db", str(root), "import", str(SEED))
    assert code == 0
    assert out.startswith("imported 2 version(s) of ")
    code, out, _ = run(capsys, "--db", str(root), "import", str(SEED))
    assert code == 0 and out.startswith("imported 0 version(s)")  # importing twice adds nothing

    code, out, _ = run(capsys, "--db", str(root), "list")
    assert code == 0
    (line,) = out.splitlines()
    assert "nytimes" in line and "2v" in line and "At Last Minute" in line

    code, out, _ = run(capsys, "--db", str(root), "list", "--json")
    (doc,) = [json.loads(line) for line in out.splitlines()]
    assert set(doc) == LIST_KEYS
    assert doc["versions"] == 2 and doc["source"] == "nytimes"
    assert doc["first_seen"] == "2019-11-22T09:15:00+00:00"
    assert doc["last_changed"] == "2019-11-22T09:47:00+00:00"

    code, out, _ = run(capsys, "--db", str(root), "doctor")
    assert code == 0 and out.strip().endswith("clean")
    code, out, _ = run(capsys, "--db", str(root), "doctor", "--rebuild-index")
    assert code == 0 and "rebuilt" in out


def test_db_overrides_newsdiff_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("NEWSDIFF_HOME", str(home))
    assert run(capsys, "import", str(SEED))[0] == 0
    assert (home / "meta.json").exists()
    assert run(capsys, "--db", str(tmp_path / "other"), "list")[1] == ""
    assert len(run(capsys, "list")[1].splitlines()) == 1


def test_the_console_script_runs_as_a_module(cache: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsdiff_tui", "--db", str(cache), "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["versions"] == 2


def test_doctor_exits_2_on_drift_and_rebuild_repairs(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(cache) as store:
        (article,) = store.articles()
        shard = json.loads(store.shard_path(article.id).read_bytes())
        del shard["versions"]["2"]
        store.shard_path(article.id).write_text(json.dumps(shard))
    code, out, err = run(capsys, "--db", str(cache), "doctor")
    assert code == 2 and "stale" in out and "--rebuild-index" in err
    assert run(capsys, "--db", str(cache), "doctor", "--rebuild-index")[0] == 0
    code, out, _ = run(capsys, "--db", str(cache), "list", "--json")
    assert json.loads(out)["versions"] == 1


# ----- bad import files ----------------------------------------------------------------------
BAD_FILES = {
    "missing": None,
    "empty": b"",
    "blank": b"  \n",
    "truncated": SEED.read_bytes()[:300],
    "not JSON": b"<html><body>Not a history</body></html>",
    "binary": b"\xff\xfe\x00garbage",
    "wrong shape": b"[1, 2, 3]",
    "no versions": b'{"url": "https://example.com/a", "versions": []}',
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=list(BAD_FILES))
def test_a_bad_import_file_gives_one_message_and_changes_nothing(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None
) -> None:
    bad = tmp_path / "history.json"
    if content is not None:
        bad.write_bytes(content)
    before = files_of(cache)
    code, out, err = run(capsys, "--db", str(cache), "import", str(bad))
    assert code == 2
    assert out == ""
    assert str(bad) in one_error_line(err)
    assert files_of(cache) == before


@pytest.mark.parametrize(
    "content",
    [
        '{"url": ',  # not JSON
        '{"url": "https://example.com/a", "versions": [{"paragraphs": 3}]}',  # not a history
    ],
    ids=["not-json", "wrong-format"],
)
def test_a_bad_file_after_good_ones_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    root = tmp_path / "fresh"
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, _, err = run(capsys, "--db", str(root), "import", str(SEED), str(bad))
    assert code == 2 and str(bad) in one_error_line(err)
    assert not root.exists()  # every file is validated before the cache is touched


# ----- bad cache files -----------------------------------------------------------------------
GARBAGE = b"\x00\x13 this is not JSON {"


def test_a_garbage_shard_is_named_and_kept(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (shard,) = (cache / "articles").glob("*/*.json")
    shard.write_bytes(GARBAGE)
    before = files_of(cache)
    code, out, err = run(capsys, "--db", str(cache), "import", str(SEED))
    assert code == 2 and out == ""
    assert str(shard) in one_error_line(err)
    code, out, err = run(capsys, "--db", str(cache), "doctor")
    assert code == 2 and str(shard) in out
    assert files_of(cache) == before
    code, out, _ = run(capsys, "--db", str(cache), "doctor", "--rebuild-index")
    assert str(shard) in out  # still reported: doctor never touches a corrupt shard
    assert shard.read_bytes() == GARBAGE


def test_a_garbage_index_is_named_kept_and_rebuilt_by_doctor(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = cache / "index.json"
    index.write_bytes(GARBAGE)
    before = files_of(cache)
    for argv in (["list"], ["list", "--json"], ["import", str(SEED)]):
        code, out, err = run(capsys, "--db", str(cache), *argv)
        assert code == 2 and out == ""
        line = one_error_line(err)
        assert str(index) in line and "doctor --rebuild-index" in line
    code, out, _ = run(capsys, "--db", str(cache), "doctor")
    assert code == 2 and str(index) in out
    assert files_of(cache) == before
    code, out, _ = run(capsys, "--db", str(cache), "doctor", "--rebuild-index")
    assert code == 0 and "kept the corrupt index.json as" in out
    (aside,) = cache.glob("index.json.corrupt-*")
    assert aside.read_bytes() == GARBAGE
    code, out, _ = run(capsys, "--db", str(cache), "list", "--json")
    assert code == 0 and json.loads(out)["versions"] == 2


@pytest.mark.parametrize(
    "content", [GARBAGE, b"", b'{"schema": "1"}'], ids=["garbage", "empty", "no int"]
)
def test_a_garbage_meta_file_is_named_and_kept(
    cache: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    meta = cache / "meta.json"
    meta.write_bytes(content)
    before = files_of(cache)
    for argv in (["list"], ["import", str(SEED)], ["doctor", "--rebuild-index"]):
        code, out, err = run(capsys, "--db", str(cache), *argv)
        assert code == 2 and out == ""
        assert str(meta) in one_error_line(err)
    assert files_of(cache) == before


def test_a_cache_from_a_newer_schema_is_refused(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cache / "meta.json").write_text(json.dumps({"schema": SCHEMA_VERSION + 1}))
    before = files_of(cache)
    for argv in (["list"], ["import", str(SEED)], ["doctor", "--rebuild-index"]):
        code, out, err = run(capsys, "--db", str(cache), *argv)
        assert code == 2 and out == ""
        assert "newer than this newsdiff-tui" in one_error_line(err)
    assert files_of(cache) == before


# ----- unwritable locations ------------------------------------------------------------------
def test_a_data_dir_that_cannot_be_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("I am a file, not a directory")
    code, out, err = run(capsys, "--db", str(blocker / "cache"), "import", str(SEED))
    assert code == 2 and out == ""
    assert "cannot create the cache directory" in one_error_line(err)
    assert blocker.read_text() == "I am a file, not a directory"


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temp dir another user can reach (pytest's own is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="newsdiff-ro-"))
    path.chmod(0o755)
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir():
            sub.chmod(0o755)
    shutil.rmtree(path)


# Imports everything the commands need, then (as root) becomes ``nobody`` before running them:
# root ignores directory permissions, and the interpreter lives where nobody cannot exec it.
AS_USER = """
import os, sys
import newsdiff_tui.cli, newsdiff_tui.commands.cache, newsdiff_tui.history, newsdiff_tui.store
newsdiff_tui.cli.build_parser()  # loads every module the parser needs while we still can
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
sys.exit(newsdiff_tui.cli.main(sys.argv[1:]))
"""


def _cli(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess, as an unprivileged user when the tests run as root."""
    return subprocess.run(
        [sys.executable, "-c", AS_USER, "--db", str(root), *argv],
        capture_output=True,
        text=True,
        cwd=root.parent,
    )


def test_a_read_only_data_dir(shared_tmp: Path) -> None:
    root = shared_tmp / "cache"
    seed = shared_tmp / "seed.json"
    shutil.copy(SEED, seed)
    seed.chmod(0o644)
    probe = _cli(root, "--version")
    if probe.returncode != 0:
        pytest.skip(f"cannot run the CLI as an unprivileged user here: {probe.stderr.strip()}")
    with Store(root) as store:
        store.add_article("https://example.com/already-here")
    for path in root.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    root.chmod(0o555)
    before = files_of(root)
    result = _cli(root, "import", str(seed))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "cannot write the cache directory" in one_error_line(result.stderr)
    assert files_of(root) == before
    listing = _cli(root, "list", "--json")  # reading a read-only cache still works
    assert listing.returncode == 0, listing.stderr
    assert json.loads(listing.stdout)["url"] == "https://example.com/already-here"
    assert files_of(root) == before


def test_list_shows_the_last_error_and_strips_escape_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "cache"
    with Store(root) as store:
        article = store.add_article("https://example.com/evil")
        store.add_version(article.id, ArticleText(title="Evil \x1b]0;pwned\x07title\x1b[31m"))
        store.record_check(
            article.id, CheckState(last_error="HTTP 500 \x1b[2J Internal", failures=3, checks=4)
        )
    code, out, _ = run(capsys, "--db", str(root), "list")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "Evil title" in out
    assert "3 failed checks in a row: HTTP 500" in out


def test_list_of_an_empty_cache_says_how_to_add(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", str(tmp_path / "empty"), "list")
    assert code == 0 and out == ""
    assert "newsdiff-tui add URL" in err
