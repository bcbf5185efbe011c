"""Response shapes for categories."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecolabel_registry.schemas import ReceiptOut


class CategoryOut(BaseModel):
    programme_id: str
    code: str
    criteria_version: str
    criteria_id: str
    names: dict[str, str]
    valid_from: str
    valid_until: str | None
    transition_end: str | None = Field(description="licences on this criteria version lapse after this instant")
    crosswalk: dict[str, list[str]] = Field(description="cpv, cn_procurement and hs codes")
    leaf_index: int
    document: str = Field(description="the signed category definition (JWS) as the programme sent it")


class CategoryDefined(BaseModel):
    category: CategoryOut
    receipt: ReceiptOut
    created: bool


class CategoryList(BaseModel):
    items: list[CategoryOut]


class SignedCategory(BaseModel):
    category: str = Field(description="a CategoryDefinition signed as a compact JWS (typ ecolabel-category+jwt)")
