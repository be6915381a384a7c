"""Known-answer vectors for sealed HMAC secrets (``agenc1_``, AES-256-GCM).

The sealed values below were made once, by today's code, with random nonces; they are what
a database holds. They must open, to the same secret, forever: the AES key is
``KeyRing.subkeys(namespace="authgate.httpsig.secret.v1")`` (pinned on its own in
``tests/core/test_known_answers.py``), the associated data is the namespace, a NUL and the
key id, and the layout is ``"agenc1_" + b64url(nonce (12 bytes) + ciphertext + tag)``.

**A failing test here is a format break, not a stale literal**: every stored secret would
stop opening after the upgrade. Do not update the literal; a new sealing format needs a new
prefix (``agenc2_``) while ``agenc1_`` keeps opening.
"""

from __future__ import annotations

import pytest

from authgate.core.encoding import b64url_decode
from authgate.core.keyring import KeyRing
from authgate.schemes.httpsig.protocol import sealing
from authgate.schemes.httpsig.protocol.key_material import InvalidKey

KEY = "authgate-known-answer-key"
OLD_KEY = b"authgate-known-answer-old-key\xff"
RING = KeyRing([KEY, OLD_KEY])
SECRET = "hmac-secret-✓"
KEYID = "kat-key-1"
#: Sealed by RING (its first key).
SEALED = "agenc1_-0Q6-NpN7X8sVzg8EEj5twJ82CUzzjybNFCpZfUopC163vZYx1uWPbbxpQ"
#: Sealed by a ring whose only key was OLD_KEY, before a rotation made it a fallback.
SEALED_BY_OLD_KEY = "agenc1_4V5-J-zAHEWm-m6S_fchjNQp5MY11CW002Phvj-Png9T98nIls5qAtQHhg"


def test_kat_sealing_opens_a_known_sealed_secret() -> None:
    assert sealing.unseal(SEALED, keyid=KEYID, ring=RING) == (SECRET, True)


def test_kat_sealing_opens_a_secret_sealed_before_a_rotation() -> None:
    assert sealing.unseal(SEALED_BY_OLD_KEY, keyid=KEYID, ring=RING) == (SECRET, False)


def test_kat_sealing_binds_the_key_id() -> None:
    with pytest.raises(InvalidKey):
        sealing.unseal(SEALED, keyid="kat-key-2", ring=RING)


def test_kat_sealing_layout() -> None:
    # prefix, then 12 nonce bytes, the UTF-8 secret's length in ciphertext, a 16-byte tag.
    assert (sealing.PREFIX, sealing.NAMESPACE) == ("agenc1_", "authgate.httpsig.secret.v1")
    fresh = sealing.seal(SECRET, keyid=KEYID, ring=RING)
    for value in (SEALED, fresh):
        assert value.startswith("agenc1_")
        data = b64url_decode(value[len("agenc1_") :])
        assert data is not None
        assert len(data) == 12 + len(SECRET.encode("utf-8")) + 16
    assert sealing.unseal(fresh, keyid=KEYID, ring=RING) == (SECRET, True)
    assert fresh != SEALED  # a fresh random nonce each time
