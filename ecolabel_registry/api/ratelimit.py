"""Rate limits: a token bucket per client and one per issuing programme, answering 429 with Retry-After.

The buckets live in this process. That is enough for a pilot (one process, no extra service to run);
with N API processes each enforces its own buckets, so a client can reach N times the configured rate.
Operators who need one global limit put it in the reverse proxy, in front of every process.

A client is who it proved to be: the operator (admin token), an organisation (one of its tokens) or
a subscriber (its credential), else its peer address. An `Authorization` header that proves nobody
counts against the address, so a made-up credential per request buys no fresh bucket. Stored tokens
are checked against the database once and then remembered for a few minutes (`KnownCallers`); until
a token is known, its requests are charged to the address, which so also pays for the check. Behind
a reverse proxy every peer is the proxy, so the per-address limit then applies to all anonymous
traffic together: size it for that, or limit in the proxy.

A programme is charged only for credentials that verified under its key and that the registry does
not hold yet: nobody else can produce those, so forged or replayed credentials naming a programme
cannot spend its budget (they are paid for by the sender's client bucket instead).
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

from anyio import to_thread
from fastapi import Depends, Request
from starlette.responses import Response
from starlette.types import Scope

from ecolabel_registry.errors import RateLimited
from ecolabel_registry.identity import bearer_token, may_be_stored_token
from ecolabel_registry.problems import problem_response
from ecolabel_registry.webhooks.subscribers import OPERATOR_KEY

# Enough distinct clients for any real deployment; past it the least recently seen bucket is dropped.
# Dropping a bucket only forgets debt, so the worst case is one fresh burst for a client that rotates keys,
# which it could get anyway by rotating addresses. Without a bound, rotating keys would exhaust memory.
MAX_TRACKED_KEYS = 100_000
# Paths that must answer even when a client is over its limit: probes and scrapes are not client traffic.
EXEMPT_PATHS = frozenset({"/healthz", "/metrics"})
# How long a checked token keeps naming its caller's bucket without being checked again. Only the
# bucket depends on it: every endpoint still authenticates the token itself, so a token revoked in
# this time is refused at once, and merely keeps its own (limited) bucket a little longer.
KNOWN_CALLER_TTL_S = 300.0


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
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
                while len(self._buckets) > self._max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)  # most recently used last
                bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
                bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return None
            return (cost - bucket.tokens) / self.rate


def retry_after_seconds(wait: float) -> int:
    """Retry-After is whole seconds (RFC 9110 §10.2.3): round up, and never tell a client to retry at once."""
    return max(1, math.ceil(wait))


def peer_key(scope: Scope) -> str:
    client = scope.get("client")
    return "peer:" + (str(client[0]) if client else "unknown")


class KnownCallers:
    """Bearer credentials recently proven, by SHA-256 (never the credential), with their caller's key.

    `is_operator` compares with the admin token in memory. `identify` names the caller of a stored
    token, or None; it reads the database, so it runs on a worker thread and only for credentials
    shaped like a stored token.
    """

    def __init__(
        self,
        is_operator: Callable[[str], bool],
        identify: Callable[[str], str | None],
        *,
        ttl_s: float = KNOWN_CALLER_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        self._is_operator = is_operator
        self._identify = identify
        self._ttl_s = ttl_s
        self._clock = clock
        self._max_keys = max_keys
        self._known: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def known(self, presented: str) -> str | None:
        """The caller's key if the credential is the admin token or was proven lately; else None."""
        if self._is_operator(presented):
            return OPERATOR_KEY
        digest = hashlib.sha256(presented.encode()).digest()
        with self._lock:
            found = self._known.get(digest)
            if found is None:
                return None
            key, proven_at = found
            if self._clock() - proven_at > self._ttl_s:
                del self._known[digest]
                return None
            return key

    async def learn(self, presented: str) -> None:
        """Check a stored token's credential and remember whom it names (nothing, if nobody)."""
        if not may_be_stored_token(presented):
            return
        key = await to_thread.run_sync(self._identify, presented)
        if key is None:
            return
        with self._lock:
            self._known[hashlib.sha256(presented.encode()).digest()] = (key, self._clock())
            while len(self._known) > self._max_keys:
                self._known.popitem(last=False)


class ClientRateLimit:
    """One token per request from each client, before any body is read (checked by `api.gate.RequestGate`)."""

    def __init__(self, *, buckets: TokenBuckets, callers: KnownCallers) -> None:
        self.buckets = buckets
        self.callers = callers

    async def refusal(self, scope: Scope, authorization: bytes | None) -> Response | None:
        """The 429 for a client over its rate, else None (the token taken); `authorization`: the request's
        first `Authorization` header. Probes and scrapes (`EXEMPT_PATHS`) are never refused."""
        if scope["path"] in EXEMPT_PATHS:
            return None
        presented = bearer_token(authorization) if authorization is not None else None
        caller = self.callers.known(presented) if presented is not None else None
        wait = self.buckets.take(caller or peer_key(scope))
        if wait is None and caller is None and presented is not None:
            # Charged to the address above, which so also pays for this one check of the credential.
            await self.callers.learn(presented)
        if wait is None:
            return None
        seconds = retry_after_seconds(wait)
        error = RateLimited(f"this client is over its request rate; retry in {seconds} s", retry_after=seconds)
        return problem_response(error, instance=scope["path"])


class ProgrammeRateLimit:
    """Credentials per second per issuing programme, charged by the certificate endpoints."""

    def __init__(self, buckets: TokenBuckets | None) -> None:
        self.buckets = buckets

    def charge(self, programmes: Iterable[str]) -> None:
        """Charge one token per credential to its programme; raise `RateLimited` if any is over.

        Pass only credentials whose signature verified under the programme's key and that are new to
        the registry: a forged credential names a programme it cannot sign for, and a replayed one
        (every logged credential is public) logs nothing, so neither may spend the programme's budget.
        Checking signatures before charging is paid for by the sender's own client bucket.
        """
        if self.buckets is None:
            return
        counts: dict[str, int] = {}
        for programme in programmes:
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
