"""GitHub's secret scanning partner protocol at /auth/secret-scanning/: GitHub's published
example, local P-256 keys served on 127.0.0.1 (with a rotation), revocation, feedback, the
owner's one e-mail, and refusals that never touch the database."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core import mail

from authgate import links, scoped
from authgate.audit import TokenEvent
from authgate.leaks import github
from authgate.schemes.tokens import service as tokens
from authgate.schemes.tokens.models import APIToken
from authgate.signals import credential_leaked
from tests.leaks.conftest import ENDPOINT, Signer, match, post_report, report

pytestmark = pytest.mark.django_db

# GitHub's published example ("Implement signature verification in your secret alert
# service", docs.github.com/en/code-security/secret-scanning/secret-scanning-partnership-program/
# secret-scanning-partner-program): the sample request and the public key it names, as
# GitHub publishes it at https://api.github.com/meta/public_keys/secret_scanning.
GITHUB_BODY = (
    b'[{"source":"commit","token":"some_token","type":"some_type",'
    b'"url":"https://example.com/base-repo-url/"}]'
)
GITHUB_KEY_ID = "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c"
GITHUB_SIGNATURE = (
    "MEQCIQDaMKqrGnE27S0kgMrEK0eYBmyG0LeZismAEz/BgZyt7AIfXt9fErtRS4Xa"  # one string,
    "eSt/AO1RtBY66YcAdjxji410VQV4xg=="  # split for the line length
)
GITHUB_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYAGMWO8XgCamYKMJS6jc/qgvSlAd\n"
    "AjPuDPRcXU22YxgBrz+zoN19MzuRyW87qEt9/AmtoNP5GrobzUvQSyJFVw==\n"
    "-----END PUBLIC KEY-----\n"
)


@pytest.fixture
def published(key_server):
    """The key server publishes GitHub's example key too."""
    key_server.extra.append(
        {"key_identifier": GITHUB_KEY_ID, "key": GITHUB_PUBLIC_KEY, "is_current": True}
    )
    return key_server


def github_headers(signature: str = GITHUB_SIGNATURE, key_id: str = GITHUB_KEY_ID) -> dict:
    return {
        "HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER": key_id,
        "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": signature,
    }


# --- GitHub's own example ------------------------------------------------------------


def test_githubs_published_example_verifies(leaks_on, published):
    assert github.verify(GITHUB_BODY, GITHUB_KEY_ID, GITHUB_SIGNATURE)


def test_githubs_published_example_is_answered_with_feedback(client, leaks_on, published):
    response = client.post(
        ENDPOINT, GITHUB_BODY, content_type="application/json", **github_headers()
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "token_hash": hashlib.sha256(b"some_token").hexdigest(),
            "token_type": "some_type",
            "label": "false_positive",  # "some_token" is none of ours
        }
    ]


@pytest.mark.parametrize("position", [0, 1, 20, 52, len(GITHUB_BODY) - 2, len(GITHUB_BODY) - 1])
def test_one_byte_changed_is_refused(
    client, leaks_on, published, django_assert_num_queries, position
):
    changed = bytearray(GITHUB_BODY)
    changed[position] ^= 0x01
    assert not github.verify(bytes(changed), GITHUB_KEY_ID, GITHUB_SIGNATURE)
    with django_assert_num_queries(0):
        response = client.post(
            ENDPOINT, bytes(changed), content_type="application/json", **github_headers()
        )
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_signature"


def test_a_changed_signature_byte_is_refused(leaks_on, published):
    import base64

    der = bytearray(base64.b64decode(GITHUB_SIGNATURE))
    der[-1] ^= 0x01
    assert not github.verify(GITHUB_BODY, GITHUB_KEY_ID, base64.b64encode(der).decode())


# --- refusals: no database work ------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER": "key-1"},
        {"HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": "MEUCIQ=="},
        {"HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER": "key-1", "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": "%%%"},
        {
            "HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER": "nope",
            "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": "MEUCIQ==",
        },
        {
            "HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER": "k" * 500,
            "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": "MA==",
        },
    ],
    ids=["unsigned", "no-signature", "no-identifier", "not-base64", "unknown-key", "huge-id"],
)
def test_unsigned_or_unknown_key_is_refused_without_the_database(
    client, leaks_on, make_user, django_assert_num_queries, headers
):
    user = make_user("victim", email="victim@example.com")
    row, plaintext = tokens.issue(user)
    body = report(match(plaintext))
    with django_assert_num_queries(0):
        response = client.post(ENDPOINT, body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_signature"
    row.refresh_from_db()
    assert row.revoked_at is None
    assert mail.outbox == []


def test_signed_by_a_key_not_in_the_document_is_refused(client, leaks_on, make_user):
    user = make_user("victim")
    row, plaintext = tokens.issue(user)
    forger = Signer("key-1")  # the right identifier, another key
    response = post_report(client, report(match(plaintext)), forger)
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.revoked_at is None


def test_off_by_default(client, key_server, make_user):
    signer = key_server.published[0]
    assert post_report(client, report(match("x")), signer).status_code == 404


def test_only_post(client, leaks_on):
    assert client.get(ENDPOINT).status_code == 405


def test_a_signed_body_that_is_not_a_report_is_a_400(client, leaks_on, key_server):
    signer = key_server.published[0]
    for body in (b"{}", b"not json", b'[{"token": 5}]', b"[1]"):
        response = post_report(client, body, signer)
        assert response.status_code == 400, body
        assert response.json()["error"] == "invalid_request"


def test_keys_unavailable_is_a_503_github_retries(client, leaks_on, key_server):
    key_server.fail = True
    signer = key_server.published[0]
    response = post_report(client, report(match("x")), signer)
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert "Retry-After" in response.headers


def test_reports_are_rate_limited_per_client(client, leaks_on, key_server):
    leaks_on(LEAKS_REPORT_RATE="2/m")
    signer = key_server.published[0]
    statuses = [post_report(client, report(match("x")), signer).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# --- key rotation and the refresh rate limit -----------------------------------------


def test_rotation_refetches_once_and_unknown_ids_at_most_once_a_minute(
    client, leaks_on, key_server, monkeypatch
):
    now = [1000.0]
    monkeypatch.setattr(github.public_keys, "_clock", lambda: now[0])
    first = key_server.published[0]
    assert post_report(client, report(match("x")), first).status_code == 200
    assert key_server.hits == 1
    assert post_report(client, report(match("x")), first).status_code == 200
    assert key_server.hits == 1  # cached
    now[0] += 61
    rotated = Signer("key-2")  # GitHub rotates: a new key, published before it signs
    key_server.published.append(rotated)
    assert post_report(client, report(match("x")), rotated).status_code == 200
    assert key_server.hits == 2  # one refetch for the identifier never seen
    # Made-up identifiers: refused, and no more than one fetch a minute for all of them.
    for n in range(5):
        forged = Signer(f"made-up-{n}")
        assert post_report(client, report(match("x")), forged).status_code == 403
    assert key_server.hits == 2
    now[0] += 61
    assert post_report(client, report(match("x")), Signer("made-up-9")).status_code == 403
    assert key_server.hits == 3
    # The old key still verifies (cached), the new one too.
    assert post_report(client, report(match("x")), first).status_code == 200
    assert post_report(client, report(match("x")), rotated).status_code == 200
    assert key_server.hits == 3


def test_a_failed_refetch_keeps_the_keys_it_had(client, leaks_on, key_server, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(github.public_keys, "_clock", lambda: now[0])
    signer = key_server.published[0]
    assert post_report(client, report(match("x")), signer).status_code == 200
    key_server.fail = True
    now[0] += 61
    assert post_report(client, report(match("x")), Signer("other")).status_code == 403
    assert post_report(client, report(match("x")), signer).status_code == 200


def test_keys_of_another_type_are_never_loaded(key_server):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    pem = serialization.Encoding.PEM
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    document = {
        "public_keys": [
            {"key_identifier": "p384", "key": p384.public_bytes(pem, spki).decode()},
            {"key_identifier": "ed", "key": ed.public_bytes(pem, spki).decode()},
            {"key_identifier": "junk", "key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END"},
            {"key_identifier": 5, "key": GITHUB_PUBLIC_KEY},
            {"key_identifier": GITHUB_KEY_ID, "key": GITHUB_PUBLIC_KEY},
        ]
    }
    assert [key.identifier for key in github.load_public_keys(document)] == [GITHUB_KEY_ID]
    assert github.load_public_keys({"public_keys": "x"}) == ()


# --- revoking what is reported -------------------------------------------------------


def test_a_reported_live_token_is_revoked_audited_and_its_owner_mailed_once(
    client, leaks_on, key_server, make_user
):
    user = make_user("victim", email="victim@example.com")
    row, plaintext = tokens.issue(user, name="deploy")
    other, other_plaintext = tokens.issue(user, name="untouched")
    url = "https://github.com/octo/repo/blob/0123abc/config/settings.py"
    signals = []
    credential_leaked.connect(lambda **kw: signals.append(kw), weak=False, dispatch_uid="t")
    try:
        # Reported twice in one batch, and a near-miss and a stranger alongside.
        near_miss = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
        body = report(match(plaintext, url), match(near_miss), match(plaintext, url), match("zz"))
        response = post_report(client, body, key_server.published[0])
    finally:
        credential_leaked.disconnect(dispatch_uid="t")
    assert response.status_code == 200
    labels = [(entry["token_hash"], entry["label"]) for entry in response.json()]
    digest = hashlib.sha256(plaintext.encode()).hexdigest()
    assert labels == [
        (digest, "true_positive"),
        (hashlib.sha256(near_miss.encode()).hexdigest(), "false_positive"),
        (digest, "true_positive"),
        (hashlib.sha256(b"zz").hexdigest(), "false_positive"),
    ]
    assert plaintext not in response.content.decode()
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert row.revoked_reason == f"found in public: {url}"
    other.refresh_from_db()
    assert other.revoked_at is None
    # The audit trail has the report URL.
    event = TokenEvent.objects.get(kind="revoked", credential_id=row.display_prefix)
    assert url in event.detail["reason"]
    # One e-mail, naming the token and the place, never the secret.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["victim@example.com"]
    assert row.display_prefix in message.subject
    assert url in message.body
    assert plaintext not in message.body and plaintext not in message.subject
    assert [s["credential_id"] for s in signals] == [row.display_prefix]
    assert signals[0]["where"] == url and signals[0]["source"] == "github"
    # The token no longer works; the other one does.
    assert client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401
    assert (
        client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {other_plaintext}").status_code
        == 200
    )
    # GitHub reports it again in a later batch: still a true positive, nothing sent twice.
    again = post_report(client, report(match(plaintext, url)), key_server.published[0])
    assert again.json()[0]["label"] == "true_positive"
    assert len(mail.outbox) == 1
    assert TokenEvent.objects.filter(kind="revoked", credential_id=row.display_prefix).count() == 1


def test_an_unknown_token_with_a_good_checksum_is_a_false_positive(
    client, leaks_on, key_server, make_user
):
    user = make_user("victim", email="victim@example.com")
    row, plaintext = tokens.issue(user)
    APIToken.objects.filter(pk=row.pk).delete()
    response = post_report(client, report(match(plaintext)), key_server.published[0])
    assert response.json()[0]["label"] == "false_positive"
    assert mail.outbox == []


def test_an_already_revoked_token_is_a_true_positive_and_mails_nobody(
    client, leaks_on, key_server, make_user
):
    user = make_user("victim", email="victim@example.com")
    row, plaintext = tokens.issue(user)
    tokens.revoke(row, "done with it")
    response = post_report(client, report(match(plaintext)), key_server.published[0])
    assert response.json()[0]["label"] == "true_positive"
    row.refresh_from_db()
    assert row.revoked_reason == "done with it"  # not rewritten
    assert mail.outbox == []


@pytest.mark.parametrize("kind", ["scoped", "link"])
def test_signed_tokens_bump_their_users_generation(client, leaks_on, key_server, make_user, kind):
    user = make_user("victim", email="victim@example.com")
    bystander = make_user("bystander", email="b@example.com")
    if kind == "scoped":
        value = scoped.issue(user, {"GET": ["/api/"]})
        sibling = scoped.issue(user, {"GET": ["/api/"]})
        theirs = scoped.issue(bystander, {"GET": ["/api/"]})

        def works(token):
            return client.get("/api/whoami/", HTTP_AUTHORIZATION=f"TmpToken {token}").status_code
    else:
        value, sibling, theirs = (
            links.get_token(user),
            links.get_token(user),
            links.get_token(bystander),
        )

        def works(token):
            return client.get("/api/whoami/", {"sesame": token}).status_code

    _row, api_token = tokens.issue(user)
    assert works(value) == 200
    url = "https://gist.github.com/octo/1234"
    response = post_report(client, report(match(value, url)), key_server.published[0])
    assert response.json()[0]["label"] == "true_positive"
    assert works(value) == 401
    assert works(sibling) == 401  # every signed token of the user: the cascade
    assert works(theirs) == 200
    assert client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {api_token}").status_code == 200
    event = TokenEvent.objects.get(kind="revoked", credential_kind=kind)
    assert event.user_id == user.pk
    assert url in event.detail["reason"]
    assert len(mail.outbox) == 1 and value not in mail.outbox[0].body
    # Reported again: no second bump, no second e-mail.
    post_report(client, report(match(value, url)), key_server.published[0])
    assert len(mail.outbox) == 1
    assert TokenEvent.objects.filter(kind="revoked", credential_kind=kind).count() == 1


def test_a_forged_signed_token_is_a_false_positive(client, leaks_on, key_server, make_user):
    user = make_user("victim")
    value = scoped.issue(user, {"GET": ["/api/"]})
    forged = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    response = post_report(client, report(match(forged)), key_server.published[0])
    assert response.json()[0]["label"] == "false_positive"


def test_the_answer_is_github_feedback_json(client, leaks_on, key_server):
    body = report(match("a"), match("b"))
    response = post_report(client, body, key_server.published[0])
    assert response["Content-Type"] == "application/json"
    assert [set(entry) for entry in json.loads(response.content)] == [
        {"token_hash", "token_type", "label"}
    ] * 2
