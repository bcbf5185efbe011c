"""The `EcoLabelCertificate` profile of a W3C Verifiable Credential 2.0 (secured as VC-JOSE-COSE JWS)."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AnyHttpUrl,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from verification.did import PROGRAMME_DID_PATTERN
from verification.identifiers import (
    UNTIDY_CHARACTERS,
    CountryCode,
    Gln,
    Gtin,
    IdentifierScheme,
    Tidy,
    validate_identifier,
)
from verification.payloads.common import (
    CertificateId,
    JsonNumber,
    Names,
    Part,
    Payload,
    Sha256Hex,
    Text,
    Timestamp,
    programme_of_issuer,
)

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CERTIFICATE_TYPE = "EcoLabelCertificate"
# Licence numbers keep the programme's own format, slashes included (EU Ecolabel "IT/044/005"), in
# one spelling (`Tidy`): "IT/044/005 " would otherwise be a second licence.
LicenceNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9./_:#()-]*(?: [A-Za-z0-9./_:#()-]+)*$", max_length=64),
    Tidy,
]
# A model designation may end in one '*' where a programme licenses a model series ("X-100*"); the
# pattern is also `Tidy`'s (words joined by single spaces).
ModelPattern = Annotated[
    str,
    StringConstraints(pattern=f"^[^* {UNTIDY_CHARACTERS}]+(?: [^* {UNTIDY_CHARACTERS}]+)*(?: ?\\*)?$", max_length=101),
    Tidy,
]
CategoryCode = Annotated[str, StringConstraints(min_length=1, max_length=64), Tidy]
# The issuing programme by its URN or by its DID on a registry (docs/INTEROP.md); which host is this
# registry's is checked where the credential is opened (`verification.documents.open_document`).
ProgrammeIssuerId = Annotated[
    str,
    StringConstraints(
        pattern=rf"^(?:urn:ecolabel:programme:[a-z0-9]+(?:-[a-z0-9]+)*|{PROGRAMME_DID_PATTERN})$", max_length=500
    ),
]


class IssuerObject(Part):
    """VC Data Model 2.0 §4.7: the issuer as an object, its `id` the programme's URN or DID."""

    id: ProgrammeIssuerId
    name: Text | None = None
    description: Text | None = None


# What JSON Schema can say of each scheme's values: their alphabet and length (check digits are code's).
IDENTIFIER_PATTERNS: Final = {
    IdentifierScheme.LEI: r"^[0-9A-Z]{18}[0-9]{2}$",
    IdentifierScheme.GLN: r"^[0-9]{13}$",
    IdentifierScheme.USCC: r"^[0-9A-HJ-NPQRTUWXY]{18}$",
    IdentifierScheme.VAT: r"^[A-Z]{2}[0-9A-Z]{2,13}$",
    IdentifierScheme.DUNS: r"^[0-9]{9}$",
    IdentifierScheme.OSID: r"^[A-Z]{2}[0-9]{7}[0-9A-Z]{6}$",
}


def _value_follows_scheme(schema: dict[str, Any]) -> None:
    # One branch per scheme (rather than if/then): the same meaning, and a generator can pick a branch.
    schema["anyOf"] = [
        {"properties": {"scheme": {"const": scheme.value}, "value": {"pattern": IDENTIFIER_PATTERNS[scheme]}}}
        if scheme in IDENTIFIER_PATTERNS
        else {"properties": {"scheme": {"const": scheme.value}}}
        for scheme in IdentifierScheme
    ]


class HolderIdentifier(Part):
    model_config = ConfigDict(json_schema_extra=_value_follows_scheme)

    scheme: IdentifierScheme
    value: Annotated[str, StringConstraints(min_length=1, max_length=64), Tidy]

    @model_validator(mode="after")
    def _check_digits(self) -> HolderIdentifier:
        normalised = validate_identifier(self.scheme, self.value)
        if normalised != self.value:
            # Signed bytes are never rewritten: a value must already be in its normal form.
            raise ValueError(f"{self.scheme} value must be written as {normalised}")
        return self


class Holder(Part):
    name: Text
    names: Names | None = None
    identifiers: Annotated[list[HolderIdentifier], Field(max_length=20)] = Field(default_factory=list)
    country: CountryCode


class Product(Part):
    name: Text
    brand: Text | None = None
    model: ModelPattern | None = None
    gtin: Gtin | None = None


class CategoryReference(Part):
    code: CategoryCode
    criteria_version: CategoryCode = Field(alias="criteriaVersion")


class ProductionSite(Part):
    name: Text
    country: CountryCode
    address: Text | None = None
    gln: Gln | None = None


# An http(s) URL in RFC 3986 characters, with a host; WHATWG parsers would also repair spaces, backslashes
# and Unicode hosts, which a signed document must not need.
URL_PATTERN: Final = (
    r"^[hH][tT][tT][pP][sS]?://(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+(?::[0-9]{1,5})?"
    r"(?:[/?#](?:[A-Za-z0-9._~!$&'()*+,;=:@/?#-]|%[0-9A-Fa-f]{2})*)?$"
)


def _plain_url(value: object) -> object:
    if isinstance(value, str) and (len(value) > 2083 or not re.match(URL_PATTERN, value)):
        raise ValueError("an http(s) URL with a host, in RFC 3986 characters (percent-encode the rest)")
    return value


class Evidence(Part):
    register_url: (
        Annotated[
            AnyHttpUrl,
            BeforeValidator(_plain_url),
            WithJsonSchema({"type": "string", "format": "uri", "pattern": URL_PATTERN, "maxLength": 2083}),
        ]
        | None
    ) = Field(default=None, alias="registerUrl")
    document_sha256: Sha256Hex | None = Field(default=None, alias="documentSha256")


class StatusEntry(Part):
    """A `BitstringStatusListEntry` (W3C Bitstring Status List v1.0 §2.1) pointing into a registry's list."""

    id: Annotated[str, StringConstraints(max_length=600)] | None = None
    type: Literal["BitstringStatusListEntry"]
    status_purpose: Literal["revocation", "suspension"] = Field(alias="statusPurpose")
    # §2.1: an integer >= 0 written as a string; without leading zeros, so that one index has one spelling.
    # The schema says what `verification.status_list.status_entries` then checks: below LIST_SIZE (131,072).
    status_list_index: Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,9})$")] = Field(
        alias="statusListIndex",
        json_schema_extra={"pattern": r"^(?:0|[1-9][0-9]{0,4}|1[0-2][0-9]{4}|130[0-9]{3}|1310[0-6][0-9]|13107[01])$"},
    )
    status_list_credential: Annotated[str, StringConstraints(pattern=r"^https?://[!-~]+$", max_length=500)] = Field(
        alias="statusListCredential"
    )
    status_size: Annotated[Literal[1], JsonNumber] | None = Field(default=None, alias="statusSize")


class CertificateSubject(Part):
    type: Literal["EcoLabelLicence"] = "EcoLabelLicence"
    licence_number: LicenceNumber = Field(alias="licenceNumber")
    holder: Holder
    products: Annotated[list[Product], Field(min_length=1, max_length=5000)]
    category: CategoryReference
    markets: Annotated[list[CountryCode], Field(max_length=250)] = Field(default_factory=list)
    production_sites: Annotated[list[ProductionSite], Field(max_length=100)] = Field(
        default_factory=list, alias="productionSites"
    )
    evidence: Evidence | None = None


def _no_purpose_twice(schema: dict[str, Any]) -> None:
    listed = next(option for option in schema["anyOf"] if option.get("type") == "array")
    listed["not"] = {
        "anyOf": [
            {"minItems": 2, "items": {"properties": {"statusPurpose": {"const": purpose}}}}
            for purpose in ("revocation", "suspension")
        ]
    }


def _jwt_claims(schema: dict[str, Any]) -> None:
    """The registered JWT claims a credential may carry (`verification.claims`), as far as types go."""
    numeric_date = {"type": "number", "description": "NumericDate (RFC 7519 §2)"}
    schema["properties"] |= {
        "iss": {"type": "string", "description": "when present, the issuer's id"},
        "nbf": numeric_date | {"description": "when present, validFrom in POSIX seconds"},
        "exp": numeric_date | {"description": "when present, validUntil in POSIX seconds"},
        "iat": numeric_date,
        "jti": {"type": "string", "description": "when present, the credential's id"},
        "sub": False,  # the subject has no id for it to agree with
    }
    schema["dependentSchemas"] = {"jti": {"required": ["id"], "properties": {"id": {"type": "string"}}}}


class EcoLabelCertificate(Payload):
    """A programme's licence as a verifiable credential; `issuer` is urn:ecolabel:programme:<slug>."""

    model_config = ConfigDict(json_schema_extra=_jwt_claims)

    context: Annotated[list[str], Field(min_length=1, max_length=10)] = Field(
        alias="@context", json_schema_extra={"prefixItems": [{"const": VC_CONTEXT}]}
    )
    type: Annotated[list[str], Field(min_length=2, max_length=10)] = Field(
        json_schema_extra={
            "allOf": [{"contains": {"const": "VerifiableCredential"}}, {"contains": {"const": CERTIFICATE_TYPE}}]
        }
    )
    id: Annotated[str, StringConstraints(max_length=500)] | None = None
    issuer: ProgrammeIssuerId | IssuerObject
    valid_from: Timestamp = Field(alias="validFrom")
    valid_until: Timestamp = Field(alias="validUntil")
    supersedes: CertificateId | None = Field(
        default=None, description="the certificate id (SHA-256 of the credential) this one re-issues"
    )
    credential_subject: CertificateSubject = Field(alias="credentialSubject")
    credential_status: StatusEntry | Annotated[list[StatusEntry], Field(min_length=1, max_length=2)] | None = Field(
        default=None,
        alias="credentialStatus",
        description="where the certificate's status is published",
        json_schema_extra=_no_purpose_twice,
    )

    @field_validator("context")
    @classmethod
    def _vc2_context_first(cls, context: list[str]) -> list[str]:
        if context[0] != VC_CONTEXT:
            raise ValueError(f"@context must start with {VC_CONTEXT} (VC Data Model 2.0 §4.3)")
        return context

    @field_validator("type")
    @classmethod
    def _typed_as_certificate(cls, types: list[str]) -> list[str]:
        if "VerifiableCredential" not in types or CERTIFICATE_TYPE not in types:
            raise ValueError(f'type must include "VerifiableCredential" and "{CERTIFICATE_TYPE}"')
        return types

    @model_validator(mode="after")
    def _validity_is_a_period(self) -> EcoLabelCertificate:
        if self.valid_until <= self.valid_from:
            raise ValueError("validUntil must be later than validFrom")
        return self

    @property
    def status_entries(self) -> list[StatusEntry]:
        """`credentialStatus` as a list (VC 2.0 §4.10 allows one entry or several)."""
        if self.credential_status is None:
            return []
        return [self.credential_status] if isinstance(self.credential_status, StatusEntry) else self.credential_status

    @property
    def issuer_id(self) -> str:
        """The issuer's identifier, whether `issuer` is a string or an object (VC 2.0 §4.7)."""
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id

    @cached_property
    def programme_id(self) -> str:
        # Worked out once per payload (it is frozen): a submission asks it about eight times per credential.
        programme = programme_of_issuer(self.issuer_id)
        if programme is None:  # unreachable: the issuer pattern guarantees the prefix
            raise ValueError("issuer is not a programme URN")
        return programme
