"""The front door: ``from authgate import …`` for the few names most projects need."""

import subprocess
import sys
from pathlib import Path

import authgate

ROOT = Path(__file__).resolve().parent.parent


def test_importing_authgate_loads_no_django():
    # A fresh interpreter: no settings configured, so any Django import at module level of
    # authgate/__init__.py would show up in sys.modules (or fail).
    code = "import sys, authgate; print(sorted(m for m in sys.modules if m.startswith('django')))"
    result = subprocess.run(  # noqa: S603  (this interpreter, a fixed script)
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


def test_each_front_door_name_is_the_real_object():
    from authgate.decorators import auth_required
    from authgate.identity import Identity
    from authgate.middleware import AuthgateMiddleware
    from authgate.schemes.links import service as links
    from authgate.schemes.scoped import service as scoped
    from authgate.schemes.tokens import service as tokens

    assert authgate.auth_required is auth_required
    assert authgate.AuthgateMiddleware is AuthgateMiddleware
    assert authgate.Identity is Identity
    assert (authgate.tokens, authgate.links, authgate.scoped) == (tokens, links, scoped)
    assert set(authgate.__all__) == {"__version__", *authgate._FRONT_DOOR}


def test_an_unknown_name_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        authgate.nope  # noqa: B018
