"""authgate.core.paths: canonical paths and segment-boundary prefix matching."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authgate.core.paths import normalize_path, path_matches

# --- normalize_path -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/api/notes", "/api/notes"),
        ("/api/notes/", "/api/notes/"),  # a trailing slash is kept as given
        ("//api///notes//", "/api/notes/"),  # repeated slashes collapse
        ("/api/./notes/.", "/api/notes/"),
        ("/api/notes/..", "/api/"),
        ("/api/notes/../whoami/", "/api/whoami/"),
        ("/api/notes/1/../../users", "/api/users"),
        ("/a/b/c/../../..", "/"),
        ("/API/Notes/", "/API/Notes/"),  # case is preserved
        ("/api/%6Eotes/", "/api/notes/"),  # percent-decoding, either hex case
        ("/api/%2e%2e/x", "/x"),
        ("/api/%2E%2e/x", "/x"),
        ("/api/.%2e/x", "/x"),
        ("/api/%252e%252e/x", "/api/%2e%2e/x"),  # decoded once: the text "%2e%2e" is no ".."
        ("/caf%C3%A9/", "/café/"),
        ("/café/", "/café/"),
        ("/100%/", "/100%/"),  # a "%" that starts no escape is literal
        ("/a%zz/", "/a%zz/"),
        ("/api/notes./", "/api/notes./"),  # "notes." is a different segment, not "."
        ("/api/.../", "/api/.../"),
        ("/a;b/c", "/a;b/c"),
    ],
)
def test_normalize_path(path: str, expected: str) -> None:
    assert normalize_path(path) == expected


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "not absolute"),
        ("api/notes", "not absolute"),
        ("%2fapi", "not absolute"),
        ("/..", "above the root"),
        ("/api/../..", "above the root"),
        ("/api/%2e%2e/%2e%2e/x", "above the root"),
        ("/api%2fnotes/", "encoded slash"),
        ("/api%2Fnotes/", "encoded slash"),
        ("/api%5cnotes/", "encoded slash"),
        ("/api%5Cnotes/", "encoded slash"),
        ("/api\\notes/", "backslash"),
        ("/api/\x00", "control character"),
        ("/api/\nnotes", "control character"),
        ("/api/\x7f", "control character"),
        ("/api/\x85", "control character"),
        ("/api/\ud800", "surrogate"),
        ("/api/%00", "encoded control character"),
        ("/api/%0a", "encoded control character"),
        ("/api/%7f", "encoded control character"),
        ("/api/%C2%85", "encoded control character"),
        ("/api/%ff", "not UTF-8"),
        ("/api/%C3", "not UTF-8"),
    ],
)
def test_normalize_path_denies(path: str, reason: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="authgate.core.paths"):
        assert normalize_path(path) is None
    assert reason in caplog.text


@pytest.mark.parametrize("value", [None, b"/api/", 42])
def test_normalize_path_denies_non_strings(value: object) -> None:
    assert normalize_path(value) is None  # type: ignore[arg-type]


# Pieces that are tricky on their own and in combination.
TRICKY_SEGMENTS = [
    "api",
    "notes",
    "API",
    "notesX",
    "notes.",
    "notes..",
    "whoami",
    "",
    ".",
    "..",
    "...",
    "%2e",
    "%2E",
    "%2e%2e",
    "%2E%2e",
    ".%2e",
    "%252e%252e",
    "%2f",
    "%5c",
    "%61pi",
    "%6eotes",
    "\\",
    "\x00",
    "%00",
    ";",
    "é",
    "%C3%A9",
    "%ff",
    "%",
    "1",
]

tricky_paths = st.one_of(
    st.lists(st.sampled_from(TRICKY_SEGMENTS), max_size=8).map(lambda s: "/" + "/".join(s)),
    st.text(max_size=60).map(lambda s: "/" + s),
    st.text(max_size=60),
)


@given(tricky_paths)
def test_normalize_path_output_is_canonical(path: str) -> None:
    normal = normalize_path(path)
    if normal is None:
        return
    assert normal.startswith("/")
    assert "//" not in normal
    assert "\\" not in normal
    segments = normal.strip("/").split("/")
    assert "." not in segments and ".." not in segments
    assert not any(c < " " or "\x7f" <= c <= "\x9f" for c in normal)
    if "%" not in normal:
        assert normalize_path(normal) == normal  # idempotent once nothing is left to decode


@settings(deadline=None, max_examples=10)
@given(st.sampled_from(["a/", "../", "%2e%2e/", "//", "./", "%"]))
def test_normalize_path_on_huge_input(piece: str) -> None:
    result = normalize_path("/" + piece * 200_000)
    assert result is None or result.startswith("/")


# --- path_matches ---------------------------------------------------------------------


@pytest.mark.parametrize("allowed", ["/api/notes", "/api/notes/", "//api/notes//", "/api/./notes"])
@pytest.mark.parametrize("path", ["/api/notes", "/api/notes/", "/api/notes/1/", "/api/notes/1/x"])
def test_prefix_matches_on_segment_boundaries(allowed: str, path: str) -> None:
    assert path_matches(allowed, path)


@pytest.mark.parametrize(
    "path",
    [
        "/api/notesX/",
        "/api/notesX",
        "/api/notes../",
        "/api/notes./",
        "/api/note",
        "/api/",
        "/api",
        "/",
        "/API/notes/",
        "/api/Notes/",
        "/api/notes/../whoami/",
        "/api/notes/%2e%2e/whoami/",
        "/api/notes/%2E%2e/whoami/",
        "/api/notes/.%2e/whoami/",
        "/api/notes/1/../../whoami/",
        "/api/notes%2f1/",
        "/api/notes%2F..%2Fwhoami/",
        "/api/notes\\..\\whoami/",
        "/api/notes/\x00",
        "/%61pi/notes/",  # Django would route the literal "%61pi"
        "/api/%6eotes/",
        "//api/notes/",  # Django does not collapse slashes: a different URL
        "/./api/notes/",
        "/api/x/../notes/",  # Django does not resolve "..": routed under /api/x/
        "api/notes/",
        "",
    ],
)
def test_tricks_never_widen(path: str) -> None:
    assert not path_matches("/api/notes/", path)
    assert not path_matches("/api/notes", path)


@pytest.mark.parametrize(
    "path",
    [
        "/api/notes/%252e%252e/whoami/",  # literal "%2e%2e" segment: still below the prefix
        "/api/notes/./1/",
        "/api/notes//1/",
        "/api/notes/1/../2/",
        "/api/notes/%31/",
    ],
)
def test_odd_spellings_that_stay_inside_are_allowed(path: str) -> None:
    assert path_matches("/api/notes/", path)


def test_root_allows_every_usable_path() -> None:
    for path in ("/", "/api/", "/x/y/z", "//a", "/a/../b"):
        assert path_matches("/", path)
    for path in ("", "relative", "/..", "/a%2fb", "/\x00"):
        assert not path_matches("/", path)


@pytest.mark.parametrize("allowed", ["", "api/notes/", "/..", "/a%2fb/", "/a\\b/"])
def test_unusable_prefixes_allow_nothing(allowed: str) -> None:
    assert not path_matches(allowed, "/a/b/")
    assert not path_matches(allowed, "/")


@given(tricky_paths)
def test_a_match_is_always_inside_the_prefix(path: str) -> None:
    if path_matches("/api/notes/", path):
        normal = normalize_path(path)
        assert normal is not None
        assert normal == "/api/notes" or normal.startswith("/api/notes/")
        # ...and so is the path exactly as Django routes it.
        assert path == "/api/notes" or path.startswith("/api/notes/")


@given(tricky_paths, tricky_paths)
def test_path_matches_never_raises(allowed: str, path: str) -> None:
    assert path_matches(allowed, path) in (True, False)


@given(st.lists(st.sampled_from(["api", "notes", "1", "x"]), max_size=5))
def test_plain_paths_below_the_prefix_match(tail: list[str]) -> None:
    path = "/api/notes/" + "/".join(tail)
    assert path_matches("/api/notes/", path)
    assert path_matches("/api/notes", path)


@pytest.mark.parametrize("last", ["X", "x", "s", "1", ".", "-", "_", "~", "é", "%", ";"])
def test_only_the_trailing_slash_of_a_prefix_is_dropped(last: str) -> None:
    # "/api/noteX" must cover "/api/noteX/..." and nothing else: if more than "/" were
    # stripped from the end of the prefix, "/api/note" would become the base and every
    # sibling sharing its first characters would match.
    for allowed in (f"/api/note{last}", f"/api/note{last}/"):
        assert path_matches(allowed, f"/api/note{last}")
        assert path_matches(allowed, f"/api/note{last}/1/")
        assert not path_matches(allowed, "/api/note")
        assert not path_matches(allowed, "/api/note/")
        assert not path_matches(allowed, "/api/noteY/")
        assert not path_matches(allowed, "/api/")
    assert path_matches(f"/a{last}", f"/a{last}/1")
    assert not path_matches(f"/a{last}", "/a/")
