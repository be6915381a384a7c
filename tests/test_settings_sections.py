"""The typed settings sections: built once, rebuilt on setting_changed, durations converted
once, and each refused value reported with its field's check id (authgate.conf)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils.module_loading import import_string

from authgate import conf
from authgate.conf import DEFAULTS, SECTIONS, chain_settings
from authgate.core import specs
from authgate.schemes.httpsig.settings import httpsig_settings
from authgate.schemes.links.settings import link_settings
from authgate.schemes.oauth.settings import oauth_settings
from authgate.schemes.scoped.settings import scoped_settings
from authgate.schemes.tokens.settings import token_settings

BUILT_IN = [import_string(path) for path in SECTIONS]
DOCS = Path(__file__).resolve().parent.parent / "docs"


def authgate(**overrides: Any) -> override_settings:
    return override_settings(AUTHGATE={**django_settings.AUTHGATE, **overrides})


def test_a_section_is_built_once() -> None:
    first = token_settings()
    assert token_settings() is first
    assert chain_settings() is chain_settings()


def test_a_setting_change_rebuilds_the_sections() -> None:
    before = token_settings()
    with authgate(TOKEN_PREFIX="xyz", REALM="elsewhere"):
        inside = token_settings()
        assert inside is not before
        assert inside.prefix == "xyz"
        assert chain_settings().realm == "elsewhere"
        assert token_settings() is inside  # and built once again
    assert token_settings().prefix == before.prefix
    assert token_settings() is not inside


@pytest.mark.parametrize("setting", ["SECRET_KEY", "AUTH_USER_MODEL"])
def test_other_settings_authgate_depends_on_rebuild_it_too(setting: str) -> None:
    before = link_settings()
    with override_settings(**{setting: getattr(django_settings, setting)}):
        assert link_settings() is not before


def test_sections_are_frozen() -> None:
    section = token_settings()
    with pytest.raises(AttributeError):
        section.prefix = "other"  # type: ignore[misc]
    assert not hasattr(section, "__dict__")  # slots


def test_durations_are_timedeltas_once_built(monkeypatch: pytest.MonkeyPatch) -> None:
    with authgate(
        HTTPSIG_MAX_AGE=120,
        HTTPSIG_CLOCK_SKEW=0,
        SCOPED_MAX_AGE=600,
        SCOPED_DEFAULT_MAX_AGE=timedelta(minutes=2),
        OAUTH_LEEWAY=2.5,
        OAUTH_HTTP_TIMEOUT=3,
        LINK_MAX_AGE=90.5,
    ):
        assert httpsig_settings().max_age == timedelta(seconds=120)
        assert httpsig_settings().clock_skew == timedelta(0)
        assert scoped_settings().max_age == timedelta(minutes=10)
        assert scoped_settings().default_max_age == timedelta(minutes=2)
        assert oauth_settings().leeway == timedelta(seconds=2.5)
        assert oauth_settings().http_timeout == timedelta(seconds=3)
        assert link_settings().max_age == timedelta(seconds=90.5)
        assert link_settings().max_age_seconds == 90  # whole seconds, as links_v1 wants

        def no_parsing(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("a duration was parsed after the section was built")

        monkeypatch.setattr(specs, "parse_duration", no_parsing)
        for _ in range(3):
            assert httpsig_settings().max_age == timedelta(seconds=120)
            assert oauth_settings().leeway.total_seconds() == 2.5


@pytest.mark.parametrize(
    ("key", "value", "check_id", "accessor"),
    [
        ("HTTPSIG_MAX_AGE", "5m", "authgate.E102", httpsig_settings),
        ("SCOPED_MAX_AGE", "1h", "authgate.E040", scoped_settings),
        ("TOKEN_LAST_USED_INTERVAL", 60, "authgate.E024", token_settings),
        ("LINK_SIGNATURE_SIZE", "10", "authgate.E066", link_settings),
        ("MAX_HEADER_LENGTH", "4096", "authgate.E004", chain_settings),
        ("OAUTH_LEEWAY", "30s", "authgate.E088", oauth_settings),
    ],
)
def test_a_refused_value_names_its_check_at_build_and_in_the_checks(
    key: str, value: Any, check_id: str, accessor: Any
) -> None:
    overrides = {key: value}
    if key.startswith("OAUTH_"):  # its checks run with OAuthBackend in the chain only
        backends = [
            "authgate.schemes.oauth.backend.OAuthBackend",
            *django_settings.AUTHGATE["BACKENDS"],
        ]
        overrides.update(BACKENDS=backends, OAUTH_ISSUER="https://idp", OAUTH_AUDIENCE="api")
    with authgate(**overrides):
        with pytest.raises(ImproperlyConfigured, match=re.escape(f"AUTHGATE['{key}']")) as info:
            accessor()
        assert check_id in str(info.value)
        assert check_id in {m.id for m in run_checks()}


def test_defaults_are_generated_from_the_sections() -> None:
    keys = [spec.key for section in BUILT_IN for _attribute, spec in section.specs()]
    assert len(keys) == len(set(keys)) == len(DEFAULTS) == 89
    assert DEFAULTS["TOKEN_PREFIX"] == "agt"
    assert DEFAULTS["SCOPED_MAX_AGE"] == timedelta(hours=1)
    assert DEFAULTS["OAUTH_HTTP_TIMEOUT"] == 5
    assert conf.DEFAULTS is DEFAULTS  # generated once


@pytest.mark.parametrize("section", BUILT_IN, ids=lambda s: s.__name__)
def test_every_default_passes_its_own_declaration(section: Any) -> None:
    for _attribute, spec in section.specs():
        spec.kind(spec.default)  # raises SettingError otherwise
        if getattr(spec.kind, "checked", True):
            assert re.fullmatch(r"authgate\.[EW]\d{3}", spec.check), spec.key


def test_every_setting_is_documented() -> None:
    text = "".join((DOCS / name).read_text() for name in ("reference.md", "oauth.md", "httpsig.md"))
    missing = [key for key in DEFAULTS if f"`{key}`" not in text]
    assert not missing


def test_the_algorithm_lists_match_the_code_that_verifies() -> None:
    from authgate import dpop, dpop_settings
    from authgate.schemes.oauth import jwks
    from authgate.schemes.oauth.settings import ASYMMETRIC_ALGORITHMS

    assert dpop_settings.SUPPORTED_ALGORITHMS == dpop.SUPPORTED_ALGORITHMS
    rsa = jwks.key_algorithms({"kty": "RSA"})
    curves = [("EC", "P-256"), ("EC", "P-384"), ("EC", "P-521"), ("OKP", "Ed25519")]
    others = {alg for kty, crv in curves for alg in jwks.key_algorithms({"kty": kty, "crv": crv})}
    assert rsa | others == ASYMMETRIC_ALGORITHMS


def test_backends_name_their_section() -> None:
    from authgate.dpop_settings import DPoPSettings
    from authgate.leaks.settings import LeakSettings
    from authgate.schemes.httpsig.backend import HTTPSignatureBackend
    from authgate.schemes.links.backend import LinkBackend
    from authgate.schemes.oauth.backend import OAuthBackend
    from authgate.schemes.scoped.backend import ScopedTokenBackend
    from authgate.schemes.tokens.backend import TokenBackend

    assert {
        backend.settings_section
        for backend in (
            TokenBackend,
            ScopedTokenBackend,
            LinkBackend,
            OAuthBackend,
            HTTPSignatureBackend,
        )
    } == set(BUILT_IN[1:]) - {DPoPSettings, LeakSettings}
    # DPoP's is read by the OAuth and token backends; the leaks' by their endpoints and command


def test_not_a_dict_is_reported_and_refused() -> None:
    with override_settings(AUTHGATE=["BACKENDS"]):
        assert "authgate.E001" in {m.id for m in run_checks()}
        with pytest.raises(ImproperlyConfigured, match=r"authgate\.E001"):
            chain_settings()
