"""Checking a bulk download's directory against the manifest the registry signed (`verification.dump`).

This is the part that reads files; the manifest's format and signature check (`read_manifest`) are in the
offline core.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from verification.dump import MANIFEST_NAME, DumpFile, DumpReport, read_manifest
from verification.errors import DumpInvalid, MalformedInput
from verification.jwk import PublicKey

_MAX_MANIFEST_BYTES = 16 * 1_048_576
_CHUNK = 1_048_576


def verify_dump(directory: Path, registry_key: PublicKey) -> DumpReport:
    """Check a download directory against its signed manifest; raise `VerificationError` otherwise."""
    report = check_dump(directory, registry_key)
    if report.problems:
        raise DumpInvalid("FILES_ALTERED", "; ".join(report.problems))
    return report


def check_dump(directory: Path, registry_key: PublicKey) -> DumpReport:
    """The non-raising twin for the files: the manifest must verify (else `VerificationError`); every
    file that is missing, altered or not listed is one of `problems`."""
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise DumpInvalid("MANIFEST_MISSING", f"{directory} holds no {MANIFEST_NAME}")
    data = manifest_path.read_bytes()
    if len(data) > _MAX_MANIFEST_BYTES:
        raise MalformedInput("BAD_MANIFEST", f"{MANIFEST_NAME} is larger than {_MAX_MANIFEST_BYTES} bytes")
    manifest, checkpoint = read_manifest(data.decode("ascii", errors="replace"), registry_key)
    problems = [problem for item in manifest.files if (problem := _check_file(directory, item)) is not None]
    listed = {item.path for item in manifest.files} | {MANIFEST_NAME}
    problems.extend(
        f"{path.name}: not in the signed manifest"
        for path in sorted(directory.iterdir())
        if path.name not in listed and not path.name.startswith(".")
    )
    return DumpReport(manifest, checkpoint, tuple(problems))


def file_digest(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _check_file(directory: Path, item: DumpFile) -> str | None:
    name = PurePosixPath(item.path)
    if name.name != item.path:  # the pattern already refuses separators; kept as the rule it states
        return f"{item.path}: not a plain file name"
    path = directory / item.path
    if not path.is_file():
        return f"{item.path}: missing"
    digest, size = file_digest(path)
    if size != item.bytes or digest != item.sha256:
        return f"{item.path}: altered (SHA-256 {digest}, {size} bytes; the manifest says {item.sha256}, {item.bytes})"
    return None
