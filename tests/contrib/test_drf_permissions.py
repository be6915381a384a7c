"""The DRF adapter's per-scheme classes, permissions and throttle, with APIClient and the
browsable API."""

import base64

import pytest
from django.core.cache import cache
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from authgate.contrib.drf import (
    AuthgateAuthentication,
    BasicAuthentication,
    HasScope,
    IsTokenAuthenticated,
    LinkAuthentication,
    ScopedTokenAuthentication,
    SessionAuthentication,
    TokenAuthentication,
    TokenPolicyAllows,
    TokenRateThrottle,
    credential_key,
)
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens.service import issue

pytestmark = pytest.mark.django_db

BASIC = "Basic " + base64.b64encode(b"alice:correct horse").decode()
factory = APIRequestFactory()


def bearer(token, keyword="Bearer"):
    return {"HTTP_AUTHORIZATION": f"{keyword} {token}"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def read_token(user):
    return issue(user, name="read", scopes=["notes:read"])[1]


@pytest.fixture
def full_token(user):
    return issue(user, name="full")[1]


def make_view(*, authentication=None, permissions=(IsAuthenticated,), **attrs):
    """A DRF view answering with the identity's scheme (called without the middleware)."""

    class View(APIView):
        permission_classes = list(permissions)

        def get(self, request):
            return Response({"scheme": request.auth.scheme if request.auth else None})

        post = get

    if authentication is not None:
        View.authentication_classes = list(authentication)
    for name, value in attrs.items():
        setattr(View, name, value)
    return View.as_view()


# --- per-scheme authentication classes --------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "path"),
    [
        (SessionAuthentication, "authgate.schemes.session.SessionBackend"),
        (BasicAuthentication, "authgate.schemes.basic.BasicBackend"),
        (TokenAuthentication, "authgate.schemes.tokens.backend.TokenBackend"),
        (ScopedTokenAuthentication, "authgate.schemes.scoped.backend.ScopedTokenBackend"),
        (LinkAuthentication, "authgate.schemes.links.backend.LinkBackend"),
    ],
)
def test_per_scheme_classes_name_one_backend(cls, path):
    assert issubclass(cls, AuthgateAuthentication)
    assert cls.backends == [path]


def test_token_class_accepts_a_token_and_refuses_basic(user, read_token):
    view = make_view(authentication=[TokenAuthentication])
    assert view(factory.get("/", **bearer(read_token))).data == {"scheme": "token"}
    refused = view(factory.get("/", HTTP_AUTHORIZATION=BASIC))
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'


def test_two_scheme_classes_share_one_run_of_the_chain(user, read_token):
    # Without the middleware: the first class must not cache "anonymous" for the second.
    view = make_view(authentication=[TokenAuthentication, BasicAuthentication])
    assert view(factory.get("/", HTTP_AUTHORIZATION=BASIC)).data == {"scheme": "basic"}
    assert view(factory.get("/", **bearer(read_token))).data == {"scheme": "token"}
    refused = view(factory.get("/"))
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api", Basic realm="api", charset="UTF-8"'


def test_a_bad_token_is_401_invalid_token_through_the_class(user):
    view = make_view(authentication=[TokenAuthentication])
    refused = view(factory.get("/", **bearer("agt_nonsense")))
    assert refused.status_code == 401
    assert refused.data["error"] == "invalid_token"


def test_scheme_class_ignores_an_identity_another_scheme_decided(api, user):
    # Through the middleware the chain ran already; a session is not a token.
    api.force_login(user)
    assert api.get("/api/drf/whoami/").json()["scheme"] == "session"
    response = api.get("/api/drf/token-whoami/")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_scoped_token_class(user):
    token = scoped.issue(user, {"GET": ["/"]}, scopes=["notes:read"])
    view = make_view(authentication=[ScopedTokenAuthentication])
    assert view(factory.get("/", HTTP_AUTHORIZATION=f"TmpToken {token}")).data == {
        "scheme": "scoped"
    }
    assert view(factory.get(f"/?TOKEN={token}")).data == {"scheme": "scoped"}


# --- HasScope and DRF's operators -------------------------------------------------------


def test_has_scope_refusal_is_insufficient_scope_with_challenge(user, read_token):
    view = make_view(permissions=[IsAuthenticated, HasScope("notes:write")])
    refused = view(factory.get("/", **bearer(read_token)))
    assert refused.status_code == 403
    assert refused.data["error"] == "insufficient_scope"
    assert "notes:write" in refused.data["detail"]
    assert 'scope="notes:write"' in refused["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("permission", "allowed"),
    [
        (HasScope("notes:read") & HasScope("notes:write"), False),
        (HasScope("notes:read") | HasScope("notes:write"), True),
        (HasScope("notes:write") | HasScope("notes:read"), True),
        (~HasScope("notes:write"), True),
        (~HasScope("notes:read"), False),
        (IsAuthenticated & HasScope("notes:read"), True),
        (HasScope("notes:write") & IsAuthenticated, False),
        (IsAuthenticated & ~HasScope("notes:write"), True),
    ],
)
def test_has_scope_composes_with_drf_operators(user, read_token, permission, allowed):
    view = make_view(permissions=[permission])
    response = view(factory.get("/", **bearer(read_token)))
    assert response.status_code == (200 if allowed else 403)


def test_has_scope_instances_are_per_request():
    permission = HasScope({"GET": "notes:read", "POST": "notes:write"})
    assert permission() is not permission
    assert permission().scopes == permission.scopes
    assert permission.required("HEAD") == ("notes:read",)


def test_unrestricted_credentials_carry_every_scope(user, full_token):
    view = make_view(permissions=[HasScope("notes:write")])
    assert view(factory.get("/", HTTP_AUTHORIZATION=BASIC)).status_code == 200
    assert view(factory.get("/", **bearer(full_token))).status_code == 200


def test_has_scope_without_credentials_is_401(db):
    view = make_view(permissions=[HasScope("notes:read")])
    assert view(factory.get("/")).status_code == 401


def test_demo_notes_through_api_client_with_a_read_token(api, read_token):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {read_token}")
    assert api.get("/api/drf/notes/").status_code == 200
    refused = api.post("/api/drf/notes/", {"title": "x"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"


# --- TokenPolicyAllows and IsTokenAuthenticated -----------------------------------------


def test_token_policy_allows_checks_the_fetched_object(api, user):
    from notes.models import Note

    mine, other = Note.objects.create(owner=user, title="a"), Note.objects.create(owner=user)
    policy = {
        "resources": {
            "*": {"allow": ["GET", "HEAD"], "block": ["*"]},
            "drf-note-detail": {str(mine.pk): {"allow": ["PATCH"]}},
        }
    }
    token = issue(user, name="policy", policy=policy)[1]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(f"/api/drf/notes/{other.pk}/").status_code == 200
    assert api.patch(f"/api/drf/notes/{mine.pk}/", {"title": "b"}, format="json").status_code == 200
    refused = api.patch(f"/api/drf/notes/{other.pk}/", {"title": "b"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"


def test_token_policy_allows_object_level_directly(user):
    from authgate.identity import Identity
    from authgate.schemes.tokens.backend import restrictions_for

    row = issue(
        user,
        name="p",
        policy={"resources": {"*": {"allow": ["*"]}, "x": {"7": {"block": ["PUT"]}}}},
    )[0]
    identity = Identity(
        user=user, scheme="token", credential=row, restrictions=restrictions_for(row)
    )

    class Match:
        view_name = "x"
        kwargs = {}

    class Req:
        method = "PUT"
        auth = identity
        _request = type("R", (), {"resolver_match": Match(), "path": "/x/"})()

    obj = type("Obj", (), {"pk": 7})()
    assert TokenPolicyAllows().has_object_permission(Req(), None, obj) is False
    obj.pk = 8
    assert TokenPolicyAllows().has_object_permission(Req(), None, obj) is True


def test_is_token_authenticated(user, read_token):
    view = make_view(permissions=[IsTokenAuthenticated])
    assert view(factory.get("/", **bearer(read_token))).status_code == 200
    assert view(factory.get("/", HTTP_AUTHORIZATION=BASIC)).status_code == 403
    assert view(factory.get("/")).status_code == 401


# --- throttling per credential ----------------------------------------------------------


def test_throttle_counts_each_token_separately(user):
    class Throttle(TokenRateThrottle):
        THROTTLE_RATES = {"t": "2/min"}

    view = make_view(throttle_classes=[Throttle], throttle_scope="t")
    one, two = issue(user, name="one")[1], issue(user, name="two")[1]
    codes = [view(factory.get("/", **bearer(one))).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert view(factory.get("/", **bearer(two))).status_code == 200  # its own budget
    assert view(factory.get("/", HTTP_AUTHORIZATION=BASIC)).status_code == 200
    cache.clear()


def test_credential_keys_are_per_credential_and_not_secret(user, read_token):
    from authgate.chain import authenticate
    from authgate.schemes.tokens.backend import TokenBackend

    request = factory.get("/", **bearer(read_token))
    identity = authenticate(request, [TokenBackend()])
    key = credential_key(identity)
    assert key == f"token:{identity.credential.pk}"
    assert read_token not in key
    token = scoped.issue(user, {"GET": ["/"]})
    from authgate.schemes.scoped.backend import ScopedTokenBackend

    request = factory.get("/", HTTP_AUTHORIZATION=f"TmpToken {token}")
    scoped_key = credential_key(authenticate(request, [ScopedTokenBackend()]))
    assert scoped_key.startswith("scoped:") and token not in scoped_key


def test_demo_token_whoami_is_throttled_per_token(api, read_token):
    api.credentials(HTTP_AUTHORIZATION=f"Token {read_token}")
    response = api.get("/api/drf/token-whoami/")
    assert response.status_code == 200
    assert response.json()["scheme"] == "token"


# --- the browsable API ------------------------------------------------------------------


def test_browsable_api_renders_for_a_session(api, user):
    api.force_login(user)
    response = api.get("/api/drf/notes/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Note List" in response.content


def test_browsable_api_401_names_every_scheme(api, db):
    response = api.get("/api/drf/whoami/", HTTP_ACCEPT="text/html")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/html")
    assert "Basic" in response["WWW-Authenticate"]
