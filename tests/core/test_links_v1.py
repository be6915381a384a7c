"""Magic-link tokens v1: two-step verification, flags, expiry, one-time nonces, tampering."""

from __future__ import annotations

import hashlib
import itertools
import logging
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authgate.core import links_v1, scoped_v1
from authgate.core.encoding import b64url_decode, b64url_encode
from authgate.core.keyring import KeyRing
from authgate.core.links_v1 import LinkClaims, create, parse, token_id, verify
from authgate.core.packers import IntPacker, Packer, StrPacker, UUIDPacker

KEY_A = "links-test-key-a"
KEY_B = "links-test-key-b"
KEY_C = "links-test-key-c"
RING = KeyRing([KEY_A])
NOW = 1_700_000_000
REVOCATION = b"password-hash-tail"
INT = IntPacker()
UUIDS = UUIDPacker()
STR = StrPacker()
FLAGS = list(itertools.product([False, True], repeat=2))  # (timestamped, one_time)


def make(**overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "keyring": RING,
        "user_pk": 42,
        "packer": INT,
        "revocation": REVOCATION,
        "timestamped": True,
        "one_time": False,
        "now": NOW,
    }
    arguments.update(overrides)
    return create(**arguments)


def read(token: str, **overrides: Any) -> LinkClaims | None:
    arguments: dict[str, Any] = {
        "keyring": RING,
        "packer": INT,
        "timestamped": True,
        "one_time": False,
    }
    arguments.update(overrides)
    return parse(token, **arguments)


def check(claims: LinkClaims | None, **overrides: Any) -> str:
    assert claims is not None
    arguments: dict[str, Any] = {"keyring": RING, "revocation": REVOCATION, "now": NOW}
    arguments.update(overrides)
    return verify(claims, **arguments)


def data_of(token: str) -> bytes:
    data = b64url_decode(token[len("agl1_") :])
    assert data is not None
    return data


def rebuild(data: bytes) -> str:
    return "agl1_" + b64url_encode(data)


def accepted(token: str, **overrides: Any) -> bool:
    """Both steps: parse, then verify with this user's revocation value."""
    parse_overrides = {k: v for k, v in overrides.items() if k in {"keyring", "packer", "key"}}
    claims = read(token, **parse_overrides)
    if claims is None:
        return False
    verify_overrides = {k: v for k, v in overrides.items() if k != "packer"}
    return check(claims, **verify_overrides) == "ok"


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("timestamped", "one_time"), FLAGS)
@pytest.mark.parametrize(
    ("packer", "pk"),
    [
        (INT, 42),
        (INT, -(2**70)),
        (UUIDS, uuid.UUID("5c1f0e9a-2d7b-4a37-9c8e-0a1b2c3d4e5f")),
        (STR, "alice"),
        (STR, "ünïcödé 用户"),
        (STR, "x" * 255),
    ],
)
def test_round_trip(packer: Packer, pk: Any, timestamped: bool, one_time: bool) -> None:
    token = make(user_pk=pk, packer=packer, timestamped=timestamped, one_time=one_time)
    claims = read(token, packer=packer, timestamped=timestamped, one_time=one_time)
    assert claims is not None
    assert claims.user_pk == pk and type(claims.user_pk) is type(pk)
    assert claims.timestamp == (NOW if timestamped else None)
    assert (claims.nonce is not None and len(claims.nonce) == 4) is one_time
    assert check(claims, max_age=60 if timestamped else None) == "ok"


def test_wire_format_and_sizes() -> None:
    # 2 (packed int) + 6 (pre-MAC) + 10 (signature) = 18 bytes = 24 characters.
    assert len(make(timestamped=False)) == len("agl1_") + 24
    assert len(make(timestamped=True)) == len("agl1_") + 30  # + 4-byte timestamp
    assert len(make(timestamped=True, one_time=True)) == len("agl1_") + 35  # + 4-byte nonce
    assert len(make(timestamped=False, signature_size=16)) == len("agl1_") + 32
    token = make(user_pk=uuid.UUID(int=1), packer=UUIDS)
    assert token.startswith("agl1_")
    assert len(data_of(token)) == 16 + 4 + 6 + 10


@pytest.mark.parametrize(("timestamped", "one_time"), FLAGS)
def test_macs_match_the_documented_construction(timestamped: bool, one_time: bool) -> None:
    scope = "invite:7"
    token = make(
        key="site-key", scope=scope, timestamped=timestamped, one_time=one_time, signature_size=12
    )
    data = data_of(token)
    body, pre_mac, signature = data[:-18], data[-18:-12], data[-12:]
    expected_body = INT.pack_pk(42) + (NOW.to_bytes(4, "big") if timestamped else b"")
    if one_time:
        assert body[:-4] == expected_body
    else:
        assert body == expected_body
    header = b"agl1_" + bytes([int(timestamped) | (2 * int(one_time))])
    namespace = "authgate.links.v1:site-key"
    assert pre_mac == RING.tag(namespace=namespace + ":pre", message=header + body, size=6)
    message = header + body + len(REVOCATION).to_bytes(4, "big") + REVOCATION + scope.encode()
    assert signature == RING.sign(namespace=namespace, message=message, size=12)


def test_tokens_without_nonce_are_deterministic_and_one_time_tokens_differ() -> None:
    assert make() == make()
    first, second = make(one_time=True), make(one_time=True)
    assert first != second
    assert token_id(first) != token_id(second)
    for token in (first, second):
        assert check(read(token, one_time=True)) == "ok"


def test_default_now_is_the_clock() -> None:
    import time

    before = int(time.time())
    token = create(
        keyring=RING, user_pk=1, packer=INT, revocation=b"", timestamped=True, one_time=False
    )
    claims = read(token)
    after = int(time.time())
    assert claims is not None and claims.timestamp is not None
    assert before <= claims.timestamp <= after
    assert verify(claims, keyring=RING, revocation=b"", max_age=60) == "ok"


def test_claims_repr_hides_raw_parts() -> None:
    claims = read(make())
    text = repr(claims)
    assert "user_pk=42" in text
    assert "signature" not in text and "signed" not in text


def test_detect() -> None:
    assert links_v1.detect(make())
    assert not links_v1.detect("ags1_x.y")
    assert not links_v1.detect(42)  # type: ignore[arg-type]


# -- verification step 2 --------------------------------------------------------------------------


def test_revocation_value_change_is_refused() -> None:
    claims = read(make(revocation=b"hash-tail-1"))
    assert check(claims, revocation=b"hash-tail-1") == "ok"
    assert check(claims, revocation=b"hash-tail-2") == "invalid"
    assert check(claims, revocation=b"") == "invalid"


def test_scope_change_is_refused() -> None:
    claims = read(make(scope="download:17"))
    assert check(claims, scope="download:17") == "ok"
    assert check(claims, scope="download:18") == "invalid"
    assert check(claims) == "invalid"
    assert check(read(make()), scope="download:17") == "invalid"


def test_revocation_and_scope_cannot_be_traded() -> None:
    # With a bare NUL separator these two would sign the same message.
    claims = read(make(revocation=b"a\0", scope="b"))
    assert check(claims, revocation=b"a\0", scope="b") == "ok"
    assert check(claims, revocation=b"a", scope="\0b") == "invalid"


def test_key_change_is_refused() -> None:
    token = make(key="k1")
    assert read(token, key="k1") is not None
    assert read(token, key="k2") is None
    assert read(token) is None
    assert check(read(token, key="k1"), key="k2") == "invalid"


def test_signature_size_mismatch_is_refused() -> None:
    token = make(signature_size=12)
    assert read(token, signature_size=12) is not None
    assert read(token) is None
    assert check(read(token, signature_size=12), signature_size=12) == "ok"
    assert check(read(token, signature_size=12)) == "invalid"


@pytest.mark.parametrize("minted", FLAGS)
@pytest.mark.parametrize("parsed", FLAGS)
def test_tokens_only_parse_under_the_configuration_they_were_minted_for(
    minted: tuple[bool, bool], parsed: tuple[bool, bool]
) -> None:
    token = make(timestamped=minted[0], one_time=minted[1])
    claims = read(token, timestamped=parsed[0], one_time=parsed[1])
    assert (claims is not None) is (minted == parsed)


# -- expiry -------------------------------------------------------------------------------------


def test_max_age_boundaries() -> None:
    claims = read(make())
    assert check(claims, max_age=300, now=NOW) == "ok"
    assert check(claims, max_age=300, now=NOW + 299) == "ok"
    assert check(claims, max_age=300, now=NOW + 300) == "expired"
    assert check(claims, max_age=300, now=NOW + 10**8) == "expired"
    assert check(claims, max_age=300, now=NOW - 60) == "ok"  # clock skew
    assert check(claims, now=NOW + 10**8) == "ok"  # no max age: no expiry


def test_signature_is_checked_before_expiry() -> None:
    claims = read(make())
    assert check(claims, revocation=b"other", max_age=1, now=NOW + 100) == "invalid"


@pytest.mark.parametrize(
    ("max_age", "error"), [(0, ValueError), (-1, ValueError), (True, TypeError), (1.5, TypeError)]
)
def test_max_age_must_be_a_positive_int(max_age: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_age"):
        check(read(make()), max_age=max_age)


def test_max_age_needs_timestamped_tokens() -> None:
    claims = read(make(timestamped=False), timestamped=False)
    with pytest.raises(ValueError, match="timestamped"):
        check(claims, max_age=60)


# -- the tampering matrix -------------------------------------------------------------------------


def test_signed_with_another_key_is_refused_before_any_user_lookup() -> None:
    assert read(make(keyring=KeyRing([KEY_B]))) is None


def test_signed_with_a_fallback_key_still_in_the_ring_is_accepted() -> None:
    token = make(keyring=KeyRing([KEY_A]))
    assert accepted(token, keyring=KeyRing([KEY_C, KEY_B, KEY_A]))


def test_signed_with_a_fallback_key_that_was_removed_is_refused() -> None:
    token = make(keyring=KeyRing([KEY_A]))
    assert read(token, keyring=KeyRing([KEY_C, KEY_B])) is None


def test_pre_mac_valid_but_signature_from_another_key_is_refused_by_verify() -> None:
    # Same pre-MAC (ring A) but the full signature made with ring B.
    token_a, token_b = make(), make(keyring=KeyRing([KEY_B]))
    hybrid = rebuild(data_of(token_a)[:-10] + data_of(token_b)[-10:])
    claims = read(hybrid)
    assert claims is not None
    assert check(claims) == "invalid"


def test_truncated_or_extended_tokens_are_refused() -> None:
    token = make()
    data = data_of(token)
    for cut in range(1, len(data)):
        assert read(rebuild(data[:cut])) is None
    assert read(rebuild(data + b"\0")) is None
    assert read(token[:-1]) is None
    assert read(token + "A") is None


@pytest.mark.parametrize(("timestamped", "one_time"), FLAGS)
def test_every_byte_flipped_is_refused(timestamped: bool, one_time: bool) -> None:
    token = make(timestamped=timestamped, one_time=one_time, user_pk="bob", packer=STR)
    data = data_of(token)
    signature_start = len(data) - 10
    for index in range(len(data)):
        for mask in (0x01, 0x10, 0x80, 0xFF):
            altered = bytearray(data)
            altered[index] ^= mask
            claims = read(
                rebuild(bytes(altered)), packer=STR, timestamped=timestamped, one_time=one_time
            )
            if index < signature_start:
                # Body or pre-MAC changed: refused before anyone would load a user.
                assert claims is None
            else:
                # Only the signature changed: the pre-MAC passes, verify refuses.
                assert claims is not None and claims.user_pk == "bob"
                assert check(claims) == "invalid"


@pytest.mark.parametrize("prefix", ["agl2_", "agl0_", "ags1_", "AGL1_", "agl1", "", "agl1__"])
def test_changed_version_or_prefix_is_refused(prefix: str) -> None:
    token = make()
    assert read(prefix + token[len("agl1_") :]) is None


def test_swapped_prefixes_between_formats_are_refused() -> None:
    link = make()
    assert (
        scoped_v1.parse("ags1_" + link[len("agl1_") :], keyring=RING, packer=INT, now=NOW) is None
    )
    scoped = scoped_v1.create(
        keyring=RING,
        user_pk=42,
        packer=INT,
        endpoints={"GET": ["/"]},
        max_age=60,
        revocation=REVOCATION,
        now=NOW,
    )
    assert read("agl1_" + scoped[len("ags1_") :]) is None
    assert read("agl1_" + scoped[len("ags1_") :].replace(".", "")) is None


def test_forged_body_for_another_user_is_refused_and_never_unpacked() -> None:
    calls: list[bytes] = []

    class SpyPacker(IntPacker):
        def unpack_pk(self, data: bytes) -> tuple[Any, bytes]:
            calls.append(data)
            return super().unpack_pk(data)

    spy = SpyPacker()
    token = make()
    data = data_of(token)
    forged = rebuild(INT.pack_pk(43) + data[2:])
    assert read(forged, packer=spy) is None
    assert calls == []  # the pre-MAC failed before the user id was even read
    assert read(token, packer=spy) is not None
    assert len(calls) == 1


# -- create() validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"signature_size": 7}, ValueError, "between 8 and 64"),
        ({"signature_size": 65}, ValueError, "between 8 and 64"),
        ({"signature_size": True}, TypeError, "signature_size"),
        ({"now": -1}, ValueError, "4-byte"),
        ({"now": 2**32}, ValueError, "4-byte"),
        ({"now": 1.5}, TypeError, "now"),
        ({"revocation": "text"}, TypeError, "revocation"),
        ({"scope": b"bytes"}, TypeError, "scope"),
        ({"key": None}, TypeError, "key"),
        ({"user_pk": "42"}, TypeError, "int"),
        ({"user_pk": "x" * 256, "packer": STR}, ValueError, "255"),
    ],
)
def test_create_validates_its_arguments(
    overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make(**overrides)


def test_create_without_timestamp_ignores_now() -> None:
    assert make(timestamped=False, now=None) == make(timestamped=False, now=NOW)


def test_create_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        create(RING, 42, INT, REVOCATION)  # type: ignore[call-arg]


def test_timestamp_limits() -> None:
    for now in (0, 2**32 - 1):
        claims = read(make(now=now))
        assert claims is not None and claims.timestamp == now


# -- token_id -----------------------------------------------------------------------------------


def test_token_id() -> None:
    token = make(one_time=True)
    assert token_id(token) == hashlib.sha256(token.encode("ascii")).hexdigest()
    assert len(token_id(token)) == 64
    assert token_id(token) == token_id(token)
    with pytest.raises(TypeError):
        token_id(b"bytes")  # type: ignore[arg-type]


# -- parse() never raises ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "agl1_",
        "agl1_A",
        "agl1_AA",
        "agl1_" + "A" * 24,
        "agl1_" + "_" * 24,
        "agl1_" + "A" * 5000,
        "agl1_a.b",
        "agl1_AAAA====",
        "agl1_\u00e9" * 10,
        "agl1_\ud800",
        " agl1_AAAA",
    ],
)
@pytest.mark.parametrize(("timestamped", "one_time"), FLAGS)
@pytest.mark.parametrize("packer", [INT, UUIDS, STR], ids=lambda p: p.kind)
def test_parse_of_garbage_returns_none(
    garbage: str, timestamped: bool, one_time: bool, packer: Packer
) -> None:
    assert read(garbage, packer=packer, timestamped=timestamped, one_time=one_time) is None


@pytest.mark.parametrize("not_text", [None, b"agl1_AAAA", 42, object()])
def test_parse_of_non_strings_returns_none(not_text: Any) -> None:
    assert read(not_text) is None


@given(st.text(max_size=300), st.sampled_from(FLAGS))
def test_parse_of_any_text_never_raises(text: str, flags: tuple[bool, bool]) -> None:
    for candidate in (text, "agl1_" + text):
        assert read(candidate, timestamped=flags[0], one_time=flags[1]) is None


@given(
    st.binary(max_size=80),
    st.sampled_from(FLAGS),
    st.sampled_from([INT, UUIDS, STR]),
)
def test_parse_of_any_bytes_never_raises(
    data: bytes, flags: tuple[bool, bool], packer: Packer
) -> None:
    assert read(rebuild(data), packer=packer, timestamped=flags[0], one_time=flags[1]) is None


_ORIGINAL = make(user_pk=uuid.UUID(int=7), packer=UUIDS, one_time=True, scope="s")


@st.composite
def mutated(draw: st.DrawFn, token: str = _ORIGINAL) -> str:
    chars = list(token)
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["replace", "insert", "delete", "swap", "truncate"]))
        index = draw(st.integers(0, max(len(chars) - 1, 0)))
        if operation == "replace" and chars:
            chars[index] = draw(st.characters())
        elif operation == "insert":
            chars.insert(index, draw(st.characters()))
        elif operation == "delete" and chars:
            del chars[index]
        elif operation == "swap" and len(chars) > 1:
            other = draw(st.integers(0, len(chars) - 1))
            chars[index], chars[other] = chars[other], chars[index]
        elif operation == "truncate":
            chars = chars[:index]
    return "".join(chars)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_tokens_never_raise_and_never_change_the_user(token: str) -> None:
    claims = read(token, packer=UUIDS, one_time=True)
    if claims is None:
        return
    assert claims.user_pk == uuid.UUID(int=7)
    result = check(claims, scope="s", max_age=60)
    assert result in ("ok", "invalid")
    if result == "ok":
        assert token == _ORIGINAL


@given(st.data())
def test_mutated_bytes_never_verify(data: st.DataObject) -> None:
    raw = bytearray(data_of(_ORIGINAL))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    claims = read(rebuild(bytes(raw)), packer=UUIDS, one_time=True)
    if index < len(raw) - 10:
        assert claims is None  # body or pre-MAC changed
        return
    assert claims is not None
    assert claims.user_pk == uuid.UUID(int=7)
    assert check(claims, scope="s") == "invalid"


# -- logging -------------------------------------------------------------------------------------


def test_reasons_are_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    token = make()
    cases = {
        "longer than": "agl1_" + "A" * 3000,
        "wrong prefix": "xyz_" + token,
        "base64url": "agl1_!!!!",
        "too short": "agl1_AAAA",
        "pre-MAC": make(keyring=KeyRing([KEY_B])),
    }
    with caplog.at_level(logging.DEBUG, logger="authgate.core"):
        for reason, bad in cases.items():
            caplog.clear()
            assert read(bad) is None
            assert reason in caplog.text
            assert bad not in caplog.text
        for revocation, max_age, now, reason in [
            (b"other", None, NOW, "invalid signature"),
            (REVOCATION, 10, NOW + 10, "Expired"),
            (REVOCATION, 10, NOW, "Valid"),
        ]:
            caplog.clear()
            check(read(token), revocation=revocation, max_age=max_age, now=now)
            assert reason in caplog.text
            assert token not in caplog.text
            assert token[5:20] not in caplog.text


def test_link_claims_are_immutable() -> None:
    import dataclasses

    claims = read(make())
    assert claims is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        claims.user_pk = 1  # type: ignore[misc]


# -- boundaries and odd inputs (found by make mutate) ---------------------------------------------


@pytest.mark.parametrize("size", [8, 9, 63, 64])
def test_signature_sizes_from_8_to_64_bytes_work(size: int) -> None:
    claims = read(make(signature_size=size), signature_size=size)
    assert check(claims, signature_size=size) == "ok"


@pytest.mark.parametrize("size", [16.0, "16", None])
def test_signature_size_must_be_an_int(size: Any) -> None:
    with pytest.raises(TypeError, match="signature_size must be an int"):
        make(signature_size=size)


def test_now_must_not_be_a_bool() -> None:
    with pytest.raises(TypeError, match="now must be an int"):
        make(now=True)


def test_a_long_revocation_value_is_fine() -> None:
    revocation = b"r" * 1000  # only values of 4 GiB and more are refused
    claims = read(make(revocation=revocation))
    assert check(claims, revocation=revocation) == "ok"
    assert check(claims, revocation=revocation[:-1]) == "invalid"


def test_lone_surrogates_in_a_scope_and_a_token_id() -> None:
    # Encoded with "surrogatepass", like the key ring's keys and namespaces: never an error.
    claims = read(make(scope="login-\udc80"))
    assert check(claims, scope="login-\udc80") == "ok"
    assert check(claims, scope="login-\udc81") == "invalid"
    assert token_id("agl1_\ud800") == hashlib.sha256(b"agl1_\xed\xa0\x80").hexdigest()


@pytest.mark.parametrize(("timestamped", "one_time"), FLAGS)
def test_the_smallest_body_is_one_byte_plus_timestamp_and_nonce(
    timestamped: bool, one_time: bool
) -> None:
    # IntPacker packs 0 into the single byte 0x00: the shortest body a token can have.
    token = make(user_pk=0, timestamped=timestamped, one_time=one_time)
    claims = read(token, timestamped=timestamped, one_time=one_time)
    assert claims is not None and claims.user_pk == 0
    assert check(claims) == "ok"


@pytest.mark.parametrize(("timestamped", "one_time"), FLAGS)
def test_a_token_without_a_body_is_too_short(
    timestamped: bool, one_time: bool, caplog: pytest.LogCaptureFixture
) -> None:
    data = data_of(make(timestamped=timestamped, one_time=one_time))
    bare = "agl1_" + b64url_encode(data[-(6 + 10) :])  # pre-MAC and signature, no body
    with caplog.at_level(logging.DEBUG, logger="authgate.core.links_v1"):
        assert read(bare, timestamped=timestamped, one_time=one_time) is None
    assert "too short" in caplog.text


@pytest.mark.parametrize("size", [7, 65])
def test_parse_and_verify_refuse_a_signature_size_outside_8_to_64(size: int) -> None:
    # Checked by the format itself, before any key-ring call could refuse it for its own reasons.
    token = make()
    with pytest.raises(ValueError, match="signature_size must be between 8 and 64"):
        read(token, signature_size=size)
    with pytest.raises(ValueError, match="signature_size must be between 8 and 64"):
        check(read(token), signature_size=size)
    with pytest.raises(ValueError, match="signature_size must be between 8 and 64"):
        make(signature_size=size)
