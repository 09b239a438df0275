"""The demo: a throwaway cache holding the bundled seed article (``newsdiff-tui --demo``).

The seed is the NYT story NewsDiffs showed in 2019, with its two versions. The demo never
touches the user's cache: it lives in a temporary directory removed when the demo ends.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from newsdiff_tui.history import load_history
from newsdiff_tui.store import Store


def seed_history() -> Any:
    """The bundled seed article's history (the format ``newsdiff-tui import`` reads)."""
    seed = resources.files("newsdiff_tui") / "data" / "gsomia-versions.json"
    return json.loads(seed.read_text(encoding="utf-8"))


def seed_demo(root: Path) -> None:
    """Fill the cache at ``root`` with the bundled seed article."""
    with Store(root) as store:
        load_history(store, seed_history(), where="demo")


@contextmanager
def demo_cache() -> Iterator[Path]:
    """A temporary cache holding the seed article, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="newsdiff-demo-") as tmp:
        root = Path(tmp) / "cache"
        seed_demo(root)
        yield root
