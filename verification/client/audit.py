"""Audit a registry-signed decision against the log it names: confirm or refute each of its answers.

A decision says what the registry judged and where: the checkpoint (tree size, root hash) and, per
certificate, the credential's leaf and the heads of its status chain and of its programme's key events
(`verification.evidence`). An auditor holding it asks the registry for the log up to that checkpoint:

1. the decision's signature and its checkpoint's, with the registry's key (`verification.decision`);
2. the registry's current checkpoint, and a consistency proof that it extends the decision's
   (RFC 9162 §2.1.4): the log was not rewritten since;
3. every entry up to the decision's tree size, each document re-verified with the keys the log itself
   established (`verification.replay`), and their leaves must give the checkpoint's root: the entries
   are exactly the ones the decision was signed over;
4. each certificate's standing on the decision's date, judged from those entries alone with the one
   rule every answer uses (`verification.standing.judge`), against what the decision says: the status,
   the standing's reasons, valid or not, and the heads it claims to have relied on, whole (the
   credential's leaf; the status chain's sequence, event hash and leaf; the key events' sequence and
   the leaf of the last one);
5. for each certificate of an eligibility answer, whether its label was accepted, with the functions
   the registry's check calls (`verification.audit_acceptance`): directly, by a label of the decision's
   requirement (its procurement code crosswalked by the logged category definitions), or through
   agreements in force on the date, replayed with their signatures and events from the log; a claimed
   path must be the log's, and so must the leaf and event-chain head of each agreement it relied on.

A decision signed from tampered tables (a withdrawal row deleted, a revoked key's compromise cleared,
an agreement's termination deleted, a certificate's category changed) names a standing, an acceptance
or a head the log does not give, and is refuted. What the audit does not re-judge is which
certificates a catalogue line matched: a result does not carry the line's identifiers (the decision
commits to the results, not to the request). Nor can it refute a refusal that only a path of two or
more hops would have overturned: the registry's maximum depth is not in the decision, so a claimed
refusal is checked against single-hop paths (docs/SECURITY.md, "Checking a decision you hold").

    report = audit(RegistryClient(url), saved_decision, registry_key)
    for verdict in report.refuted: print(verdict.detail)
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from verification.audit_acceptance import LabelLog, Tender, judge_acceptance
from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.client.monitor import LogSource, recompute_leaf
from verification.compact import CompactRange
from verification.decision import (
    CertificateVerification,
    EligibilityDecision,
    verify_decision,
    verify_saved_eligibility,
)
from verification.did import split_did_url
from verification.documents import logged_payload
from verification.errors import MalformedInput, ProofInvalid, VerificationError
from verification.evidence import CertificateEvidence
from verification.jwk import PublicKey
from verification.jws import read_protected_header
from verification.leaf import DocumentKind, LogEntry
from verification.merkle import verify_consistency
from verification.note import NoteVerifier
from verification.payloads.certificate import EcoLabelCertificate
from verification.payloads.events import CertificateStatusEvent, KeyEventApproval
from verification.replay import DocumentReplay
from verification.standing import DOCUMENT_REASONS, STATUS_REASONS, Presented, Standing, judge, read_credential
from verification.status import Change

# The reasons a standing can give; a decision's other reasons are about matching and labels.
_KEY_REASONS = frozenset({"SIGNING_KEY_REVOKED", "SIGNING_KEY_RETIRED", "KEY_NOT_YET_VALID"})
_STANDING_REASONS = frozenset(STATUS_REASONS.values()) | _KEY_REASONS | DOCUMENT_REASONS
_KEY_KINDS = frozenset(
    {DocumentKind.PROGRAMME, DocumentKind.KEY_EVENT, DocumentKind.KEY_EVENT_APPROVAL, DocumentKind.PROGRAMME_RECOVERY}
)


@dataclass(frozen=True)
class Verdict:
    """One answer of the decision: confirmed by the log, or refuted with the reason."""

    item: int | None  # the eligibility item's index; None for a single-certificate decision
    certificate_id: str | None
    confirmed: bool
    detail: str


@dataclass(frozen=True)
class AuditReport:
    kind: str  # "CertificateVerification" or "EligibilityDecision"
    tree_size: int
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def refuted(self) -> list[Verdict]:
        return [verdict for verdict in self.verdicts if not verdict.confirmed]


@dataclass
class _Certificate:
    leaf_index: int
    integrated_us: int
    document: bytes
    programme: str
    kid: str


@dataclass(frozen=True)
class _Event:
    sequence: int
    sha256: str
    leaf_index: int
    change: Change


class LogState:
    """The certificates, status chains and keys the log establishes up to a tree size, re-verified."""

    def __init__(self, registry_key: PublicKey) -> None:
        self.replay = DocumentReplay(registry_key=registry_key)
        self.certificates: dict[str, _Certificate] = {}
        self.chains: dict[str, list[_Event]] = defaultdict(list)
        self.labels = LabelLog()  # categories and agreements, for acceptance
        self.key_heads: dict[str, tuple[int, int]] = {}  # programme -> (key events so far, the last one's leaf)
        self._key_proposals: dict[str, int] = {}  # a key event's hash -> its leaf, until approvals apply it

    def add(self, entry: LogEntry) -> None:
        keyed = entry.kind in _KEY_KINDS
        before = {programme: ring.sequence for programme, ring in self.replay.rings.items()} if keyed else {}
        self.replay.check(entry)  # raises on a document that does not verify with the keys of its time
        if entry.document is None:
            return
        self.labels.add(entry)
        if keyed:
            self._key_head(entry, entry.document, before)
        elif entry.kind is DocumentKind.CERTIFICATE:
            credential_id = hashlib.sha256(entry.document).hexdigest()
            header_kid, programme = _kid_and_programme(entry.document)
            self.certificates[credential_id] = _Certificate(
                entry.leaf_index, entry.integrated_us, entry.document, programme, header_kid
            )
        elif entry.kind is DocumentKind.CERTIFICATE_EVENT:
            event = logged_payload(entry.document, CertificateStatusEvent)
            chain = self.chains[event.certificate]
            previous = chain[-1].sha256 if chain else event.certificate
            if event.sequence != len(chain) + 1 or event.previous != previous:
                raise ProofInvalid(
                    "CHAIN_BROKEN", f"leaf {entry.leaf_index}: the status event does not extend its chain"
                )
            chain.append(
                _Event(
                    event.sequence,
                    hashlib.sha256(entry.document).hexdigest(),
                    entry.leaf_index,
                    Change.of(event, entry.integrated_us),
                )
            )

    def _key_head(self, entry: LogEntry, document: bytes, before: Mapping[str, int]) -> None:
        """A key event's head is its own leaf, even when approvals logged later applied it (as the registry
        names it); a registration's or a recovery's, theirs."""
        if entry.kind is DocumentKind.KEY_EVENT:
            self._key_proposals[hashlib.sha256(document).hexdigest()] = entry.leaf_index
        for programme, ring in self.replay.rings.items():
            if before.get(programme) == ring.sequence:
                continue
            leaf = entry.leaf_index
            if entry.kind is DocumentKind.KEY_EVENT_APPROVAL:
                leaf = self._key_proposals[logged_payload(document, KeyEventApproval).event]
            self.key_heads[programme] = (ring.sequence, leaf)

    def credential(self, certificate_id: str) -> EcoLabelCertificate:
        """The payload of a logged credential (its signature was checked when it was replayed)."""
        return logged_payload(self.certificates[certificate_id].document, EcoLabelCertificate)

    def standing(self, certificate_id: str, at: datetime) -> Standing | None:
        found = self.certificates.get(certificate_id)
        if found is None:
            return None
        key = self.replay.key(found.programme, found.kid)
        credential, _ = read_credential(certificate_id, found.document, key)
        if credential is None:  # cannot happen for a document the replay verified; judged as such anyway
            return None
        presented = Presented(
            certificate_id,
            found.document,
            credential,
            key,
            found.integrated_us,
            tuple(event.change for event in self.chains.get(certificate_id, ())),
        )
        return judge(presented, at=at)


def audit(client: LogSource, saved: Mapping[str, Any] | str, registry_key: PublicKey) -> AuditReport:
    """Audit a saved decision: an eligibility answer (`decision` and `results`), a single check's answer
    (`signed_decision`), or the bare JWS of a single check. Raises VerificationError when the decision or
    the log is not genuine; returns the verdicts otherwise."""
    return audit_all(client, [saved], registry_key)[0]


def audit_all(
    client: LogSource, saved: Sequence[Mapping[str, Any] | str], registry_key: PublicKey
) -> list[AuditReport]:
    """`audit` for many decisions with one pass over the log: they are judged in checkpoint order."""
    opened = [_open(one, registry_key) for one in saved]
    checkpoints = [_decision_checkpoint(payload, registry_key) for payload, _ in opened]
    replayer = Replayer(client, registry_key)
    reports: dict[int, AuditReport] = {}
    for position in sorted(range(len(opened)), key=lambda n: checkpoints[n].tree_size):
        (payload, results), checkpoint = opened[position], checkpoints[position]
        state = replayer.advance_to(checkpoint)
        if isinstance(payload, CertificateVerification):
            reports[position] = AuditReport(payload.type, checkpoint.tree_size, [_single(payload, state)])
        else:
            verdicts = [_item(index, result, payload, state) for index, result in enumerate(results)]
            reports[position] = AuditReport(payload.type, checkpoint.tree_size, verdicts)
    return [reports[n] for n in range(len(opened))]


class Replayer:
    """Replays a registry's log forward, checkpoint by checkpoint, proving each one part of its history."""

    def __init__(self, client: LogSource, registry_key: PublicKey) -> None:
        self.client, self.registry_key = client, registry_key
        self.state = LogState(registry_key)
        self.compact = CompactRange()
        self.current: Checkpoint | None = None

    def advance_to(self, checkpoint: Checkpoint) -> LogState:
        """Prove the registry's log extends `checkpoint`, then replay its entries up to that size."""
        if self.current is None:
            verifier = NoteVerifier.from_public_key(checkpoint.origin, self.registry_key.raw)
            self.current = verify_checkpoint(self.client.checkpoint(), verifier, origin=checkpoint.origin)
        current = self.current
        if current.tree_size < checkpoint.tree_size:
            raise ProofInvalid(
                "LOG_SHRANK",
                f"the log has {current.tree_size} leaves, fewer than the decision's {checkpoint.tree_size}",
            )
        if checkpoint.tree_size == current.tree_size and checkpoint.root_hash != current.root_hash:
            raise ProofInvalid("HISTORY_REWRITTEN", "the log at the decision's size has another root")
        if 0 < checkpoint.tree_size < current.tree_size:
            proof = self.client.consistency_proof(checkpoint.tree_size, current.tree_size)
            try:
                verify_consistency(
                    checkpoint.tree_size, current.tree_size, proof, checkpoint.root_hash, current.root_hash
                )
            except VerificationError as exc:
                raise ProofInvalid(
                    "HISTORY_REWRITTEN", f"the log no longer extends the decision's tree of size {checkpoint.tree_size}"
                ) from exc
        expected = self.compact.size
        for entry in self.client.entries(expected, checkpoint.tree_size):
            if entry.leaf_index != expected:
                raise ProofInvalid("ENTRY_MISSING", f"leaf {expected} is missing from the log's entries")
            self.compact.append(recompute_leaf(entry))
            try:
                self.state.add(entry)
            except VerificationError as exc:
                raise ProofInvalid("DOCUMENT_INVALID", f"leaf {expected}: {exc.diagnostics()}") from exc
            expected += 1
        if expected != checkpoint.tree_size:
            raise ProofInvalid("ENTRY_MISSING", f"leaf {expected} is missing from the log's entries")
        if self.compact.root() != checkpoint.root_hash:
            raise ProofInvalid("ROOT_MISMATCH", "the log's entries do not give the root the decision names")
        return self.state


def _open(
    saved: Mapping[str, Any] | str, registry_key: PublicKey
) -> tuple[CertificateVerification | EligibilityDecision, list[Any]]:
    if isinstance(saved, str):
        token: Any = saved
    elif "results" in saved:
        return verify_saved_eligibility(saved, registry_key), list(saved["results"])
    else:
        token = saved.get("signed_decision")
    if not isinstance(token, str):
        raise MalformedInput("BAD_DECISION_FILE", "give an eligibility answer, a verification answer or a decision JWS")
    payload = verify_decision(token, registry_key)
    if isinstance(payload, EligibilityDecision):
        raise MalformedInput(
            "BAD_DECISION_FILE", "an eligibility decision is audited with its results: save the answer"
        )
    return payload, []


def _decision_checkpoint(payload: CertificateVerification | EligibilityDecision, key: PublicKey) -> Checkpoint:
    verifier = NoteVerifier.from_public_key(payload.origin, key.raw)
    return verify_checkpoint(payload.checkpoint, verifier, origin=payload.origin)


def _single(payload: CertificateVerification, state: LogState) -> Verdict:
    claimed = {
        "status": payload.status,
        "valid": payload.decision == "valid",
        "reasons": payload.reasons,
        "evidence": payload.evidence,
    }
    return _judge(None, payload.certificate, claimed, payload.as_of, state)


def _item(index: int, result: Any, payload: EligibilityDecision, state: LogState) -> Verdict:
    if not isinstance(result, dict) or not isinstance(result.get("certificates"), list):
        return Verdict(index, None, False, f"item {index}: the result names no certificates")
    tender = state.labels.tender(payload.requirement)
    verdicts = [
        _judge(
            index,
            str(certificate.get("id")),
            {
                "status": certificate.get("status"),
                "valid": None,  # an eligible certificate must stand; one not eligible may fail on its label
                "must_stand": bool(certificate.get("eligible")),
                "reasons": certificate.get("reasons", []),
                "evidence": certificate.get("evidence"),
                "acceptance": certificate,
            },
            payload.date,
            state,
            tender=tender,
        )
        for certificate in result["certificates"]
        if isinstance(certificate, dict)
    ]
    refuted = [verdict for verdict in verdicts if not verdict.confirmed]
    if refuted:
        return refuted[0]
    if result.get("eligible") and not any(isinstance(c, dict) and c.get("eligible") for c in result["certificates"]):
        return Verdict(index, None, False, f"item {index}: eligible, but no certificate of it is")
    found = "; ".join(verdict.detail for verdict in verdicts) or "no certificate"
    return Verdict(index, None, True, f"item {index}: confirmed ({found})")


def _judge(
    item: int | None,
    certificate_id: str,
    claimed: Mapping[str, Any],
    at: datetime,
    state: LogState,
    *,
    tender: Tender | None = None,
) -> Verdict:
    where = f"item {item}: certificate {certificate_id}" if item is not None else f"certificate {certificate_id}"
    standing = state.standing(certificate_id, at)
    if standing is None:
        return Verdict(item, certificate_id, False, f"{where} is not in the log at the decision's checkpoint")
    problems = []
    if claimed["status"] != standing.status.value:
        problems.append(f"the log gives status {standing.status.value}, the decision says {claimed['status']}")
    said = sorted(r for r in claimed["reasons"] or () if r in _STANDING_REASONS)
    if said != sorted(standing.reasons):
        problems.append(f"the log gives reasons {sorted(standing.reasons)}, the decision says {said}")
    if claimed.get("valid") is not None and claimed["valid"] != standing.valid:
        problems.append(f"the log says {'valid' if standing.valid else 'not valid'}")
    if claimed.get("must_stand") and not standing.valid:
        problems.append("eligible, but by the log the certificate does not stand")
    problems += _evidence_problems(claimed.get("evidence"), certificate_id, state)
    found = f"{standing.status.value}, as the log gives"
    if tender is not None:
        credential = state.credential(certificate_id)
        acceptance = judge_acceptance(
            claimed["acceptance"],
            credential,
            standing.criteria_version,
            tender=tender,
            at=at,
            log=state.labels,
        )
        problems += acceptance.problems
        found = f"{found}; {acceptance.summary}"
    if problems:
        return Verdict(item, certificate_id, False, f"{where}: " + "; ".join(problems))
    return Verdict(
        item, certificate_id, True, f"{certificate_id}: {found}" if item is not None else f"{where}: {found}"
    )


def _evidence_problems(evidence: Any, certificate_id: str, state: LogState) -> list[str]:
    if evidence is None:
        return []  # a decision from before evidence was named: its standing is still checked above
    try:
        claimed = CertificateEvidence.from_json(evidence)
    except (KeyError, TypeError, ValueError):
        return ["its evidence is malformed"]
    found = state.certificates[certificate_id]
    chain = state.chains.get(certificate_id, [])
    problems = []
    if claimed.leaf_index != found.leaf_index:
        problems.append(f"its credential is leaf {found.leaf_index}, the decision says {claimed.leaf_index}")
    head = chain[-1] if chain else None
    actual = (len(chain), head.sha256 if head else None, head.leaf_index if head else None)
    stated = (claimed.status_head.sequence, claimed.status_head.sha256, claimed.status_head.leaf_index)
    if stated != actual:
        problems.append(
            f"its status chain's head is sequence {actual[0]} at leaf {actual[2]}, "
            f"the decision relied on sequence {stated[0]} at leaf {stated[2]}"
        )
    # The whole head: how many key events, and which leaf the last one is (the registration's when none).
    key_head = state.key_heads.get(found.programme)
    stated_key = (claimed.key_head.programme, claimed.key_head.sequence, claimed.key_head.leaf_index)
    if key_head is None or stated_key != (found.programme, *key_head):
        sequence, leaf = key_head if key_head is not None else (None, None)
        problems.append(
            f"programme {found.programme}'s key events' head is sequence {sequence} at leaf {leaf}, the decision "
            f"relied on programme {stated_key[0]}'s sequence {stated_key[1]} at leaf {stated_key[2]}"
        )
    return problems


def _kid_and_programme(document: bytes) -> tuple[str, str]:
    kid = str(read_protected_header(document.decode("ascii")).get("kid"))
    did_url = split_did_url(kid)  # a DID URL names the programme's key by its fragment (FORMATS §2.1)
    return (kid if did_url is None else did_url[1]), logged_payload(document, EcoLabelCertificate).programme_id
