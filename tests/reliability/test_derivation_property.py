"""Issue #19, the property: no child credential can make a request its parent could not.

Hypothesis draws a parent API token (scopes, djblets policy, IP allowlist, expiry, use
limit) and a mint request on one path — a scoped token (``POST /auth/scoped/``), a child
API token (``POST /auth/api/tokens/``), a session (``TOKEN_START_SESSION``), an
HTTP-signature key (the ``/auth/keys/`` page of that session), a scoped token and a magic
link (the temporary-credential page of that session) — then sends every probe of the demo API
(read, list, create, change, delete a note; from the allowlisted address and from
another) with the child. Each probe the child gets through (2xx) is sent again with a twin
of the parent (the same rights without the use limit, so probing spends nothing), on a
fresh note: it must get through too. A child must also expire no later than its parent.

Everything goes through the real request stack; the figures are in the reliability report.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from itertools import count as counter
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authgate.models import APIToken, HTTPSignatureKey
from authgate.schemes.tokens import service as tokens
from tests.reliability.conftest import authgate_settings, client, count
from tests.reliability.test_derivation import NO_DELETE, _register_key, bearer
from tests.schemes.httpsig.conftest import BACKEND as HTTPSIG
from tests.schemes.httpsig.conftest import signed_headers

pytestmark = pytest.mark.django_db

READ_ONLY = {"resources": {"*": {"allow": ["GET", "HEAD"], "block": ["*"]}}}
NOTES_ONLY = {
    "resources": {
        "*": {"block": ["*"]},
        "note-list": {"*": {"allow": ["*"]}},
        "note-detail": {"*": {"allow": ["GET", "PATCH"]}},
    }
}
SCOPES = ["notes:read", "notes:write", "tokens:manage"]
METHODS = ["GET", "POST", "PATCH", "DELETE"]
PREFIXES = ["/", "/api/", "/api/notes/", "/api/notes/1/", "/api/whoami/", "/auth/", "/api//notes/"]
#: Where probes come from: inside the allowlists below, and outside them.
ADDRESSES = ["127.0.0.1", "10.1.2.3"]
PROBES = [
    ("GET", "/api/whoami/"),
    ("GET", "/api/notes/"),
    ("POST", "/api/notes/"),
    ("GET", "/api/notes/{id}/"),
    ("PATCH", "/api/notes/{id}/"),
    ("DELETE", "/api/notes/{id}/"),
]

scope_sets = st.one_of(st.none(), st.sets(st.sampled_from(SCOPES)).map(sorted))
parents = st.fixed_dictionaries(
    {
        "scopes": scope_sets,
        "policy": st.sampled_from([None, NO_DELETE, READ_ONLY, NOTES_ONLY]),
        "allowed_ips": st.sampled_from([[], ["127.0.0.1/32"], ["10.0.0.0/8"]]),
        "expires_in": st.sampled_from(
            [timedelta(minutes=30), timedelta(hours=5), timedelta(days=3)]
        ),
        "max_uses": st.sampled_from([None, None, None, 1, 3]),
    }
)
scoped_requests = st.fixed_dictionaries(
    {
        "endpoints": st.dictionaries(
            st.sampled_from(METHODS),
            st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=2, unique=True),
            min_size=1,
            max_size=3,
        ),
        "scopes": st.one_of(
            st.none(), st.sets(st.sampled_from(SCOPES[:2]), min_size=1).map(sorted)
        ),
        "max_age": st.sampled_from([None, 60, 7200, 86400]),
    }
)
token_requests = st.fixed_dictionaries(
    {
        "scopes": scope_sets,
        "policy": st.sampled_from([None, NO_DELETE, READ_ONLY]),
        "allowed_ips": st.sampled_from([[], ["127.0.0.1/32"], ["10.0.0.0/8"], ["0.0.0.0/0"]]),
        "expires_in": st.sampled_from([None, "1h", "10d"]),
    }
)
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_names = counter()


@pytest.fixture(autouse=True)
def chain(settings: Any) -> None:
    settings.AUTHGATE = {
        **settings.AUTHGATE,
        "BACKENDS": [HTTPSIG, *settings.AUTHGATE["BACKENDS"]],
        "SCOPES": {**settings.AUTHGATE["SCOPES"], "tokens:manage": "Manage your API tokens"},
    }


# --- the parent, its twin, the probes -----------------------------------------------------


def _parent(make_user: Any, spec: dict[str, Any]) -> tuple[Any, APIToken, str, str]:
    """A fresh user, the parent token and a twin without the use limit (for probing)."""
    user = make_user(f"user{next(_names)}", "pw")
    fields = {**spec, "policy": spec["policy"] or {}}
    row, parent = tokens.issue(user, **fields)
    _twin_row, twin = tokens.issue(user, **{**fields, "max_uses": None})
    return user, row, parent, twin


Auth = Any  # (method, path, body) -> extra client kwargs


def _probe(auth: Auth, c: Any, user: Any, method: str, path: str, ip: str) -> int:
    from notes.models import Note

    note = Note.objects.create(owner=user, title="probe")
    target = path.format(id=note.pk)
    body = b'{"title": "changed"}' if method in ("POST", "PATCH") else b""
    extra = auth(method, target, body)
    response = c.generic(
        method, target, data=body, content_type="application/json", REMOTE_ADDR=ip, **extra
    )
    assert response.status_code < 500, (method, target, response.content)
    return int(response.status_code)


def _bearer(token: str) -> Auth:
    return lambda method, path, body: bearer(token)


def _no_more_than_parent(child: Auth, child_client: Any, user: Any, twin: str) -> None:
    """Every probe the child gets through, the parent's twin gets through too."""
    parent_client = client()
    for method, path in PROBES:
        for ip in ADDRESSES:
            count("derivation probes")
            if 200 <= _probe(child, child_client, user, method, path, ip) < 300:
                count("derivation probes allowed")
                status = _probe(_bearer(twin), parent_client, user, method, path, ip)
                assert 200 <= status < 300, (method, path, ip, status)


def _not_after(child_expires: str | None, parent: APIToken) -> None:
    assert child_expires is not None and parent.expires is not None
    assert datetime.fromisoformat(child_expires) <= parent.expires


# --- one test per mint path -------------------------------------------------------------


@EXAMPLES
@given(spec=parents, wanted=scoped_requests)
def test_scoped_tokens_never_exceed_their_parent(make_user: Any, spec: Any, wanted: Any) -> None:
    user, row, parent, twin = _parent(make_user, spec)
    c = client()
    response = c.post(
        "/auth/scoped/", json.dumps(wanted), content_type="application/json", **bearer(parent)
    )
    assert response.status_code in (201, 400, 401, 403), response.content
    count("derivation mints")
    if response.status_code != 201:
        return
    assert spec["max_uses"] is None  # limited-use parents never mint
    count("derivation children")
    _not_after(response.json()["expires_at"], row)
    token = response.json()["token"]
    _no_more_than_parent(lambda m, p, b: {"HTTP_AUTHORIZATION": f"TmpToken {token}"}, c, user, twin)


@EXAMPLES
@given(spec=parents, wanted=token_requests)
def test_child_api_tokens_never_exceed_their_parent(make_user: Any, spec: Any, wanted: Any) -> None:
    user, row, parent, twin = _parent(make_user, spec)
    c = client()
    body = {k: v for k, v in wanted.items() if v is not None}
    response = c.post(
        "/auth/api/tokens/", json.dumps(body), content_type="application/json", **bearer(parent)
    )
    assert response.status_code in (201, 400, 401, 403), response.content
    count("derivation mints")
    if response.status_code != 201:
        return
    assert spec["max_uses"] is None
    count("derivation children")
    _not_after(response.json()["item"]["expires"], row)
    assert APIToken.objects.get(pk=response.json()["item"]["id"]).parent_id == row.pk
    _no_more_than_parent(_bearer(response.json()["token"]), c, user, twin)


def _page_scoped(session: Any, wanted: dict[str, Any]) -> str | None:
    """A scoped token minted on the temporary-credential page (one method, its prefixes)."""
    method, paths = next(iter(wanted["endpoints"].items()))
    response = session.post(
        "/auth/tokens/temporary/",
        {
            "kind": "scoped",
            "scoped-methods": [method],
            "scoped-paths": "\n".join(paths),
            "scoped-max_age": "300",
            "scoped-scopes": wanted["scopes"] or [],
        },
    )
    assert response.status_code < 500
    found = re.search(r'id="secret-value"[^>]*value="([^"]+)"', response.content.decode())
    return found[1] if found else None


@EXAMPLES
@given(spec=parents, wanted=scoped_requests)
def test_sessions_keys_and_links_never_exceed_their_parent(
    make_user: Any, spec: Any, wanted: Any
) -> None:
    user, row, parent, twin = _parent(make_user, spec)
    session = client()
    with authgate_settings(TOKEN_START_SESSION=True):
        started = session.get("/api/whoami/", **bearer(parent), REMOTE_ADDR="127.0.0.1")
        count("derivation mints")
        if "sessionid" not in session.cookies:
            return  # refused (a use limit), or the token itself was refused
        assert spec["max_uses"] is None and started.status_code in (200, 403)
        count("derivation children")
        _no_more_than_parent(lambda m, p, b: {}, session, user, twin)

        # A key registered by that session.
        private = ed25519.Ed25519PrivateKey.generate()
        key = _register_key(session, private)
        count("derivation mints")
        if key is not None:
            count("derivation children")
            assert key.parent_token_id == row.pk
            assert key.expires is not None and key.expires <= row.expires

            def signed(method: str, path: str, body: bytes) -> dict[str, Any]:
                headers = signed_headers(
                    method, path, key=private, keyid=key.keyid, body=body,
                    content_type="application/json",
                )  # fmt: skip
                return {"headers": {k: v for k, v in headers.items() if k != "Content-Type"}}

            _no_more_than_parent(signed, client(), user, twin)
        else:
            assert HTTPSignatureKey.objects.filter(user=user).count() == 0

        # A scoped token minted on that session's temporary-credential page.
        token = _page_scoped(session, wanted)
        count("derivation mints")
        if token is not None:
            count("derivation children")
            auth = {"HTTP_AUTHORIZATION": f"TmpToken {token}"}
            _no_more_than_parent(lambda m, p, b: auth, client(), user, twin)

        # A magic link from that session: never (a link outlives every token's limits).
        response = session.post("/auth/tokens/temporary/", {"kind": "link", "link-next": "/"})
        count("derivation mints")
        assert b"sesame=" not in response.content
