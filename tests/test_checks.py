"""System checks: each bad setting yields its id and a hint."""

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.test import override_settings


def ids(**authgate):
    with override_settings(AUTHGATE=authgate):
        return {message.id for message in run_checks() if message.id.startswith("authgate.")}


def test_default_settings_pass(settings):
    settings.DEBUG = True  # W002 (per-process rate limits) is only for production
    # The suite's URLconf requires scopes (registered, or authgate.W004 says so) and mounts
    # the request-a-link form (a base for its links, or authgate.W062).
    mounted = {key: django_settings.AUTHGATE[key] for key in ("SCOPES", "LINK_BASE_URL")}
    assert ids(**mounted) == set()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"BACKENDS": []}, "authgate.E002"),
        ({"BACKENDS": ["no.such.Backend"]}, "authgate.E002"),
        ({"BACKENDS": ["django.http.HttpRequest"]}, "authgate.E002"),
        ({"LOGIN_LIMIT_RATE": "five a minute"}, "authgate.E003"),
        ({"MAX_HEADER_LENGTH": 10}, "authgate.E004"),
        ({"CACHE": "nope"}, "authgate.E005"),
        ({"UNAUTHENTICATED_USER": "no.such.User"}, "authgate.E006"),
        ({"SCOPES": {"Notes Read": "x"}}, "authgate.E026"),  # shared by every kind
        ({"BACKENDZ": []}, "authgate.W001"),
    ],
)
def test_bad_settings_are_reported(settings, expected):
    assert expected in ids(**settings)


def test_typo_gets_a_did_you_mean_hint():
    with override_settings(AUTHGATE={"BACKENDZ": []}):
        (warning,) = [m for m in run_checks() if m.id == "authgate.W001"]
    assert warning.hint == "Did you mean 'BACKENDS'?"


def test_middleware_order_is_checked(settings):
    settings.MIDDLEWARE = [
        "authgate.middleware.AuthgateMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    assert "authgate.E007" in {m.id for m in run_checks()}


def test_locmem_rate_limits_warn_in_production(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert "authgate.W002" in {m.id for m in run_checks()}
