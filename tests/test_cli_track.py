"""The tracking commands: add, fetch, feed and extract, run through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from local_server import LocalServer, Reply, atom_feed, news_page

from newsdiff_tui.cli import main
from newsdiff_tui.store import Store, default_root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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
