"""authgate.core.encoding: base62, CRC32 checksums, strict base64url."""

from __future__ import annotations

import base64
import string
import zlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core import encoding
from authgate.core.encoding import (
    BASE62_ALPHABET,
    CHECKSUM_LENGTH,
    b62decode,
    b62encode,
    b64url_decode,
    b64url_encode,
    crc32_checksum,
    random_base62,
)

# --- base62 ---------------------------------------------------------------------------


def test_alphabet_is_digits_upper_lower_in_order() -> None:
    expected = string.digits + string.ascii_uppercase + string.ascii_lowercase
    assert expected == BASE62_ALPHABET
    assert len(set(BASE62_ALPHABET)) == 62


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (9, "9"), (10, "A"), (35, "Z"), (36, "a"), (61, "z"), (62, "10"), (62**2, "100")],
)
def test_b62encode_known_values(n: int, text: str) -> None:
    assert b62encode(n) == text
    assert b62decode(text) == n


def test_b62encode_pads_to_width_but_never_truncates() -> None:
    assert b62encode(61, width=4) == "000z"
    assert b62encode(0, width=6) == "000000"
    assert b62encode(62**3, width=2) == "1000"


def test_b62encode_rejects_negative() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        b62encode(-1)


@given(st.integers(min_value=0, max_value=2**256), st.integers(min_value=0, max_value=60))
def test_b62_round_trip(n: int, width: int) -> None:
    text = b62encode(n, width=width)
    assert len(text) >= width
    assert set(text) <= set(BASE62_ALPHABET)
    assert b62decode(text) == n


@pytest.mark.parametrize("text", ["", "-", "a b", "abc!", "\u0661\u0662", "\uff41", "0_1", "z\n"])
def test_b62decode_rejects_anything_outside_the_alphabet(text: str) -> None:
    with pytest.raises(ValueError):
        b62decode(text)


@given(st.text())
def test_b62decode_raises_only_value_error(text: str) -> None:
    try:
        n = b62decode(text)
    except ValueError:
        assert text == "" or not set(text) <= set(BASE62_ALPHABET)
    else:
        assert b62encode(n, width=len(text)) == text


# --- random ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 36, 100])
def test_random_base62_has_the_requested_length_and_alphabet(length: int) -> None:
    value = random_base62(length)
    assert len(value) == length
    assert set(value) <= set(BASE62_ALPHABET)


def test_random_base62_is_random_and_covers_the_alphabet() -> None:
    samples = {random_base62(36) for _ in range(200)}
    assert len(samples) == 200
    counts = Counter("".join(samples))
    # 7200 draws over 62 symbols: every symbol appears (expected ~116 each).
    assert set(counts) == set(BASE62_ALPHABET)


def test_random_base62_draws_from_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding.secrets, "choice", lambda alphabet: alphabet[-1])
    assert random_base62(5) == "zzzzz"


def test_random_base62_rejects_negative_length() -> None:
    with pytest.raises(ValueError):
        random_base62(-1)


# --- checksum -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("", "000000"), ("hello", "0zNvy2"), ("agt_abc", "4OWOxy")]
)
def test_crc32_checksum_known_values(text: str, expected: str) -> None:
    assert crc32_checksum(text) == expected
    assert b62decode(expected) == zlib.crc32(text.encode())


def test_the_largest_crc32_fits_in_six_digits() -> None:
    assert len(b62encode(2**32 - 1)) == CHECKSUM_LENGTH == 6


@given(st.text())
def test_crc32_checksum_is_six_base62_digits_of_the_utf8_crc(text: str) -> None:
    try:
        checksum = crc32_checksum(text)
    except UnicodeEncodeError:  # lone surrogates are not UTF-8
        assert any("\ud800" <= c <= "\udfff" for c in text)
        return
    assert len(checksum) == 6
    assert b62decode(checksum) == zlib.crc32(text.encode("utf-8"))


# --- base64url ------------------------------------------------------------------------


@given(st.binary(max_size=200))
def test_b64url_round_trip_without_padding(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert b64url_decode(text) == data


def test_b64url_encode_known_value() -> None:
    assert b64url_encode(b"\xfb\xff\xfe") == "-__-"
    assert b64url_decode("-__-") == b"\xfb\xff\xfe"
    assert b64url_decode("") == b""


@pytest.mark.parametrize(
    "text",
    [
        "YQ==",  # padded
        "YQ=",
        "+__-",  # standard alphabet
        "/__-",
        "YW Jj",  # whitespace
        "YWJj\n",
        " YWJj",
        "YWJjZ",  # impossible length (len % 4 == 1)
        "YR",  # non-canonical: unused bits set ("YQ" is canonical for b"a")
        "YWJ",  # b"ab" is "YWI"
        "YWJjé",
        "\uff39\uff37\uff2a\uff4a",  # fullwidth letters
        "YWJj\x00",
    ],
)
def test_b64url_decode_is_strict(text: str) -> None:
    assert b64url_decode(text) is None


def test_b64url_decode_rejects_non_text() -> None:
    assert b64url_decode(b"YWJj") is None  # type: ignore[arg-type]
    assert b64url_decode(None) is None  # type: ignore[arg-type]


@given(st.text(max_size=300))
def test_b64url_decode_never_raises_and_accepts_only_canonical_text(text: str) -> None:
    data = b64url_decode(text)
    if data is not None:
        assert b64url_encode(data) == text


@given(st.text(alphabet=string.ascii_letters + string.digits + "-_=+/ ", max_size=50))
def test_b64url_decode_on_near_miss_alphabets(text: str) -> None:
    data = b64url_decode(text)
    if data is not None:
        assert b64url_encode(data) == text


@pytest.mark.parametrize("last", string.ascii_letters + string.digits + "-_")
def test_b64url_encode_keeps_every_last_character(last: str) -> None:
    # Only the "=" padding is dropped: an encoding that ends in any alphabet character
    # (e.g. b"\x00\x00\x17" -> "AAAX") is kept whole, and decodes back.
    data = base64.urlsafe_b64decode("AAA" + last)
    assert b64url_encode(data) == "AAA" + last
    assert b64url_decode("AAA" + last) == data
