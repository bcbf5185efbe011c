"""Bulk downloads of the registry's public data, checked offline against the manifest the registry signed.

A download is a directory: data files (CSV and JSON Lines per dataset) and `manifest.jws`, a compact JWS
by the registry's key (the key of its checkpoints and decisions, in its JWKS) over a JSON manifest that
names the checkpoint the data was read at and each file's SHA-256 and size:

    report = verify_dump(Path("dump-000000001234"), registry_key)  # verification.client.dumps
    print(report.checkpoint.tree_size, [f.path for f in report.files])

The checkpoint is verified as a signed note of the same key, so the tree size and root hash a download
names are the registry's own. Any file that is missing, altered or not in the manifest fails the check;
`check_dump` names every such file, not only the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verification.checkpoint import Checkpoint, verify_checkpoint
from verification.errors import DumpInvalid, MalformedInput
from verification.jwk import PublicKey
from verification.jws import verify_compact
from verification.note import NoteVerifier
from verification.strictjson import loads_strict

MANIFEST_NAME = "manifest.jws"
MANIFEST_TYP = "ecolabel-dump-manifest+jwt"
FORMAT = "ecolabel-registry-dump/1"


class DumpFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(pattern=r"^[a-z0-9_]+\.(csv|jsonl)$")
    dataset: str
    media_type: str
    rows: int = Field(ge=0)
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class DumpManifest(BaseModel):
    """What the registry signs: the checkpoint, the range of the log covered, and every file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field(pattern=r"^DumpManifest$")
    format: str
    issuer: str = Field(description="the log origin: the checkpoint's first line")
    checkpoint: str = Field(description="the signed note of the checkpoint the data was read at")
    tree_size: int = Field(ge=0)
    since: int | None = Field(default=None, ge=0, description="incremental: only what leaves from here changed")
    created_at: str
    files: list[DumpFile]


@dataclass(frozen=True)
class DumpReport:
    """A checked download: the verified manifest and checkpoint, and what is wrong with the files."""

    manifest: DumpManifest
    checkpoint: Checkpoint
    problems: tuple[str, ...] = ()

    @property
    def files(self) -> Sequence[DumpFile]:
        return self.manifest.files


def read_manifest(token: str, registry_key: PublicKey) -> tuple[DumpManifest, Checkpoint]:
    """Verify the manifest's signature and the checkpoint it names; raise `VerificationError` otherwise."""
    verified = verify_compact(token.strip(), registry_key, expected_typ=MANIFEST_TYP)
    try:
        manifest = DumpManifest.model_validate(loads_strict(verified.payload))
    except ValidationError as exc:
        raise MalformedInput("BAD_MANIFEST", str(exc.errors()[0]["msg"])) from exc
    if manifest.format != FORMAT:
        raise MalformedInput("BAD_MANIFEST", f"format {manifest.format!r} is not {FORMAT!r}")
    verifier = NoteVerifier.from_public_key(manifest.issuer, registry_key.raw)
    checkpoint = verify_checkpoint(manifest.checkpoint, verifier, origin=manifest.issuer)
    if checkpoint.tree_size != manifest.tree_size:
        raise DumpInvalid("CHECKPOINT_MISMATCH", "the manifest's tree size is not its checkpoint's")
    if manifest.since is not None and manifest.since > manifest.tree_size:
        raise MalformedInput("BAD_MANIFEST", "an incremental download cannot start after its checkpoint")
    return manifest, checkpoint
