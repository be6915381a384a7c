"""The tampering matrix, end to end: every signed format, every way to forge it.

For scoped tokens (header and query string) and magic links (query string), through the
middleware and the demo's plain and DRF views: a token signed with another key, with a
fallback key that was removed, with its signature truncated, with its payload changed, with
its version changed, replayed after ``revoke_all`` or a password change, or past its expiry,
is refused with a 401 and the right code. An untouched token is the control. API tokens
(opaque, not signed) get the replay rows. The codecs' own unit tests are in tests/core.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from authgate.core.encoding import b64url_decode, b64url_encode
from authgate.schemes.links import service as links
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens import service as tokens
from tests.reliability.conftest import WHOAMI, client, count, outcome

pytestmark = pytest.mark.django_db

OLD_KEY = "the-old-deployment-key-0123456789-abcdefghijklmnopqrstuvwxyz-old"
NEW_KEY = "the-new-deployment-key-0123456789-abcdefghijklmnopqrstuvwxyz-new"
OTHER_KEY = "somebody-elses-deployment-key-0123456789-abcdefghijklmnopqrstuv"

DELIVERIES = {
    "scoped-header": ("scoped", lambda t: ({}, {"HTTP_AUTHORIZATION": f"TmpToken {t}"})),
    "scoped-query": ("scoped", lambda t: ({"TOKEN": t}, {})),
    "link-query": ("link", lambda t: ({"sesame": t}, {})),
}
# The code each refusal must carry, per format: links give one answer for every reason
# (no oracle for which check failed) except expiry.
REVOKED = {"scoped": "revoked_token", "link": "invalid_token"}


def mint(kind: str, user: Any, **kwargs: Any) -> str:
    if kind == "scoped":
        return scoped.issue(user, {"GET": ["/api/"]}, **kwargs)
    return links.get_token(user)


def request(delivery: str, token: str, path: str) -> tuple[int, Any]:
    params, headers = DELIVERIES[delivery][1](token)
    count("tampering requests")
    return outcome(client().get(path, params, **headers))


def assert_refused(delivery: str, token: str, code: str) -> None:
    for path in WHOAMI:
        status, error = request(delivery, token, path)
        assert (status, error) == (401, code), (path, status, error)


def assert_accepted(delivery: str, token: str, user: Any) -> None:
    for path in WHOAMI:
        status, identity = request(delivery, token, path)
        assert status == 200 and identity[0] == user.get_username(), (path, status, identity)


# --- ways to tamper ----------------------------------------------------------------------


def truncate_signature(token: str) -> str:
    return token[:-3]


def change_payload(token: str, other: str) -> str:
    """Scoped: widen the claims (any method, any path, later expiry, another user).
    Link: another user's packed key in place of this one's (same length when possible)."""
    if token.startswith("ags1_"):
        payload_text, signature = token[len("ags1_") :].split(".")
        claims = json.loads(b64url_decode(payload_text))
        other_claims = json.loads(b64url_decode(other[len("ags1_") :].split(".")[0]))
        claims.update(e={"GET": ["/"], "POST": ["/"], "DELETE": ["/"]}, x=claims["x"] + 86400)
        claims["u"] = other_claims["u"]
        data = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
        return "ags1_" + b64url_encode(data) + "." + signature
    body = bytearray(b64url_decode(token[len("agl1_") :]))
    other_body = b64url_decode(other[len("agl1_") :])
    body[:2] = other_body[:2]  # the packed key's header and first byte
    if bytes(body) == b64url_decode(token[len("agl1_") :]):
        body[1] ^= 1
    return "agl1_" + b64url_encode(bytes(body))


def change_version(token: str) -> str:
    return token.replace("ags1_", "ags2_", 1).replace("agl1_", "agl2_", 1)


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
def test_untouched_tokens_are_the_control(delivery, alice):
    assert_accepted(delivery, mint(DELIVERIES[delivery][0], alice), alice)


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
@pytest.mark.parametrize(
    "tamper",
    [truncate_signature, change_version, lambda t: t + "A", lambda t: t[:-1]],
    ids=["truncated-signature", "version-changed", "extended", "last-char-dropped"],
)
def test_mangled_tokens_are_invalid(delivery, tamper, alice):
    token = mint(DELIVERIES[delivery][0], alice)
    assert_refused(delivery, tamper(token), "invalid_token")


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
def test_changed_payload_is_invalid(delivery, alice, bob):
    kind = DELIVERIES[delivery][0]
    forged = change_payload(mint(kind, alice), mint(kind, bob))
    assert_refused(delivery, forged, "invalid_token")


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
def test_another_key_is_invalid(delivery, alice):
    with override_settings(SECRET_KEY=OTHER_KEY):
        token = mint(DELIVERIES[delivery][0], alice)
    assert_refused(delivery, token, "invalid_token")


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
def test_a_removed_fallback_key_is_invalid(delivery, alice):
    with override_settings(SECRET_KEY=OLD_KEY, SECRET_KEY_FALLBACKS=[]):
        token = mint(DELIVERIES[delivery][0], alice)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        assert_accepted(delivery, token, alice)  # rotated: the fallback still verifies
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        assert_refused(delivery, token, "invalid_token")


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
@pytest.mark.parametrize(
    "revoke",
    [
        lambda user: tokens.revoke_all(user, "tampering test"),
        lambda user: (user.set_password("a-new-password-123"), user.save()),
    ],
    ids=["revoke_all", "password-change"],
)
def test_replay_after_revocation_is_refused(delivery, revoke: Callable[[Any], Any], alice):
    kind = DELIVERIES[delivery][0]
    token = mint(kind, alice)
    assert_accepted(delivery, token, alice)
    revoke(alice)
    assert_refused(delivery, token, REVOKED[kind])


@pytest.mark.parametrize("delivery", ["scoped-header", "scoped-query"])
def test_expired_scoped_token(delivery, alice):
    token = scoped.issue(alice, {"GET": ["/api/"]}, max_age=60, now=int(time.time()) - 61)
    assert_refused(delivery, token, "expired_token")


def test_expired_link(alice, settings):
    settings.AUTHGATE = {**settings.AUTHGATE, "LINK_MAX_AGE": 60}
    from authgate.core import links_v1

    real_create = links_v1.create

    def create_in_the_past(**kwargs: Any) -> str:
        return real_create(**kwargs, now=int(time.time()) - 61)

    links_v1.create = create_in_the_past  # type: ignore[assignment]
    try:
        token = links.get_token(alice)
    finally:
        links_v1.create = real_create  # type: ignore[assignment]
    assert_refused("link-query", token, "expired_token")


@pytest.mark.parametrize(
    "revoke",
    [
        lambda row, user: tokens.revoke(row, "tampering test"),
        lambda row, user: tokens.revoke_all(user),
        lambda row, user: (setattr(user, "is_active", False), user.save()),
    ],
    ids=["revoke", "revoke_all", "deactivated"],
)
def test_api_token_replay_after_revocation(revoke, alice):
    row, plaintext = tokens.issue(alice)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    for path in WHOAMI:
        assert outcome(client().get(path, **headers))[0] == 200
    revoke(row, alice)
    for path in WHOAMI:
        count("tampering requests")
        status, error = outcome(client().get(path, **headers))
        assert (status, error) == (401, "revoked_token"), (path, status, error)
