"""Typed views of the registry's write and read responses; each keeps the raw `body` for anything else.

Parsing is strict where the certifier relies on a member (ids, receipts, outcomes) and lenient elsewhere,
so that the registry can add members without breaking older certifier tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from verification.errors import MalformedInput
from verification.receipt import Receipt


class RegistryAnswerInvalid(Exception):
    """The registry's answer is malformed or does not prove what it claims: stop, and do not trust it."""


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem document, as a batch result carries one per rejected credential."""

    type: str
    title: str
    status: int
    detail: str
    code: str | None

    @property
    def slug(self) -> str:
        return self.type.rsplit(":", 1)[-1]

    def __str__(self) -> str:
        code = f" [{self.code}]" if self.code else ""
        return f"{self.slug}{code}: {self.detail}"

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Problem:
        code, status = body.get("code"), body.get("status")
        return cls(
            type=str(body.get("type", "about:blank")),
            title=str(body.get("title", "")),
            status=status if isinstance(status, int) else 0,
            detail=str(body.get("detail", "")),
            code=code if isinstance(code, str) else None,
        )


@dataclass(frozen=True)
class Written:
    """A logged document: the response body, its receipt, and the exact bytes the receipt covers."""

    body: dict[str, Any]
    receipt: Receipt
    document: bytes


@dataclass(frozen=True)
class Submitted:
    certificate_id: str
    created: bool
    receipt: Receipt
    certificate: dict[str, Any]


@dataclass(frozen=True)
class BatchItem:
    index: int
    outcome: Outcome
    certificate_id: str | None
    receipt: Receipt | None
    problem: Problem | None


@dataclass(frozen=True)
class BatchResult:
    items: tuple[BatchItem, ...]
    accepted: int
    duplicates: int
    rejected: int


@dataclass(frozen=True)
class HistoryEntry:
    sequence: int
    sha256: str
    body: dict[str, Any]


@dataclass(frozen=True)
class CertificateView:
    id: str
    programme_id: str
    credential: str
    history: tuple[HistoryEntry, ...]
    body: dict[str, Any]

    @property
    def chain(self) -> list[tuple[int, str]]:
        return [(entry.sequence, entry.sha256) for entry in self.history]


@dataclass(frozen=True)
class CertificatePage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def written(body: dict[str, Any], document: bytes) -> Written:
    return Written(body, _receipt(body.get("receipt")), document)


def submitted(body: dict[str, Any]) -> Submitted:
    certificate = _object(body.get("certificate"), "certificate")
    return Submitted(
        certificate_id=_string(certificate.get("id"), "certificate.id"),
        created=bool(body.get("created")),
        receipt=_receipt(body.get("receipt")),
        certificate=certificate,
    )


def batch_result(body: dict[str, Any], sent: int) -> BatchResult:
    results = body.get("results")
    if not isinstance(results, list) or len(results) != sent:
        raise RegistryAnswerInvalid(f"expected {sent} results in the batch response")
    items = tuple(_batch_item(_object(item, "result")) for item in results)
    if sorted(item.index for item in items) != list(range(sent)):
        raise RegistryAnswerInvalid("batch results do not cover each submitted index once")
    return BatchResult(
        items=tuple(sorted(items, key=lambda item: item.index)),
        accepted=sum(item.outcome is Outcome.ACCEPTED for item in items),
        duplicates=sum(item.outcome is Outcome.DUPLICATE for item in items),
        rejected=sum(item.outcome is Outcome.REJECTED for item in items),
    )


def certificate_view(body: dict[str, Any]) -> CertificateView:
    certificate = _object(body.get("certificate", body), "certificate")
    history = body.get("history", certificate.get("history", []))
    credential = body.get("credential", certificate.get("credential"))
    return CertificateView(
        id=_string(certificate.get("id"), "certificate.id"),
        programme_id=_string(certificate.get("programme_id"), "certificate.programme_id"),
        credential=_string(credential, "credential"),
        history=tuple(_history_entry(_object(entry, "history entry")) for entry in _list(history, "history")),
        body=body,
    )


def certificate_page(body: dict[str, Any]) -> CertificatePage:
    cursor = body.get("next_cursor")
    items = [_object(item, "item") for item in _list(body.get("items", []), "items")]
    return CertificatePage(items=items, next_cursor=cursor if isinstance(cursor, str) else None)


def _batch_item(item: dict[str, Any]) -> BatchItem:
    try:
        outcome = Outcome(str(item.get("outcome")))
    except ValueError as exc:
        raise RegistryAnswerInvalid(f"unknown batch outcome {item.get('outcome')!r}") from exc
    certificate_id = item.get("certificate_id")
    receipt = item.get("receipt")
    problem = item.get("problem")
    return BatchItem(
        index=_integer(item.get("index"), "index"),
        outcome=outcome,
        certificate_id=certificate_id if isinstance(certificate_id, str) else None,
        receipt=_receipt(receipt) if receipt is not None else None,
        problem=Problem.from_body(problem) if isinstance(problem, dict) else None,
    )


def _history_entry(entry: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        _integer(entry.get("sequence"), "history.sequence"), _string(entry.get("sha256"), "sha256"), entry
    )


def _receipt(value: object) -> Receipt:
    try:
        return Receipt.from_dict(_object(value, "receipt"))
    except MalformedInput as exc:
        raise RegistryAnswerInvalid(f"the registry sent a malformed receipt: {exc.detail}") from exc


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RegistryAnswerInvalid(f"the registry's response has no {what} object")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise RegistryAnswerInvalid(f"the registry's {what} is not a list")
    return value


def _string(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise RegistryAnswerInvalid(f"the registry's response has no string {what}")
    return value


def _integer(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RegistryAnswerInvalid(f"the registry's response has no integer {what}")
    return value
