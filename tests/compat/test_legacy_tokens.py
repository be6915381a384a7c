"""Imported DRF, knox and api-key credentials: one indexed query each, like an ``agt_``
token, and ``manage.py check`` catching each mistake of the migration guide's readers."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings
from django.core import checks
from django.test import Client, override_settings

from authgate.schemes.tokens import legacy
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.legacy_import import (
    import_api_keys,
    import_drf_tokens,
    import_knox_tokens,
)
from authgate.schemes.tokens.models import APIToken

pytestmark = pytest.mark.django_db

TOKEN_BACKEND = "authgate.schemes.tokens.backend.TokenBackend"
ALL_ON = {
    "TOKEN_ACCEPT_DRF_KEYS": True,
    "TOKEN_ACCEPT_KNOX_TOKENS": True,
    "TOKEN_ACCEPT_API_KEYS": True,
}


def authgate(**values: Any) -> override_settings:
    return override_settings(AUTHGATE={**settings.AUTHGATE, **values})


def ids(*, database: bool = False) -> list[str]:
    found = checks.run_checks(databases=["default"] if database else None)
    return sorted(m.id for m in found if m.id and m.id[:-1] in {"authgate.E03", "authgate.W03"})


@pytest.fixture
def legacy_credentials(user: Any) -> dict[str, str]:
    """One credential of each package, imported."""
    from knox.models import AuthToken
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey

    drf = Token.objects.create(user=user).key
    _row, knox = AuthToken.objects.create(user=user)
    _key, api_key = APIKey.objects.create_key(name="partner")
    import_drf_tokens()
    import_knox_tokens()
    import_api_keys(username=user.get_username(), create_users=None)
    return {"drf": drf, "knox": knox, "api_key": api_key}


def get(credential: str, keyword: str) -> Any:
    return Client().get("/api/whoami/", HTTP_AUTHORIZATION=f"{keyword} {credential}")


@pytest.mark.parametrize(
    ("kind", "keyword"), [("drf", "Token"), ("knox", "Token"), ("api_key", "Api-Key")]
)
def test_an_imported_credential_costs_one_indexed_query_like_an_agt_token(
    user: Any,
    legacy_credentials: dict[str, str],
    django_assert_num_queries: Any,
    kind: str,
    keyword: str,
) -> None:
    _row, plaintext = tokens.issue(user)
    with authgate(**ALL_ON):
        assert get(plaintext, "Bearer").status_code == 200
        assert get(legacy_credentials[kind], keyword).status_code == 200  # the first use
        with django_assert_num_queries(1) as agt:
            assert get(plaintext, "Bearer").status_code == 200
        with django_assert_num_queries(1) as imported:
            response = get(legacy_credentials[kind], keyword)
        assert response.status_code == 200 and "X-API-Token-Deprecated" in response
    (sql,) = [query["sql"] for query in imported.captured_queries]
    # The same statement, the digest index: only the digest looked up differs.
    assert sql.rsplit("=", 1)[0] == agt.captured_queries[0]["sql"].rsplit("=", 1)[0]
    assert '"digest" =' in sql.replace("`", '"')


def test_an_api_key_is_checked_with_its_hasher_once(
    user: Any, legacy_credentials: dict[str, str], django_assert_num_queries: Any
) -> None:
    row = APIToken.objects.get(token_format="apikey")
    assert row.digest == legacy.api_key_placeholder(row.display_prefix)
    with authgate(**ALL_ON):
        # The first use: the digest misses, the row is found by its prefix, its hash is
        # checked and replaced (a conditional UPDATE).
        with django_assert_num_queries(3):
            assert get(legacy_credentials["api_key"], "Api-Key").status_code == 200
        # A wrong secret with the same prefix now costs the digest lookup and the
        # placeholder lookup, which finds nothing: no hasher runs again.
        prefix = row.display_prefix
        with django_assert_num_queries(2):
            assert get(f"{prefix}.{'x' * 32}", "Api-Key").status_code == 401


def test_every_deprecated_use_is_logged_and_counted(
    user: Any, legacy_credentials: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with authgate(**ALL_ON), caplog.at_level(logging.INFO, logger=legacy.__name__):
        for _ in range(3):
            assert get(legacy_credentials["knox"], "Token").status_code == 200
    row = APIToken.objects.get(token_format="knox")
    assert legacy.uses(row) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == legacy.__name__]
    assert sum(row.display_prefix in line for line in lines) == 3
    assert not any(legacy_credentials["knox"] in line for line in lines)


def test_legacy_credentials_are_refused_while_their_setting_is_off(
    legacy_credentials: dict[str, str],
) -> None:
    assert get(legacy_credentials["drf"], "Token").status_code == 401
    assert get(legacy_credentials["knox"], "Token").status_code == 401
    assert get(legacy_credentials["api_key"], "Api-Key").status_code in (401, 403)
    # One setting does not open the others.
    with authgate(TOKEN_ACCEPT_DRF_KEYS=True):
        assert get(legacy_credentials["drf"], "Token").status_code == 200
        assert get(legacy_credentials["knox"], "Token").status_code == 401


# --- manage.py check --------------------------------------------------------------------------


def test_accepting_legacy_credentials_without_a_token_backend_is_an_error() -> None:
    backends = [b for b in settings.AUTHGATE["BACKENDS"] if b != TOKEN_BACKEND]
    for key in ALL_ON:
        with authgate(BACKENDS=backends, **{key: True}):
            assert "authgate.E033" in ids()
    with authgate(TOKEN_ACCEPT_DRF_KEYS=True):
        assert "authgate.E033" not in ids()


def test_the_keyword_old_clients_send_must_be_accepted() -> None:
    with authgate(TOKEN_ACCEPT_DRF_KEYS=True, TOKEN_KEYWORDS=["Bearer"]):
        assert "authgate.E034" in ids()
    with (
        authgate(TOKEN_ACCEPT_KNOX_TOKENS=True),
        override_settings(REST_KNOX={"AUTH_HEADER_PREFIX": "Knox"}),
    ):
        assert "authgate.E034" in ids()


@pytest.mark.parametrize(
    "other", ["rest_framework.authentication.TokenAuthentication", "knox.auth.TokenAuthentication"]
)
def test_the_old_token_class_beside_authgates_is_a_warning(other: str) -> None:
    classes = ["authgate.contrib.drf.AuthgateAuthentication", other]
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": classes}
    ):
        assert ids() == ["authgate.W033"]


def test_a_custom_api_key_header_is_a_warning() -> None:
    with authgate(TOKEN_ACCEPT_API_KEYS=True), override_settings(API_KEY_CUSTOM_HEADER="HTTP_X"):
        assert ids() == ["authgate.W034"]


def test_drf_keys_created_after_the_import_are_found(user: Any) -> None:
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=user)
    assert "authgate.W035" not in ids(database=True)  # nothing imported yet
    import_drf_tokens()
    assert "authgate.W035" not in ids(database=True)
    Token.objects.filter(user=user).delete()
    Token.objects.create(user=user)  # obtain_auth_token still mounted, say
    assert "authgate.W035" in ids(database=True)


def test_the_admin_shows_imported_credentials_and_their_uses(
    admin_client: Any, legacy_credentials: dict[str, str]
) -> None:
    with authgate(**ALL_ON):
        for _ in range(2):
            assert get(legacy_credentials["drf"], "Token").status_code == 200
    row = APIToken.objects.get(token_format="drf")
    listing = admin_client.get("/admin/authgate/apitoken/", {"token_format__exact": "drf"})
    assert row.display_prefix in listing.content.decode()
    assert "imported DRF key (deprecated)" in listing.content.decode()
    page = admin_client.get(f"/admin/authgate/apitoken/{row.pk}/change/").content.decode()
    label = page.index("eprecated uses (counted in the cache)")
    assert '<div class="readonly">2</div>' in page[label : label + 300]
