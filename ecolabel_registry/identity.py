"""Who a bearer credential stands for: the operator, an organisation, or nobody.

The operator holds the admin token; an organisation holds API tokens `elr_<id>_<secret>` that the
operator issued (`ecolabel_registry.supply.auth`). Endpoints judge what a caller may do; this module
only names the caller, for the request rate limit (`ecolabel_registry.api.ratelimit`), which must key
a client by who it proved to be, never by what it merely sent.
"""

from __future__ import annotations

import hmac

from pydantic import SecretStr
from sqlalchemy import Connection

from ecolabel_registry.errors import Unauthorized
from ecolabel_registry.supply.auth import TOKEN_PREFIX, authenticate

OPERATOR_KEY = "operator"


def bearer_token(authorization: bytes) -> str | None:
    """The credential of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), else None."""
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() != b"bearer" or not token.strip() or not token.isascii():
        return None
    return token.strip().decode("ascii")


def is_admin_token(presented: str, admin_token: SecretStr) -> bool:
    # Constant-time comparison: the time taken must not reveal how much of the token matched.
    return hmac.compare_digest(presented.encode(), admin_token.get_secret_value().encode())


def may_be_stored_token(presented: str) -> bool:
    """Shaped like a token the registry stores (`<prefix>_<16 hex>_<secret>`): worth a database read."""
    prefix, _, rest = presented.partition("_")
    token_id, _, secret = rest.partition("_")
    return prefix == TOKEN_PREFIX and len(token_id) == 16 and bool(secret)


def caller_key(connection: Connection, presented: str, admin_token: SecretStr, now_us: int) -> str | None:
    """A stable name of the caller this credential proves (`operator`, `organisation:<id>`), or None."""
    try:
        principal = authenticate(connection, presented, admin_token, now_us)
    except Unauthorized:
        return None
    return OPERATOR_KEY if principal.is_operator else f"organisation:{principal.organisation_id}"
