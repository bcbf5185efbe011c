"""The status map prototype (docs/VERIFIABLE-MAP.md): its cost at 1M certificates, beside raw SHA-256.

An in-memory `StatusMapTree` of 1,000,000 random certificate ids (`--quick`: 100,000), each put once
(a certificate append), then status events on random existing ids, then proofs produced and verified
for random ids, present and absent. Every operation of the map is SHA-256 of 65 bytes plus Python
bookkeeping, so the limit is the machine's raw rate of exactly that hash, measured in this run: the
ratio of inserts/s to hashes/s says how many raw hashes' worth one insert costs. Figures at 10M are
extrapolated from the 1M build (rows grow linearly, depth by log2(10)), and labelled as such.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from functools import partial

import orjson

from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result
from benchmarks.timing import latencies, per_second, percentile, sustained_rate, timed
from verification.status_map import EMPTY, ChainHeadValue, verify_lookup
from verification.status_map_tree import StatusMapTree, reference_root

_NODE_INPUT = b"\x03" + bytes(64)  # what every map hash digests: a prefix byte and two 32-byte halves
_CHECK_KEYS = 5_000  # the tree is checked against its definition at this size before anything is timed
_EXTRAPOLATE_TO = 10_000_000


def sha256_limit(ctx: Context) -> Limit:
    """Raw `hashlib.sha256(65 bytes).digest()` calls per second: one map node or leaf hash."""

    def measure() -> Limit:
        def one() -> None:
            hashlib.sha256(_NODE_INPUT).digest()

        rate = sustained_rate(one, ctx.scale(2.0, 0.5), batch=4_096)
        return Limit(Quantity(rate, "hashes/s"), "hashlib.sha256 of 65 B, tight loop")

    return ctx.limit("sha256.65", measure)


def _check_against_definition(rng: random.Random) -> None:
    tree = StatusMapTree()
    model = {}
    for _ in range(_CHECK_KEYS):
        key, value = rng.randbytes(32), rng.randbytes(32)
        tree.put_hash(key, value)
        model[key] = value
    if tree.root != reference_root(model):
        raise AssertionError("the status map root differs from the map's definition")


def _head_value(number: int) -> bytes:
    """A realistic value: the JCS chain head the registry would store (its SHA-256 is what is kept)."""
    head = ChainHeadValue(certificate_leaf=number, sequence=0, head_sha256=f"{number:064x}", head_leaf=number)
    return head.encode()


def _label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1_000}k"


def _writes(ctx: Context, rng: random.Random, limit: Limit, tree: StatusMapTree, keys: list[bytes]) -> list[Result]:
    """Certificate appends (one put per new id), then status events (puts on existing ids)."""
    size_label = _label(len(keys))
    value_hashes = [hashlib.sha256(_head_value(n)).digest() for n in range(len(keys))]
    ctx.progress(f"  inserting {len(keys):,} certificate ids")

    def insert_all() -> None:
        for key, value_sha256 in zip(keys, value_hashes, strict=True):
            tree.put_hash(key, value_sha256)

    inserts = per_second(len(keys), timed(insert_all))
    note = f"{len(keys):,} random ids, one put each"
    results = [Result("status_map", f"certificate inserts, to {size_label} [memory]", _rate(inserts), limit, note=note)]

    updates = ctx.scale(100_000, 20_000)
    targets = [keys[rng.randrange(len(keys))] for _ in range(updates)]
    new_values = [rng.randbytes(32) for _ in range(updates)]
    ctx.progress(f"  applying {updates:,} status events")

    def update_all() -> None:
        for key, value_sha256 in zip(targets, new_values, strict=True):
            tree.put_hash(key, value_sha256)

    update_rate = per_second(updates, timed(update_all))
    note = f"{updates:,} puts on random existing ids of the {size_label} map"
    label = f"status-event updates, {size_label} [memory]"
    return [*results, Result("status_map", label, _rate(update_rate), limit, note=note)]


def _proofs(tree: StatusMapTree, probes: list[bytes], absent: list[bytes], one_hash: Limit) -> list[Result]:
    """Proof production and verification for present and absent ids, each checked before timing."""
    mixed = [key for pair in zip(probes, absent, strict=True) for key in pair]
    proofs = {key: tree.prove(key) for key in mixed}
    root = tree.root
    for key in mixed:
        if verify_lookup(root, key, proofs[key]) != tree.value_sha256(key):
            raise AssertionError("a produced proof does not verify to the tree's own answer")
    indexes = list(range(len(mixed)))
    produce = latencies(lambda i: tree.prove(mixed[i]), indexes)
    check = latencies(lambda i: verify_lookup(root, mixed[i], proofs[mixed[i]]), indexes)
    results = []
    for what, timings in (("proof generation", produce), ("proof verification", check)):
        for q in (50, 99):
            value = Quantity(percentile(timings, q), "ms")
            note = f"{len(mixed)} ids, half present and half absent" if q == 50 else ""
            label = f"{what} p{q}, {_label(len(tree))} [memory]"
            results.append(Result("status_map", label, value, one_hash, note=note))
    return results


def _sizes(tree: StatusMapTree, probes: list[bytes], update_rate: float, limit: Limit) -> list[Result]:
    """Rows, proof depth and bytes as measured, and the same at 10M, extrapolated and labelled so."""
    size_label = _label(len(tree))
    present = [tree.prove(key) for key in probes]
    depths = [len(p.siblings) for p in present]
    mean_depth = sum(depths) / len(depths)
    proof_bytes = sum(len(orjson.dumps(p.to_json())) for p in present) / len(present)
    siblings = [s for p in present for s in p.siblings]
    empty_share = sum(s == EMPTY for s in siblings) / max(len(siblings), 1)
    rows_per_key = tree.rows / len(tree)
    factor = _EXTRAPOLATE_TO / len(tree)
    depth_10m = mean_depth + math.log2(factor)
    rows_note = f"{tree.rows:,} rows (nodes of >= 2 entries and collapsed leaves) for {len(tree):,} ids"
    return [
        Result(
            "status_map", f"stored rows per certificate, {size_label}", Quantity(rows_per_key, "rows"), note=rows_note
        ),
        Result(
            "status_map",
            f"proof siblings (= hashes per update - 1), mean, {size_label}",
            Quantity(mean_depth, "hashes"),
            note=f"max {max(depths)}; {empty_share:.1%} of siblings are EMPTY",
        ),
        Result("status_map", f"map proof as JSON, mean, {size_label}", Quantity(proof_bytes, "bytes")),
        Result(
            "status_map",
            "EXTRAPOLATED: hashes per update, 10M",
            Quantity(depth_10m + 1, "hashes"),
            note=f"measured mean depth at {size_label} + log2({factor:g})",
        ),
        Result(
            "status_map",
            "EXTRAPOLATED: stored rows, 10M",
            Quantity(rows_per_key * _EXTRAPOLATE_TO, "rows"),
            note=f"rows per certificate at {size_label} x 10M",
        ),
        Result(
            "status_map",
            "EXTRAPOLATED: status-event updates/s, map CPU only, 10M",
            _rate(update_rate * (mean_depth + 1) / (depth_10m + 1)),
            limit,
            note="measured updates/s scaled by hashes per update",
        ),
    ]


def _run(ctx: Context) -> list[Result]:
    rng = random.Random(20261205)
    limit = sha256_limit(ctx)
    one_hash = Limit(Quantity(1_000 / limit.quantity.value, "ms"), "one raw SHA-256 of 65 B (from the hashes/s limit)")
    results = [Result("status_map", "raw SHA-256, 65 B", limit.quantity, note=limit.how, is_limit=True)]
    ctx.progress("  checking the tree against its definition")
    _check_against_definition(rng)
    size = ctx.scale(1_000_000, 100_000)
    keys = [rng.randbytes(32) for _ in range(size)]
    tree = StatusMapTree()
    writes = _writes(ctx, rng, limit, tree, keys)
    samples = ctx.scale(500, 200)
    probes = [keys[rng.randrange(size)] for _ in range(samples)]
    absent = [rng.randbytes(32) for _ in range(samples)]
    update_rate = writes[-1].value.value if writes[-1].value else 0.0
    return [*results, *writes, *_proofs(tree, probes, absent, one_hash), *_sizes(tree, probes, update_rate, limit)]


def _rate(value: float) -> Quantity:
    return Quantity(value, "ops/s")


def figures(backends: Sequence[Backend]) -> list[Figure]:
    del backends  # in memory: the map's CPU cost does not depend on the database
    return [Figure("status_map", "status map prototype: inserts, updates and proofs at 1M ids", partial(_run))]
