"""The framework-free core: component values, parsing strictness, keys, never a stray error."""

from __future__ import annotations

import contextlib
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.schemes.httpsig.protocol import (
    Message,
    parse_signature_input,
    parse_signatures,
    signature_base,
)
from authgate.schemes.httpsig.protocol.components import STRUCTURED_FIELDS, component_value
from authgate.schemes.httpsig.protocol.errors import (
    MalformedSignature,
    SignatureError,
    VerificationFailed,
)
from authgate.schemes.httpsig.protocol.key_material import (
    InvalidKey,
    decode_secret,
    load_private_key,
    load_public_key,
)
from authgate.schemes.httpsig.protocol.structured import parse_component_id
from tests.schemes.httpsig import rfc9421


def value(message: Message, identifier: str) -> str:
    return component_value(message, parse_component_id(identifier))


def test_derived_components() -> None:
    m = Message("GET", "HTTPS://WWW.Example.com:443/a/b?x=1&y=%20z", [("Host", "www.example.com")])
    assert value(m, "@method") == "GET"
    assert value(m, "@authority") == "www.example.com"
    assert value(m, "@scheme") == "https"
    assert value(m, "@path") == "/a/b"
    assert value(m, "@query") == "?x=1&y=%20z"
    assert value(m, "@request-target") == "/a/b?x=1&y=%20z"
    assert value(m, '"@query-param";name="y"') == "%20z"
    bare = Message("GET", "http://[::1]:8080")
    assert value(bare, "@authority") == "[::1]:8080"
    assert value(bare, "@path") == "/"
    assert value(bare, "@query") == "?"
    assert value(bare, "@request-target") == "/"


def test_query_param_rfc_example() -> None:
    # RFC 9421 §2.2.8: decoded, then re-encoded.
    m = Message(
        "GET",
        "https://example.com/parameters?var=this%20is%20a%20big%0Avalue&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something",
    )
    assert value(m, '"@query-param";name="var"') == "this%20is%20a%20big%0Avalue"
    assert value(m, '"@query-param";name="bar"') == "with%20plus%20whitespace"
    assert value(m, '"@query-param";name="fa%C3%A7ade%22%3A%20"') == "something"
    with pytest.raises(VerificationFailed):
        value(m, '"@query-param";name="missing"')
    with pytest.raises(MalformedSignature):
        value(Message("GET", "https://e/?a=1&a=2"), '"@query-param";name="a"')


def test_fields() -> None:
    m = Message(
        "GET",
        "https://example.com/",
        [
            ("X-Obs-Fold", "Obsolete\r\n    line folding. "),
            ("Cache-Control", "max-age=60"),
            ("cache-control", "   must-revalidate"),
            ("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
            ("Example-Header", "value, with, lots"),
            ("Example-Header", "of, commas"),
        ],
    )
    # RFC 9421 §2.1 and §2.1.1-§2.1.3 examples.
    assert value(m, "x-obs-fold") == "Obsolete line folding."
    assert value(m, "cache-control") == "max-age=60, must-revalidate"
    assert value(m, "example-dict") == "a=1,    b=2;x=1;y=2,   c=(a   b   c)"
    with pytest.raises(MalformedSignature):  # not a known structured field
        value(m, '"example-dict";sf')
    with mock.patch.dict(STRUCTURED_FIELDS, {"example-dict": "dictionary"}):
        assert value(m, '"example-dict";sf') == "a=1, b=2;x=1;y=2, c=(a b c)"
    assert value(m, '"cache-control";sf') == "max-age=60, must-revalidate"
    assert value(m, '"example-dict";key="b"') == "2;x=1;y=2"
    assert value(m, '"example-dict";key="c"') == "(a b c)"
    assert value(m, '"example-header";bs') == ":dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:"
    with pytest.raises(VerificationFailed):
        value(m, "absent")
    with pytest.raises(VerificationFailed):
        value(m, '"example-dict";key="zz"')
    for bad in ('"example-dict";sf;bs', '"cache-control";req', '"cache-control";tr',
                '"cache-control";foo', "@status", "@unknown", '"@method";sf'):  # fmt: skip
        with pytest.raises(MalformedSignature):
            value(m, bad)


def test_base_refuses_duplicates_and_non_ascii() -> None:
    (params,) = parse_signature_input('s=("@method" "@method");created=1').values()
    with pytest.raises(MalformedSignature):
        signature_base(rfc9421.test_request(), params)
    m = Message("GET", "https://e/", [("X-Name", "caf\u00e9")])
    (params,) = parse_signature_input('s=("x-name");created=1').values()
    with pytest.raises(MalformedSignature):
        signature_base(m, params)
    (params,) = parse_signature_input('s=("x-name";bs);created=1').values()
    assert signature_base(m, params).startswith(b'"x-name";bs: :Y2Fm6Q==:')


@pytest.mark.parametrize(
    "header",
    [
        "sig1=(@method)",  # a token, not a string
        'sig1=("@Method")',  # uppercase
        'sig1="@method"',  # not an inner list
        'sig1=("@method");created="1"',  # wrong parameter type
        'sig1=("@method");keyid=1',
        'sig1=("@method");created=?1',
        'sig1=("@signature-params")',
        'sig1=("a"), sig1=("b")',  # duplicate label
        'sig1=("a");created=1;created=2',
        "sig1=(",
        "caf\u00e9=()",
    ],
)
def test_signature_input_is_strict(header: str) -> None:
    with pytest.raises(MalformedSignature):
        parse_signature_input(header)


def test_signature_field() -> None:
    assert parse_signatures("a=:AAE=:, b=:AA==:") == {"a": b"\x00\x01", "b": b"\x00"}
    for bad in ('a="x"', "a=(:AA==:)", "a=:!!:"):
        with pytest.raises(MalformedSignature):
            parse_signatures(bad)


@given(st.text(max_size=200))
def test_arbitrary_headers_only_raise_signature_errors(text: str) -> None:
    for parse in (parse_signature_input, parse_signatures):
        with contextlib.suppress(SignatureError):
            parse(text)


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_arbitrary_components_only_raise_signature_errors(name: str) -> None:
    try:
        params = parse_signature_input(f'sig=("{name}");created=1')
    except SignatureError:
        return
    with contextlib.suppress(SignatureError):
        signature_base(rfc9421.test_request(), params["sig"])


def test_keys() -> None:
    assert len(decode_secret(rfc9421.SHARED_SECRET)) == 64
    for bad in ("", "c2hvcnQ=", "!!!"):
        with pytest.raises(InvalidKey):
            decode_secret(bad)
    with pytest.raises(InvalidKey):
        load_public_key("ed25519", rfc9421.RSA_PSS_PUBLIC)
    with pytest.raises(InvalidKey):
        load_public_key("rsa-pss-sha512", rfc9421.ECC_P256_PUBLIC)
    with pytest.raises(InvalidKey):
        load_public_key("hmac-sha256", rfc9421.ED25519_PUBLIC)
    with pytest.raises(InvalidKey):
        load_public_key("ed25519", rfc9421.ED25519_PRIVATE)
    with pytest.raises(InvalidKey):
        load_public_key("ed25519", '{"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}')
    with pytest.raises(InvalidKey):
        load_public_key("ecdsa-p256-sha256", '{"kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ"}')
    with pytest.raises(InvalidKey):
        load_public_key("ed25519", "[1]")
    with pytest.raises(InvalidKey):
        load_private_key("ed25519", b"not a pem")
    with pytest.raises(InvalidKey):
        load_private_key("hmac-sha256", b"short")
