"""The restriction engine: what a credential may do, compiled once, asked per request.

Three input formats compile into one immutable :class:`Policy`:

- the djblets API-token policy JSON (:meth:`Policy.from_djblets`),
- drf-tmp-scoped-token's ``{METHOD: [path prefixes]}`` (:meth:`Policy.from_endpoints`),
- named scopes (:meth:`Policy.from_scopes`).

A policy is a conjunction of rules plus an optional scope set, so ``a & b`` (both must
allow) is exact and cheap. That is what makes a credential minted from another one safe:
it carries ``parent & child`` and so can never do more than its parent.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .djblets import DjbletsRule, rule_from_canonical
from .paths import normalize_path, path_matches
from .policy_terms import METHOD_LIST, STANDARD_METHODS, PolicyError, shown, upper_method

__all__ = [
    "STANDARD_METHODS",
    "SCOPE_RE",
    "MAX_POLICY_LENGTH",
    "PolicyError",
    "Policy",
    "compile_djblets",
]

#: Scope names: lowercase ASCII words, optionally qualified by ``:``-separated parts, e.g.
#: ``notes``, ``notes:read``, ``admin.users:write``. No ``*``: :meth:`Policy.has_scope` is
#: plain membership, and a name that looks like a wildcard would promise more than it does.
SCOPE_RE = re.compile(r"[a-z][a-z0-9_.-]*(?::[a-z0-9_.-]+)*", re.ASCII)
_MAX_SCOPE_LENGTH = 128
#: Largest djblets policy accepted, in characters of canonical JSON (bounds the compile
#: cache too: at most 1024 entries of at most this size).
MAX_POLICY_LENGTH = 65_536

# --- rules ----------------------------------------------------------------------------
# A rule answers allows(); a Policy is the conjunction of its rules. Rules compare equal by
# their canonical definition, so `p & p` does not grow.


@dataclass(frozen=True, slots=True)
class _EndpointsRule:
    endpoints: tuple[tuple[str, tuple[str, ...]], ...]  # sorted (METHOD, (prefix, ...))
    by_method: Mapping[str, tuple[str, ...]] = field(compare=False)

    def allows(
        self, method: str, resource: str | None, path: str | None, object_id: str | None
    ) -> bool:
        if path is None:
            return False  # a path restriction cannot be checked without a path: fail closed
        prefixes = self.by_method.get(upper_method(method), ())
        return any(path_matches(prefix, path) for prefix in prefixes)

    def __repr__(self) -> str:
        return "endpoints " + shown({m: list(p) for m, p in self.endpoints}, 200)


_Rule = DjbletsRule | _EndpointsRule


# --- the policy -----------------------------------------------------------------------


class Policy:
    """An immutable, thread-safe set of restrictions: every rule must allow, and scopes
    (if limited) must include the name asked for."""

    __slots__ = ("_rules", "_scopes")

    _rules: tuple[_Rule, ...]
    _scopes: frozenset[str] | None

    def __init__(self) -> None:
        """An unrestricted policy; use the ``from_*`` constructors for anything else."""
        object.__setattr__(self, "_rules", ())
        object.__setattr__(self, "_scopes", None)

    @classmethod
    def _build(cls, rules: tuple[_Rule, ...], scopes: frozenset[str] | None) -> Policy:
        policy = cls.__new__(cls)
        object.__setattr__(policy, "_rules", rules)
        object.__setattr__(policy, "_scopes", scopes)
        return policy

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Policy objects are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Policy objects are immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Policy._build, (self._rules, self._scopes))

    # constructors

    @classmethod
    def unrestricted(cls) -> Policy:
        """The policy that allows everything and carries every scope."""
        return _UNRESTRICTED

    @classmethod
    def from_djblets(cls, data: Mapping[str, Any] | None) -> Policy:
        """Compile a djblets API-token policy (cached; see :func:`compile_djblets`)."""
        return compile_djblets(data)

    @classmethod
    def from_endpoints(cls, endpoints: Mapping[str, Sequence[str]]) -> Policy:
        """Compile drf-tmp-scoped-token's ``{"GET": ["/api/notes/"], ...}``.

        Only the listed (method, path prefix) pairs are allowed, matched on segment
        boundaries by :func:`~authgate.core.paths.path_matches`; ``HEAD`` is allowed wherever
        ``GET`` is (RFC 9110 §9.3.2). An empty mapping allows nothing. Write paths as Django
        shows them (decoded); a ``%`` escape in a prefix is decoded once.
        """
        if not isinstance(endpoints, Mapping):
            raise PolicyError(
                f"endpoints must be a mapping of HTTP methods to lists of paths, "
                f"got {shown(endpoints)}"
            )
        collected: dict[str, set[str]] = {}
        for method, paths in endpoints.items():
            if not isinstance(method, str) or upper_method(method) not in STANDARD_METHODS:
                raise PolicyError(
                    f"endpoints: {shown(method)} is not a standard HTTP method "
                    f"(expected one of {METHOD_LIST})"
                )
            where = f"endpoints[{method!r}]"
            if isinstance(paths, str | bytes) or not isinstance(paths, Sequence):
                raise PolicyError(f"{where} must be a list of paths, got {shown(paths)}")
            bucket = collected.setdefault(upper_method(method), set())
            for index, path in enumerate(paths):
                if not isinstance(path, str) or not path.startswith("/"):
                    raise PolicyError(
                        f"{where}[{index}] must be an absolute path starting with '/', "
                        f"got {shown(path)}"
                    )
                if normalize_path(path) is None:
                    raise PolicyError(
                        f"{where}[{index}] is not a usable path prefix: {shown(path)} "
                        f"(no control characters, backslashes or '..' above the root)"
                    )
                bucket.add(path)
        canonical = tuple(sorted((m, tuple(sorted(ps))) for m, ps in collected.items()))
        by_method = {m: tuple(sorted(ps)) for m, ps in collected.items()}
        if "GET" in collected:
            by_method["HEAD"] = tuple(sorted(collected["GET"] | collected.get("HEAD", set())))
        return cls._build((_EndpointsRule(canonical, by_method),), None)

    @classmethod
    def from_scopes(cls, scopes: Iterable[str]) -> Policy:
        """A policy limited to the named scopes (see :data:`SCOPE_RE`); it allows every
        method and path, and :meth:`has_scope` is membership."""
        if isinstance(scopes, str | bytes) or not isinstance(scopes, Iterable):
            raise PolicyError(f"scopes must be a list of scope names, got {shown(scopes)}")
        names = list(scopes)
        for index, name in enumerate(names):
            if (
                not isinstance(name, str)
                or len(name) > _MAX_SCOPE_LENGTH
                or SCOPE_RE.fullmatch(name) is None
            ):
                raise PolicyError(
                    f"scopes[{index}] is not a valid scope name: {shown(name)} (expected "
                    f"lowercase words like 'notes' or 'notes:read', at most "
                    f"{_MAX_SCOPE_LENGTH} characters)"
                )
        return cls._build((), frozenset(names))

    # combining

    def __and__(self, other: object) -> Policy:
        """The intersection: allowed only where both allow; scopes both carry."""
        if not isinstance(other, Policy):
            return NotImplemented
        rules = self._rules + tuple(r for r in other._rules if r not in self._rules)
        if self._scopes is None:
            scopes = other._scopes
        elif other._scopes is None:
            scopes = self._scopes
        else:
            scopes = self._scopes & other._scopes
        return Policy._build(rules, scopes)

    # questions

    def allows(
        self,
        method: str,
        *,
        resource: str | None = None,
        path: str | None = None,
        object_id: str | None = None,
    ) -> bool:
        """Whether ``method`` is allowed on this resource (djblets policy id, with an
        optional ``object_id``) and/or request path (endpoint prefixes)."""
        return all(rule.allows(method, resource, path, object_id) for rule in self._rules)

    def named_objects(self, resource: str | None) -> frozenset[str]:
        """Object ids that djblets rules name for ``resource`` (beyond ``"*"``): a check
        made for the resource as a whole must also ask about each of them, or an
        object-level block would not be seen (:func:`authgate.rights.check_endpoints_within`)."""
        if resource is None:
            return frozenset()
        found: set[str] = set()
        for rule in self._rules:
            if isinstance(rule, DjbletsRule):
                found.update(key for key in rule.sections.get(resource, {}) if key != "*")
        return frozenset(found)

    def has_scope(self, name: str) -> bool:
        """Whether the named scope is granted (always, when not limited by scope)."""
        return self._scopes is None or name in self._scopes

    @property
    def scopes(self) -> frozenset[str] | None:
        """The granted scopes, or ``None`` when the policy is not limited by scope."""
        return self._scopes

    @property
    def is_unrestricted(self) -> bool:
        """True when the policy allows everything and carries every scope."""
        return not self._rules and self._scopes is None

    # identity

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return set(self._rules) == set(other._rules) and self._scopes == other._scopes

    def __hash__(self) -> int:
        return hash((frozenset(self._rules), self._scopes))

    def __repr__(self) -> str:
        if self.is_unrestricted:
            return "Policy.unrestricted()"
        parts = [repr(rule) for rule in self._rules]
        if self._scopes is not None:
            parts.append(f"scopes {sorted(self._scopes)!r}")
        return f"<Policy {' & '.join(parts)}>"


_UNRESTRICTED = Policy()


# --- djblets compilation ----------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence | frozenset | set) and not isinstance(value, str | bytes):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def compile_djblets(data: Mapping[str, Any] | None) -> Policy:
    """Compile a djblets policy; a token's policy compiles once (cached, bounded).

    ``None`` or ``{}`` is full access (djblets' default), as is a policy without any
    ``block`` list: an ``allow`` only ends the lookup early, and the fall-through default
    is to allow. Read-only is ``{"resources": {"*": {"allow": ["GET", "HEAD", "OPTIONS"],
    "block": ["*"]}}}``. ``PolicyError`` for anything malformed.
    """
    if data is None:
        return _UNRESTRICTED
    if not isinstance(data, Mapping):
        raise PolicyError(f"policy must be a JSON object, got {shown(data)}")
    try:
        # Canonical JSON is the cache key: equal policies share one compiled Policy.
        canonical = json.dumps(
            data,
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise PolicyError(f"policy must be JSON data with string keys: {exc}") from None
    if len(canonical) > MAX_POLICY_LENGTH:
        raise PolicyError(
            f"policy is too large ({len(canonical)} characters of JSON; the limit is "
            f"{MAX_POLICY_LENGTH})"
        )
    return _compile_canonical(canonical)


@functools.lru_cache(maxsize=1024)
def _compile_canonical(canonical: str) -> Policy:
    rule = rule_from_canonical(canonical)
    return _UNRESTRICTED if rule is None else Policy._build((rule,), None)
