"""The signature backend in the chain: accepted requests, and each refusal's 401 code."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from authgate.schemes.httpsig import service as signature_keys
from authgate.schemes.httpsig.backend import HTTPSignatureBackend
from authgate.schemes.httpsig.protocol.digest import content_digest
from tests.schemes.httpsig.conftest import signed_headers

pytestmark = pytest.mark.django_db
WHOAMI = "/api/whoami/"


def _error(response: Any) -> str:
    return str(json.loads(response.content)["error"])


def _tamper(signature: str) -> str:
    """``signature`` with one base64 character of the value changed (never to itself)."""
    new = "A" if signature[12] != "A" else "B"
    return signature[:12] + new + signature[13:]


def test_signed_get_authenticates(send: Callable[..., Any], ed_key: Any, ed_private: Any) -> None:
    response = send("GET", WHOAMI, signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed"))
    assert response.status_code == 200, response.content
    assert json.loads(response.content) == {"user": "alice", "scheme": "httpsig", "scopes": None}
    ed_key.refresh_from_db()
    assert ed_key.last_used is not None


def test_signed_post_with_content_digest(
    send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    body = b'{"title": "signed"}'
    headers = signed_headers(
        "POST", "/api/notes/", key=ed_private, keyid="alice-ed", body=body,
        content_type="application/json",
    )  # fmt: skip
    response = send("POST", "/api/notes/", headers, body)
    assert response.status_code == 201, response.content


def test_body_must_be_covered_by_content_digest(
    send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    body = b'{"title": "x"}'
    headers = signed_headers(
        "POST", "/api/notes/", key=ed_private, keyid="alice-ed", body=body,
        content_type="application/json", components=("@method", "@target-uri"),
    )  # fmt: skip
    response = send("POST", "/api/notes/", headers, body)
    assert response.status_code == 401
    assert _error(response) == "missing_component"
    assert "content-digest" in response.headers["Accept-Signature"]


def test_tampered_body_is_a_digest_mismatch(
    send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    body = b'{"title": "x"}'
    headers = signed_headers(
        "POST", "/api/notes/", key=ed_private, keyid="alice-ed", body=body,
        content_type="application/json",
    )  # fmt: skip
    response = send("POST", "/api/notes/", headers, b'{"title": "y"}')
    assert response.status_code == 401
    assert _error(response) == "digest_mismatch"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda h: {**h, "Signature": _tamper(h["Signature"])},
         "invalid_signature"),
        (lambda h: {**h, "Signature-Input": h["Signature-Input"].replace("alice-ed", "nobody")},
         "unknown_key"),
        (lambda h: {**h, "Signature-Input": "sig1=(@method)"}, "invalid_request"),
        (lambda h: {**h, "Signature-Input": "sig1=("}, "invalid_request"),
        (lambda h: {k: v for k, v in h.items() if k != "Signature"}, "invalid_request"),
        (lambda h: {**h, "Signature": "sig1=:" + "A" * 9000 + ":"}, "invalid_request"),
        (lambda h: {**h, "Signature": h["Signature"].replace("sig1", "other")},
         "invalid_request"),
        (lambda h: {**h, "Signature-Input": h["Signature-Input"] + ", sig2=();created=1"},
         "invalid_request"),
        (lambda h: {**h, "Signature-Input": h["Signature-Input"].replace(";keyid", ";x=1;keyid")},
         "invalid_signature"),
    ],
    ids=["bad-signature", "unknown-key", "token-component", "unparsable", "no-signature",
         "too-long", "other-label", "two-labels", "changed-params"],
)  # fmt: skip
def test_refusals(
    send: Callable[..., Any],
    ed_key: Any,
    ed_private: Any,
    change: Callable[[dict[str, str]], dict[str, str]],
    code: str,
) -> None:
    headers = change(signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed"))
    response = send("GET", WHOAMI, headers)
    assert response.status_code == 401, response.content
    assert _error(response) == code
    assert response.headers["Accept-Signature"] == (
        'sig1=("@method" "@authority" "@path" "@query");created'
    )


def test_tampered_request_is_refused(
    send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed")
    assert send("GET", WHOAMI + "?x=1", headers).status_code == 401
    response = send("DELETE", WHOAMI, headers)
    assert (response.status_code, _error(response)) == (401, "invalid_signature")


def test_required_components(send: Callable[..., Any], ed_key: Any, ed_private: Any) -> None:
    headers = signed_headers(
        "GET", WHOAMI, key=ed_private, keyid="alice-ed", components=("@method", "@path")
    )
    response = send("GET", WHOAMI, headers)
    assert (response.status_code, _error(response)) == (401, "missing_component")
    assert "@authority, @query" in json.loads(response.content)["detail"]
    headers = signed_headers(
        "GET", WHOAMI, key=ed_private, keyid="alice-ed",
        components=("@method", "@authority", "@request-target"),
    )  # fmt: skip
    assert send("GET", WHOAMI, headers).status_code == 200


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"created": -400}, "expired_signature"),
        ({"created": 120}, "invalid_signature"),
        ({"expires": -60}, "expired_signature"),
        ({"created": -200, "expires": 60}, None),
    ],
    ids=["too-old", "future", "expired", "in-window"],
)
def test_time_window(
    send: Callable[..., Any], ed_key: Any, ed_private: Any, options: dict[str, Any], code: str
) -> None:
    # Offsets from now, computed when the test runs (not when it is collected).
    now = int(time.time())
    times = {name: now + offset for name, offset in options.items()}
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed", **times)
    response = send("GET", WHOAMI, headers)
    if code is None:
        assert response.status_code == 200
    else:
        assert (response.status_code, _error(response)) == (401, code)


def test_clock_skew_and_max_age_settings(
    settings: Any, send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    settings.AUTHGATE = {
        **settings.AUTHGATE, "HTTPSIG_MAX_AGE": 1000, "HTTPSIG_CLOCK_SKEW": timedelta(0)
    }  # fmt: skip
    created = int(time.time()) - 900
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed", created=created)
    assert send("GET", WHOAMI, headers).status_code == 200


def test_missing_created_is_refused(send: Callable[..., Any], ed_key: Any, ed_private: Any) -> None:
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed")
    headers["Signature-Input"] = headers["Signature-Input"].replace(";created=", ";c=")
    response = send("GET", WHOAMI, headers)
    assert (response.status_code, _error(response)) == (401, "invalid_request")


def test_alg_parameter_must_match_the_key(
    send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    # An HMAC "signature" made with the public key as secret: the key's algorithm decides.
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed")
    assert ';alg="ed25519"' in headers["Signature-Input"]
    headers["Signature-Input"] = headers["Signature-Input"].replace("ed25519", "hmac-sha256")
    response = send("GET", WHOAMI, headers)
    assert (response.status_code, _error(response)) == (401, "invalid_signature")
    assert "alg" in json.loads(response.content)["detail"]


def test_nonce_is_accepted_once(
    settings: Any, send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    settings.AUTHGATE = {**settings.AUTHGATE, "HTTPSIG_REQUIRE_NONCE": True}
    response = send("GET", WHOAMI, signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed"))
    assert (response.status_code, _error(response)) == (401, "invalid_request")
    assert response.headers["Accept-Signature"].endswith(";created;nonce")
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed", nonce="n-1")
    assert send("GET", WHOAMI, headers).status_code == 200
    response = send("GET", WHOAMI, headers)
    assert (response.status_code, _error(response)) == (401, "replayed_signature")
    # A forged request with a fresh nonce does not burn it.
    forged = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed", nonce="n-2")
    forged["Signature"] = _tamper(forged["Signature"])
    assert send("GET", WHOAMI, forged).status_code == 401
    fine = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed", nonce="n-2")
    assert send("GET", WHOAMI, fine).status_code == 200


def test_revoked_expired_and_inactive(
    send: Callable[..., Any], ed_key: Any, ed_private: Any, user: Any
) -> None:
    def status() -> tuple[int, str]:
        response = send(
            "GET", WHOAMI, signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed")
        )
        return response.status_code, _error(response) if response.status_code != 200 else ""

    assert status() == (200, "")
    user.is_active = False
    user.save()
    assert status() == (401, "unknown_key")
    user.is_active = True
    user.save()
    ed_key.expires = timezone.now() - timedelta(seconds=1)
    ed_key.save()
    assert status() == (401, "revoked_key")
    ed_key.expires = None
    ed_key.save()
    signature_keys.revoke(ed_key)
    assert status() == (401, "revoked_key")


def test_label_setting_selects_among_several(
    settings: Any, send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    settings.AUTHGATE = {**settings.AUTHGATE, "HTTPSIG_LABEL": "mine"}
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed", label="mine")
    headers["Signature-Input"] = 'proxy=("@method");created=1, ' + headers["Signature-Input"]
    headers["Signature"] = "proxy=:AAAA:, " + headers["Signature"]
    assert send("GET", WHOAMI, headers).status_code == 200


def test_hmac_key(send: Callable[..., Any], user: Any) -> None:
    key, secret = signature_keys.create_hmac_key(user, name="ci")
    headers = signed_headers("GET", WHOAMI, key=secret, keyid=key.keyid, algorithm="hmac-sha256")
    assert send("GET", WHOAMI, headers).status_code == 200
    headers = signed_headers(
        "GET",
        WHOAMI,
        key=base64.b64encode(b"w" * 32).decode(),
        keyid=key.keyid,
        algorithm="hmac-sha256",
    )
    response = send("GET", WHOAMI, headers)
    assert (response.status_code, _error(response)) == (401, "invalid_signature")


def test_algorithm_not_accepted(
    settings: Any, send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    settings.AUTHGATE = {**settings.AUTHGATE, "HTTPSIG_ALGORITHMS": ["rsa-pss-sha512"]}
    response = send("GET", WHOAMI, signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed"))
    assert (response.status_code, _error(response)) == (401, "invalid_signature")


def test_one_query_per_request(
    send: Callable[..., Any],
    ed_key: Any,
    ed_private: Any,
    django_assert_num_queries: Any,
) -> None:
    ed_key.last_used = timezone.now()
    ed_key.save()
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="alice-ed")
    with django_assert_num_queries(1):
        assert send("GET", WHOAMI, headers).status_code == 200


def test_requests_without_signature_are_not_claimed(client: Any, user: Any) -> None:
    response = client.get(WHOAMI)
    assert response.status_code == 401
    assert _error(response) == "not_authenticated"
    assert "Accept-Signature" in response.headers


def test_credentials_are_masked_for_logs(ed_private: Any) -> None:
    headers = signed_headers("GET", WHOAMI, key=ed_private, keyid="k")
    cleaned = HTTPSignatureBackend().clean_credentials_for_display(
        {"label": "sig1", "signature": headers["Signature"]}
    )
    assert cleaned["signature"] != headers["Signature"]


def test_content_digest_helper_matches_rfc9530() -> None:
    assert content_digest(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


@pytest.mark.parametrize(
    "path", ["/api/drf/whoami/", "/api/async/whoami/", "/api/ninja/whoami/",
             "/api/ninja/async/whoami/"],
)  # fmt: skip
def test_adapters(send: Callable[..., Any], ed_key: Any, ed_private: Any, path: str) -> None:
    response = send("GET", path, signed_headers("GET", path, key=ed_private, keyid="alice-ed"))
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["user"] == "alice"


def test_drf_post_reads_the_body_after_the_digest(
    send: Callable[..., Any], ed_key: Any, ed_private: Any
) -> None:
    body = b'{"title": "signed via DRF"}'
    headers = signed_headers(
        "POST", "/api/drf/notes/", key=ed_private, keyid="alice-ed", body=body,
        content_type="application/json",
    )  # fmt: skip
    response = send("POST", "/api/drf/notes/", headers, body)
    assert response.status_code == 201, response.content
    assert json.loads(response.content)["title"] == "signed via DRF"


def test_drf_per_scheme_class(ed_key: Any, ed_private: Any) -> None:
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from authgate.contrib.drf import HTTPSignatureAuthentication

    class View(APIView):
        authentication_classes = [HTTPSignatureAuthentication]

        def get(self, request: Any) -> Response:
            return Response({"user": request.user.get_username(), "scheme": request.auth.scheme})

    headers = signed_headers("GET", "/x/", key=ed_private, keyid="alice-ed")
    request = APIRequestFactory().get("/x/", headers=headers)
    response = View.as_view()(request)
    assert response.status_code == 200
    assert response.data == {"user": "alice", "scheme": "httpsig"}
    request = APIRequestFactory().get("/x/")
    assert View.as_view()(request).status_code == 403  # no challenge: 403, not 401


_HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=120)


@hypothesis_settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(signature_input=_HEADER_TEXT, signature=_HEADER_TEXT)
def test_hostile_headers_are_401_never_500(
    client: Any, signature_input: str, signature: str
) -> None:
    response = client.get(WHOAMI, HTTP_SIGNATURE_INPUT=signature_input, HTTP_SIGNATURE=signature)
    assert response.status_code == 401
    assert _error(response) in {"invalid_request", "unknown_key", "invalid_signature",
                                "expired_signature", "missing_component"}  # fmt: skip


def test_body_streamed_before_authentication(rf: Any, ed_key: Any, ed_private: Any) -> None:
    from authgate.errors import AuthenticationFailed

    body = b'{"title": "x"}'
    headers = signed_headers(
        "POST", "/api/notes/", key=ed_private, keyid="alice-ed", body=body,
        content_type="application/json",
    )  # fmt: skip
    request = rf.post(
        "/api/notes/", data=body, content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )  # fmt: skip
    request.read()
    backend = HTTPSignatureBackend()
    credentials = backend.get_credentials(request)
    assert credentials is not None
    with pytest.raises(AuthenticationFailed) as caught:
        backend.authenticate(request, credentials)
    assert caught.value.code == "invalid_request"
