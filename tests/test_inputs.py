"""The one reader of input files (``inputs.py``): every failure is one clear ``InputError``.

Through the API for each case, and through ``import`` (its first user) on the command line.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli_cache import SEED, one_error_line, run

from newsdiff_tui.errors import InputError, NewsdiffError
from newsdiff_tui.inputs import (
    HISTORY_MAX_BYTES,
    read_input_bytes,
    read_input_json,
    read_input_text,
)


def test_a_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<p>caf\xc3\xa9</p>")
    assert read_input_bytes(path) == b"<p>caf\xc3\xa9</p>"
    assert read_input_bytes(str(path), max_bytes=15) == b"<p>caf\xc3\xa9</p>"  # exactly the limit
    assert read_input_text(path) == "<p>café</p>"
    path.write_bytes(b"\xef\xbb\xbf# Title\n\nText")
    assert read_input_text(path) == "# Title\n\nText"  # the byte-order mark is dropped


def test_errors_are_input_errors_with_the_path(tmp_path: Path) -> None:
    assert issubclass(InputError, NewsdiffError)  # the CLI prints it on one line, exit 2
    cases = {
        tmp_path / "missing.json": "missing.json: no such file",
        tmp_path: f"{tmp_path}: is a directory, not a history",
    }
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    cases[plain / "below.json"] = "no such file (a part of the path is not a directory)"
    for path, message in cases.items():
        with pytest.raises(InputError) as caught:
            read_input_json(path, what="history")
        assert message in str(caught.value)


def test_text_that_is_not_utf8_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("first line\nsecond: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as caught:
        read_input_text(path)
    assert str(caught.value) == (
        f"{path}: not UTF-8 text (byte 0xe9 at line 2, column 12); save the text file as UTF-8"
    )


def test_json_errors_say_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"url": }')
    with pytest.raises(InputError, match=r"bad\.json: not a valid JSON history \(bad JSON at line"):
        read_input_json(path, what="history")


def test_a_file_too_large_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: no disk used, and never read
        handle.truncate(HISTORY_MAX_BYTES + 1)
    with pytest.raises(InputError) as caught:
        read_input_json(path, what="history")
    assert str(caught.value) == (
        f"{path}: too large for a history (256.0 MB; the limit is 256.0 MB)"
    )


def test_an_endless_device_is_read_only_up_to_the_limit() -> None:
    with pytest.raises(InputError, match=r"/dev/zero: too large for a file \(the limit is 1.0 KB"):
        read_input_bytes("/dev/zero", max_bytes=1024)


def test_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"a": 1}')))
    assert read_input_json("-") == {"a": 1}
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 2000)))
    with pytest.raises(InputError, match="standard input: too large"):
        read_input_bytes("-", max_bytes=1000)


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temp dir another user can reach (pytest's own is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="newsdiff-inputs-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


AS_NOBODY = """
import os, sys
from newsdiff_tui.errors import InputError
from newsdiff_tui.inputs import read_input_bytes
if os.geteuid() == 0:
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
try:
    read_input_bytes(sys.argv[1])
except InputError as exc:
    print(exc)
"""


def test_an_unreadable_file(shared_tmp: Path) -> None:
    path = shared_tmp / "secret.json"
    path.write_text("{}")
    path.chmod(0o000)
    result = subprocess.run(
        [sys.executable, "-c", AS_NOBODY, str(path)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot run as an unprivileged user here: {result.stderr.strip()}")
    assert result.stdout.strip() == f"{path}: cannot read (Permission denied)"


# ----- through `import` ----------------------------------------------------------------------
def test_import_reports_input_problems_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(HISTORY_MAX_BYTES + 1)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    root = tmp_path / "cache"
    for path, message in (
        (huge, "too large for a history"),
        (folder, "is a directory, not a history"),
        (tmp_path / "nope.json", "nope.json: no such file"),
    ):
        code, out, err = run(capsys, "--db", str(root), "import", str(SEED), str(path))
        assert (code, out) == (2, "")
        assert message in one_error_line(err)
    assert not root.exists()  # every file is read before the cache is touched


def test_import_reads_standard_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SEED.read_bytes())))
    code, out, err = run(capsys, "--db", str(tmp_path / "cache"), "import", "-")
    assert code == 0, err
    assert out.startswith("imported 2 version(s)")
    assert os.path.exists(tmp_path / "cache" / "meta.json")
