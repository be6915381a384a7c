"""authgate.core.headers: Authorization parsing, token68, Basic, WWW-Authenticate."""

from __future__ import annotations

import base64
import logging
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authgate.core.headers import (
    SCHEME_SCAN_LIMIT,
    Authorization,
    MalformedHeader,
    decode_basic,
    format_challenge,
    parse_authorization,
    token68,
)

MAX = 4096
TCHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
TOKEN68_CHARS = string.ascii_letters + string.digits + "-._~+/"


def parse(value: str | None, max_length: int = MAX) -> Authorization | None:
    return parse_authorization(value, max_length=max_length)


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode("ascii")


# --- parse_authorization: well-formed -------------------------------------------------


@pytest.mark.parametrize("value", [None, "", " ", "\t", "  \t  "])
def test_absent_or_blank_header_is_none(value: str | None) -> None:
    assert parse(value) is None


@pytest.mark.parametrize(
    ("value", "scheme", "credentials"),
    [
        ("Basic dXNlcjpwYXNz", "Basic", "dXNlcjpwYXNz"),
        ("Bearer abc.def-ghi_jkl~mno+p/q==", "Bearer", "abc.def-ghi_jkl~mno+p/q=="),
        ("token   abc", "token", "abc"),  # 1*SP between scheme and credentials
        ("Token\tabc", "Token", "abc"),  # HTAB tolerated as the separator
        ("  Bearer abc  ", "Bearer", "abc"),  # surrounding OWS is not part of the value
        ("X-Custom!#$ c", "X-Custom!#$", "c"),  # any RFC 9110 token is a scheme
    ],
)
def test_well_formed_headers(value: str, scheme: str, credentials: str) -> None:
    auth = parse(value)
    assert auth == Authorization(scheme=scheme, credentials=credentials, error=None)


@pytest.mark.parametrize("scheme", ["Bearer", "BEARER", "bearer", "bEaReR"])
def test_scheme_key_is_case_insensitive(scheme: str) -> None:
    auth = parse(f"{scheme} abc")
    assert auth is not None
    assert auth.scheme == scheme  # as sent
    assert auth.scheme_key == "bearer"


def test_scheme_key_lowercases_ascii_only() -> None:
    # KELVIN SIGN lowercases to "k" with str.lower(): "To\u212aen" must not become "token".
    auth = Authorization(scheme="To\u212aen", credentials="x")
    assert auth.scheme_key != "token"
    parsed = parse("To\u212aen abc")
    assert parsed is not None
    assert parsed.error is not None
    assert parsed.scheme_key != "token"


def test_repr_hides_credentials() -> None:
    auth = parse("Bearer s3cr3t-value")
    assert auth is not None
    assert "s3cr3t" not in repr(auth)
    assert "Bearer" in repr(auth)
    assert repr(auth) == "Authorization(scheme='Bearer', error=None)"  # nothing else either


# --- parse_authorization: malformed ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "scheme", "error"),
    [
        ("Basic", "Basic", "Invalid basic header. No credentials provided."),
        ("Token   ", "Token", "Invalid token header. No credentials provided."),
        (
            "Basic a b",
            "Basic",
            "Invalid basic header. Credentials string should not contain spaces.",
        ),
        (
            "Token a\tb",
            "Token",
            "Invalid token header. Credentials string should not contain spaces.",
        ),
        ("Bearer abc\x00def", "Bearer", "Authorization header contains invalid characters."),
        ("Bearer abc\r\nX: y", "Bearer", "Authorization header contains invalid characters."),
        ("Bearer abc\x7f", "Bearer", "Authorization header contains invalid characters."),
        ("Bearer abcé", "Bearer", "Authorization header contains invalid characters."),
        ("Bearer a\u200bb", "Bearer", "Authorization header contains invalid characters."),
        ("Bearer a\x85b", "Bearer", "Authorization header contains invalid characters."),
        ("B@sic abc", "B@sic", "Authorization header has an invalid scheme."),
        ('"Basic" abc', '"Basic"', "Authorization header has an invalid scheme."),
        ("Basic,x abc", "Basic,x", "Authorization header has an invalid scheme."),
        ("(Basic)", "(Basic)", "Authorization header has an invalid scheme."),
    ],
)
def test_malformed_headers_still_name_their_scheme(value: str, scheme: str, error: str) -> None:
    auth = parse(value)
    assert auth is not None
    assert auth.scheme == scheme
    assert auth.error == error


def test_an_over_long_scheme_is_bounded_and_invalid() -> None:
    auth = parse("A" * 1000 + " abc")
    assert auth is not None
    assert auth.scheme == "A" * SCHEME_SCAN_LIMIT
    assert auth.error == "Authorization header has an invalid scheme."


def test_too_long_header_keeps_its_scheme() -> None:
    value = "Bearer " + "a" * 100
    assert parse(value, max_length=len(value)).error is None  # type: ignore[union-attr]
    auth = parse(value, max_length=len(value) - 1)
    assert auth == Authorization("Bearer", "", "Authorization header is too long.")


def test_too_long_header_is_not_scanned_past_its_head() -> None:
    # Invalid characters far past the limit are not even looked at: "too long" wins.
    auth = parse("Bearer " + "a" * 10_000 + "\x00", max_length=100)
    assert auth is not None
    assert auth.error == "Authorization header is too long."
    assert auth.scheme == "Bearer"
    assert auth.credentials == ""


def test_too_long_header_scheme_comes_from_the_first_64_chars_only() -> None:
    auth = parse("  " + "S" * 200 + " x", max_length=50)
    assert auth is not None
    assert auth.scheme == "S" * (SCHEME_SCAN_LIMIT - 2)
    assert auth.error == "Authorization header is too long."


def test_huge_blank_header_is_none() -> None:
    assert parse(" " * 100_000, max_length=10) is None


def test_non_string_header_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(b"Basic abc")  # type: ignore[arg-type]


def test_malformed_header_is_logged_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="authgate.core.headers"):
        auth = parse("Bearer s3cr3t s3cr3t2")
    assert auth is not None and auth.error is not None
    assert "should not contain spaces" in caplog.text
    assert "s3cr3t" not in caplog.text


headers = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda s, sep, c: s + sep + c,
        st.sampled_from(["Basic", "Bearer", "token", "B@d", "", "é", "A" * 70]),
        st.sampled_from([" ", "  ", "\t", "", "\x00", " \r\n "]),
        st.text(alphabet=TOKEN68_CHARS + "= \t\x00é,\"'", max_size=80),
    ),
)


@given(headers, st.integers(min_value=0, max_value=300))
def test_parse_authorization_never_raises(value: str, max_length: int) -> None:
    auth = parse(value, max_length=max_length)
    stripped = value.strip(" \t")
    if not stripped:
        assert auth is None
        return
    assert isinstance(auth, Authorization)
    assert len(auth.scheme) <= max(SCHEME_SCAN_LIMIT, 0)
    assert stripped.startswith(auth.scheme)
    if auth.error is None:
        # A clean result is one RFC 9110 token, whitespace, and one run of visible ASCII.
        assert re.fullmatch(f"[{re.escape(TCHARS)}]+", auth.scheme)
        assert auth.credentials
        assert re.fullmatch(r"[\x21-\x7e]+", auth.credentials)
        assert len(value) <= max_length
    else:
        assert auth.error.endswith(".")


@settings(deadline=None, max_examples=10)
@given(st.text(min_size=1, max_size=3))
def test_parse_authorization_on_huge_input(chunk: str) -> None:
    value = "Bearer " + chunk * 1_000_000
    auth = parse(value, max_length=8192)
    assert auth is not None
    assert auth.error == "Authorization header is too long."


# --- token68 --------------------------------------------------------------------------


@pytest.mark.parametrize("credentials", ["abc", "a-b.c_d~e+f/g", "abc=", "abc==", "A", "9/+"])
def test_token68_accepts_valid_syntax(credentials: str) -> None:
    assert token68(parse(f"Bearer {credentials}")) == credentials  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ("=abc", "Invalid bearer header. Credentials contain invalid characters."),
        ("a=b", "Invalid bearer header. Credentials contain invalid characters."),
        ("abc!", "Invalid bearer header. Credentials contain invalid characters."),
        ('"abc"', "Invalid bearer header. Credentials contain invalid characters."),
        ("a,b", "Invalid bearer header. Credentials contain invalid characters."),
        ("a b", "Invalid bearer header. Credentials string should not contain spaces."),
        ("", "Invalid bearer header. No credentials provided."),
    ],
)
def test_token68_rejects_invalid_syntax(credentials: str, message: str) -> None:
    with pytest.raises(MalformedHeader) as excinfo:
        token68(Authorization("Bearer", credentials))
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)


def test_token68_raises_the_parse_error() -> None:
    auth = parse("Bearer abc\x00")
    assert auth is not None
    with pytest.raises(MalformedHeader, match="invalid characters"):
        token68(auth)


@given(headers)
def test_token68_raises_only_malformed_header(value: str) -> None:
    auth = parse(value)
    if auth is None:
        return
    try:
        credentials = token68(auth)
    except MalformedHeader as exc:
        assert str(exc)
    else:
        assert re.fullmatch(r"[A-Za-z0-9\-._~+/]+=*", credentials)


@given(st.text(alphabet=TOKEN68_CHARS, min_size=1, max_size=60), st.integers(0, 3))
def test_token68_round_trip(body: str, padding: int) -> None:
    credentials = body + "=" * padding
    assert token68(parse(f"Bearer {credentials}")) == credentials  # type: ignore[arg-type]


# --- decode_basic ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("user", "pass"),
        ("user", "pa:ss:word"),  # a password may contain colons
        ("", "pass"),
        ("user", ""),
        ("jörg", "pässwörd"),
        ("用户", "密码"),
        ("a b", "c d"),
    ],
)
def test_decode_basic_round_trip(user: str, password: str) -> None:
    assert decode_basic(b64(f"{user}:{password}")) == (user, password)


def test_decode_basic_falls_back_to_latin1() -> None:
    credentials = b64("jörg:pässwörd", encoding="latin-1")
    assert decode_basic(credentials) == ("jörg", "pässwörd")


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ("not base64!", "Credentials not correctly base64 encoded."),
        ("dXNlcjpwYXNz=", "Credentials not correctly base64 encoded."),
        ("dXNlcjpwYXN", "Credentials not correctly base64 encoded."),  # missing padding
        ("dXNlcjpwYXN=", "Credentials not correctly base64 encoded."),  # non-canonical bits
        ("dXNlcjpwYXM", "Credentials not correctly base64 encoded."),  # unpadded
        ("dXNl cjpwYXNz", "Credentials not correctly base64 encoded."),
        ("dXNlcjpwYXNz\n", "Credentials not correctly base64 encoded."),
        ("dXNlcjpw-XNz", "Credentials not correctly base64 encoded."),  # urlsafe alphabet
        ("dXNlcjpwYXNzé", "Credentials not correctly base64 encoded."),
        (b64("userpass"), "Credentials must be in the form username:password."),
        ("", "Credentials must be in the form username:password."),
        (b64("us\x00er:pass"), "Credentials contain control characters."),
        (b64("user:pa\nss"), "Credentials contain control characters."),
        (b64("user:pass\x7f"), "Credentials contain control characters."),
        (b64("user:pass\u0085"), "Credentials contain control characters."),
        (b64("user\t:pass"), "Credentials contain control characters."),
    ],
)
def test_decode_basic_errors(credentials: str, message: str) -> None:
    with pytest.raises(MalformedHeader) as excinfo:
        decode_basic(credentials)
    assert str(excinfo.value) == f"Invalid basic header. {message}"


no_control = st.characters(blacklist_categories=("Cc", "Cs"))


@given(st.text(alphabet=no_control).filter(lambda u: ":" not in u), st.text(alphabet=no_control))
def test_decode_basic_round_trips_any_text(user: str, password: str) -> None:
    assert decode_basic(b64(f"{user}:{password}")) == (user, password)


@given(st.one_of(st.text(), st.binary().map(lambda b: base64.b64encode(b).decode())))
def test_decode_basic_raises_only_malformed_header(credentials: str) -> None:
    try:
        user, password = decode_basic(credentials)
    except MalformedHeader as exc:
        assert str(exc).startswith("Invalid basic header. ")
    else:
        assert ":" not in user
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", user + password)


def test_basic_header_end_to_end() -> None:
    auth = parse("Basic " + b64("alice:open sesame"))
    assert auth is not None and auth.scheme_key == "basic"
    assert decode_basic(token68(auth)) == ("alice", "open sesame")


# --- format_challenge -----------------------------------------------------------------


def test_format_challenge() -> None:
    assert format_challenge("Basic", {"realm": "api"}) == 'Basic realm="api"'
    assert format_challenge("Bearer", {}) == "Bearer"
    assert (
        format_challenge(
            "Bearer",
            {"realm": "api", "error": "invalid_token", "error_description": "The token expired"},
        )
        == 'Bearer realm="api", error="invalid_token", error_description="The token expired"'
    )


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ("a\r\nSet-Cookie: x=1", '"aSet-Cookie: x=1"'),
        ("tab\there\x00\x7f\x85", '"tabhere"'),
        ("Ungültig", '"Ungultig"'),  # folded to ASCII (RFC 6750 §3)
        ("无效", '"??"'),
        ("line\u2028sep", '"linesep"'),
        ("", '""'),
    ],
)
def test_format_challenge_quotes_values(value: str, quoted: str) -> None:
    assert format_challenge("Bearer", {"error_description": value}) == (
        f"Bearer error_description={quoted}"
    )


def test_format_challenge_accepts_lazy_strings() -> None:
    class Lazy:
        def __str__(self) -> str:
            return "translated"

    assert format_challenge("Basic", {"realm": Lazy()}) == 'Basic realm="translated"'  # type: ignore[dict-item]


@pytest.mark.parametrize("scheme", ["", "Bear er", "Bearer\r\n", 'x"', "é"])
def test_format_challenge_rejects_bad_schemes(scheme: str) -> None:
    with pytest.raises(ValueError, match="scheme"):
        format_challenge(scheme, {})


@pytest.mark.parametrize("name", ["", "a b", "a=b", "a\n", 'a"'])
def test_format_challenge_rejects_bad_parameter_names(name: str) -> None:
    with pytest.raises(ValueError, match="parameter name"):
        format_challenge("Bearer", {name: "x"})


def _unquote(quoted: str) -> str:
    assert quoted.startswith('"') and quoted.endswith('"')
    return re.sub(r"\\(.)", r"\1", quoted[1:-1])


@given(st.text())
def test_format_challenge_output_is_one_safe_header_line(value: str) -> None:
    header = format_challenge("Bearer", {"realm": "api", "error_description": value})
    assert re.fullmatch(r"[\x20-\x7e]*", header)  # printable ASCII: no CR/LF injection
    match = re.fullmatch(r'Bearer realm="api", error_description=("(?:[^"\\]|\\.)*")', header)
    assert match is not None  # the quoted-string is well-formed: quotes are all escaped
    unquoted = _unquote(match.group(1))
    for char in unquoted:
        assert "\x20" <= char <= "\x7e"
    ascii_printable = "".join(c for c in value if "\x20" <= c <= "\x7e")
    if value == ascii_printable:
        assert unquoted == value  # printable ASCII survives unchanged


@given(headers, st.integers(min_value=0, max_value=300))
def test_the_one_match_fast_path_answers_as_the_general_path(value: str, max_length: int) -> None:
    general = _general_path(value, max_length)
    fast = parse(value, max_length=max_length)
    assert fast == general
    # What token68() then says: the fast path's "already a token68" must be the truth.
    assert _token68_outcome(fast) == _token68_outcome(general)
    if fast is not None and fast.is_token68:
        assert _token68_outcome(general) == ("ok", fast.credentials)


def _token68_outcome(auth: Authorization | None) -> tuple[str, str] | None:
    if auth is None:
        return None
    try:
        return ("ok", token68(auth))
    except MalformedHeader as exc:
        return ("refused", str(exc))


@pytest.mark.parametrize("value", ["Bearer agt_abc", "Basic dXNlcjpwdw==", "Token a.b-c_d~e+f/g="])
def test_well_formed_headers_take_the_fast_path(value: str) -> None:
    from authgate.core import headers as module

    assert module._SIMPLE_RE.fullmatch(value) is not None
    assert parse(value) == _general_path(value, 4096)


def _general_path(value: str, max_length: int) -> Authorization | None:
    from authgate.core import headers as module

    fast = module._SIMPLE_RE
    module._SIMPLE_RE = re.compile(r"(?!)")  # never matches: every header takes the long way
    try:
        return parse(value, max_length=max_length)
    finally:
        module._SIMPLE_RE = fast


# --- every character of the grammar, on both paths ------------------------------------------


@pytest.mark.parametrize("char", TCHARS)
def test_every_tchar_is_accepted_in_a_scheme_on_both_paths(char: str) -> None:
    # RFC 9110 §5.6.2 tchar: each one, at the start and inside, on the one-match path
    # (one space) and on the general path (the trailing tab sends it there).
    for scheme in (char + "x", "x" + char):
        fast = parse(f"{scheme} abc")
        general = parse(f"{scheme} abc\t")
        assert fast == general == Authorization(scheme, "abc")
        assert fast is not None and fast.is_token68  # the common header: one match
        assert format_challenge(scheme, {scheme: "v"}) == f'{scheme} {scheme}="v"'


@pytest.mark.parametrize("char", TOKEN68_CHARS)
def test_every_token68_character_is_accepted_on_both_paths(char: str) -> None:
    # RFC 9110 §11.2 token68, each character at the start and inside, and with padding.
    for credentials in (char + "a", "a" + char, "a" + char + "=", char + "=="):
        fast = parse(f"Bearer {credentials}")
        general = parse(f"Bearer {credentials} ")
        assert fast is not None and fast.is_token68
        assert general is not None and not general.is_token68
        assert token68(fast) == token68(general) == credentials


@pytest.mark.parametrize("credentials", ["=", "==", "=a", "a=b", "a b"])
def test_token68_needs_one_character_before_its_padding(credentials: str) -> None:
    for value in (f"Bearer {credentials}", f"Bearer {credentials} "):
        auth = parse(value)
        assert auth is not None and not auth.is_token68
        with pytest.raises(MalformedHeader):
            token68(auth)


def test_the_scheme_limit_is_64_characters() -> None:
    for value in ("S" * 64 + " abc", "S" * 64 + " abc\t"):
        assert parse(value) == Authorization("S" * 64, "abc")
    for value in ("S" * 65 + " abc", "S" * 65 + " abc\t"):
        auth = parse(value)
        assert auth is not None
        assert (auth.scheme, auth.error) == (
            "S" * 64,
            "Authorization header has an invalid scheme.",
        )
    too_long = parse("S" * 100, max_length=10)
    assert too_long is not None and too_long.scheme == "S" * 64


def test_only_spaces_and_tabs_are_stripped() -> None:
    # RFC 9110 §5.6.3 OWS is SP and HTAB, nothing else: not letters that look like padding.
    assert parse("\tXToken Xabc \t") == Authorization("XToken", "Xabc")
    assert parse(" Token abcX\t") == Authorization("Token", "abcX")
    assert parse("Token \t abc") == Authorization("Token", "abc")
    auth = parse("X" * 20 + " " + "a" * 20, max_length=10)
    assert auth is not None and auth.scheme == "X" * 20


def test_a_parsed_header_is_immutable_and_hashable() -> None:
    import dataclasses

    auth = parse("Bearer abc")
    assert auth is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        auth.scheme = "Basic"  # type: ignore[misc]
    assert hash(auth) == hash(Authorization("Bearer", "abc"))


def test_too_long_header_whose_head_is_blank_is_malformed_not_absent() -> None:
    # Blank for its first 64 characters but not blank: a header was sent, and it is too long.
    auth = parse(" " * 70 + "Bearer abc", max_length=10)
    assert auth == Authorization("", "", "Authorization header is too long.")
    assert parse(" " * 70 + "\t" * 70, max_length=10) is None


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", " Bearer\t"])
def test_a_header_without_credentials_has_empty_credentials(value: str) -> None:
    assert parse(value) == Authorization(
        "Bearer", "", "Invalid bearer header. No credentials provided."
    )


@pytest.mark.parametrize("credentials", ["a b", "a\tb", "\tab"])
def test_token68_names_whitespace_in_credentials_as_such(credentials: str) -> None:
    # Also for an Authorization built by hand, not by parse_authorization.
    with pytest.raises(MalformedHeader, match="should not contain spaces"):
        token68(Authorization("Bearer", credentials))


def test_format_challenge_escapes_only_quote_and_backslash() -> None:
    assert format_challenge("Bearer", {"error_description": "X-y_Z"}) == (
        'Bearer error_description="X-y_Z"'
    )
    assert format_challenge("Bearer", {"e": 'a"b\\c'}) == 'Bearer e="a\\"b\\\\c"'


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("a\u200bb", "ab"),  # ZERO WIDTH SPACE, a format character (Cf): dropped
        ("a\u2029b", "ab"),  # PARAGRAPH SEPARATOR (Zp): dropped
        ("a\u2028b", "ab"),  # LINE SEPARATOR (Zl): dropped
        ("a\u4e2db", "a?b"),  # any other non-ASCII character: "?"
    ],
)
def test_format_challenge_drops_invisible_characters(value: str, quoted: str) -> None:
    assert format_challenge("Bearer", {"error_description": value}) == (
        f'Bearer error_description="{quoted}"'
    )


@pytest.mark.parametrize("bad", [42, None, b"Bearer"])
def test_format_challenge_refuses_non_string_names_with_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="scheme must be an RFC 9110 token"):
        format_challenge(bad, {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="parameter name must be an RFC 9110 token"):
        format_challenge("Bearer", {bad: "v"})  # type: ignore[dict-item]
