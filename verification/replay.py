"""Re-verify logged documents in log order, learning programme keys from the log itself.

A programme's first keys arrive in its registration entry (root keys with their threshold, and signing
keys); key events signed by roots add, retire and revoke keys after that, applying once a threshold of
roots has signed them (the event, then `KeyEventApproval`s); the operator's `ProgrammeRecovery`,
signed by the registry's own key, replaces lost roots. Every signed document must verify under a key
the log has introduced, in the role its kind needs, valid at the document's own log time, exactly as
the registry judged it when it accepted the document. This lets a monitor re-check every signature,
and every key change's authority, with nothing but the log (and the registry's public key).
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel

from verification.documents import open_document
from verification.errors import HistoryInvalid, MalformedInput, UnknownKey
from verification.jwk import PublicKey, parse_public_jwk
from verification.jws import read_protected_header, verify_compact_with_header
from verification.keys import KeyRecord, KeyRing, require_key_valid_at
from verification.leaf import DocumentKind, LogEntry
from verification.payloads import (
    TYP,
    Agreement,
    AgreementEvent,
    AgreementEventApproval,
    AgreementSignature,
    CategoryDefinition,
    CertificateStatusEvent,
    EcoLabelCertificate,
    KeyEvent,
    KeyEventApproval,
    ProgrammeRecovery,
)
from verification.status_proof import StatusMapRoot
from verification.strictjson import loads_strict

_SIGNED: dict[DocumentKind, tuple[type[BaseModel], str]] = {
    DocumentKind.CERTIFICATE: (EcoLabelCertificate, TYP["certificate"]),
    DocumentKind.CERTIFICATE_EVENT: (CertificateStatusEvent, TYP["certificate_event"]),
    DocumentKind.CATEGORY: (CategoryDefinition, TYP["category"]),
    DocumentKind.AGREEMENT: (Agreement, TYP["agreement"]),
    DocumentKind.AGREEMENT_SIGNATURE: (AgreementSignature, TYP["agreement_signature"]),
    DocumentKind.AGREEMENT_EVENT: (AgreementEvent, TYP["agreement_event"]),
    DocumentKind.AGREEMENT_EVENT_APPROVAL: (AgreementEventApproval, TYP["agreement_event_approval"]),
}


@dataclass
class _Proposal:
    programme: str
    sequence: int
    token: str
    approved: set[str]


class DocumentReplay:
    """The key state of every programme, rebuilt leaf by leaf; `registry_key` checks the operator's recoveries."""

    def __init__(self, rings: dict[str, KeyRing] | None = None, *, registry_key: PublicKey | None = None) -> None:
        self._rings: dict[str, KeyRing] = rings or {}
        self._proposals: dict[str, _Proposal] = {}
        self.registry_key = registry_key

    @property
    def rings(self) -> dict[str, KeyRing]:
        return dict(self._rings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rings": [
                {
                    "programme_id": ring.programme_id,
                    "threshold": ring.threshold,
                    "sequence": ring.sequence,
                    "keys": [{**asdict(r), "public_key": base64.b64encode(r.public_key).decode()} for r in ring.keys],
                }
                for ring in self._rings.values()
            ],
            "proposals": {sha: {**asdict(p), "approved": sorted(p.approved)} for sha, p in self._proposals.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, registry_key: PublicKey | None = None) -> DocumentReplay:
        rings = {
            item["programme_id"]: KeyRing(
                item["programme_id"],
                tuple(KeyRecord(**{**k, "public_key": base64.b64decode(k["public_key"])}) for k in item["keys"]),
                int(item["threshold"]),
                int(item["sequence"]),
            )
            for item in data.get("rings", [])
        }
        replay = cls(rings, registry_key=registry_key)
        replay._proposals = {
            sha: _Proposal(p["programme"], int(p["sequence"]), p["token"], set(p["approved"]))
            for sha, p in data.get("proposals", {}).items()
        }
        return replay

    def check(self, entry: LogEntry) -> None:
        if entry.document is None:
            return  # a private document: only its hash commitment is public
        if entry.kind is DocumentKind.PROGRAMME:
            self._learn_programme(entry.document, entry.integrated_us)
        elif entry.kind is DocumentKind.KEY_EVENT:
            self._propose_key_event(entry.document.decode("ascii"), entry.integrated_us)
        elif entry.kind is DocumentKind.KEY_EVENT_APPROVAL:
            self._approve_key_event(entry.document.decode("ascii"), entry.integrated_us)
        elif entry.kind is DocumentKind.PROGRAMME_RECOVERY:
            self._recover(entry.document.decode("ascii"), entry.integrated_us)
        elif entry.kind is DocumentKind.STATUS_MAP:
            _check_status_map_root(entry.document, entry.leaf_index)
        elif entry.kind in _SIGNED:
            model, typ = _SIGNED[entry.kind]
            document = open_document(entry.document.decode("ascii"), model, typ, self._lookup)  # type: ignore[type-var]
            require_key_valid_at(document.key, entry.integrated_us)
        else:
            raise MalformedInput("UNEXPECTED_KIND", f"a public {entry.kind} document is not expected in this log")

    def key(self, programme: str, kid: str) -> KeyRecord | None:
        """The key's record as the log made it so far (for auditing what a registry said about it)."""
        return self._lookup(programme, kid)

    def key_sequence(self, programme: str) -> int | None:
        """How many key events (recoveries included) the programme has had so far; None if unregistered."""
        ring = self._rings.get(programme)
        return ring.sequence if ring is not None else None

    def _lookup(self, programme: str, kid: str) -> KeyRecord | None:
        ring = self._rings.get(programme)
        return ring.find(kid) if ring is not None else None

    def _learn_programme(self, document: bytes, logged_us: int) -> None:
        registration = loads_strict(document)
        if not isinstance(registration, dict) or not isinstance(registration.get("id"), str):
            raise MalformedInput("BAD_PROGRAMME", "a programme registration needs an id")
        programme = registration["id"]
        if programme in self._rings:
            raise MalformedInput("DUPLICATE_PROGRAMME", f"programme {programme!r} is registered twice")
        signing = [parse_public_jwk(jwk) for jwk in registration.get("keys", [])]
        roots = [parse_public_jwk(jwk) for jwk in registration.get("root_keys", [])]
        if not signing:
            raise MalformedInput("BAD_PROGRAMME", f"programme {programme!r} has no keys")
        threshold = registration.get("root_threshold", 1)
        if not isinstance(threshold, int):
            raise MalformedInput("BAD_PROGRAMME", f"programme {programme!r} has a root_threshold that is not a number")
        self._rings[programme] = KeyRing.registered(
            programme, roots=roots, signing=signing, threshold=threshold, logged_us=logged_us
        )

    def _propose_key_event(self, token: str, logged_us: int) -> None:
        document = open_document(token, KeyEvent, TYP["key_event"], self._lookup)
        require_key_valid_at(document.key, logged_us)
        programme = document.payload.programme_id
        change = self._rings[programme].propose(document.payload, logged_us)
        if change.approvals_needed({document.key.kid}) == 0:
            self._advance(change.approved_by({document.key.kid}))
        else:
            self._proposals[document.sha256] = _Proposal(
                programme, document.payload.sequence, token, {document.key.kid}
            )

    def _approve_key_event(self, token: str, logged_us: int) -> None:
        document = open_document(token, KeyEventApproval, TYP["key_event_approval"], self._lookup)
        require_key_valid_at(document.key, logged_us)
        proposal = self._proposals.get(document.payload.event)
        if proposal is None or proposal.programme != document.payload.programme_id:
            raise HistoryInvalid("UNKNOWN_PROPOSAL", f"no open key event {document.payload.event} of that programme")
        event = open_document(proposal.token, KeyEvent, TYP["key_event"], self._lookup).payload
        ring = self._rings[proposal.programme]
        if event.sequence <= ring.sequence:
            raise HistoryInvalid("PROPOSAL_STALE", f"key event {event.sequence} was taken by another event")
        if document.key.kid in proposal.approved:
            raise HistoryInvalid("ALREADY_APPROVED", f"root key {document.key.kid!r} approved it already")
        proposal.approved.add(document.key.kid)
        change = ring.propose(event, logged_us)
        if change.approvals_needed(proposal.approved) == 0:
            self._advance(change.approved_by(proposal.approved))

    def _recover(self, token: str, logged_us: int) -> None:
        if self.registry_key is None:
            raise UnknownKey("REGISTRY_KEY_UNKNOWN", "a programme recovery is checked with the registry's own key")
        header = read_protected_header(token)
        if header.get("kid") != self.registry_key.kid:
            raise UnknownKey("UNKNOWN_KID", "a programme recovery must be signed with the registry's key")
        verified = verify_compact_with_header(token, header, self.registry_key, expected_typ=TYP["programme_recovery"])
        recovery = ProgrammeRecovery.model_validate(loads_strict(verified.payload))
        ring = self._rings.get(recovery.programme)
        if ring is None:
            raise MalformedInput("UNKNOWN_PROGRAMME", f"the recovery names an unregistered {recovery.programme!r}")
        self._advance(ring.recover(recovery, logged_us))

    def _advance(self, ring: KeyRing) -> None:
        """Install a programme's new ring; its proposals for sequences now taken can never complete."""
        self._rings[ring.programme_id] = ring
        self._proposals = {
            sha: p
            for sha, p in self._proposals.items()
            if p.programme != ring.programme_id or p.sequence > ring.sequence
        }


def _check_status_map_root(data: bytes, leaf_index: int) -> None:
    """A status-map root must be canonical and cover exactly the leaves before it (VERIFIABLE-MAP §4.2).

    Whether its root is the map of those leaves is checked by recomputing the map (§4.3), which needs
    the whole map, not this per-leaf replay."""
    document = StatusMapRoot.from_json(loads_strict(data))
    if document.encode() != data:
        raise MalformedInput("NOT_CANONICAL", "a status-map root must be in RFC 8785 canonical form")
    if document.log_size != leaf_index:
        raise HistoryInvalid("MAP_SIZE_MISMATCH", f"the map root at leaf {leaf_index} covers {document.log_size}")
