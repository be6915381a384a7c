"""The key ring: one key signs, every key verifies, each token kind in its own MAC namespace.

``KeyRing([SECRET_KEY, *SECRET_KEY_FALLBACKS])`` mirrors Django's key rotation: the first key
signs everything new, and every key in the ring (the current one and the fallbacks) is
accepted when verifying, so tokens issued before a rotation keep working until their key is
removed from the ring.

Key derivation (per key, per namespace)::

    root    = BLAKE2b(key_bytes, digest_size=64, person=b"authgate-kdf")
    derived = BLAKE2b(namespace.encode("utf-8"), key=root, digest_size=64)

so the ``authgate.scoped.v1`` MAC and the ``authgate.links.v1`` MAC never share a key, and
a MAC computed for one token kind is useless for every other. Raw keys are hashed into
``root`` at construction and not kept. Derived keys are cached (bounded, thread-safe).
Keys for other primitives (:meth:`KeyRing.subkeys`, e.g. AES-GCM for sealed secrets) are
``BLAKE2b(namespace, key=root, digest_size=size, person=b"authgate-subkey")``: never equal
to a MAC key.

Two MAC functions, both keyed BLAKE2b with the derived key:

- :meth:`KeyRing.sign` / :meth:`KeyRing.verify` — *signatures*, 8 to 64 bytes, produced with
  ``digest_size=size`` (BLAKE2b binds the output size into its parameter block, so a
  truncated signature never verifies), no personalisation.
- :meth:`KeyRing.tag` / :meth:`KeyRing.match_tag` — short keyed *fingerprints*, 4 to 64 bytes,
  personalised with ``person=b"authgate-tag"`` so that a tag can never be confused with a
  signature even in the same namespace. Tags are for values that are already covered by a
  signature (a revocation fingerprint inside a signed payload) or for a cheap pre-check
  before a full verification; they are never the only thing standing between a forger and
  acceptance.

Verification is constant time with respect to the keys: the candidate is compared with
:func:`hmac.compare_digest` against the MAC of *every* key, and the results are combined
without an early exit, so timing reveals neither whether nor with which key it matched.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Sequence

__all__ = [
    "MAX_SIGNATURE_SIZE",
    "MAX_TAG_SIZE",
    "MIN_SIGNATURE_SIZE",
    "MIN_TAG_SIZE",
    "KeyRing",
]

MIN_SIGNATURE_SIZE = 8
MAX_SIGNATURE_SIZE = 64
MIN_TAG_SIZE = 4
MAX_TAG_SIZE = 64

_KDF_PERSON = b"authgate-kdf"
_TAG_PERSON = b"authgate-tag"
_SUBKEY_PERSON = b"authgate-subkey"
#: How many namespaces' derived keys one ring remembers.
_CACHE_SIZE = 256


def _key_bytes(key: object) -> bytes:
    if isinstance(key, str):
        data = key.encode("utf-8", "surrogatepass")
    elif isinstance(key, bytes):
        data = key
    else:
        raise TypeError(f"keys must be str or bytes, not {type(key).__name__}")
    if not data:
        raise ValueError("keys must not be empty")
    return data


def _check_size(size: object, *, low: int, high: int, what: str) -> int:
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(f"{what} size must be an int, not {type(size).__name__}")
    if not low <= size <= high:
        raise ValueError(f"{what} size must be between {low} and {high} bytes, not {size}")
    return size


def _check_namespace(namespace: object) -> str:
    if not isinstance(namespace, str):
        raise TypeError(f"namespace must be a str, not {type(namespace).__name__}")
    if not namespace:
        raise ValueError("namespace must not be empty")
    return namespace


def _check_message(message: object) -> bytes:
    if not isinstance(message, bytes):
        raise TypeError(f"message must be bytes, not {type(message).__name__}")
    return message


def _keyed_mac(key: bytes, message: bytes, size: int, person: bytes) -> bytes:
    return hashlib.blake2b(message, key=key, digest_size=size, person=person).digest()


class KeyRing:
    """An ordered set of secret keys: ``keys[0]`` signs, every key verifies.

    ``keys`` is a sequence of ``str`` (encoded as UTF-8) or ``bytes``; it must not be empty,
    nor be a single ``str``/``bytes`` (a common slip: ``KeyRing(SECRET_KEY)``), and no key may
    be empty. Raises :class:`ValueError` / :class:`TypeError` otherwise.
    """

    __slots__ = ("__weakref__", "_cache", "_lock", "_roots")

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if isinstance(keys, (str, bytes)):
            raise TypeError("keys must be a sequence of keys, not a single key")
        roots = tuple(
            hashlib.blake2b(_key_bytes(key), digest_size=64, person=_KDF_PERSON).digest()
            for key in keys
        )
        if not roots:
            raise ValueError("a KeyRing needs at least one key")
        self._roots: tuple[bytes, ...] = roots
        self._cache: OrderedDict[str, tuple[bytes, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        count = len(self._roots)
        return f"<KeyRing: {count} key{'s' if count != 1 else ''}>"

    def __len__(self) -> int:
        return len(self._roots)

    # -- derivation -------------------------------------------------------------------------

    def _derived(self, namespace: str) -> tuple[bytes, ...]:
        """Every key's derived key for ``namespace``, the signing key's first."""
        # A hit is one dict read, atomic without the lock; the lock orders the writes. The
        # few namespaces in use stay cached; a flood of new ones evicts the oldest first.
        derived = self._cache.get(namespace)
        if derived is not None:
            return derived
        data = namespace.encode("utf-8", "surrogatepass")
        derived = tuple(
            hashlib.blake2b(data, key=root, digest_size=64).digest() for root in self._roots
        )
        with self._lock:
            self._cache[namespace] = derived
            self._cache.move_to_end(namespace)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return derived

    def _mac(self, namespace: str, message: bytes, size: int, person: bytes) -> bytes:
        return _keyed_mac(self._derived(namespace)[0], message, size, person)

    def _matches_any(self, namespace: str, message: bytes, candidate: bytes, person: bytes) -> bool:
        size = len(candidate)
        matched = False
        for key in self._derived(namespace):
            expected = _keyed_mac(key, message, size, person)
            # No short-circuit: every key is always tried and compared.
            matched |= hmac.compare_digest(expected, candidate)
        return matched

    def subkeys(self, *, namespace: str, size: int = 32) -> tuple[bytes, ...]:
        """Every key's ``size``-byte key for another primitive in ``namespace`` (an AEAD,
        say), the signing key's first.

        Derived from the same roots, personalised apart from MAC keys, so no subkey equals
        a MAC key of any namespace. Not cached: for infrequent use.
        """
        namespace = _check_namespace(namespace)
        size = _check_size(size, low=16, high=64, what="subkey")
        data = namespace.encode("utf-8", "surrogatepass")
        return tuple(
            hashlib.blake2b(data, key=root, digest_size=size, person=_SUBKEY_PERSON).digest()
            for root in self._roots
        )

    # -- signatures -------------------------------------------------------------------------

    def sign(self, *, namespace: str, message: bytes, size: int = 16) -> bytes:
        """The ``size``-byte signature of ``message`` in ``namespace`` with the first key."""
        namespace = _check_namespace(namespace)
        message = _check_message(message)
        size = _check_size(size, low=MIN_SIGNATURE_SIZE, high=MAX_SIGNATURE_SIZE, what="signature")
        return self._mac(namespace, message, size, b"")

    def verify(self, *, namespace: str, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is the signature of ``message`` in ``namespace`` by any key.

        Constant time over the keys. A ``signature`` that is not bytes or whose length is
        outside 8..64 is simply invalid (``False``).
        """
        namespace = _check_namespace(namespace)
        message = _check_message(message)
        if not isinstance(signature, bytes):
            return False
        if not MIN_SIGNATURE_SIZE <= len(signature) <= MAX_SIGNATURE_SIZE:
            return False
        return self._matches_any(namespace, message, signature, b"")

    # -- short tags -------------------------------------------------------------------------

    def tag(self, *, namespace: str, message: bytes, size: int = 6) -> bytes:
        """A short keyed fingerprint (4..64 bytes) of ``message`` with the first key.

        Not a signature: use it only for values a signature also covers, or as a pre-check.
        """
        namespace = _check_namespace(namespace)
        message = _check_message(message)
        size = _check_size(size, low=MIN_TAG_SIZE, high=MAX_TAG_SIZE, what="tag")
        return self._mac(namespace, message, size, _TAG_PERSON)

    def match_tag(self, *, namespace: str, message: bytes, tag: bytes) -> bool:
        """Whether ``tag`` is :meth:`tag` of ``message`` under any key (constant time)."""
        namespace = _check_namespace(namespace)
        message = _check_message(message)
        if not isinstance(tag, bytes) or not MIN_TAG_SIZE <= len(tag) <= MAX_TAG_SIZE:
            return False
        return self._matches_any(namespace, message, tag, _TAG_PERSON)
