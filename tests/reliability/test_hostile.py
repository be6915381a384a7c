"""Hostile input over the full request stack: only 400/401/403/429, never 5xx, never wider.

Hypothesis drives Django's test client through the middleware, the chain and the demo's
plain and DRF views with:

* random ``Authorization`` headers: every scheme keyword in random case, random bytes
  (latin-1, as a WSGI server hands them over), any unicode, control characters, huge and
  repeated values, and random session cookies;
* every credential format (opaque ``agt_`` API tokens, signed ``ags1_`` scoped tokens,
  ``agl1_`` magic links in the query string, HTTP Basic), truncated, extended, bit-flipped,
  spliced, re-encoded (padding, standard vs url-safe base64, case), with swapped prefixes and
  versions, signed with another key, or delivered under another keyword or twice.

The allowed answers are 400, 401, 403 and 429. A 200 is allowed only when the credential
still names exactly what the untouched one did — the same user, scheme and scopes (a
re-encoding the spec allows, like Basic's optional padding); a mutated credential must never
authenticate as somebody else or with more rights. Every request made is counted
(``hostile requests``, in the figures at the end of the run).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authgate.schemes.links import service as links
from authgate.schemes.scoped import service as scoped
from authgate.schemes.tokens import service as tokens
from tests.reliability.conftest import WHOAMI, authgate_settings, client, count, outcome

pytestmark = pytest.mark.django_db

#: Scale every example count (``RELIABILITY_SCALE=10`` for a long local soak).
SCALE = float(os.environ.get("RELIABILITY_SCALE", "1"))
REFUSED = {400, 401, 403, 429}
KEYWORDS = ("Basic", "Bearer", "Token", "TmpToken")
PREFIXES = ("agt_", "ags1_", "ags0_", "ags2_", "agl1_", "agl0_", "agl2_", "AGT_", "Ags1_", "")
OTHER_KEY = "another-deployment-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def examples(n: int) -> Any:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@dataclass(frozen=True)
class Credential:
    kind: str  # "opaque", "scoped", "link", "basic"
    value: str  # the token, or "user:password" for Basic
    expected: Any  # the identity the untouched credential gives (None: must not authenticate)


def _basic(userpass: str, *, altchars: bytes | None = None, pad: bool = True) -> str:
    encoded = base64.b64encode(userpass.encode("utf-8"), altchars=altchars).decode()
    return encoded if pad else encoded.rstrip("=")


def send(credential: Credential, token: str, delivery: str, keyword: str, path: str) -> Any:
    """One request carrying ``token`` as ``credential.kind`` would travel, maybe mangled."""
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    if delivery == "header":
        if credential.kind == "basic":
            token = _basic(token) if ":" in token else token
        headers["HTTP_AUTHORIZATION"] = f"{keyword} {token}"
    elif delivery == "query":
        query["sesame" if credential.kind == "link" else "TOKEN"] = token
    else:  # both: the header and the query string at once
        headers["HTTP_AUTHORIZATION"] = f"{keyword} {token}"
        query["sesame" if credential.kind == "link" else "TOKEN"] = token
    count("hostile requests")
    return client().get(path, query, **headers)


@pytest.fixture
def credentials(alice: Any, bob: Any) -> dict[str, Credential]:
    """Alice's credentials of every kind (and some of Bob's, and some under another key),
    each with the identity it gives untouched, measured through the stack."""
    _row, opaque_token = tokens.issue(alice, scopes=["notes:read"])
    _row, bob_opaque = tokens.issue(bob)
    scoped_token = scoped.issue(alice, {"GET": ["/api/"]}, recipient="hostile test")
    bob_scoped = scoped.issue(bob, {"GET": ["/api/"]})
    link = links.get_token(alice)
    with override_settings(SECRET_KEY=OTHER_KEY):
        foreign_scoped = scoped.issue(alice, {"GET": ["/api/"]})
        foreign_link = links.get_token(alice)
    found = {
        "opaque": Credential("opaque", opaque_token, None),
        "bob-opaque": Credential("opaque", bob_opaque, None),
        "scoped": Credential("scoped", scoped_token, None),
        "bob-scoped": Credential("scoped", bob_scoped, None),
        "link": Credential("link", link, None),
        "basic": Credential("basic", "alice:alice-correct-horse", None),
        "bob-basic": Credential("basic", "bob:bob-battery-staple", None),
        "foreign-scoped": Credential("scoped", foreign_scoped, None),
        "foreign-link": Credential("link", foreign_link, None),
    }
    keyword = {"opaque": "Bearer", "scoped": "TmpToken", "link": "", "basic": "Basic"}
    result = {}
    for name, cred in found.items():
        delivery = "query" if cred.kind == "link" else "header"
        status, identity = outcome(send(cred, cred.value, delivery, keyword[cred.kind], WHOAMI[0]))
        if name.startswith("foreign"):
            assert status == 401, (name, status, identity)
            identity = None
        else:
            assert status == 200, (name, status, identity)
        result[name] = Credential(cred.kind, cred.value, identity)
    assert result["opaque"].expected == ("alice", "token", ("notes:read",))
    return result


def check(
    credentials: dict[str, Credential], original: Credential, mutated: str, response: Any
) -> None:
    """Refused, or exactly the identity of the original credential (or of a genuine
    credential the mutation happens to contain verbatim, e.g. after a splice)."""
    status, identity = outcome(response)
    assert status in REFUSED | {200}, (status, mutated, response.content[:300])
    if status == 200:
        allowed = {original.expected} | {
            c.expected for c in credentials.values() if c.value in mutated
        }
        assert identity is not None and identity in allowed, (
            f"mutated credential {mutated!r} authenticated as {identity}, "
            f"the original as {original.expected}"
        )


# --- strategies --------------------------------------------------------------------------

any_text = st.text(st.characters(codec=None, exclude_categories=("Cs",)), max_size=200)
latin1 = st.binary(max_size=200).map(lambda raw: raw.decode("latin-1"))
controls = st.text(st.sampled_from([chr(c) for c in [*range(32), 127, 0x85, 0x2028, 0xFEFF]]))
huge = st.builds(
    lambda char, n: char * n, st.sampled_from("A=/+.-_ \t\x00é"), st.integers(4000, 70000)
)
garbage = st.one_of(any_text, latin1, controls, huge)


@st.composite
def keyword_case(draw: Any, keyword: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(keyword), max_size=len(keyword)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(keyword, flips, strict=True))


def _flip_bit(token: str, index: int, bit: int) -> str:
    if not token:
        return token
    index %= len(token)
    return token[:index] + chr(ord(token[index]) ^ (1 << bit)) + token[index + 1 :]


def _reencode(token: str, how: str) -> str:
    head, sep, body = token.partition("_")
    if not sep:
        head, body = "", token
    parts = body.split(".")
    if how == "pad":
        parts = [p + "=" * (-len(p) % 4 or 2) for p in parts]
    elif how == "standard":
        parts = [p.replace("-", "+").replace("_", "/") for p in parts]
    elif how == "urlsafe":
        parts = [p.replace("+", "-").replace("/", "_") for p in parts]
    elif how == "upper":
        return token.upper()
    elif how == "lower":
        return token.lower()
    elif how == "spaces":
        return " " + token.replace(".", " . ") + " "
    elif how == "percent":
        return "".join(f"%{ord(c):02X}" if c in "._-" else c for c in token)
    return head + sep + ".".join(parts)


@st.composite
def mutation(draw: Any, token: str, donors: list[str]) -> str:
    """``token`` changed in 1-3 ways (never returned unchanged on purpose; if a mutation
    happens to give back the original, the invariant still holds)."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                [
                    "truncate",
                    "extend",
                    "flip",
                    "insert",
                    "delete",
                    "replace",
                    "reencode",
                    "prefix",
                    "splice",
                    "repeat",
                ]
            )
        )
        n = len(token)
        if kind == "truncate":
            token = token[: draw(st.integers(0, max(0, n - 1)))]
        elif kind == "extend":
            token += draw(st.one_of(any_text, st.text("A-_=.0", min_size=1, max_size=8)))
        elif kind == "flip":
            token = _flip_bit(token, draw(st.integers(0, max(0, n - 1))), draw(st.integers(0, 7)))
        elif kind == "insert":
            at = draw(st.integers(0, n))
            token = (
                token[:at]
                + draw(st.characters(codec=None, exclude_categories=("Cs",)))
                + token[at:]
            )
        elif kind == "delete" and n:
            at = draw(st.integers(0, n - 1))
            token = token[:at] + token[at + 1 :]
        elif kind == "replace" and n:
            at = draw(st.integers(0, n - 1))
            token = token[:at] + draw(st.sampled_from("0aZ-_.=+/")) + token[at + 1 :]
        elif kind == "reencode":
            token = _reencode(
                token,
                draw(
                    st.sampled_from(
                        ["pad", "standard", "urlsafe", "upper", "lower", "spaces", "percent"]
                    )
                ),
            )
        elif kind == "prefix":
            _head, sep, body = token.partition("_")
            token = draw(st.sampled_from(PREFIXES)) + (body if sep else token)
        elif kind == "splice":
            donor = draw(st.sampled_from(donors))
            cut = draw(st.integers(0, min(n, len(donor))))
            token = token[:cut] + donor[cut:] if draw(st.booleans()) else donor[:cut] + token[cut:]
        elif kind == "repeat":
            token = draw(st.sampled_from([token + token, f"{token}, {token}", f"{token} {token}"]))
    return token


# --- the properties ----------------------------------------------------------------------


@examples(400)
@given(
    keyword=st.sampled_from(KEYWORDS).flatmap(keyword_case) | st.sampled_from(["", " ", "Digest"]),
    value=garbage,
    repeat=st.integers(1, 3),
    cookie=st.none() | latin1 | huge,  # cookies arrive as latin-1 from WSGI
    path=st.sampled_from(WHOAMI),
)
def test_random_authorization_headers_are_refused(keyword, value, repeat, cookie, path, alice):
    header = ", ".join([f"{keyword} {value}"] * repeat)
    c = client()
    if cookie is not None:
        c.cookies["sessionid"] = cookie.replace("\x00", "")[:5000]
    count("hostile requests")
    response = c.get(path, HTTP_AUTHORIZATION=header)
    status, _identity = outcome(response)
    assert status in REFUSED, (status, header[:200], response.content[:300])


@examples(300)
@given(data=st.data(), path=st.sampled_from(WHOAMI))
def test_random_query_credentials_are_refused(data, path, alice):
    names = data.draw(
        st.lists(st.sampled_from(["sesame", "TOKEN", "token", "api_key"]), min_size=1, max_size=4)
    )
    params = {name: data.draw(garbage) for name in names}
    count("hostile requests")
    response = client().get(path, params)
    status, _ = outcome(response)
    assert status in REFUSED, (status, params, response.content[:300])


@examples(900)
@given(
    data=st.data(),
    name=st.sampled_from(
        ["opaque", "bob-opaque", "scoped", "bob-scoped", "link", "foreign-scoped", "foreign-link"]
    ),
    delivery=st.sampled_from(["header", "header", "query", "both"]),
    path=st.sampled_from(WHOAMI),
)
def test_mutated_tokens_never_widen(data, name, delivery, path, credentials):
    credential = credentials[name]
    donors = [c.value for c in credentials.values() if c.kind != "basic"]
    token = data.draw(mutation(credential.value, donors))
    if credential.kind == "link" and delivery == "header":
        delivery = "query"
    keywords = {"opaque": ("Bearer", "Token"), "scoped": ("TmpToken",), "link": KEYWORDS}
    keyword = data.draw(
        st.sampled_from(keywords[credential.kind]).flatmap(keyword_case) | st.sampled_from(KEYWORDS)
    )
    check(credentials, credential, token, send(credential, token, delivery, keyword, path))


@examples(300)
@given(data=st.data(), path=st.sampled_from(WHOAMI))
def test_mutated_basic_credentials_never_widen(data, path, credentials):
    credential = credentials["basic"]
    how = data.draw(st.sampled_from(["userpass", "encoded", "alphabet"]))
    if how == "userpass":  # change the decoded "user:password", then encode it properly
        mutated = data.draw(mutation(credential.value, ["bob:bob-battery-staple", "alice:"]))
        header = _basic(mutated, pad=data.draw(st.booleans()))
    elif how == "encoded":  # change the base64 itself
        header = data.draw(mutation(_basic(credential.value), [_basic("bob:bob-battery-staple")]))
        try:  # what it decodes to, for the "genuine credential spliced in" allowance
            decoded = base64.b64decode(header.strip() + "==").decode("utf-8", "replace")
        except (ValueError, UnicodeError):
            decoded = ""
        mutated = f"{header} {decoded}"
    else:  # the right credentials in the wrong alphabet or without padding
        header = _basic(credential.value, altchars=b"-_", pad=data.draw(st.booleans()))
        mutated = header
    keyword = data.draw(keyword_case("Basic"))
    count("hostile requests")
    # Without the login rate limit, every mutation reaches the password check (with it,
    # most would be answered 429 before hashing, which proves less).
    with authgate_settings(LOGIN_LIMIT_RATE=None):
        response = client().get(path, HTTP_AUTHORIZATION=f"{keyword} {header}")
    check(credentials, credential, mutated, response)
