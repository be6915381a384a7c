"""Async views and ASGI: the chain's async twins never run backends on the event loop."""

import asyncio
import base64

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.http import HttpResponse, JsonResponse
from django.test import AsyncClient, RequestFactory
from django.views import View

from authgate.backend import Backend
from authgate.chain import aauthenticate, aresolve, aresolve_subset, resolve
from authgate.decorators import AuthRequiredMixin, auth_required
from authgate.identity import Identity
from authgate.middleware import AuthgateMiddleware
from authgate.schemes.basic import BasicBackend
from authgate.schemes.tokens.service import issue

pytestmark = pytest.mark.django_db

BASIC = "Basic " + base64.b64encode(b"alice:correct horse").decode()


def in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class RecordingBackend(Backend):
    """Accepts ``X-Test-User``; records whether it ran on an event loop."""

    scheme = "Test"
    calls: list[bool] = []

    def get_credentials(self, request):
        self.calls.append(in_event_loop())
        return (
            {"user": request.META["HTTP_X_TEST_USER"]}
            if "HTTP_X_TEST_USER" in request.META
            else None
        )

    def authenticate(self, request, credentials):
        return Identity(user=credentials["user"], scheme="test")


@pytest.fixture
def aclient():
    return AsyncClient()


def get(aclient, path, HTTP_AUTHORIZATION=None):
    headers = {"Authorization": HTTP_AUTHORIZATION} if HTTP_AUTHORIZATION else {}
    return async_to_sync(aclient.get)(path, headers=headers)


# --- async views through Django's ASGI handler ------------------------------------------


def test_async_view_without_credentials_is_401_with_every_challenge(aclient, db):
    response = get(aclient, "/api/async/whoami/")
    assert response.status_code == 401
    assert 'Basic realm="api", charset="UTF-8"' in response["WWW-Authenticate"]
    assert response.json()["error"] == "not_authenticated"


def test_async_view_with_basic(aclient, user):
    response = get(aclient, "/api/async/whoami/", HTTP_AUTHORIZATION=BASIC)
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "scheme": "basic", "scopes": None, "async": True}


def test_async_view_with_a_token_and_scopes(aclient, user):
    from notes.models import Note

    Note.objects.create(owner=user, title="mine")
    read = issue(user, name="read", scopes=["notes:read"])[1]
    write = issue(user, name="write", scopes=["notes:write"])[1]
    ok = get(aclient, "/api/async/notes/", HTTP_AUTHORIZATION=f"Bearer {read}")
    assert ok.status_code == 200
    assert [n["title"] for n in ok.json()["notes"]] == ["mine"]
    refused = get(aclient, "/api/async/notes/", HTTP_AUTHORIZATION=f"Bearer {write}")
    assert refused.status_code == 403
    assert 'scope="notes:read"' in refused["WWW-Authenticate"]


def test_async_view_bad_credentials_answered_by_the_middleware(aclient, db):
    response = get(aclient, "/api/async/whoami/", HTTP_AUTHORIZATION="Bearer agt_nope")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_sync_views_still_work_under_asgi(aclient, user):
    assert get(aclient, "/api/whoami/", HTTP_AUTHORIZATION=BASIC).json()["scheme"] == "basic"
    assert get(aclient, "/api/drf/whoami/", HTTP_AUTHORIZATION=BASIC).json()["scheme"] == "basic"


# --- the middleware ---------------------------------------------------------------------


def test_middleware_is_async_capable():
    async def get_response(request):
        return HttpResponse("ok")

    middleware = AuthgateMiddleware(get_response)
    assert AuthgateMiddleware.async_capable and AuthgateMiddleware.sync_capable
    assert iscoroutinefunction(middleware)
    assert iscoroutinefunction(middleware.process_view)
    sync_middleware = AuthgateMiddleware(lambda request: HttpResponse("ok"))
    assert not iscoroutinefunction(sync_middleware)
    assert not iscoroutinefunction(sync_middleware.process_view)


def test_async_process_view_runs_backends_off_the_loop(rf):
    RecordingBackend.calls.clear()

    async def get_response(request):
        return HttpResponse("ok")

    middleware = AuthgateMiddleware(get_response)

    def view(request):
        return HttpResponse()

    view.authgate_backends = ("tests.test_async.RecordingBackend",)
    request = rf.get("/", HTTP_X_TEST_USER="zed")
    assert async_to_sync(middleware.process_view)(request, view, (), {}) is None
    assert request.auth.user == "zed"
    assert RecordingBackend.calls == [False]


# --- the twins --------------------------------------------------------------------------


def test_aresolve_runs_backends_off_the_event_loop(rf):
    RecordingBackend.calls.clear()
    request = rf.get("/", HTTP_X_TEST_USER="zed")
    identity = async_to_sync(aresolve)(request, [RecordingBackend()])
    assert identity.scheme == "test" and request.user == "zed" and request.auth is identity
    assert RecordingBackend.calls == [False]
    # Cached: the same outcome, no second run.
    assert async_to_sync(aresolve)(request, [RecordingBackend()]) is identity
    assert RecordingBackend.calls == [False]


def test_aauthenticate_and_errors(rf, user):
    request = rf.get("/", HTTP_AUTHORIZATION=BASIC)
    identity = async_to_sync(aauthenticate)(request, [BasicBackend()])
    assert identity.scheme == "basic"
    bad = rf.get("/", HTTP_AUTHORIZATION="Basic %%%")
    from authgate.errors import AuthenticationFailed

    with pytest.raises(AuthenticationFailed):
        async_to_sync(aresolve)(bad, [BasicBackend()])
    with pytest.raises(AuthenticationFailed):  # the cached error, re-raised
        async_to_sync(aresolve)(bad, [BasicBackend()])


def test_aresolve_subset_runs_only_untried_backends(rf, user):
    RecordingBackend.calls.clear()
    request = rf.get("/", HTTP_AUTHORIZATION=BASIC)
    assert resolve(request, [RecordingBackend()]) is None  # anonymous for that chain
    identity = async_to_sync(aresolve_subset)(request, [RecordingBackend(), BasicBackend()])
    assert identity.scheme == "basic"
    assert RecordingBackend.calls == [False]  # not run again
    # Decided by Basic: a Test-only adapter does not accept it.
    assert async_to_sync(aresolve_subset)(request, [RecordingBackend()]) is None


# --- decorator and mixin on async views -------------------------------------------------


def test_auth_required_keeps_an_async_view_async(rf, user):
    @auth_required(scopes="notes:read")
    async def view(request):
        return JsonResponse({"scheme": request.auth.scheme})

    assert iscoroutinefunction(view)
    response = async_to_sync(view)(rf.get("/", HTTP_AUTHORIZATION=BASIC))
    assert response.status_code == 200
    assert async_to_sync(view)(rf.get("/")).status_code == 401


def test_auth_required_mixin_on_an_async_class_based_view(user):
    class Async(AuthRequiredMixin, View):
        required_scopes = "notes:read"

        async def get(self, request):
            return JsonResponse({"scheme": request.auth.scheme})

    view = Async.as_view()
    assert iscoroutinefunction(view)
    factory = RequestFactory()
    ok = async_to_sync(view)(factory.get("/", HTTP_AUTHORIZATION=BASIC))
    assert ok.status_code == 200
    assert async_to_sync(view)(factory.get("/")).status_code == 401
