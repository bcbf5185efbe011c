"""Request and response types of the bulk-download API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from verification.dump import DumpManifest


class CreateDump(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: int | None = Field(
        default=None, ge=0, description="only what leaves from this index on added or changed (incremental)"
    )


class DumpFileOut(BaseModel):
    path: str
    url: str
    dataset: str
    media_type: str
    rows: int
    bytes: int
    sha256: str


class DumpOut(BaseModel):
    name: str
    tree_size: int = Field(description="the checkpoint the dump was read at")
    since: int | None
    created_at: str
    manifest_url: str = Field(description="the signed manifest (compact JWS); check with `ecolabel-verify dump`")
    files: list[DumpFileOut]

    @classmethod
    def of(cls, name: str, manifest: DumpManifest, base: str) -> DumpOut:
        return cls(
            name=name,
            tree_size=manifest.tree_size,
            since=manifest.since,
            created_at=manifest.created_at,
            manifest_url=f"{base}/{name}/manifest.jws",
            files=[DumpFileOut(**f.model_dump(), url=f"{base}/{name}/{f.path}") for f in manifest.files],
        )


class DumpList(BaseModel):
    items: list[DumpOut] = Field(description="newest first")
