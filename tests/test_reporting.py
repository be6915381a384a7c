"""The error reports (the debug 500 page, the error e-mail's text and HTML) mask secrets
inside containers and in POST data (issue #19, reproduction 9).

A 500 after a body was read leaves the secrets in the frames' locals: the parsed body (a
dict), lists and tuples built from it, nested dicts, ``request.POST``. Django's filter only
looks at names of variables and settings; in the HTML report the quotes around a pair are
escaped, so masking the rendered text cannot find it either. authgate's filter masks the
data before it is rendered (``authgate.reporting.cleanse``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils.datastructures import MultiValueDict
from django.utils.log import AdminEmailHandler

from authgate.core.redaction import MASK
from authgate.reporting import MAX_DEPTH, cleanse

pytestmark = pytest.mark.django_db

PASSWORD = "hunter2-in-a-body"
TOKEN = "agt_" + "A1b2C3d4E5" * 4 + "xy"  # token-shaped: 42 characters after the prefix
FIELDS = {"username": "alice", "password": PASSWORD, "token": TOKEN, "note": "visible-note"}
URL = "/t/boom-data/"


def _bodies() -> list[dict[str, Any]]:
    """The same fields as a form and as JSON."""
    return [
        {"data": FIELDS},
        {"data": json.dumps(FIELDS), "content_type": "application/json"},
    ]


@pytest.mark.parametrize("body", _bodies(), ids=["form", "json"])
def test_the_debug_500_page(settings, body):
    settings.DEBUG = True  # Django's technical 500 response, as runserver shows it
    response = Client(raise_request_exception=False).post(URL, **body)
    assert response.status_code == 500
    page = response.content.decode()
    assert "RuntimeError" in page and "boom with" in page  # still a useful report
    assert "visible-note" in page and "visible-value" in page  # only secrets are masked
    assert PASSWORD not in page
    assert TOKEN not in page
    assert MASK in page


@pytest.mark.parametrize("body", _bodies(), ids=["form", "json"])
@override_settings(ADMINS=[("Ops", "ops@example.com")])
def test_the_error_e_mail_text_and_html(body):
    handler = AdminEmailHandler(include_html=True)
    handler.setLevel(logging.ERROR)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    mail.outbox.clear()
    try:
        assert Client(raise_request_exception=False).post(URL, **body).status_code == 500
    finally:
        logger.removeHandler(handler)
    assert mail.outbox, "expected an error e-mail"
    htmls = []
    for report in mail.outbox:  # Django's own mail_admins handler may send one too
        html = [content for content, kind in report.alternatives if kind == "text/html"]
        htmls += html
        for text in [report.subject, report.body, *html]:
            assert PASSWORD not in text
            assert TOKEN not in text
    assert htmls, "expected the HTML report"
    assert all("visible-value" in html for html in htmls)
    if "content_type" not in body:  # a form: its POST data is in the report, masked
        assert all("visible-note" in html and "hunter2" not in html for html in htmls)


def test_cleanse_keeps_shapes_and_masks_at_any_depth():
    names = ("sesame",)
    value = {
        "password": PASSWORD,
        "list": [TOKEN, {"api_key": "k"}, ("t", TOKEN)],
        "set": frozenset({"plain"}),
        "bytes": f'{{"password": "{PASSWORD}"}}'.encode(),
        "sesame": "link-token",
        7: "int key",
    }
    assert cleanse(value, names) == {
        "password": MASK,
        "list": [MASK, {"api_key": MASK}, ("t", MASK)],
        "set": frozenset({"plain"}),
        "bytes": f'{{"password": "{MASK}"}}',
        "sesame": MASK,
        7: "int key",
    }
    assert value["password"] == PASSWORD  # a copy: the live frame's objects are untouched


def test_cleanse_multivaluedicts_and_deep_structures():
    posted = MultiValueDict({"password": [PASSWORD, "again"], "name": ["n", TOKEN]})
    cleansed = cleanse(posted, ())
    assert cleansed.getlist("password") == [MASK, MASK]
    assert cleansed.getlist("name") == ["n", MASK]
    deep: Any = {"password": PASSWORD}
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    text = repr(cleanse(deep, ()))
    assert PASSWORD not in text and MASK in text
    loop: list[Any] = [TOKEN]
    loop.append(loop)  # a cycle ends at MAX_DEPTH, never a RecursionError
    assert TOKEN not in repr(cleanse(loop, ()))
