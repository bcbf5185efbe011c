"""Worked examples of the signed documents: each payload as signed (RFC 8785) and its JOSE header."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from pydantic import BaseModel

from tests.docs.keys import (
    OTHER_PROGRAMME_KEY,
    OTHER_PROGRAMME_KID,
    PROGRAMME_KEY,
    PROGRAMME_KID,
    REGISTRY_KEY,
    ROOT_KEY,
    ROOT_KID,
    SECOND_ROOT_KEY,
    SECOND_ROOT_KID,
)
from verification.canonical import dumps_canonical
from verification.jwk import PublicKey
from verification.jws import sign_compact
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

ISSUER = "urn:ecolabel:programme:eu-ecolabel"
OTHER_ISSUER = "urn:ecolabel:programme:nordic-swan"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def header_of(token: str) -> str:
    """The protected header exactly as signed (the first segment, base64url-decoded)."""
    segment = token.split(".", 1)[0]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode() + "\n"


def sha256_hex(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _signed(model: type[BaseModel], payload: dict[str, Any], typ: str, *, other: bool = False, root: int = 0) -> str:
    """Signed with the programme's signing key, the other programme's (`other`), or root key 1 or 2."""
    model.model_validate(payload)  # every example is a valid document of its kind
    key, kid = (OTHER_PROGRAMME_KEY, OTHER_PROGRAMME_KID) if other else (PROGRAMME_KEY, PROGRAMME_KID)
    if root:
        key, kid = (ROOT_KEY, ROOT_KID) if root == 1 else (SECOND_ROOT_KEY, SECOND_ROOT_KID)
    return sign_compact(dumps_canonical(payload), key, kid, typ)


def programme_registration() -> dict[str, Any]:
    return {
        "id": "eu-ecolabel",
        "names": {"en": "EU Ecolabel", "fr": "Écolabel européen"},
        "countries": ["EU"],
        "website": "https://environment.ec.europa.eu/topics/circular-economy/eu-ecolabel_en",
        "gen_member": True,
        "root_keys": [
            PublicKey.from_private_key(ROOT_KEY, kid=ROOT_KID).to_jwk(),
            PublicKey.from_private_key(SECOND_ROOT_KEY, kid=SECOND_ROOT_KID).to_jwk(),
        ],
        "root_threshold": 2,
        "keys": [PublicKey.from_private_key(PROGRAMME_KEY, kid=PROGRAMME_KID).to_jwk()],
    }


def certificate_payload() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "EcoLabelCertificate"],
        "issuer": ISSUER,
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2028-12-31T00:00:00Z",
        "credentialSubject": {
            "licenceNumber": "IT/044/005",
            "holder": {
                "name": "Vernici Verdi S.p.A. (demo)",
                "country": "IT",
                "identifiers": [{"scheme": "LEI", "value": "5493001KJTIIGC8Y1R12"}],
            },
            "products": [{"name": "Interior wall paint", "model": "VW-100", "gtin": "4006381333931"}],
            "category": {"code": "044", "criteriaVersion": "1"},
            "markets": ["IT", "FR"],
        },
    }


def certificate() -> str:
    return _signed(EcoLabelCertificate, certificate_payload(), TYP["certificate"])


def status_event_payload() -> dict[str, Any]:
    cid = sha256_hex(certificate())
    return {
        "type": "CertificateStatusEvent",
        "issuer": ISSUER,
        "certificate": cid,
        "sequence": 1,
        "previous": cid,
        "status": "suspended",
        "effectiveAt": "2026-09-01T00:00:00Z",
        "reason": "non-conformity found at the surveillance audit",
    }


def status_event() -> str:
    return _signed(CertificateStatusEvent, status_event_payload(), TYP["certificate_event"])


def key_event_payload() -> dict[str, Any]:
    new_key = PublicKey.from_private_key(OTHER_PROGRAMME_KEY, kid="eu-ecolabel-2027").to_jwk()
    return {"type": "KeyEvent", "issuer": ISSUER, "sequence": 1, "action": "add", "key": new_key}


def key_event() -> str:
    return _signed(KeyEvent, key_event_payload(), TYP["key_event"], root=1)


def key_event_approval_payload() -> dict[str, Any]:
    return {"type": "KeyEventApproval", "issuer": ISSUER, "event": sha256_hex(key_event())}


def key_event_approval() -> str:
    return _signed(KeyEventApproval, key_event_approval_payload(), TYP["key_event_approval"], root=2)


def programme_recovery_payload() -> dict[str, Any]:
    new_root = PublicKey.from_private_key(OTHER_PROGRAMME_KEY, kid="eu-ecolabel-root-3").to_jwk()
    return {
        "type": "ProgrammeRecovery",
        "programme": "eu-ecolabel",
        "sequence": 2,
        "rootKeys": [new_root],
        "rootThreshold": 1,
        "reason": "both root keys were lost with their offline store",
    }


def programme_recovery() -> str:
    ProgrammeRecovery.model_validate(programme_recovery_payload())
    kid = PublicKey.from_private_key(REGISTRY_KEY).kid
    return sign_compact(dumps_canonical(programme_recovery_payload()), REGISTRY_KEY, kid, TYP["programme_recovery"])


def category_payload() -> dict[str, Any]:
    return {
        "type": "CategoryDefinition",
        "issuer": ISSUER,
        "code": "044",
        "names": {"en": "Decorative paints and varnishes"},
        "criteria": {"id": "2014/312/EU", "version": "1", "validFrom": "2014-05-28T00:00:00Z"},
        "crosswalk": {"cpv": ["44810000"], "hs": ["3208", "3209"]},
    }


def category() -> str:
    return _signed(CategoryDefinition, category_payload(), TYP["category"])


def agreement_payload() -> dict[str, Any]:
    paints = {"criteriaVersions": {"min": "1"}}
    return {
        "type": "MutualRecognitionAgreement",
        "issuer": ISSUER,
        "parties": ["eu-ecolabel", "nordic-swan"],
        "mutual": True,
        "agreementType": "full",
        "scope": [
            {
                "from": {"programme": "eu-ecolabel", "category": "044", **paints},
                "to": {"programme": "nordic-swan", "category": "096", **paints},
            }
        ],
        "effectiveFrom": "2026-06-01T00:00:00Z",
        "announcement": "https://example.org/demo-agreement",
    }


def agreement() -> str:
    return _signed(Agreement, agreement_payload(), TYP["agreement"])


def agreement_signature_payload() -> dict[str, Any]:
    return {"type": "AgreementSignature", "issuer": OTHER_ISSUER, "agreement": sha256_hex(agreement())}


def agreement_signature() -> str:
    return _signed(AgreementSignature, agreement_signature_payload(), TYP["agreement_signature"], other=True)


def agreement_event_payload() -> dict[str, Any]:
    agreement_id = sha256_hex(agreement())
    return {
        "type": "AgreementEvent",
        "issuer": ISSUER,
        "agreement": agreement_id,
        "sequence": 1,
        "previous": agreement_id,
        "change": "suspended",
        "effectiveAt": "2027-01-01T00:00:00Z",
        "reason": "criteria under joint review",
    }


def agreement_event() -> str:
    return _signed(AgreementEvent, agreement_event_payload(), TYP["agreement_event"])


def agreement_renewal_payload() -> dict[str, Any]:
    agreement_id = sha256_hex(agreement())
    return {
        "type": "AgreementEvent",
        "issuer": ISSUER,
        "agreement": agreement_id,
        "sequence": 2,
        "previous": sha256_hex(agreement_event()),
        "change": "renewed",
        "effectiveAt": "2030-01-01T00:00:00Z",
        "effectiveUntil": "2035-01-01T00:00:00Z",
        "reason": "renewed after the joint review",
    }


def agreement_renewal() -> str:
    return _signed(AgreementEvent, agreement_renewal_payload(), TYP["agreement_event"])


def agreement_event_approval_payload() -> dict[str, Any]:
    return {
        "type": "AgreementEventApproval",
        "issuer": OTHER_ISSUER,
        "agreement": sha256_hex(agreement()),
        "event": sha256_hex(agreement_renewal()),
    }


def agreement_event_approval() -> str:
    payload = agreement_event_approval_payload()
    return _signed(AgreementEventApproval, payload, TYP["agreement_event_approval"], other=True)


def examples() -> dict[str, str]:
    documents = {
        "certificate": (certificate_payload(), certificate()),
        "status-event": (status_event_payload(), status_event()),
        "key-event": (key_event_payload(), key_event()),
        "key-event-approval": (key_event_approval_payload(), key_event_approval()),
        "programme-recovery": (programme_recovery_payload(), programme_recovery()),
        "category": (category_payload(), category()),
        "agreement": (agreement_payload(), agreement()),
        "agreement-signature": (agreement_signature_payload(), agreement_signature()),
        "agreement-event": (agreement_event_payload(), agreement_event()),
        "agreement-renewal": (agreement_renewal_payload(), agreement_renewal()),
        "agreement-event-approval": (agreement_event_approval_payload(), agreement_event_approval()),
    }
    found = {"programme-registration": pretty(programme_registration())}
    for name, (payload, token) in documents.items():
        found[f"{name}-header"] = header_of(token)
        found[f"{name}-payload"] = pretty(payload)
    found["certificate-jws"] = certificate() + "\n"
    found["certificate-id"] = sha256_hex(certificate()) + "\n"
    return found
