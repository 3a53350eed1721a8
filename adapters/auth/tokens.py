"""Short-lived access tokens: JWT, HS256 only, with a key id so keys can rotate.

Implements domain.ports.AccessTokenService. Every time check (exp, nbf, iat) uses the injected
clock, so tests control expiry with a FixedClock and production passes the SystemClock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import jwt
from jwt.exceptions import InvalidJTIError, InvalidSubjectError

from domain.auth import AccessClaims, IssuedAccessToken
from domain.errors import InvalidAccessToken
from domain.users import Role

if TYPE_CHECKING:
    from domain.ports import Clock

ALGORITHM: Final = "HS256"
MAX_TOKEN_LENGTH: Final = 4096
MIN_SECRET_BYTES: Final = 32  # RFC 7518 3.2: an HS256 key must be at least as long as the hash
REQUIRED_CLAIMS: Final = ("exp", "iat", "iss", "aud", "sub", "jti", "role", "sid")
_UNSUPPORTED_HEADERS: Final = frozenset({"crit", "b64", "jku", "jwk", "x5u", "x5c", "zip"})
_ROLES: Final = frozenset(role.value for role in Role)

# PyJWT checks signature, issuer, audience and required claims; the time checks are done below
# against the injected clock (PyJWT would use the system time).
_DECODE_OPTIONS: Final[Any] = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_iss": True,
    "verify_aud": True,
    "verify_sub": True,
    "verify_jti": True,
    "strict_aud": True,
    "require": list(REQUIRED_CLAIMS),
    "enforce_minimum_key_length": True,
}


class JwtAccessTokenService:
    """Signs with (`key_id`, `secret`); verifies with any key in `verify_keys` (kid -> secret).

    `verify_keys` defaults to {key_id: secret}; the signing key is always added to it. To rotate:
    sign with the new key and keep the old kid in `verify_keys` until its tokens have expired.
    `leeway_seconds` tolerates clock skew between instances (default none).
    """

    def __init__(
        self,
        secret: str,
        key_id: str,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        clock: Clock,
        verify_keys: Mapping[str, str] | None = None,
        *,
        leeway_seconds: int = 0,
    ) -> None:
        if not key_id:
            raise ValueError("key_id must not be empty")
        if not issuer or not audience:
            raise ValueError("issuer and audience must not be empty")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        if leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")
        keys = dict(verify_keys or {})
        if keys.get(key_id, secret) != secret:
            raise ValueError(f"verify_keys maps the signing key id {key_id!r} to another secret")
        keys[key_id] = secret
        for kid, key in keys.items():
            if not kid:
                raise ValueError("key ids must not be empty")
            if len(key.encode("utf-8")) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"the secret of key {kid!r} is shorter than {MIN_SECRET_BYTES} bytes"
                )
        self._secret = secret
        self._key_id = key_id
        self._issuer = issuer
        self._audience = audience
        self._ttl_seconds = ttl_seconds
        self._clock = clock
        self._keys = keys
        self._leeway = leeway_seconds

    @property
    def ttl_seconds(self) -> int:
        return self._ttl_seconds

    def issue(self, *, user_id: str, role: Role, session_id: str) -> IssuedAccessToken:
        if not user_id or not session_id:
            raise ValueError("user_id and session_id must not be empty")
        role = Role(role)
        now = self._clock.now()
        if now.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        issued_at = int(now.timestamp())
        expires_at = issued_at + self._ttl_seconds
        payload = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": user_id,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": expires_at,
            "jti": uuid.uuid4().hex,
            "role": role.value,
            "sid": session_id,
        }
        token = jwt.encode(
            payload,
            self._secret,
            algorithm=ALGORITHM,
            headers={"kid": self._key_id, "typ": "JWT"},
        )
        return IssuedAccessToken(token=token, expires_at=datetime.fromtimestamp(expires_at, UTC))

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; raises InvalidAccessToken(reason) for anything else."""
        if not isinstance(token, str) or not token:
            raise InvalidAccessToken("malformed token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidAccessToken("token too long")
        try:
            key = self._key_for(jwt.get_unverified_header(token))
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options=_DECODE_OPTIONS,
            )
        except InvalidAccessToken:
            raise
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidAccessToken(f"missing claim {exc.claim}") from None
        except jwt.InvalidSignatureError:
            raise InvalidAccessToken("bad signature") from None
        except jwt.InvalidAlgorithmError:
            raise InvalidAccessToken("algorithm not allowed") from None
        except jwt.InvalidAudienceError:
            raise InvalidAccessToken("wrong audience") from None
        except jwt.InvalidIssuerError:
            raise InvalidAccessToken("wrong issuer") from None
        except InvalidSubjectError:
            raise InvalidAccessToken("invalid claim sub") from None
        except InvalidJTIError:
            raise InvalidAccessToken("invalid claim jti") from None
        except jwt.DecodeError:
            raise InvalidAccessToken("malformed token") from None
        except jwt.PyJWTError:
            raise InvalidAccessToken("invalid token") from None
        except (ValueError, TypeError, OverflowError, RecursionError):
            raise InvalidAccessToken("malformed token") from None
        return self._claims(payload)

    def _key_for(self, header: dict[str, Any]) -> str:
        if header.get("alg") != ALGORITHM:
            raise InvalidAccessToken("algorithm not allowed")
        if header.get("typ", "JWT") != "JWT":
            raise InvalidAccessToken("wrong token type")
        if not _UNSUPPORTED_HEADERS.isdisjoint(header):
            raise InvalidAccessToken("unsupported header")
        kid = header.get("kid")
        if kid is None:
            raise InvalidAccessToken("missing key id")
        if not isinstance(kid, str) or kid not in self._keys:
            raise InvalidAccessToken("unknown key id")
        return self._keys[kid]

    def _claims(self, payload: dict[str, Any]) -> AccessClaims:
        exp = _int_claim(payload, "exp")
        iat = _int_claim(payload, "iat")
        nbf = _int_claim(payload, "nbf") if "nbf" in payload else iat
        now = self._clock.now().timestamp()
        if exp <= now - self._leeway:
            raise InvalidAccessToken("expired")
        if nbf > now + self._leeway or iat > now + self._leeway:
            raise InvalidAccessToken("not yet valid")
        if exp <= iat:
            raise InvalidAccessToken("invalid lifetime")
        user_id = _str_claim(payload, "sub")
        session_id = _str_claim(payload, "sid")
        token_id = _str_claim(payload, "jti")
        role_value = payload["role"]
        if not isinstance(role_value, str) or role_value not in _ROLES:
            raise InvalidAccessToken("unknown role")
        try:
            issued_at = datetime.fromtimestamp(iat, UTC)
            expires_at = datetime.fromtimestamp(exp, UTC)
        except (ValueError, OverflowError, OSError):
            raise InvalidAccessToken("invalid time claim") from None
        return AccessClaims(
            user_id=user_id,
            role=Role(role_value),
            session_id=session_id,
            token_id=token_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )


def _int_claim(payload: dict[str, Any], name: str) -> int:
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAccessToken(f"invalid claim {name}")
    return value


def _str_claim(payload: dict[str, Any], name: str) -> str:
    value = payload[name]
    if not isinstance(value, str) or not value:
        raise InvalidAccessToken(f"invalid claim {name}")
    return value
