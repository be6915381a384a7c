"""System checks authgate.E100-E109 for the HTTPSIG_* settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from authgate.schemes.httpsig.checks import check_httpsig_settings
from tests.schemes.httpsig.conftest import BACKEND


def ids(**authgate: Any) -> set[str]:
    with override_settings(AUTHGATE=authgate):
        return {m.id for m in check_httpsig_settings()}


def test_defaults_pass() -> None:
    assert ids() == set()
    assert ids(BACKENDS=[BACKEND], HTTPSIG_CLOCK_SKEW=0, HTTPSIG_LABEL="sig1") == set()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"HTTPSIG_REQUIRED_COMPONENTS": "@method"}, "authgate.E100"),
        ({"HTTPSIG_REQUIRED_COMPONENTS": ["@method", "@status"]}, "authgate.E100"),
        ({"HTTPSIG_REQUIRED_COMPONENTS": ["@method", "Content-Type"]}, "authgate.E100"),
        ({"HTTPSIG_REQUIRED_COMPONENTS": ["@method", "@path"]}, "authgate.E101"),
        ({"HTTPSIG_REQUIRED_COMPONENTS": ["@target-uri"]}, "authgate.E101"),
        ({"HTTPSIG_MAX_AGE": 0}, "authgate.E102"),
        ({"HTTPSIG_MAX_AGE": timedelta(seconds=1.5)}, "authgate.E102"),
        ({"HTTPSIG_CLOCK_SKEW": -1}, "authgate.E103"),
        ({"HTTPSIG_CLOCK_SKEW": timedelta(minutes=10)}, "authgate.E103"),
        ({"HTTPSIG_ALGORITHMS": []}, "authgate.E104"),
        ({"HTTPSIG_ALGORITHMS": ["none"]}, "authgate.E104"),
        ({"HTTPSIG_LABEL": "Sig 1"}, "authgate.E105"),
        ({"HTTPSIG_REQUIRE_NONCE": "yes"}, "authgate.E106"),
        ({"HTTPSIG_MAX_HEADER_LENGTH": 10}, "authgate.E107"),
    ],
)
def test_bad_settings(overrides: dict[str, Any], expected: str) -> None:
    assert expected in ids(**overrides)


def test_dummy_cache_cannot_remember_nonces() -> None:
    caches = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=caches):
        assert "authgate.E108" in ids(BACKENDS=[BACKEND])
        assert "authgate.E108" not in ids()


def test_registered_with_django() -> None:
    with override_settings(AUTHGATE={"HTTPSIG_LABEL": "Bad Label"}):
        assert "authgate.E105" in {m.id for m in run_checks()}


def test_missing_extra_is_reported_only_with_the_backend() -> None:
    with mock.patch("importlib.util.find_spec", return_value=None):
        assert ids(BACKENDS=[BACKEND]) == {"authgate.E109"}
        assert ids() == set()


def test_check_algorithms_match_the_core() -> None:
    from authgate.schemes.httpsig import settings as httpsig
    from authgate.schemes.httpsig.protocol import algorithms

    assert set(httpsig.ALGORITHMS) == set(algorithms.ALGORITHMS)
