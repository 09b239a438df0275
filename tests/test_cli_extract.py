"""``extract`` and ``extract --explain`` through the real CLI entry point; hostile charsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run
from local_server import LocalServer, Reply

from newsdiff_tui.cli import main
from newsdiff_tui.fetch import Fetcher, FetchOptions

STORY = [
    "The regional rail operator said on Friday that night trains to the coast would run "
    "again from June, two years after the service was cut to save money.",
    "Tickets go on sale next week. The operator expects the trains to be full on summer "
    "weekends and has added two sleeping cars to each train.",
]
PAGE = (
    "<html><head><meta charset='{charset}'><title>Night Trains Return</title></head><body>"
    "<div id='ad-portal' class='page-wrapper'>"
    "<nav><a href='/'>Home</a> <a href='/travel'>Travel</a></nav>"
    "<article><h1>Night Trains Return</h1>"
    "<div class='share-tools'><a href='/s'>Share</a> 12 shares</div>"
    "<p>{first}</p><div class='ad-slot'>Advertisement</div><p>{second}</p></article>"
    "</div></body></html>"
)


def write_page(tmp_path: Path, charset: str = "utf-8", name: str = "page.html") -> Path:
    path = tmp_path / name
    html = PAGE.format(charset=charset, first=STORY[0], second=STORY[1])
    path.write_bytes(html.encode("utf-8"))
    return path


def test_explain_shows_removed_and_kept_blocks_and_the_extractor(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "extract", "--explain", str(write_page(tmp_path)))
    assert code == 0 and err == ""
    assert "paragraphs from: trafilatura's main-content rules on the cleaned page" in out
    assert "refused:   no (this text would be stored)" in out
    removed = out.split("cleaning removed", 1)[1].split("kept despite", 1)[0]
    assert '<div> class="share-tools" (share)  3 words  small labelled block' in removed
    assert '<div> class="ad-slot" (ad)  1 word  small labelled block' in removed
    assert "<nav>  2 words  small labelled block" in removed
    kept = out.split("kept despite their labels", 1)[1]
    assert '<div> id="ad-portal" (ad)' in kept and "holds the article" in kept
    assert out.rstrip().endswith(STORY[1])


def test_explain_json_carries_the_decisions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "extract", "--explain", "--json", str(write_page(tmp_path)))
    doc = json.loads(out)
    assert code == 0 and doc["paragraphs"] == STORY and doc["problem"] is None
    explained = doc["explain"]
    assert explained["extractor"].startswith("trafilatura")
    assert {"tag": "div", "label": 'class="ad-slot" (ad)', "words": 1}.items() <= (
        explained["removed"][-1].items()
    )
    assert explained["kept_despite_label"][0]["reason"] == "holds the article's paragraphs"
    plain = json.loads(run(capsys, "extract", "--json", str(write_page(tmp_path)))[1])
    assert "explain" not in plain


def test_explain_json_prints_no_escape_code_from_a_class_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "hostile.html"
    hostile = PAGE.replace("class='ad-slot'", "class='ad-slot \x9b2J\x1b]0;owned\x07'")
    page.write_bytes(hostile.format(charset="utf-8", first=STORY[0], second=STORY[1]).encode())
    code, out, _ = run(capsys, "extract", "--explain", "--json", str(page))
    assert code == 0 and not any(c in out for c in "\x1b\x07\x9b")
    label = json.loads(out)["explain"]["removed"][-1]["label"]
    assert label.startswith('class="ad-slot') and "2J" not in label  # CSI removed whole


def test_a_refused_page_names_its_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    wall = tmp_path / "wall.html"
    wall.write_text(
        "<html><body><div><h2>We value your privacy</h2><p>We use cookies to personalise "
        "content. Accept all cookies to continue, or manage your cookie settings.</p>"
        "</div></body></html>",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "extract", "--explain", str(wall))
    assert code == 1
    assert "(rule: wall;" in err and err.startswith(f"newsdiff-tui: {wall}: ")
    assert "refused:   the page reads like a consent wall" in out


def test_help_documents_explain(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    out = capsys.readouterr().out
    assert "--explain" in out and "what would be stored" in out and "exit status" in out


NOT_TEXT_LABELS = ["rot13", "rot_13", "base64", "hex", "zlib", "bz2", "quopri", "uu"]


@pytest.mark.parametrize("label", NOT_TEXT_LABELS)
def test_extract_and_diff_read_a_page_declaring_a_codec_that_is_not_a_text_encoding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, label: str
) -> None:
    page = write_page(tmp_path, charset=label)
    code, out, err = run(capsys, "extract", "--json", str(page))
    assert code == 0 and err == "" and json.loads(out)["paragraphs"] == STORY
    other = write_page(tmp_path, charset=label, name="other.html")
    code, out, err = run(capsys, "diff", str(page), str(other))
    assert code == 0 and "Traceback" not in err


@pytest.mark.parametrize("label", ["rot13", "base64", "hex", "zlib"])
async def test_a_fetched_page_whose_header_names_a_codec_is_decoded(
    local_server: LocalServer, label: str
) -> None:
    page = PAGE.format(charset="", first=STORY[0], second="Caf\xe9 cr\xe8me.")
    body = page.replace("<meta charset=''>", "").encode("cp1252")
    url = local_server.route("/story", Reply(body=body, content_type=f"text/html; charset={label}"))
    async with Fetcher(FetchOptions(host_delay=0, retries=1)) as fetcher:
        result = await fetcher.fetch(url)
    assert result.error is None and result.text is not None
    assert "Café crème." in result.text  # no other label, not UTF-8: Windows-1252
