"""HTTP URI normalisation for DPoP's htu comparison (RFC 9449 §4.3, RFC 3986 §6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core.uri import normalise_http_uri, normalise_path, remove_dot_segments


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("HTTP://Example.COM/a", "http://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/../../etc", "http://example.com/etc"),
        ("http://example.com/%7esmith", "http://example.com/~smith"),
        ("http://example.com/caf%c3%a9/", "http://example.com/caf%C3%A9/"),
        ("http://example.com/a%2fb/", "http://example.com/a%2Fb/"),
        ("http://example.com/a?q=1#f", "http://example.com/a"),
        ("http://user:pw@example.com/a", "http://example.com/a"),
        ("http://[::1]:8000/a", "http://[::1]:8000/a"),
    ],
)
def test_normalised(uri: str, expected: str) -> None:
    assert normalise_http_uri(uri) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "/a/b",
        "ftp://example.com/a",
        "http:///a",
        "http://example.com:99999/",
        "http://example.com:x/",
        "http://exa mple.com/",
        "http://example.com/\x00",
        "http://example.com/caf\u00e9/",
        "",
    ],
)
def test_not_an_http_uri(uri: str) -> None:
    assert normalise_http_uri(uri) is None


def test_rfc3986_dot_segment_examples() -> None:
    """RFC 3986 §5.2.4's worked examples."""
    assert remove_dot_segments("/a/b/c/./../../g") == "/a/g"
    assert remove_dot_segments("mid/content=5/../6") == "mid/6"
    assert normalise_path("") == "/"


@given(st.text(alphabet="/.ab%2F", max_size=30))
def test_normalising_twice_changes_nothing(path: str) -> None:
    once = normalise_path("/" + path)
    assert normalise_path(once) == once
    assert "/./" not in once and "/../" not in once
