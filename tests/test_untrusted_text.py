"""Escape codes in an import file: a URL holding one is refused, other text never reaches a
terminal raw.

Every field of a history gets terminal escape sequences: an OSC title change
(``ESC ] 0 ; … BEL``), CSI sequences (clear screen, colours), C1 controls (CSI and OSC as
single bytes, NEL) and lone C0 controls. A URL field holding any of them is refused (exit 2,
one line, nothing written). In the other fields they are removed when stored (the store
normalises all text it compares, as it does for fetched pages), and every command that prints
the article (``import``, ``list``, ``list --json``, an ambiguous name, ``doctor``, the Markdown
export) shows it without them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_cli_cache import files_of, one_error_line, run

from newsdiff_tui.model import CheckState
from newsdiff_tui.store import Store
from newsdiff_tui.textnorm import display_safe, normalize

ESCAPES = {
    "osc-title": "\x1b]0;pwned\x07",
    "osc-st": "\x1b]8;;https://evil.example/\x1b\\",
    "csi": "\x1b[2J\x1b[31;1m",
    "c1": "\x9b31m\x9d0;x\x9c\x85",
    "c0": "\x07\x08\x0e\x00\x7f",
}
T_CHECK = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
# What must never be printed: ESC, C0 controls but tab and newline, DEL and the C1 range.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def hostile_history(escape: str, url: str = "https://example.com/story.html") -> dict:
    """A two-version history with ``escape`` in every text field (the URL left as given)."""
    return {
        "url": url,
        "source": f"evil{escape}source",
        "feed_url": None,
        "check": {
            "last_checked": "2024-05-02T10:00:00+00:00",
            "last_error": f"HTTP 500 {escape}Internal",
            "failures": 2,
            "etag": f'"abc{escape}"',
            "checks": 3,
        },
        "versions": [
            {
                "fetched_at": "2024-05-01T10:00:00+00:00",
                "title": f"Hostile {escape}title",
                "byline": f"By {escape}Someone",
                "published": f"2024-05-01{escape}",
                "paragraphs": [f"First {escape}paragraph.", "Second paragraph."],
            },
            {
                "fetched_at": "2024-05-01T11:00:00+00:00",
                "title": f"Hostile {escape}title, changed",
                "byline": f"By {escape}Someone",
                "paragraphs": [f"First {escape}paragraph, edited.", "Second paragraph."],
            },
        ],
    }


def write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert not RAW_CONTROL.search(text), repr(text)


@pytest.mark.parametrize("escape", ESCAPES.values(), ids=list(ESCAPES))
@pytest.mark.parametrize("field", ["url", "feed_url", "final_url"])
def test_a_url_with_escape_codes_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], escape: str, field: str
) -> None:
    bad_url = f"https://example.com/x{escape}y.html"
    data = hostile_history("")
    if field == "final_url":
        data["check"]["final_url"] = bad_url
    else:
        data[field] = bad_url
    path = write(tmp_path, "hostile.json", data)
    root = tmp_path / "cache"
    code, out, err = run(capsys, "--db", str(root), "import", str(path))
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert f"'{field}' is refused" in line and "control characters" in line
    assert_clean(err)
    assert not root.exists()  # not even an empty cache


def test_a_refused_url_leaves_an_existing_cache_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "cache"
    good = write(tmp_path, "good.json", hostile_history("", "https://example.com/good"))
    assert run(capsys, "--db", str(root), "import", str(good))[0] == 0
    before = files_of(root)
    bad = hostile_history("", "https://example.com/x\x1b]0;pwned\x07y.html")
    code, _, err = run(capsys, "--db", str(root), "import", str(write(tmp_path, "b.json", bad)))
    assert code == 2 and "control characters" in one_error_line(err)
    assert files_of(root) == before


@pytest.mark.parametrize("escape", ESCAPES.values(), ids=list(ESCAPES))
def test_escape_codes_in_text_fields_are_stored_stripped_and_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], escape: str
) -> None:
    root = tmp_path / "cache"
    first = write(tmp_path, "a.json", hostile_history(escape, "https://example.com/a"))
    second = write(tmp_path, "b.json", hostile_history(escape, "https://example.com/b"))
    code, out, err = run(capsys, "--db", str(root), "import", str(first), str(second))
    assert code == 0, err
    assert "Hostile title, changed" in out
    assert_clean(out, err)

    # Stored without them: the cache itself never holds an escape code.
    with Store(root) as store:
        for article in store.articles():
            shard = store.shard_path(article.id).read_text(encoding="utf-8")
            assert_clean(json.dumps(json.loads(shard), ensure_ascii=False))
            assert article.source == normalize(f"evil{escape}source")  # NEL is a space
            assert article.check.last_error == "HTTP 500 Internal"
            (version, _) = store.versions(article.id)
            assert version.text.title == "Hostile title"
            assert version.text.byline == "By Someone"
            assert version.text.paragraphs[0] == "First paragraph."
            assert version.text.published == "2024-05-01"

    outputs = []
    for argv in (
        ["list"],
        ["list", "--json"],
        ["--export", "Hostile"],  # ambiguous: lists both matches on stderr
        ["--export", "https://example.com/a"],
        ["doctor"],
    ):
        code, out, err = run(capsys, "--db", str(root), *argv)
        outputs += [out, err]
    assert_clean(*outputs)
    listing = outputs[0]
    assert normalize(f"evil{escape}source") in listing
    assert "2 failed checks in a row: HTTP 500 Internal" in listing
    ambiguous = outputs[5]  # stderr of `--export Hostile`: both matches
    assert ambiguous.count("Hostile title, changed") == 2
    assert "Hostile title, changed" in outputs[6]  # the Markdown export


def test_hostile_text_already_in_a_cache_is_stripped_when_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cache written by another tool (or an older version) may hold escape codes: the
    printers strip them anyway, and an error naming such text stays one clean line."""
    root = tmp_path / "cache"
    with Store(root) as store:
        for n in (1, 2):
            store.add_article(f"https://example.com/{n}", source="evil\x1b]0;x\x07\x9b1msrc")
    code, out, err = run(capsys, "--db", str(root), "list")
    assert code == 0 and "evilsrc" in out
    code, out, err = run(capsys, "--db", str(root), "--export", "evil")
    assert code == 2 and "2 articles match" in err
    assert err.count("evilsrc") == 2
    assert_clean(out, err)


def test_json_output_escapes_the_controls_json_leaves_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON escapes C0 controls but not C1 ones (U+009B is a CSI to a terminal): a check
    error quoting a server's header keeps it as the server sent it (the cache holds the
    data), and ``list --json`` prints it as an escape, the data intact."""
    root = tmp_path / "cache"
    error = "not an HTML page: the server sent text/\x9b31mevil\u2028"
    with Store(root) as store:
        article = store.add_article("https://example.com/1", source="evil\x9b1msrc")
        store.record_check(article.id, CheckState(last_checked=T_CHECK, last_error=error))
    code, out, err = run(capsys, "--db", str(root), "list", "--json")
    assert code == 0
    assert_clean(out, err)
    assert "\u2028" not in out and "\\u009b" in out
    doc = json.loads(out)
    assert doc["last_error"] == error and doc["source"] == "evil\x9b1msrc"


def test_an_error_quoting_a_hostile_file_name_is_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = tmp_path / "history\x1b]0;pwned\x07\nsecond line.json"
    code, out, err = run(capsys, "--db", str(tmp_path / "cache"), "import", str(name))
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert "no such file" in line and "second line.json" in line
    assert_clean(err.rstrip("\n"))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b]0;pwned\x07b", "ab"),  # OSC: set the window title, ended by BEL
        ("a\x1b]8;;https://evil.example/\x1b\\b", "ab"),  # OSC hyperlink, ended by ST
        ("a\x1b[2J\x1b[31;1mb", "ab"),  # CSI: clear the screen, colours
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),  # DCS (sixel graphics)
        ("a\x1b(Bb\x1b7", "ab"),  # charset designation, save cursor
        ("a\x9b31mb\x9d0;x\x9cc", "abc"),  # the same as 8-bit C1 controls
        ("a\x9dstray", "astray"),  # an unterminated C1 string control swallows nothing
        ("a\u202eevil\u2066b", "aevilb"),  # bidi overrides and isolates
        ("tab\tand\nnewline", "tab\tand\nnewline"),
    ],
)
def test_display_safe_removes_whole_sequences(raw: str, shown: str) -> None:
    assert display_safe(raw) == shown


def test_display_safe_one_line() -> None:
    assert display_safe(" two\n lines\x1b[31m\tand a tab ", one_line=True) == "two lines and a tab"
    assert display_safe(None) == "" and display_safe(5) == "5"  # never fails while printing


def test_export_messages_quoting_a_hostile_path_are_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "cache"
    good = write(tmp_path, "good.json", hostile_history("", "https://example.com/good"))
    assert run(capsys, "--db", str(root), "import", str(good))[0] == 0
    target = tmp_path / "story\x1b]0;pwned\x07.md"
    code, out, err = run(capsys, "--db", str(root), "--export", "good", "-o", str(target))
    assert code == 0 and out.startswith("wrote ") and "story.md" in out
    folder = tmp_path / "all\x1b[2J"
    code, out, err = run(capsys, "--db", str(root), "--export", "all", "-o", str(folder))
    assert code == 0 and "exported 1 article to" in out
    assert_clean(out, err)
    assert target.exists()  # the file is named as asked; only the message is cleaned
