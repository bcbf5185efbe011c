"""Proposing an agreement (the proposer's signature) and the other parties' signatures on it.

Each is a separately logged document. An agreement is in force only once every party has signed
(`verification.agreements`); submitting the identical document again returns the original receipt.
"""

from __future__ import annotations

from sqlalchemy import Connection

from ecolabel_registry.agreements import lookup, repository
from ecolabel_registry.agreements.schemas import AgreementDetail
from ecolabel_registry.categories import repository as categories
from ecolabel_registry.errors import (
    Conflict,
    DocumentInvalid,
    NotAParty,
    NotFound,
    UnknownAgreementParty,
    UnknownCategory,
)
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import keys
from ecolabel_registry.programmes import repository as programmes
from ecolabel_registry.rejections import refuse
from verification.agreements import Standing
from verification.documents import KeyLookup, open_document
from verification.errors import VerificationError
from verification.keys import require_key_valid_at
from verification.leaf import DocumentKind, to_microseconds
from verification.note import NoteSigner
from verification.payloads import TYP, Agreement, AgreementSignature
from verification.receipt import Receipt


def propose(connection: Connection, signer: NoteSigner, token: str) -> tuple[AgreementDetail, Receipt, bool]:
    """Store an agreement signed by its proposing party; that signature counts as the proposer's."""
    reservation = log.reserve(connection)
    try:
        document = open_document(token, Agreement, TYP["agreement"], _keys(connection))
        require_key_valid_at(document.key, reservation.integrated_us)
    except VerificationError as exc:
        raise refuse(exc) from exc
    stored = repository.get(connection, document.sha256)
    if stored is not None:
        return lookup.get(connection, document.sha256), log.receipt_for(connection, stored["leaf_index"]), False
    payload = document.payload
    unknown = sorted(set(payload.parties) - programmes.existing(connection, payload.parties))
    if unknown:
        raise UnknownAgreementParty(
            f"no programme {', '.join(unknown)} is registered", code="UNKNOWN_PARTY", parties=unknown
        )
    named = {(m.from_.programme, m.from_.category) for m in payload.scope}
    named |= {(m.to.programme, m.to.category) for m in payload.scope}
    named |= {(c.programme, c.category) for c in payload.supplementary_criteria if c.category is not None}
    undefined = sorted(named - categories.defined_codes(connection, named))
    if undefined:
        listed = ", ".join(f"{programme} {code}" for programme, code in undefined)
        raise UnknownCategory(f"the scope names categories nobody defined: {listed}", code="UNKNOWN_CATEGORY")
    logged = log.Document(DocumentKind.AGREEMENT, token.encode("ascii"))
    (receipt,) = log.append(connection, signer, [logged], reservation)
    proposer = payload.programme_id
    repository.insert_agreement(
        connection,
        {
            "id": document.sha256,
            "issuer_id": proposer,
            "title": payload.title,
            "agreement_type": payload.agreement_type.value,
            "effective_from_us": to_microseconds(payload.effective_from),
            "effective_until_us": to_microseconds(payload.effective_until) if payload.effective_until else None,
            "onward_recognition": payload.onward_recognition,
            "signing_kid": document.key.kid,
            "leaf_index": receipt.leaf_index,
            "integrated_us": receipt.integrated_us,
            "event_count": 0,
            "last_event_sha256": None,
        },
        [
            {
                "agreement_id": document.sha256,
                "programme_id": party,
                "signed_us": receipt.integrated_us if party == proposer else None,
                "signing_kid": document.key.kid if party == proposer else None,
                "signature_sha256": None,
                "leaf_index": receipt.leaf_index if party == proposer else None,
            }
            for party in payload.parties
        ],
    )
    return lookup.get(connection, document.sha256), receipt, True


def sign(
    connection: Connection, signer: NoteSigner, agreement_id: str, token: str
) -> tuple[AgreementDetail, Receipt, bool]:
    """Record one party's signature on the agreement; the identical signature again is a no-op."""
    reservation = log.reserve(connection)
    if repository.get(connection, agreement_id) is None:
        raise NotFound(f"no agreement {agreement_id}")
    try:
        document = open_document(token, AgreementSignature, TYP["agreement_signature"], _keys(connection))
        if document.payload.agreement != agreement_id:
            raise DocumentInvalid("the signature names another agreement", code="WRONG_AGREEMENT")
        require_key_valid_at(document.key, reservation.integrated_us)
    except VerificationError as exc:
        raise refuse(exc) from exc
    party = document.payload.programme_id
    rows = {row["programme_id"]: row for row in repository.parties_of(connection, [agreement_id])[agreement_id]}
    if party not in rows:
        raise NotAParty(f"{party} is not a party to agreement {agreement_id}", code="NOT_A_PARTY")
    if rows[party]["signature_sha256"] == document.sha256:
        return lookup.get(connection, agreement_id), log.receipt_for(connection, rows[party]["leaf_index"]), False
    if lookup.get(connection, agreement_id).standing is Standing.TERMINATED:
        raise Conflict(f"agreement {agreement_id} is terminated; nobody signs it any more", code="AGREEMENT_TERMINATED")
    if rows[party]["signed_us"] is not None:
        raise Conflict(f"{party} has already signed agreement {agreement_id}", code="ALREADY_SIGNED")
    (receipt,) = log.append(
        connection, signer, [log.Document(DocumentKind.AGREEMENT_SIGNATURE, token.encode("ascii"))], reservation
    )
    signature = {
        "signed_us": receipt.integrated_us,
        "signing_kid": document.key.kid,
        "signature_sha256": document.sha256,
        "leaf_index": receipt.leaf_index,
    }
    if not repository.record_signature(connection, agreement_id, party, signature):
        raise Conflict(f"{party} signed agreement {agreement_id} meanwhile", code="ALREADY_SIGNED")
    return lookup.get(connection, agreement_id), receipt, True


def _keys(connection: Connection) -> KeyLookup:
    return lambda programme, kid: keys.load(connection, [(programme, kid)]).get((programme, kid))
