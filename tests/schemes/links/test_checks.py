"""System checks for the magic-link settings (authgate.E060 to W069)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from authgate.schemes.links.checks import MIDDLEWARE_PATH, check_link_settings
from tests.schemes.links.helpers import link_settings


def ids(**overrides: Any) -> set[str]:
    with link_settings(**overrides):
        return {message.id for message in check_link_settings()}


def test_defaults_are_clean() -> None:
    assert ids() == set()


def test_the_insecure_combination_is_refused() -> None:
    with link_settings(INVALIDATE_ON_PASSWORD_CHANGE=False):
        (message,) = check_link_settings()
    assert message.id == "authgate.E060"
    assert "LINK_MAX_AGE" in message.hint
    assert ids(INVALIDATE_ON_PASSWORD_CHANGE=False, MAX_AGE=timedelta(minutes=5)) == set()


@pytest.mark.parametrize("value", [0, -5, 0.5, "10", timedelta(0), True])
def test_bad_max_age(value: Any) -> None:
    assert "authgate.E061" in ids(MAX_AGE=value)


@pytest.mark.parametrize("value", [[], "authgate.core.links_v1", [1]])
def test_bad_token_format_list(value: Any) -> None:
    assert ids(TOKENS=value) == {"authgate.E062"}


@pytest.mark.parametrize("entry", ["no.such.module", "authgate.core.packers"])
def test_bad_token_format_entry(entry: str) -> None:
    assert ids(TOKENS=["authgate.core.links_v1", entry]) == {"authgate.E063"}


def test_a_second_format_module_is_fine() -> None:
    assert ids(TOKENS=["tests.schemes.links.support", "authgate.core.links_v1"]) == set()


@pytest.mark.parametrize("path", ["no.such.Packer", "authgate.core.packers.packer_for", 42])
def test_bad_packer(path: Any) -> None:
    assert ids(PACKER=path) == {"authgate.E064"}


def test_custom_packer_is_fine() -> None:
    assert ids(PACKER="tests.schemes.links.support.MarkedPacker") == set()


@pytest.mark.parametrize("field", ["no_such_field", "first_name", ""])
def test_bad_primary_key_field(field: str) -> None:
    assert ids(PRIMARY_KEY_FIELD=field) == {"authgate.E065"}


def test_a_unique_field_is_fine() -> None:
    from django.contrib.auth import get_user_model

    assert ids(PRIMARY_KEY_FIELD=get_user_model().USERNAME_FIELD) == set()


@pytest.mark.parametrize("size", [7, 65, "10", None, True])
def test_signature_size_out_of_range(size: Any) -> None:
    assert ids(SIGNATURE_SIZE=size) == {"authgate.E066"}


@pytest.mark.parametrize("size", [8, 10, 64])
def test_signature_size_in_range(size: int) -> None:
    assert ids(SIGNATURE_SIZE=size) == set()


def test_bad_key() -> None:
    assert ids(KEY=b"bytes") == {"authgate.E067"}


@pytest.mark.parametrize("name", ["", "a b", "x&y", None])
def test_bad_token_name(name: Any) -> None:
    assert ids(TOKEN_NAME=name) == {"authgate.E068"}


def test_token_name_shared_with_api_tokens() -> None:
    assert ids(TOKEN_NAME="t", other={"TOKEN_QUERY_PARAM": "t"}) == {"authgate.E068"}


def test_flags_must_be_booleans() -> None:
    assert ids(ONE_TIME="yes", MAX_AGE=60) == {"authgate.E069"}


def test_one_time_without_max_age_warns() -> None:
    assert ids(ONE_TIME=True) == {"authgate.W060"}
    assert ids(ONE_TIME=True, MAX_AGE=600) == set()


def test_middleware_order() -> None:
    middleware = list(django_settings.MIDDLEWARE)
    with override_settings(MIDDLEWARE=[MIDDLEWARE_PATH, *middleware]):
        assert ids() == {"authgate.W061"}
    with override_settings(MIDDLEWARE=[*middleware, MIDDLEWARE_PATH]):
        assert ids() == set()


def test_the_checks_are_registered() -> None:
    from django.core import checks

    with link_settings(INVALIDATE_ON_PASSWORD_CHANGE=False):
        found = {message.id for message in checks.run_checks(tags=["security"])}
    assert "authgate.E060" in found


@pytest.mark.parametrize(
    "value",
    ["example.com", "https://example.com/app/", "ftp://example.com", "https://x.org?a=1", 5],
)
def test_bad_base_url(value: Any) -> None:
    assert ids(BASE_URL=value) == {"authgate.E070"}


@pytest.mark.parametrize(
    "value", ["https://example.com", "http://127.0.0.1:8000/", "https://[::1]:8443", None]
)
def test_good_base_url(value: Any) -> None:
    assert "authgate.E070" not in ids(BASE_URL=value)


def test_the_mounted_request_form_needs_a_base() -> None:
    """The suite's URLconf mounts /auth/links/request/: without LINK_BASE_URL (or the Sites
    framework) its links would come from the request's host, hence a warning."""
    with link_settings(BASE_URL=None):
        (message,) = check_link_settings()
    assert message.id == "authgate.W062"
    assert "/auth/links/request/" in message.msg
    assert "LINK_BASE_URL" in message.hint


def test_no_base_is_needed_without_the_request_form() -> None:
    with link_settings(BASE_URL=None), override_settings(ROOT_URLCONF="tests.views_only_urls"):
        assert ids(BASE_URL=None) == set()
