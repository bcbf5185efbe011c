"""verification.tiles against C2SP tlog-tiles: path encoding, partial tiles, bundle framing, proofs from tiles."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.merkle_model import PerfectNodes
from verification.errors import MalformedInput, ProofInvalid
from verification.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from verification.tiles import (
    TILE_WIDTH,
    Tile,
    TileData,
    TileHashReader,
    decode_document_bundle,
    decode_entry_bundle,
    encode_document_bundle,
    encode_entry_bundle,
    encode_index,
    parse_tile_path,
    tile_width,
    tiles_for_size,
)


def _nodes(size: int) -> PerfectNodes:
    return PerfectNodes([leaf_hash(b"leaf %d" % i) for i in range(size)])


@pytest.mark.parametrize(
    ("index", "encoded"),
    [
        (0, "000"),
        (5, "005"),
        (999, "999"),
        (1000, "x001/000"),
        (1_234_067, "x001/x234/067"),  # the spec's own example
        (10**9, "x001/x000/x000/000"),
        (2**64 - 1, "x018/x446/x744/x073/x709/x551/615"),
    ],
)
def test_index_encoding_of_the_spec(index: int, encoded: str) -> None:
    assert encode_index(index) == encoded
    assert parse_tile_path(f"tile/3/{encoded}") == Tile(3, index)
    assert parse_tile_path(f"tile/entries/{encoded}.p/7") == Tile(0, index, 7, TileData.ENTRIES)


@given(st.integers(min_value=0, max_value=2**70), st.integers(min_value=0, max_value=63), st.integers(1, 256))
def test_every_tile_path_parses_back_to_its_tile(index: int, level: int, width: int) -> None:
    for tile in (
        Tile(level, index, width),
        Tile(0, index, width, TileData.ENTRIES),
        Tile(0, index, width, TileData.DOCUMENTS),
    ):
        assert parse_tile_path(tile.path) == tile


def test_paths_look_as_the_spec_writes_them() -> None:
    assert Tile(0, 1_234_067).path == "tile/0/x001/x234/067"
    assert Tile(1, 1, 17).path == "tile/1/001.p/17"
    assert Tile(0, 0, 255, TileData.ENTRIES).path == "tile/entries/000.p/255"
    assert Tile(0, 4, data=TileData.DOCUMENTS).path == "documents/004"


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",  # index elements are three digits
        "tile/0/0001",
        "tile/0/x001",  # the last element has no x
        "tile/0/001/002",  # all but the last have one
        "tile/0/x000/001",  # one spelling per index: no leading zero element
        "tile/01/000",  # no leading zeroes in the level
        "tile/64/000",  # level 0 to 63
        "tile/-1/000",
        "tile/0/000.p/0",  # width 1 to 255
        "tile/0/000.p/256",  # a full tile is never spelled as partial
        "tile/0/000.p/07",
        "tile/0/000.p",
        "tile/0/000.p/",
        "tile/0/000/",
        "tile/0/",
        "tile/entries",
        "tile/entries/x001",
        "tile/0/00a",
        "tile/0/\u0660\u0660\u0661",  # ASCII digits only (these are ARABIC-INDIC DIGITs)
        "tiles/0/000",
        "documents/000.p/300",
        "",
    ],
)
def test_malformed_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(MalformedInput, match="BAD_TILE_PATH"):
        parse_tile_path(path)


def test_the_spec_example_of_a_tree_of_70000() -> None:
    tiles = list(tiles_for_size(70_000))
    level0 = [t for t in tiles if t.level == 0]
    assert sum(t.full for t in level0) == 273
    assert [t for t in tiles if not t.full] == [Tile(0, 273, 112), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert [t for t in tiles if t.level == 1 and t.full] == [Tile(1, 0)]
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
    assert list(tiles_for_size(256)) == [Tile(0, 0), Tile(1, 0, 1)]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, []),
        (1, [Tile(0, 0, 1)]),
        (255, [Tile(0, 0, 255)]),
        (256, [Tile(0, 0), Tile(1, 0, 1)]),
        (257, [Tile(0, 0), Tile(0, 1, 1), Tile(1, 0, 1)]),
        (65_536, [*(Tile(0, i) for i in range(256)), Tile(1, 0), Tile(2, 0, 1)]),
        (65_537, [*(Tile(0, i) for i in range(256)), Tile(0, 256, 1), Tile(1, 0), Tile(2, 0, 1)]),
    ],
)
def test_partial_tiles_at_the_edges(size: int, expected: list[Tile]) -> None:
    assert list(tiles_for_size(size)) == expected
    # "The partial tile at level l for a tree of size s has floor(s / 256**l) mod 256 entries."
    for level in range(4):
        partial = (size // TILE_WIDTH**level) % TILE_WIDTH
        index = size // TILE_WIDTH ** (level + 1)
        assert tile_width(level, index, size) == partial


def test_entry_bundle_framing() -> None:
    entries = [b"", b"a", b"\x00" * 300, b"x" * 65_535]
    bundle = encode_entry_bundle(entries)
    assert bundle[:5] == b"\x00\x00\x00\x01a"
    assert bundle[5:7] == (300).to_bytes(2, "big")
    assert decode_entry_bundle(bundle, 4) == entries
    with pytest.raises(MalformedInput, match="ENTRY_TOO_LARGE"):
        encode_entry_bundle([b"x" * 65_536])
    for broken, width in ((bundle[:-1], 4), (bundle + b"\x00", 4), (bundle, 3), (bundle + b"\x00\x00", 4)):
        with pytest.raises(MalformedInput, match="BAD_BUNDLE"):
            decode_entry_bundle(broken, width)


def test_document_bundle_framing_marks_withheld_documents_as_empty() -> None:
    bundle = encode_document_bundle([b"eyJhbGciOiJFZERTQSJ9", None])
    assert bundle == (20).to_bytes(4, "big") + b"eyJhbGciOiJFZERTQSJ9" + b"\x00\x00\x00\x00"
    assert decode_document_bundle(bundle, 2) == [b"eyJhbGciOiJFZERTQSJ9", None]
    with pytest.raises(MalformedInput, match="BAD_BUNDLE"):
        decode_document_bundle(bundle[:-1], 2)


def test_tile_contents_are_the_hashes_of_level_8l() -> None:
    """Level-1 hash i is the root of the i-th full level-0 tile (MTH of 256 leaves)."""
    nodes = _nodes(600)
    level0 = nodes.tile(Tile(0, 1))
    assert len(level0) == 8192
    assert nodes.tile(Tile(1, 0, 2))[32:] == root_from_leaf_hashes(nodes.levels[0][256:512])


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 511, 65_536, 65_537, 70_000])
def test_proofs_read_from_tiles_verify(size: int) -> None:
    nodes = _nodes(size)
    root = root_from_leaf_hashes(nodes.levels[0])
    fetched: list[Tile] = []

    def fetch(tile: Tile) -> bytes:
        fetched.append(tile)
        return nodes.tile(tile)

    reader = TileHashReader(size, fetch)
    assert reader.subtree_root(0, size) == root
    for index in {0, size // 2, size - 1}:
        proof = inclusion_proof(index, size, reader.subtree_root)
        verify_inclusion(index, size, nodes.levels[0][index], proof, root)
    for old in {1, size // 3 or 1, size - 1 or 1}:
        old_root = root_from_leaf_hashes(nodes.levels[0][:old])
        verify_consistency(old, size, consistency_proof(old, size, reader.subtree_root), old_root, root)
    # Only tiles this size implies were asked for, each at the width it has at this size.
    assert all(tile.width == tile_width(tile.level, tile.index, size) for tile in fetched)


def test_a_wrong_tile_makes_the_proof_fail_not_pass() -> None:
    nodes = _nodes(300)
    root = root_from_leaf_hashes(nodes.levels[0])

    def forged(tile: Tile) -> bytes:
        data = bytearray(nodes.tile(tile))
        data[0] ^= 1
        return bytes(data)

    reader = TileHashReader(300, forged)
    proof = inclusion_proof(299, 300, reader.subtree_root)
    with pytest.raises(ProofInvalid):
        verify_inclusion(299, 300, nodes.levels[0][299], proof, root)
    with pytest.raises(ProofInvalid, match="BEYOND_TREE"):
        reader.node(9, 0)  # 512 leaves are not complete in a tree of 300


def test_a_tile_of_the_wrong_length_is_refused() -> None:
    reader = TileHashReader(10, lambda _tile: hashlib.sha256(b"x").digest())
    with pytest.raises(MalformedInput, match="BAD_TILE"):
        reader.subtree_root(0, 10)
