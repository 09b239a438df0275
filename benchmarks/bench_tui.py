"""How fast the TUI is with 10 articles and with 20,000: first frame, and 200 cursor moves.

Run:  .venv/bin/python benchmarks/bench_tui.py [--keep DIR] [--rounds N]

Builds two caches (5 versions per article) by writing shard files in the store's documented
layout and rebuilding the index with ``Store.doctor(rebuild_index=True)`` (100,000 ``add_version``
calls would take many minutes), in a temporary directory unless ``--keep DIR`` names one to
reuse between runs. Then, headless (``App.run_test``), for each cache:

- first frame: from creating the app (which opens the cache) to the first frame in which the
  article list, the timeline and the diff have all been rendered;
- moves: 200 presses of "down" in the article list, each followed by ``pilot.pause()`` (wait
  until the app is idle) and a check that the diff on screen is the new article's, rendered.
  Each move computes its diff: the app's memo of computed diffs is cleared first, or the
  10-article cache (whose cursor bounces between its ends) would only hit it.

Then the key delay, on a cache of 50 articles one of which is 20,000 paragraphs long (two
versions, ~11 MB): keys are sent as the terminal driver sends them, at a fast reader's pace
(one every ``KEY_GAP`` seconds, without waiting for the diffs), down the whole list and back,
then back and forth between the big article's two versions (each a diff of 20,000 paragraphs to
compute and wrap); for each key, the delay from sending it to the next frame after it was
handled. The work for the big article runs in worker threads meanwhile, as it would for a user.

Each figure is the median of ``--rounds`` runs. The key delay is taken per key (the same keys
in every run): its median over the runs, then the largest of those, so that a key that blocks
shows in every run while a moment the machine's other tenants took the CPU does not; the largest
single delay seen is printed too. ``max_key_delay_s`` is over the keys that move over the 50
articles; the keys on the big article's versions are reported apart
(``max_key_delay_versions_s``): their first includes Textual rebuilding the footer after Tab.
The last line printed is JSON with first_frame_small_s, first_frame_large_s, first_frame_ratio,
moves_small_s, moves_large_s, moves_ratio, max_key_delay_s, max_key_delay_any_run_s and
max_key_delay_versions_s. Targets: first_frame_ratio <= 1.5, moves_ratio <= 1.3,
max_key_delay_s < 0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual import events

from newsdiff_tui.model import ArticleText
from newsdiff_tui.store import Store
from newsdiff_tui.timeutil import to_iso
from newsdiff_tui.tui.app import NewsdiffApp, make_app
from newsdiff_tui.tui.widgets.article_list import ArticleList
from newsdiff_tui.tui.widgets.diff_view import DiffView
from newsdiff_tui.tui.widgets.timeline import VersionTimeline
from newsdiff_tui.urls import article_id_for, source_for

SMALL, LARGE = 10, 20_000
KEY_ARTICLES = 50  # articles in the key-delay cache, one of them BIG_PARAGRAPHS long
BIG_PARAGRAPHS = 20_000
KEY_GAP = 0.05  # seconds between two keys in the key-delay walk (a fast reader)
_APP_STARTED = [0.0]  # wall-clock moments of the last run, for the launch figure
_FRAME_AT = [0.0]
VERSIONS = 5
MOVES = 200
SIZE = (140, 40)
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
WORDS = (
    "government", "officials", "said", "on", "Friday", "that", "the", "agreement", "would",
    "be", "extended", "while", "talks", "continue", "between", "the", "two", "countries",
    "over", "trade", "security", "and", "the", "future", "of", "the", "region",
)  # fmt: skip


def _paragraph(article: int, n: int) -> str:
    words = [WORDS[(article * 7 + n * 3 + k) % len(WORDS)] for k in range(38)]
    return " ".join(words).capitalize() + "."


def _texts(article: int) -> Iterator[ArticleText]:
    """Five successive texts: each edits one paragraph, and the third adds one."""
    paragraphs = [_paragraph(article, n) for n in range(10)]
    title = f"Story {article}: talks on the regional agreement continue"
    for v in range(VERSIONS):
        if v:
            k = (article + v) % len(paragraphs)
            paragraphs[k] = paragraphs[k].replace("officials", f"senior officials ({v})", 1)
            paragraphs[k] += f" Updated in version {v}."
        if v == 2:
            paragraphs.insert(4, f"A new paragraph added in version {v} of story {article}.")
        if v == 4:
            title = f"Story {article}: agreement extended after last-minute talks"
        yield ArticleText(title=title, paragraphs=tuple(paragraphs))


def _big_texts(article: int) -> Iterator[ArticleText]:
    """Two versions of a 20,000-paragraph article: the second edits and adds a paragraph."""
    paragraphs = [f"{_paragraph(article, n)} ({n})" for n in range(BIG_PARAGRAPHS)]
    title = f"Story {article}: the whole record, paragraph by paragraph"
    yield ArticleText(title=title, paragraphs=tuple(paragraphs))
    paragraphs[BIG_PARAGRAPHS // 3] = paragraphs[BIG_PARAGRAPHS // 3].replace("said", "denied")
    paragraphs.insert(BIG_PARAGRAPHS // 2, "A paragraph added in the middle of the record.")
    yield ArticleText(title=title, paragraphs=tuple(paragraphs))


def build_cache(root: Path, count: int, big: int | None = None) -> None:
    """A cache of ``count`` articles with five versions each (shards, then index rebuild);
    article number ``big``, if given, is the 20,000-paragraph one."""
    Store(root)
    start = NOW - timedelta(days=30)
    for i in range(count):
        url = f"https://www.news{i % 37}.example.com/2024/05/story-{i}.html"
        article_id = article_id_for(url)
        first = start + timedelta(seconds=i * 100)
        versions: dict[str, Any] = {}
        for v, text in enumerate(_big_texts(i) if i == big else _texts(i)):
            versions[str(v + 1)] = {
                "number": v,
                "title": text.title,
                "byline": None,
                "published": None,
                "paragraphs": list(text.paragraphs),
                "fetched_at": to_iso(first + timedelta(minutes=37 * v)),
                "text_hash": text.content_hash(),
                "boring": False,
                "revert_of": None,
            }
        meta = {
            "id": article_id,
            "url": url,
            "source": source_for(url),
            "first_seen": to_iso(first),
            "feed_url": None,
            "check": {},
        }
        path = root / "articles" / article_id[:2] / f"{article_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"article": {"1": meta}, "versions": versions}))
    report = Store(root).doctor(rebuild_index=True)
    assert report.repaired, report


def ensure_cache(base: Path, count: int, big: int | None = None) -> Path:
    root = base / (f"cache-{count}" if big is None else f"cache-{count}-big-{big}")
    if not (root / "index.json").exists():
        started = time.perf_counter()
        print(f"building a cache of {count} articles in {root} …", file=sys.stderr)
        build_cache(root, count, big)
        print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return root


class PaintProbe:
    """Records when each pane last rendered, by patching ``render_line`` (benchmark only)."""

    def __init__(self) -> None:
        self.painted: dict[str, Any] = {}
        self._originals: list[tuple[type, Any]] = []

    def __enter__(self) -> PaintProbe:
        for cls, key in ((ArticleList, "list"), (VersionTimeline, "timeline"), (DiffView, "diff")):
            original = cls.render_line
            self._originals.append((cls, original))

            def patched(widget: Any, y: int, _original: Any = original, _key: str = key) -> Any:
                strip = _original(widget, y)
                if widget.row_count:
                    state = widget._generation if isinstance(widget, DiffView) else True
                    self.painted[_key] = state
                return strip

            cls.render_line = patched  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        for cls, original in self._originals:
            cls.render_line = original  # type: ignore[method-assign]

    def complete(self, app: NewsdiffApp) -> bool:
        """The list, the timeline and the diff of the current article are all on screen."""
        view = app.main.diff_view
        return (
            "list" in self.painted
            and "timeline" in self.painted
            and self.painted.get("diff") == view._generation
            and view.content.pair is not None
            and not view.rendering
        )


async def _until(condition: Any, timeout: float = 30.0) -> None:
    """Poll ``condition`` between event-loop turns (no fixed sleeps, unlike pilot.pause)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not render in time")
        await asyncio.sleep(0.001)


async def run_once(root: Path, moves: int, span: int | None = None) -> tuple[float, float, float]:
    """Seconds to the first complete frame, and wall and CPU seconds for ``moves`` moves.

    A move is a "down" key sent as the terminal driver sends it, and ends when the article
    under the cursor has its timeline and diff rendered on screen (the next frame).
    """
    with PaintProbe() as probe:
        started = time.perf_counter()
        _APP_STARTED[0] = time.time()
        app = make_app(root, clock=lambda: NOW, tz=UTC, watch_interval=None)
        async with app.run_test(size=SIZE) as pilot:
            await _until(lambda: probe.complete(app))
            first_frame = time.perf_counter() - started
            _FRAME_AT[0] = time.time()
            await pilot.pause()
            main = app.main
            assert app.focused is main.articles
            driver = app._driver
            assert driver is not None
            started, cpu = time.perf_counter(), time.process_time()
            position, direction = 0, 1
            for _ in range(moves):
                # With 10 articles the cursor bounces between the ends, so every move still
                # selects another article and updates the timeline and the diff.
                if not 0 <= position + direction < min(len(main.rows), span or len(main.rows)):
                    direction = -direction
                position += direction
                expected = main.rows.id_at(position)
                # With 10 articles the bounce revisits them, and the app's memo of computed
                # diffs would spare the small cache the diff work the large one does on every
                # move: start each move without it, so both measure the same work.
                main.diffs.clear()
                key = events.Key("down" if direction > 0 else "up", None)
                key.set_sender(app)
                driver.send_message(key)
                await _until(
                    lambda expected=expected: main.shown_id == expected and probe.complete(app)
                )
            moves_s = time.perf_counter() - started
            moves_cpu = time.process_time() - cpu
    return first_frame, moves_s, moves_cpu


async def key_delays(root: Path) -> dict[str, list[float]]:
    """Seconds from each key to the next frame after it was handled (see the docstring): the
    keys of the walk over the list ("list"), then those of the big article's versions, from
    the Tab that moves there ("versions")."""
    app = make_app(root, clock=lambda: NOW, tz=UTC, watch_interval=None)
    frames: list[float] = []
    shown = app.post_display_hook

    def record_frame() -> None:
        frames.append(time.perf_counter())
        shown()

    app.post_display_hook = record_frame  # type: ignore[method-assign]
    delays: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        await _until(lambda: main.shown_id is not None and not main.diff_view.rendering)
        driver = app._driver
        assert driver is not None

        async def send(key_name: str, handled: Any) -> None:
            """Send a key; wait until it was handled and a frame followed; keep the delay."""
            key = events.Key(key_name, None)
            key.set_sender(app)
            sent = time.perf_counter()
            driver.send_message(key)
            await _until(handled)
            seen = time.perf_counter()
            await _until(lambda: frames and frames[-1] >= seen)
            delays.append(next(t for t in frames if t >= seen) - sent)
            await asyncio.sleep(KEY_GAP)

        count = len(main.rows)
        for target in [*range(1, count), *range(count - 2, -1, -1)]:
            name = "down" if target > main.articles.cursor else "up"
            await send(name, lambda target=target: main.articles.cursor == target)
        big = next(i for i in range(count) if main.rows.doc(i).get("words", 0) > 100_000)
        while main.articles.cursor != big:
            position = main.articles.cursor
            name = "down" if big > position else "up"
            await send(name, lambda p=position: main.articles.cursor != p)
        await _until(lambda: main.shown_id == main.rows.id_at(big))
        walk = len(delays)
        await send("tab", lambda: app.focused is main.timeline)
        for name in ["up", "down"] * 5:
            before = main.timeline.cursor
            await send(name, lambda b=before: main.timeline.cursor != b)
        await _until(lambda: not main.diff_view.rendering, timeout=120)
    return {"list": delays[:walk], "versions": delays[walk:]}


def delay_child(root: Path) -> None:
    """The key-delay walk in this fresh process; prints the delays as JSON."""
    print(json.dumps(asyncio.run(key_delays(root))))


def child(root: Path, moves: int, launched: float) -> None:
    """One measured run in this fresh process; prints its figures as JSON."""
    first_frame, moves_s, moves_cpu = asyncio.run(run_once(root, moves))
    app_started = _APP_STARTED[0]
    print(
        json.dumps(
            {
                "launch_to_frame": _FRAME_AT[0] - launched,
                "app_to_frame": first_frame,
                "imports": app_started - launched,
                "moves": moves_s,
                "moves_cpu": moves_cpu,
            }
        )
    )


def spawn(root: Path, moves: int, *, delays: bool = False) -> dict[str, Any]:
    """Run one measurement in a new interpreter, as a user launching the app would."""
    launched = time.time()
    mode = ["--delay-child", str(root)] if delays else ["--child", str(root)]
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            *mode,
            "--moves",
            str(moves),
            "--launched",
            repr(launched),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build/reuse the caches in this directory")
    parser.add_argument("--rounds", type=int, default=3, help="runs per cache (median)")
    parser.add_argument("--moves", type=int, default=MOVES)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--delay-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--launched", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.moves, args.launched)
        return 0
    if args.delay_child:
        delay_child(args.delay_child)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        roots = {SMALL: ensure_cache(base, SMALL), LARGE: ensure_cache(base, LARGE)}
        keyed = ensure_cache(base, KEY_ARTICLES, big=KEY_ARTICLES // 2)
        spawn(roots[SMALL], 5)  # warm the OS file cache and .pyc files; not measured
        runs: dict[int, list[dict[str, float]]] = {SMALL: [], LARGE: []}
        delay_runs: list[dict[str, list[float]]] = []
        for _ in range(args.rounds):  # interleaved, so load from elsewhere hits both alike
            for count in (SMALL, LARGE):
                runs[count].append(spawn(roots[count], args.moves))
            delay_runs.append(spawn(keyed, 0, delays=True))

    def per_key(phase: str) -> list[float]:
        runs = (r[phase] for r in delay_runs)
        return [statistics.median(keys) for keys in zip(*runs, strict=True)]

    walk, versions = per_key("list"), per_key("versions")
    any_run = max(max(r["list"]) for r in delay_runs)

    def med(count: int, key: str) -> float:
        return statistics.median(r[key] for r in runs[count])

    ff_small, ff_large = med(SMALL, "launch_to_frame"), med(LARGE, "launch_to_frame")
    mv_small, mv_large = med(SMALL, "moves"), med(LARGE, "moves")
    app_small, app_large = med(SMALL, "app_to_frame"), med(LARGE, "app_to_frame")
    result = {
        "first_frame_small_s": round(ff_small, 4),
        "first_frame_large_s": round(ff_large, 4),
        "first_frame_ratio": round(ff_large / ff_small, 3),
        "moves_small_s": round(mv_small, 4),
        "moves_large_s": round(mv_large, 4),
        "moves_ratio": round(mv_large / mv_small, 3),
        "max_key_delay_s": round(max(walk), 4),
        "max_key_delay_any_run_s": round(any_run, 4),
        "max_key_delay_versions_s": round(max(versions), 4),
    }
    print(f"TUI benchmark: median of {args.rounds} runs each, terminal {SIZE[0]}x{SIZE[1]}")
    print(f"{'':34}{SMALL:>10}{LARGE:>10}  ratio  target")
    print(
        f"{'launch to first complete frame':34}{ff_small * 1000:8.0f}ms{ff_large * 1000:8.0f}ms"
        f"  {ff_large / ff_small:5.2f}  <= 1.5"
    )
    print(
        f"{'  of which app start to frame':34}{app_small * 1000:8.0f}ms{app_large * 1000:8.0f}ms"
        f"  {app_large / app_small:5.2f}"
    )
    print(
        f"{f'{args.moves} cursor moves':34}{mv_small * 1000:8.0f}ms{mv_large * 1000:8.0f}ms"
        f"  {mv_large / mv_small:5.2f}  <= 1.3"
    )
    cpu_small, cpu_large = med(SMALL, "moves_cpu"), med(LARGE, "moves_cpu")
    print(
        f"{'  CPU per move':34}{cpu_small / args.moves * 1000:8.1f}ms"
        f"{cpu_large / args.moves * 1000:8.1f}ms  (frames are paced at 60/s)"
    )
    ordered = sorted(walk)
    print(
        f"{'key to next frame, 50 articles':34}  max {max(walk) * 1000:.0f} ms, "
        f"95th percentile {ordered[int(len(ordered) * 0.95)] * 1000:.0f} ms, "
        f"median {statistics.median(walk) * 1000:.0f} ms over {len(walk)} keys  (< 100 ms)"
    )
    slowest = max(range(len(walk)), key=walk.__getitem__)
    print(
        f"{'':34}  (median of {args.rounds} runs per key; slowest key #{slowest}; "
        f"largest single delay in any run {any_run * 1000:.0f} ms)"
    )
    print(
        f"{'  then the big article':34}  max {max(versions) * 1000:.0f} ms over "
        f"{len(versions)} keys (Tab to the versions, then v0/v1 back and forth)"
    )
    print(
        "Launch is from starting the interpreter (imports included, as a user launches it);\n"
        "app start is from make_app(), which opens the cache: the large cache's extra time\n"
        "there is the store reading its 20,000-entry index."
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
