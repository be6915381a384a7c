"""A scoped-token request's size is refused before any URL is resolved (issue #19,
reproduction 10), through the whole request stack (the demo's URLconf).

A ``notes:read`` token once sent a 2 MB ``/auth/scoped/`` body listing 200,000 paths, and the
server resolved each against the URLconf for ~40 s before answering 400. The caps (body
size, paths, path length, scopes; authgate.schemes.scoped.limits) are checked first: these
tests count the resolver's calls instead of timing anything.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from authgate import rights
from authgate.bodies import MAX_BODY
from authgate.schemes.scoped.limits import MAX_PATH_LENGTH, MAX_PATHS, MAX_SCOPES, check_sizes
from authgate.schemes.tokens.service import issue

URL = "/auth/scoped/"


@pytest.fixture
def resolver_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How often minting resolved a path or walked the URLconf (the work per path)."""
    calls: Counter[str] = Counter()
    resolve, get_resolver = rights.resolve, rights.get_resolver

    def counting_resolve(path: str, *args: Any) -> Any:
        calls["resolve"] += 1
        return resolve(path, *args)

    def counting_get_resolver(*args: Any) -> Any:
        calls["get_resolver"] += 1
        return get_resolver(*args)

    monkeypatch.setattr(rights, "resolve", counting_resolve)
    monkeypatch.setattr(rights, "get_resolver", counting_get_resolver)
    yield calls


@pytest.fixture
def read_token(user: Any) -> dict[str, str]:
    """The reproduction's credential: an API token scoped to notes:read."""
    _row, plaintext = issue(user, name="reader", scopes=["notes:read"])
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def mint(body: str, headers: dict[str, str]) -> Any:
    return Client().post(URL, body, content_type="application/json", **headers)


def refused(response: Any) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_request"
    return str(body["detail"])


@pytest.mark.django_db
def test_the_reproduction_2mb_200000_paths(read_token, resolver_calls):
    paths = [f"/api/notes/{i}/" for i in range(200_000)]
    body = json.dumps({"endpoints": {"GET": paths}})
    assert len(body) > 2_000_000
    detail = refused(mint(body, read_token))
    assert "too large" in detail
    assert resolver_calls == Counter()


@pytest.mark.django_db
def test_many_short_paths_under_the_size_cap(read_token, resolver_calls):
    # ~2,000 paths in 14 KB: under the body cap, so only the count stops them.
    paths = ["/a/"] * 2_000
    body = json.dumps({"endpoints": {"GET": paths}}, separators=(",", ":"))
    assert len(body) < MAX_BODY
    assert refused(mint(body, read_token)) == f"at most {MAX_PATHS} endpoint paths may be requested"
    assert resolver_calls == Counter()


@pytest.mark.django_db
def test_paths_are_counted_over_every_method(read_token, resolver_calls):
    half = ["/api/notes/"] * (MAX_PATHS // 2 + 1)
    body = json.dumps({"endpoints": {"GET": half, "HEAD": half}})
    assert "endpoint paths" in refused(mint(body, read_token))
    assert resolver_calls == Counter()


@pytest.mark.django_db
def test_a_path_too_long(read_token, resolver_calls):
    body = json.dumps({"endpoints": {"GET": ["/api/" + "n" * MAX_PATH_LENGTH]}})
    assert refused(mint(body, read_token)) == (
        f"an endpoint path may be at most {MAX_PATH_LENGTH} characters long"
    )
    assert resolver_calls == Counter()


@pytest.mark.django_db
def test_too_many_scopes(read_token, resolver_calls):
    scopes = [f"s{i}" for i in range(MAX_SCOPES + 1)]
    body = json.dumps({"endpoints": {"GET": ["/api/notes/"]}, "scopes": scopes})
    assert refused(mint(body, read_token)) == (
        f"at most {MAX_SCOPES} scopes may be requested, not {MAX_SCOPES + 1}"
    )
    assert resolver_calls == Counter()


@pytest.mark.django_db
def test_at_the_caps_the_request_is_checked_as_before(read_token, resolver_calls):
    paths = ["/api/notes/"] * MAX_PATHS
    response = mint(json.dumps({"endpoints": {"GET": paths}}), read_token)
    assert response.status_code == 201, response.content
    assert sum(resolver_calls.values()) > 0  # the rights check ran, for the paths allowed


@pytest.mark.django_db
def test_the_temporary_page_caps_its_paths_too(client, user, resolver_calls):
    client.force_login(user)
    response = client.post(
        "/auth/tokens/temporary/",
        {
            "kind": "scoped",
            "scoped-methods": ["GET"],
            "scoped-paths": "\n".join(["/api/notes/"] * (MAX_PATHS + 1)),
            "scoped-max_age": "300",
        },
    )
    assert response.status_code == 400
    assert f"at most {MAX_PATHS} endpoint paths" in response.content.decode()
    assert resolver_calls == Counter()


# --- properties: the caps are a pure count, whatever the shape --------------------------------


_paths = st.lists(st.text(alphabet="/ab%.", max_size=MAX_PATH_LENGTH + 2), max_size=MAX_PATHS + 2)


@given(
    endpoints=st.one_of(
        st.dictionaries(st.sampled_from(["GET", "POST", "x"]), st.one_of(_paths, st.integers())),
        st.none(),
        st.integers(),
        st.text(max_size=5),
    ),
    scopes=st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=MAX_SCOPES + 2)),
)
def test_check_sizes_refuses_exactly_what_is_over_a_cap(endpoints, scopes):
    lists = list(endpoints.values()) if isinstance(endpoints, dict) else []
    lists = [v for v in lists if isinstance(v, list)]
    over = (
        (scopes is not None and len(scopes) > MAX_SCOPES)
        or sum(len(v) for v in lists) > MAX_PATHS
        or any(len(p) > MAX_PATH_LENGTH for v in lists for p in v)
    )
    try:
        check_sizes(endpoints, scopes)
    except ValueError:
        assert over
    else:
        assert not over
