"""One JSON-body reader for every endpoint that takes a few fields: clear 400s, never a 500."""

import json

import pytest

from authgate.bodies import MAX_BODY, read_object
from authgate.errors import AuthgateError


def _post(rf, body, content_type="application/json"):
    return rf.post("/", data=body, content_type=content_type)


def _refusal(request, **kwargs):
    with pytest.raises(AuthgateError) as info:
        read_object(request, **kwargs)
    assert info.value.code == "invalid_request" and info.value.status_code == 400
    return str(info.value.detail)


def test_an_object_with_known_fields(rf):
    assert read_object(_post(rf, '{"name": "ci"}'), fields={"name"}) == {"name": "ci"}
    assert read_object(_post(rf, ""), fields={"name"}) == {}


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', "\xff\xfe", "1e999999"])
def test_anything_but_an_object_is_refused(rf, body):
    assert _refusal(_post(rf, body.encode("latin-1"))) == "Send a JSON object."


def test_deep_nesting_is_a_400_not_a_recursion_error(rf):
    # Under the size cap, deep enough for the C parser to recurse past the limit.
    assert _refusal(_post(rf, "[" * 8_000 + "]" * 8_000)) == "Send a JSON object."


def test_unknown_fields_are_named(rf):
    detail = _refusal(_post(rf, '{"name": 1, "colour": 2}'), fields={"name", "scopes"})
    assert detail == "Unknown field(s): colour; expected name, scopes."


def test_a_big_body_is_refused_unread(rf):
    request = _post(rf, json.dumps({"name": "x" * MAX_BODY}))
    assert _refusal(request) == "The body is too large."
    assert not hasattr(request, "_body")  # never read


def test_a_form_keeps_list_fields(rf):
    request = rf.post("/", data={"username": "alice", "scopes": ["a", "b"]})
    assert read_object(request, form=True, list_fields=("scopes",)) == {
        "username": "alice",
        "scopes": ["a", "b"],
    }
    assert _refusal(_post(rf, "[]"), form=True) == "Send a JSON object or a form."
