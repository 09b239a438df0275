"""Command-line papercuts: global options after the command, options that would be ignored,
commands that read a cache without creating one, and ``list --json``'s failure fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_cache import SEED, files_of, one_error_line, run

from newsdiff_tui.cli import build_parser
from newsdiff_tui.model import CheckState
from newsdiff_tui.store import Store


@pytest.fixture
def cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "cache"
    assert run(capsys, "--db", str(root), "import", str(SEED))[0] == 0
    return root


# ----- --db before or after the command ------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--db", "{db}"],
        ["list", "--json", "--db", "{db}"],
        ["--db", "{other}", "list", "--db", "{db}"],  # the later one wins
        ["--db={db}", "list"],
        ["list", "--db={db}"],
    ],
)
def test_db_works_before_and_after_the_command(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    other = tmp_path / "other"
    argv = [a.format(db=cache, other=other) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "At Last Minute" in out
    assert not other.exists()


def test_db_after_every_command_and_nested_action(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home-must-stay-empty"
    monkeypatch.setenv("NEWSDIFF_HOME", str(home))
    for argv in (
        ["doctor", "--db", str(cache)],
        ["import", str(SEED), "--db", str(cache)],
        ["feed", "list", "--db", str(cache)],
        ["feed", "--db", str(cache), "list"],
        ["fetch", "--db", str(cache)],  # nothing is due (before `add`): no network
        ["add", "https://example.com/new", "--db", str(cache)],
        ["diff", "Korea@0", "Korea@1", "--db", str(cache)],
    ):
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    assert not home.exists()
    code, out, _ = run(capsys, "list", "--json", "--db", str(cache))
    assert {json.loads(line)["url"] for line in out.splitlines()} == {
        "https://www.nytimes.com/2019/11/22/world/asia/japan-south-korea-intelligence.html",
        "https://example.com/new",
    }


def test_every_command_documents_db_in_its_help() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    for name, command in commands.choices.items():
        assert "--db DIR" in command.format_help(), name


def test_an_empty_db_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(capsys, "list", "--db", "")
    assert exited.value.code == 2
    assert "--db: name a directory" in capsys.readouterr().err


# ----- options that would be silently ignored ------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "story.md"], "-o applies only to --export ARTICLE"),
        (["--format", "json", "--full"], "--format, --full apply only to --export ARTICLE"),
        (["--now", "now"], "--now applies only to --export ARTICLE"),
        (["--demo", "list"], "--demo opens the app"),
        (["--export", "x", "list"], "--export cannot be combined with a command"),
    ],
)
def test_options_that_would_do_nothing_are_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    def no_app(args: object) -> int:
        raise AssertionError("the app was opened")  # what the first three used to do

    monkeypatch.setattr("newsdiff_tui.cli.run_tui", no_app)
    with pytest.raises(SystemExit) as exited:
        run(capsys, *argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


# ----- reading never creates a cache ---------------------------------------------------------
def test_list_and_doctor_never_create_a_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-cache-here"
    code, out, err = run(capsys, "list", "--db", str(missing))
    assert (code, out) == (0, "") and "no articles in" in err and "add URL" in err
    assert run(capsys, "list", "--json", "--db", str(missing))[:2] == (0, "")
    code, out, err = run(capsys, "doctor", "--db", str(missing))
    assert code == 2 and f"no cache at {missing}" in one_error_line(err)
    assert not missing.exists()


# ----- list --json: why the last check failed --------------------------------------------------
def test_list_json_carries_the_last_error_and_the_failures(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys, "list", "--json", "--db", str(cache))[1]
    doc = json.loads(out)
    assert (doc["last_error"], doc["failures"]) == (None, 0)
    with Store(cache) as store:
        (article,) = store.articles()
        store.record_check(article.id, CheckState(last_error="HTTP 404", failures=3, checks=5))
    before = files_of(cache)
    code, out, _ = run(capsys, "list", "--json", "--db", str(cache))
    assert code == 0
    doc = json.loads(out)
    assert (doc["last_error"], doc["failures"]) == ("HTTP 404", 3)
    assert "check" not in doc  # the internals stay out
    out = run(capsys, "list", "--db", str(cache))[1]
    assert out.splitlines()[1].strip() == "! 3 failed checks in a row: HTTP 404"
    assert files_of(cache) == before  # listing writes nothing
