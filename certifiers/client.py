"""A typed client for the registry's write endpoints, as a programme (certifier) uses them.

    with CertifierClient("https://registry.example") as registry:
        submitted = registry.submit(token)

Problem documents become `SubmissionRefused` (a `RegistryProblem` with the problem's `code`). Connection
failures, 503 and 429 are retried with exponential backoff, honouring Retry-After; a 4xx never is, because
it will not change. Read failures after a request was sent are retried only for idempotent calls (reads,
and certificate submissions, which the registry answers with "duplicate" when repeated).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from certifiers.responses import (
    BatchResult,
    CertificatePage,
    CertificateView,
    RegistryAnswerInvalid,
    Submitted,
    Written,
    batch_result,
    certificate_page,
    certificate_view,
    submitted,
    written,
)
from verification.checkpoint import parse_checkpoint_text
from verification.client import RegistryIdentity, RegistryProblem, saw_tree_size
from verification.errors import VerificationError
from verification.note import NoteVerifier, split_note

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
RETRY_STATUSES = frozenset({429, 503})
MAX_BATCH = 1000  # the registry's limit per batch request
# Raised before the request reached the server: always safe to try again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class SubmissionRefused(RegistryProblem):
    """The registry answered with an RFC 9457 problem: `slug`, `status`, `detail` and, if given, `code`."""

    @property
    def code(self) -> str | None:
        code = self.body.get("code")
        return code if isinstance(code, str) else None

    def __str__(self) -> str:
        code = f" [{self.code}]" if self.code else ""
        # validation-failed lists what was wrong; without it the detail only says "does not match".
        errors = self.body.get("errors")
        listed = ""
        if isinstance(errors, list):
            listed = "".join(
                f"; {'.'.join(map(str, e.get('loc', [])))}: {e.get('msg')}" for e in errors[:10] if isinstance(e, dict)
            )
        return f"{self.status} {self.slug}{code}: {self.detail}{listed}"


class RegistryUnavailable(Exception):
    """The registry could not be reached, or stayed busy (503/429), through every retry."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def backoff(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): spreads out clients that failed at the same moment.
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))  # noqa: S311


class CertifierClient:
    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        transport: httpx.BaseTransport | None = None,
        admin_token: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)
        self._admin_token = admin_token
        self._retry = retry or RetryPolicy()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- registry identity -------------------------------------------------------------------------

    def identity(self) -> RegistryIdentity:
        body = self._get("/.well-known/ecolabel-registry")
        return RegistryIdentity(body["log_origin"], body["checkpoint_verifier_key"], body["jwks"])

    def checkpoint_verifier(self) -> NoteVerifier:
        return NoteVerifier.from_string(self.identity().checkpoint_verifier_key)

    # --- programmes (operator) and their signed documents ------------------------------------------

    def register_programme(self, registration: dict[str, Any]) -> Written:
        """Operator only: needs the admin token. The receipt covers the exact body, kept in `Written.document`."""
        if self._admin_token is None:
            raise ValueError("registering a programme needs the registry's admin token")
        headers = {"Authorization": f"Bearer {self._admin_token}"}
        document, body = self._post("/v1/programmes", registration, idempotent=False, headers=headers)
        return written(body, document)

    def define_category(self, programme_id: str, token: str) -> Written:
        _, body = self._post(
            f"/v1/programmes/{_segment(programme_id)}/categories", {"category": token}, idempotent=False
        )
        return written(body, token.encode("ascii"))

    def submit_key_event(self, programme_id: str, token: str) -> Written:
        _, body = self._post(f"/v1/programmes/{_segment(programme_id)}/key-events", {"event": token}, idempotent=False)
        return written(body, token.encode("ascii"))

    def approve_key_event(self, programme_id: str, event_sha256: str, token: str) -> Written:
        path = f"/v1/programmes/{_segment(programme_id)}/key-events/{_segment(event_sha256)}/approvals"
        _, body = self._post(path, {"approval": token}, idempotent=False)
        return written(body, token.encode("ascii"))

    def pending_key_events(self, programme_id: str) -> dict[str, Any]:
        return self._get(f"/v1/programmes/{_segment(programme_id)}/key-events/pending")

    def get_programme(self, programme_id: str) -> dict[str, Any]:
        return self._get(f"/v1/programmes/{_segment(programme_id)}")

    def programme_keys(self, programme_id: str) -> dict[str, Any]:
        return self._get(f"/v1/programmes/{_segment(programme_id)}/keys")

    def free_status_slots(self, programme_id: str, count: int, after: int | None = None) -> list[dict[str, Any]]:
        """Status-list slots no certificate of the programme holds (not reserved), with their credentialStatus."""
        body = self._get(f"/v1/programmes/{_segment(programme_id)}/status-lists/free", count=count, after=after)
        slots: list[dict[str, Any]] = body["slots"]
        return slots

    # --- certificates ------------------------------------------------------------------------------

    def submit(self, credential: str) -> Submitted:
        _, body = self._post("/v1/certificates", {"credential": credential}, idempotent=True)
        return submitted(body)

    def submit_batch(self, credentials: Iterable[str]) -> BatchResult:
        tokens = list(credentials)
        if not 1 <= len(tokens) <= MAX_BATCH:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH} credentials, not {len(tokens)}")
        _, body = self._post("/v1/certificates/batch", {"credentials": tokens}, idempotent=True)
        return batch_result(body, len(tokens))

    def submit_event(self, certificate_id: str, token: str) -> Written:
        _, body = self._post(f"/v1/certificates/{_segment(certificate_id)}/events", {"event": token}, idempotent=False)
        return written(body, token.encode("ascii"))

    def get_certificate(self, certificate_id: str, *, as_of: datetime | None = None) -> CertificateView:
        return certificate_view(self._get(f"/v1/certificates/{_segment(certificate_id)}", as_of=_instant(as_of)))

    def find_certificates(
        self,
        *,
        programme: str | None = None,
        licence_no: str | None = None,
        gtin: str | None = None,
        holder: str | None = None,
        category: str | None = None,
        status: str | None = None,
        as_of: datetime | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> CertificatePage:
        body = self._get(
            "/v1/certificates",
            programme=programme,
            licence_no=licence_no,
            gtin=gtin,
            holder=holder,
            category=category,
            status=status,
            as_of=_instant(as_of),
            cursor=cursor,
            limit=limit,
        )
        return certificate_page(body)

    # --- transport ---------------------------------------------------------------------------------

    def _get(self, path: str, **params: object) -> dict[str, Any]:
        query = {name: str(value) for name, value in params.items() if value is not None}
        return _json_or_problem(self._send("GET", path, params=query, idempotent=True))

    def _post(
        self, path: str, payload: dict[str, Any], *, idempotent: bool, headers: dict[str, str] | None = None
    ) -> tuple[bytes, dict[str, Any]]:
        # Serialized here, not by httpx, so that the exact bytes sent are known (a registration's receipt covers them).
        content = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        response = self._send("POST", path, content=content, headers=all_headers, idempotent=idempotent)
        body = _json_or_problem(response)
        self._saw_receipts(body)
        return content, body

    def _saw_receipts(self, body: dict[str, Any]) -> None:
        """After a write, every later request carries X-Min-Tree-Size: the size of the newest receipt's
        checkpoint. A registry with read replicas then answers from one that holds the write, or from
        its primary, so this client always reads what it wrote."""
        items = body.get("items")
        receipts = (
            [body.get("receipt"), *(i.get("receipt") for i in items if isinstance(i, dict))]
            if isinstance(items, list)
            else [body.get("receipt")]
        )
        for receipt in receipts:
            note = receipt.get("checkpoint") if isinstance(receipt, dict) else None
            if isinstance(note, str):
                try:
                    saw_tree_size(self._http, parse_checkpoint_text(split_note(note)[0]).tree_size)
                except VerificationError:
                    continue  # a malformed receipt is reported where the receipt itself is parsed

    def _send(self, method: str, path: str, *, idempotent: bool, **request: Any) -> httpx.Response:
        policy = self._retry
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= policy.attempts
            try:
                response = self._http.request(method, path, **request)
            except httpx.TransportError as exc:
                if last or not (isinstance(exc, _NOT_SENT) or idempotent):
                    raise RegistryUnavailable(f"{method} {self.base_url}{path}: {exc!r}") from exc
                policy.sleep(policy.backoff(attempt))
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            if last:
                raise RegistryUnavailable(
                    f"{method} {self.base_url}{path}: still {response.status_code} after {attempt} attempts"
                )
            delay = retry_after_seconds(response.headers.get("Retry-After"))
            policy.sleep(min(policy.max_delay, delay if delay is not None else policy.backoff(attempt)))


def retry_after_seconds(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After (RFC 9110 §10.2.3) as seconds: delay-seconds, or an HTTP-date; None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT; obsolete forms may parse without a zone
        return None
    return max(0.0, when.timestamp() - now())


def _segment(value: str) -> str:
    # Ids come from command lines and files: "../" or "?" must not reach another endpoint.
    return quote(value, safe="")


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("as_of must be a timezone-aware datetime")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_or_problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success:
        if not isinstance(body, dict):
            raise RegistryAnswerInvalid(f"the registry answered {response.status_code} without a JSON object")
        return body
    if isinstance(body, dict) and isinstance(body.get("type"), str):
        raise SubmissionRefused(response.status_code, body["type"], str(body.get("detail", "")), body)
    raise SubmissionRefused(response.status_code, "about:blank", response.text[:200], {})
