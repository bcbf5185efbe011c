"""Supply-chain documents are public only as their SHA-256: the tiles and `/v1/documents` never give out
their bytes, except to the callers who may read that chain."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from tests.supply.world import Supply, body
from verification.leaf import DocumentKind, parse_leaf_input
from verification.tiles import Tile, TileData, decode_document_bundle, decode_entry_bundle


def test_a_declaration_is_readable_only_by_its_chain_s_readers(supply: Supply, client: TestClient) -> None:
    buyer, seller, stranger, auditor = (supply.organisation(n) for n in ("Buyer", "Seller", "Stranger", "Auditor"))
    supply.grant(buyer, auditor)
    declaration = supply.declaration(buyer, seller, material="pulp from mill 7")
    sent = body(declaration)
    assert supply.post("/v1/supply-links", declaration, buyer.headers).status_code == 201
    digest = hashlib.sha256(sent).digest()
    path = f"/v1/documents/{digest.hex()}"

    for headers in ({}, stranger.headers):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 404, refused.text
        assert b"mill 7" not in refused.content
    for reader in (buyer, auditor):
        allowed = client.get(path, headers=reader.headers)
        assert allowed.status_code == 200
        assert allowed.content == sent
        assert allowed.headers["cache-control"] == "private, no-store"
    assert client.get(path, headers=supply.admin_headers).content == sent

    size = int(client.get("/log/checkpoint").text.split("\n")[1])
    tile = Tile(0, 0, size, TileData.ENTRIES)
    entries = [parse_leaf_input(e) for e in decode_entry_bundle(client.get(f"/log/{tile.path}").content, size)]
    documents = decode_document_bundle(client.get(f"/log/{tile.with_data(TileData.DOCUMENTS).path}").content, size)
    leaf = next(i for i, entry in enumerate(entries) if entry.document_sha256 == digest)
    assert entries[leaf].kind is DocumentKind.SUPPLY_CHAIN
    assert documents[leaf] is None
    assert all(d is None for d, e in zip(documents, entries, strict=True) if e.kind is DocumentKind.SUPPLY_CHAIN)
