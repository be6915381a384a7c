"""Scope maps fail closed (issue #19, reproduction 7), through the whole request stack.

A map names the methods it allows: ``{"GET": "notes:read", "POST": "notes:write"}`` refuses
PATCH and DELETE to everyone — a read-only token, a write token, a session — with 403
``insufficient_scope``, unless the map has a ``"*"`` entry. HEAD and OPTIONS follow GET.
The views are written as the docs show them (tests/scope_maps.py): a plain Django view, a
DRF ``ModelViewSet`` with ``HasScope``, a Ninja operation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from notes.models import Note

from authgate.decorators import scopes_for
from authgate.schemes.tokens.service import issue

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.scope_maps")]

PLAIN = "/t/maps/notes/{pk}/"
DRF = "/t/maps/drf/notes/{pk}/"
STAR = "/t/maps/star/notes/{pk}/"


@pytest.fixture
def note(user: Any) -> Note:
    return Note.objects.create(owner=user, title="keep me")


def bearer(user: Any, *scopes: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue(user, scopes=list(scopes) or None)[1]}"}


def send(method: str, url: str, headers: dict[str, str], data: Any = None) -> Any:
    body = json.dumps(data) if data is not None else ""
    return getattr(Client(), method)(url, body, content_type="application/json", **headers)


def answer(response: Any) -> tuple[int, Any]:
    """``(status, error code)``; the code is ``None`` for a body that is not an error."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    return response.status_code, body.get("error") if isinstance(body, dict) else None


@pytest.mark.parametrize("url", [PLAIN, DRF], ids=["plain-view", "drf-viewset"])
def test_a_read_only_token_cannot_patch_or_delete(url, user, note):
    read = bearer(user, "notes:read")
    assert send("get", url.format(pk=note.pk), read).status_code == 200
    patched = send("patch", url.format(pk=note.pk), read, {"title": "pwned"})
    deleted = send("delete", url.format(pk=note.pk), read)
    assert answer(patched) == (403, "insufficient_scope")
    assert answer(deleted) == (403, "insufficient_scope")
    note.refresh_from_db()
    assert note.title == "keep me"


@pytest.mark.parametrize("url", [PLAIN, DRF], ids=["plain-view", "drf-viewset"])
@pytest.mark.parametrize("who", ["write token", "full token", "basic"])
def test_an_unnamed_method_is_refused_to_everyone(url, who, user, note):
    headers = {
        "write token": lambda: bearer(user, "notes:write"),
        "full token": lambda: bearer(user),
        "basic": lambda: {"HTTP_AUTHORIZATION": "Basic YWxpY2U6Y29ycmVjdCBob3JzZQ=="},
    }[who]()
    response = send("delete", url.format(pk=note.pk), headers)
    assert answer(response) == (403, "insufficient_scope")
    assert Note.objects.filter(pk=note.pk).exists()


def test_a_named_method_still_works(user, note):
    write = bearer(user, "notes:write")
    response = send("post", PLAIN.format(pk=note.pk), write, {"title": "renamed"})
    assert response.status_code == 200
    created = send("post", "/t/maps/drf/notes/", write, {"title": "new"})
    assert created.status_code == 201


def test_the_star_entry_covers_the_other_methods(user, note):
    url = STAR.format(pk=note.pk)
    assert send("delete", url, bearer(user, "notes:read")).status_code == 403
    assert send("delete", url, bearer(user, "notes:write")).status_code == 204
    assert not Note.objects.filter(pk=note.pk).exists()


def test_head_and_options_follow_get(user, note):
    read, write = bearer(user, "notes:read"), bearer(user, "notes:write")
    url = DRF.format(pk=note.pk)
    assert Client().head(url, **read).status_code == 200
    assert Client().options(url, **read).status_code == 200
    assert Client().options(url, **write).status_code == 403
    assert Client().head(PLAIN.format(pk=note.pk), **write).status_code == 403


def test_a_ninja_operation_outside_its_map_is_refused(user, note):
    response = Client().delete(f"/t/maps/ninja/notes/{note.pk}/", **bearer(user, "notes:read"))
    assert answer(response) == (403, "insufficient_scope")
    assert Note.objects.filter(pk=note.pk).exists()


@pytest.mark.parametrize(
    ("spec", "method", "expected"),
    [
        (None, "DELETE", ()),
        ("notes:read", "DELETE", ("notes:read",)),
        (["a", "b"], "PUT", ("a", "b")),
        ({"GET": "r"}, "GET", ("r",)),
        ({"GET": "r"}, "HEAD", ("r",)),
        ({"GET": "r"}, "OPTIONS", ("r",)),
        ({"GET": "r", "HEAD": ["h"]}, "HEAD", ("h",)),
        ({"GET": "r"}, "POST", None),
        ({"GET": "r"}, "DELETE", None),
        ({"POST": "w"}, "GET", None),
        ({"GET": "r", "*": "w"}, "DELETE", ("w",)),
        ({"GET": "r", "*": ()}, "DELETE", ()),
        ({}, "GET", None),
    ],
)
def test_scopes_for(spec, method, expected):
    assert scopes_for(spec, method) == expected
