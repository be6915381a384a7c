"""No user enumeration: one answer, and indistinguishable timing, for every kind of "no".

Unknown user, wrong password, inactive user and unusable password get the same status, body
and challenge on HTTP Basic, the obtain-token endpoint and the request-a-link form. The
timing test compares distributions, not absolute times: interleaved samples of each case,
their medians, a generous ratio bound (the signal it exists to catch — a skipped password
hash — is an order of magnitude), and one retry before failing, so a loaded 2-core machine
does not make it flaky. A control proves it does fail on a real difference.
"""

from __future__ import annotations

import base64
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import override_settings

from tests.reliability.conftest import authgate_settings, client, count

pytestmark = pytest.mark.django_db

SAMPLES = 25  # per case and attempt
RATIO = 2.5  # slowest median / fastest median above this is "a clear difference"


class SlowHasher(PBKDF2PasswordHasher):
    """A hasher with a measurable cost (a few ms), so a skipped hash shows in timing."""

    algorithm = "pbkdf2_sha256_reliability"
    iterations = 30_000


HASHERS = [f"{__name__}.SlowHasher"]


@pytest.fixture
def people(make_user: Callable[..., Any]) -> dict[str, tuple[str, str]]:
    """case -> (username, password): every way of being refused, and one way in."""
    make_user("active", "right-password-1", email="active@example.com")
    make_user("inactive", "right-password-2", email="inactive@example.com", is_active=False)
    make_user("unusable", None, email="unusable@example.com")
    return {
        "unknown user": ("nobody", "right-password-1"),
        "wrong password": ("active", "wrong-password-1"),
        "inactive user": ("inactive", "right-password-2"),
        "unusable password": ("unusable", "right-password-3"),
    }


def basic(username: str, password: str) -> Any:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    count("enumeration requests")
    return client().get("/api/whoami/", HTTP_AUTHORIZATION=f"Basic {value}")


def obtain(username: str, password: str) -> Any:
    count("enumeration requests")
    return client().post("/auth/token/", {"username": username, "password": password})


def request_link(username: str, _password: str) -> Any:
    count("enumeration requests")
    return client().post("/auth/links/request/", {"email": f"{username}@example.com"})


def signature(response: Any) -> tuple[Any, ...]:
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)
    return response.status_code, body, response.headers.get("WWW-Authenticate")


@override_settings(PASSWORD_HASHERS=HASHERS)
@pytest.mark.parametrize("endpoint", [basic, obtain, request_link], ids=lambda f: f.__name__)
def test_one_answer_for_every_refusal(endpoint, people):
    with authgate_settings(LOGIN_LIMIT_RATE=None, LINK_REQUEST_RATE=None):
        answers = {case: signature(endpoint(*creds)) for case, creds in people.items()}
        if endpoint is request_link:  # a real account answers the same too (the link is mailed)
            answers["existing address"] = signature(endpoint("active", ""))
    assert len(set(answers.values())) == 1, answers
    status = next(iter(answers.values()))[0]
    assert status == {"basic": 401, "obtain": 400, "request_link": 200}[endpoint.__name__]


def medians(endpoint: Callable[..., Any], people: dict[str, tuple[str, str]]) -> dict[str, float]:
    samples: dict[str, list[float]] = {case: [] for case in people}
    cases = list(people)
    for round_ in range(SAMPLES):
        # Interleaved, in a rotating order, so drift in machine load hits every case alike.
        shift = round_ % len(cases)
        for case in cases[shift:] + cases[:shift]:
            started = time.perf_counter()
            endpoint(*people[case])
            samples[case].append(time.perf_counter() - started)
    return {case: statistics.median(values) for case, values in samples.items()}


def differs(endpoint: Callable[..., Any], people: dict[str, tuple[str, str]]) -> dict[str, float]:
    """The medians if the slowest is over RATIO times the fastest in two attempts, else {}."""
    for _attempt in range(2):
        found = medians(endpoint, people)
        if max(found.values()) <= RATIO * min(found.values()):
            return {}
    return found


@override_settings(PASSWORD_HASHERS=HASHERS)
@pytest.mark.parametrize("endpoint", [basic, obtain], ids=lambda f: f.__name__)
def test_refusals_take_the_same_time(endpoint, people):
    with authgate_settings(LOGIN_LIMIT_RATE=None):
        endpoint(*people["wrong password"])  # warm up the code paths
        assert not differs(endpoint, people), "timing tells the refusals apart"


@override_settings(PASSWORD_HASHERS=HASHERS)
def test_the_timing_test_sees_a_real_difference(people):
    """Control: a password over MAX_PASSWORD_LENGTH is refused before hashing, by design;
    the detector must tell it from a wrong password, or it proves nothing."""
    control = {
        "wrong password": people["wrong password"],
        "not hashed": ("active", "x" * 2000),
    }
    with authgate_settings(LOGIN_LIMIT_RATE=None, MAX_PASSWORD_LENGTH=1024):
        assert differs(basic, control), "the timing test cannot see a skipped hash"
