"""The status proof's response shape (docs/VERIFIABLE-MAP.md §5.2; the bytes are FORMATS §1.10)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from verification.status_proof import StatusProof


class ChainHeadOut(BaseModel):
    """The map's value for a certificate: where its status chain ends."""

    model_config = ConfigDict(frozen=True)

    v: Literal[1]
    certificate_leaf: int = Field(description="leaf index of the credential")
    sequence: int = Field(description="sequence number of the latest status event; 0 when there is none")
    head_sha256: str = Field(description="hex SHA-256 of the latest event's JWS; the certificate id when sequence is 0")
    head_leaf: int = Field(description="leaf index of that event; the credential's when sequence is 0")


class MapLeafOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str = Field(description="hex certificate id of the entry where the path ends")
    value_sha256: str = Field(description="hex SHA-256 of that entry's chain-head value (RFC 8785 JSON)")


class MapProofOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    leaf: MapLeafOut | None = Field(description="the entry the certificate id's path ends at; null: an empty subtree")
    siblings: list[str] = Field(description="base64 sibling hashes from the deepest level up; 32 zero bytes if empty")


class MapRootOut(BaseModel):
    """The logged `status_map` document: the map of the log's leaves [0, log_size)."""

    model_config = ConfigDict(frozen=True)

    v: Literal[1]
    log_size: int = Field(description="the leaves the map reflects; also this document's own leaf index")
    entries: int = Field(description="certificates in the map")
    root: str = Field(description="hex map root")


class MapLeafInclusionOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    leaf_index: int = Field(description="the status_map leaf: the checkpoint's last leaf")
    integrated_at: str = Field(description="its log time, UTC with microseconds")
    inclusion_proof: list[str] = Field(description="base64 node hashes, RFC 9162 §2.1.3")


class StatusProofOut(BaseModel):
    """As of `checkpoint`, the certificate's status chain ends at `head` (null: no such certificate).

    Check it offline with `ecolabel-verify status-proof`."""

    model_config = ConfigDict(frozen=True)

    certificate_id: str
    head: ChainHeadOut | None
    map_proof: MapProofOut
    map_root: MapRootOut
    map_leaf: MapLeafInclusionOut
    checkpoint: str = Field(description="signed checkpoint (C2SP signed note) whose last leaf is the map root")

    @classmethod
    def of(cls, proof: StatusProof) -> StatusProofOut:
        return cls.model_validate(proof.to_json())
