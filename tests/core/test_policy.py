"""authgate.core.policy: the djblets, endpoints and scope formats, and their intersection."""

from __future__ import annotations

import pickle
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.core import policy as policy_module
from authgate.core.djblets import DjbletsRule
from authgate.core.policy import (
    MAX_POLICY_LENGTH,
    STANDARD_METHODS,
    Policy,
    PolicyError,
    compile_djblets,
)

METHODS = sorted(STANDARD_METHODS)


def djblets(resources: dict[str, Any]) -> Policy:
    return Policy.from_djblets({"resources": resources})


# --- unrestricted ---------------------------------------------------------------------


def test_standard_methods() -> None:
    expected = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
    assert expected == STANDARD_METHODS


def test_unrestricted_allows_everything() -> None:
    policy = Policy.unrestricted()
    assert policy.is_unrestricted
    assert policy.scopes is None
    assert policy.has_scope("anything")
    for method in [*METHODS, "PROPFIND"]:
        assert policy.allows(method)
        assert policy.allows(method, resource="notes", path="/x/", object_id="1")
    assert policy == Policy()
    assert repr(policy) == "Policy.unrestricted()"


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"resources": {}},
        {"resources": {"*": {}}},
        {"resources": {"*": {"allow": ["*"], "block": []}}},
        # Without any "block", nothing can deny: djblets falls through to "allow".
        {"resources": {"*": {"allow": ["GET"]}, "notes": {"1": {"allow": ["PUT"]}}}},
    ],
)
def test_djblets_policies_that_grant_full_access(data: dict[str, Any] | None) -> None:
    policy = Policy.from_djblets(data)
    assert policy.is_unrestricted
    assert policy.allows("DELETE", resource="notes", object_id="1")


# --- djblets precedence ---------------------------------------------------------------

READ_ONLY = {"*": {"allow": ["GET", "HEAD", "OPTIONS"], "block": ["*"]}}
NOTES_ONLY = {"*": {"block": ["*"]}, "notes": {"*": {"allow": ["GET"]}}}
OBJECT_5 = {"notes": {"*": {"block": ["*"]}, "5": {"allow": ["GET"]}}}
OBJECT_BLOCK = {"*": {"allow": ["*"]}, "notes": {"5": {"block": ["DELETE"]}}}

PRECEDENCE = [
    # (resources, method, resource, object_id, allowed, why)
    (READ_ONLY, "GET", None, None, True, "exact allow beats '*' block"),
    (READ_ONLY, "HEAD", "notes", "1", True, "global '*' applies to every resource"),
    (READ_ONLY, "POST", None, None, False, "'*' block"),
    (READ_ONLY, "PROPFIND", None, None, False, "'*' block covers non-standard methods"),
    ({"*": {"allow": ["*"], "block": ["DELETE"]}}, "DELETE", None, None, False, "exact block"),
    ({"*": {"allow": ["*"], "block": ["DELETE"]}}, "PUT", None, None, True, "'*' allow"),
    ({"*": {"allow": ["GET"], "block": ["GET"]}}, "GET", None, None, False, "block beats allow"),
    (
        {"*": {"allow": ["*"], "block": ["*"]}},
        "GET",
        None,
        None,
        False,
        "'*' block beats '*' allow",
    ),
    ({"*": {"allow": ["GET"], "block": ["DELETE"]}}, "POST", None, None, True, "no opinion: allow"),
    (NOTES_ONLY, "GET", "notes", None, True, "resource '*' before global '*'"),
    (NOTES_ONLY, "GET", "notes", "9", True, "unlisted object: resource '*'"),
    (NOTES_ONLY, "POST", "notes", None, False, "resource has no opinion: global '*' block"),
    (NOTES_ONLY, "GET", "users", None, False, "other resources: global '*'"),
    (NOTES_ONLY, "GET", None, None, False, "no resource: global '*'"),
    (OBJECT_5, "GET", "notes", "5", True, "object id before resource '*'"),
    (OBJECT_5, "PUT", "notes", "5", False, "object has no opinion: resource '*' block"),
    (OBJECT_5, "GET", "notes", "6", False, "other objects: resource '*'"),
    (OBJECT_5, "GET", "notes", None, False, "no object id: resource '*'"),
    (OBJECT_5, "DELETE", "users", "5", True, "other resources: no entry, allow"),
    (OBJECT_5, "GET", None, "5", True, "an object id without a resource is ignored"),
    (OBJECT_BLOCK, "DELETE", "notes", "5", False, "object block beats global allow"),
    (OBJECT_BLOCK, "DELETE", "notes", "6", True, "other objects: global '*' allow"),
    (OBJECT_BLOCK, "GET", "notes", "5", True, "object has no opinion on GET"),
    ({"*": {"block": ["*"]}, "notes": {"5": {"allow": ["*"]}}}, "PATCH", "notes", "5", True, "*"),
    ({"*": {"block": ["post"]}}, "POST", None, None, False, "policy methods are uppercased"),
    ({"*": {"block": ["POST"]}}, "post", None, None, False, "request methods are uppercased"),
]


@pytest.mark.parametrize(
    ("resources", "method", "resource", "object_id", "allowed", "why"),
    PRECEDENCE,
    ids=[f"{row[1]}-{row[2]}-{row[3]}-{row[5]}" for row in PRECEDENCE],
)
def test_djblets_precedence(
    resources: dict[str, Any],
    method: str,
    resource: str | None,
    object_id: str | None,
    allowed: bool,
    why: str,
) -> None:
    policy = djblets(resources)
    assert policy.allows(method, resource=resource, object_id=object_id) is allowed, why


def test_djblets_policy_ignores_paths_and_carries_every_scope() -> None:
    policy = djblets(READ_ONLY)
    assert policy.allows("GET", path="/anything/")
    assert not policy.allows("POST", path="/anything/")
    assert policy.scopes is None
    assert policy.has_scope("notes:write")
    assert not policy.is_unrestricted


def test_request_methods_are_uppercased_as_ascii_only() -> None:
    # "\u017f".upper() == "S" (LATIN SMALL LETTER LONG S): "po\u017ft" must not pass as POST.
    policy = djblets({"*": {"allow": ["*"], "block": ["POST"]}})
    assert not policy.allows("post")
    assert policy.allows("po\u017ft")  # not POST: an unknown method, allowed by "*"
    endpoints = Policy.from_endpoints({"POST": ["/"]})
    assert not endpoints.allows("po\u017ft", path="/")


# --- djblets validation ---------------------------------------------------------------


def _circular() -> dict[str, Any]:
    data: dict[str, Any] = {}
    data["resources"] = data
    return data


def _deep(depth: int) -> dict[str, Any]:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return {"resources": {"*": {"allow": value}}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "policy must be a JSON object, got []"),
        ("GET", "policy must be a JSON object, got 'GET'"),
        ({"resource": {}}, "policy has an unknown key 'resource' (the only key is 'resources')"),
        ({"resources": []}, "resources must be an object, got []"),
        ({"resources": None}, "resources must be an object, got None"),
        (
            {"resources": {"*": []}},
            "resources['*'] must be an object with 'allow' and/or 'block' lists, got []",
        ),
        (
            {"resources": {"*": {"allow": "GET"}}},
            "resources['*'].allow must be a list of HTTP methods, got 'GET'",
        ),
        (
            {"resources": {"*": {"block": {"GET": True}}}},
            "resources['*'].block must be a list of HTTP methods, got {'GET': True}",
        ),
        (
            {"resources": {"*": {"allow": ["GET", "FETCH"]}}},
            "resources['*'].allow[1] must be a standard HTTP method or '*', got 'FETCH' "
            "(expected one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT)",
        ),
        (
            {"resources": {"*": {"allow": [1]}}},
            "resources['*'].allow[0] must be a standard HTTP method or '*', got 1",
        ),
        (
            {"resources": {"*": {"allow": ["GET"], "deny": ["POST"]}}},
            "resources['*'] has an unknown key 'deny' (expected 'allow', 'block')",
        ),
        (
            {"resources": {"notes": {"allow": ["GET"]}}},
            "resources['notes']['allow'] must be an object, got ['GET']; per-resource rules go "
            "one level down, keyed by object id or '*': resources['notes']['*'] = "
            "{'allow': [...]}",
        ),
        (
            {"resources": {"notes": ["GET"]}},
            "resources['notes'] must be an object mapping object ids (or '*') to "
            "{'allow': [...], 'block': [...]}, got ['GET']",
        ),
        (
            {"resources": {"notes": {"5": {"block": "*"}}}},
            "resources['notes']['5'].block must be a list of HTTP methods, got '*'",
        ),
        ({"resources": {"": {}}}, "resources has an empty policy id"),
        ({"resources": {"notes": {"": {}}}}, "resources['notes'] has an empty object id"),
        ({"resources": {"*": {"allow": [float("nan")]}}}, "policy must be JSON data"),
        ({"resources": {"*": {"allow": [object()]}}}, "policy must be JSON data"),
        ({("a",): 1}, "policy must be JSON data"),
        ({"resources": {1: {}, "a": {}}}, "policy must be JSON data"),
        (_circular(), "policy must be JSON data"),
        (_deep(100_000), "policy must be JSON data"),
        (
            {"resources": {"*": {"allow": ["GET"] * MAX_POLICY_LENGTH}}},
            "policy is too large",
        ),
    ],
)
def test_djblets_validation_messages(data: Any, message: str) -> None:
    with pytest.raises(PolicyError) as excinfo:
        Policy.from_djblets(data)
    assert str(excinfo.value).startswith(message)
    assert isinstance(excinfo.value, ValueError)


def test_djblets_accepts_any_mapping_and_tuples() -> None:
    from types import MappingProxyType

    data = MappingProxyType({"resources": MappingProxyType({"*": {"block": ("DELETE",)}})})
    policy = Policy.from_djblets(data)
    assert not policy.allows("DELETE")
    assert policy.allows("GET")


@pytest.mark.parametrize("methods", [{"DELETE"}, frozenset({"DELETE"}), range(0)])
def test_djblets_accepts_sets_and_other_sequences(methods: Any) -> None:
    policy = Policy.from_djblets({"resources": {"*": {"block": methods, "allow": ["GET"]}}})
    assert policy.allows("GET")
    assert policy.allows("DELETE") is (not methods)


@pytest.mark.parametrize("methods", [b"GET", iter(["GET"]), {"GET": 1}.keys()])
def test_djblets_refuses_bytes_and_iterators_as_json_data(methods: Any) -> None:
    with pytest.raises(PolicyError, match="policy must be JSON data"):
        Policy.from_djblets({"resources": {"*": {"block": methods}}})


def test_an_object_may_be_called_allow_or_block() -> None:
    # Only a *list* under "allow"/"block" one level too high is the common mistake.
    policy = djblets({"notes": {"allow": {"block": ["GET"]}, "block": {"block": ["PUT"]}}})
    assert not policy.allows("GET", resource="notes", object_id="allow")
    assert not policy.allows("PUT", resource="notes", object_id="block")
    assert policy.allows("GET", resource="notes", object_id="block")
    with pytest.raises(PolicyError, match=r"resources\['notes'\]\['1'\] must be an object with"):
        djblets({"notes": {"1": ["GET"]}})
    with pytest.raises(PolicyError, match="per-resource rules go one level down"):
        djblets({"notes": {"block": ["GET"]}})


methods_or_star = st.sampled_from([*METHODS, "*", "get", "FETCH", "", 1, None])
json_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10), methods_or_star
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["*", "allow", "block", "notes", "1", ""]), children),
        st.dictionaries(st.text(max_size=5), children, max_size=3),
    ),
    max_leaves=20,
)
policy_shaped = st.fixed_dictionaries({"resources": json_values})


@given(st.one_of(json_values, policy_shaped))
def test_from_djblets_raises_only_policy_error(data: Any) -> None:
    try:
        policy = Policy.from_djblets(data)
    except PolicyError as exc:
        assert str(exc)
    else:
        assert isinstance(policy, Policy)
        for method in ("GET", "DELETE", "PROPFIND"):
            assert policy.allows(method, resource="notes", object_id="1") in (True, False)


def test_compile_djblets_is_cached_by_canonical_json() -> None:
    a = {"resources": {"*": {"allow": ["GET"], "block": ["*"]}, "notes": {"1": {"allow": ["*"]}}}}
    b = {"resources": {"notes": {"1": {"allow": ["*"]}}, "*": {"block": ["*"], "allow": ["GET"]}}}
    assert compile_djblets(a) is compile_djblets(b)
    assert Policy.from_djblets(a) is compile_djblets(a)
    assert policy_module._compile_canonical.cache_info().maxsize == 1024


def test_compile_djblets_is_safe_across_threads() -> None:
    data = [{"resources": {"*": {"block": [m]}}} for m in METHODS]

    def check(i: int) -> bool:
        method = METHODS[i % len(METHODS)]
        policy = compile_djblets(data[i % len(data)])
        return not policy.allows(method) and policy.allows("PROPFIND")

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(check, range(2000)))


# --- endpoints ------------------------------------------------------------------------


NOTES_GET = {"GET": ["/api/notes/"]}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/notes/", True),
        ("GET", "/api/notes", True),
        ("GET", "/api/notes/1/", True),
        ("get", "/api/notes/1/", True),
        ("HEAD", "/api/notes/1/", True),  # HEAD wherever GET
        ("POST", "/api/notes/", False),
        ("OPTIONS", "/api/notes/", False),
        ("GET", "/api/users/", False),
        ("GET", "/", False),
    ],
)
def test_endpoints(method: str, path: str, allowed: bool) -> None:
    assert Policy.from_endpoints(NOTES_GET).allows(method, path=path) is allowed


def test_endpoints_without_a_path_deny() -> None:
    policy = Policy.from_endpoints({"GET": ["/"]})
    assert policy.allows("GET", path="/anything")
    assert not policy.allows("GET")
    assert not policy.allows("GET", resource="notes")


def test_endpoints_merge_methods_and_paths() -> None:
    policy = Policy.from_endpoints(
        {"get": ["/api/notes/"], "GET": ["/api/users"], "HEAD": ["/api/head/"], "DELETE": []}
    )
    assert policy.allows("GET", path="/api/users/1")
    assert policy.allows("HEAD", path="/api/users/1")
    assert policy.allows("HEAD", path="/api/head/")
    assert not policy.allows("GET", path="/api/head/")  # GET is not implied by HEAD
    assert not policy.allows("DELETE", path="/api/notes/")
    assert policy == Policy.from_endpoints(
        {"HEAD": ["/api/head/"], "GET": ["/api/users", "/api/notes/"], "DELETE": []}
    )


def test_empty_endpoints_allow_nothing() -> None:
    policy = Policy.from_endpoints({})
    assert not policy.is_unrestricted
    for method in METHODS:
        assert not policy.allows(method, path="/")


def test_endpoints_carry_every_scope() -> None:
    policy = Policy.from_endpoints(NOTES_GET)
    assert policy.scopes is None
    assert policy.has_scope("x")


PATH_TRICKS = [
    "/api/notes/../whoami/",
    "/api/notes/%2e%2e/whoami/",
    "/api/notes/%2E%2e/whoami/",
    "/api/notes/%2e%2e%2fwhoami/",
    "/api/notes/%252e%252e/../../whoami/",
    "/api/notes/1/../../whoami/",
    "//api/notes/",
    "/api//notes/",
    "/./api/notes/",
    "/api/./notes/",
    "/api/notes./",
    "/api/notes../",
    "/api/notesX/",
    "/API/notes/",
    "/api/NOTES/",
    "/api%2fnotes/",
    "/api/notes%2f..%2f..%2fwhoami",
    "/api\\notes\\",
    "/%61pi/notes/",
    "/api/x/../notes/",
    "/api/notes/\x00/../../whoami/",
    "/api/notes\u2215x/",  # DIVISION SLASH is not a slash
    "/api/notes\uff0fx/",  # FULLWIDTH SOLIDUS neither
    "api/notes/",
    "",
]


@pytest.mark.parametrize("path", PATH_TRICKS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_path_tricks_never_widen_an_endpoints_policy(method: str, path: str) -> None:
    assert not Policy.from_endpoints(NOTES_GET).allows(method, path=path)


@pytest.mark.parametrize(
    ("endpoints", "message"),
    [
        ("GET", "endpoints must be a mapping of HTTP methods to lists of paths, got 'GET'"),
        ([("GET", ["/"])], "endpoints must be a mapping"),
        (
            {"FETCH": ["/"]},
            "endpoints: 'FETCH' is not a standard HTTP method "
            "(expected one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT)",
        ),
        ({"*": ["/"]}, "endpoints: '*' is not a standard HTTP method"),
        ({1: ["/"]}, "endpoints: 1 is not a standard HTTP method"),
        ({"GET": "/api/"}, "endpoints['GET'] must be a list of paths, got '/api/'"),
        ({"GET": None}, "endpoints['GET'] must be a list of paths, got None"),
        (
            {"GET": ["/ok/", "api/"]},
            "endpoints['GET'][1] must be an absolute path starting with '/', got 'api/'",
        ),
        ({"GET": [None]}, "endpoints['GET'][0] must be an absolute path starting with '/'"),
        ({"GET": ["/.."]}, "endpoints['GET'][0] is not a usable path prefix: '/..'"),
        ({"GET": ["/a%2fb"]}, "endpoints['GET'][0] is not a usable path prefix"),
        ({"GET": ["/a\\b"]}, "endpoints['GET'][0] is not a usable path prefix"),
        ({"GET": ["/a\nb"]}, "endpoints['GET'][0] is not a usable path prefix"),
    ],
)
def test_endpoints_validation_messages(endpoints: Any, message: str) -> None:
    with pytest.raises(PolicyError) as excinfo:
        Policy.from_endpoints(endpoints)
    assert str(excinfo.value).startswith(message)


# --- scopes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "notes",
        "notes:read",
        "admin.users:write",
        "a-b_c.d:e-f",
        "x:y:z",
        "a1",
        "a",
        # Every character class of a qualifier: digits, "_", ".", "-".
        "notes:v2",
        "notes:read_all",
        "notes:a.b",
        "notes:read-only",
        "api:1:2",
    ],
)
def test_valid_scope_names(name: str) -> None:
    policy = Policy.from_scopes([name])
    assert policy.has_scope(name)
    assert policy.scopes == {name}


@pytest.mark.parametrize(
    "name",
    [
        *("", "Notes", "1notes", "notes:", ":read", "no tes", "notes:*", "notes::read", "é"),
        *("a" * 129, 42, None, b"notes", ["notes"]),
    ],
)
def test_invalid_scope_names(name: Any) -> None:
    with pytest.raises(PolicyError, match=r"scopes\[1\] is not a valid scope name"):
        Policy.from_scopes(["ok", name])


@pytest.mark.parametrize("scopes", ["notes", b"notes", None, 5])
def test_scopes_must_be_a_collection_of_names(scopes: Any) -> None:
    with pytest.raises(PolicyError, match="scopes must be a list of scope names"):
        Policy.from_scopes(scopes)


def test_scope_policy_allows_every_request_and_checks_membership() -> None:
    policy = Policy.from_scopes(name for name in ["notes:read", "users"])
    assert not policy.is_unrestricted
    assert policy.scopes == frozenset({"notes:read", "users"})
    assert policy.has_scope("users")
    assert not policy.has_scope("notes")
    assert not policy.has_scope("notes:write")
    for method in METHODS:
        assert policy.allows(method)
        assert policy.allows(method, path="/admin/", resource="x", object_id="1")


def test_empty_scopes_grant_no_scope() -> None:
    policy = Policy.from_scopes([])
    assert policy.scopes == frozenset()
    assert not policy.has_scope("notes")
    assert policy.allows("DELETE")


# --- intersection ---------------------------------------------------------------------


def test_intersection_of_scopes() -> None:
    a = Policy.from_scopes(["a", "b"])
    b = Policy.from_scopes(["b", "c"])
    assert (a & b).scopes == {"b"}
    assert (a & Policy.unrestricted()).scopes == {"a", "b"}
    assert (Policy.unrestricted() & b).scopes == {"b", "c"}
    assert (Policy.unrestricted() & Policy.unrestricted()).is_unrestricted
    assert (a & djblets(READ_ONLY)).scopes == {"a", "b"}


def test_intersection_of_rules() -> None:
    minted = Policy.from_endpoints({"GET": ["/api/"], "POST": ["/api/notes/"]}) & djblets(READ_ONLY)
    assert minted.allows("GET", path="/api/notes/")
    assert not minted.allows("POST", path="/api/notes/")  # the djblets parent blocks POST
    assert not minted.allows("GET", path="/admin/")  # the endpoints child blocks /admin/


def test_intersection_is_idempotent_and_order_insensitive() -> None:
    a = djblets(READ_ONLY)
    b = Policy.from_endpoints(NOTES_GET)
    c = Policy.from_scopes(["x"])
    assert a & a == a
    assert (a & b) & c == c & (b & a)
    assert hash((a & b) & c) == hash(c & (b & a))
    assert a & b != a
    assert (a & Policy.unrestricted()) == a


def test_policies_with_different_scopes_are_different() -> None:
    # Equality is public API (a credential's restrictions are compared and hashed): two
    # scope-limited policies with no rules differ exactly by their scopes.
    assert Policy.from_scopes(["notes:read"]) != Policy.from_scopes(["admin"])
    assert Policy.from_scopes(["notes:read"]) != Policy.from_scopes([])
    assert Policy.from_scopes([]) != Policy.unrestricted()
    assert Policy.from_scopes(["a", "b"]) == Policy.from_scopes(["b", "a", "a"])
    assert (
        len({Policy.from_scopes(["a"]), Policy.from_scopes(["b"]), Policy.from_scopes(["a"])}) == 2
    )
    endpoints = Policy.from_endpoints(NOTES_GET)
    assert endpoints & Policy.from_scopes(["a"]) != endpoints & Policy.from_scopes(["b"])


def test_comparing_with_another_type_defers_to_it() -> None:
    class Anything:
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    policy = Policy.from_scopes(["a"])
    assert (policy == "a") is False
    assert (policy != "a") is True
    assert policy == Anything()  # NotImplemented lets the other side answer


def test_intersection_with_other_types_is_unsupported() -> None:
    with pytest.raises(TypeError):
        _ = Policy.unrestricted() & {"GET": ["/"]}  # type: ignore[operator]


djblets_entries = st.fixed_dictionaries(
    {},
    optional={
        "allow": st.lists(st.sampled_from([*METHODS, "*"]), max_size=3),
        "block": st.lists(st.sampled_from([*METHODS, "*"]), max_size=3),
    },
)
djblets_sections = st.dictionaries(st.sampled_from(["*", "1", "2"]), djblets_entries, max_size=3)
djblets_policies = st.builds(
    lambda default, sections: Policy.from_djblets(
        {"resources": ({"*": default} if default is not None else {}) | sections}
    ),
    st.none() | djblets_entries,
    st.dictionaries(st.sampled_from(["notes", "users"]), djblets_sections, max_size=2),
)
endpoint_policies = st.dictionaries(
    st.sampled_from(METHODS),
    st.lists(st.sampled_from(["/", "/api/", "/api/notes/", "/api/notes/1", "/api/users"])),
    max_size=3,
).map(Policy.from_endpoints)
scope_policies = st.lists(st.sampled_from(["a", "b", "c:read"])).map(Policy.from_scopes)
policies = st.recursive(
    st.one_of(st.just(Policy.unrestricted()), djblets_policies, endpoint_policies, scope_policies),
    lambda children: st.tuples(children, children).map(lambda pair: pair[0] & pair[1]),
    max_leaves=4,
)
requests = st.fixed_dictionaries(
    {
        "method": st.sampled_from([*METHODS, "PROPFIND", "get"]),
        "resource": st.sampled_from([None, "notes", "users"]),
        "object_id": st.sampled_from([None, "1", "2"]),
        "path": st.sampled_from(
            [None, "/", "/api/notes/1/", "/api/notes", "/api/users/", "/api/notes/../users/"]
        ),
    }
)


@given(policies, policies, requests, st.sampled_from(["a", "b", "c:read", "d"]))
def test_intersection_never_widens(a: Policy, b: Policy, req: dict[str, Any], scope: str) -> None:
    both = a & b
    allowed = both.allows(**req)
    if allowed:
        assert a.allows(**req) and b.allows(**req)
    # ...and it is exact: what both allow, the intersection allows.
    assert allowed == (a.allows(**req) and b.allows(**req))
    assert both.has_scope(scope) == (a.has_scope(scope) and b.has_scope(scope))
    if both.scopes is not None:
        assert all(a.has_scope(s) and b.has_scope(s) for s in both.scopes)


@given(policies, policies)
def test_intersection_is_unrestricted_only_if_both_are(a: Policy, b: Policy) -> None:
    assert (a & b).is_unrestricted == (a.is_unrestricted and b.is_unrestricted)


# --- the object -----------------------------------------------------------------------


def test_policy_is_immutable() -> None:
    policy = djblets(READ_ONLY)
    with pytest.raises(AttributeError):
        policy._rules = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        policy.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del policy._scopes
    assert not policy.allows("POST")


@given(policies)
def test_policy_pickles(policy: Policy) -> None:
    copy = pickle.loads(pickle.dumps(policy))  # noqa: S301 - our own bytes
    assert copy == policy
    assert hash(copy) == hash(policy)
    for method in ("GET", "POST", "DELETE"):
        for path in ("/api/notes/1/", "/admin/"):
            assert copy.allows(method, resource="notes", path=path, object_id="1") == (
                policy.allows(method, resource="notes", path=path, object_id="1")
            )


def test_repr_describes_the_restrictions() -> None:
    policy = djblets(READ_ONLY) & Policy.from_endpoints(NOTES_GET) & Policy.from_scopes(["b", "a"])
    text = repr(policy)
    assert text.startswith("<Policy djblets {")
    assert "endpoints {'GET': ['/api/notes/']}" in text
    assert text.endswith("scopes ['a', 'b']>")
    huge = djblets({f"resource{i}": {"*": {"block": ["*"]}} for i in range(100)})
    assert len(repr(huge)) < 300
    assert re.search(r"\.\.\.>$", repr(huge))


def test_repr_shows_200_characters_of_each_rule_at_most() -> None:
    # A policy's repr goes into logs and error reports: bounded, whatever the policy.
    huge = djblets({f"resource{i}": {"*": {"block": ["*"]}} for i in range(100)})
    assert repr(huge) == "<Policy djblets " + huge_rule_text(huge)[:197] + "...>"
    endpoints = Policy.from_endpoints({"GET": [f"/api/r{i}/" for i in range(100)]})
    shown = repr(endpoints).removeprefix("<Policy endpoints ").removesuffix(">")
    assert len(shown) == 200 and shown.endswith("...")
    small = Policy.from_endpoints({"GET": ["/" + "a" * 176]})  # exactly 200 characters
    assert repr(small) == "<Policy endpoints {'GET': ['/" + "a" * 176 + "']}>"


def huge_rule_text(policy: Policy) -> str:
    (rule,) = policy._rules
    assert isinstance(rule, DjbletsRule)
    return rule.canonical


def test_error_messages_show_60_characters_of_a_value_at_most() -> None:
    # repr() adds two quotes: 58 letters are shown whole (60 characters), 59 are not.
    for length in (58, 59, 100):
        name = "A" * length
        with pytest.raises(PolicyError) as excinfo:
            Policy.from_scopes([name])
        message = str(excinfo.value)
        if length == 58:
            assert repr(name) in message
        else:
            assert repr(name)[:57] + "..." in message
            assert repr(name)[:58] not in message


def test_a_scope_name_has_at_most_128_characters() -> None:
    assert Policy.from_scopes(["a" * 128]).has_scope("a" * 128)
    with pytest.raises(PolicyError, match="at most 128 characters"):
        Policy.from_scopes(["a" * 129])


def test_a_djblets_policy_has_at_most_65536_characters_of_json() -> None:
    def sized(length: int) -> dict[str, Any]:
        frame = '{"resources":{"":{"*":{"block":["GET"]}}}}'
        return {"resources": {"r" * (length - len(frame)): {"*": {"block": ["GET"]}}}}

    assert MAX_POLICY_LENGTH == 65_536
    assert not Policy.from_djblets(sized(65_536)).allows("GET", resource="r" * 65_494)
    with pytest.raises(PolicyError, match=r"policy is too large \(65537 characters"):
        Policy.from_djblets(sized(65_537))
