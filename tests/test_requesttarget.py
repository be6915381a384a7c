"""The raw request target (authgate.requesttarget): what the server says, else re-escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from authgate.requesttarget import raw_request_target, request_target


def wsgi(path: str, **environ: Any) -> Any:
    return RequestFactory().get(path, **environ)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"RAW_URI": "/caf%c3%a9/?q=%41"}, ("/caf%c3%a9/", "q=%41")),  # gunicorn
        ({"REQUEST_URI": "/a%2Fb/"}, ("/a%2Fb/", "")),  # uWSGI, mod_wsgi
        ({"RAW_URI": "http://testserver/%7Esmith?x"}, ("/%7Esmith", "x")),  # absolute form
        ({"RAW_URI": "/x", "REQUEST_URI": "/y"}, ("/x", "")),
    ],
)
def test_wsgi_servers_raw_target(environ: dict[str, str], expected: tuple[str, str]) -> None:
    assert raw_request_target(wsgi("/anything/", **environ)) == expected
    assert request_target(wsgi("/anything/", **environ)) == expected


@pytest.mark.parametrize("raw", ["*", "example.com:443", "/caf\u00e9/", "/a b/", "/a\x00"])
def test_untrustworthy_targets_fall_back(raw: str) -> None:
    request = wsgi("/café/", QUERY_STRING="q=1", RAW_URI=raw)
    assert raw_request_target(request) is None
    assert request_target(request) == ("/caf%C3%A9/", "q=1")


def test_no_raw_target_re_escapes_the_decoded_path() -> None:
    request = wsgi("/a/b/", QUERY_STRING="q=%41")
    assert raw_request_target(request) is None
    assert request_target(request) == ("/a/b/", "q=%41")


def test_asgi_scope_raw_path() -> None:
    from django.core.handlers.asgi import ASGIRequest

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/café/",
        "raw_path": b"/caf%c3%a9/",
        "query_string": b"q=%41",
        "headers": [(b"host", b"testserver")],
    }
    request = ASGIRequest(scope, b"")  # type: ignore[arg-type]
    assert request_target(request) == ("/caf%c3%a9/", "q=%41")
    del scope["raw_path"]
    assert request_target(ASGIRequest(scope, b"")) == ("/caf%C3%A9/", "q=%41")  # type: ignore[arg-type]
