"""The log as C2SP tiles: tiles served by the app, and a full monitor over tiles beside the JSON API.

On a synthetic log of 1,000,000 leaves (`--quick`: 100,000; supply-chain commitments, see
`benchmarks.log_build`) served by `ecolabel-registry serve`:

- requests/s of random full level-0 tiles (8 KiB) and of random full entry bundles (256 leaf inputs)
  at 32 connections, beside the bare endpoint's requests/s on the same stack (`machine.http.bare`);
- `ecolabel-verify monitor --full` (the library call it makes) over the tiles at `/log/`, time and bytes
  fetched, beside the same monitor through `/v1/log/entries` on the same log in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

import httpx

from benchmarks import wrk
from benchmarks.databases import scratch_url
from benchmarks.http_bare import CONNECTIONS, bare_rps, load
from benchmarks.http_registry import write_lines
from benchmarks.log_build import SyntheticLog
from benchmarks.model import Backend, Context, Figure, Limit, Quantity, Result
from benchmarks.servers import registry_server
from benchmarks.timing import NS_PER_S
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.db.migrate import upgrade
from verification.client import RegistryClient, monitor
from verification.client.tiles import TiledLog
from verification.leaf import DocumentKind
from verification.tiles import TILE_WIDTH, Tile, TileData

MB = 1_000_000


class _Counting(httpx.HTTPTransport):
    """Counts the bytes of every answer as they came over the wire (before any decoding)."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.requests += 1
        self.bytes += response.num_bytes_downloaded  # as transferred, before any Content-Encoding is undone
        return response


def _served_tiles(ctx: Context, url: str, size: int, backend: Backend) -> list[Result]:
    rps = bare_rps(ctx)
    results = []
    full = size // TILE_WIDTH
    kinds = (
        ("tile/0", "level-0 tile, 8 KiB", TileData.HASHES),
        ("tile/entries", "entry bundle, 256 leaf inputs", TileData.ENTRIES),
    )
    for where, label, data in kinds:
        paths = [Tile(0, index, data=data).path for index in range(full)]
        listing = write_lines(ctx.workdir / f"tiles-{data.value}-{backend}.txt", (p.encode() for p in paths))
        script = wrk.Load(CONNECTIONS, load(ctx).seconds, "random_paths.lua", ("/log/", str(listing)))
        ctx.progress(f"wrk: random full tiles ({label}) on {backend}, {CONNECTIONS} connections")
        if not ctx.quick:
            wrk.run(url, wrk.Load(CONNECTIONS, 1.0, "random_paths.lua", ("/log/", str(listing))))
        run = wrk.run(url, script)
        results.append(
            Result(
                f"log.tiles.{backend}",
                f"GET /log/{where}/<N>, {label} [{backend}]",
                Quantity(run.requests_per_s, "requests/s"),
                rps,
                note=f"{full:,} full tiles, random; {run.summary()}, p99 {run.p99_ms:.1f} ms",
            )
        )
    return results


def _monitor(ctx: Context, url: str, size: int, backend: Backend) -> list[Result]:
    ctx.progress(f"monitor --full through /v1/log/entries on {backend} ({size:,} leaves)")
    counting = _Counting()
    start = time.perf_counter_ns()
    with RegistryClient(url, transport=counting) as client:
        _, report = monitor.run(client, None, full=True)
    entries_s = (time.perf_counter_ns() - start) / NS_PER_S
    if report.tree_size != size:
        raise AssertionError(f"the monitor checked {report.tree_size} leaves, not {size}")
    key = httpx.get(f"{url}/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"]
    ctx.progress(f"  {entries_s:.1f} s; now monitor --full over the tiles at /log/")
    start = time.perf_counter_ns()
    with TiledLog.open(f"{url}/log") as tiles:
        _, report = monitor.run(tiles, None, full=True, pinned_key=key)
        tiles_bytes, tiles_requests = tiles.bytes_fetched, tiles.requests
    tiles_s = (time.perf_counter_ns() - start) / NS_PER_S
    if report.tree_size != size:
        raise AssertionError(f"the tile monitor checked {report.tree_size} leaves, not {size}")
    name, leaves = f"log.tiles.{backend}", f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1_000}k"
    how = "the same monitor through /v1/log/entries (1,000 per page), same log, same run"
    return [
        Result(
            name,
            f"monitor --full over tiles, {leaves} leaves [{backend}]",
            Quantity(tiles_s, "s"),
            Limit(Quantity(entries_s, "s"), how),
            note=f"{tiles_requests:,} requests for entry and document bundles (gzip); {counting.requests:,} to the API",
        ),
        Result(
            name,
            f"  bytes fetched [{backend}]",
            Quantity(tiles_bytes / MB, "MB"),
            Limit(Quantity(counting.bytes / MB, "MB"), "bytes through /v1/log/entries"),
        ),
    ]


def _run(backend: Backend, ctx: Context) -> list[Result]:
    size = ctx.scale(1_000_000, 100_000)
    with scratch_url(ctx, backend) as url:
        upgrade(url)
        engine = build_engine(url, pool_size=2)
        try:
            ctx.progress(f"building a {size:,}-leaf log of supply-chain commitments on {backend}")
            SyntheticLog(engine, DocumentKind.SUPPLY_CHAIN).extend_to(size, ctx.progress)
        finally:
            engine.dispose()
        with registry_server(ctx, f"tiles-{backend}", url) as server:
            return [*_served_tiles(ctx, server.url, size, backend), *_monitor(ctx, server.url, size, backend)]


def figures(backends: Sequence[Backend]) -> list[Figure]:
    return [
        Figure(
            f"log.tiles.{backend}",
            f"tiles served by the app, and monitor --full over tiles vs /v1/log/entries, on {backend}",
            partial(_run, backend),
        )
        for backend in backends
    ]
