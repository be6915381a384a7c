"""No secret at rest, and the suite-wide log check is real.

* Every table, dumped row by row with raw SQL after tokens of every kind were issued and used
  (API tokens by ``issue``, ``rotate`` and the obtain-token endpoint, one-time and limited
  tokens, scoped tokens, one-time magic links by ``get_token`` and the request-a-link
  e-mail), holds no plaintext token — nor its secret part without the prefix — and no
  HMAC signature key's shared secret (stored sealed).
* The session-wide :class:`~tests.reliability.leakcheck.LeakCheck` (tests/conftest.py) is
  installed, sees the secrets the suite issues, and does fail when one is logged.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from authgate.schemes.httpsig import service as signature_keys
from authgate.schemes.links import service as links
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens import service as tokens
from tests.reliability.conftest import authgate_settings, client, count
from tests.reliability.leakcheck import LeakCheck

pytestmark = pytest.mark.django_db


def dump_every_table() -> str:
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows += [f"{table}: {row!r}" for row in cursor.fetchall()]
    return "\n".join(rows)


def test_no_plaintext_token_in_any_table(alice, bob):
    issued = []
    with authgate_settings(LINK_ONE_TIME=True, LOGIN_LIMIT_RATE=None):
        row, plaintext = tokens.issue(alice, scopes=["notes:read"], max_uses=2)
        issued.append(plaintext)
        issued.append(tokens.rotate(row, overlap=timedelta(minutes=5))[1])
        issued.append(tokens.issue(bob, max_uses=1)[1])
        response = client().post(
            "/auth/token/", {"username": "alice", "password": "alice-correct-horse"}
        )
        issued.append(response.json()["token"])
        issued.append(scoped.issue(alice, {"GET": ["/api/"]}, recipient="dump test"))
        issued.append(links.get_token(alice))
        client().post("/auth/links/request/", {"email": "bob@example.com"})
        issued += re.findall(r"agl1_[A-Za-z0-9_-]+", mail.outbox[-1].body)
        for token in issued:  # use each once: last_used, use counts, one-time records
            kwargs: dict[str, Any] = (
                {"data": {"sesame": token}}
                if token.startswith("agl1_")
                else {
                    "HTTP_AUTHORIZATION": ("TmpToken " if "ags1_" in token else "Bearer ") + token
                }
            )
            assert client().get("/api/whoami/", **kwargs).status_code == 200, token
    assert len(issued) == 7
    _key, hmac_secret = signature_keys.create_hmac_key(alice)  # stored to verify with: sealed
    dump = dump_every_table()
    assert hmac_secret not in dump and hmac_secret.rstrip("=") not in dump
    assert "authgate_usedtoken" in dump and "authgate_apitoken" in dump
    count("tables dumped", len(connection.introspection.table_names()))
    for token in issued:
        secret = token.split("_", 1)[1]
        assert token not in dump and secret not in dump, f"{token[:8]}… is stored in plaintext"
        for part in secret.split("."):
            assert len(part) < 12 or part not in dump, f"part of {token[:8]}… is stored"


def test_the_session_wide_check_is_installed_and_sees_issued_secrets(leak_check, alice):
    assert any(type(h).__name__ == "_CaptureHandler" for h in logging.getLogger().handlers)
    _row, plaintext = tokens.issue(alice)
    assert plaintext in leak_check.secrets
    assert links.get_token(alice) in leak_check.secrets
    assert "alice-correct-horse" in leak_check.secrets  # set_password is seen too
    assert leak_check.records > 0


def test_the_check_fails_when_a_secret_is_logged(leak_check, alice):
    """Plant a leak on purpose — raw in authgate's logger, and past the filter in a test
    logger by splitting it — and watch both checks catch it; then remove the planted
    records so the session check stays green."""
    _row, plaintext = tokens.issue(alice)
    scoped_token = scoped.issue(alice, {"GET": ["/"]})
    marker = "planted-leak-" + plaintext[-8:]
    logging.getLogger("authgate.planted").debug("%s token=%s", marker, plaintext)
    logging.getLogger("tests.planted").warning("%s %s", marker, " ".join(scoped_token))
    logging.getLogger("tests.planted").warning("%s password %s", marker, "alice-correct-horse")
    try:
        found = {(leak.secret_kind, leak.where) for leak in leak_check.find_leaks()}
        assert ("API token", "log record authgate.planted (raw)") in found, found
        assert ("password", "log record tests.planted") in found, found
        # A fresh check over the same texts agrees (the detector, not leftovers).
        fresh = LeakCheck()
        fresh.add_secret(plaintext, "API token")
        fresh.add_text(f"x {plaintext} y", "planted")
        kinds = {leak.secret_kind for leak in fresh.find_leaks()}
        assert kinds == {"API token", "API token (without prefix)"}
    finally:
        leak_check.forget_texts(lambda text: marker in text)
    assert not [leak for leak in leak_check.find_leaks() if marker in leak.excerpt]
