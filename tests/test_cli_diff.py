"""The ``diff`` command: files and stored versions in, marked text or JSON out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run as _run

from newsdiff_tui.commands.diffcmd import parse_text, render_words
from newsdiff_tui.diff import diff_words
from newsdiff_tui.store import Store

PAGE = """<html><head><title>{title}</title><meta name="author" content="Ann Lee"></head>
<body><nav>Home News Sport</nav><article><h1>{title}</h1>{body}</article>
<footer>Copyright</footer></body></html>"""

P1 = "The council voted on Tuesday to close the old library on Main Street next spring."
P2 = "Residents packed the hall, and several speakers urged members to delay the decision."
P3 = "The mayor said the building would be sold and the money spent on the new school."


def _files(tmp_path: Path, old: str, new: str) -> tuple[Path, Path]:
    """Two plain-text files to compare, ``a.txt`` and ``b.txt``."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(old, encoding="utf-8")
    b.write_text(new, encoding="utf-8")
    return a, b


def _article_id(store: Store) -> str:
    return store.articles()[0].id


# ----- stored versions ----------------------------------------------------------------------


def test_stored_versions_by_id(
    seeded_store: Store, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = _article_id(seeded_store)
    code, out, err = _run(capsys, "--db", str(cache_dir), "diff", f"{article}@0", f"{article}@1")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"--- {article}@0  2019-11-22")
    assert lines[1].startswith(f"+++ {article}@1  2019-11-22")
    # Spaces only one side has stay inside its marks, so each side reads back exactly.
    assert "pact {+a serious rupture between two close American allies +}was" in out
    assert "for now[- and conveyed their intentions to the Japanese government-]." in out
    assert "{+“We did not compromise,” he said.+}" in out
    assert "\x1b[" not in out  # NO_COLOR is set for every test
    assert lines[-1] == (
        "5 modified, 1 inserted, 0 deleted, 6 unchanged paragraph(s); +99 -48 words "
        "(21% of the text)"
    )


def test_stored_versions_by_search_term_and_negative_number(
    seeded_store: Store, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "--db", str(cache_dir), "diff", "intelligence pact@-2", "intelligence pact@-1"
    )
    assert code == 0
    assert "{+Seoul+}" in out


def test_json_lists_paragraphs_and_stats(
    seeded_store: Store, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = _article_id(seeded_store)
    code, out, _ = _run(
        capsys, "--db", str(cache_dir), "diff", f"{article}@0", f"{article}@-1", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    ops = [p["op"] for p in data["paragraphs"]]
    assert ops.count("equal") == 6
    assert ops.count("modify") == 5
    assert ops.count("insert") == 1
    assert data["stats"]["paragraphs_changed"] == 6
    assert data["stats"]["words_added"] == 99
    second = data["paragraphs"][1]
    assert second["op"] == "modify"
    assert "".join(w["text"] for w in second["words"] if w["op"] != "insert") == second["old"]
    assert "".join(w["text"] for w in second["words"] if w["op"] != "delete") == second["new"]
    assert data["old"]["version"] == 0
    assert data["new"]["version"] == 1
    assert data["title"]["changed"] is False
    assert data["has_changes"] is True
    assert data["coarse"] is False


# ----- files --------------------------------------------------------------------------------


def test_text_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.txt"
    new = tmp_path / "new.txt"
    old.write_text(f"# Library to close\n\n{P1}\n\n{P2}\n  \n{P3}\n", encoding="utf-8")
    new.write_text(
        f"# Library will close\n\n{P1}\n\n{P2.replace('delay', 'reverse')}\n\n{P3}\n",
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "diff", str(old), str(new))
    assert code == 0
    assert "Title: Library [-to-]{+will+} close" in out
    assert "urged members to [-delay-]{+reverse+} the decision." in out
    assert "(1 unchanged paragraph)" in out
    assert out.splitlines()[-1].startswith("1 modified, 0 inserted, 0 deleted, 2 unchanged")
    assert "title changed" in out.splitlines()[-1]


def test_parse_text_rules() -> None:
    text = parse_text("\ufeffFirst line\nsame   paragraph\r\n\r\n\n Second\n")
    assert text.title == ""
    assert text.paragraphs == ("First line same paragraph", "Second")
    titled = parse_text("# Headline\n\nBody.")
    assert (titled.title, titled.paragraphs) == ("Headline", ("Body.",))
    assert parse_text("# Not a title\nbecause two lines").title == ""


def test_html_files_are_extracted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "".join(f"<p>{p}</p>" for p in (P1, P2, P3))
    old = tmp_path / "old.html"
    new = tmp_path / "new.htm"
    old.write_text(PAGE.format(title="Library to close", body=body), encoding="utf-8")
    edited = body.replace("several speakers", "dozens of speakers")
    new.write_text(PAGE.format(title="Library to close", body=edited), encoding="utf-8")
    code, out, _ = _run(capsys, "diff", str(old), str(new), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [p["op"] for p in data["paragraphs"]] == ["equal", "modify", "equal"]
    changed = [w for w in data["paragraphs"][1]["words"] if w["op"] != "equal"]
    assert [(w["op"], w["text"].strip()) for w in changed] == [
        ("delete", "several"),
        ("insert", "dozens of"),
    ]


def test_file_against_stored_version(
    seeded_store: Store, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latest = seeded_store.version(_article_id(seeded_store), -1).text
    copy = tmp_path / "latest.txt"
    copy.write_text(f"# {latest.title}\n\n" + "\n\n".join(latest.paragraphs), encoding="utf-8")
    code, out, _ = _run(
        capsys, "--db", str(cache_dir), "diff", f"{_article_id(seeded_store)}@-1", str(copy)
    )
    assert code == 0
    assert out.splitlines()[-1] == "no changes"


# ----- colour and markers -------------------------------------------------------------------


def test_color_always_uses_ansi_and_never_markers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _files(tmp_path, "one two three", "one 2 three four")
    _, coloured, _ = _run(capsys, "diff", str(old), str(new), "--color", "always")
    assert "one \x1b[31mtwo\x1b[0m\x1b[32m2\x1b[0m three\x1b[32m four\x1b[0m" in coloured
    assert "[-" not in coloured
    _, plain, _ = _run(capsys, "diff", str(old), str(new), "--color", "never")
    assert "one [-two-]{+2+} three{+ four+}" in plain


def test_no_color_and_no_terminal_give_markers(tmp_path: Path) -> None:
    """A real process: piped stdout means markers; NO_COLOR wins even with a forced TTY check."""
    old, new = _files(tmp_path, "alpha beta", "alpha gamma")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    result = subprocess.run(
        [sys.executable, "-m", "newsdiff_tui", "diff", str(old), str(new)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "alpha [-beta-]{+gamma+}" in result.stdout
    assert "\x1b[" not in result.stdout


def test_render_words_keeps_the_texts_own_spacing() -> None:
    """Spaces both sides share stay outside the marks, a side's own spaces inside its mark."""
    words = diff_words("a b  c", "a x  c")
    assert render_words(words, color=False) == "a [-b-]{+x+}  c"
    assert render_words(diff_words("a b", "a  b"), color=False) == "a {+ +}b"
    assert render_words(diff_words("$4.2 billion", "$4.3 billion"), color=False) == (
        "$4.[-2-]{+3+} billion"
    )
    assert render_words(diff_words("a b c", "a c"), color=False) == "a [-b -]c"


def test_moves_in_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edited = P1.replace("Tuesday", "Wednesday")
    old, new = _files(tmp_path, f"{P1}\n\n{P2}\n\n{P3}\n", f"{P2}\n\n{P3}\n\n{edited}\n")
    code, out, _ = _run(capsys, "diff", str(old), str(new), "--full")
    assert code == 0
    blocks = out.split("\n\n")
    assert blocks[-2] == (
        "↕ moved from ¶1 to ¶3\n" + P1.replace("Tuesday", "[-Tuesday-]{+Wednesday+}")
    )
    assert out.splitlines()[-1] == (
        "0 modified, 0 inserted, 0 deleted, 1 moved, 2 unchanged paragraph(s); +1 -1 words "
        "(2% of the text)"
    )
    code, out, _ = _run(capsys, "diff", str(old), str(new), "--format", "json")
    data = json.loads(out)
    assert [(p["op"], p["old_index"], p["new_index"]) for p in data["paragraphs"]] == [
        ("equal", 1, 0),
        ("equal", 2, 1),
        ("move", 0, 2),
    ]
    move = data["paragraphs"][2]
    assert (move["old"], move["new"]) == (P1, edited)
    assert [w["op"] for w in move["words"]] == ["equal", "delete", "insert", "equal"]
    assert data["stats"]["paragraphs_moved"] == 1
    assert data["stats"]["paragraphs_changed"] == 1


def test_web_text_cannot_reach_the_terminal_as_escape_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _files(tmp_path, "Plain words here", "Plain \x1b]0;owned\x07\x1b[2Jwords there")
    code, out, _ = _run(capsys, "diff", str(old), str(new), "--color", "never")
    assert code == 0
    assert "\x1b" not in out
    assert "Plain words [-here-]{+there+}" in out


# ----- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("missing.txt", "other.txt", "missing.txt: no such file (to name a stored version, use"),
        ("{id}@7", "{id}@0", "has 2 version(s), numbered 0 to 1 (or -1 to -2 from the latest)"),
        ("{id}@-3", "{id}@0", "has 2 version(s)"),
        ("nosuchstory@0", "{id}@0", "no article matches 'nosuchstory'"),
    ],
)
def test_bad_refs_exit_2_with_a_clear_message(
    seeded_store: Store,
    cache_dir: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    message: str,
) -> None:
    article = _article_id(seeded_store)
    code, out, err = _run(
        capsys,
        "--db",
        str(cache_dir),
        "diff",
        old.format(id=article),
        new.format(id=article),
    )
    assert code == 2
    assert out == ""
    assert err.startswith("newsdiff-tui: ")
    assert message in err


def test_stored_version_without_a_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--db", str(tmp_path / "none"), "diff", "story@0", "story@1")
    assert code == 2
    assert "no cache at" in err
    assert not (tmp_path / "none").exists()  # diff only reads: it never creates a cache


def test_directory_and_undecodable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "diff", str(tmp_path), str(tmp_path))
    assert code == 2
    assert "is a directory" in err
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    code, _, err = _run(capsys, "diff", str(latin), str(latin))
    assert code == 2
    assert "not UTF-8 text" in err and "line 1, column 4" in err  # the one input-file reader


def test_exit_code_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _files(tmp_path, "same", "different")
    assert _run(capsys, "diff", str(a), str(a), "--exit-code")[0] == 0
    assert _run(capsys, "diff", str(a), str(b), "--exit-code")[0] == 1
    assert _run(capsys, "diff", str(a), str(b))[0] == 0
