"""Signed payload types: frozen, validated on construction, with a published JSON Schema.

These are the documents programmes sign (certificates, status events, key events, category
definitions, mutual-recognition agreements with their signatures and events). They are not tables
and not API request bodies: the registry stores the exact signed bytes and parses them with these
types, and an offline verifier parses them with the same types.
"""

from verification.payloads.agreement import (
    Agreement,
    AgreementType,
    CategoryScope,
    CriteriaVersions,
    Recognition,
    ScopeMapping,
    SupplementaryCriterion,
)
from verification.payloads.agreement_events import (
    AgreementChange,
    AgreementEvent,
    AgreementEventApproval,
    AgreementSignature,
)
from verification.payloads.category import CategoryDefinition, CriteriaDocument, Crosswalk
from verification.payloads.certificate import (
    CategoryReference,
    CertificateSubject,
    EcoLabelCertificate,
    Evidence,
    Holder,
    HolderIdentifier,
    Product,
    ProductionSite,
)
from verification.payloads.common import ROOT_SIGNED, TYP, Timestamp, issuer_for, programme_of_issuer
from verification.payloads.events import (
    CertificateStatusEvent,
    KeyAction,
    KeyEvent,
    KeyEventApproval,
    KeyRole,
    StatusChange,
)
from verification.payloads.recovery import ProgrammeRecovery

__all__ = [
    "ROOT_SIGNED",
    "TYP",
    "Agreement",
    "AgreementChange",
    "AgreementEvent",
    "AgreementEventApproval",
    "AgreementSignature",
    "AgreementType",
    "CategoryDefinition",
    "CategoryReference",
    "CategoryScope",
    "CertificateStatusEvent",
    "CertificateSubject",
    "CriteriaDocument",
    "CriteriaVersions",
    "Crosswalk",
    "EcoLabelCertificate",
    "Evidence",
    "Holder",
    "HolderIdentifier",
    "KeyAction",
    "KeyEvent",
    "KeyEventApproval",
    "KeyRole",
    "Product",
    "ProductionSite",
    "ProgrammeRecovery",
    "Recognition",
    "ScopeMapping",
    "StatusChange",
    "SupplementaryCriterion",
    "Timestamp",
    "issuer_for",
    "programme_of_issuer",
]
