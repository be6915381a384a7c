"""System checks on the scopes mounted views require: ``authgate.W003`` (a scope map leaves
out an unsafe method the view accepts) and ``authgate.W004`` (a scope not in
``AUTHGATE["SCOPES"]``), found by walking the URLconf (tests/scope_check_urls.py)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.test import override_settings

from authgate.scope_checks import check_scope_maps

SCOPES = {"notes:read": "Read", "notes:write": "Write"}


def found(**authgate: object) -> dict[str, dict[str, str]]:
    """``{route: {check id: message}}`` for the scope checks over the test URLconf."""
    with override_settings(
        ROOT_URLCONF="tests.scope_check_urls",
        AUTHGATE={**django_settings.AUTHGATE, "SCOPES": SCOPES, **authgate},
    ):
        messages = check_scope_maps()
    result: dict[str, dict[str, str]] = {}
    for message in messages:
        route = str(message.obj).split(" ")[0]
        assert message.hint, message
        result.setdefault(route, {})[message.id] = message.msg
    return result


def test_maps_that_leave_out_unsafe_methods_are_reported():
    w003 = {route: ids["authgate.W003"] for route, ids in found().items() if "authgate.W003" in ids}
    assert set(w003) == {
        "/f/read-only-map/",
        "/f/wrapped-read-only-map/",  # found through require_http_methods' functools.wraps
        "/c/leaves-delete/",
        "/d/and/",
        "/d/or/",
        "/d/kwargs/",
        "/n/notes/",
    }
    assert "names none of POST, PUT, PATCH and DELETE" in w003["/f/read-only-map/"]
    assert "does not name DELETE, which the view accepts" in w003["/c/leaves-delete/"]
    assert "does not name POST, which" in w003["/d/and/"]
    assert "does not name POST, PUT, which" in w003["/d/or/"]
    assert "does not name POST, which" in w003["/n/notes/"]


def test_unregistered_scopes_are_reported():
    w004 = {route: ids["authgate.W004"] for route, ids in found().items() if "authgate.W004" in ids}
    assert set(w004) == {"/f/typo/", "/d/and/", "/d/covered/"}
    assert "'notes:raed', 'notes:wirte'" in w004["/f/typo/"]
    assert "'x'" in w004["/d/covered/"]


def test_authgate_own_views_need_no_registered_scope():
    """/auth/api/tokens/ requires tokens:manage, which these SCOPES do not register."""
    assert not [route for route in found() if route.startswith("/auth/")]


def test_the_checks_run_with_manage_py_check():
    with override_settings(ROOT_URLCONF="tests.scope_check_urls"):
        ids = {m.id for m in run_checks() if str(m.obj).startswith("/f/typo/")}
    assert ids == {"authgate.W004"}


@pytest.mark.parametrize("urlconf", ["tests.urls", "demo.urls"])
def test_the_suite_and_the_demo_are_clean(urlconf):
    with override_settings(
        ROOT_URLCONF=urlconf,
        AUTHGATE={**django_settings.AUTHGATE, "SCOPES": {**SCOPES, "tokens:manage": "Tokens"}},
    ):
        assert check_scope_maps() == []
