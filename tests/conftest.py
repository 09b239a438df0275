"""Fixtures shared by every test: the seed article and real caches in temporary directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsdiff_tui.history import load_history
from newsdiff_tui.store import Store

pytest_plugins = ["local_server"]

SEED_PATH = (
    Path(__file__).resolve().parents[1] / "src" / "newsdiff_tui" / "data" / "gsomia-versions.json"
)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test may touch the user's real cache or settings: they point at temp dirs.

    The local test server is on 127.0.0.1, which the network guard refuses by default:
    ``NEWSDIFF_ALLOW_PRIVATE=1`` lets every test reach it (guard tests remove it).
    """
    monkeypatch.setenv("NEWSDIFF_HOME", str(tmp_path_factory.mktemp("home")))
    # Nor the user's settings or remembered view (config.toml, view.json).
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("NEWSDIFF_ALLOW_PRIVATE", "1")


@pytest.fixture
def seed_data() -> dict:
    """The two versions of the NYT GSOMIA article, as the seed file holds them."""
    return json.loads(SEED_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def store(cache_dir: Path) -> Store:
    """An empty cache in a temporary directory."""
    with Store(cache_dir) as opened:
        yield opened


@pytest.fixture
def seeded_store(store: Store, seed_data: dict) -> Store:
    """A cache holding the seed article with its two versions."""
    load_history(store, seed_data)
    return store
