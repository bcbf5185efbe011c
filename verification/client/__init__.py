"""A typed HTTP client for the registry's public, read-only endpoints (httpx, injectable transport).

    with RegistryClient("http://127.0.0.1:8000") as registry:
        checkpoint = registry.checkpoint()

Problem documents come back as `RegistryProblem`, carrying the stable problem `type` and `code`.

Reads stay monotonic across a registry's read replicas: the client remembers the largest tree size it
has been shown (a checkpoint, a proof's tree size, a receipt handed to `saw_tree_size`) and sends it as
`X-Min-Tree-Size` with every later request, so the registry answers from a database at least that far
along (a replica that has caught up, else its primary), never from a smaller log.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

from verification.errors import MalformedInput
from verification.leaf import DocumentKind, LogEntry, parse_log_time

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
MIN_TREE_SIZE_HEADER = "X-Min-Tree-Size"


def saw_tree_size(http: httpx.Client, size: int) -> None:
    """Raise the `X-Min-Tree-Size` this client sends to `size` (it never goes down)."""
    if size > int(http.headers.get(MIN_TREE_SIZE_HEADER, "0")):
        http.headers[MIN_TREE_SIZE_HEADER] = str(size)


class RegistryProblem(Exception):
    """The registry answered with an RFC 9457 problem document (or an unexpected non-JSON error)."""

    def __init__(self, status: int, problem_type: str, detail: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem_type}: {detail}")
        self.status = status
        self.problem_type = problem_type
        self.detail = detail
        self.body = body

    @property
    def slug(self) -> str:
        return self.problem_type.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class RegistryIdentity:
    log_origin: str
    checkpoint_verifier_key: str
    jwks: dict[str, Any]


class RegistryClient:
    def __init__(
        self, base_url: str, *, transport: httpx.BaseTransport | None = None, timeout: httpx.Timeout = DEFAULT_TIMEOUT
    ) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), transport=transport, timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def saw_tree_size(self, size: int) -> None:
        """This client has seen the log at `size` (e.g. in a receipt): later answers come from a log that large."""
        saw_tree_size(self._http, size)

    def get_json(self, path: str, **params: Any) -> dict[str, Any]:
        response = self._http.get(path, params={k: v for k, v in params.items() if v is not None})
        return _json_or_problem(response)

    def identity(self) -> RegistryIdentity:
        body = self.get_json("/.well-known/ecolabel-registry")
        return RegistryIdentity(body["log_origin"], body["checkpoint_verifier_key"], body["jwks"])

    def checkpoint(self) -> str:
        """The newest checkpoint (the head), with the cosignatures collected for it so far."""
        body = self.get_json("/v1/log/checkpoint")
        self.saw_tree_size(int(body["tree_size"]))
        note: str = body["checkpoint"]
        return note

    def witnessed_checkpoint(self) -> str:
        """The checkpoint the registry publishes at /log/checkpoint: the newest its witnesses cosigned."""
        response = self._http.get("/log/checkpoint")
        if not response.is_success:
            _json_or_problem(response)
        return response.text

    def tlog_proof(self, leaf_index: int) -> str:
        """A C2SP tlog-proof of one leaf against the published (witnessed) checkpoint."""
        self.saw_tree_size(leaf_index + 1)  # the caller holds a receipt for this leaf
        response = self._http.get("/v1/log/proofs/tlog-proof", params={"leaf_index": leaf_index})
        if not response.is_success:
            _json_or_problem(response)
        return response.text

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        self.saw_tree_size(max(first, second))
        body = self.get_json("/v1/log/proofs/consistency", first=first, second=second)
        return [base64.b64decode(node, validate=True) for node in body["proof"]]

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
        self.saw_tree_size(tree_size)
        body = self.get_json("/v1/log/proofs/inclusion", leaf_index=leaf_index, tree_size=tree_size)
        return base64.b64decode(body["leaf_hash"], validate=True), [
            base64.b64decode(node, validate=True) for node in body["proof"]
        ]

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return _json_or_problem(self._http.post(path, json=body))

    def verify_certificate(self, certificate_id: str, as_of: str | None = None) -> dict[str, Any]:
        """The registry's check of one certificate, with its signed decision (see verification.decision)."""
        return self.get_json(f"/v1/verify/certificates/{certificate_id}", as_of=as_of)

    def eligibility(
        self, requirement: dict[str, Any], items: list[dict[str, Any]], date: str | None = None
    ) -> dict[str, Any]:
        """Check up to 10,000 catalogue items; keep the whole answer as evidence (`verify_saved_eligibility`)."""
        body: dict[str, Any] = {"requirement": requirement, "items": items}
        if date is not None:
            body["date"] = date
        return self.post_json("/v1/verify/eligibility", body)

    def eligibility_bytes(self, body: bytes) -> bytes:
        """POST /v1/verify/eligibility with a request already encoded; the answer's bytes as received, to be
        checked and archived as they are (`verification.decision.verify_saved_eligibility_bytes`)."""
        response = self._http.post("/v1/verify/eligibility", content=body, headers={"Content-Type": "application/json"})
        if not response.is_success:
            _json_or_problem(response)
        return response.content

    def entries(self, start: int, end: int, *, page_size: int = 1000) -> Iterator[LogEntry]:
        """Entries [start, end) in order, fetched page by page; the caller checks for gaps."""
        position = start
        while position < end:
            body = self.get_json("/v1/log/entries", start=position, limit=min(page_size, end - position))
            page = body["entries"]
            if not page:
                return
            for item in page:
                yield _entry(item)
            position = page[-1]["leaf_index"] + 1


def _entry(item: dict[str, Any]) -> LogEntry:
    try:
        document = item["document"]
        return LogEntry(
            leaf_index=int(item["leaf_index"]),
            kind=DocumentKind(item["kind"]),
            integrated_us=parse_log_time(item["integrated_at"]),
            leaf_hash=base64.b64decode(item["leaf_hash"], validate=True),
            document_sha256=bytes.fromhex(item["document_sha256"]),
            document=document.encode("utf-8") if isinstance(document, str) else None,
        )
    except (KeyError, ValueError) as exc:
        raise MalformedInput("BAD_ENTRY", f"log entry is malformed: {exc}") from exc


def _json_or_problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and isinstance(body, dict):
        return body
    if isinstance(body, dict) and "type" in body:
        raise RegistryProblem(response.status_code, str(body["type"]), str(body.get("detail", "")), body)
    raise RegistryProblem(response.status_code, "about:blank", response.text[:200], {})
