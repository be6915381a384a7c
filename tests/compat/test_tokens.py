"""Switching from DRF authtoken, knox and djangorestframework-api-key by the guide alone.

Each test builds the project on the old package — its real views and authentication
classes, clients holding real credentials they got from it — then switches with the
settings block of docs/howto/migrate.md (read from the page itself) and the guide's
command, and shows every old credential still working, new tokens working, and the old
ones refused once the window closes.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.backend import DEPRECATED_HEADER
from authgate.schemes.tokens.models import APIToken

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.compat.urls")]

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "howto" / "migrate.md"
WHOAMI = "/legacy/whoami/"
DRF_TOKEN_AUTH = "rest_framework.authentication.TokenAuthentication"
KNOX_AUTH = "knox.auth.TokenAuthentication"


def guide_settings(heading: str) -> dict[str, Any]:
    """The settings block of the guide's section ``heading``, executed."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    block = next(b for b in blocks if "AUTHGATE = {" in b)
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(block), namespace)  # noqa: S102 (our own documentation)
    return {"AUTHGATE": namespace["AUTHGATE"], "REST_FRAMEWORK": namespace["REST_FRAMEWORK"]}


def switched(heading: str, **authgate: Any) -> override_settings:
    """The project after the guide's step: its settings block over the test settings."""
    block = guide_settings(heading)
    base = {k: v for k, v in settings.AUTHGATE.items() if k != "BACKENDS"}
    return override_settings(
        AUTHGATE={**base, **block["AUTHGATE"], **authgate},
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, **block["REST_FRAMEWORK"]},
    )


def on_old_package(*classes: str) -> override_settings:
    """The project before authgate: the old package's classes, no authgate middleware."""
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": classes},
        MIDDLEWARE=[m for m in settings.MIDDLEWARE if not m.startswith("authgate.")],
    )


def manage(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("authgate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def whoami(credential: str, keyword: str = "Token") -> Any:
    return Client().get(WHOAMI, HTTP_AUTHORIZATION=f"{keyword} {credential}")


# --- DRF authtoken ---------------------------------------------------------------------------


def test_drf_clients_keep_their_keys(make_user: Callable[..., Any]) -> None:
    alice, bob = make_user("alice", "pw-a"), make_user("bob", "pw-b")
    with on_old_package(DRF_TOKEN_AUTH):
        # The clients got their keys from DRF's own view.
        keys = {
            user.get_username(): Client()
            .post("/legacy/token-auth/", {"username": user.get_username(), "password": pw})
            .json()["token"]
            for user, pw in ((alice, "pw-a"), (bob, "pw-b"))
        }
        assert whoami(keys["alice"]).json()["user"] == "alice"

    out, err = manage("import-drf-tokens")
    assert "Imported 2 DRF token(s)" in out and "TOKEN_ACCEPT_DRF_KEYS" in err
    assert APIToken.objects.filter(expires__isnull=True).count() == 2  # DRF's: never

    with switched("From `rest_framework.authtoken`"):
        for name, key in keys.items():
            response = whoami(key)
            assert response.status_code == 200 and response.json()["user"] == name
            assert DEPRECATED_HEADER in response
        # Something still makes DRF keys (obtain_auth_token left mounted): they work too.
        carol = make_user("carol", "pw-c")
        late = Client().post("/legacy/token-auth/", {"username": "carol", "password": "pw-c"})
        assert whoami(late.json()["token"]).json()["user"] == "carol"
        assert whoami(late.json()["token"]).status_code == 200  # imported: no longer late
        # New tokens are authgate's, with no deprecation.
        _row, plaintext = tokens.issue(carol)
        fresh = whoami(plaintext, "Bearer")
        assert fresh.status_code == 200 and DEPRECATED_HEADER not in fresh
        assert whoami("0123456789abcdef" * 2 + "01234567").status_code == 401
        listed, _ = manage("list", "--legacy")
        assert "drf_" + keys["alice"][:6] in listed and "drf" in listed

    with switched("From `rest_framework.authtoken`", TOKEN_ACCEPT_DRF_KEYS=False):
        assert whoami(keys["alice"]).status_code == 401  # the window closed


def test_import_drf_tokens_in_every_state_of_the_guide(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.apps import apps
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=user)
    assert "Imported 1" in manage("import-drf-tokens")[0]
    assert "Imported 0" in manage("import-drf-tokens")[0]  # again: nothing twice
    # The guide's last step: rest_framework.authtoken gone from INSTALLED_APPS (as the
    # app registry answers; its table is still there): the command reads the table.
    Token.objects.create(user=tokens_user(user))
    installed = apps.is_installed
    monkeypatch.setattr(
        apps, "is_installed", lambda name: name != "rest_framework.authtoken" and installed(name)
    )
    out, _ = manage("import-drf-tokens")
    assert "Imported 1" in out
    with pytest.raises(CommandError, match=r"--delete needs rest_framework\.authtoken"):
        manage("import-drf-tokens", "--delete")
    # And once the table is gone too, it says there is nothing left to do.
    monkeypatch.setattr(
        "authgate.schemes.tokens.legacy_import._table_rows", lambda table, columns: None
    )
    with pytest.raises(CommandError, match="nothing left to import"):
        manage("import-drf-tokens")
    monkeypatch.undo()
    assert APIToken.objects.filter(token_format="drf").count() == 2
    manage("import-drf-tokens", "--expires-in", "30d", "--delete")
    assert not Token.objects.exists()


def tokens_user(user: Any) -> Any:
    model = type(user)
    other = model(**{model.USERNAME_FIELD: "dave"})
    other.set_unusable_password()
    other.save()
    return other


# --- knox --------------------------------------------------------------------------------------


def test_knox_clients_keep_their_tokens(make_user: Callable[..., Any]) -> None:
    alice = make_user("alice", "pw-a")
    with (
        on_old_package(KNOX_AUTH),
        override_settings(REST_KNOX={"TOKEN_PREFIX": "kx_", "TOKEN_TTL": timedelta(hours=10)}),
    ):
        login = Client().post("/legacy/knox/login/", HTTP_AUTHORIZATION=basic("alice", "pw-a"))
        token, expiry = login.json()["token"], login.json()["expiry"]
        other = Client().post("/legacy/knox/login/", HTTP_AUTHORIZATION=basic("alice", "pw-a"))
        gone = other.json()["token"]
        assert token.startswith("kx_") and whoami(token).json()["user"] == "alice"
        logout = Client().post("/legacy/knox/logout/", HTTP_AUTHORIZATION=f"Token {gone}")
        assert logout.status_code == 204
        # An expired knox token (knox deletes it on its next use; here: not yet).
        _instance, expired = make_knox_token(alice, timedelta(seconds=-5))

    out, err = manage("import-knox-tokens")
    assert "Imported 2 knox token(s)" in out and "TOKEN_ACCEPT_KNOX_TOKENS" in err
    row = APIToken.objects.get(display_prefix=token[:15])
    assert row.expires is not None
    assert row.expires.isoformat()[:16] == expiry[:16]  # knox's expiry, carried over

    with switched("From django-rest-knox"):
        response = whoami(token)
        assert response.status_code == 200 and response.json()["user"] == "alice"
        assert DEPRECATED_HEADER in response
        assert whoami(gone).status_code == 401  # logged out in knox before the import
        assert whoami(expired).json()["error"] == "expired_token"
        assert whoami(token[:-1] + ("0" if token[-1] != "0" else "1")).status_code == 401
        # A knox logout after the import is carried by the next import.
        from knox.models import AuthToken

        AuthToken.objects.filter(token_key=token[:15]).delete()
        out, _ = manage("import-knox-tokens")
        assert "revoked 1" in out
        assert whoami(token).json()["error"] == "revoked_token"

    with switched("From django-rest-knox", TOKEN_ACCEPT_KNOX_TOKENS=False):
        assert whoami(expired).status_code == 401


def test_a_knox_token_with_another_prefix_key_is_refused(user: Any) -> None:
    _instance, token = make_knox_token(user, timedelta(hours=1))
    manage("import-knox-tokens")
    APIToken.objects.filter(token_format="knox").update(display_prefix="x" * 15)
    with switched("From django-rest-knox"):
        assert whoami(token).status_code == 401  # digest matches, knox's key does not


def make_knox_token(user: Any, ttl: timedelta) -> tuple[Any, str]:
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user, expiry=ttl)  # type: ignore[no-any-return]


def basic(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# --- djangorestframework-api-key ----------------------------------------------------------------


def test_api_key_clients_keep_their_keys(make_user: Callable[..., Any]) -> None:
    from rest_framework_api_key.models import APIKey

    make_user("svc-partners", None)
    _key, current = APIKey.objects.create_key(name="partner A")
    expiring, soon = APIKey.objects.create_key(
        name="partner B", expiry_date=timezone.now() + timedelta(days=3)
    )
    revoked, dead = APIKey.objects.create_key(name="partner C")
    APIKey.objects.filter(pk=revoked.pk).update(revoked=True)
    # A key from djangorestframework-api-key 2 (a Django password hash, not sha512$$).
    old, old_key = APIKey.objects.create_key(name="partner D")
    APIKey.objects.filter(pk=old.pk).update(hashed_key=make_password(old_key))
    partner = Client()
    for key in (current, soon, old_key):
        feed = partner.get("/legacy/partner/", HTTP_AUTHORIZATION=f"Api-Key {key}")
        assert feed.status_code == 200
    assert partner.get("/legacy/partner/", HTTP_AUTHORIZATION=f"Api-Key {dead}").status_code == 403

    out, err = manage("import-api-keys", "--user", "svc-partners")
    assert "Imported 4 API key(s)" in out and "TOKEN_ACCEPT_API_KEYS" in err
    row = APIToken.objects.get(display_prefix=expiring.prefix)
    assert row.name == "partner B" and row.expires == expiring.expiry_date
    assert row.user.get_username() == "svc-partners"

    with switched("From djangorestframework-api-key"):
        for key in (current, soon, old_key):
            response = whoami(key, "Api-Key")
            assert response.status_code == 200, response.content
            assert response.json()["user"] == "svc-partners"
            assert DEPRECATED_HEADER in response
        assert whoami(dead, "Api-Key").json()["error"] == "revoked_token"
        # One character changed (to one it is not already: a random key may end in "x").
        altered = current[:-1] + ("y" if current.endswith("x") else "x")
        assert whoami(altered, "Api-Key").status_code == 401
        # After its first use a key is found by digest: its hash is gone from the row.
        row = APIToken.objects.get(display_prefix=_key.prefix)
        assert "hashed_key" not in row.extra_data and ":" not in row.digest
        assert whoami(current, "Api-Key").status_code == 200
        # Revoked in the old admin after the import: the next import carries it.
        APIKey.objects.filter(pk=_key.pk).update(revoked=True)
        assert "revoked 1" in manage("import-api-keys", "--user", "svc-partners")[0]
        assert whoami(current, "Api-Key").json()["error"] == "revoked_token"

    with switched("From djangorestframework-api-key", TOKEN_ACCEPT_API_KEYS=False):
        assert whoami(soon, "Api-Key").status_code in (401, 403)  # not even a keyword now


def test_import_api_keys_can_make_a_user_per_key() -> None:
    from rest_framework_api_key.models import APIKey

    first, key = APIKey.objects.create_key(name="one")
    APIKey.objects.create_key(name="two")
    out, _ = manage("import-api-keys", "--create-users", "svc-")
    assert "created 2 user(s)" in out
    with switched("From djangorestframework-api-key"):
        assert whoami(key, "Api-Key").json()["user"] == f"svc-{first.prefix}"
