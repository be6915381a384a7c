"""The chain: order, None vs raise, one challenge per backend, per-view overrides."""

import base64

import pytest
from django.test import override_settings

from authgate.backend import Backend
from authgate.chain import authenticate, load_backends, outcome_of, resolve
from authgate.errors import AuthenticationFailed
from authgate.identity import Identity

pytestmark = pytest.mark.django_db

BASIC = "Basic " + base64.b64encode(b"alice:correct horse").decode()


class HeaderX(Backend):
    """Authenticates anyone who sends X-Test: <username>; refuses X-Test: bad."""

    scheme = "XTest"

    def challenge(self, request, error=None):
        return 'XTest realm="tests"' + (f', error="{error.code}"' if error else "")

    def get_credentials(self, request):
        value = request.META.get("HTTP_X_TEST")
        return None if value is None else {"name": value, "api_key": "secret-value"}

    def authenticate(self, request, credentials):
        if credentials["name"] == "bad":
            raise AuthenticationFailed("invalid_token", "bad x")
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(
            **{get_user_model().USERNAME_FIELD: credentials["name"]}
        )
        return Identity(user=user, scheme="xtest")


class NoChallenge(Backend):
    scheme = "Silent"

    def get_credentials(self, request):
        return None


X_PATH = "tests.test_chain.HeaderX"
SILENT_PATH = "tests.test_chain.NoChallenge"


def test_no_credentials_is_anonymous(rf, user):
    request = rf.get("/")
    assert authenticate(request, load_backends()) is None


def test_first_backend_with_credentials_wins(rf, user):
    request = rf.get("/", HTTP_X_TEST="alice", HTTP_AUTHORIZATION="Basic !!!")
    identity = authenticate(request, load_backends([X_PATH, "authgate.schemes.basic.BasicBackend"]))
    assert identity.scheme == "xtest"


def test_raise_stops_the_chain_and_names_the_backend(rf, user):
    request = rf.get("/", HTTP_X_TEST="bad", HTTP_AUTHORIZATION=BASIC)
    backends = load_backends([X_PATH, "authgate.schemes.basic.BasicBackend"])
    with pytest.raises(AuthenticationFailed) as info:
        resolve(request, backends)
    outcome = outcome_of(request)
    assert outcome.error is info.value
    assert outcome.backend is backends[0]
    assert list(outcome.results) == [HeaderX]  # Basic never ran
    assert outcome.identity is None


def test_resolve_caches_the_outcome(rf, user, django_assert_num_queries):
    request = rf.get("/", HTTP_X_TEST="alice")
    backends = load_backends([X_PATH])
    first = resolve(request, backends)
    with django_assert_num_queries(0):
        assert resolve(request, backends) is first
    assert request.auth is first
    assert request.user == user


def test_resolve_caches_errors_too(rf, user):
    request = rf.get("/", HTTP_X_TEST="bad")
    backends = load_backends([X_PATH])
    with pytest.raises(AuthenticationFailed) as first:
        resolve(request, backends)
    with pytest.raises(AuthenticationFailed) as second:
        resolve(request, backends)
    assert first.value is second.value


@override_settings(AUTHGATE={"BACKENDS": [X_PATH, "authgate.schemes.basic.BasicBackend"]})
def test_401_lists_every_challenge_in_chain_order(client, db):
    response = client.get("/api/whoami/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'XTest realm="tests", Basic realm="api", charset="UTF-8"'
    assert response.json() == {
        "error": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


@override_settings(AUTHGATE={"BACKENDS": [X_PATH, "authgate.schemes.basic.BasicBackend"]})
def test_failing_backend_challenge_carries_the_error(client, user):
    response = client.get("/api/whoami/", HTTP_X_TEST="bad")
    assert response.status_code == 401
    assert 'XTest realm="tests", error="invalid_token"' in response["WWW-Authenticate"]
    assert response.json() == {"error": "invalid_token", "detail": "bad x"}


@override_settings(AUTHGATE={"BACKENDS": [SILENT_PATH]})
def test_without_any_challenge_the_answer_is_403(client, db):
    response = client.get("/api/whoami/")
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response


def test_credentials_are_masked_in_the_debug_log(rf, user, caplog):
    caplog.set_level("DEBUG", logger="authgate.chain")
    authenticate(rf.get("/", HTTP_X_TEST="alice"), load_backends([X_PATH]))
    assert "secret-value" not in caplog.text
    assert "************" in caplog.text


def test_view_override_uses_only_its_backends(client, user):
    # The session backend is not in this view's chain: a logged-in session is not enough.
    client.force_login(user)
    response = client.get("/t/basic-only/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api", charset="UTF-8"'
    response = client.get("/t/basic-only/", HTTP_AUTHORIZATION=BASIC)
    assert response.json() == {"user": "alice", "scheme": "basic"}


@override_settings(AUTHGATE={"UNAUTHENTICATED_USER": None})
def test_unauthenticated_user_setting(rf, db):
    request = rf.get("/")
    assert resolve(request, load_backends()) is None
    assert request.user is None


def test_class_based_view_mixin_requires_scope_for_scoped_identity(client, user):
    # Basic carries the user's full rights, so the mixin's scope requirement passes.
    response = client.get("/t/mixin/", HTTP_AUTHORIZATION=BASIC)
    assert response.status_code == 200
    assert client.get("/t/mixin/").status_code == 401


class PolicyBackend(HeaderX):
    """Like HeaderX, but the identity is limited by a djblets policy and endpoints."""

    def authenticate(self, request, credentials):
        from authgate.core.policy import Policy

        identity = super().authenticate(request, credentials)
        policy = Policy.from_djblets(
            {"resources": {"note-detail": {"*": {"allow": ["GET"], "block": ["*"]}}}}
        ) & Policy.from_scopes(["notes:read", "notes:write"])
        return Identity(user=identity.user, scheme="xtest", restrictions=policy)


@override_settings(AUTHGATE={"BACKENDS": ["tests.test_chain.PolicyBackend"]})
def test_policy_is_enforced_on_the_resolved_view(client, user):
    from notes.models import Note

    note = Note.objects.create(owner=user, title="t")
    assert client.get(f"/api/notes/{note.pk}/", HTTP_X_TEST="alice").status_code == 200
    response = client.delete(f"/api/notes/{note.pk}/", HTTP_X_TEST="alice")
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert Note.objects.filter(pk=note.pk).exists()
    # Other resources are not named by the policy: allowed.
    assert client.get("/api/notes/", HTTP_X_TEST="alice").status_code == 200


# --- the one Outcome on the request ------------------------------------------------------


class CountingX(HeaderX):
    """HeaderX that counts how often it runs."""

    runs = 0

    def get_credentials(self, request):
        type(self).runs += 1
        return super().get_credentials(request)


def test_outcome_remembers_each_backend_so_a_subset_adapter_reruns_nothing(rf, user):
    from authgate.chain import resolve_subset
    from authgate.schemes.basic import BasicBackend

    CountingX.runs = 0
    request = rf.get("/", HTTP_AUTHORIZATION=BASIC)
    assert resolve(request, [CountingX()]) is None  # X: not its credentials
    outcome = outcome_of(request)
    assert outcome.results == {CountingX: None} and not outcome.decided
    # A per-scheme adapter for X and Basic walks its subset: X is not asked again.
    identity = resolve_subset(request, [CountingX(), BasicBackend()])
    assert identity.scheme == "basic" and CountingX.runs == 1
    assert outcome_of(request) is outcome  # one value, updated in place
    assert type(outcome.backend) is BasicBackend and outcome.identity is identity
    assert request.auth is identity and request.user == user
    # Decided by Basic: an adapter for X alone gets nothing, and nothing runs.
    assert resolve_subset(request, [CountingX()]) is None
    assert CountingX.runs == 1
    assert [type(b) for b in outcome.offered] == [CountingX, BasicBackend]


def test_a_subset_adapter_re_raises_only_its_own_schemes_error(rf, user):
    from authgate.chain import resolve_subset
    from authgate.schemes.basic import BasicBackend

    request = rf.get("/", HTTP_X_TEST="bad")
    with pytest.raises(AuthenticationFailed):
        resolve_subset(request, [HeaderX()])
    assert resolve_subset(request, [BasicBackend()]) is None  # another scheme decided
    with pytest.raises(AuthenticationFailed):
        resolve_subset(request, [HeaderX()])  # the kept error, raised again


def test_required_identity_and_identity_of(rf, user):
    from authgate.chain import identity_of, required_identity

    anonymous = rf.get("/")
    assert identity_of(anonymous) is None
    with pytest.raises(RuntimeError, match="auth_required"):
        required_identity(anonymous)
    request = rf.get("/", HTTP_X_TEST="alice")
    identity = resolve(request, [HeaderX()])
    assert identity_of(request) is identity is required_identity(request)


def test_adopt_records_an_identity_checked_outside_the_chain(rf, user):
    from authgate.chain import adopt

    request = rf.get("/")
    identity = Identity(user=user, scheme="link")
    adopt(request, identity)
    assert request.auth is identity and request.user == user
    assert outcome_of(request).decided
    assert resolve(request, [HeaderX()]) is identity  # the chain does not run again
