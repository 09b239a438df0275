"""The tracking commands: add, fetch, feed and extract, run through the real CLI entry point."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cli_helpers import run
from local_server import LocalServer, Reply, Request, atom_feed, news_page, rate_limited

from newsdiff_tui.cli import main
from newsdiff_tui.diff import diff
from newsdiff_tui.difftext import stats_compact
from newsdiff_tui.netguard import ALLOW_PRIVATE_ENV
from newsdiff_tui.store import Store, default_root


def seed_page(seed: dict, number: int, variant: int = 0) -> str:
    version = seed["versions"][number]
    return news_page(version["title"], version["paragraphs"], variant=variant)


def test_add_validates_and_cleans_urls(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "add", "https://news.example/a?utm_source=x&id=1")
    assert code == 0 and "tracking" in out and "https://news.example/a?id=1" in out
    code, out, _ = run(capsys, "add", "https://news.example/a?id=1")
    assert code == 0 and "already tracked" in out
    code, _, err = run(capsys, "add", "file:///etc/passwd")
    assert code == 2 and "only http:// or https://" in err
    code, _, err = run(capsys, "add", "http://exa mple.com/x")
    assert code == 2 and "spaces" in err
    code, _, err = run(capsys, "add", "https://news.example/x\x1b]0;owned\x07y.html")
    assert code == 2 and "control characters" in err and "\x1b" not in err
    with Store(default_root()) as store:
        assert [a.url for a in store.articles()] == ["https://news.example/a?id=1"]


def test_fetch_prints_lines_and_a_summary(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, seed_data: dict
) -> None:
    story = local_server.route(
        "/story", [Reply(body=seed_page(seed_data, 0)), Reply(body=seed_page(seed_data, 1, 2))]
    )
    broken = local_server.route("/broken", Reply(body=b"%PDF", content_type="application/pdf"))
    run(capsys, "add", story, broken)

    code, out, _ = run(capsys, "fetch")
    assert code == 0  # the run happened; one failure is recorded, not fatal
    lines = out.splitlines()
    assert any(line.startswith("changed") and "v0" in line for line in lines)
    assert any(line.startswith("failed") and "application/pdf" in line for line in lines)
    assert lines[-1].startswith("checked 2: 1 changed, 0 unchanged, 1 failed")

    code, out, _ = run(capsys, "fetch")
    assert "nothing is due" in out

    code, out, _ = run(capsys, "fetch", "--all", "--concurrency", "2", "--quiet")
    assert code == 0
    assert out.splitlines()[-1].startswith("checked 2: 1 changed, 0 unchanged, 1 failed")
    assert not any(line.startswith("changed") for line in out.splitlines())  # --quiet


def test_fetch_offline_exits_1(capsys: pytest.CaptureFixture[str], unused_port: int) -> None:
    run(capsys, "add", f"http://127.0.0.1:{unused_port}/x")
    code, out, _ = run(capsys, "fetch")
    assert code == 1 and "no server could be reached" in out


def test_fetch_reads_feeds_first(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, seed_data: dict
) -> None:
    story = local_server.route("/s", Reply(body=seed_page(seed_data, 0)))
    feed = local_server.route(
        "/feed", Reply(body=atom_feed([story + "?utm_source=feed"]), content_type="text/xml")
    )
    code, out, _ = run(capsys, "feed", "add", feed)
    assert code == 0 and f"following {feed}" in out
    code, out, _ = run(capsys, "fetch")
    assert code == 0
    assert "read 1 feed(s): 1 new article(s)" in out
    assert f"feed      {feed}  1 links, 1 new" in out
    assert out.splitlines()[-1].startswith("checked 1: 1 changed")
    code, out, _ = run(capsys, "feed", "list")
    assert feed in out and "1 found" in out
    code, out, _ = run(capsys, "feed", "list", "--json")
    assert json.loads(out)["url"] == feed
    code, out, _ = run(capsys, "feed", "remove", feed)
    assert code == 0 and "stopped following" in out
    code, _, err = run(capsys, "feed", "remove", feed)
    assert code == 2 and "not following" in err


def test_extract_json_and_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_data: dict
) -> None:
    page = tmp_path / "page.html"
    page.write_text(seed_page(seed_data, 1), encoding="utf-8")
    wall = tmp_path / "wall.html"
    wall.write_text("<html><body><p>Subscribe to continue.</p></body></html>")

    code, out, err = run(capsys, "extract", str(page), str(wall), "--json")
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["title"] == seed_data["versions"][1]["title"]
    assert first["paragraphs"] == seed_data["versions"][1]["paragraphs"]
    assert set(first) >= {"title", "byline", "published", "paragraphs"}
    assert second["problem"] and code == 1 and "wall.html" in err

    code, out, _ = run(capsys, "extract", str(page))
    assert code == 0 and out.startswith(f"== {page}\ntitle:     At Last Minute")
    code, _, err = run(capsys, "extract", str(tmp_path / "missing.html"))
    assert code == 2 and "no such file" in err


def test_extract_a_url(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, seed_data: dict
) -> None:
    url = local_server.route("/p", Reply(body=seed_page(seed_data, 0)))
    code, out, _ = run(capsys, "extract", url, "--json")
    assert code == 0 and json.loads(out)["paragraphs"] == seed_data["versions"][0]["paragraphs"]


def test_help_texts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["fetch", "--help"])
    out = capsys.readouterr().out
    assert "--concurrency N" in out and "every 15 min" in out and "exit status" in out
    assert "--per-site N" in out and "--delay SECONDS" in out and "NEWSDIFF_ALLOW_PRIVATE" in out
    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    assert "what would be stored" in capsys.readouterr().out


def test_progress_bar_on_a_terminal() -> None:
    import io

    from newsdiff_tui.commands.track import _Progress
    from newsdiff_tui.tracker import CheckEvent

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    progress = _Progress(out, quiet=False)
    for index, state in enumerate(["changed", "failed"], 1):
        progress(CheckEvent("id", "http://x/\x1b[31m", index, 2, "checking", "fetching"))
        progress(CheckEvent("id", "http://x/\x1b[31m", index, 2, state, "msg", None))
    progress.finish()
    text = out.getvalue()
    assert "] 1/2" in text and "] 2/2" in text and "\r\x1b[K" in text
    assert "\x1b[31m" not in text  # untrusted URLs cannot colour the terminal
    assert text.count("\n") == 2  # one line per finished article; the bar is redrawn in place


# ----- fetch lines ----------------------------------------------------------------------------
def test_fetch_lines_name_the_title_the_version_and_the_change(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, seed_data: dict
) -> None:
    story = local_server.route(
        "/story", [Reply(body=seed_page(seed_data, 0)), Reply(body=seed_page(seed_data, 1, 2))]
    )
    run(capsys, "add", story)
    _, out, _ = run(capsys, "fetch")
    with Store(default_root()) as store:
        (article,) = store.articles()
        (v0,) = store.versions(article.id)
    title0 = seed_data["versions"][0]["title"]
    assert out.splitlines()[0] == (
        f"changed   {article.id}  v0   {title0}  first version ({v0.text.word_count} words)"
    )
    assert story not in out  # the title, not the URL

    _, out, _ = run(capsys, "fetch", "--all")
    with Store(default_root()) as store:
        v0, v1 = store.versions(article.id)
    change = stats_compact(diff(v0.text, v1.text))
    assert "¶" in change and "words" in change
    assert out.splitlines()[0] == f"changed   {article.id}  v1   {v1.text.title}  {change}"
    assert out.count("v0") == 0


def test_output_lines_strip_escape_codes_from_web_text() -> None:
    import io

    from newsdiff_tui.commands.track import _Progress
    from newsdiff_tui.tracker import CheckEvent

    out = io.StringIO()
    progress = _Progress(out, quiet=False)
    hostile = "\x1b]0;owned\x07Storm \x1b[31mwarning\x9b2J"
    progress(CheckEvent("id", "http://x/", 1, 2, "unchanged", "ok", title=hostile))
    progress(CheckEvent("id", "http://x/", 2, 2, "failed", f"HTTP 500\n{hostile}", title="T"))
    progress.feed("http://x/feed\x1b[2J", "1 links,\n\x1b[31m0 new")
    text = out.getvalue()
    assert "Storm warning" in text and "HTTP 500 Storm warning" in text
    assert not any(c in text for c in "\x1b\x07\x9b")
    assert len(text.splitlines()) == 3  # a newline in web text does not break a line in two
    assert text.splitlines()[2] == "feed      http://x/feed  1 links, 0 new"


def test_a_server_error_with_control_characters_is_printed_safely(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer
) -> None:
    # h11 lets bytes 0x80-0xff through in header values: 0x9b is a C1 "CSI" to a terminal.
    url = local_server.route("/evil", Reply(body=b"x", content_type="text/\x9b31mevil"))
    run(capsys, "add", url)
    code, out, _ = run(capsys, "fetch")
    assert (
        code == 0 and "not an HTML page: the server sent text/evil"
    )  # the whole CSI sequence goes in out
    assert "\x9b" not in out
    with Store(default_root()) as store:
        assert "\x9b" in (store.articles()[0].check.last_error or "")  # stored as it came


def test_feed_list_strips_escape_codes(capsys: pytest.CaptureFixture[str]) -> None:
    root = default_root()
    Store(root).close()
    evil = "https://news.example/feed\x1b]0;owned\x07.xml"
    doc = {
        "url": evil,
        "added": "2024-05-01T08:00:00+00:00",
        "last_error": "HTTP 500 \x1b[31mboom\x9b2J",
    }
    (root / "feeds.json").write_text(json.dumps({"feeds": {evil: doc}}), encoding="utf-8")
    code, out, _ = run(capsys, "feed", "list")
    assert code == 0 and "https://news.example/feed.xml" in out and "error: HTTP 500 boom" in out
    assert not any(c in out for c in "\x1b\x07\x9b")
    code, out, _ = run(capsys, "feed", "list", "--json")
    assert json.loads(out)["last_error"] == doc["last_error"]  # data kept, escaped as JSON
    assert not any(c in out for c in "\x1b\x07\x9b")


def test_feed_add_on_a_full_disk_is_one_line_and_saves_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = default_root()
    Store(root).close()

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("newsdiff_tui.storage.atomic_write_json", full_disk)
    code, out, err = run(capsys, "feed", "add", "--no-check", "https://news.example/feed.xml")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"newsdiff-tui: cannot write {root / 'feeds.json'}: No space left on device"
    ]
    assert not (root / "feeds.json").exists()


def test_the_summary_names_a_site_that_slowed_us_down(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, seed_data: dict
) -> None:
    url = local_server.route(
        "/busy", rate_limited(Reply(body=seed_page(seed_data, 0)), every=100, retry_after="1")
    )
    run(capsys, "add", url)
    code, out, _ = run(capsys, "fetch", "--per-site", "2", "--delay", "0")
    site = f"127.0.0.1:{local_server.port}"
    assert code == 0 and out.splitlines()[0].startswith("changed")
    assert out.splitlines()[-1].endswith(f"; {site} slowed us: 429 x1, waited 1.0 s")


def test_fetch_options_come_from_the_command_line() -> None:
    from newsdiff_tui.cli import build_parser
    from newsdiff_tui.commands.track import _fetch_options
    from newsdiff_tui.fetch import FetchOptions

    args = build_parser().parse_args(["fetch"])
    assert _fetch_options(args) == FetchOptions()
    args = build_parser().parse_args(
        ["fetch", "--per-site", "10", "--concurrency", "10", "--delay", "0.5"]
    )
    options = _fetch_options(args)
    assert (options.per_site, options.concurrency, options.host_delay) == (10, 10, 0.5)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fetch", "--delay", "-1"])


# ----- feed add ---------------------------------------------------------------------------------
def test_feed_add_refuses_what_is_not_a_feed(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer
) -> None:
    gone = local_server.route("/gone.xml", Reply(status=404))
    page = local_server.route(
        "/news",
        Reply(
            body='<html><head><link rel="alternate" type="application/rss+xml" '
            'href="/rss.xml?utm_source=x"></head><body><p>Front page</p></body></html>'
        ),
    )
    bare = local_server.route("/bare", Reply(body="<html><body><p>Hello</p></body></html>"))
    for url, words in [
        (gone, f"newsdiff-tui: {gone}: HTTP 404 Not Found"),
        (page, "it names its feed: " + local_server.url("/rss.xml")),
        (bare, "not a feed but an HTML page (it names no RSS or Atom feed)"),
    ]:
        code, out, err = run(capsys, "feed", "add", url)
        assert code == 2 and out == "" and words in err
        assert len(err.splitlines()) == 1
    assert not (default_root() / "feeds.json").exists()  # nothing saved


def test_feed_add_follows_a_feed_and_offline_with_a_warning(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, unused_port: int
) -> None:
    feed = local_server.route(
        "/feed.xml", Reply(body=atom_feed(["http://127.0.0.1/a"]), content_type="text/xml")
    )
    offline = f"http://127.0.0.1:{unused_port}/feed.xml"
    code, out, err = run(capsys, "feed", "add", feed, offline)
    assert code == 0 and out.splitlines() == [f"following {feed}", f"following {offline}"]
    assert "could not read" in err and "Connection refused" in err and "following it anyway" in err
    requests = len(local_server.requests)
    code, out, _ = run(capsys, "feed", "add", feed)
    assert out.strip() == f"already following {feed}"
    assert len(local_server.requests) == requests  # a followed feed is not read again
    later = local_server.url("/later.xml")  # answers 404 now, but --no-check does not ask
    code, out, _ = run(capsys, "feed", "add", "--no-check", later)
    assert code == 0 and out.strip() == f"following {later}"
    assert len(local_server.requests) == requests


def test_feed_add_refuses_a_private_address_without_the_opt_in(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = local_server.route("/feed.xml", Reply(body=atom_feed([]), content_type="text/xml"))
    monkeypatch.delenv(ALLOW_PRIVATE_ENV)
    code, _, err = run(capsys, "feed", "add", feed)
    assert code == 2 and err.strip() == (
        f"newsdiff-tui: {feed}: refused: loopback address 127.0.0.1"
    )
    assert local_server.requests == []


# ----- runs that overlap, and Ctrl+C ------------------------------------------------------------
def _held_route(seed: dict, gate: threading.Event, arrived: threading.Semaphore):
    def route(request: Request) -> Reply:
        arrived.release()
        gate.wait(60)
        return Reply(body=seed_page(seed, 0))

    return route


def _cli(*args: str, **kwargs: object) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "newsdiff_tui", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


def test_two_overlapping_fetch_runs_never_check_the_same_article(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, seed_data: dict
) -> None:
    gate, arrived = threading.Event(), threading.Semaphore(0)
    urls = [local_server.route(f"/s{i}", _held_route(seed_data, gate, arrived)) for i in range(3)]
    run(capsys, "add", *urls)
    first = _cli("fetch")
    try:
        for _ in urls:  # the first run's requests are all waiting at the server
            assert arrived.acquire(timeout=60)
        second = _cli("fetch", "--all")
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        lines = out.splitlines()
        assert len([line for line in lines if line.startswith("skipped")]) == 3
        assert f"being checked by another run (pid {first.pid})" in lines[0]
        assert lines[-1].startswith("checked 0: 0 changed, 0 unchanged, 0 failed, 3 skipped")
    finally:
        gate.set()
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert out.splitlines()[-1].startswith("checked 3: 3 changed")
    assert len(local_server.requests) == 3  # each article fetched once


def test_ctrl_c_during_fetch_prints_one_line_and_keeps_what_was_stored(
    capsys: pytest.CaptureFixture[str], local_server: LocalServer, seed_data: dict
) -> None:
    gate, arrived = threading.Event(), threading.Semaphore(0)
    fast = [
        local_server.route(f"/fast{i}", Reply(body=seed_page(seed_data, i % 2, i)))
        for i in range(3)
    ]
    slow = [
        local_server.route(f"/slow{i}", _held_route(seed_data, gate, arrived)) for i in range(2)
    ]
    run(capsys, "add", *fast, *slow)
    # A session of its own, so the signal goes to its whole process group, as Ctrl+C in a
    # terminal does (the extraction pool's processes included).
    proc = _cli("fetch", start_new_session=True)
    try:
        assert proc.stdout is not None
        changed = []
        while len(changed) < 3:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            if line.startswith("changed"):
                changed.append(line.split()[1])
        for _ in slow:
            assert arrived.acquire(timeout=60)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        gate.set()
    assert proc.returncode == 130
    assert err == "newsdiff-tui: interrupted\n"  # one line, no traceback
    with Store(default_root()) as store:
        assert store.doctor().clean
        for article_id in changed:
            assert len(store.versions(article_id)) == 1
    claims = json.loads((default_root() / ".runs" / "claims.json").read_text())
    assert claims == {"runs": {}, "articles": {}}  # the run let go of its claims


def test_a_bad_opt_in_value_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "add", "http://127.0.0.1:9/x")
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "intranet please")
    code, _, err = run(capsys, "fetch")
    assert code == 2 and err.startswith("newsdiff-tui: NEWSDIFF_ALLOW_PRIVATE: 'intranet please'")
    assert len(err.splitlines()) == 1


def test_fetch_takes_its_defaults_from_the_config_file(
    capsys: pytest.CaptureFixture[str],
    local_server: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """[fetch] allow_private in the config lets the guard through (the environment unset)."""
    url = local_server.route("/a", Reply(body=news_page("A title", ["A paragraph. " * 30])))
    assert run(capsys, "add", url)[0] == 0
    monkeypatch.delenv("NEWSDIFF_ALLOW_PRIVATE")
    code, out, _ = run(capsys, "fetch")
    assert code == 0 and "refused: loopback address 127.0.0.1" in out
    config = tmp_path / "settings.toml"
    config.write_text("[fetch]\nallow_private = '127.0.0.0/8'\nper_site = 1\n")
    code, out, _ = run(capsys, "fetch", "--all", "--config", str(config))  # after the command
    assert code == 0 and "first version" in out
    config.write_text("[fetch]\nper_site = 0\n")
    code, _, err = run(capsys, "--config", str(config), "fetch")
    assert code == 2 and "[fetch] per_site: must be between 1 and 64, not 0" in err
    assert err.count("\n") == 1
