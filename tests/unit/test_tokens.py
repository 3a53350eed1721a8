"""JwtAccessTokenService: HS256 pinned, key ids, required claims, and every way to be rejected."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.auth.tokens import MAX_TOKEN_LENGTH, REQUIRED_CLAIMS, JwtAccessTokenService
from adapters.clock import FixedClock
from domain.errors import InvalidAccessToken
from domain.ports import AccessTokenService, Clock
from domain.users import Role

SECRET = "test-secret-0123456789abcdef-0123456789abcdef"
OTHER_SECRET = "other-secret-0123456789abcdef-0123456789abcdef"
KID = "k1"
ISSUER = "support-refunds"
AUDIENCE = "support-refunds-api"
TTL = 900
START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def make_service(
    clock: FixedClock,
    *,
    secret: str = SECRET,
    key_id: str = KID,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    ttl_seconds: int = TTL,
    verify_keys: dict[str, str] | None = None,
    leeway_seconds: int = 0,
) -> JwtAccessTokenService:
    return JwtAccessTokenService(
        secret=secret,
        key_id=key_id,
        issuer=issuer,
        audience=audience,
        ttl_seconds=ttl_seconds,
        clock=clock,
        verify_keys=verify_keys,
        leeway_seconds=leeway_seconds,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def service(clock: FixedClock) -> JwtAccessTokenService:
    return make_service(clock)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def hs256(signing_input: str, secret: str = SECRET) -> str:
    return b64url(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest())


def craft(header: dict[str, Any], payload: dict[str, Any], secret: str = SECRET) -> str:
    """An HS256-signed token with exactly this header and payload (no library help)."""
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    return f"{signing_input}.{hs256(signing_input, secret)}"


def good_payload(now: datetime = START, **overrides: Any) -> dict[str, Any]:
    iat = int(now.timestamp())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": iat,
        "nbf": iat,
        "exp": iat + TTL,
        "jti": uuid.uuid4().hex,
        "role": "CUSTOMER",
        "sid": "session-1",
    }
    payload.update(overrides)
    return payload


GOOD_HEADER = {"alg": "HS256", "typ": "JWT", "kid": KID}


def rejected(service: JwtAccessTokenService, token: Any) -> str:
    with pytest.raises(InvalidAccessToken) as info:
        service.verify(token)
    reason = info.value.reason
    assert reason and len(reason) < 80
    if isinstance(token, str) and len(token) > 8:
        assert token not in reason and token not in str(info.value)
    return reason


# --- issuing and the happy path -------------------------------------------------------------


def test_round_trip(service: JwtAccessTokenService) -> None:
    issued = service.issue(user_id="user-1", role=Role.AGENT, session_id="family-7")

    claims = service.verify(issued.token)

    assert claims.user_id == "user-1"
    assert claims.role is Role.AGENT
    assert claims.session_id == "family-7"
    assert re.fullmatch(r"[0-9a-f]{32}", claims.token_id)
    assert claims.issued_at == START
    assert claims.expires_at == START + timedelta(seconds=TTL) == issued.expires_at
    assert issued.expires_at.tzinfo is not None


def test_issued_token_shape(service: JwtAccessTokenService) -> None:
    token = service.issue(user_id="u", role=Role.CUSTOMER, session_id="s").token

    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "HS256", "typ": "JWT", "kid": KID}
    assert set(REQUIRED_CLAIMS) <= set(payload)
    assert payload["iss"] == ISSUER and payload["aud"] == AUDIENCE
    assert payload["exp"] - payload["iat"] == TTL
    assert payload["role"] == "CUSTOMER"


def test_every_token_has_its_own_jti(service: JwtAccessTokenService) -> None:
    ids = {
        service.verify(service.issue(user_id="u", role=Role.ADMIN, session_id="s").token).token_id
        for _ in range(20)
    }
    assert len(ids) == 20


def test_hand_crafted_valid_token_is_accepted(service: JwtAccessTokenService) -> None:
    """Makes sure the crafting helpers below only differ from a valid token where intended."""
    claims = service.verify(craft(GOOD_HEADER, good_payload()))
    assert claims.user_id == "user-1"


def test_token_without_nbf_is_accepted(service: JwtAccessTokenService) -> None:
    payload = good_payload()
    del payload["nbf"]
    assert service.verify(craft(GOOD_HEADER, payload)).user_id == "user-1"


# --- time --------------------------------------------------------------------------------------


def test_valid_until_just_before_expiry(clock: FixedClock, service: JwtAccessTokenService) -> None:
    token = service.issue(user_id="u", role=Role.CUSTOMER, session_id="s").token

    clock.advance(seconds=TTL - 1)
    service.verify(token)
    clock.advance(seconds=1)
    assert rejected(service, token) == "expired"


def test_expired_long_ago(clock: FixedClock, service: JwtAccessTokenService) -> None:
    token = service.issue(user_id="u", role=Role.CUSTOMER, session_id="s").token
    clock.advance(days=30)
    assert rejected(service, token) == "expired"


def test_expired_against_the_system_clock() -> None:
    """Issued an hour ago by a clock in the past, checked by the real clock."""
    past = make_service(FixedClock(datetime.now(UTC) - timedelta(hours=1)))
    now = make_service(FixedClock())

    token = past.issue(user_id="u", role=Role.CUSTOMER, session_id="s").token

    assert rejected(now, token) == "expired"


def test_not_yet_valid(clock: FixedClock) -> None:
    future = make_service(FixedClock(START + timedelta(minutes=5)))
    token = future.issue(user_id="u", role=Role.CUSTOMER, session_id="s").token

    assert rejected(make_service(clock), token) == "not yet valid"


def test_future_nbf_or_iat_is_rejected(service: JwtAccessTokenService) -> None:
    later = int(START.timestamp()) + 60
    assert rejected(service, craft(GOOD_HEADER, good_payload(nbf=later))) == "not yet valid"
    assert rejected(service, craft(GOOD_HEADER, good_payload(iat=later))) == "not yet valid"


def test_leeway_tolerates_small_skew(clock: FixedClock) -> None:
    tolerant = make_service(clock, leeway_seconds=30)
    token = make_service(FixedClock(START + timedelta(seconds=20))).issue(
        user_id="u", role=Role.CUSTOMER, session_id="s"
    )
    tolerant.verify(token.token)  # 20 s in the future, within the leeway
    clock.advance(seconds=TTL + 20 + 29)  # expired 29 s ago: still within the leeway
    tolerant.verify(token.token)
    clock.advance(seconds=1)
    assert rejected(tolerant, token.token) == "expired"


@pytest.mark.parametrize(
    "claim, value",
    [
        ("exp", "soon"),
        ("exp", 1.5e9),
        ("exp", True),
        ("iat", "now"),
        ("nbf", None),
        ("exp", 10**30),
    ],
)
def test_time_claims_must_be_integers(
    service: JwtAccessTokenService, claim: str, value: Any
) -> None:
    rejected(service, craft(GOOD_HEADER, good_payload(**{claim: value})))


# --- signature and algorithm -----------------------------------------------------------------


def test_forged_signature_other_secret(service: JwtAccessTokenService) -> None:
    forged = craft(GOOD_HEADER, good_payload(role="ADMIN"), secret=OTHER_SECRET)
    assert rejected(service, forged) == "bad signature"


def test_token_signed_by_another_service_with_same_kid(clock: FixedClock) -> None:
    other = make_service(clock, secret=OTHER_SECRET)
    token = other.issue(user_id="u", role=Role.ADMIN, session_id="s").token
    assert rejected(make_service(clock), token) == "bad signature"


def test_tampered_payload_keeps_old_signature(service: JwtAccessTokenService) -> None:
    token = service.issue(user_id="user-1", role=Role.CUSTOMER, session_id="s").token
    header, _, signature = token.split(".")
    escalated = f"{header}.{b64json(good_payload(role='ADMIN'))}.{signature}"
    assert rejected(service, escalated) == "bad signature"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "typ": "JWT"},
        {"alg": "none", "typ": "JWT", "kid": KID},
        {"alg": "None", "typ": "JWT", "kid": KID},
        {"alg": "NONE", "kid": KID},
    ],
)
def test_alg_none_is_rejected(service: JwtAccessTokenService, header: dict[str, str]) -> None:
    unsigned = f"{b64json(header)}.{b64json(good_payload())}."
    assert rejected(service, unsigned) == "algorithm not allowed"


def test_alg_none_with_valid_looking_signature_is_rejected(service: JwtAccessTokenService) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": KID}
    signing_input = f"{b64json(header)}.{b64json(good_payload())}"
    assert rejected(service, f"{signing_input}.{hs256(signing_input)}") == "algorithm not allowed"


@pytest.mark.parametrize("alg", ["HS512", "HS384"])
def test_other_hmac_algorithms_are_rejected(service: JwtAccessTokenService, alg: str) -> None:
    key = SECRET * 2  # long enough for HS512, so PyJWT does not warn
    token = jwt.encode(good_payload(), key, algorithm=alg, headers={"kid": KID})
    assert rejected(service, token) == "algorithm not allowed"


def test_rs256_token_is_rejected(service: JwtAccessTokenService) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(good_payload(), private_key, algorithm="RS256", headers={"kid": KID})
    assert rejected(service, token) == "algorithm not allowed"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "hs256", "HS256 ", ""])
def test_other_alg_header_with_hmac_signature_is_rejected(
    service: JwtAccessTokenService, alg: str
) -> None:
    """Algorithm confusion: the header says something else, the signature is a valid HS256."""
    token = craft({"alg": alg, "typ": "JWT", "kid": KID}, good_payload())
    assert rejected(service, token) == "algorithm not allowed"


def test_missing_alg_is_rejected(service: JwtAccessTokenService) -> None:
    token = craft({"typ": "JWT", "kid": KID}, good_payload())
    assert rejected(service, token) == "algorithm not allowed"


@pytest.mark.parametrize(
    "extra", [{"crit": ["exp"]}, {"b64": False, "crit": ["b64"]}, {"jku": "https://evil.example"}]
)
def test_unsupported_header_parameters_are_rejected(
    service: JwtAccessTokenService, extra: dict[str, Any]
) -> None:
    assert rejected(service, craft({**GOOD_HEADER, **extra}, good_payload()))


def test_other_token_type_is_rejected(service: JwtAccessTokenService) -> None:
    assert rejected(service, craft({**GOOD_HEADER, "typ": "refresh+jwt"}, good_payload()))


# --- key ids and rotation --------------------------------------------------------------------


def test_unknown_kid(service: JwtAccessTokenService) -> None:
    token = craft({**GOOD_HEADER, "kid": "k9"}, good_payload())
    assert rejected(service, token) == "unknown key id"


def test_missing_kid(service: JwtAccessTokenService) -> None:
    token = craft({"alg": "HS256", "typ": "JWT"}, good_payload())
    assert rejected(service, token) == "missing key id"


@pytest.mark.parametrize("kid", [1, None, ["k1"], {"k": "k1"}, ""])
def test_kid_of_wrong_type(service: JwtAccessTokenService, kid: Any) -> None:
    rejected(service, craft({**GOOD_HEADER, "kid": kid}, good_payload()))


def test_key_rotation(clock: FixedClock) -> None:
    old = make_service(clock, secret=OTHER_SECRET, key_id="k0")
    old_token = old.issue(user_id="u", role=Role.CUSTOMER, session_id="s").token

    rotated = make_service(clock, key_id="k1", verify_keys={"k0": OTHER_SECRET})
    new_token = rotated.issue(user_id="u", role=Role.CUSTOMER, session_id="s").token

    assert jwt.get_unverified_header(new_token)["kid"] == "k1"
    assert rotated.verify(old_token).user_id == "u"  # old key still accepted
    assert rotated.verify(new_token).user_id == "u"
    with pytest.raises(InvalidAccessToken):
        old.verify(new_token)  # the old deployment does not know k1

    retired = make_service(clock, key_id="k1")  # k0 dropped from verify_keys
    assert rejected(retired, old_token) == "unknown key id"


def test_old_kid_with_new_secret_is_rejected(clock: FixedClock) -> None:
    rotated = make_service(clock, key_id="k1", verify_keys={"k0": OTHER_SECRET})
    token = craft({**GOOD_HEADER, "kid": "k0"}, good_payload(), secret=SECRET)
    assert rejected(rotated, token) == "bad signature"


def test_verify_keys_cannot_contradict_the_signing_key(clock: FixedClock) -> None:
    with pytest.raises(ValueError):
        make_service(clock, verify_keys={KID: OTHER_SECRET})


@pytest.mark.parametrize("secret", ["", "short", "x" * 31])
def test_short_secrets_are_refused(clock: FixedClock, secret: str) -> None:
    with pytest.raises(ValueError):
        make_service(clock, secret=secret)
    with pytest.raises(ValueError):
        make_service(clock, verify_keys={"k0": secret})


# --- claims ----------------------------------------------------------------------------------


def test_wrong_audience(clock: FixedClock) -> None:
    token = make_service(clock, audience="another-api").issue(
        user_id="u", role=Role.CUSTOMER, session_id="s"
    )
    assert rejected(make_service(clock), token.token) == "wrong audience"


@pytest.mark.parametrize("aud", [[AUDIENCE], [AUDIENCE, "other"], "", 42])
def test_audience_must_be_exactly_ours(service: JwtAccessTokenService, aud: Any) -> None:
    rejected(service, craft(GOOD_HEADER, good_payload(aud=aud)))


def test_wrong_issuer(clock: FixedClock) -> None:
    token = make_service(clock, issuer="someone-else").issue(
        user_id="u", role=Role.CUSTOMER, session_id="s"
    )
    assert rejected(make_service(clock), token.token) == "wrong issuer"


@pytest.mark.parametrize("iss", ["support", "support-refunds-x", 1, [ISSUER]])
def test_issuer_must_be_exactly_ours(service: JwtAccessTokenService, iss: Any) -> None:
    rejected(service, craft(GOOD_HEADER, good_payload(iss=iss)))


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_required_claim_is_required(service: JwtAccessTokenService, claim: str) -> None:
    payload = good_payload()
    del payload[claim]
    assert rejected(service, craft(GOOD_HEADER, payload)) == f"missing claim {claim}"


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_null_required_claim(service: JwtAccessTokenService, claim: str) -> None:
    payload = good_payload()
    payload[claim] = None
    assert rejected(service, craft(GOOD_HEADER, payload)) == f"missing claim {claim}"


@pytest.mark.parametrize("role", ["SUPERUSER", "customer", "", 1, ["ADMIN"], None])
def test_unknown_role(service: JwtAccessTokenService, role: Any) -> None:
    rejected(service, craft(GOOD_HEADER, good_payload(role=role)))


@pytest.mark.parametrize("claim", ["sub", "sid", "jti"])
@pytest.mark.parametrize("value", ["", 42, ["x"], {"id": "x"}])
def test_identifier_claims_must_be_non_empty_strings(
    service: JwtAccessTokenService, claim: str, value: Any
) -> None:
    rejected(service, craft(GOOD_HEADER, good_payload(**{claim: value})))


def test_exp_not_after_iat(service: JwtAccessTokenService) -> None:
    iat = int(START.timestamp())
    rejected(service, craft(GOOD_HEADER, good_payload(iat=iat, nbf=iat, exp=iat)))


# --- malformed input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "x",
        "Bearer abc",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "...",
        "eyJ.eyJ.sig",
        "@@@.###.$$$",
        "😀.😀.😀",
        "\x00\x00\x00",
        b64json([1, 2]) + "." + b64json({}) + ".",
        b64json("str") + "." + b64json({}) + ".",
        b64json(GOOD_HEADER) + ".bm90IGpzb24." + "sig",
        b64json(GOOD_HEADER) + "." + b64json([1, 2]) + ".sig",
        b64url(b"\xff\xfe") + "." + b64json({}) + ".",
        "[" * 3000,
        "eyJhbGciOiJIUzI1NiJ9",
    ],
)
def test_garbage_is_rejected(service: JwtAccessTokenService, garbage: str) -> None:
    rejected(service, garbage)


def test_well_signed_non_object_payload(service: JwtAccessTokenService) -> None:
    signing_input = f"{b64json(GOOD_HEADER)}.{b64json(['not', 'an', 'object'])}"
    rejected(service, f"{signing_input}.{hs256(signing_input)}")


def test_deeply_nested_json_is_rejected(service: JwtAccessTokenService) -> None:
    nested = b64url(b"[" * 1500 + b"]" * 1500)
    rejected(service, f"{b64json(GOOD_HEADER)}.{nested}.sig")


@pytest.mark.parametrize("value", [None, b"bytes.token.sig", 42, ["a.b.c"]])
def test_non_string_input_is_rejected(service: JwtAccessTokenService, value: Any) -> None:
    rejected(service, value)


def test_overlong_token_is_rejected(service: JwtAccessTokenService) -> None:
    padding = "x" * MAX_TOKEN_LENGTH
    valid_but_big = craft(GOOD_HEADER, good_payload(padding=padding))

    assert len(valid_but_big) > MAX_TOKEN_LENGTH
    assert rejected(service, valid_but_big) == "token too long"
    assert rejected(service, "a" * 1_000_000) == "token too long"


def test_token_at_the_size_limit_is_accepted(service: JwtAccessTokenService) -> None:
    base = craft(GOOD_HEADER, good_payload(padding=""))
    filler = "x" * ((MAX_TOKEN_LENGTH - len(base)) * 3 // 4 - 2)
    token = craft(GOOD_HEADER, good_payload(padding=filler))

    assert MAX_TOKEN_LENGTH - 8 <= len(token) <= MAX_TOKEN_LENGTH
    service.verify(token)


def test_trailing_whitespace_or_bearer_prefix_is_not_stripped(
    service: JwtAccessTokenService,
) -> None:
    token = service.issue(user_id="u", role=Role.CUSTOMER, session_id="s").token
    rejected(service, f"Bearer {token}")
    rejected(service, f" {token}")


# --- issuing arguments -----------------------------------------------------------------------


def test_issue_refuses_empty_identifiers(service: JwtAccessTokenService) -> None:
    with pytest.raises(ValueError):
        service.issue(user_id="", role=Role.CUSTOMER, session_id="s")
    with pytest.raises(ValueError):
        service.issue(user_id="u", role=Role.CUSTOMER, session_id="")


def test_constructor_validation(clock: FixedClock) -> None:
    with pytest.raises(ValueError):
        make_service(clock, ttl_seconds=0)
    with pytest.raises(ValueError):
        make_service(clock, key_id="")
    with pytest.raises(ValueError):
        make_service(clock, audience="")


def test_implements_the_port(service: JwtAccessTokenService, clock: FixedClock) -> None:
    port: AccessTokenService = service  # checked by mypy
    port_clock: Clock = clock
    assert port.verify(port.issue(user_id="u", role=Role.ADMIN, session_id="s").token)
    assert port_clock.now() == START
