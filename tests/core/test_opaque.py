"""authgate.core.opaque: generation, parsing, digests, display prefixes, scanner regexes."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authgate.core import opaque
from authgate.core.encoding import BASE62_ALPHABET, crc32_checksum
from authgate.core.opaque import (
    ANY_TOKEN_RE,
    DIGEST_VERSION,
    DISPLAY_LENGTH,
    RANDOM_LENGTH,
    OpaqueToken,
    digest,
    display_prefix,
    generate,
    parse,
    scanner_regex,
    validate_prefix,
)

PREFIXES = frozenset({"agt", "ab", "abcdefghij"})

BAD_PREFIXES = ["", "a", "A", "Agt", "1ab", "abcdefghijk", "ab_c", "ab-c", "ăb", "ab\n", "ab "]


def make(prefix: str, random_part: str) -> str:
    """A token with the given random part and a correct checksum."""
    body = f"{prefix}_{random_part}"
    return body + crc32_checksum(body)


# --- generate -------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", sorted(PREFIXES))
def test_generate_wire_format(prefix: str) -> None:
    token = generate(prefix)
    assert re.fullmatch(rf"{prefix}_[0-9A-Za-z]{{42}}", token)
    assert len(token) == len(prefix) + 1 + 36 + 6
    body, checksum = token[:-6], token[-6:]
    assert checksum == crc32_checksum(body)


def test_generate_is_random() -> None:
    tokens = {generate("agt") for _ in range(100)}
    assert len(tokens) == 100


def test_entropy_meets_the_design() -> None:
    bits = math.log2(62)
    assert RANDOM_LENGTH * bits > 214  # DESIGN.md asks for >= 160
    assert (RANDOM_LENGTH - DISPLAY_LENGTH) * bits > 178  # still secret after display_prefix


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_generate_rejects_bad_prefixes(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        generate(prefix)
    with pytest.raises(ValueError, match="prefix"):
        validate_prefix(prefix)
    with pytest.raises(ValueError, match="prefix"):
        scanner_regex(prefix)


def test_validate_prefix_returns_valid_prefixes() -> None:
    assert validate_prefix("agt") == "agt"
    assert validate_prefix("x9") == "x9"


@pytest.mark.parametrize("prefix", [None, b"agt", 42, ["agt"]])
def test_validate_prefix_refuses_non_strings_with_value_error(prefix: object) -> None:
    with pytest.raises(ValueError, match="prefix"):
        validate_prefix(prefix)  # type: ignore[arg-type]


# --- parse ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", sorted(PREFIXES))
def test_parse_round_trip(prefix: str) -> None:
    token = generate(prefix)
    parsed = parse(token, prefixes=PREFIXES)
    assert parsed == OpaqueToken(prefix=prefix, token=token)


def test_parse_accepts_any_collection_of_prefixes() -> None:
    token = generate("agt")
    for prefixes in (["agt"], ("x1", "agt"), {"agt": 1}, frozenset({"agt"})):
        assert parse(token, prefixes=prefixes) is not None


def test_parse_refuses_a_bare_string_of_prefixes() -> None:
    # "agt" would otherwise accept the prefix "ag" (substring membership).
    with pytest.raises(TypeError):
        parse(generate("ag"), prefixes="agt")


def test_parse_rejects_an_unknown_prefix() -> None:
    assert parse(generate("agt"), prefixes={"xyz"}) is None
    assert parse(generate("agt"), prefixes=set()) is None


def test_parse_ignores_malformed_caller_prefixes() -> None:
    # A prefix the caller lists but which could never be generated is not accepted.
    body = "Ag_" + "a" * 36
    assert parse(body + crc32_checksum(body), prefixes={"Ag"}) is None


@pytest.mark.parametrize("seed", range(3))
def test_checksum_rejects_every_single_character_substitution(seed: int) -> None:
    token = generate("agt")
    assert parse(token, prefixes=PREFIXES) is not None
    rejected = 0
    for position in range(len(token)):
        for char in BASE62_ALPHABET + "_":
            if char == token[position]:
                continue
            mutated = token[:position] + char + token[position + 1 :]
            assert parse(mutated, prefixes=PREFIXES) is None, (position, char)
            rejected += 1
    assert rejected == len(token) * 62


def test_checksum_rejects_swapped_adjacent_characters() -> None:
    token = make("agt", "0123456789" * 3 + "abcdef")
    for i in range(4, len(token) - 1):
        if token[i] != token[i + 1]:
            swapped = token[:i] + token[i + 1] + token[i] + token[i + 2 :]
            assert parse(swapped, prefixes=PREFIXES) is None


def test_parse_rejects_truncated_and_extended_tokens() -> None:
    token = generate("agt")
    for candidate in (
        token[:-1],
        token[1:],
        token[:-6],
        token + "a",
        "a" + token,
        token + token,
        token + " ",
        " " + token,
        token + "\n",
        "",
    ):
        assert parse(candidate, prefixes=PREFIXES) is None, candidate


def test_parse_is_case_sensitive() -> None:
    token = make("agt", "a" * 36)
    assert parse(token, prefixes=PREFIXES) is not None
    assert parse(token.upper(), prefixes={"AGT", *PREFIXES}) is None
    assert parse(token.swapcase(), prefixes=PREFIXES) is None


@pytest.mark.parametrize("value", [None, 42, b"agt_", ["agt"]])
def test_parse_rejects_non_strings(value: object) -> None:
    assert parse(value, prefixes=PREFIXES) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        ("agt_short", "wrong length"),
        ("x" * 500, "wrong length"),
        ("zzz_" + "a" * 42, "unknown prefix"),
        ("agt_" + "a" * 41 + "-", "bad characters"),
        ("agt_" + "a" * 41 + "é", "bad characters"),
        ("agt_" + "a" * 42, "bad checksum"),
        ("ab_" + "a" * 43, "wrong length"),
    ],
)
def test_parse_logs_a_reason_but_never_the_token(
    candidate: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="authgate.core.opaque"):
        assert parse(candidate, prefixes=PREFIXES) is None
    text = caplog.text
    assert reason in text
    assert candidate not in text
    assert candidate[-12:] not in text


def with_checksum_of(text: str, random_part: str = "Q" * 36, prefix: str = "agt") -> str:
    """A token whose body is well-formed but whose checksum is the CRC of ``text``."""
    return f"{prefix}_{random_part}" + crc32_checksum(text)


@pytest.mark.parametrize(
    "slice_of",
    [
        lambda body: body[:6],  # token[:+CHECKSUM_LENGTH] instead of token[:-CHECKSUM_LENGTH]
        lambda body: body[:-1],
        lambda body: body[1:],
        lambda body: body[4:],  # the random part alone
        lambda body: body + "0",
        lambda body: body[:4],  # the prefix and the underscore
    ],
    ids=["first-6", "one-short", "no-first-char", "random-only", "one-long", "prefix-only"],
)
def test_the_checksum_covers_exactly_prefix_underscore_and_random_part(slice_of: Any) -> None:
    # The offline checksum is what keeps garbage away from the database: a token whose
    # checksum was computed over anything but "<prefix>_<random>" must be refused by parse
    # and is_valid on their own (no database involved), on the one-match fast path too.
    random_part = "Kq7" * 12
    body = f"agt_{random_part}"
    token = with_checksum_of(slice_of(body), random_part)
    assert token != body + crc32_checksum(body)
    assert opaque._TOKEN_RE.fullmatch(token) is not None  # shaped right: the fast path's case
    assert parse(token, prefixes=PREFIXES) is None
    assert opaque.is_valid(token, prefixes=PREFIXES) is False
    assert opaque.is_valid(body + crc32_checksum(body), prefixes=PREFIXES) is True


@pytest.mark.parametrize("prefix", ["a", "z", "abcdefghijk"])
def test_a_prefix_of_1_or_11_characters_is_refused_even_when_listed(prefix: str) -> None:
    # 2-10 characters: a caller that lists a shorter or longer prefix gets nothing for it.
    token = make(prefix, "x" * 36)
    assert parse(token, prefixes={prefix, *PREFIXES}) is None
    assert opaque.is_valid(token, prefixes={prefix, *PREFIXES}) is False
    assert ANY_TOKEN_RE.search(f"token: {token} ") is None
    assert re.search(r"\b" + prefix + r"_[0-9A-Za-z]{42}\b", token)  # shaped, but not ours


def test_prefix_length_bounds_are_2_and_10_on_every_path() -> None:
    for prefix in ("ab", "a1", "abcdefghij"):
        token = make(prefix, "x" * 36)
        assert parse(token, prefixes={prefix}) == OpaqueToken(prefix, token)
        assert ANY_TOKEN_RE.fullmatch(token)
        assert re.fullmatch(scanner_regex(prefix), token)


@pytest.mark.parametrize(
    ("candidate", "length"),
    [
        ("ab_" + "a" * 41, 44),  # one short of the shortest token (2-letter prefix)
        ("a_" + "a" * 42, 44),
        ("abcdefghijk_" + "a" * 42, 54),  # one past the longest (10-letter prefix)
        ("abcdefghij_" + "a" * 43, 54),
    ],
)
def test_the_length_bounds_are_45_and_53_characters(
    candidate: str, length: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Refused by length before anything else looks at it, whatever prefixes are accepted.
    assert len(candidate) == length
    prefixes = {candidate.partition("_")[0], *PREFIXES}
    with caplog.at_level(logging.DEBUG, logger="authgate.core.opaque"):
        assert parse(candidate, prefixes=prefixes) is None
    assert f"wrong length ({length} characters)" in caplog.text


@pytest.mark.parametrize("prefix", ["ab", "abcdefghij"])
def test_tokens_of_45_and_53_characters_pass_the_length_check(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = make(prefix, "a" * 36)
    assert len(token) in (45, 53)
    assert parse(token, prefixes=PREFIXES) is not None
    # With a wrong checksum, the step-by-step checks get as far as the checksum.
    wrong = token[:-1] + ("0" if token[-1] != "0" else "1")
    with caplog.at_level(logging.DEBUG, logger="authgate.core.opaque"):
        assert parse(wrong, prefixes=PREFIXES) is None
    assert "bad checksum" in caplog.text


def test_parse_checks_characters_before_comparing_checksums() -> None:
    # hmac.compare_digest raises TypeError on non-ASCII str: it must never see one.
    body = "agt_" + "é" * 36
    assert parse(body + "ééééé1", prefixes=PREFIXES) is None
    assert parse("agt_" + "a" * 36 + "\u0661" * 6, prefixes=PREFIXES) is None


token_like = st.builds(
    lambda prefix, sep, body: prefix + sep + body,
    st.sampled_from(["agt", "ab", "abcdefghij", "zz", "AGT", "", "agt_agt"]),
    st.sampled_from(["_", "", "__", "-"]),
    st.text(alphabet=BASE62_ALPHABET + "_-é\x00 \u0661", min_size=38, max_size=46),
)


@given(st.one_of(st.text(), token_like, st.text(min_size=40, max_size=60)))
def test_parse_never_raises(text: str) -> None:
    parsed = parse(text, prefixes=PREFIXES)
    if parsed is not None:
        assert parsed.token == text
        assert parsed.prefix in PREFIXES
        assert text.startswith(parsed.prefix + "_")


@settings(deadline=None, max_examples=20)
@given(st.text(min_size=1, max_size=5))
def test_parse_bounds_work_on_huge_input(seed: str) -> None:
    assert parse(seed * 200_000, prefixes=PREFIXES) is None


@given(st.text(alphabet=BASE62_ALPHABET, min_size=36, max_size=36))
def test_parse_accepts_every_well_formed_token(random_part: str) -> None:
    token = make("agt", random_part)
    assert parse(token, prefixes=PREFIXES) == OpaqueToken("agt", token)


near_tokens = st.builds(
    lambda token, at, char: token if at is None else token[:at] + char + token[at + 1 :],
    st.builds(
        make,
        st.sampled_from(["agt", "ab", "abcdefghij", "zz"]),
        st.text(alphabet=BASE62_ALPHABET, min_size=36, max_size=36),
    ),
    st.one_of(st.none(), st.integers(min_value=0, max_value=45)),
    st.sampled_from([*"aZ09_-é\u0661 ", "\x00"]),
)


@given(st.one_of(near_tokens, token_like, st.text()))
def test_the_one_match_fast_path_answers_as_the_checks_do(text: str) -> None:
    from unittest import mock

    with mock.patch.object(opaque, "_TOKEN_RE", re.compile(r"(?!)()()")):
        step_by_step = parse(text, prefixes=PREFIXES)
    assert parse(text, prefixes=PREFIXES) == step_by_step
    assert opaque.is_valid(text, prefixes=PREFIXES) is (step_by_step is not None)


def test_opaque_token_repr_hides_the_secret() -> None:
    token = generate("agt")
    parsed = parse(token, prefixes=PREFIXES)
    assert parsed is not None
    assert token not in repr(parsed)
    assert token[4:10] not in repr(parsed)
    assert "agt" in repr(parsed)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.token = "x"  # type: ignore[misc]


# --- digest ---------------------------------------------------------------------------


def test_digest_v1_is_sha256_hex() -> None:
    assert DIGEST_VERSION == 1
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    token = generate("agt")
    assert digest(token) == digest(token, 1) == hashlib.sha256(token.encode()).hexdigest()
    assert digest(token) != digest(generate("agt"))


@pytest.mark.parametrize("version", [0, 2, -1, "1", None, 1.5])
def test_digest_rejects_unknown_versions(version: object) -> None:
    with pytest.raises(ValueError, match="digest version"):
        digest("abc", version)  # type: ignore[arg-type]


def test_a_new_digest_version_leaves_old_digests_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    token = generate("agt")
    old = digest(token, 1)
    monkeypatch.setitem(opaque._DIGESTERS, 2, lambda t: "v2:" + t[::-1])
    assert digest(token, 2) == "v2:" + token[::-1]
    assert digest(token, 1) == old


# --- display prefix -------------------------------------------------------------------


def test_display_prefix_shows_the_prefix_and_six_random_chars() -> None:
    token = make("agt", "ABCDEF" + "x" * 30)
    assert display_prefix(token) == "agt_ABCDEF"
    generated = generate("abcdefghij")
    shown = display_prefix(generated)
    assert shown == generated[:17]
    assert len(shown) == len("abcdefghij_") + 6


@pytest.mark.parametrize(
    "value", ["", "agt", "agt_", "agt_abc", "AGT_" + "a" * 42, "agt_" + "a" * 43, "agt" + "a" * 43]
)
def test_display_prefix_rejects_non_tokens(value: str) -> None:
    with pytest.raises(ValueError):
        display_prefix(value)


# --- scanning -------------------------------------------------------------------------


def test_scanner_regex_finds_tokens_in_text() -> None:
    token = generate("agt")
    pattern = re.compile(scanner_regex("agt"))
    assert pattern.pattern == r"\bagt_[0-9A-Za-z]{42}\b"
    assert pattern.findall(f"export TOKEN={token}\n") == [token]
    assert pattern.findall(f'{{"token": "{token}"}}') == [token]
    assert pattern.search(token[:-1]) is None
    assert pattern.search(token + "a") is None
    assert pattern.search("x" + token) is None
    assert pattern.search(generate("agx")) is None


def test_any_token_re_finds_tokens_with_any_prefix() -> None:
    tokens = [generate(p) for p in ("agt", "ghp", "x1", "abcdefghij")]
    text = " | ".join(f"Authorization: Bearer {t}" for t in tokens)
    assert ANY_TOKEN_RE.findall(text) == tokens
    glued = "é" + tokens[0] + "ü"  # non-ASCII neighbours do not hide a token
    assert ANY_TOKEN_RE.findall(glued) == [tokens[0]]
    assert ANY_TOKEN_RE.search("agt_" + "a" * 41) is None
    assert ANY_TOKEN_RE.search("agt_" + "a" * 43) is None


@given(st.sampled_from(["agt", "ab", "k9", "abcdefghij"]))
def test_every_generated_token_matches_the_scanners(prefix: str) -> None:
    token = generate(prefix)
    assert re.fullmatch(scanner_regex(prefix), token)
    assert ANY_TOKEN_RE.fullmatch(token)
