"""``query_values``: ``request.GET.getlist`` without parsing an empty query string."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, QueryDict
from django.test import AsyncRequestFactory, RequestFactory

from authgate.backends.base import query_values
from authgate.backends.scoped import ScopedTokenBackend
from authgate.chain import authenticate
from authgate.exceptions import AuthenticationFailed

rf = RequestFactory()
arf = AsyncRequestFactory()


@pytest.mark.parametrize("factory", [rf, arf], ids=["wsgi", "asgi"])
def test_no_query_string_answers_without_building_get(factory):
    request = factory.get("/api/notes/")
    assert query_values(request, "TOKEN") == []
    assert "GET" not in vars(request)  # the QueryDict was never built
    assert request.GET.getlist("TOKEN") == []  # and is still there when asked for


@pytest.mark.parametrize("factory", [rf, arf], ids=["wsgi", "asgi"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"TOKEN": "a"}, ["a"]),
        ({"TOKEN": ["a", "b"]}, ["a", "b"]),
        ({"other": "x"}, []),
        ({"TOKEN": "a b+c%"}, ["a b+c%"]),
    ],
)
def test_a_query_string_is_read_as_get_reads_it(factory, query, expected):
    request = factory.get("/api/notes/", query)
    assert query_values(request, "TOKEN") == expected == request.GET.getlist("TOKEN")


def test_an_encoded_name_is_found():
    request = rf.get("/api/notes/?TOK%45N=a")
    assert query_values(request, "TOKEN") == ["a"]


def test_an_assigned_get_wins_over_the_raw_query_string():
    request = rf.get("/api/notes/")
    request.GET = QueryDict("TOKEN=a")
    assert query_values(request, "TOKEN") == ["a"]


def test_a_plain_http_request_uses_its_get():
    request = HttpRequest()
    request.GET = QueryDict("TOKEN=a", mutable=True)
    assert query_values(request, "TOKEN") == ["a"]
    assert query_values(HttpRequest(), "TOKEN") == []


@pytest.mark.django_db
def test_scoped_header_without_a_query_string_leaves_get_unbuilt(user):
    from authgate import scoped

    token = scoped.issue(user, {"GET": ["/api/notes/"]})
    request = rf.get("/api/notes/", HTTP_AUTHORIZATION=f"TmpToken {token}")
    identity = authenticate(request, [ScopedTokenBackend()])
    assert identity is not None and identity.user.pk == user.pk
    assert "GET" not in vars(request)


@pytest.mark.django_db
def test_scoped_header_and_query_together_are_still_refused(user):
    from authgate import scoped

    token = scoped.issue(user, {"GET": ["/api/notes/"]})
    request = rf.get("/api/notes/", {"TOKEN": token}, HTTP_AUTHORIZATION=f"TmpToken {token}")
    with pytest.raises(AuthenticationFailed):
        authenticate(request, [ScopedTokenBackend()])
