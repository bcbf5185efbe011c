"""What the UNTP Digital Conformity Credential JSON Schema v0.6.0 requires, as a JSON Schema of our own.

Written from the published schema (uncefact/tests-untp, packages/untp-test-suite/src/schemas/
digitalConformityCredential/v0.6.0/schema.json @ 839a731d9938): every member, `required` list, enum,
`const`, `format` and `additionalProperties: false` of the parts our export uses, with the same
structure, so that an export valid here is valid there. The upstream file is not copied into this
repository (its repository is GPL-3.0 licensed).
"""

from __future__ import annotations

from typing import Any

_URI = {"type": "string", "format": "uri"}
_STRING = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
_DATETIME = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:"
    r"[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$",
}
_TOPICS = [
    "environment.energy",
    "environment.emissions",
    "environment.water",
    "environment.waste",
    "environment.deforestation",
    "environment.biodiversity",
    "circularity.content",
    "circularity.design",
    "social.labour",
    "social.rights",
    "social.community",
    "social.safety",
    "governance.ethics",
    "governance.compliance",
    "governance.transparency",
]


def _types(*names: str) -> dict[str, Any]:
    return {"type": "array", "items": _STRING, "allOf": [{"contains": {"const": name}} for name in names]}


def _party(*extra: str) -> dict[str, Any]:
    properties = {"id": _URI, "name": _STRING, "registeredId": _STRING}
    properties.update(dict.fromkeys(extra, _STRING))
    return {"type": "object", "properties": properties, "required": ["id", "name"]}


_SECURE_LINK = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "type": _types("SecureLink", "Link"),
        "linkURL": _URI,
        "linkName": _STRING,
        "linkType": _STRING,
        "hashDigest": _STRING,
        "hashMethod": {"type": "string", "enum": ["SHA-256", "SHA-1"]},
        "encryptionMethod": {"type": "string", "enum": ["none", "AES"]},
    },
}
_STANDARD = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "type": _types("Standard"),
        "id": _URI,
        "name": _STRING,
        "issuingParty": _party(),
        "issueDate": _DATE,
    },
    "required": ["issuingParty"],
}
_CRITERION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "type": _types("Criterion"),
        "id": _URI,
        "name": _STRING,
        "description": _STRING,
        "conformityTopic": {"type": "string", "enum": _TOPICS},
        "status": {"type": "string", "enum": ["proposed", "active", "deprecated"]},
    },
    "required": ["id", "name", "description", "conformityTopic", "status"],
}
_PRODUCT_VERIFICATION = {
    "type": "object",
    "properties": {
        "type": _types("ProductVerification"),
        "product": {
            "type": "object",
            "properties": {"id": _URI, "name": _STRING, "registeredId": _STRING},
            "required": ["id", "name"],
        },
        "IDverifiedByCAB": {"type": "boolean"},
    },
}
_ASSESSMENT = {
    "type": "object",
    "properties": {
        "type": _types("ConformityAssessment", "Declaration"),
        "id": _URI,
        "name": _STRING,
        "description": _STRING,
        "referenceStandard": _STANDARD,
        "assessmentCriteria": {"type": "array", "items": _CRITERION},
        "conformance": {"type": "boolean"},
        "conformityTopic": {"type": "string", "enum": _TOPICS},
        "assessedProduct": {"type": "array", "items": _PRODUCT_VERIFICATION},
        "assessedOrganisation": _party("description"),
    },
    "required": ["id", "conformance", "conformityTopic"],
}
DCC_0_6_0: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "type": _types("DigitalConformityCredential", "VerifiableCredential"),
        "@context": {
            "type": "array",
            "items": _STRING,
            "prefixItems": [
                {"const": "https://www.w3.org/ns/credentials/v2"},
                {"const": "https://test.uncefact.org/vocabulary/untp/dcc/0.6.0/"},
            ],
            "minItems": 2,
            "uniqueItems": True,
        },
        "id": _URI,
        "issuer": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"type": _types("CredentialIssuer"), "id": _URI, "name": _STRING},
            "required": ["id", "name"],
        },
        "validFrom": _DATETIME,
        "validUntil": _DATETIME,
        "credentialSubject": {
            "type": "object",
            "properties": {
                "type": _types("ConformityAttestation", "Attestation"),
                "id": _URI,
                "name": _STRING,
                "assessorLevel": {
                    "type": "string",
                    "enum": ["Self", "Commercial", "Buyer", "Membership", "Unspecified", "3rdParty"],
                },
                "assessmentLevel": {
                    "type": "string",
                    "enum": ["GovtApproval", "GlobalMRA", "Accredited", "Verified", "Validated", "Unspecified"],
                },
                "attestationType": {
                    "type": "string",
                    "enum": [
                        "certification",
                        "declaration",
                        "inspection",
                        "testing",
                        "verification",
                        "validation",
                        "calibration",
                    ],
                },
                "description": _STRING,
                "issuedToParty": _party("description"),
                "conformityCertificate": _SECURE_LINK,
                "auditableEvidence": _SECURE_LINK,
                "scope": {
                    "type": "object",
                    "properties": {
                        "type": _types("ConformityAssessmentScheme", "Standard"),
                        "id": _URI,
                        "name": _STRING,
                        "issuingParty": _party(),
                        "issueDate": _DATE,
                    },
                    "required": ["issuingParty"],
                },
                "assessment": {"type": "array", "items": _ASSESSMENT},
            },
            "required": ["id", "assessorLevel", "assessmentLevel", "attestationType", "issuedToParty"],
        },
    },
    "required": ["@context", "id", "issuer"],
}
