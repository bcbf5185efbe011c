"""The evidence bundle: a zip an auditor can archive and check offline with the registry's public key.

Contents:
- `supply-chain.json`, `supply-chain.csv`, `supply-chain.dot` — the chain as of the date;
- `audit.json` — the audit report for the same date and depth;
- `checkpoint.txt` — the registry's latest signed checkpoint (C2SP signed note) when the bundle was made;
- `documents/<leaf>.json` and `receipts/<leaf>.json` — every logged document behind the chain's links
  (declarations, confirmations, disputes) exactly as received, each with its receipt: check one with
  `verification.receipt.verify_receipt(receipt, document, verifier)`;
- `manifest.json` — RFC 8785 canonical JSON listing every other file with its SHA-256 and size, and
  `upstream_withheld`: the suppliers the chain names but does not follow, because they have not
  confirmed the links naming them (see `chain`);
- `manifest.jws` — a compact JWS (EdDSA) over the exact bytes of `manifest.json`, signed with the
  registry key published at `/.well-known/ecolabel-registry` (`kid` is its RFC 7638 thumbprint).

To check: `ecolabel-verify bundle evidence.zip` (`verification.bundle`) verifies `manifest.jws` with the
published key, compares its payload with `manifest.json`, hashes each listed file, and checks the
checkpoint and every document's receipt.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection

from ecolabel_registry.log import service as log
from ecolabel_registry.supply import exports, repository
from ecolabel_registry.supply.answers import AuditReport, SupplyChain
from verification.bundle import BUNDLE_TYPE, MANIFEST_TYP
from verification.canonical import dumps_canonical
from verification.jwk import PublicKey
from verification.jws import sign_compact
from verification.leaf import format_log_time, from_microseconds
from verification.note import NoteSigner


def evidence_bundle(
    connection: Connection,
    signing_key: Ed25519PrivateKey,
    note_signer: NoteSigner,
    *,
    chain: SupplyChain,
    audit: AuditReport,
    generated_us: int,
) -> bytes:
    head, checkpoint = log.latest_checkpoint(connection, note_signer)
    files: dict[str, bytes] = {
        "supply-chain.json": exports.to_json(chain),
        "supply-chain.csv": exports.to_csv(chain).encode(),
        "supply-chain.dot": exports.to_dot(chain).encode(),
        "audit.json": orjson.dumps(audit.model_dump(mode="json", by_alias=True), option=orjson.OPT_INDENT_2),
        "checkpoint.txt": checkpoint.encode(),
    }
    for row in repository.documents_about(connection, [link.id for link in chain.links]):
        leaf = row["leaf_index"]
        files[f"documents/{leaf}.json"] = bytes(row["document"])
        receipt = log.receipt_for(connection, leaf).to_dict()
        files[f"receipts/{leaf}.json"] = orjson.dumps(receipt, option=orjson.OPT_INDENT_2)
    manifest = dumps_canonical(
        {
            "type": BUNDLE_TYPE,
            "version": 1,
            "organisation_id": chain.organisation_id,
            "as_of": chain.as_of,
            "depth": chain.depth,
            "upstream_withheld": sorted(node.organisation_id for node in chain.nodes if node.upstream_withheld),
            "generated_at": format_log_time(generated_us),
            "log": {
                "origin": note_signer.name,
                "tree_size": head.tree_size,
                "root_hash": base64.b64encode(head.root_hash).decode(),
            },
            "files": [
                {"name": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
                for name, content in sorted(files.items())
            ],
        }
    )
    kid = PublicKey.from_private_key(signing_key).kid
    signature = sign_compact(manifest, signing_key, kid, MANIFEST_TYP)
    return _zip({"manifest.json": manifest, "manifest.jws": signature.encode(), **files}, generated_us)


def _zip(files: dict[str, bytes], generated_us: int) -> bytes:
    moment = from_microseconds(generated_us)
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
