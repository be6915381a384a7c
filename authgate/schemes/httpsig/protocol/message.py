"""The parts of an HTTP request a signature can cover, independent of any framework.

:class:`Message` is what both sides build the signature base from: the Django backend
makes one from an ``HttpRequest`` and :mod:`authgate.schemes.httpsig.client` makes one from
the request about to be sent, so signing and verifying run the very same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

__all__ = ["Message"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _field_lines(headers: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    lines: dict[str, list[str]] = {}
    for name, value in headers:
        lines.setdefault(name.lower(), []).append(value)
    return {name: tuple(values) for name, values in lines.items()}


@dataclass(frozen=True)
class Message:
    """An HTTP request: method, effective target URI, header field lines and body.

    ``headers`` may repeat a name (each field line is kept, in order: RFC 9421 §2.1 joins
    them with ``", "``, and ``;bs`` encodes them one by one). ``body`` is only used for
    ``Content-Digest`` (RFC 9530), never in the signature base itself.
    """

    method: str
    target_uri: str
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()
    body: bytes = b""
    fields: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    url: SplitResult = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        items = self.headers.items() if isinstance(self.headers, Mapping) else self.headers
        lines = tuple(items)  # an iterator can be read only once
        object.__setattr__(self, "headers", lines)
        object.__setattr__(self, "fields", _field_lines(lines))
        object.__setattr__(self, "url", urlsplit(self.target_uri))

    # --- RFC 9421 §2.2 derived components ---------------------------------------------

    @property
    def scheme(self) -> str:
        """``@scheme`` (§2.2.4): lowercase."""
        return self.url.scheme.lower()

    @property
    def authority(self) -> str:
        """``@authority`` (§2.2.3): host lowercased, the scheme's default port omitted."""
        host = (self.url.hostname or "").lower()
        if ":" in host:
            host = f"[{host}]"  # an IPv6 literal keeps its brackets
        try:
            port = self.url.port
        except ValueError:
            port = None
        if port is not None and port != _DEFAULT_PORTS.get(self.scheme):
            return f"{host}:{port}"
        return host

    @property
    def path(self) -> str:
        """``@path`` (§2.2.6): the absolute path, ``/`` when empty."""
        return self.url.path or "/"

    @property
    def query(self) -> str:
        """``@query`` (§2.2.7): ``?`` and the query, or ``?`` alone when there is none."""
        return f"?{self.url.query}"

    @property
    def request_target(self) -> str:
        """``@request-target`` (§2.2.5), in origin form: the path and the query, if any."""
        return f"{self.path}?{self.url.query}" if self.url.query else self.path
