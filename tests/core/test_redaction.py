"""Masking secrets in credential mappings and free text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core.redaction import MASK, clean_credentials_for_display, redact_text


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
