"""The scoped-token backend, black box through the demo API, and fuzzed."""

from __future__ import annotations

import base64
import time

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from notes.models import Note

from authgate.chain import authenticate
from authgate.core import scoped_v1
from authgate.core.paths import normalize_path
from authgate.errors import AuthenticationFailed, AuthgateError, PermissionDenied
from authgate.models import TokenEvent
from authgate.schemes.scoped import service as scoped
from authgate.schemes.scoped.backend import ScopedTokenBackend
from authgate.signing import keyring
from authgate.state import bump_generation
from authgate.users import packer_for_model, revocation_value

pytestmark = pytest.mark.django_db

NOTES = {"GET": ["/api/notes/"]}


def header(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"TmpToken {token}"}


@pytest.fixture
def note(user):
    return Note.objects.create(owner=user, title="alice's note")


@pytest.fixture
def token(user):
    return scoped.issue(user, NOTES, max_age=600, recipient="partner-ci")


def assert_refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    challenge = response["WWW-Authenticate"]
    assert f'TmpToken realm="api", error="{code}", error_description=' in challenge
    if status == 403:
        assert challenge.startswith("TmpToken ")  # only the refusing scheme's challenge


# -- presenting the token ----------------------------------------------------------------


def test_reads_notes_with_the_header(client, token, note):
    response = client.get("/api/notes/", **header(token))
    assert response.status_code == 200
    assert response.json()["notes"][0]["title"] == "alice's note"


def test_reads_notes_with_the_query_parameter(client, token, note):
    response = client.get("/api/notes/", {"TOKEN": token})
    assert response.status_code == 200
    assert response.json()["notes"][0]["title"] == "alice's note"


def test_reads_a_note_below_the_prefix_and_head_follows_get(client, token, note):
    assert client.get(f"/api/notes/{note.pk}/", **header(token)).status_code == 200
    assert client.head("/api/notes/", **header(token)).status_code == 200


def test_keyword_is_case_insensitive(client, token):
    assert client.get("/api/notes/", HTTP_AUTHORIZATION=f"tmptoken {token}").status_code == 200


def test_drf_views_see_the_same_identity(client, user):
    token = scoped.issue(user, {"GET": ["/api/drf/"]}, scopes=["notes:read"])
    response = client.get("/api/drf/whoami/", **header(token))
    assert response.json() == {"user": "alice", "scheme": "scoped", "scopes": ["notes:read"]}


def test_no_credentials_lists_the_tmptoken_challenge(client, db):
    response = client.get("/api/whoami/")
    assert response.status_code == 401
    assert 'TmpToken realm="api"' in response["WWW-Authenticate"]
    assert "error=" not in response["WWW-Authenticate"]


def test_header_and_query_together_are_refused(client, token):
    response = client.get(f"/api/notes/?TOKEN={token}", **header(token))
    assert_refused(response, 401, "invalid_request")


def test_query_parameter_twice_is_refused(client, token):
    response = client.get(f"/api/notes/?TOKEN={token}&TOKEN={token}")
    assert_refused(response, 401, "invalid_request")


def test_another_schemes_header_wins_over_a_token_in_the_url(client, make_user, token):
    make_user("bob", "bob-pw")
    basic = "Basic " + base64.b64encode(b"bob:bob-pw").decode()
    response = client.get(f"/api/whoami/?TOKEN={token}", HTTP_AUTHORIZATION=basic)
    assert response.json()["user"] == "bob"


def test_names_come_from_settings(client, token, note):
    with override_settings(
        AUTHGATE={**django_settings.AUTHGATE, "SCOPED_KEYWORD": "Temp", "SCOPED_QUERY_PARAM": "t"}
    ):
        assert client.get("/api/notes/", HTTP_AUTHORIZATION=f"Temp {token}").status_code == 200
        assert client.get("/api/notes/", {"t": token}).status_code == 200
        # The old names are nobody's now.
        assert client.get("/api/notes/", {"TOKEN": token}).status_code == 401
        assert client.get("/api/notes/", **header(token)).status_code == 401


def test_query_parameter_can_be_switched_off(client, token):
    with override_settings(AUTHGATE={**django_settings.AUTHGATE, "SCOPED_QUERY_PARAM": None}):
        response = client.get("/api/notes/", {"TOKEN": token})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


class CustomNames(ScopedTokenBackend):
    keyword = "Scoped"
    query_param = "st"


def test_names_are_class_attributes(rf, token):
    backend = CustomNames()
    request = rf.get("/api/notes/", HTTP_AUTHORIZATION=f"Scoped {token}")
    assert authenticate(request, [backend]).scheme == "scoped"
    assert authenticate(rf.get("/api/notes/", {"st": token}), [backend]).user.get_username()
    assert authenticate(rf.get("/api/notes/", {"TOKEN": token}), [backend]) is None
    assert backend.challenge(request) == 'Scoped realm="api"'


# -- the recipient -----------------------------------------------------------------------


def test_recipient_is_on_the_identity_and_a_request_header(rf, token):
    request = rf.get("/api/notes/", HTTP_X_API_TOKEN_RECIPIENT="spoofed", **header(token))
    identity = authenticate(request, [ScopedTokenBackend()])
    assert identity.credential.recipient == "partner-ci"
    assert request.headers["X-API-Token-Recipient"] == "partner-ci"
    assert identity.expires_at.timestamp() == identity.credential.expires_at


def test_without_recipient_a_spoofed_header_is_removed(rf, user):
    token = scoped.issue(user, NOTES)
    request = rf.get("/api/notes/", HTTP_X_API_TOKEN_RECIPIENT="spoofed", **header(token))
    authenticate(request, [ScopedTokenBackend()])
    assert "X-API-Token-Recipient" not in request.headers


# -- what the token does not allow -------------------------------------------------------


def test_other_endpoints_are_insufficient_scope(client, token):
    assert_refused(client.get("/api/whoami/", **header(token)), 403, "insufficient_scope")
    assert_refused(client.get("/api/drf/notes/", **header(token)), 403, "insufficient_scope")


def test_other_methods_are_insufficient_scope(client, token, note):
    assert_refused(
        client.delete(f"/api/notes/{note.pk}/", **header(token)), 403, "insufficient_scope"
    )
    assert_refused(
        client.post(
            "/api/notes/", {"title": "x"}, content_type="application/json", **header(token)
        ),
        403,
        "insufficient_scope",
    )
    assert Note.objects.filter(pk=note.pk).exists()
    assert Note.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/notesX/",
        "/api/notes/../whoami/",
        "/api/notes/%2e%2e/whoami/",
        "/api/notes/%2E%2E/whoami/",
        "/api/notes/%2e%2e%2fwhoami/",
        "/api/notes/./../whoami/",
        "//api/whoami/",
        "/API/NOTES/",
        "/api/notes./",
        "/api/notes/..",
    ],
)
def test_tricky_paths_never_reach_another_view(client, token, path):
    # Django routes the decoded path as-is: these reach no view (404) or are refused (403).
    response = client.generic("GET", path, **header(token))
    assert response.status_code in (403, 404)
    assert b"alice" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/api/notesX/",
        "/api/notes/../whoami/",
        "/api/notes/%2e%2e/whoami/",  # as a server that does not decode would pass it
        "/api/notes/%2E%2E/",
        "/api/notes/%2fwhoami/",
        "/api/notes/./../whoami/",
        "/api/./notes/",  # normalises into the prefix, but Django would route it elsewhere
        "/api/x/../notes/",
        "//api/notes/",
        "/API/notes/",
        "/api/Notes/",
        "/api/notes./",
        "/api/notes/..",
        "/api/notes/\x00/",
        "/api/notes\\..\\whoami/",
        "api/notes/",
    ],
)
def test_the_matcher_refuses_tricky_paths_even_if_they_were_routed(rf, token, path):
    request = rf.get("/api/notes/", **header(token))
    request.path = path  # whatever a server or a router might hand us
    with pytest.raises(PermissionDenied) as refused:
        authenticate(request, [ScopedTokenBackend()])
    assert refused.value.code == "insufficient_scope"


@pytest.mark.parametrize("path", ["/api/notes/", "/api/notes", "/api/notes/1/", "/api/notes/1/x"])
def test_the_matcher_allows_paths_below_the_prefix(rf, token, path):
    request = rf.get("/api/notes/", **header(token))
    request.path = path
    assert authenticate(request, [ScopedTokenBackend()]) is not None


def test_scopes_on_the_token_are_enforced_by_views(client, user, note):
    token = scoped.issue(
        user, {"GET": ["/api/notes/"], "POST": ["/api/notes/"]}, scopes=["notes:read"]
    )
    assert client.get("/api/notes/", **header(token)).status_code == 200
    response = client.post(
        "/api/notes/", {"title": "x"}, content_type="application/json", **header(token)
    )
    assert_refused(response, 403, "insufficient_scope")


# -- expiry, revocation, the user ----------------------------------------------------------


def test_expired_token(client, user):
    token = scoped.issue(user, NOTES, max_age=60, now=int(time.time()) - 61)
    response = client.get("/api/notes/", **header(token))
    assert_refused(response, 401, "expired_token")
    assert response.json()["detail"] == "This token has expired."


def test_token_valid_until_just_before_expiry(client, user):
    token = scoped.issue(user, NOTES, max_age=60, now=int(time.time()) - 55)
    assert client.get("/api/notes/", **header(token)).status_code == 200


def test_revoke_all_kills_outstanding_tokens(client, user, token):
    other = scoped.issue(user, {"GET": ["/api/whoami/"]})
    bump_generation(user)
    assert_refused(client.get("/api/notes/", **header(token)), 401, "revoked_token")
    assert_refused(client.get("/api/whoami/", **header(other)), 401, "revoked_token")
    fresh = scoped.issue(user, NOTES)
    assert client.get("/api/notes/", **header(fresh)).status_code == 200


def test_revoking_one_user_leaves_others_alone(client, make_user, user, token):
    bob = make_user("bob")
    bobs = scoped.issue(bob, NOTES)
    bump_generation(user)
    assert client.get("/api/notes/", **header(bobs)).status_code == 200


def test_password_change_kills_outstanding_tokens(client, user, token):
    user.set_password("a new password")
    user.save()
    assert_refused(client.get("/api/notes/", **header(token)), 401, "revoked_token")


def test_inactive_and_deleted_users_look_the_same(client, make_user):
    ingrid, dora = make_user("ingrid"), make_user("dora")
    inactive_token = scoped.issue(ingrid, NOTES)
    deleted_token = scoped.issue(dora, NOTES)
    ingrid.is_active = False
    ingrid.save()
    dora.delete()
    answers = set()
    for token in (inactive_token, deleted_token, "ags1_garbage.garbage"):
        response = client.get("/api/notes/", **header(token))
        assert_refused(response, 401, "invalid_token")
        answers.add(response.content)
    assert len(answers) == 1


@pytest.mark.parametrize(
    "bad",
    [
        "x",
        "ags1_",
        "ags1_e30.e30",
        "ags2_e30.e30",
        "agt_0123456789",
        "ags1_" + "A" * 3000,
    ],
)
def test_garbage_is_invalid_token(client, db, bad):
    assert_refused(client.get("/api/notes/", **header(bad)), 401, "invalid_token")
    assert_refused(client.get("/api/notes/", {"TOKEN": bad}), 401, "invalid_token")


def test_truncated_and_tampered_tokens_are_invalid(client, token):
    for bad in (token[:-1], token[:-5], token[: len(token) // 2], token + "A", token.upper()):
        assert_refused(client.get("/api/notes/", **header(bad)), 401, "invalid_token")


def test_malformed_header_is_invalid_request(client, db):
    assert_refused(client.get("/api/notes/", HTTP_AUTHORIZATION="TmpToken"), 401, "invalid_request")
    response = client.get("/api/notes/", HTTP_AUTHORIZATION="TmpToken a b")
    assert_refused(response, 401, "invalid_request")


def test_empty_query_parameter_is_invalid_token(client, db):
    assert_refused(client.get("/api/notes/?TOKEN="), 401, "invalid_token")


def forge(user, **claims):
    """A correctly signed token whose claims ``scoped.service.issue`` would never produce."""
    arguments = {
        "keyring": keyring(),
        "user_pk": user.pk,
        "packer": packer_for_model(),
        "endpoints": NOTES,
        "max_age": 600,
        "revocation": revocation_value(user),
    }
    arguments.update(claims)
    return scoped_v1.create(**arguments)


@pytest.mark.parametrize(
    "claims",
    [
        {"endpoints": {"GET": ["/.."]}},
        {"endpoints": {"GET": ["/api/\\x"]}},
        {"scopes": ["NOTES:READ"]},
        {"scopes": ["x" * 300]},
    ],
)
def test_signed_but_unusable_claims_are_invalid_not_500(client, user, claims):
    token = forge(user, **claims)
    assert_refused(client.get("/api/notes/", **header(token)), 401, "invalid_token")


# -- the hot path ------------------------------------------------------------------------


def test_an_accepted_token_costs_one_query_and_no_write(client, user, django_assert_num_queries):
    token = scoped.issue(user, {"GET": ["/api/whoami/"]})
    events = TokenEvent.objects.count()
    with django_assert_num_queries(1):
        response = client.get("/api/whoami/", **header(token))
    assert response.json() == {"user": "alice", "scheme": "scoped", "scopes": None}
    assert TokenEvent.objects.count() == events


def test_a_refused_signature_costs_no_query(client, token, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get(
            "/api/whoami/", **header(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
        )


# -- fuzzing -------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SEGMENTS = st.sampled_from(
    [
        "api",
        "notes",
        "notesX",
        "NOTES",
        "notes.",
        "..",
        ".",
        "",
        "%2e%2e",
        "%2E",
        "%2e",
        "%2f",
        "%5c",
        "whoami",
        "1",
        "%00",
        "%",
        "%zz",
        "\\",
        "é",
        "%C3%A9",
        "drf",
    ]
)
PATHS = st.one_of(
    st.lists(SEGMENTS, max_size=6).map(lambda parts: "/" + "/".join(parts)),
    st.text(max_size=40),
)
METHODS = st.sampled_from(
    ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "TRACE"]
)


def _call(rf, method, path, **extra):
    request = rf.generic(method, "/api/notes/", **extra)
    request.path = path
    return request


@FUZZ
@given(method=METHODS, path=PATHS)
def test_fuzz_the_matcher_never_widens_access(rf, token, method, path):
    request = _call(rf, method, path, **header(token))
    try:
        identity = authenticate(request, [ScopedTokenBackend()])
    except PermissionDenied as exc:
        assert exc.code == "insufficient_scope"
        return
    assert identity is not None
    # Allowed only for GET/HEAD, and only for a path that is below /api/notes both as
    # written and once normalised.
    assert method in ("GET", "HEAD", "get")
    normalised = normalize_path(path)
    assert normalised is not None
    for candidate in (normalised, path):
        assert candidate == "/api/notes" or candidate.startswith("/api/notes/")


@FUZZ
@given(junk=st.text(max_size=300), where=st.sampled_from(["header", "query"]))
def test_fuzz_random_tokens_never_escape(rf, db, junk, where):
    extra = {"HTTP_AUTHORIZATION": f"TmpToken {junk}"} if where == "header" else {}
    request = rf.get("/api/notes/", {"TOKEN": junk} if where == "query" else {}, **extra)
    try:
        identity = authenticate(request, [ScopedTokenBackend()])
    except AuthgateError as exc:
        assert exc.code in ("invalid_token", "invalid_request", "expired_token")
        assert isinstance(exc, AuthenticationFailed)
        return
    # Nothing but a genuine token authenticates; an empty header is "no credentials".
    assert identity is None


@FUZZ
@given(data=st.data())
def test_fuzz_mutated_tokens_never_authenticate(rf, token, data):
    position = data.draw(st.integers(0, len(token)))
    kind = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate", "swap"]))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/%"
    char = data.draw(st.sampled_from(alphabet))
    if kind == "replace" and position < len(token):
        mutated = token[:position] + char + token[position + 1 :]
    elif kind == "insert":
        mutated = token[:position] + char + token[position:]
    elif kind == "delete" and position < len(token):
        mutated = token[:position] + token[position + 1 :]
    elif kind == "swap" and position + 1 < len(token):
        mutated = token[:position] + token[position + 1] + token[position] + token[position + 2 :]
    else:
        mutated = token[:position]
    if mutated == token:
        return
    request = rf.get("/api/notes/", {"TOKEN": mutated})
    with pytest.raises(AuthgateError) as refused:
        authenticate(request, [ScopedTokenBackend()])
    assert refused.value.code in ("invalid_token", "invalid_request")


# --- memoized signature verification --------------------------------------------------


def test_verified_claims_are_memoized_but_forgeries_are_not(user):
    from authgate.schemes.scoped import backend as backend_module

    backend_module._verify.cache_clear()
    token = scoped.issue(user, {"GET": ["/api/notes/"]}, max_age=60)
    assert backend_module.verified_claims(token) is backend_module.verified_claims(token)
    assert backend_module._verify.cache_info().currsize == 1
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert backend_module.verified_claims(forged) is None
    assert backend_module._verify.cache_info().currsize == 1  # the forgery was not cached


def test_memo_is_dropped_when_the_signing_key_is_removed(client, user, note):
    token = scoped.issue(user, {"GET": ["/api/notes/"]}, max_age=60)
    assert client.get("/api/notes/", HTTP_AUTHORIZATION=f"TmpToken {token}").status_code == 200
    with override_settings(SECRET_KEY="another-key-entirely-0123456789abcdefghijklmnop"):
        response = client.get("/api/notes/", HTTP_AUTHORIZATION=f"TmpToken {token}")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"


def test_memoized_token_still_expires(client, user, note, monkeypatch):
    token = scoped.issue(user, {"GET": ["/api/notes/"]}, max_age=60)
    assert client.get("/api/notes/", HTTP_AUTHORIZATION=f"TmpToken {token}").status_code == 200
    later = time.time() + 61
    monkeypatch.setattr("authgate.schemes.scoped.backend.time.time", lambda: later)
    response = client.get("/api/notes/", HTTP_AUTHORIZATION=f"TmpToken {token}")
    assert response.status_code == 401
    assert response.json()["error"] == "expired_token"
