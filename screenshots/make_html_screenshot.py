"""Make the README's screenshot of the HTML export: the seed article's page in chromium.

Run from the repository root (needs Debian's ``chromium``: ``apt-get install chromium``):

    .venv/bin/python screenshots/make_html_screenshot.py

Loads the bundled seed article (the NewsDiffs GSOMIA story, two versions 32 minutes apart)
into a throwaway cache, renders its page with ``--format html``'s renderer (no clock read, so
the HTML bytes are always the same) and has headless chromium draw it at 1200x1500 pixels
into screenshots/html-seed.png (through ``tests/headless_chromium.py``, the browser test's
harness).
"""

from __future__ import annotations

import json
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from newsdiff_tui.export_html import render_html
from newsdiff_tui.history import load_history
from newsdiff_tui.store import Store

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the one chromium harness, shared with the tests
from headless_chromium import CHROMIUM, run_chromium  # noqa: E402

TARGET = HERE / "html-seed.png"
SIZE = "1200,1500"


def main() -> int:
    if CHROMIUM is None:
        print("make_html_screenshot: no chromium found (apt-get install chromium)", file=sys.stderr)
        return 2
    TARGET.unlink(missing_ok=True)
    seed = json.loads(files("newsdiff_tui").joinpath("data/gsomia-versions.json").read_text())
    with tempfile.TemporaryDirectory(prefix="newsdiff-html-shot-") as tmp:
        with Store(Path(tmp) / "cache") as store:
            article, _ = load_history(store, seed)
            page = Path(tmp) / "seed.html"
            page.write_text(render_html(article, store.versions(article.id)), encoding="utf-8")
        shot = run_chromium(page, Path(tmp) / "profile", "--hide-scrollbars",
                            f"--window-size={SIZE}", f"--screenshot={TARGET}")  # fmt: skip
    if shot.returncode != 0 or not TARGET.is_file():
        print(f"make_html_screenshot: chromium failed:\n{shot.stderr[-2000:]}", file=sys.stderr)
        return 1
    print(TARGET.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
