"""Verifying JWT access tokens (RFC 9068) with PyJWT.

In order, stopping at the first failure (each a :class:`TokenRefused`):

1. the JOSE header: ``alg`` in ``OAUTH_ALGORITHMS`` (so never ``none`` or ``HS*``),
   ``typ`` one of ``OAUTH_TYP`` (RFC 9068 §4 step 1; ``at+jwt`` keeps an ID token from
   being replayed as an access token), no ``crit`` extension (RFC 7515 §4.1.11: we know none);
2. the key: by ``kid``, among those bound to that ``alg`` (:mod:`authgate.schemes.oauth.jwks`);
   PyJWT is given that key and only its own algorithms;
3. the signature, then ``exp``, ``nbf``, ``iat`` (with ``OAUTH_LEEWAY``), ``iss`` and
   ``aud`` (RFC 9068 §4 steps 2-5); ``exp``, ``iss``, ``aud`` and ``sub`` are required.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from authgate.errors import EXPIRED_TOKEN, INVALID_TOKEN
from authgate.schemes.oauth.claims import TokenRefused
from authgate.schemes.oauth.jwks import store
from authgate.schemes.oauth.settings import oauth_settings, typ_matches

__all__ = ["decode", "looks_like_jwt"]

_REQUIRED = ["exp", "iss", "aud", "sub"]


def looks_like_jwt(token: str) -> bool:
    """A JWS in compact form has three dot-separated parts (RFC 7515 §7.1)."""
    return token.count(".") == 2


def _header(token: str) -> dict[str, Any]:
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        raise TokenRefused(INVALID_TOKEN, _("Malformed access token.")) from None
    if not isinstance(header, dict):  # pragma: no cover - PyJWT checks it is an object
        raise TokenRefused(INVALID_TOKEN, _("Malformed access token."))
    return header


def decode(token: str) -> dict[str, Any]:
    """The verified claims of a JWT access token, or raise :class:`TokenRefused`."""
    import jwt

    header = _header(token)
    alg, kid = header.get("alg"), header.get("kid")
    config = oauth_settings()
    if not isinstance(alg, str) or alg not in config.algorithms:
        raise TokenRefused(INVALID_TOKEN, _("The token's signature algorithm is not accepted."))
    if kid is not None and not isinstance(kid, str):
        raise TokenRefused(INVALID_TOKEN, _("Malformed access token."))
    accepted_typ = config.accepted_typ
    if accepted_typ is not None and not typ_matches(header.get("typ"), accepted_typ):
        raise TokenRefused(INVALID_TOKEN, _("This is not an access token (typ)."))
    if "crit" in header:
        raise TokenRefused(INVALID_TOKEN, _("The token uses an unsupported extension."))

    keys = store.find(kid, alg)  # IdPUnavailable propagates: 503
    if not keys:
        raise TokenRefused(INVALID_TOKEN, _("The token is signed with an unknown key."))
    options: Any = {"require": _REQUIRED, "verify_aud": True, "verify_iss": True}
    for key in keys:
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=sorted(key.algorithms),  # this key's own algorithms, no others
                audience=list(config.audience or ()),
                issuer=config.issuer,
                leeway=config.leeway.total_seconds(),
                options=options,
            )
        except jwt.InvalidSignatureError:
            continue  # without a kid several keys may be tried
        except jwt.ExpiredSignatureError:
            raise TokenRefused(EXPIRED_TOKEN, _("The access token has expired.")) from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused(INVALID_TOKEN, _("The access token is not valid yet.")) from None
        except jwt.InvalidIssuerError:
            raise TokenRefused(INVALID_TOKEN, _("The token's issuer is not accepted.")) from None
        except jwt.InvalidAudienceError:
            raise TokenRefused(INVALID_TOKEN, _("The token is not meant for this API.")) from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRefused(
                INVALID_TOKEN, _("The token lacks the %(claim)s claim.") % {"claim": exc.claim}
            ) from None
        except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
            raise TokenRefused(INVALID_TOKEN, _("Malformed access token.")) from None
        if not isinstance(claims, dict):  # pragma: no cover - PyJWT checks it is an object
            break
        return claims
    raise TokenRefused(INVALID_TOKEN, _("The token's signature is invalid."))
