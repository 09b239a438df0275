"""``newsdiff-tui backfill`` and ``add --backfill`` against a fake archive on 127.0.0.1: the seed
article as a backfill, output, usage errors, and runs interrupted by Ctrl+C or a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cli_helpers import run
from fake_archive import (
    FakeArchive,
    capture_reply,
    fake_archive_fixture,  # noqa: F401 - the fixture ``fake_archive``
    page,
)
from local_server import Reply, Request

from newsdiff_tui.archive import BASE_ENV, DEFAULT_BASE
from newsdiff_tui.cli import main
from newsdiff_tui.model import wayback_link
from newsdiff_tui.store import Store

URL = "https://www.nytimes.com/2019/11/22/world/asia/pact.html"
SENTENCE = "Officials in Seoul said on Friday that the decision to extend the pact was final"


def body(tag: str) -> str:
    paragraphs = [f"{SENTENCE}, {tag} report {n} said in a statement." for n in range(3)]
    return page(f"Pact news {tag}", paragraphs)


def serve_seed(fake: FakeArchive, seed_data: dict) -> None:
    """The seed's two versions as captures 32 minutes apart, rendered as NYT pages."""
    for stamp, version in zip(
        ("20191122091500", "20191122094700"), seed_data["versions"], strict=True
    ):
        fake.add(seed_data["url"], stamp, page(version["title"], version["paragraphs"]))


def test_the_seed_article_as_a_backfill_gives_the_demo_history(
    tmp_path: Path,
    seeded_store: Store,
    seed_data: dict,
    fake_archive: FakeArchive,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_seed(fake_archive, seed_data)
    db = str(tmp_path / "backfilled")
    code, out, err = run(capsys, "--db", db, "add", seed_data["url"], "--backfill")
    assert (code, err) == (0, "")
    assert "1/2 captures  20191122091500: stored as v0" in out
    assert "2/2 captures  20191122094700: stored as v1" in out
    assert out.rstrip().endswith(
        "backfilled 1 article: 2 versions stored from 2 captures "
        "(2 downloaded, 0 refused, 0 failed)"
    )
    (demo,) = seeded_store.articles()
    backfilled = Store(db)
    assert [a.id for a in backfilled.articles()] == [demo.id]
    got, want = backfilled.versions(demo.id), seeded_store.versions(demo.id)
    assert [v.text for v in got] == [v.text for v in want]
    assert [v.fetched_at for v in got] == [v.fetched_at for v in want]
    assert [v.text_hash for v in got] == [v.text_hash for v in want]
    assert [v.origin_url for v in got] == [
        wayback_link("20191122091500", seed_data["url"]),
        wayback_link("20191122094700", seed_data["url"]),
    ]
    # The same diff, word for word, as the demo's.
    diffs = []
    for root in (db, str(seeded_store.root)):
        code, out, _ = run(capsys, "--db", root, "diff", f"{demo.id}@0", f"{demo.id}@1")
        assert code == 0
        diffs.append(out)
    assert diffs[0] == diffs[1] and "[-" in diffs[0]


def test_backfill_prints_progress_and_a_quiet_summary(
    store: Store, fake_archive: FakeArchive, capsys: pytest.CaptureFixture[str]
) -> None:
    article = store.add_article(URL)
    fake_archive.add(URL, "20191122090000", body("a"))
    fake_archive.add(
        URL,
        "20191122100000",
        Reply(status=404, headers={"Memento-Datetime": "Fri, 22 Nov 2019 10:00:00 GMT"}),
    )
    code, out, _ = run(capsys, "--db", str(store.root), "backfill", article.id)
    assert code == 0
    assert f"{article.id}  searching the archive for {URL}" in out
    assert "2/2 captures  refused: archived error page (HTTP 404 when captured)" in out
    assert f"{article.id}  2 captures: 1 version stored, 2 downloaded, 1 refused, 0 failed" in out
    code, out, _ = run(capsys, "--db", str(store.root), "backfill", "--all", "--quiet")
    assert code == 0
    assert out.splitlines() == [
        f"{article.id}  2 captures: 0 versions stored, 0 downloaded, 1 refused, 0 failed",
        "backfilled 1 article: 0 versions stored from 2 captures (0 downloaded, 1 refused, "
        "0 failed)",
    ]
    code, out, _ = run(capsys, "--db", str(store.root), "list")
    assert "(1 archived)" in out


def test_a_429_is_reported_and_waited_out(
    store: Store, fake_archive: FakeArchive, capsys: pytest.CaptureFixture[str]
) -> None:
    store.add_article(URL)
    fake_archive.add(URL, "20191122090000", body("a"))
    fake_archive.cdx_replies.append(Reply(status=429, headers={"Retry-After": "1"}))
    code, out, err = run(capsys, "--db", str(store.root), "backfill", "--all", "--quiet")
    assert code == 0 and "1 version stored" in out
    assert err == (
        "newsdiff-tui: the archive asked us to slow down (HTTP 429): all archive requests "
        "paused for 1 s\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "name the articles to backfill, or use --all"),
        (["--all", "pact"], "name the articles to backfill, or use --all"),
        (["nothing-like-it"], "no article matches 'nothing-like-it'"),
        (["--all", "--since", "last week"], "--since 'last week' is not a date"),
    ],
)
def test_backfill_usage_errors(
    store: Store, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store.add_article(URL)
    code, out, err = run(capsys, "--db", str(store.root), "backfill", *argv)
    assert code == 2 and out == ""
    assert err.startswith("newsdiff-tui: ") and message in err


def test_backfill_help_names_the_archive_setting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["backfill", "--help"])
    out = capsys.readouterr().out
    assert f"${BASE_ENV}" in out and f"(default {DEFAULT_BASE})" in out


def test_a_bad_archive_url_is_a_usage_error(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store.add_article(URL)
    monkeypatch.setenv(BASE_ENV, "web.archive.org")
    code, _, err = run(capsys, "--db", str(store.root), "backfill", "--all")
    assert code == 2 and "NEWSDIFF_WAYBACK_URL must be a scheme and host" in err


def test_an_unreachable_archive_exits_1(
    store: Store,
    unused_port: int,
    monkeypatch: pytest.MonkeyPatch,
    fake_archive: FakeArchive,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store.add_article(URL)
    monkeypatch.setenv(BASE_ENV, f"http://127.0.0.1:{unused_port}")
    code, out, _ = run(capsys, "--db", str(store.root), "backfill", "--all")
    assert code == 1 and "stopped: cannot reach the archive" in out


def test_backfill_needs_a_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", str(tmp_path / "none"), "backfill", "--all")
    assert code == 2 and "no cache at" in err
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_an_interrupted_backfill_loses_nothing_it_stored(
    store: Store,
    fake_archive: FakeArchive,
    how: signal.Signals,
    capsys: pytest.CaptureFixture[str],
) -> None:
    article = store.add_article(URL)
    fake_archive.add(URL, "20191122090000", body("a"))
    arrived, release = threading.Event(), threading.Event()
    second = capture_reply("20191122100000", body("b"))

    def held(request: Request) -> Reply:
        arrived.set()
        release.wait(60)
        return second

    fake_archive.add(URL, "20191122100000", body("b"))
    fake_archive.server.route(f"/web/20191122100000id_/{URL}", held)
    fake_archive.add(URL, "20191122110000", body("c"))
    env = {**os.environ, BASE_ENV: fake_archive.base}
    process = subprocess.Popen(
        [sys.executable, "-m", "newsdiff_tui", "--db", str(store.root), "backfill", "--all"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert arrived.wait(60), "the backfill never asked for the second capture"
        process.send_signal(how)
        process.wait(60)
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == (130 if how == signal.SIGINT else -signal.SIGKILL)
    store.refresh()
    (kept,) = store.versions(article.id)
    assert kept.origin_ref == "20191122090000"
    assert store.doctor().clean
    # The next run downloads only what it has not got.
    code, out, _ = run(capsys, "--db", str(store.root), "backfill", "--all", "--quiet")
    assert code == 0 and "2 versions stored" in out
    paths = [path for _, kind, path in fake_archive.log if kind == "capture"]
    assert paths.count(f"/web/20191122090000id_/{URL}") == 1
    assert [v.origin_ref for v in store.versions(article.id)] == [
        "20191122090000",
        "20191122100000",
        "20191122110000",
    ]
