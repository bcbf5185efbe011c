"""The log served per C2SP tlog-tiles under /log/, checked against a reference model of the tree.

The log is grown through the repository's bulk append to the sizes where tiles change shape (1, 255,
256, 257, 65,536, 65,537); at each size every hash tile, and the entry and document bundles at the
edges, must be exactly what the spec says, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.log.tiles import FinalTiles
from ecolabel_registry.settings import Settings
from tests.merkle_model import PerfectNodes
from tests.registry import log_builder
from tests.registry.log_builder import LogBuilder
from verification.checkpoint import verify_checkpoint
from verification.leaf import DocumentKind, parse_leaf_input
from verification.merkle import consistency_proof, root_from_leaf_hashes, verify_consistency
from verification.note import NoteVerifier
from verification.tiles import (
    Tile,
    TileData,
    TileHashReader,
    decode_document_bundle,
    decode_entry_bundle,
    tiles_for_size,
)

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def engine_for(settings: Settings) -> Iterator[Engine]:
    engine = build_engine(settings.database_url, pool_size=2)
    yield engine
    engine.dispose()


def _builder(client: TestClient, engine: Engine) -> LogBuilder:
    return LogBuilder(engine, client.app.state.registry.note_signer)  # type: ignore[attr-defined]


def _get(client: TestClient, path: str, **headers: str) -> httpx.Response:
    return client.get(path, headers={"Accept-Encoding": "identity", **headers})


def _check_bundles(client: TestClient, log: LogBuilder, index: int, width: int) -> None:
    tile = Tile(0, index, width, TileData.ENTRIES)
    response = _get(client, f"/log/{tile.path}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["cache-control"] == IMMUTABLE
    entries = decode_entry_bundle(response.content, width)
    for offset, entry in enumerate(entries):
        leaf_index = tile.start + offset
        # Each entry is the leaf input the log hashed: it hashes to the level-0 tile's hash.
        assert parse_leaf_input(entry) == log_builder.leaf(leaf_index)
        assert parse_leaf_input(entry).leaf_hash == log.leaf_hashes[leaf_index]
    bundle = _get(client, f"/log/{tile.with_data(TileData.DOCUMENTS).path}")
    assert bundle.status_code == 200
    for offset, document in enumerate(decode_document_bundle(bundle.content, width)):
        leaf_index = tile.start + offset
        if log_builder.kind(leaf_index) is DocumentKind.SUPPLY_CHAIN:
            assert document is None  # only its SHA-256, in the leaf input, is public
        else:
            assert document == log_builder.document(leaf_index)


@pytest.mark.slow
def test_tiles_at_the_sizes_where_their_shape_changes(client: TestClient, engine_for: Engine) -> None:
    log = _builder(client, engine_for)
    verifier: NoteVerifier = client.app.state.registry.note_verifier  # type: ignore[attr-defined]
    for size in (1, 255, 256, 257, 65_536, 65_537):
        log.extend_to(size)
        model = PerfectNodes(log.leaf_hashes)
        response = _get(client, "/log/checkpoint")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=2"
        checkpoint = verify_checkpoint(response.text, verifier, origin=verifier.name)
        assert checkpoint.tree_size == size
        assert checkpoint.root_hash == root_from_leaf_hashes(log.leaf_hashes)
        for tile in tiles_for_size(size):
            served = _get(client, f"/log/{tile.path}")
            assert served.status_code == 200, (size, tile.path, served.text)
            assert served.content == model.tile(tile), (size, tile.path)
            assert served.headers["cache-control"] == IMMUTABLE
        level0 = [t for t in tiles_for_size(size) if t.level == 0]
        for tile in {level0[0], level0[-1], level0[len(level0) // 2]}:
            _check_bundles(client, log, tile.index, tile.width)
        # A proof read from the served tiles verifies against the signed root.
        reader = TileHashReader(size, lambda t: _get(client, f"/log/{t.path}").content)
        old = max(1, size // 3)
        proof = consistency_proof(old, size, reader.subtree_root)
        verify_consistency(old, size, proof, root_from_leaf_hashes(log.leaf_hashes[:old]), checkpoint.root_hash)


def test_tiles_beyond_the_tree_are_not_found_and_not_cached(client: TestClient, engine_for: Engine) -> None:
    _builder(client, engine_for).extend_to(300)
    assert _get(client, "/log/tile/0/001.p/44").status_code == 200
    assert _get(client, "/log/tile/0/001.p/20").status_code == 200  # narrower: its hashes are final too
    for path in ("tile/0/001", "tile/0/001.p/45", "tile/1/000", "tile/0/002.p/1", "tile/entries/001", "documents/001"):
        response = _get(client, f"/log/{path}")
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["cache-control"] == "no-store"
        assert response.json()["code"] == "TILE_NOT_FOUND"


@pytest.mark.parametrize(
    "path", ["tile/0/1", "tile/0/x001", "tile/00/000", "tile/0/000.p/256", "tile/64/000", "tile/0/000.p/0", "nothing"]
)
def test_malformed_tile_paths_are_problems(client: TestClient, path: str) -> None:
    response = _get(client, f"/log/{path}")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:ecolabel-registry:problem:not-found"
    assert response.json().get("code") in {"BAD_TILE_PATH", None}


def test_bundles_are_gzipped_when_the_client_accepts_it(client: TestClient, engine_for: Engine) -> None:
    _builder(client, engine_for).extend_to(256)
    plain = _get(client, "/log/tile/entries/000")
    decoded = client.get("/log/tile/entries/000", headers={"Accept-Encoding": "gzip"})
    assert decoded.headers["vary"] == "Accept-Encoding"
    assert decoded.content == plain.content  # httpx decodes Content-Encoding: gzip
    request = client.build_request("GET", "/log/tile/entries/000", headers={"Accept-Encoding": "gzip"})
    stream = client.send(request, stream=True)
    compressed = b"".join(stream.iter_raw())
    assert stream.headers["content-encoding"] == "gzip"
    assert gzip.decompress(compressed) == plain.content
    assert len(compressed) < len(plain.content)
    assert "content-encoding" not in _get(client, "/log/tile/0/000").headers  # hashes do not compress


def test_the_json_checkpoint_answers_text_when_asked(client: TestClient, engine_for: Engine) -> None:
    note = _builder(client, engine_for).extend_to(10)
    as_json = client.get("/v1/log/checkpoint")
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()["checkpoint"] == note
    for accept in ("text/plain", "text/plain, application/json", "text/plain;q=1"):
        as_text = client.get("/v1/log/checkpoint", headers={"Accept": accept})
        assert as_text.headers["content-type"] == "text/plain; charset=utf-8", accept
        assert as_text.text == note
    for accept in ("*/*", "application/json, text/plain", "application/json"):
        assert client.get("/v1/log/checkpoint", headers={"Accept": accept}).json()["checkpoint"] == note


def test_a_damaged_tree_is_an_integrity_error_not_a_missing_tile(client: TestClient, engine_for: Engine) -> None:
    _builder(client, engine_for).extend_to(256)
    with engine_for.begin() as connection:
        connection.execute(text("DELETE FROM log_nodes WHERE level = 0 AND idx = 17"))
    response = _get(client, "/log/tile/0/000")
    assert response.status_code == 500
    assert response.json()["type"] == "urn:ecolabel-registry:problem:log-integrity"


def test_documents_are_content_addressed_and_supply_chain_bytes_stay_private(
    client: TestClient, engine_for: Engine
) -> None:
    _builder(client, engine_for).extend_to(8)
    public = hashlib.sha256(log_builder.document(0)).hexdigest()
    response = client.get(f"/v1/documents/{public}")
    assert response.status_code == 200
    assert response.content == log_builder.document(0)
    assert response.headers["cache-control"] == IMMUTABLE
    private = hashlib.sha256(log_builder.document(3)).hexdigest()  # leaf 3 is a supply-chain document
    for headers in ({}, {"Authorization": "Bearer elr_0123456789abcdef_nope"}):
        refused = client.get(f"/v1/documents/{private}", headers=headers)
        assert refused.status_code in {401, 404}
        assert log_builder.document(3) not in refused.content
    unknown = client.get(f"/v1/documents/{'0' * 64}")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == client.get(f"/v1/documents/{private}").json()["detail"]
    assert client.get("/v1/documents/ABC").status_code == 422


def test_a_served_tile_is_kept_by_the_process_and_the_cache_is_bounded(client: TestClient, engine_for: Engine) -> None:
    _builder(client, engine_for).extend_to(256)
    first = _get(client, "/log/tile/0/000")
    with engine_for.begin() as connection:
        connection.execute(text("DELETE FROM log_nodes WHERE level = 0 AND idx = 17"))
    # A tile never changes once it exists, so the copy this process read is still the right answer.
    assert _get(client, "/log/tile/0/000").content == first.content
    assert _get(client, "/log/tile/0/000.p/20").status_code == 500  # not cached: read, and found damaged

    cache = FinalTiles(max_bytes=1000)
    engine = client.app.state.registry.engine  # type: ignore[attr-defined]
    for index in range(10):
        cache.put(engine, Tile(0, index), bytes([index]) * 100)
    assert cache.get(engine, Tile(0, 0)) == bytes(100)  # used lately: kept when room is needed
    cache.put(engine, Tile(0, 10), b"x" * 100)
    assert [cache.get(engine, Tile(0, i)) is not None for i in (0, 1, 2, 10)] == [True, False, True, True]
    cache.put(engine, Tile(0, 11), b"y" * 126)  # more than an eighth of the cache: not kept at all
    assert cache.get(engine, Tile(0, 11)) is None


def test_documents_are_never_served_under_a_hash_they_do_not_have(client: TestClient, engine_for: Engine) -> None:
    """Content addressing is a promise: bytes edited in the database behind the registry's back are
    refused as a damaged log, not served under the SHA-256 of what was logged."""
    _builder(client, engine_for).extend_to(2)
    address = hashlib.sha256(log_builder.document(0)).hexdigest()
    with engine_for.begin() as connection:
        connection.execute(text("UPDATE log_entries SET document = :d WHERE leaf_index = 0"), {"d": b"forged"})
    response = client.get(f"/v1/documents/{address}")
    assert response.status_code == 500
    assert response.json()["type"] == "urn:ecolabel-registry:problem:log-integrity"
    assert b"forged" not in response.content
