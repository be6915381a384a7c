"""djblets' API-token policy format: parsed from canonical JSON into one rule, asked per request.

``{"resources": {"*": {...}, "<policy id>": {"*": {...}, "<object id>": {...}}}}``, each
``{...}`` an ``{"allow": [methods], "block": [methods]}`` entry. The most specific entry
with an opinion decides (object, resource ``*``, global ``*``); block beats allow at each
level, an exact method beats ``*``; with no opinion anywhere the request is allowed.
:func:`authgate.core.policy.compile_djblets` canonicalises, caches and wraps the rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .policy_terms import METHOD_LIST, STANDARD_METHODS, PolicyError, shown, upper_method

__all__ = ["Entry", "DjbletsRule", "rule_from_canonical"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One djblets ``{"allow": [...], "block": [...]}`` entry, methods uppercased."""

    allow: frozenset[str]
    block: frozenset[str]

    def decide(self, method: str) -> bool | None:
        # djblets precedence: an exact method beats "*", and block beats allow at each level.
        if method in self.block:
            return False
        if method in self.allow:
            return True
        if "*" in self.block:
            return False
        if "*" in self.allow:
            return True
        return None  # no opinion: fall through to the next key


@dataclass(frozen=True, slots=True)
class DjbletsRule:
    canonical: str
    default: Entry | None = field(compare=False)
    sections: Mapping[str, Mapping[str, Entry]] = field(compare=False)

    def allows(
        self, method: str, resource: str | None, path: str | None, object_id: str | None
    ) -> bool:
        method = upper_method(method)
        # Most specific first: the object, the resource's "*", the global "*"; else allow.
        for entry in self._lookup(resource, object_id):
            if entry is not None and (decision := entry.decide(method)) is not None:
                return decision
        return True

    def _lookup(self, resource: str | None, object_id: str | None) -> Iterator[Entry | None]:
        section = self.sections.get(resource) if resource is not None else None
        if section is not None:
            if object_id is not None:
                yield section.get(object_id)
            yield section.get("*")
        yield self.default

    def __repr__(self) -> str:
        text = self.canonical
        return f"djblets {text if len(text) <= 200 else text[:197] + '...'}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (rule_from_canonical, (self.canonical,))


def rule_from_canonical(canonical: str) -> DjbletsRule | None:
    data = json.loads(canonical)
    if not isinstance(data, dict):
        raise PolicyError(f"policy must be a JSON object, got {shown(data)}")
    for key in data:
        if key != "resources":
            raise PolicyError(f"policy has an unknown key {key!r} (the only key is 'resources')")
    resources = data.get("resources", {})
    if not isinstance(resources, dict):
        raise PolicyError(f"resources must be an object, got {shown(resources)}")

    default: Entry | None = None
    sections: dict[str, dict[str, Entry]] = {}
    for policy_id, section in resources.items():
        if policy_id == "*":
            default = _entry(section, "resources['*']")
            continue
        where = f"resources[{policy_id!r}]"
        if not policy_id:
            raise PolicyError("resources has an empty policy id")
        if not isinstance(section, dict):
            raise PolicyError(
                f"{where} must be an object mapping object ids (or '*') to "
                f"{{'allow': [...], 'block': [...]}}, got {shown(section)}"
            )
        entries: dict[str, Entry] = {}
        for object_id, value in section.items():
            if object_id in ("allow", "block") and isinstance(value, list):
                raise PolicyError(
                    f"{where}[{object_id!r}] must be an object, got {shown(value)}; per-resource "
                    f"rules go one level down, keyed by object id or '*': "
                    f"{where}['*'] = {{{object_id!r}: [...]}}"
                )
            if not object_id:
                raise PolicyError(f"{where} has an empty object id")
            entries[object_id] = _entry(value, f"{where}[{object_id!r}]")
        sections[policy_id] = entries

    every_entry = [default, *(e for s in sections.values() for e in s.values())]
    if not any(entry is not None and entry.block for entry in every_entry):
        return None  # nothing can deny: the rule would allow every request
    return DjbletsRule(canonical, default, sections)


def _entry(value: object, where: str) -> Entry:
    if not isinstance(value, dict):
        raise PolicyError(
            f"{where} must be an object with 'allow' and/or 'block' lists, got {shown(value)}"
        )
    for key in value:
        if key not in ("allow", "block"):
            raise PolicyError(f"{where} has an unknown key {key!r} (expected 'allow', 'block')")
    return Entry(
        allow=_methods(value.get("allow", []), f"{where}.allow"),
        block=_methods(value.get("block", []), f"{where}.block"),
    )


def _methods(value: object, where: str) -> frozenset[str]:
    if not isinstance(value, list):
        raise PolicyError(f"{where} must be a list of HTTP methods, got {shown(value)}")
    methods: set[str] = set()
    for index, method in enumerate(value):
        if not isinstance(method, str) or (
            (upper := upper_method(method)) not in STANDARD_METHODS and upper != "*"
        ):
            raise PolicyError(
                f"{where}[{index}] must be a standard HTTP method or '*', got {shown(method)} "
                f"(expected one of {METHOD_LIST})"
            )
        methods.add(upper)
    return frozenset(methods)
