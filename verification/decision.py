"""Registry-signed decisions: what a buyer archives as evidence, and how to check it offline.

A decision is a JWS (typ `ecolabel-decision+jwt`) signed by the registry's key, the same Ed25519 key
that signs its checkpoints. It names the checkpoint it was computed against. A batch decision commits
to every item and its result through the SHA-256 of the results' RFC 8785 form, so altering any one
result breaks it:

    decision = verify_saved_eligibility(json.loads(saved_file), registry_key)

Its issuer and time of issue use the JWT registered claim names `iss` (the registry's log origin) and
`iat` (a NumericDate, RFC 7519 §4.1.1 and §4.1.6), as its `+jwt` type promises; decisions signed before
carry `issuer` and `issuedAt` instead and still verify.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeGuard

import orjson
from pydantic import Field, ValidationError, model_validator

from verification.canonical import dumps_canonical, dumps_canonical_fast
from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.errors import MalformedInput, ProofInvalid
from verification.jwk import PublicKey
from verification.jws import verify_compact
from verification.note import NoteVerifier
from verification.payloads.common import CertificateId, Payload, Sha256Hex, Timestamp
from verification.strictjson import loads_strict

DECISION_TYP = "ecolabel-decision+jwt"


class _Issued(Payload):
    """Who signed a decision and when: `iss` and `iat`, or in decisions signed before them `issuer` and `issuedAt`."""

    iss: str | None = Field(default=None, description="the registry's log origin (RFC 7519 §4.1.1)")
    iat: Annotated[int, Field(ge=0)] | None = Field(default=None, description="when it was signed (RFC 7519 §4.1.6)")
    issuer: str | None = Field(default=None, description="earlier decisions' name for iss")
    issued_at: Timestamp | None = Field(default=None, alias="issuedAt", description="earlier decisions' iat")

    @model_validator(mode="after")
    def _one_issuer(self) -> _Issued:
        if (self.iss is None) == (self.issuer is None) or (self.iat is None) == (self.issued_at is None):
            raise ValueError("a decision names its issuer and time once: iss and iat (or issuer and issuedAt)")
        return self

    @property
    def origin(self) -> str:
        """The log origin of the registry that signed it, whichever name carries it."""
        return self.iss if self.iss is not None else str(self.issuer)


class CertificateVerification(_Issued):
    type: Literal["CertificateVerification"]
    checkpoint: str = Field(description="the signed checkpoint the decision was computed against")
    tree_size: int | None = Field(default=None, alias="treeSize", description="the checkpoint's tree size")
    root_hash: str | None = Field(default=None, alias="rootHash", description="the checkpoint's root (base64)")
    certificate: CertificateId
    as_of: Timestamp = Field(alias="asOf")
    status: str
    valid_until: Timestamp = Field(alias="validUntil")
    signing_key_valid: bool = Field(alias="signingKeyValid")
    leaf_index: int = Field(alias="leafIndex")
    evidence: dict[str, Any] | None = Field(
        default=None, description="what was judged by log position (`verification.evidence`); absent in older decisions"
    )
    decision: Literal["valid", "not_valid"]
    reasons: list[str]


class EligibilityDecision(_Issued):
    type: Literal["EligibilityDecision"]
    checkpoint: str
    tree_size: int | None = Field(default=None, alias="treeSize")
    root_hash: str | None = Field(default=None, alias="rootHash")
    requirement: dict[str, Any]
    date: Timestamp
    item_count: Annotated[int, Field(ge=0)] = Field(alias="itemCount")
    eligible_count: Annotated[int, Field(ge=0)] = Field(alias="eligibleCount")
    results_sha256: Sha256Hex = Field(alias="resultsSha256")


MAX_SAVED_BYTES = 256 * 1_048_576  # a saved answer of 10,000 lines is about 5 MB


@dataclass(frozen=True)
class SavedEligibility:
    """A saved eligibility answer that verified: the decision, the answer, its results' RFC 8785 bytes, and
    the bytes to archive (as received when orjson writes them back identically, the usual case; else the
    answer re-encoded with its results as the RFC 8785 bytes that verified)."""

    decision: EligibilityDecision
    answer: dict[str, Any]
    results_json: bytes
    archived: bytes

    @property
    def results(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.answer["results"]
        return results


def results_digest(results: list[Any]) -> str:
    """Hex SHA-256 of the RFC 8785 form of the results list (the fast encoder writes the same bytes)."""
    return hashlib.sha256(dumps_canonical_fast(results)).hexdigest()


def verify_decision(token: str, registry_key: PublicKey) -> CertificateVerification | EligibilityDecision:
    """Verify the registry's signature and the checkpoint the decision names; return the payload."""
    verified = verify_compact(token.strip(), registry_key, expected_typ=DECISION_TYP)
    body = loads_strict(verified.payload)
    model = EligibilityDecision if isinstance(body, dict) and body.get("type") == "EligibilityDecision" else None
    try:
        payload = (model or CertificateVerification).model_validate(body)
    except ValidationError as exc:
        raise MalformedInput("BAD_DECISION", str(exc.errors()[0]["msg"])) from exc
    checkpoint = _verify_named_checkpoint(payload.checkpoint, payload.origin, registry_key)
    # Decisions from before these fields existed name the checkpoint only by its note; still verifiable.
    if payload.tree_size is not None and payload.tree_size != checkpoint.tree_size:
        raise ProofInvalid("CHECKPOINT_MISMATCH", "the decision's treeSize is not its checkpoint's")
    if payload.root_hash is not None and payload.root_hash != base64.b64encode(checkpoint.root_hash).decode():
        raise ProofInvalid("CHECKPOINT_MISMATCH", "the decision's rootHash is not its checkpoint's")
    return payload


def verify_saved_eligibility(saved: Mapping[str, Any], registry_key: PublicKey) -> EligibilityDecision:
    """Check an archived eligibility answer: the signature, the checkpoint, and every item's result."""
    token, results = saved.get("decision"), saved.get("results")
    if not isinstance(token, str) or not isinstance(results, list):
        raise MalformedInput("BAD_DECISION_FILE", "a saved decision holds 'decision' (a JWS) and 'results' (a list)")
    payload = verify_decision(token, registry_key)
    if not isinstance(payload, EligibilityDecision):
        raise MalformedInput("BAD_DECISION_FILE", "this is not an eligibility decision")
    if len(results) != payload.item_count:
        raise ProofInvalid(
            "RESULTS_ALTERED", f"the decision covers {payload.item_count} items, the file has {len(results)}"
        )
    if hashlib.sha256(dumps_canonical(results)).hexdigest() != payload.results_sha256:
        raise ProofInvalid("RESULTS_ALTERED", "the results differ from the ones the registry signed")
    return payload


def verify_saved_eligibility_bytes(data: bytes, registry_key: PublicKey) -> SavedEligibility:
    """`verify_saved_eligibility` of a saved answer's bytes, as strict, and fast for the files this project
    writes (a catalogue's chunks are checked at tens of thousands of lines a second).

    The quickest path (`_as_sent`) hashes the results' bytes as they sit in `data`, for answers written
    as the registry writes them. The next takes bytes that orjson writes back identically (so no member
    is duplicated: a parse that dropped one would write fewer bytes) and whose results, written by orjson
    with sorted keys, hash to the digest the registry signed: those bytes are the RFC 8785 form the registry hashed, so
    these results are the ones it signed. Anything else takes the reference path (`loads_strict`,
    `dumps_canonical`), which either accepts it or says precisely what is wrong.
    """
    try:
        saved = orjson.loads(data)
    except orjson.JSONDecodeError:
        saved = None
    quick = _as_sent(saved, data, registry_key)
    if quick is not None:
        return quick
    if _round_trips(saved, data):
        results = saved["results"]
        encoded = orjson.dumps(results, option=orjson.OPT_SORT_KEYS)
        payload = verify_decision(saved["decision"], registry_key)
        if (
            isinstance(payload, EligibilityDecision)
            and len(results) == payload.item_count
            and hashlib.sha256(encoded).hexdigest() == payload.results_sha256
        ):
            return SavedEligibility(payload, saved, encoded, data)
    saved = loads_strict(data, max_bytes=MAX_SAVED_BYTES)
    if not isinstance(saved, dict):
        raise MalformedInput("BAD_DECISION_FILE", "a saved decision is a JSON object")
    payload = verify_saved_eligibility(saved, registry_key)
    results_json = dumps_canonical(saved["results"])
    return SavedEligibility(
        payload, saved, results_json, orjson.dumps({**saved, "results": orjson.Fragment(results_json)})
    )


_RESULTS_MARK = b'"results":[]'


def _as_sent(saved: Any, data: bytes, registry_key: PublicKey) -> SavedEligibility | None:
    """The usual answer, checked without encoding its results again: the bytes between what orjson writes
    before and after an empty `results` are hashed as they are. When they hash to the digest the registry
    signed they are its RFC 8785 bytes (SHA-256 is collision-resistant), a complete JSON value sitting where
    the parse found `results`, and the rest of `data` is byte for byte orjson's writing of the parsed
    answer (no member duplicated, no other spelling). None when any of this does not hold: the caller
    then takes the slower paths, which accept or refuse the bytes precisely."""
    if not (
        isinstance(saved, dict) and isinstance(saved.get("decision"), str) and isinstance(saved.get("results"), list)
    ):
        return None
    skeleton = orjson.dumps({**saved, "results": []})
    if skeleton.count(_RESULTS_MARK) != 1:  # the top-level member is one; another would make it ambiguous
        return None
    cut = skeleton.index(_RESULTS_MARK) + len(_RESULTS_MARK) - 2
    before, after = skeleton[:cut], skeleton[cut + 2 :]
    if len(data) < len(skeleton) or not (data.startswith(before) and data.endswith(after)):
        return None
    results_json = data[len(before) : len(data) - len(after)]
    payload = verify_decision(saved["decision"], registry_key)
    if (
        isinstance(payload, EligibilityDecision)
        and len(saved["results"]) == payload.item_count
        and hashlib.sha256(results_json).hexdigest() == payload.results_sha256
    ):
        return SavedEligibility(payload, saved, results_json, data)
    return None


def _round_trips(saved: Any, data: bytes) -> TypeGuard[dict[str, Any]]:
    """A saved answer's shape, in bytes orjson writes back exactly (no duplicate member, no other spelling)."""
    return (
        isinstance(saved, dict)
        and isinstance(saved.get("decision"), str)
        and isinstance(saved.get("results"), list)
        and orjson.dumps(saved) == data
    )


def _verify_named_checkpoint(note: str, origin: str, key: PublicKey) -> Checkpoint:
    # Checkpoints and decisions share one key; the signed-note form names it by the log origin.
    return verify_checkpoint(note, NoteVerifier.from_public_key(origin, key.raw), origin=origin)
