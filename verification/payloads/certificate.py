"""The `EcoLabelCertificate` profile of a W3C Verifiable Credential 2.0 (secured as VC-JOSE-COSE JWS)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, StringConstraints, field_validator, model_validator

from verification.did import PROGRAMME_DID_PATTERN
from verification.identifiers import CountryCode, Gln, Gtin, IdentifierScheme, Tidy, validate_identifier
from verification.payloads.common import (
    CertificateId,
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
LicenceNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./_:#()-]{0,63}$"), Tidy]
# A model designation may end in one '*' where a programme licenses a model series ("X-100*").
ModelPattern = Annotated[str, StringConstraints(pattern=r"^[^*]{1,100}\*?$"), Tidy]
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


class HolderIdentifier(Part):
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


class Evidence(Part):
    register_url: AnyHttpUrl | None = Field(default=None, alias="registerUrl")
    document_sha256: Sha256Hex | None = Field(default=None, alias="documentSha256")


class StatusEntry(Part):
    """A `BitstringStatusListEntry` (W3C Bitstring Status List v1.0 §2.1) pointing into a registry's list."""

    id: Annotated[str, StringConstraints(max_length=600)] | None = None
    type: Literal["BitstringStatusListEntry"]
    status_purpose: Literal["revocation", "suspension"] = Field(alias="statusPurpose")
    # §2.1: an integer >= 0 written as a string; without leading zeros, so that one index has one spelling.
    status_list_index: Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,9})$")] = Field(
        alias="statusListIndex"
    )
    status_list_credential: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)] = Field(
        alias="statusListCredential"
    )
    status_size: Literal[1] | None = Field(default=None, alias="statusSize")


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


class EcoLabelCertificate(Payload):
    """A programme's licence as a verifiable credential; `issuer` is urn:ecolabel:programme:<slug>."""

    context: Annotated[list[str], Field(min_length=1, max_length=10)] = Field(alias="@context")
    type: Annotated[list[str], Field(min_length=2, max_length=10)]
    id: Annotated[str, StringConstraints(max_length=500)] | None = None
    issuer: ProgrammeIssuerId | IssuerObject
    valid_from: Timestamp = Field(alias="validFrom")
    valid_until: Timestamp = Field(alias="validUntil")
    supersedes: CertificateId | None = Field(
        default=None, description="the certificate id (SHA-256 of the credential) this one re-issues"
    )
    credential_subject: CertificateSubject = Field(alias="credentialSubject")
    credential_status: StatusEntry | Annotated[list[StatusEntry], Field(min_length=1, max_length=2)] | None = Field(
        default=None, alias="credentialStatus", description="where the certificate's status is published"
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

    @property
    def programme_id(self) -> str:
        programme = programme_of_issuer(self.issuer_id)
        if programme is None:  # unreachable: the issuer pattern guarantees the prefix
            raise ValueError("issuer is not a programme URN")
        return programme
