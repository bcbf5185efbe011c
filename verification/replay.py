"""Re-verify logged documents in log order, learning programme keys from the log itself.

A programme's first keys arrive in its registration entry; key events add, retire and revoke keys
after that. Every signed document must verify under a key the log has introduced and that was valid
at the document's own log time, exactly as the registry judged it when it accepted the document.
This lets a monitor re-check every signature with nothing but the log.
"""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel

from verification.client import LogEntry
from verification.documents import open_document
from verification.errors import HistoryInvalid, MalformedInput
from verification.jwk import parse_public_jwk
from verification.keys import KeyRecord, apply_key_event, require_key_valid_at
from verification.leaf import DocumentKind
from verification.payloads import (
    TYP,
    Agreement,
    AgreementEvent,
    AgreementSignature,
    CategoryDefinition,
    CertificateStatusEvent,
    EcoLabelCertificate,
    KeyEvent,
)
from verification.strictjson import loads_strict

_SIGNED: dict[DocumentKind, tuple[type[BaseModel], str]] = {
    DocumentKind.CERTIFICATE: (EcoLabelCertificate, TYP["certificate"]),
    DocumentKind.CERTIFICATE_EVENT: (CertificateStatusEvent, TYP["certificate_event"]),
    DocumentKind.CATEGORY: (CategoryDefinition, TYP["category"]),
    DocumentKind.AGREEMENT: (Agreement, TYP["agreement"]),
    DocumentKind.AGREEMENT_SIGNATURE: (AgreementSignature, TYP["agreement_signature"]),
    DocumentKind.AGREEMENT_EVENT: (AgreementEvent, TYP["agreement_event"]),
}


class DocumentReplay:
    def __init__(self, keys: dict[tuple[str, str], KeyRecord] | None = None) -> None:
        self._keys: dict[tuple[str, str], KeyRecord] = keys or {}
        self._key_events: dict[str, int] = {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": [{**asdict(r), "public_key": base64.b64encode(r.public_key).decode()} for r in self._keys.values()],
            "key_events": self._key_events,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentReplay:
        records = [KeyRecord(**{**item, "public_key": base64.b64decode(item["public_key"])}) for item in data["keys"]]
        replay = cls({(r.programme_id, r.kid): r for r in records})
        replay._key_events = {str(k): int(v) for k, v in data.get("key_events", {}).items()}
        return replay

    def check(self, entry: LogEntry) -> None:
        if entry.document is None:
            return  # a private document: only its hash commitment is public
        if entry.kind is DocumentKind.PROGRAMME:
            self._learn_programme(entry.document, entry.integrated_us)
        elif entry.kind is DocumentKind.KEY_EVENT:
            self._apply_key_event(entry.document.decode("ascii"), entry.integrated_us)
        elif entry.kind in _SIGNED:
            model, typ = _SIGNED[entry.kind]
            document = open_document(entry.document.decode("ascii"), model, typ, self._lookup)  # type: ignore[type-var]
            require_key_valid_at(document.key, entry.integrated_us)
        else:
            raise MalformedInput("UNEXPECTED_KIND", f"a public {entry.kind} document is not expected in this log")

    def _lookup(self, programme: str, kid: str) -> KeyRecord | None:
        return self._keys.get((programme, kid))

    def _learn_programme(self, document: bytes, logged_us: int) -> None:
        registration = loads_strict(document)
        if not isinstance(registration, dict) or not isinstance(registration.get("id"), str):
            raise MalformedInput("BAD_PROGRAMME", "a programme registration needs an id")
        programme = registration["id"]
        if any(known == programme for known, _ in self._keys):
            raise MalformedInput("DUPLICATE_PROGRAMME", f"programme {programme!r} is registered twice")
        keys = [parse_public_jwk(jwk) for jwk in registration.get("keys", [])]
        if not keys:
            raise MalformedInput("BAD_PROGRAMME", f"programme {programme!r} has no keys")
        for key in keys:
            self._keys[(programme, key.kid)] = KeyRecord(programme, key.kid, key.raw, added_us=logged_us)

    def _apply_key_event(self, token: str, logged_us: int) -> None:
        document = open_document(token, KeyEvent, TYP["key_event"], self._lookup)
        require_key_valid_at(document.key, logged_us)
        programme = document.payload.programme_id
        expected = self._key_events.get(programme, 0) + 1
        if document.payload.sequence != expected:
            raise HistoryInvalid(
                "SEQUENCE_GAP", f"key event {document.payload.sequence} of {programme}; expected {expected}"
            )
        current = [record for (p, _), record in self._keys.items() if p == programme]
        changed = apply_key_event(document.payload, current, logged_us)
        self._keys[(programme, changed.kid)] = changed
        self._key_events[programme] = expected
