"""Table models. These are storage, not payloads: signed documents are kept as the exact bytes received.

Every table is created by an alembic migration (`migrations/versions`); `tests/registry/test_migrations.py`
runs `alembic check` so that these classes and the migrations cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    false,
    true,
)
from sqlmodel import Field, SQLModel


class LogState(SQLModel, table=True):
    """The head of the transparency log: one row, locked by every append (see log.repository)."""

    __tablename__ = "log_state"

    id: int = Field(default=1, primary_key=True)
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    # The right frontier: roots of the perfect subtrees that make up the tree, largest first,
    # concatenated (32 bytes each). Appends and the new root need no other read (RFC 9162 §2.1.1).
    frontier: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    last_integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    checkpoint: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class LogEntry(SQLModel, table=True):
    """One leaf: the exact document bytes, its kind and the registry's integration time."""

    __tablename__ = "log_entries"
    __table_args__ = (
        Index("ix_log_entries_leaf_hash", "leaf_hash"),
        Index("ix_log_entries_document_sha256", "document_sha256"),
        Index("ix_log_entries_kind_leaf", "kind", "leaf_index"),  # recognition.compiled: newest leaf per kind
    )

    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    document_sha256: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class LogNode(SQLModel, table=True):
    """The root of a complete, aligned subtree: leaves [idx·2^level, (idx+1)·2^level); level 0 is a leaf.

    Proofs read only this table, so the tree does not depend on the entries' own leaf_hash column.
    """

    __tablename__ = "log_nodes"

    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class StatusMapNode(SQLModel, table=True):
    """A row of the status map (docs/VERIFIABLE-MAP.md §6): a node, or a leaf at its collapsed depth.

    `position` is ``(1 << depth) | prefix`` in its fewest big-endian bytes; a leaf row also holds its
    certificate id and the SHA-256 of its chain-head value.
    """

    __tablename__ = "status_map_nodes"

    position: bytes = Field(sa_column=Column(LargeBinary(33), primary_key=True))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    leaf_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary(32), nullable=True))
    value_sha256: bytes | None = Field(default=None, sa_column=Column(LargeBinary(32), nullable=True))


class StatusMapState(SQLModel, table=True):
    """One row: whether the registry keeps the map, how many certificates it holds, how many log leaves
    it reflects (the index of the latest `status_map` leaf)."""

    __tablename__ = "status_map_state"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    entries: int = Field(sa_column=Column(BigInteger, nullable=False))
    log_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    enabled: bool = Field(sa_column=Column(Boolean, nullable=False))


class Programme(SQLModel, table=True):
    """An eco-label programme (ISO 14024 Type I body) registered by the operator: a trust root."""

    __tablename__ = "programmes"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    names: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    countries: list[str] = Field(sa_column=Column(JSON, nullable=False))
    website: str | None = Field(default=None, sa_column=Column(String(2048), nullable=True))
    gen_member: bool = Field(sa_column=Column(Boolean, nullable=False))
    accreditation_notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    registered_leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    registered_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    # How many root keys must approve each key event (verification.keys.KeyRing).
    root_threshold: int = Field(sa_column=Column(Integer, nullable=False, server_default="1"))


class ProgrammeKey(SQLModel, table=True):
    """One public key of a programme; its status follows from the log times below (verification.keys)."""

    __tablename__ = "programme_keys"

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    kid: str = Field(sa_column=Column(String(128), primary_key=True))
    public_key: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    added_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))
    ended_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    compromised_since_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Roles (TUF's root/online split): a root key authorises key events, a signing key signs documents.
    # Both are true only for a key registered before roots existed.
    root: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=false()))
    signing: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=true()))


class KeyEventRow(SQLModel, table=True):
    """A key event of a programme in its sequence, or the operator's recovery (`action` "recover").

    `leaf_index` is the event document's leaf; an event that waited for approvals took effect later.
    """

    __tablename__ = "key_events"

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    sequence: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    kid: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))


class ProposedEvent(SQLModel, table=True):
    """A key event or agreement event that waits for approvals before it joins its chain.

    `subject` is the programme (key events) or the agreement (agreement events). A proposal whose
    `sequence` another event took first is stale: it can never complete (verification.keys,
    verification.agreements).
    """

    __tablename__ = "proposed_events"
    __table_args__ = (Index("ix_proposed_events_subject", "kind", "subject", "sequence"),)

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    subject: str = Field(sa_column=Column(String(64), nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    applied_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ProposalApproval(SQLModel, table=True):
    """One signer's approval of a proposal: a root kid (key events) or a party (agreement events).

    The proposer's own signature is recorded too, with the proposal's leaf left out (`leaf_index` null).
    """

    __tablename__ = "proposal_approvals"

    proposal_sha256: str = Field(sa_column=Column(String(64), ForeignKey("proposed_events.sha256"), primary_key=True))
    signer: str = Field(sa_column=Column(String(128), primary_key=True))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    leaf_index: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=True, unique=True)
    )
    signed_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class Category(SQLModel, table=True):
    """One criteria version of a programme's category, as the programme signed it."""

    __tablename__ = "categories"

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    code: str = Field(sa_column=Column(String(64), primary_key=True))
    criteria_version: str = Field(sa_column=Column(String(64), primary_key=True))
    names: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    criteria_id: str = Field(sa_column=Column(String(100), nullable=False))
    valid_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    transition_end_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))


class CategoryCode(SQLModel, table=True):
    """A crosswalk code (CPV, China procurement item, HS) of a category version, for lookups by code."""

    __tablename__ = "category_codes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["programme_id", "code", "criteria_version"],
            ["categories.programme_id", "categories.code", "categories.criteria_version"],
        ),
        Index("ix_category_codes_scheme_value", "scheme", "value"),
    )

    programme_id: str = Field(sa_column=Column(String(64), primary_key=True))
    code: str = Field(sa_column=Column(String(64), primary_key=True))
    criteria_version: str = Field(sa_column=Column(String(64), primary_key=True))
    scheme: str = Field(sa_column=Column(String(16), primary_key=True))
    value: str = Field(sa_column=Column(String(32), primary_key=True))


class Certificate(SQLModel, table=True):
    """Index columns of one credential; the credential's exact bytes are its log entry's document."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_programme_licence", "programme_id", "licence_number"),
        Index("ix_certificates_programme_category", "programme_id", "category_code"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), nullable=False))
    licence_number: str = Field(sa_column=Column(String(64), nullable=False))
    category_code: str = Field(sa_column=Column(String(64), nullable=False))
    criteria_version: str = Field(sa_column=Column(String(64), nullable=False))
    holder_name: str = Field(sa_column=Column(String(500), nullable=False))
    holder_country: str = Field(sa_column=Column(String(2), nullable=False))
    valid_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_until_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    signing_kid: str = Field(sa_column=Column(String(128), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    supersedes: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("certificates.id"), nullable=True)
    )
    superseded_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # The head of the status-event chain, kept with the row so that appending an event reads one row.
    event_count: int = Field(sa_column=Column(Integer, nullable=False))
    last_event_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    lifecycle: str = Field(sa_column=Column(String(16), nullable=False))
    # ISO 3166 codes the licence covers; empty when the credential names none (an unknown market).
    markets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class CertificateProduct(SQLModel, table=True):
    __tablename__ = "certificate_products"
    __table_args__ = (Index("ix_certificate_products_gtin", "gtin"),)

    certificate_id: str = Field(sa_column=Column(String(64), ForeignKey("certificates.id"), primary_key=True))
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    name: str = Field(sa_column=Column(String(500), nullable=False))
    brand: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    model: str | None = Field(default=None, sa_column=Column(String(101), nullable=True))
    gtin: str | None = Field(default=None, sa_column=Column(String(14), nullable=True))


class CertificateHolderId(SQLModel, table=True):
    __tablename__ = "certificate_holder_ids"
    __table_args__ = (Index("ix_certificate_holder_ids_value", "value", "scheme"),)

    certificate_id: str = Field(sa_column=Column(String(64), ForeignKey("certificates.id"), primary_key=True))
    scheme: str = Field(sa_column=Column(String(16), primary_key=True))
    value: str = Field(sa_column=Column(String(64), primary_key=True))


class CertificateEvent(SQLModel, table=True):
    """One status event of a certificate, in its chain position (the document is its log entry)."""

    __tablename__ = "certificate_events"

    certificate_id: str = Field(sa_column=Column(String(64), ForeignKey("certificates.id"), primary_key=True))
    sequence: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    effective_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    valid_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    signing_kid: str = Field(sa_column=Column(String(128), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class AgreementRow(SQLModel, table=True):
    """Index columns of a mutual-recognition agreement; its exact signed bytes are its log entry's document."""

    __tablename__ = "agreements"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    issuer_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), nullable=False))
    title: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    agreement_type: str = Field(sa_column=Column(String(32), nullable=False))
    effective_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    effective_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    onward_recognition: bool = Field(sa_column=Column(Boolean, nullable=False))
    signing_kid: str = Field(sa_column=Column(String(128), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The head of the event chain, kept with the row so that appending an event reads one row.
    event_count: int = Field(sa_column=Column(Integer, nullable=False))
    last_event_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class AgreementParty(SQLModel, table=True):
    """A party to an agreement and, once it signed, its signature (the proposer's is the agreement itself)."""

    __tablename__ = "agreement_parties"
    __table_args__ = (Index("ix_agreement_parties_programme", "programme_id", "agreement_id"),)

    agreement_id: str = Field(sa_column=Column(String(64), ForeignKey("agreements.id"), primary_key=True))
    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    signed_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    signing_kid: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    signature_sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    leaf_index: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=True)
    )


class AgreementEventRow(SQLModel, table=True):
    """One signed event of an agreement, in its chain position (the document is its log entry)."""

    __tablename__ = "agreement_events"

    agreement_id: str = Field(sa_column=Column(String(64), ForeignKey("agreements.id"), primary_key=True))
    sequence: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    change: str = Field(sa_column=Column(String(16), nullable=False))
    effective_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    effective_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    issuer_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    signing_kid: str = Field(sa_column=Column(String(128), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class LogCheckpoint(SQLModel, table=True):
    """Every checkpoint the registry signed, by tree size: receipts can always be reproduced exactly."""

    __tablename__ = "log_checkpoints"

    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    note: str = Field(sa_column=Column(Text, nullable=False))


class LogCosignature(SQLModel, table=True):
    """A witness's cosignature of the checkpoint of one tree size (C2SP tlog-cosignature, cosignature/v1).

    `signature` is the note signature after the key ID: the 8-byte timestamp and the Ed25519 signature.
    """

    __tablename__ = "log_cosignatures"
    __table_args__ = (Index("ix_log_cosignatures_witness", "key_name", "key_id", "tree_size"),)

    tree_size: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_checkpoints.tree_size"), primary_key=True, autoincrement=False)
    )
    key_name: str = Field(sa_column=Column(String(256), primary_key=True))
    key_id: bytes = Field(sa_column=Column(LargeBinary(4), primary_key=True))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))


# --- Supply chain ----------------------------------------------------------------------------------
# Every row below was created by a logged write: `leaf_index` names the log entry that holds the exact
# request body (a `supply_chain` leaf, public only as its SHA-256 commitment). Times are integer
# microseconds since the Unix epoch, UTC, like every other table.


class Organisation(SQLModel, table=True):
    """A party of a supply chain, registered by the operator."""

    __tablename__ = "organisations"

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    country: str = Field(sa_column=Column(String(2), nullable=False))
    names: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class OrganisationIdentifier(SQLModel, table=True):
    """One validated identifier; (scheme, value) names at most one organisation."""

    __tablename__ = "organisation_identifiers"
    __table_args__ = (Index("ix_organisation_identifiers_organisation", "organisation_id"),)

    scheme: str = Field(sa_column=Column(String(16), primary_key=True))
    value: str = Field(sa_column=Column(String(64), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))


class Facility(SQLModel, table=True):
    __tablename__ = "facilities"
    __table_args__ = (Index("ix_facilities_organisation", "organisation_id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    name: str = Field(sa_column=Column(String(500), nullable=False))
    address: str = Field(sa_column=Column(String(1000), nullable=False))
    country: str = Field(sa_column=Column(String(2), nullable=False))
    latitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    longitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    gln: str | None = Field(default=None, sa_column=Column(String(13), nullable=True, unique=True))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class SupplyProduct(SQLModel, table=True):
    """A trade item of an organisation, by GTIN (normalised to 14 digits, as certificate_products)."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_organisation", "organisation_id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    name: str = Field(sa_column=Column(String(500), nullable=False))
    gtin: str = Field(sa_column=Column(String(14), nullable=False, unique=True))
    model: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    category: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))


class SupplyLink(SQLModel, table=True):
    """supplier -> buyer for a product (GTIN) or a material, declared by the buyer.

    `id` is the hex SHA-256 of the declaration's exact bytes. `event_count`/`last_document_sha256` are the
    head of the link's event chain (confirmations, disputes), as for certificate status events.
    """

    __tablename__ = "supply_links"
    __table_args__ = (
        # Upstream traversal reads links by buyer and date; impact reads them by supplier and by GTIN.
        Index("ix_supply_links_buyer", "buyer_id", "valid_from_us"),
        Index("ix_supply_links_supplier", "supplier_id", "valid_from_us"),
        Index("ix_supply_links_gtin", "gtin"),
    )

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    buyer_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    supplier_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    supplier_facility_id: str | None = Field(
        default=None, sa_column=Column(String(36), ForeignKey("facilities.id"), nullable=True)
    )
    gtin: str | None = Field(default=None, sa_column=Column(String(14), nullable=True))
    material: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    share: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    volume: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    unit: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    valid_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_to_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    evidence: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    # Kept beside the JSON so that chain answers and audits never decode it (the hot path).
    evidence_count: int = Field(sa_column=Column(Integer, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    state_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    occurred_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )
    event_count: int = Field(sa_column=Column(Integer, nullable=False))
    last_document_sha256: str = Field(sa_column=Column(String(64), nullable=False))


class SupplyLinkEvent(SQLModel, table=True):
    """A confirmation or dispute by the supplier, in its chain position."""

    __tablename__ = "supply_link_events"

    link_id: str = Field(sa_column=Column(String(64), ForeignKey("supply_links.id"), primary_key=True))
    sequence: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    occurred_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    recorded_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )


class OrganisationToken(SQLModel, table=True):
    """An API token of an organisation: only the SHA-256 of its secret part is stored."""

    __tablename__ = "organisation_tokens"
    __table_args__ = (Index("ix_organisation_tokens_organisation", "organisation_id"),)

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    secret_sha256: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    label: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    revoked_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )


class AuditorGrant(SQLModel, table=True):
    """`organisation_id` lets `auditor_id` read its supply chain from `valid_from_us` until `valid_until_us`."""

    __tablename__ = "auditor_grants"
    __table_args__ = (Index("ix_auditor_grants_auditor", "auditor_id", "organisation_id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    auditor_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    valid_from_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_until_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False, unique=True)
    )


class SupplyDocument(SQLModel, table=True):
    """Who may read a logged supply-chain document: readers of `organisation_id`'s chain, and `party_id`."""

    __tablename__ = "supply_documents"
    __table_args__ = (Index("ix_supply_documents_subject", "subject_id"),)

    leaf_index: int = Field(
        sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), primary_key=True, autoincrement=False)
    )
    action: str = Field(sa_column=Column(String(32), nullable=False))
    organisation_id: str = Field(sa_column=Column(String(36), ForeignKey("organisations.id"), nullable=False))
    party_id: str | None = Field(default=None, sa_column=Column(String(36), nullable=True))
    subject_id: str = Field(sa_column=Column(String(64), nullable=False))


class Subscriber(SQLModel, table=True):
    """A subscriber credential the operator issued (`els_<id>_<secret>`): only the SHA-256 of the secret."""

    __tablename__ = "subscribers"

    id: str = Field(sa_column=Column(String(16), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    secret_sha256: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class Subscription(SQLModel, table=True):
    """A watchlist entry: status changes of a certificate, a holder's certificates, or a programme's.

    `owner` is who created it (`operator`, `organisation:<id>` or `subscriber:<id>`): only the owner and
    the operator may read or end it. It watches events logged from `from_leaf_index` on.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_watch_target", "watch", "target"),
        Index("ix_subscriptions_owner", "owner", "id"),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    owner: str = Field(sa_column=Column(String(64), nullable=False))
    callback_url: str = Field(sa_column=Column(String(2048), nullable=False))
    watch: str = Field(sa_column=Column(String(16), nullable=False))
    target: str = Field(sa_column=Column(String(128), nullable=False))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    from_leaf_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    active: bool = Field(sa_column=Column(Boolean, nullable=False))


class WebhookCursor(SQLModel, table=True):
    """How far the worker has matched the log against subscriptions: one row.

    Moved in the same transaction as the outbox rows it stands for, so that a crash can neither drop
    a delivery (cursor ahead of its rows) nor make one twice (rows without the cursor). `version` goes
    up with every move and every new subscription: a matching pass commits only if it is unchanged
    since the pass read it, so no pass can skip a subscription created while it ran.
    """

    __tablename__ = "webhook_cursor"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    next_leaf_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    version: int = Field(sa_column=Column(BigInteger, nullable=False))


class OutboxDelivery(SQLModel, table=True):
    """A webhook to deliver, written by the worker's matching step together with its cursor (never lost)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_us"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    subscription_id: str = Field(sa_column=Column(String(32), ForeignKey("subscriptions.id"), nullable=False))
    idempotency_key: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    event_leaf_index: int = Field(sa_column=Column(BigInteger, ForeignKey("log_entries.leaf_index"), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(sa_column=Column(Integer, nullable=False))
    next_attempt_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    lease_until_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    delivered_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempts"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    outbox_id: int = Field(sa_column=Column(BigInteger, ForeignKey("outbox.id"), nullable=False, index=True))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    at_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class IntegrityCheck(SQLModel, table=True):
    """The last check of the tables against a replay of the log (`ecolabel-registry fsck`): one row.

    Shared by every API process: a divergence any of them (or the operator's `fsck`) finds degrades them
    all, and only a clean `ecolabel-registry fsck` run by the operator clears it (docs/DEPLOYMENT.md).
    """

    __tablename__ = "integrity_checks"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    verified_tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    checked_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    divergence: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    diverged_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class StatusListEntry(SQLModel, table=True):
    """A certificate's slot in one of its programme's Bitstring Status Lists, as its credential claims it.

    The primary key makes a slot one certificate's: a second credential naming it is refused
    (`STATUS_INDEX_TAKEN`). The bits themselves are derived from the status chains when a list is served.
    """

    __tablename__ = "status_list_entries"
    __table_args__ = (Index("ix_status_list_entries_certificate", "certificate_id"),)

    programme_id: str = Field(sa_column=Column(String(64), ForeignKey("programmes.id"), primary_key=True))
    purpose: str = Field(sa_column=Column(String(16), primary_key=True))
    list_number: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    list_index: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    certificate_id: str = Field(sa_column=Column(String(64), ForeignKey("certificates.id"), nullable=False))


# --- Open data ---------------------------------------------------------------------------------------
# Certificate counts precomputed per checkpoint (ecolabel_registry.statistics): a cache of the log like
# every other table, refreshed from the leaves the log added since `statistics_state.tree_size`.


class StatisticsState(SQLModel, table=True):
    """The checkpoint the statistics tables reflect: one row, moved by compare-and-set (statistics.refresh)."""

    __tablename__ = "statistics_state"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    integrated_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The last year any change falls in: every key's yearly totals run densely up to it.
    horizon_year: int = Field(sa_column=Column(Integer, nullable=False))


class StatisticsDaily(SQLModel, table=True):
    """The net change, on `day` (days since 1970-01-01), of the certificates counted under one key."""

    __tablename__ = "statistics_daily"
    __table_args__ = (Index("ix_statistics_daily_dimension_day", "dimension", "day", "value", "status", "delta"),)

    dimension: str = Field(sa_column=Column(String(32), primary_key=True))
    value: str = Field(sa_column=Column(String(400), primary_key=True))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    day: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    delta: int = Field(sa_column=Column(BigInteger, nullable=False))


class StatisticsMonthly(SQLModel, table=True):
    """The net change in `month` (months since January 1970) of the certificates counted under one key."""

    __tablename__ = "statistics_monthly"
    __table_args__ = (Index("ix_statistics_monthly_dimension_month", "dimension", "month", "value", "status", "delta"),)

    dimension: str = Field(sa_column=Column(String(32), primary_key=True))
    value: str = Field(sa_column=Column(String(400), primary_key=True))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    month: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    delta: int = Field(sa_column=Column(BigInteger, nullable=False))


class StatisticsYearly(SQLModel, table=True):
    """The count under one key at the end of `year` (years since 1970), dense per key up to the horizon."""

    __tablename__ = "statistics_yearly"
    __table_args__ = (Index("ix_statistics_yearly_dimension_year", "dimension", "year", "value", "status", "total"),)

    dimension: str = Field(sa_column=Column(String(32), primary_key=True))
    value: str = Field(sa_column=Column(String(400), primary_key=True))
    status: str = Field(sa_column=Column(String(16), primary_key=True))
    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    total: int = Field(sa_column=Column(BigInteger, nullable=False))
