"""Known-answer vectors for every derivation and wire format in ``authgate.core``.

Fixed key material and fixed inputs go in; the exact bytes or text that today's code gives
come out, written here as literals. These values were generated once, from the code, and
never have to be regenerated: tokens, tags and sealed secrets already issued with them are
in databases, inboxes and clients.

**A failing test here is a format break, not a stale literal.** If one fails, the change
would make existing tokens, links, tags or sealed secrets unreadable (or readable
differently) after an upgrade. Do not update the literal: put the new format under a new
version (a new ``*_v2`` module with a new prefix and namespace, or a new digest version)
and keep the old one working for as long as its tokens may be in circulation.

Times are fixed with the formats' ``now`` arguments; nothing patches the clock. The key
ring has two keys so that both the signing key and a fallback are pinned.
"""

from __future__ import annotations

import uuid

import pytest

from authgate.core import encoding, links_v1, opaque, scoped_v1, signed
from authgate.core.keyring import KeyRing
from authgate.core.packers import IntPacker, StrPacker, UUIDPacker

KEY = "authgate-known-answer-key"
OLD_KEY = b"authgate-known-answer-old-key\xff"
RING = KeyRing([KEY, OLD_KEY])
MESSAGE = b"known answer"
NOW = 1_700_000_000
REVOCATION = b"pbkdf2-tail"
USER_UUID = uuid.UUID("12345678-1234-5678-9abc-def012345678")


# --- key ring: MAC keys per namespace (through their signatures and tags) --------------------


def test_kat_keyring_signature_scoped_namespace() -> None:
    # A 64-byte signature is the whole BLAKE2b output under the namespace's MAC key.
    assert RING.sign(namespace="authgate.scoped.v1", message=MESSAGE, size=64).hex() == (
        "d1caec3ccf4aa7a5dc473a8388e27b6e472c0edb9d7bf8583b998573edb863b9"
        "c266c81708f2cdaf13cdc17496315229787317935d222405d5b4e7ad3720e07d"
    )
    assert RING.sign(namespace="authgate.scoped.v1", message=MESSAGE).hex() == (
        "8c006e675353514b5737414b6c06be43"
    )


def test_kat_keyring_signature_links_namespace() -> None:
    assert RING.sign(namespace="authgate.links.v1", message=MESSAGE, size=64).hex() == (
        "5e9a33edaac195d26f23e57a57c13b243ec55e6eeab2e2be9e7b0e667f15076f"
        "054fe0a826640043fb78e9c37f6af6428b2039646b75ed814c7a972b705178f0"
    )
    assert RING.sign(namespace="authgate.links.v1", message=MESSAGE, size=10).hex() == (
        "7e1dbe81ae8e9f4bc5fc"
    )


def test_kat_keyring_signature_non_ascii_key_and_namespace() -> None:
    ring = KeyRing(["clé-✓"])
    assert ring.sign(namespace="authgate.ns.é", message=b"m").hex() == (
        "bdcc098ea8fec39e415b43ad97de0f65"
    )


def test_kat_keyring_tag_links_pre_namespace() -> None:
    assert RING.tag(namespace="authgate.links.v1:pre", message=MESSAGE).hex() == "cd5d29452ab5"
    assert RING.tag(namespace="authgate.links.v1:pre", message=MESSAGE, size=64).hex() == (
        "1d64097903213dfdadb4cf9c60a8778a1111da574a2c479b278511da0e98d319"
        "74d78e11ddb7e5cc407036f97f7218c3f912ff7ce15e2ef2b7bc8fcad581ad29"
    )


def test_kat_keyring_tag_scoped_revocation_namespace() -> None:
    assert RING.tag(namespace="authgate.scoped.v1:rv", message=MESSAGE).hex() == "836edddaeaed"


def test_kat_keyring_fallback_key_verifies_its_known_signature() -> None:
    # The signature made by OLD_KEY alone, accepted by the ring where it is a fallback.
    signature = KeyRing([OLD_KEY]).sign(namespace="authgate.scoped.v1", message=MESSAGE)
    assert RING.verify(namespace="authgate.scoped.v1", message=MESSAGE, signature=signature)
    assert signature.hex() != "8c006e675353514b5737414b6c06be43"


# --- key ring: subkeys per namespace -----------------------------------------------------


def test_kat_keyring_subkey_httpsig_namespace() -> None:
    # The AES-256-GCM keys of sealed HTTP-signature secrets (schemes.httpsig.protocol.sealing).
    assert [key.hex() for key in RING.subkeys(namespace="authgate.httpsig.secret.v1")] == [
        "02791d95241d7883c76d74dfba159b9498916b67dd2036ab4ab4bf1429ea18b5",
        "f2eeb284309b49160ede889e90607329b4f2315c7631591337688754d0720671",
    ]


def test_kat_keyring_subkey_links_namespace() -> None:
    assert [key.hex() for key in RING.subkeys(namespace="authgate.links.v1")] == [
        "f1a62d39dd6b6775ead48b5809c5594fd9a541d10d323f9439a765117d25cffe",
        "cd64db8ffaaa8ad8217683e748f39749a9644921551b0350aea10268da64fa8b",
    ]
    assert [key.hex() for key in RING.subkeys(namespace="authgate.links.v1", size=16)] == [
        "009fd295f56cb61fdef6e779e28e795f",
        "d3f19f54f7b85719b058715f28bf6477",
    ]
    assert [key.hex() for key in RING.subkeys(namespace="authgate.links.v1", size=64)] == [
        "29f5f4c7fc3e359cb3a95ec1b1251002b587f821d177628f15872ffe84a32553"
        "430ae48d92b42061b1cde93ccf0704d2fb4d15598fafd38df4c54c006d27d1c6",
        "b876b699ab36bde479e1974c5b051e7da65ada0fb9b0d0023c48176373a4dbfc"
        "09bf1516471b6679516b0d211f376618f2f629a80780cb4aa554564212f64200",
    ]


# --- encoding ------------------------------------------------------------------------------


def test_kat_encoding_base62() -> None:
    assert encoding.BASE62_ALPHABET == (
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    )
    cases = {0: "0", 61: "z", 62: "10", 3843: "zz", 2**64: "LygHa16AHYG"}
    for number, text in cases.items():
        assert encoding.b62encode(number) == text
        assert encoding.b62decode(text) == number
    assert encoding.b62encode(5, width=6) == "000005"


def test_kat_encoding_crc32_checksum() -> None:
    assert encoding.crc32_checksum("agt_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "3dXo11"
    assert encoding.crc32_checksum("") == "000000"
    assert encoding.crc32_checksum("é") == "0Fumsw"  # UTF-8, not latin-1
    # CRC values just past and just before a multiple of 62**4 pin how the six digits split.
    assert encoding.crc32_checksum("agt_kat217236") == "4Y000n"
    assert encoding.crc32_checksum("agt_kat22350") == "4Ozzxi"


def test_kat_encoding_b64url() -> None:
    data = bytes(range(250, 256)) + b"\x00\x01"
    assert encoding.b64url_encode(data) == "-vv8_f7_AAE"
    assert encoding.b64url_decode("-vv8_f7_AAE") == data
    assert (encoding.b64url_encode(b""), encoding.b64url_decode("")) == ("", b"")


# --- opaque tokens -------------------------------------------------------------------------

OPAQUE_TOKEN = "agt_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ3dXo11"


def test_kat_opaque_token_layout_and_checksum() -> None:
    assert opaque.parse(OPAQUE_TOKEN, prefixes={"agt"}) == opaque.OpaqueToken(
        prefix="agt", token=OPAQUE_TOKEN
    )
    assert opaque.is_valid(OPAQUE_TOKEN, prefixes={"agt"})
    assert opaque.display_prefix(OPAQUE_TOKEN) == "agt_012345"
    assert opaque.scanner_regex("agt") == r"\bagt_[0-9A-Za-z]{42}\b"


@pytest.mark.parametrize(
    ("token", "valid"),
    [
        ("ab_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ05ndyU", True),  # 45 characters, the shortest
        ("a1_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ1HamvP", True),
        ("abcdefghij_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ2cGBLu", True),  # 53, the longest
        ("a_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ3MevZ5", False),  # 1-letter prefix
        ("abcdefghijk_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ1lugXG", False),  # 11 letters
        ("1a_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ3KDZ0V", False),  # starts with a digit
        ("Ab_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ1nnPHy", False),  # uppercase
    ],
)
def test_kat_opaque_prefix_grammar(token: str, valid: bool) -> None:
    # ^[a-z][a-z0-9]{1,9}$, whatever prefixes a caller lists; the checksums are all right.
    prefix = token.partition("_")[0]
    assert opaque.is_valid(token, prefixes={prefix}) is valid
    assert (opaque.ANY_TOKEN_RE.fullmatch(token) is not None) is valid


def test_kat_opaque_token_digest_v1() -> None:
    # Stored digests of every issued token: version 1 is SHA-256 of the token, hex.
    assert opaque.DIGEST_VERSION == 1
    assert opaque.digest(OPAQUE_TOKEN) == (
        "bfb6c75a91d731e1393627bb1411156614bffac3cea015d2cd4b48d1b71d1bb6"
    )
    assert opaque.digest(OPAQUE_TOKEN, 1) == opaque.digest(OPAQUE_TOKEN)


# --- primary-key packers -------------------------------------------------------------------


def test_kat_packers_int() -> None:
    cases = {
        0: "00",
        1: "0101",
        -1: "01ff",
        127: "017f",
        128: "020080",
        255: "0200ff",
        -129: "02ff7f",
        2**63: "09008000000000000000",
    }
    for pk, packed in cases.items():
        assert IntPacker().pack_pk(pk).hex() == packed
        assert IntPacker().unpack_pk(bytes.fromhex(packed) + b"rest") == (pk, b"rest")


def test_kat_packers_uuid_and_str() -> None:
    assert UUIDPacker().pack_pk(USER_UUID).hex() == "12345678123456789abcdef012345678"
    assert UUIDPacker().unpack_pk(USER_UUID.bytes) == (USER_UUID, b"")
    assert StrPacker().pack_pk("ké-✓").hex() == "076bc3a92de29c93"
    assert StrPacker().unpack_pk(bytes.fromhex("076bc3a92de29c93")) == ("ké-✓", b"")


# --- signed tokens: revocation tags --------------------------------------------------------


def test_kat_signed_revocation_tag() -> None:
    tag = signed.revocation_tag(keyring=RING, namespace="authgate.scoped.v1", revocation=REVOCATION)
    assert tag.hex() == "11d3bcb11125"
    assert signed.check_revocation_tag(
        keyring=RING, namespace="authgate.scoped.v1", revocation=REVOCATION, tag=tag
    )


# --- scoped tokens v1 ----------------------------------------------------------------------

SCOPED_TOKEN = (
    "ags1_eyJlIjp7IkdFVCI6WyIvYXBpL25vdGVzLyJdLCJQT1NUIjpbIi9hcGkvbm90ZXMvIiwiL2FwaS9qb2JzLyJd"
    "fSwiaSI6MTcwMDAwMDAwMCwiciI6ImNpLWJvdCIsInJ2IjoiRWRPOHNSRWwiLCJzIjpbIm5vdGVzOnJlYWQiXSwid"
    "SI6IkFTbyIsIngiOjE3MDAwMDA2MDB9.BneeOreBzAQbTdSbb2aEhQ"
)
SCOPED_UUID_TOKEN = (
    "ags1_eyJlIjp7IkRFTEVURSI6WyIveC8iXX0sImkiOjAsInIiOm51bGwsInJ2IjoiV183OXZ6Sy0iLCJzIjpudWxs"
    "LCJ1IjoiRWpSV2VCSTBWbmlhdk43d0VqUldlQSIsIngiOjF9.0ffe5rEU9faNq13vD1Z4WQ"
)


def test_kat_scoped_v1_create() -> None:
    token = scoped_v1.create(
        keyring=RING,
        user_pk=42,
        packer=IntPacker(),
        endpoints={"GET": ["/api/notes/"], "post": ["/api/notes/", "/api/jobs/"]},
        max_age=600,
        revocation=REVOCATION,
        recipient="ci-bot",
        scopes=["notes:read"],
        now=NOW,
    )
    assert token == SCOPED_TOKEN
    uuid_token = scoped_v1.create(
        keyring=RING,
        user_pk=USER_UUID,
        packer=UUIDPacker(),
        endpoints={"DELETE": ["/x/"]},
        max_age=1,
        revocation=b"",
        now=0,
    )
    assert uuid_token == SCOPED_UUID_TOKEN


SCOPED_UTF8_TOKEN = (
    "ags1_eyJlIjp7IkdFVCI6WyIvYS8iXSwiUE9TVCI6WyIvY2Fmw6kvIl19LCJpIjoxNzAwMDAwMDAwLCJyIjoiY2Fm"
    "w6ktYm90IiwicnYiOiJFZE84c1JFbCIsInMiOlsiYiIsImEiXSwidSI6IkFRYyIsIngiOjE3MDAwMDAwNjB9"
    ".xkccY_gEIpGwQQfNtpck6A"
)


def test_kat_scoped_v1_payload_is_sorted_compact_utf8_json() -> None:
    # Keys sorted at every level (whatever order the methods came in), no spaces, UTF-8
    # rather than \u escapes; scopes keep the order they were given in.
    token = scoped_v1.create(
        keyring=RING,
        user_pk=7,
        packer=IntPacker(),
        endpoints={"post": ["/café/"], "GET": ["/a/"]},
        max_age=60,
        revocation=REVOCATION,
        recipient="café-bot",
        scopes=["b", "a"],
        now=NOW,
    )
    assert token == SCOPED_UTF8_TOKEN
    payload = encoding.b64url_decode(token[len("ags1_") : token.index(".")])
    assert (
        payload
        == (
            '{"e":{"GET":["/a/"],"POST":["/café/"]},"i":1700000000,"r":"café-bot",'
            '"rv":"EdO8sREl","s":["b","a"],"u":"AQc","x":1700000060}'
        ).encode()
    )


def test_kat_scoped_v1_parse() -> None:
    claims = scoped_v1.parse(SCOPED_TOKEN, keyring=RING, packer=IntPacker(), now=NOW + 599)
    assert claims == scoped_v1.ScopedClaims(
        user_pk=42,
        endpoints={"GET": ("/api/notes/",), "POST": ("/api/notes/", "/api/jobs/")},
        issued_at=NOW,
        expires_at=NOW + 600,
        recipient="ci-bot",
        scopes=("notes:read",),
        revocation_tag=bytes.fromhex("11d3bcb11125"),
    )
    assert scoped_v1.check_revocation(claims, keyring=RING, revocation=REVOCATION)
    with pytest.raises(scoped_v1.ExpiredToken):
        scoped_v1.parse(SCOPED_TOKEN, keyring=RING, packer=IntPacker(), now=NOW + 600)
    uuid_claims = scoped_v1.parse(SCOPED_UUID_TOKEN, keyring=RING, packer=UUIDPacker(), now=0)
    assert uuid_claims is not None
    assert uuid_claims.user_pk == USER_UUID
    assert (uuid_claims.scopes, uuid_claims.recipient) == (None, None)


# --- magic links v1 ------------------------------------------------------------------------

LINK_PLAIN = "agl1_ASqMNtWzvJ-6DLHC1v8rjp2P"
LINK_TIMESTAMPED = "agl1_ASplU_EAtGv8CU_JuP6s629CJ36FDA"
LINK_KEYED = "agl1_BWFsaWNlZVPxAKzentinSRt0Z7lPaeUpwce5BIPJnX8"
LINK_ONE_TIME = "agl1_ASplU_EAKOfim17BR3qL1YlJr4mR7kAjVeQ"
LINK_ONE_TIME_UNTIMED = "agl1_ASp_PI3fyItedAG3rEqXml9dHHgdSA"  # flags byte 2, not 3


def test_kat_links_v1_create() -> None:
    def create(**options: object) -> str:
        arguments: dict[str, object] = {
            "keyring": RING,
            "user_pk": 42,
            "packer": IntPacker(),
            "revocation": REVOCATION,
            "timestamped": True,
            "one_time": False,
            "now": NOW,
        }
        arguments.update(options)
        return links_v1.create(**arguments)  # type: ignore[arg-type]

    assert create(timestamped=False) == LINK_PLAIN
    assert create() == LINK_TIMESTAMPED
    keyed = create(
        user_pk="alice", packer=StrPacker(), scope="login", key="email", signature_size=16
    )
    assert keyed == LINK_KEYED


@pytest.mark.parametrize(
    ("token", "options", "user_pk", "timestamp"),
    [
        (LINK_PLAIN, {"timestamped": False, "one_time": False}, 42, None),
        (LINK_TIMESTAMPED, {"timestamped": True, "one_time": False}, 42, NOW),
        (LINK_ONE_TIME, {"timestamped": True, "one_time": True}, 42, NOW),
        (LINK_ONE_TIME_UNTIMED, {"timestamped": False, "one_time": True}, 42, None),
    ],
)
def test_kat_links_v1_parse_and_verify(
    token: str, options: dict[str, bool], user_pk: object, timestamp: int | None
) -> None:
    claims = links_v1.parse(token, keyring=RING, packer=IntPacker(), **options)
    assert claims is not None
    assert (claims.user_pk, claims.timestamp) == (user_pk, timestamp)
    assert links_v1.verify(claims, keyring=RING, revocation=REVOCATION) == "ok"
    assert links_v1.verify(claims, keyring=RING, revocation=b"other") == "invalid"
    if timestamp is not None:
        assert (
            links_v1.verify(claims, keyring=RING, revocation=REVOCATION, max_age=60, now=NOW + 59)
            == "ok"
        )
        assert (
            links_v1.verify(claims, keyring=RING, revocation=REVOCATION, max_age=60, now=NOW + 60)
            == "expired"
        )


def test_kat_links_v1_keyed_link_and_one_time_nonce() -> None:
    claims = links_v1.parse(
        LINK_KEYED,
        keyring=RING,
        packer=StrPacker(),
        timestamped=True,
        one_time=False,
        key="email",
        signature_size=16,
    )
    assert claims is not None and claims.user_pk == "alice"
    assert (
        links_v1.verify(
            claims,
            keyring=RING,
            revocation=REVOCATION,
            scope="login",
            key="email",
            signature_size=16,
        )
        == "ok"
    )
    one_time = links_v1.parse(
        LINK_ONE_TIME, keyring=RING, packer=IntPacker(), timestamped=True, one_time=True
    )
    assert one_time is not None and one_time.nonce == bytes.fromhex("28e7e29b")
    assert links_v1.token_id(LINK_ONE_TIME) == (
        "27b5b85e4b3f647896727b90f118f35b76fcb68b6aa3d78a11d81531964b7d0a"
    )
