"""Rate limits: a token bucket per client and one per issuing programme, answering 429 with Retry-After.

The buckets live in this process. That is enough for a pilot (one process, no extra service to run);
with N API processes each enforces its own buckets, so a client can reach N times the configured rate.
Operators who need one global limit put it in the reverse proxy, in front of every process.

Clients are keyed by a hash of their `Authorization` header when they send one (an operator or an
organisation token), else by the peer address. Behind a reverse proxy every peer is the proxy, so the
per-address limit then applies to all anonymous traffic together: size it for that, or limit in the proxy.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ecolabel_registry.api.problems import problem_response
from ecolabel_registry.errors import RateLimited

# Enough distinct clients for any real deployment; past it the least recently seen bucket is dropped.
# Dropping a bucket only forgets debt, so the worst case is one fresh burst for a client that rotates keys,
# which it could get anyway by rotating addresses. Without a bound, rotating keys would exhaust memory.
MAX_TRACKED_KEYS = 100_000
# Paths that must answer even when a client is over its limit: probes and scrapes are not client traffic.
EXEMPT_PATHS = frozenset({"/healthz", "/metrics"})


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Buckets of `burst` tokens refilled at `rate` per second, one per key; thread-safe.

    `take` either takes `cost` tokens and returns None, or takes nothing and returns how many seconds
    until the bucket will hold them. A cost above `burst` is charged as `burst`, so that a large batch
    is slowed down rather than made impossible.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive; switch the limit off instead of building it")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float | None:
        cost = min(cost, float(self.burst))
        with self._lock:
            now = self._clock()
            bucket = self._buckets.pop(key, None) or _Bucket(tokens=float(self.burst), updated=now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return None
            return (cost - bucket.tokens) / self.rate


def retry_after_seconds(wait: float) -> int:
    """Retry-After is whole seconds (RFC 9110 §10.2.3): round up, and never tell a client to retry at once."""
    return max(1, math.ceil(wait))


def client_key(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            # Hashed so that the bucket table never holds a usable credential.
            return "auth:" + hashlib.sha256(value).hexdigest()
    client = scope.get("client")
    return "peer:" + (str(client[0]) if client else "unknown")


class ClientRateLimit:
    """ASGI middleware: one token per request from each client, before any body is read."""

    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(client_key(scope))
        if wait is None:
            await self.app(scope, receive, send)
            return
        seconds = retry_after_seconds(wait)
        error = RateLimited(f"this client is over its request rate; retry in {seconds} s", retry_after=seconds)
        await problem_response(error, instance=scope["path"])(scope, receive, send)


class ProgrammeRateLimit:
    """Credentials per second per issuing programme, charged by the certificate endpoints."""

    def __init__(self, buckets: TokenBuckets | None) -> None:
        self.buckets = buckets

    def charge(self, programmes: Iterable[str | None]) -> None:
        """Charge one token per credential to its claimed issuer; raise `RateLimited` if any is over.

        The issuer is the one the credential *claims* (its signature is checked later): charging before
        verification is what protects the verifier's CPU from a flood in a programme's name. Credentials
        with no readable issuer are left to the client limit; they are refused as malformed anyway.
        """
        if self.buckets is None:
            return
        counts: dict[str, int] = {}
        for programme in programmes:
            if programme is not None:
                counts[programme] = counts.get(programme, 0) + 1
        for programme, count in sorted(counts.items()):
            wait = self.buckets.take("programme:" + programme, count)
            if wait is not None:
                seconds = retry_after_seconds(wait)
                raise RateLimited(
                    f"programme {programme} is over its submission rate; retry in {seconds} s",
                    code="PROGRAMME_RATE_LIMITED",
                    retry_after=seconds,
                    programme=programme,
                )


async def get_programme_limit(request: Request) -> ProgrammeRateLimit:  # memory only: no thread hop
    limit: ProgrammeRateLimit = request.app.state.programme_limit
    return limit


ProgrammeLimitDep = Annotated[ProgrammeRateLimit, Depends(get_programme_limit)]
