"""``query_values``: ``request.GET.getlist`` without building ``GET`` when it can be avoided."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, QueryDict
from django.test import AsyncRequestFactory, RequestFactory

from authgate._speed.query import query_values
from authgate.chain import authenticate
from authgate.errors import AuthenticationFailed
from authgate.schemes.scoped.backend import ScopedTokenBackend

rf = RequestFactory()
arf = AsyncRequestFactory()


@pytest.mark.fast_paths_only
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


@pytest.mark.fast_paths_only
@pytest.mark.django_db
def test_scoped_header_without_a_query_string_leaves_get_unbuilt(user):
    from authgate.schemes.scoped import service as scoped

    token = scoped.issue(user, {"GET": ["/api/notes/"]})
    request = rf.get("/api/notes/", HTTP_AUTHORIZATION=f"TmpToken {token}")
    identity = authenticate(request, [ScopedTokenBackend()])
    assert identity is not None and identity.user.pk == user.pk
    assert "GET" not in vars(request)


@pytest.mark.django_db
def test_scoped_header_and_query_together_are_still_refused(user):
    from authgate.schemes.scoped import service as scoped

    token = scoped.issue(user, {"GET": ["/api/notes/"]})
    request = rf.get("/api/notes/", {"TOKEN": token}, HTTP_AUTHORIZATION=f"TmpToken {token}")
    with pytest.raises(AuthenticationFailed):
        authenticate(request, [ScopedTokenBackend()])


# --- the hand scan of a plain query string ------------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

query_text = st.text(alphabet="TOKENab=&%+;-_.~ 2É\x00", max_size=60)
names = st.sampled_from(["TOKEN", "sesame", "a", "T=K", "a&b", "a+b", "%41", "É"])


@given(query=query_text, name=names)
def test_any_query_string_answers_as_querydict(query, name):
    for factory in (rf, arf):
        request = factory.get("/api/notes/")
        request.META["QUERY_STRING"] = query  # a WSGI request's META is its environ
        assert query_values(request, name) == QueryDict(query).getlist(name)


@pytest.mark.fast_paths_only
def test_a_plain_query_string_is_scanned_without_building_get():
    request = rf.get("/api/notes/?page=2&TOKEN=abc.def_-~&TOKEN&flag=")
    assert query_values(request, "TOKEN") == ["abc.def_-~", ""]
    assert "GET" not in vars(request)
    assert request.GET.getlist("TOKEN") == ["abc.def_-~", ""]


def test_a_long_or_encoded_query_string_builds_get():
    many = "&".join(f"f{i}=1" for i in range(20)) + "&TOKEN=a"
    for query in (many, "TOKEN=a%2Bb", "TOKEN=a+b"):
        request = rf.get(f"/api/notes/?{query}")
        assert query_values(request, "TOKEN") == QueryDict(query).getlist("TOKEN")
        assert "GET" in vars(request)


def test_djangos_field_limit_still_applies(settings):
    from django.core.exceptions import TooManyFieldsSent

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    request = rf.get("/api/notes/?a=1&b=2&TOKEN=x")
    with pytest.raises(TooManyFieldsSent):
        query_values(request, "TOKEN")
