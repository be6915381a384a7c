"""An API token's restrictions: its policy and scopes compiled once, its IP allowlist.

Used on every token-authenticated request (and by a token-started session), so both are
cached: the compiled ``Policy`` per token while its policy and scopes are unchanged, the
parsed networks per allowlist.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import threading
from collections.abc import Iterable
from typing import Any

from authgate.conf import on_reload
from authgate.core.policy import Policy, compile_djblets
from authgate.schemes.tokens.models import APIToken

__all__ = ["ip_allowed", "restrictions_for"]


@functools.lru_cache(maxsize=1024)
def _scope_policy(scopes: tuple[str, ...]) -> Policy:
    return Policy.from_scopes(scopes)


def _compile_restrictions(policy_data: Any, scopes: Any) -> Policy | None:
    policy = compile_djblets(policy_data or None)
    if scopes is not None:
        policy = policy & _scope_policy(tuple(scopes))
    return None if policy.is_unrestricted else policy


#: Compiled restrictions per token id: ``(policy, scopes, compiled)``, the first two as
#: compiled. An entry is used only while the row still holds equal values, so an edit in
#: the admin takes effect on the next request; JSON values compare exactly here (a valid
#: policy and scope list hold only strings, lists and objects). Bounded: oldest out first.
_restrictions: dict[Any, tuple[Any, Any, Policy | None]] = {}
_RESTRICTIONS_MAX = 4096
_restrictions_lock = threading.Lock()


def restrictions_for(token: APIToken) -> Policy | None:
    """The token's policy and scopes as one compiled ``Policy`` (``None``: full rights).

    Compiled once per token and content of its policy and scopes (a bounded cache): the
    per-request cost is two comparisons, not a canonical JSON dump and an intersection.
    """
    policy_data, scopes = token.policy, token.scopes
    if not policy_data and scopes is None:
        return None
    entry = _restrictions.get(token.pk)
    if entry is not None and entry[0] == policy_data and entry[1] == scopes:
        return entry[2]
    compiled = _compile_restrictions(policy_data, scopes)
    with _restrictions_lock:
        while len(_restrictions) >= _RESTRICTIONS_MAX:
            del _restrictions[next(iter(_restrictions))]
        _restrictions[token.pk] = (copy.deepcopy(policy_data), copy.deepcopy(scopes), compiled)
    return compiled


@functools.lru_cache(maxsize=1024)
def _networks(allowed: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in allowed)


def ip_allowed(allowed: Iterable[str], ip: str) -> bool:
    """Whether ``ip`` is inside one of the ``allowed`` networks (``""``: never)."""
    if not ip:
        return False  # an allowlist cannot be satisfied by an unknown address: fail closed
    address = ipaddress.ip_address(ip)
    return any(address in network for network in _networks(tuple(allowed)))


on_reload(_restrictions.clear)
