"""Optional dependencies: an ``ImportError`` that names the extra to install.

The framework adapters and some schemes need a package that only one of authgate's extras
brings (``pyproject.toml``: ``drf``, ``ninja``, ``spectacular``, ``oauth``, ``httpsig``,
``client``, ``redis``). Such a module imports that package first and, when it is missing,
raises :class:`MissingExtra` instead of a bare ``ModuleNotFoundError``::

    ImportError: authgate.contrib.drf needs Django REST framework, which could not be
    imported (No module named 'rest_framework'). Install it with: pip install "authgate[drf]"

The pattern, at the top of the module, before the rest of its imports::

    try:
        from rest_framework.authentication import BaseAuthentication
    except ImportError as exc:
        raise MissingExtra("authgate.contrib.drf", "drf", "Django REST framework", exc) from exc
"""

from __future__ import annotations

__all__ = ["MissingExtra"]


class MissingExtra(ImportError):
    """``module`` cannot be imported without authgate's ``extra``.

    The message ends with ``pip install "authgate[<extra>]"``. ``name`` is the package that
    failed to import, as on the original error; ``detail`` is that error's message (kept
    when one module's missing extra stops another).
    """

    module: str
    extra: str
    detail: str

    def __init__(self, module: str, extra: str, needs: str, cause: ImportError) -> None:
        self.module = module
        self.extra = extra
        self.detail = cause.detail if isinstance(cause, MissingExtra) else str(cause)
        super().__init__(
            f"{module} needs {needs}, which could not be imported ({self.detail}). "
            f'Install it with: pip install "authgate[{extra}]"',
            name=cause.name,
        )
