"""Small request/response types shared by several domains (receipts, pages)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from verification.leaf import DocumentKind
from verification.receipt import Receipt

LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=2, max_length=64)]


class ReceiptOut(BaseModel):
    """Proof that the registry logged a document: check it offline with `ecolabel-verify receipt`."""

    model_config = ConfigDict(frozen=True)

    leaf_index: int
    kind: DocumentKind
    integrated_at: str = Field(description="the registry's log time, UTC with microseconds")
    leaf_hash: str = Field(description="base64 RFC 9162 leaf hash")
    checkpoint: str = Field(description="signed checkpoint (C2SP signed note) of a tree that includes the leaf")
    inclusion_proof: list[str] = Field(description="base64 node hashes, RFC 9162 §2.1.3")

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptOut:
        return cls.model_validate(receipt.to_dict())
