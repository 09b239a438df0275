"""URLs: validation, cleaning and source names, shared by add, the app, feeds and import."""

from __future__ import annotations

import pytest

from newsdiff_tui.urls import clean_url, source_for, url_problem


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "enter a URL"),
        ("http://exa mple.com/x", "spaces"),
        ("https://example.com/x\x1b]0;t\x07y", "control characters"),
        ("https://exa_mple..com/x", "host"),
        ("https://example.com:99999/x", "valid URL"),
        ("ftp://example.com/a", "http:// or https://"),
        ("https:///nohost", "no host"),
        ("https://exa mple.com", "spaces"),
        ("example.com/story", "http:// or https://"),
        ("https://example.com/story?id=1", None),
    ],
)
def test_url_validation(url: str, problem: str | None) -> None:
    found = url_problem(url)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_clean_url_drops_tracking_parameters() -> None:
    assert (
        clean_url("HTTPS://Example.com/a/b?id=7&utm_source=rss&utm_Medium=x&fbclid=1&gclid=2#top")
        == "https://example.com/a/b?id=7"
    )
    assert clean_url("https://example.com") == "https://example.com/"
    assert clean_url("https://example.com/p?page=2&mc_cid=9") == "https://example.com/p?page=2"


def test_source_for_common_hosts() -> None:
    assert source_for("https://www.nytimes.com/x") == "nytimes"
    assert source_for("https://www.bbc.co.uk/news/1") == "bbc"
    assert source_for("https://edition.cnn.com/a") == "cnn"
    assert source_for("http://127.0.0.1:8000/a") == "127.0.0.1"
    assert source_for("http://[::1]:8000/a") == "::1"
    assert source_for("http://localhost/a") == "localhost"


def test_only_http_urls() -> None:
    assert url_problem("https://example.com/a") is None
    assert "not ftp" in (url_problem("ftp://example.com/a") or "")
    assert "not file" in (url_problem("file:///etc/passwd") or "")
    assert "no host" in (url_problem("http:///path") or "")
