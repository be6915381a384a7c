"""Masking secrets in credential mappings and free text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core.redaction import (
    MASK,
    clean_credentials_for_display,
    is_sensitive_name,
    redact_text,
)


def test_clean_credentials_masks_the_djblets_pattern_in_any_case():
    cleaned = clean_credentials_for_display(
        {
            "username": "alice",
            "Password": "p",
            "API_KEY": "k",
            "x-signature": "s",
            "myToken": "t",
            "note": "n",
        }
    )
    assert cleaned == {
        "username": "alice",
        "Password": MASK,
        "API_KEY": MASK,
        "x-signature": MASK,
        "myToken": MASK,
        "note": "n",
    }


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Basic YWxpY2U6cHc=", "YWxpY2U6cHc="),
        ("header bearer abc.def-ghi", "abc.def-ghi"),
        (
            "Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
            "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        ),
        ("/x?sesame=AAECAwQFBgcICQ&y=1", "AAECAwQFBgcICQ"),
        ("/x?TOKEN=ags1_eyJ1IjoxfQ.c2ln", "ags1_eyJ1IjoxfQ.c2ln"),
        ("used agt_" + "a" * 42 + " here", "agt_" + "a" * 42),
        ('{"password": "hunter2"}', "hunter2"),
        ("password='hunter2'", "hunter2"),
        ("Cookie: sessionid=abc123; csrftoken=xyz", "xyz"),
    ],
)
def test_redact_text_masks(text, secret):
    assert secret not in redact_text(text)


def test_redact_text_masks_configured_names():
    assert "s3cret" not in redact_text("/login?magic=s3cret", extra_names=["magic"])
    assert "keep" in redact_text("/login?page=keep")


@given(st.text())
def test_redact_text_never_raises(text):
    assert isinstance(redact_text(text), str)


# --- exactly what is masked (found by make mutate) ----------------------------------------------


def test_the_mask_is_twelve_stars():
    assert MASK == "*" * 12
    assert redact_text("password=x") == "password=" + "*" * 12


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        *[(n, True) for n in ("api", "X-Api-Version", "token", "KEY", "secret", "password")],
        *[(n, True) for n in ("signature", "Authorization", "proxy-authorization", "COOKIE")],
        *[(n, True) for n in ("set-cookie", "Sesame")],
        # The second list matches whole names only.
        *[(n, False) for n in ("username", "authorization-hint", "x-cookie", "cookies", "note")],
    ],
)
def test_sensitive_names(name, sensitive):
    assert is_sensitive_name(name) is sensitive


@pytest.mark.parametrize("scheme", ["Basic", "bearer", "TOKEN", "TmpToken", "Digest", "ApiKey"])
def test_every_known_scheme_masks_its_credentials_up_to_a_separator(scheme):
    for end in (" next", "'", '"', ",next", ";next", "\tnext"):
        text = f"{scheme} s3cr3t{end}"
        redacted = redact_text(text)
        assert "s3cr3t" not in redacted
        assert redacted == f"{scheme} {MASK}{end}"
    assert redact_text(f"x{scheme} s3cr3t") == f"x{scheme} s3cr3t"  # a word boundary first
    assert redact_text(f"{scheme}  ") == f"{scheme}  "  # nothing to mask


@pytest.mark.parametrize(
    "token",
    [
        "agt_" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",  # every class of the body
        "ab_" + "z" * 42,  # the shortest prefix
        "a1b2c3d4e5_" + "Q" * 42,  # the longest, digits included
        "ags1_" + "aZ09_-." * 3,  # signed tokens: letters, digits, "_", "-", "."
        "agl12_" + "Abcdefgh",  # the shortest signed token body
        "eyJhbGciOi.eyJzdWIiOjF9.c2ln-_AZ09",  # a JWT, every character class
        "eyJhbGciOi.ey.",  # the shortest JWT shape
    ],
)
def test_token_shapes_are_masked_whole(token):
    assert redact_text(f"see {token} here") == f"see {MASK} here"


@pytest.mark.parametrize(
    "text",
    [
        "a_" + "z" * 42,  # 1-letter prefix: not a token shape
        "abcdefghijk_" + "z" * 42,  # 11 letters
        "agt_" + "z" * 41,  # one short
        "Agt_" + "z" * 42,  # uppercase prefix
        "ags1_" + "a" * 7,  # signed body too short
        "eyJhbGci.x.y",  # JWT header too short
        "agt_" + "z" * 43,  # one too long
    ],
)
def test_near_token_shapes_are_left_alone(text):
    assert redact_text(f"see {text} here") == f"see {text} here"


@pytest.mark.parametrize("name", ["api_key", "X-Api-Key", "token.v2", "TOKEN2", "my-secret"])
def test_sensitive_pairs_are_masked_whatever_the_name_is_made_of(name):
    assert redact_text(f"{name}=v4lue&page=2") == f"{name}={MASK}&page=2"
    assert redact_text(f'{{"{name}": "v4lue"}}') == f'{{"{name}": "{MASK}"}}'
    assert redact_text(f"{{'{name}': 'v4lue'}}") == f"{{'{name}': \"{MASK}\"}}"
    assert redact_text(f"{name}=") == f"{name}="  # no value, nothing to mask
