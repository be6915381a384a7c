"""One JSON-body reader for every endpoint that takes a few fields: clear 400s, never a 500."""

import json

import pytest
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from authgate.bodies import MAX_BODY, MAX_DEPTH, read_object
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


@pytest.mark.parametrize(
    "body",
    ["not json", "[1, 2]", '"text"', "\xff\xfe", "1e999999", '{"a": NaN}', '{"a": -Infinity}'],
)
def test_anything_but_an_object_is_refused(rf, body):
    assert _refusal(_post(rf, body.encode("latin-1"))) == "Send a JSON object."


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 990, 8_000])
def test_deep_nesting_is_refused_before_parsing(rf, depth, monkeypatch):
    # 8,000: under the size cap, deep enough for the C parser to recurse past the limit;
    # 500: parses, and would make whatever walks the value recurse instead.
    parsed = []
    monkeypatch.setattr("json.loads", lambda *a, **k: parsed.append(a))
    body = '{"policy": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    assert (
        _refusal(_post(rf, body)) == f"The body is nested too deeply (at most {MAX_DEPTH} levels)."
    )
    assert parsed == []


def test_nesting_up_to_the_limit_is_read(rf):
    body = '{"a": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    assert read_object(_post(rf, body)) == json.loads(body)


def test_unknown_fields_are_named(rf):
    detail = _refusal(_post(rf, '{"name": 1, "colour": 2}'), fields={"name", "scopes"})
    assert detail == "Unknown field(s): colour; expected name, scopes."


def test_a_big_body_is_refused_unread(rf):
    request = _post(rf, json.dumps({"name": "x" * MAX_BODY}))
    assert _refusal(request) == f"The body is too large (at most {MAX_BODY} bytes)."
    assert not hasattr(request, "_body")  # never read


def test_a_body_longer_than_its_content_length_says_is_refused(rf):
    request = _post(rf, json.dumps({"name": "x" * MAX_BODY}))
    request.META["CONTENT_LENGTH"] = "2"  # a chunked or ASGI body may not say its size
    assert _refusal(request) == f"The body is too large (at most {MAX_BODY} bytes)."


def test_a_content_length_that_is_not_a_number(rf):
    request = _post(rf, "{}")
    request.META["CONTENT_LENGTH"] = "lots"
    assert _refusal(request) == "Content-Length is not a number."


def test_a_malformed_multipart_form_is_a_400(rf):
    request = rf.post("/", data=b"--x\r\nnonsense", content_type="multipart/form-data")
    assert _refusal(request, form=True) == "Send a JSON object or a form."


def test_a_form_keeps_list_fields(rf):
    request = rf.post("/", data={"username": "alice", "scopes": ["a", "b"]})
    assert read_object(request, form=True, list_fields=("scopes",)) == {
        "username": "alice",
        "scopes": ["a", "b"],
    }
    assert _refusal(_post(rf, "[]"), form=True) == "Send a JSON object or a form."


# --- properties: whatever the bytes, a dict or a 400 ----------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=30,
)


@given(st.binary(max_size=300))
def test_any_bytes_are_an_object_or_invalid_request(data):
    request = RequestFactory().post("/", data=data, content_type="application/json")
    try:
        found = read_object(request)
    except AuthgateError as exc:
        assert (exc.code, exc.status_code) == ("invalid_request", 400)
    else:
        assert isinstance(found, dict)


@given(_json)
def test_any_json_value_is_read_as_json_or_refused_by_a_limit(value):
    body = json.dumps(value)
    request = RequestFactory().post("/", data=body, content_type="application/json")
    try:
        found = read_object(request)
    except AuthgateError as exc:
        detail = str(exc.detail)
        expected = {"Send a JSON object.", f"The body is too large (at most {MAX_BODY} bytes)."}
        if isinstance(value, dict):  # an object is refused only for a limit
            expected = {f"The body is nested too deeply (at most {MAX_DEPTH} levels)."}
            expected.add(f"The body is too large (at most {MAX_BODY} bytes).")
        assert detail in expected
    else:
        assert found == json.loads(body)
