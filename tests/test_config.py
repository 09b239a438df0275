"""The config file (keys, view, fetch defaults) and the remembered view: parsed and checked in
the core (no Textual), every mistake one line naming the key; the app applies them."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_tui_support import SIZE, build_newsroom, press, screen_lines, settle, tui

from newsdiff_tui.cli import main
from newsdiff_tui.config import (
    Config,
    ConfigError,
    FetchSettings,
    ViewSettings,
    ViewState,
    default_config_path,
    default_state_path,
    initial_view,
    load_config,
    load_view_state,
    save_view_state,
)
from newsdiff_tui.fetch import FetchOptions

FULL = """
[keys]
"diff.split" = "x"
app.quit = ["q", "ctrl+q"]

[view]
sort = "title"
split = true
fold = true
show_boring = true
remember = false

[fetch]
concurrency = 4
per_site = 1
delay = 0.5
allow_private = true
"""


@pytest.fixture(autouse=True)
def _user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The platform's config and state dirs in the test's temp dir (never the user's)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ----- the core ----------------------------------------------------------------------------


def test_no_file_means_the_defaults(tmp_path: Path) -> None:
    config = load_config()
    assert config == Config()
    assert default_config_path() == tmp_path / "xdg-config" / "newsdiff-tui" / "config.toml"


def test_the_default_file_is_read_when_present(tmp_path: Path) -> None:
    default_config_path().parent.mkdir(parents=True)
    default_config_path().write_text('[view]\nsort = "title"\n', encoding="utf-8")
    assert load_config().view.sort == "title"


def test_every_setting_is_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert dict(config.keys) == {"diff.split": "x", "app.quit": "q,ctrl+q"}
    assert config.view == ViewSettings(
        sort="title", split=True, fold=True, show_boring=True, remember=False
    )
    assert config.fetch == FetchSettings(concurrency=4, per_site=1, delay=0.5, allow_private=True)


def test_fetch_settings_become_fetch_options(monkeypatch: pytest.MonkeyPatch) -> None:
    options = FetchSettings(concurrency=4, per_site=1, delay=0.5).apply(FetchOptions())
    assert (options.concurrency, options.per_site, options.host_delay) == (4, 1, 0.5)
    assert FetchSettings().apply(FetchOptions()) == FetchOptions()
    monkeypatch.delenv("NEWSDIFF_ALLOW_PRIVATE", raising=False)
    policy = FetchSettings(allow_private="10.1.0.0/16").apply(FetchOptions()).address_policy
    assert policy is not None and not policy.allow_all
    assert policy.problem(ipaddress.ip_address("10.1.2.3")) is None
    assert policy.problem(ipaddress.ip_address("10.2.0.1")) is not None
    everything = FetchSettings(allow_private=True).apply(FetchOptions()).address_policy
    assert everything is not None and everything.allow_all
    # The environment, set for one run, wins over the file.
    monkeypatch.setenv("NEWSDIFF_ALLOW_PRIVATE", "0")
    assert FetchSettings(allow_private=True).apply(FetchOptions()).address_policy is None


def test_allow_private_addresses_are_checked_when_read(tmp_path: Path) -> None:
    path = write(tmp_path, "[fetch]\nallow_private = '10.1.0.0/16,nonsense'\n")
    with pytest.raises(ConfigError, match=r"\[fetch\] allow_private: 'nonsense' is not an"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[view]\nsort = 'date'\n", "[view] sort: must be one of changed, first_seen, title"),
        ("[view]\nsplit = 'yes'\n", "[view] split: must be true or false, not 'yes'"),
        ("[view]\nsplitt = true\n", "[view] splitt: unknown setting (known: sort, split"),
        ("[colours]\nbg = 1\n", "unknown section [colours] (known: [keys], [view], [fetch])"),
        ("[fetch]\nconcurrency = 0\n", "[fetch] concurrency: must be between 1 and 256, not 0"),
        ("[fetch]\nconcurrency = 2.5\n", "[fetch] concurrency: must be a whole number"),
        ("[fetch]\ndelay = -1\n", "[fetch] delay: must be between 0 and 3600 seconds"),
        ("[fetch]\nallow_private = 1\n", "[fetch] allow_private: must be true, false or addr"),
        ("[keys]\n'diff.split' = 3\n", "[keys] diff.split: must be a key such as"),
        ("[keys]\n'diff.split' = 'ctrl x'\n", "[keys] diff.split: 'ctrl x' is not a key"),
        ("[keys]\n'diff.split' = []\n", "[keys] diff.split: needs at least one key"),
        ("view = 3\n", "view must be a section, [view]"),
        ("[view\nsort = 1\n", "not valid TOML: "),
    ],
)
def test_a_mistake_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    error = str(raised.value)
    assert error.startswith(str(path)), error
    assert message in error, error
    assert "\n" not in error


def test_a_missing_or_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file .*nope\.toml: no such file"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)
    (tmp_path / "latin1.toml").write_bytes(b"[view]\nsort = '\xe9'\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(tmp_path / "latin1.toml")


def test_unknown_binding_ids_are_refused_by_name() -> None:
    config = Config(keys={"diff.splt": "x"})
    with pytest.raises(ConfigError, match=r"\[keys\] diff.splt: no binding has this id"):
        config.check_binding_ids({"diff.split"})


def test_the_remembered_view_wins_over_the_config_unless_remembering_is_off(
    tmp_path: Path,
) -> None:
    path = default_state_path()
    assert path == tmp_path / "xdg-state" / "newsdiff-tui" / "view.json"
    assert load_view_state(path) is None
    assert save_view_state(path, ViewState(sort="title", split=True, fold=False)) is None
    remembered = load_view_state(path)
    assert remembered == ViewState(sort="title", split=True, fold=False)
    config = Config(view=ViewSettings(sort="first_seen", fold=True, show_boring=True))
    assert initial_view(config, remembered) == ViewSettings(
        sort="title", split=True, fold=False, show_boring=True
    )
    off = Config(view=ViewSettings(sort="first_seen", remember=False))
    assert initial_view(off, remembered).sort == "first_seen"


def test_a_damaged_remembered_view_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "view.json"
    for content in ("{not json", "[1, 2]", json.dumps({"sort": "nonsense", "split": True})):
        path.write_text(content, encoding="utf-8")
        state = load_view_state(path)
        assert state is None or state == ViewState(split=True)
    assert save_view_state(tmp_path / "file" / "view.json", ViewState()) is None
    (tmp_path / "blocked").write_text("a file where a directory should be")
    assert "cannot remember the view" in (
        save_view_state(tmp_path / "blocked" / "view.json", ViewState()) or ""
    )


def test_config_and_demo_do_not_import_textual() -> None:
    script = (
        "import sys, newsdiff_tui.config, newsdiff_tui.demo\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'textual'], 'textual'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ----- the command line --------------------------------------------------------------------


def test_bad_config_exits_2_with_one_line_naming_the_key(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "[view]\nfold = 'sometimes'\n")
    assert main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"newsdiff-tui: {path}: [view] fold: must be true or false, not 'sometimes'\n"


def test_an_unknown_binding_id_exits_2_before_the_app_starts(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "[keys]\n'diff.splitt' = 'x'\n")
    assert main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[keys] diff.splitt: no binding has this id" in err
    assert "Traceback" not in err and err.count("\n") == 1


# ----- the app -----------------------------------------------------------------------------


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    root = tmp_path / "cache"
    build_newsroom(root)
    return root


async def test_keys_are_remapped_by_binding_id_and_help_shows_it(
    newsroom: Path, tmp_path: Path
) -> None:
    from newsdiff_tui.tui.app import app_settings
    from newsdiff_tui.tui.screens.help import HelpScreen, help_table

    settings = app_settings(write(tmp_path, '[keys]\ndiff.split = "x"\ncursor.down = "J"\n'))
    app = tui(newsroom, **settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await press(pilot, "x")
        assert main.diff_view.split
        await press(pilot, "s")  # no longer bound
        assert main.diff_view.split
        before = main.articles.cursor
        await press(pilot, "J")
        assert main.articles.cursor == before + 1
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = list(zip(*(c._cells for c in help_table(app.keymap_overrides).columns), strict=True))
        assert tuple(str(c) for c in next(r for r in rows if str(r[2]) == "diff.split")[:3]) == (
            "x",
            "Switch the diff between inline and side by side",
            "diff.split",
        )
        assert any(str(r[0]) == "J" and str(r[2]) == "cursor.down" for r in rows)


async def test_the_config_sets_how_the_app_starts(newsroom: Path) -> None:
    view = ViewSettings(sort="title", split=True, fold=True, show_boring=True)
    app = tui(newsroom, config=Config(view=view))
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert main.rows.sort == "title"
        assert main.diff_view.split and main.diff_view.fold
        assert main.timeline.show_boring
        assert "side by side · folded · boring shown" in main.status.view
        assert "unchanged paragraph" in "\n".join(screen_lines(main.diff_view))


async def test_split_fold_and_sort_are_remembered_between_runs(
    newsroom: Path, tmp_path: Path
) -> None:
    from newsdiff_tui.tui.app import app_settings

    app = tui(newsroom, **app_settings(None))
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s", "tab", "tab", "f", "O")
    state = default_state_path()
    assert json.loads(state.read_text()) == {"sort": "first_seen", "split": True, "fold": True}
    assert newsroom not in state.parents  # never in the cache
    again = tui(newsroom, **app_settings(None))
    async with again.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert (main.rows.sort, main.diff_view.split, main.diff_view.fold) == (
            "first_seen",
            True,
            True,
        )
