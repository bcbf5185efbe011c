"""Who a bearer credential stands for: the operator, an organisation, a subscriber, or nobody.

The operator holds the admin token; an organisation holds API tokens `elr_<id>_<secret>` and a
subscriber a credential `els_<id>_<secret>`, both issued by the operator. A caller is named by a
stable key: `operator`, `organisation:<id>` or `subscriber:<id>`. The request rate limit
(`ecolabel_registry.api.ratelimit`) keys its buckets by it, and watchlists record it as their owner.
Endpoints still judge what each caller may do.
"""

from __future__ import annotations

import hmac

from pydantic import SecretStr
from sqlalchemy import Connection

from ecolabel_registry.errors import Unauthorized
from ecolabel_registry.supply.auth import TOKEN_PREFIX, authenticate
from ecolabel_registry.webhooks import subscribers
from ecolabel_registry.webhooks.subscribers import OPERATOR_KEY

_STORED_PREFIXES = frozenset({TOKEN_PREFIX, subscribers.SUBSCRIBER_PREFIX})


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
    """Shaped like a credential the registry stores (`<prefix>_<16 hex>_<secret>`): worth a database read."""
    prefix, _, rest = presented.partition("_")
    token_id, _, secret = rest.partition("_")
    return prefix in _STORED_PREFIXES and len(token_id) == 16 and bool(secret)


def authenticate_caller(connection: Connection, presented: str | None, admin_token: SecretStr, now_us: int) -> str:
    """The key of the caller a credential proves; `Unauthorized` when it is missing, wrong or revoked."""
    if presented is not None and presented.startswith(subscribers.SUBSCRIBER_PREFIX + "_"):
        return subscribers.owner_key(subscribers.authenticate(connection, presented))
    principal = authenticate(connection, presented, admin_token, now_us)
    return OPERATOR_KEY if principal.is_operator else f"organisation:{principal.organisation_id}"


def caller_key(connection: Connection, presented: str, admin_token: SecretStr, now_us: int) -> str | None:
    """`authenticate_caller`, with None for a credential that proves nobody."""
    try:
        return authenticate_caller(connection, presented, admin_token, now_us)
    except Unauthorized:
        return None
