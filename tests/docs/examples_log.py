"""Worked examples of the log's byte formats: leaf inputs, bundles, tiles, checkpoints, cosignatures,
the witness protocol, policies, tlog-proofs and receipts, for a small log of three leaves."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from tempfile import TemporaryDirectory

from fastapi.testclient import TestClient

from ecolabel_registry.witness.app import create_witness_app
from tests.docs import examples_documents as documents
from tests.docs.keys import LOG_ORIGIN, REGISTRY, WITNESS_1, WITNESS_2
from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.cosignature import cosigned_message
from verification.leaf import DocumentKind, LeafInput, parse_log_time
from verification.merkle import inclusion_proof, root_from_leaf_hashes
from verification.receipt import Receipt
from verification.tiles import encode_entry_bundle
from verification.tlog_proof import TlogProof

COSIGNED_AT = 1_772_357_400  # 2026-03-01T09:30:00Z, the witnesses' clock
SUPPLY_DOCUMENT = b'{"type":"SupplyLinkDeclaration","buyer_id":"...","supplier":{"organisation_id":"..."}}'


def leaves() -> list[tuple[LeafInput, bytes]]:
    """Leaf 0: a programme's registration; 1: a certificate; 2: a supply-chain declaration (private)."""
    registration = json.dumps(documents.programme_registration()).encode()
    certificate = documents.certificate().encode("ascii")
    items = [
        (DocumentKind.PROGRAMME, "2026-03-01T09:00:00.000000Z", registration),
        (DocumentKind.CERTIFICATE, "2026-03-01T09:29:59.123456Z", certificate),
        (DocumentKind.SUPPLY_CHAIN, "2026-03-01T09:29:59.123456Z", SUPPLY_DOCUMENT),
    ]
    return [(LeafInput(kind, parse_log_time(at), hashlib.sha256(doc).digest()), doc) for kind, at, doc in items]


def hexdump(data: bytes, width: int = 16) -> str:
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        printable = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{offset:08x}  {chunk.hex(' '):<{width * 3 - 1}}  {printable}")
    return "\n".join(lines) + "\n"


def checkpoint() -> Checkpoint:
    hashes = [leaf.leaf_hash for leaf, _ in leaves()]
    return Checkpoint(LOG_ORIGIN, len(hashes), root_from_leaf_hashes(hashes))


def log_note() -> str:
    return sign_checkpoint(checkpoint(), REGISTRY)


def witness_exchange() -> tuple[str, str, str]:
    """(request body, witness 1's answer, the 409 a second submission of old size 0 gets), from a real witness."""
    body = "old 0\n\n" + log_note()
    with TemporaryDirectory() as state:
        app = create_witness_app(WITNESS_1, {LOG_ORIGIN: [REGISTRY.verifier()]}, Path(state), clock=lambda: COSIGNED_AT)
        with TestClient(app) as client:
            answer = client.post("/add-checkpoint", content=body).text
            conflict = client.post("/add-checkpoint", content=body).text
    return body, answer, conflict


def cosigned_note() -> str:
    text = checkpoint().to_text()
    return log_note() + "".join(w.cosign(text, COSIGNED_AT).to_line() for w in (WITNESS_1, WITNESS_2))


def receipt() -> Receipt:
    hashes = [leaf.leaf_hash for leaf, _ in leaves()]
    leaf = leaves()[1][0]
    proof = inclusion_proof(1, 3, lambda a, b: root_from_leaf_hashes(hashes[a:b]))
    return Receipt(1, leaf.kind, leaf.integrated_us, leaf.leaf_hash, log_note(), tuple(proof))


def tlog_proof() -> TlogProof:
    item = receipt()
    proof = TlogProof.from_receipt(item, leaves()[1][0].document_sha256)
    return TlogProof(proof.leaf_index, proof.inclusion_proof, cosigned_note(), proof.extra)


def policy() -> str:
    return (
        f"log {REGISTRY.verifier().to_string()} https://registry.example.org/\n"
        f"witness gen {WITNESS_1.key.to_string()} https://witness.gen.example/\n"
        f"witness jas-anz {WITNESS_2.key.to_string()}\n"
        "group both all gen jas-anz\n"
        "quorum both\n"
    )


def document_bundle_layout() -> str:
    lines = []
    for index, (leaf, document) in enumerate(leaves()):
        slot = b"" if not leaf.kind.is_public else document
        prefix = len(slot).to_bytes(4, "big").hex(" ")
        what = f"{len(slot)} bytes of the {leaf.kind.value} document" if slot else "withheld: a supply-chain document"
        lines.append(f"leaf {index}: {prefix}  {what}")
    return "\n".join(lines) + "\n"


def examples() -> dict[str, str]:
    items = leaves()
    first, _ = items[1]
    body, answer, conflict = witness_exchange()
    return {
        "leaf-input": first.encode().decode() + "\n",
        "leaf-hash": first.leaf_hash.hex() + "\n",
        "entry-bundle": hexdump(encode_entry_bundle([leaf.encode() for leaf, _ in items])),
        "document-bundle": document_bundle_layout(),
        "tile-level-0": hexdump(b"".join(leaf.leaf_hash for leaf, _ in items)),
        "log-vkey": REGISTRY.verifier().to_string() + "\n",
        "checkpoint": log_note(),
        "witness-vkey": WITNESS_1.key.to_string() + "\n",
        "cosigned-message": cosigned_message(checkpoint().to_text(), COSIGNED_AT).decode(),
        "cosignature-bytes": hexdump(base64.b64decode(answer.split(" ", 2)[2])),
        "cosigned-checkpoint": cosigned_note(),
        "add-checkpoint-request": body,
        "add-checkpoint-answer": answer,
        "add-checkpoint-conflict": conflict,
        "witnesses-setting": (
            f"ECOLABEL_WITNESSES='{WITNESS_1.key.to_string()} https://witness.gen.example;"
            f" {WITNESS_2.key.to_string()} https://witness.jas-anz.example/w'\n"
        ),
        "tlog-policy": policy(),
        "receipt": json.dumps(receipt().to_dict(), indent=2) + "\n",
        "tlog-proof": tlog_proof().to_text(),
    }
