"""With the token cache and the rows kept in the process on (Redis), a token GitHub reports
is refused on the very next request: the revocation's invalidation reaches the kept row."""

from __future__ import annotations

import pytest
from django.core import mail

from authgate.schemes.tokens import service as tokens
from tests.leaks.conftest import match, post_report, report

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def test_a_reported_token_kept_in_the_process_is_refused_at_once(
    client, leaks_on, key_server, make_user, django_assert_num_queries
):
    leaks_on(TOKEN_CACHE_TIMEOUT=60, TOKEN_LOCAL_CACHE_SIZE=1000)
    user = make_user("victim", email="victim@example.com")
    _row, plaintext = tokens.issue(user)
    header = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    for _ in range(50):  # until the subscription is confirmed and the row is kept
        assert client.get("/api/whoami/", **header).status_code == 200
    with django_assert_num_queries(0):  # answered from the row kept in this process
        assert client.get("/api/whoami/", **header).status_code == 200
    response = post_report(client, report(match(plaintext)), key_server.published[0])
    assert response.json()[0]["label"] == "true_positive"
    assert client.get("/api/whoami/", **header).status_code == 401
    assert len(mail.outbox) == 1
