"""The key ring: derivation, signatures, tags, rotation and constant-time verification."""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core.keyring import KeyRing

KEY_A = "test-key-a-0123456789"
KEY_B = "test-key-b-0123456789"
KEY_C = "test-key-c-0123456789"
NS = "authgate.test.v1"


def expected_signature(key: bytes, namespace: str, message: bytes, size: int) -> bytes:
    """The documented construction, written out independently of the implementation."""
    root = hashlib.blake2b(key, digest_size=64, person=b"authgate-kdf").digest()
    derived = hashlib.blake2b(namespace.encode(), key=root, digest_size=64).digest()
    return hashlib.blake2b(message, key=derived, digest_size=size).digest()


# -- construction --------------------------------------------------------------------------


def test_empty_ring_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        KeyRing([])


@pytest.mark.parametrize("single", [KEY_A, KEY_A.encode()])
def test_a_single_key_instead_of_a_sequence_is_refused(single: Any) -> None:
    with pytest.raises(TypeError, match="sequence"):
        KeyRing(single)


@pytest.mark.parametrize("bad", [None, 42, ["x"], bytearray(b"x")])
def test_keys_must_be_str_or_bytes(bad: Any) -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        KeyRing([KEY_A, bad])


@pytest.mark.parametrize("empty", ["", b""])
def test_empty_keys_are_refused(empty: Any) -> None:
    with pytest.raises(ValueError, match="empty"):
        KeyRing([KEY_A, empty])


def test_repr_and_str_do_not_show_keys() -> None:
    ring = KeyRing([KEY_A, KEY_B.encode()])
    for text in (repr(ring), str(ring)):
        assert KEY_A not in text
        assert "test-key" not in text
        assert "2 keys" in text
    assert repr(KeyRing([KEY_A])) == "<KeyRing: 1 key>"
    assert len(ring) == 2


def test_raw_keys_are_not_kept() -> None:
    ring = KeyRing([KEY_A])
    state = [getattr(ring, name) for name in ("_roots", "_cache")]
    assert KEY_A.encode() not in repr(state).encode()
    assert not hasattr(ring, "__dict__")


# -- signatures ----------------------------------------------------------------------------


def test_sign_matches_the_documented_construction() -> None:
    ring = KeyRing([KEY_A, KEY_B])
    for size in (8, 10, 16, 32, 64):
        assert ring.sign(namespace=NS, message=b"hello", size=size) == expected_signature(
            KEY_A.encode(), NS, b"hello", size
        )


def test_default_size_is_16() -> None:
    assert len(KeyRing([KEY_A]).sign(namespace=NS, message=b"m")) == 16


def test_str_key_and_its_utf8_bytes_are_the_same_key() -> None:
    text_key = "clé-secrète-✓"
    assert KeyRing([text_key]).sign(namespace=NS, message=b"m") == KeyRing(
        [text_key.encode("utf-8")]
    ).sign(namespace=NS, message=b"m")


def test_lone_surrogates_in_keys_and_namespaces_are_encoded_with_surrogatepass() -> None:
    # A str key or namespace is never refused for its content: lone surrogates (from an
    # odd environment variable, say) are encoded with "surrogatepass".
    key, namespace = "key-\udc80-tail", NS + ":\ud800"
    raw_key = key.encode("utf-8", "surrogatepass")
    raw_namespace = namespace.encode("utf-8", "surrogatepass")
    root = hashlib.blake2b(raw_key, digest_size=64, person=b"authgate-kdf").digest()
    mac_key = hashlib.blake2b(raw_namespace, key=root, digest_size=64).digest()
    ring = KeyRing([key])
    assert ring.sign(namespace=namespace, message=b"m") == (
        hashlib.blake2b(b"m", key=mac_key, digest_size=16).digest()
    )
    assert ring.sign(namespace=namespace, message=b"m") == KeyRing([raw_key]).sign(
        namespace=namespace, message=b"m"
    )
    assert ring.subkeys(namespace=namespace)[0] == (
        hashlib.blake2b(raw_namespace, key=root, digest_size=32, person=b"authgate-subkey").digest()
    )


def test_signatures_depend_on_key_namespace_message_and_size() -> None:
    ring = KeyRing([KEY_A])
    base = ring.sign(namespace=NS, message=b"m", size=16)
    assert KeyRing([KEY_B]).sign(namespace=NS, message=b"m", size=16) != base
    assert ring.sign(namespace=NS + "x", message=b"m", size=16) != base
    assert ring.sign(namespace=NS, message=b"n", size=16) != base
    # BLAKE2b binds the digest size: a longer signature is not an extension of a shorter one.
    assert ring.sign(namespace=NS, message=b"m", size=32)[:16] != base


def test_only_the_first_key_signs() -> None:
    assert KeyRing([KEY_A, KEY_B]).sign(namespace=NS, message=b"m") == KeyRing([KEY_A]).sign(
        namespace=NS, message=b"m"
    )


@pytest.mark.parametrize("size", [-1, 0, 7, 65, 1000])
def test_sign_size_out_of_range(size: int) -> None:
    with pytest.raises(ValueError, match="signature size must be between 8 and 64"):
        KeyRing([KEY_A]).sign(namespace=NS, message=b"m", size=size)


@pytest.mark.parametrize("size", [True, 16.0, "16", None])
def test_sign_size_must_be_an_int(size: Any) -> None:
    with pytest.raises(TypeError, match="size must be an int"):
        KeyRing([KEY_A]).sign(namespace=NS, message=b"m", size=size)


@pytest.mark.parametrize("message", ["text", bytearray(b"m"), None, 1])
def test_message_must_be_bytes(message: Any) -> None:
    ring = KeyRing([KEY_A])
    with pytest.raises(TypeError, match="message must be bytes"):
        ring.sign(namespace=NS, message=message)
    with pytest.raises(TypeError, match="message must be bytes"):
        ring.verify(namespace=NS, message=message, signature=b"x" * 16)


def test_namespace_must_be_a_non_empty_str() -> None:
    ring = KeyRing([KEY_A])
    with pytest.raises(ValueError, match="namespace"):
        ring.sign(namespace="", message=b"m")
    with pytest.raises(TypeError, match="namespace"):
        ring.sign(namespace=b"ns", message=b"m")  # type: ignore[arg-type]


def test_sign_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        KeyRing([KEY_A]).sign(NS, b"m")  # type: ignore[call-arg]


def test_verify_accepts_its_own_signature() -> None:
    ring = KeyRing([KEY_A])
    for size in (8, 16, 64):
        signature = ring.sign(namespace=NS, message=b"m", size=size)
        assert ring.verify(namespace=NS, message=b"m", signature=signature)


def test_verify_refuses_other_message_namespace_and_key() -> None:
    ring = KeyRing([KEY_A])
    signature = ring.sign(namespace=NS, message=b"m")
    assert not ring.verify(namespace=NS, message=b"n", signature=signature)
    assert not ring.verify(namespace=NS + ":other", message=b"m", signature=signature)
    assert not KeyRing([KEY_B]).verify(namespace=NS, message=b"m", signature=signature)


def test_rotation_fallback_keys_verify_until_removed() -> None:
    old = KeyRing([KEY_A])
    signature = old.sign(namespace=NS, message=b"m")
    rotated = KeyRing([KEY_B, KEY_A])  # new key first, old key as fallback
    assert rotated.verify(namespace=NS, message=b"m", signature=signature)
    assert rotated.sign(namespace=NS, message=b"m") != signature
    removed = KeyRing([KEY_B])
    assert not removed.verify(namespace=NS, message=b"m", signature=signature)


def test_verify_refuses_truncated_extended_and_altered_signatures() -> None:
    ring = KeyRing([KEY_A])
    signature = ring.sign(namespace=NS, message=b"m", size=16)
    assert not ring.verify(namespace=NS, message=b"m", signature=signature[:-1])
    assert not ring.verify(namespace=NS, message=b"m", signature=signature[:8])
    assert not ring.verify(namespace=NS, message=b"m", signature=signature + b"\0")
    for index in range(len(signature)):
        altered = bytearray(signature)
        altered[index] ^= 0x01
        assert not ring.verify(namespace=NS, message=b"m", signature=bytes(altered))


@pytest.mark.parametrize("signature", [b"", b"x" * 7, b"x" * 65, "x" * 16, None, 12])
def test_verify_returns_false_for_any_odd_signature(signature: Any) -> None:
    assert KeyRing([KEY_A]).verify(namespace=NS, message=b"m", signature=signature) is False


def test_match_on_the_last_of_three_keys_still_verifies() -> None:
    signature = KeyRing([KEY_C]).sign(namespace=NS, message=b"m")
    assert KeyRing([KEY_A, KEY_B, KEY_C]).verify(namespace=NS, message=b"m", signature=signature)


@pytest.mark.parametrize("signer", [KEY_A, KEY_B, KEY_C, "not-in-the-ring"])
def test_verify_compares_against_every_key_without_early_exit(
    signer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # keyring looks it up per call
    ring = KeyRing([KEY_A, KEY_B, KEY_C])
    signature = KeyRing([signer]).sign(namespace=NS, message=b"m")
    result = ring.verify(namespace=NS, message=b"m", signature=signature)
    assert result is (signer != "not-in-the-ring")
    # One comparison per key, whichever key matched (first, middle, last or none).
    assert len(calls) == 3
    assert all(candidate == signature for _, candidate in calls)
    assert len({expected for expected, _ in calls}) == 3


# -- subkeys -------------------------------------------------------------------------------


def documented_root(key: bytes) -> bytes:
    return hashlib.blake2b(key, digest_size=64, person=b"authgate-kdf").digest()


def documented_mac_key(key: bytes, namespace: str) -> bytes:
    """The 64-byte MAC key of ``namespace``, as the module docstring derives it."""
    return hashlib.blake2b(namespace.encode(), key=documented_root(key), digest_size=64).digest()


def documented_subkey(key: bytes, namespace: str, size: int) -> bytes:
    return hashlib.blake2b(
        namespace.encode(), key=documented_root(key), digest_size=size, person=b"authgate-subkey"
    ).digest()


def test_subkeys_match_the_documented_construction() -> None:
    ring = KeyRing([KEY_A, KEY_B])
    for size in (16, 32, 64):
        assert ring.subkeys(namespace=NS, size=size) == (
            documented_subkey(KEY_A.encode(), NS, size),
            documented_subkey(KEY_B.encode(), NS, size),
        )
    assert ring.subkeys(namespace=NS) == ring.subkeys(namespace=NS, size=32)


@pytest.mark.parametrize("size", [16, 32, 64])
def test_a_subkey_is_never_the_mac_key_of_its_namespace(size: int) -> None:
    # Compared at equal length: without the "authgate-subkey" personalisation a 64-byte
    # subkey *is* the namespace's MAC key, and a shorter one is BLAKE2b of the same input
    # under the same key (its output size differs, so truncating the MAC key proves nothing).
    subkey = KeyRing([KEY_A]).subkeys(namespace=NS, size=size)[0]
    unpersonalised = hashlib.blake2b(
        NS.encode(), key=documented_root(KEY_A.encode()), digest_size=size
    ).digest()
    assert subkey != unpersonalised
    if size == 64:
        assert subkey != documented_mac_key(KEY_A.encode(), NS)


@pytest.mark.parametrize("size", [16, 17, 63, 64])
def test_subkey_sizes_from_16_to_64_bytes(size: int) -> None:
    keys = KeyRing([KEY_A, KEY_B]).subkeys(namespace=NS, size=size)
    assert [len(key) for key in keys] == [size, size]


@pytest.mark.parametrize("size", [-1, 0, 8, 15, 65, 1000])
def test_subkey_size_out_of_range(size: int) -> None:
    with pytest.raises(ValueError, match="subkey size must be between 16 and 64"):
        KeyRing([KEY_A]).subkeys(namespace=NS, size=size)


@pytest.mark.parametrize("size", [True, 32.0, "32", None])
def test_subkey_size_must_be_an_int(size: Any) -> None:
    with pytest.raises(TypeError, match="subkey size must be an int"):
        KeyRing([KEY_A]).subkeys(namespace=NS, size=size)


def test_subkey_namespace_must_be_a_non_empty_str() -> None:
    ring = KeyRing([KEY_A])
    with pytest.raises(ValueError, match="namespace"):
        ring.subkeys(namespace="")
    with pytest.raises(TypeError, match="namespace"):
        ring.subkeys(namespace=b"ns")  # type: ignore[arg-type]


def test_subkeys_depend_on_key_and_namespace_and_follow_the_ring_order() -> None:
    ring = KeyRing([KEY_A, KEY_B])
    first, second = ring.subkeys(namespace=NS)
    assert first != second
    assert KeyRing([KEY_B, KEY_A]).subkeys(namespace=NS) == (second, first)
    assert ring.subkeys(namespace=NS + "x")[0] != first
    assert ring.subkeys(namespace=NS + "é")[0] == documented_subkey(KEY_A.encode(), NS + "é", 32)


# -- tags ----------------------------------------------------------------------------------


def test_tags_have_their_size_and_verify_with_any_key() -> None:
    ring = KeyRing([KEY_A])
    for size in (4, 6, 8, 64):
        tag = ring.tag(namespace=NS, message=b"m", size=size)
        assert len(tag) == size
        assert ring.match_tag(namespace=NS, message=b"m", tag=tag)
        assert KeyRing([KEY_B, KEY_A]).match_tag(namespace=NS, message=b"m", tag=tag)
        assert not KeyRing([KEY_B]).match_tag(namespace=NS, message=b"m", tag=tag)
        assert not ring.match_tag(namespace=NS, message=b"n", tag=tag)
    assert len(ring.tag(namespace=NS, message=b"m")) == 6


@pytest.mark.parametrize("size", [0, 3, 65])
def test_tag_size_out_of_range(size: int) -> None:
    with pytest.raises(ValueError, match="tag size must be between 4 and 64"):
        KeyRing([KEY_A]).tag(namespace=NS, message=b"m", size=size)


@pytest.mark.parametrize("tag", [b"", b"abc", b"x" * 65, "abcdef", None])
def test_match_tag_returns_false_for_odd_tags(tag: Any) -> None:
    assert KeyRing([KEY_A]).match_tag(namespace=NS, message=b"m", tag=tag) is False


def test_tags_and_signatures_are_separate_functions() -> None:
    ring = KeyRing([KEY_A])
    tag = ring.tag(namespace=NS, message=b"m", size=16)
    signature = ring.sign(namespace=NS, message=b"m", size=16)
    assert tag != signature
    assert not ring.verify(namespace=NS, message=b"m", signature=tag)
    assert not ring.match_tag(namespace=NS, message=b"m", tag=signature)


# -- cache ---------------------------------------------------------------------------------


def test_derivation_cache_is_bounded_and_results_stay_correct() -> None:
    ring = KeyRing([KEY_A, KEY_B])
    for index in range(1000):
        ring.sign(namespace=f"ns{index}", message=b"m")
    assert len(ring._cache) <= 256
    # Evicted namespaces are derived again, identically.
    assert ring.sign(namespace="ns0", message=b"m") == expected_signature(
        KEY_A.encode(), "ns0", b"m", 16
    )


def test_concurrent_use_gives_the_serial_results() -> None:
    ring = KeyRing([KEY_A, KEY_B])
    namespaces = [f"ns{index % 300}" for index in range(2000)]
    expected = {ns: expected_signature(KEY_A.encode(), ns, b"m", 16) for ns in set(namespaces)}
    errors: list[str] = []

    def work(offset: int) -> None:
        for ns in namespaces[offset:] + namespaces[:offset]:
            signature = ring.sign(namespace=ns, message=b"m")
            if signature != expected[ns] or not ring.verify(
                namespace=ns, message=b"m", signature=signature
            ):
                errors.append(ns)

    threads = [threading.Thread(target=work, args=(offset * 97,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ring._cache) <= 256


# -- properties ----------------------------------------------------------------------------


@given(
    namespace=st.text(min_size=1, max_size=40),
    message=st.binary(max_size=200),
    size=st.integers(8, 64),
)
def test_sign_then_verify_round_trips(namespace: str, message: bytes, size: int) -> None:
    ring = KeyRing([KEY_B, KEY_A])
    signature = ring.sign(namespace=namespace, message=message, size=size)
    assert len(signature) == size
    assert ring.verify(namespace=namespace, message=message, signature=signature)
    assert not ring.verify(namespace=namespace, message=message + b"x", signature=signature)


@given(signature=st.binary(max_size=80), message=st.binary(max_size=50))
def test_verify_of_random_bytes_never_raises_and_never_passes(
    signature: bytes, message: bytes
) -> None:
    ring = KeyRing([KEY_A, KEY_B])
    assert ring.verify(namespace=NS, message=message, signature=signature) is False
