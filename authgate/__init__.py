"""authgate: one pluggable authentication layer for Django web APIs.

The front door, for the names most projects need::

    from authgate import auth_required, AuthgateMiddleware, Identity, tokens, links, scoped

Each name is imported on first use (PEP 562), so ``import authgate`` touches neither Django's
settings nor its app registry; ``tokens``, ``links`` and ``scoped`` are the service modules of
those credential kinds (``tokens.issue(...)``, ``links.get_query_string(...)``,
``scoped.issue(...)``). Everything else has a home of its own; ``docs/reference.md`` lists the
public API.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> (module, attribute); attribute ``None`` means the module itself.
_FRONT_DOOR: dict[str, tuple[str, str | None]] = {
    "auth_required": ("authgate.decorators", "auth_required"),
    "AuthgateMiddleware": ("authgate.middleware", "AuthgateMiddleware"),
    "Identity": ("authgate.identity", "Identity"),
    "tokens": ("authgate.schemes.tokens.service", None),
    "links": ("authgate.schemes.links.service", None),
    "scoped": ("authgate.schemes.scoped.service", None),
}

__all__ = [
    "__version__",
    "auth_required",
    "AuthgateMiddleware",
    "Identity",
    "tokens",
    "links",
    "scoped",
]

if TYPE_CHECKING:
    from authgate.decorators import auth_required
    from authgate.identity import Identity
    from authgate.middleware import AuthgateMiddleware
    from authgate.schemes.links import service as links
    from authgate.schemes.scoped import service as scoped
    from authgate.schemes.tokens import service as tokens


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _FRONT_DOOR[name]
    except KeyError:
        raise AttributeError(f"module 'authgate' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
