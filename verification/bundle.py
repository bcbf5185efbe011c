"""A supply-chain evidence bundle, checked offline with the registry's public key alone.

    report = verify_evidence_bundle(Path("evidence.zip").read_bytes(), registry_key)

The registry exports the bundle (`GET /v1/organisations/{id}/supply-chain/export?format=bundle`) as a
zip: `manifest.json` (RFC 8785 JSON naming every other file with its SHA-256 and size, and the log's
size and root hash), `manifest.jws` (the registry's EdDSA signature over the manifest's exact bytes),
`checkpoint.txt` (the registry's signed checkpoint), and `documents/<leaf>.json` with
`receipts/<leaf>.json`, every logged document behind the chain with its receipt. Checked here: the
signature, each file against the manifest (nothing missing, nothing added), the checkpoint against the
manifest's log, and each document against its receipt's inclusion proof.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from verification.checkpoint import verify_checkpoint
from verification.errors import MalformedInput, ProofInvalid
from verification.jwk import PublicKey
from verification.jws import verify_compact
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt
from verification.strictjson import loads_strict

MANIFEST_TYP = "ecolabel-evidence-bundle+jwt"
BUNDLE_TYPE = "SupplyChainEvidenceBundle"
MAX_BUNDLE_BYTES = 512 * 1_048_576  # uncompressed: refuse zip bombs before reading them
_SIGNED = ("manifest.json", "manifest.jws")


@dataclass(frozen=True)
class BundleReport:
    organisation_id: str
    as_of: str
    origin: str
    tree_size: int
    files: int
    documents: int


def verify_evidence_bundle(data: bytes, key: PublicKey) -> BundleReport:
    """Raise a `VerificationError` unless every part of the bundle is what the registry signed."""
    files = _unzip(data)
    if not all(name in files for name in _SIGNED):
        raise MalformedInput("BAD_BUNDLE", "the zip holds no manifest.json and manifest.jws: not an evidence bundle")
    signed = verify_compact(files["manifest.jws"].decode("ascii", "replace").strip(), key, expected_typ=MANIFEST_TYP)
    if signed.payload != files["manifest.json"]:
        raise ProofInvalid("MANIFEST_ALTERED", "manifest.json is not the manifest the registry signed")
    manifest = loads_strict(files["manifest.json"])
    if not isinstance(manifest, dict) or manifest.get("type") != BUNDLE_TYPE:
        raise MalformedInput("BAD_BUNDLE", f"the manifest is not a {BUNDLE_TYPE}")
    _check_listed_files(manifest, files)
    log = _mapping(manifest.get("log"), "log")
    verifier = NoteVerifier.from_public_key(str(log.get("origin")), key.raw)
    checkpoint = verify_checkpoint(files["checkpoint.txt"].decode("utf-8"), verifier, origin=verifier.name)
    root_hash = base64.b64encode(checkpoint.root_hash).decode()
    if (checkpoint.tree_size, root_hash) != (log.get("tree_size"), log.get("root_hash")):
        raise ProofInvalid("CHECKPOINT_MISMATCH", "checkpoint.txt is not the log state the manifest names")
    documents = sorted(name for name in files if name.startswith("documents/"))
    for name in documents:
        _check_document(name, files, verifier, checkpoint.tree_size)
    return BundleReport(
        organisation_id=str(manifest.get("organisation_id")),
        as_of=str(manifest.get("as_of")),
        origin=checkpoint.origin,
        tree_size=checkpoint.tree_size,
        files=len(files),
        documents=len(documents),
    )


def _unzip(data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_BUNDLE_BYTES:
                raise MalformedInput("BAD_BUNDLE", "the bundle unpacks to more than 512 MiB")
            files: dict[str, bytes] = {}
            for info in infos:
                if info.is_dir():
                    continue
                if info.filename in files:
                    raise MalformedInput("BAD_BUNDLE", f"{info.filename} appears twice in the zip")
                files[info.filename] = archive.read(info)
            return files
    except (zipfile.BadZipFile, EOFError) as exc:
        raise MalformedInput("BAD_BUNDLE", f"not a readable zip archive: {exc}") from exc


def _check_listed_files(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    listed: dict[str, dict[str, Any]] = {}
    for entry in manifest.get("files") or []:
        item = _mapping(entry, "files[]")
        listed[str(item.get("name"))] = item
    present = set(files) - set(_SIGNED)
    if missing := sorted(set(listed) - present):
        raise ProofInvalid("FILE_MISSING", f"the manifest lists {missing[0]}, which the zip lacks")
    if extra := sorted(present - set(listed)):
        raise ProofInvalid("FILE_NOT_LISTED", f"{extra[0]} is in the zip but not in the signed manifest")
    for name, item in listed.items():
        content = files[name]
        if hashlib.sha256(content).hexdigest() != item.get("sha256") or len(content) != item.get("size"):
            raise ProofInvalid("FILE_ALTERED", f"{name} does not match its SHA-256 in the signed manifest")
    if "checkpoint.txt" not in listed:
        raise MalformedInput("BAD_BUNDLE", "the manifest lists no checkpoint.txt")


def _check_document(name: str, files: dict[str, bytes], verifier: NoteVerifier, tree_size: int) -> None:
    leaf = name.removeprefix("documents/").removesuffix(".json")
    receipt_bytes = files.get(f"receipts/{leaf}.json")
    if receipt_bytes is None:
        raise ProofInvalid("RECEIPT_MISSING", f"{name} has no receipts/{leaf}.json")
    receipt = Receipt.from_dict(_mapping(loads_strict(receipt_bytes), f"receipts/{leaf}.json"))
    if str(receipt.leaf_index) != leaf:
        raise ProofInvalid("LEAF_MISMATCH", f"receipts/{leaf}.json is the receipt of leaf {receipt.leaf_index}")
    checkpoint = verify_receipt(receipt, files[name], verifier)
    if checkpoint.tree_size > tree_size:
        raise ProofInvalid("INDEX_BEYOND_TREE", f"the receipt of {name} names a tree larger than the bundle's")


def _mapping(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedInput("BAD_BUNDLE", f"the manifest's {what} is not an object")
    return value
