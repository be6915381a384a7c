"""The request-a-link e-mail points at a configured base, never at the ``Host`` port
(issue #19, reproduction 11), through the whole request stack (the demo's URLconf).

``ALLOWED_HOSTS`` ignores ports, so ``Host: 127.0.0.1:6666`` is accepted; a link built from
it would send the user's token to whatever listens on port 6666. The link's base is
``LINK_BASE_URL``, else the Sites framework's domain, else the request's host without its
port.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client, override_settings

from tests.reliability.conftest import authgate_settings

REQUEST = "/auth/links/request/"


@pytest.fixture
def alice(make_user: Any) -> Any:
    return make_user("alice", "pw", email="alice@example.com")


def emailed_link(host: str, *, secure: bool = False) -> str:
    """Ask for alice's link with ``Host: host``; the link the e-mail carries."""
    mail.outbox.clear()
    response = Client().post(REQUEST, {"email": "alice@example.com"}, HTTP_HOST=host, secure=secure)
    assert response.status_code == 200
    (message,) = mail.outbox
    assert ":6666" not in message.body  # not in the link, nor in the text around it
    return re.search(r"https?://\S+", message.body).group(0)  # type: ignore[union-attr]


@pytest.mark.django_db
def test_the_host_port_never_reaches_the_link(alice):
    link = emailed_link("127.0.0.1:6666")
    assert link.startswith("http://testserver/auth/links/login/?sesame=")  # LINK_BASE_URL


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://example.com", "https://example.com/auth/links/login/?"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/auth/links/login/?"),
        ("https://[::1]:8443", "https://[::1]:8443/auth/links/login/?"),
    ],
)
def test_the_link_uses_the_configured_base(alice, base, expected):
    with authgate_settings(LINK_BASE_URL=base):
        assert emailed_link("127.0.0.1:6666").startswith(expected)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("host", "secure", "expected"),
    [
        ("127.0.0.1:6666", False, "http://127.0.0.1/auth/links/login/?"),
        ("localhost:6666", True, "https://localhost/auth/links/login/?"),
        ("127.0.0.1", False, "http://127.0.0.1/auth/links/login/?"),
    ],
)
def test_without_a_base_the_request_host_is_used_without_its_port(alice, host, secure, expected):
    with authgate_settings(LINK_BASE_URL=None):
        assert emailed_link(host, secure=secure).startswith(expected)


@pytest.fixture
def sites(settings: Any) -> Iterator[Any]:
    """``django.contrib.sites`` installed for one test, its table made and dropped."""
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "django.contrib.sites"]):
        from django.contrib.sites.models import Site

        with connection.schema_editor() as editor:
            editor.create_model(Site)
        Site.objects.clear_cache()
        try:
            yield Site
        finally:
            Site.objects.clear_cache()
            with connection.schema_editor() as editor:
                editor.delete_model(Site)


@pytest.mark.django_db(transaction=True)
def test_without_a_base_the_current_site_is_used(alice, sites):
    sites.objects.create(id=1, domain="notes.example.org:8443", name="notes")
    with authgate_settings(LINK_BASE_URL=None), override_settings(SITE_ID=1):
        link = emailed_link("127.0.0.1:6666", secure=True)
    assert urlsplit(link)[:3] == ("https", "notes.example.org:8443", "/auth/links/login/")
    # No SITE_ID and no site for the request's host: the host without its port.
    with authgate_settings(LINK_BASE_URL=None):
        assert emailed_link("127.0.0.1:6666").startswith("http://127.0.0.1/auth/")
