"""A certificate as a UNTP Digital Conformity Credential, data model v0.6.0.

Who signs and what it attests: the export is the registry's statement, not the programme's. It is
issued by the registry's DID and, as `application/vc+jwt`, signed with the registry's key (the key of
its checkpoints): it attests that the registry holds the programme-signed credential it links to
(`conformityCertificate`, by SHA-256), logged at the leaf it names (`auditableEvidence`), and that the
certificate's status was as stated (`conformance`) when the export was made. The programme's own
signature stays on the linked credential; a verifier who needs it checks that one (docs/INTEROP.md).

The mapping: the programme is the conformity assessment scheme and the attesting party
(`scope.issuingParty`, `referenceStandard.issuingParty`), the licence holder the party it is issued to,
the certified products (with their GTINs as GS1 Digital Link URIs) the assessed products, the category's
criteria the reference standard and the assessment criterion, the credential's validity the validity.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection

from ecolabel_registry.categories import repository as categories
from ecolabel_registry.certificates.schemas import CertificateDetail
from ecolabel_registry.errors import NotFound
from ecolabel_registry.programmes import repository as programmes
from verification.did import DidWeb
from verification.leaf import format_log_time
from verification.status import CertificateStatus

DCC_CONTEXT: Final = ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/"]
# UNTP's topic list has no general "life-cycle environmental criteria" entry; ISO 14024 criteria are
# chiefly about emissions and resources, and `environment.emissions` is the closest single code.
CONFORMITY_TOPIC: Final = "environment.emissions"
_IDENTIFIER_URIS: Final = {"LEI": "https://lei.info/{}", "GLN": "https://id.gs1.org/414/{}"}


def _party_id(scheme: str, value: str) -> str:
    template = _IDENTIFIER_URIS.get(scheme)
    return template.format(value) if template else f"urn:ecolabel:identifier:{scheme.lower()}:{value}"


def _date(log_time: str | None) -> str | None:
    return log_time[:10] if log_time else None


def digital_conformity_credential(
    connection: Connection, names: DidWeb, certificate: CertificateDetail, *, registry_name: str
) -> dict[str, Any]:
    """The DCC of one certificate, as the registry holds it now."""
    programme = programmes.get(connection, certificate.programme_id)
    category = categories.find(
        connection, (certificate.programme_id, certificate.category.code, certificate.category.criteria_version)
    )
    if programme is None or category is None:
        raise NotFound(f"certificate {certificate.id} names a programme or category the registry lacks")
    base = names.base_url
    record = f"{base}/v1/certificates/{certificate.id}"
    programme_party = {"id": names.programme(programme.id), "name": programme.names["en"]}
    holder = certificate.holder
    first = holder.identifiers[0] if holder.identifiers else None
    issued_to: dict[str, Any] = {
        "id": _party_id(first.scheme, first.value) if first else f"{record}#holder",
        "name": holder.name,
    }
    if first is not None:
        issued_to["registeredId"] = first.value
    criteria_name = f"{category.criteria_id} version {category.criteria_version}"
    standard: dict[str, Any] = {
        "type": ["Standard"],
        "id": f"{base}/v1/programmes/{programme.id}/categories#{category.code}",
        "name": criteria_name,
        "issuingParty": programme_party,
        "issueDate": format_log_time(category.valid_from_us)[:10],
    }
    category_name = category.names.get("en") or next(iter(category.names.values()))
    assessment: dict[str, Any] = {
        "type": ["ConformityAssessment", "Declaration"],
        "id": f"{record}#assessment",
        "name": f"{programme.names['en']}: {category_name}",
        "description": f"Licence {certificate.licence_number} under {criteria_name} ({category_name})",
        "referenceStandard": standard,
        "assessmentCriteria": [
            {
                "type": ["Criterion"],
                "id": f"{standard['id']}/{category.criteria_version}",
                "name": criteria_name,
                "description": f"The ISO 14024 criteria of {programme.names['en']} for {category_name}",
                "conformityTopic": CONFORMITY_TOPIC,
                "status": "active",
            }
        ],
        "conformance": certificate.status is CertificateStatus.ACTIVE,
        "conformityTopic": CONFORMITY_TOPIC,
        "assessedProduct": [
            {
                "type": ["ProductVerification"],
                "product": {
                    "id": f"https://id.gs1.org/01/{product.gtin}" if product.gtin else f"{record}#product-{n}",
                    "name": product.name,
                    **({"registeredId": product.gtin} if product.gtin else {}),
                },
                "IDverifiedByCAB": product.gtin is not None,
            }
            for n, product in enumerate(certificate.products)
        ],
        "assessedOrganisation": issued_to,
    }
    return {
        "@context": DCC_CONTEXT,
        "type": ["DigitalConformityCredential", "VerifiableCredential"],
        "id": f"{record}/untp-dcc",
        "issuer": {"type": ["CredentialIssuer"], "id": names.registry, "name": registry_name},
        "validFrom": certificate.valid_from,
        "validUntil": certificate.valid_until,
        "credentialSubject": {
            "type": ["ConformityAttestation", "Attestation"],
            "id": record,
            "name": f"{programme.names['en']} licence {certificate.licence_number}",
            "assessorLevel": "3rdParty",
            "assessmentLevel": "Unspecified",
            "attestationType": "certification",
            "description": f"{programme.names['en']} (ISO 14024 Type I eco-label) licence "
            f"{certificate.licence_number}, status {certificate.status.value} on {certificate.status_at}",
            "issuedToParty": issued_to,
            "scope": {
                "type": ["ConformityAssessmentScheme", "Standard"],
                "id": names.programme(programme.id),
                "name": programme.names["en"],
                "issuingParty": programme_party,
            },
            "conformityCertificate": {
                "type": ["SecureLink", "Link"],
                "linkURL": record,
                "linkName": "the credential as the programme signed it (Accept: application/vc+jwt)",
                "linkType": "https://test.uncefact.org/vocabulary/linkTypes/dcc",
                "hashDigest": certificate.id,
                "hashMethod": "SHA-256",
                "encryptionMethod": "none",
            },
            "auditableEvidence": {
                "type": ["SecureLink", "Link"],
                "linkURL": f"{base}/v1/log/proofs/tlog-proof?leaf_index={certificate.leaf_index}",
                "linkName": f"the credential's inclusion in the registry's log, leaf {certificate.leaf_index}",
                "encryptionMethod": "none",
            },
            "assessment": [assessment],
        },
    }
