"""Load the demo world into a registry, idempotently, through the registry's own write paths.

    context = build_context(Settings())
    report = load(context, load_world(), Path("var/demo-keys"))

Order matters only where documents depend on each other: programmes and their keys first (the trust
roots), then categories, certificates and their events, agreements (which name categories), and last
the supply chains (whose organisations hold some of the certificates). A second run finds everything in
place, signs nothing it does not need, and adds no log leaf.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ecolabel_registry.context import RegistryContext
from ecolabel_registry.demo import agreements, certificates, programmes, repository, supply
from ecolabel_registry.demo.generate import licences
from ecolabel_registry.demo.keys import TokenStore, programme_keys, root_keys
from ecolabel_registry.demo.outcome import LoadReport, StepReport
from ecolabel_registry.demo.spec import World

MAX_WORKERS = 4  # beyond this the single committing process is the bottleneck


def load(
    context: RegistryContext,
    world: World,
    key_directory: Path,
    *,
    workers: int | None = None,
    on_step: Callable[[StepReport], None] | None = None,
) -> LoadReport:
    """Load `world`; `workers` processes check credentials in parallel (default: one per CPU, at most 4)."""
    started = time.perf_counter()
    report = LoadReport()
    with context.engine.connect() as connection:
        report.leaves_before = repository.tree_size(connection)
    ids = [programme.id for programme in world.programmes]
    keys, roots = programme_keys(key_directory, ids), root_keys(key_directory, ids)

    def done(step: StepReport) -> None:
        report.steps.append(step)
        if on_step is not None:
            on_step(step)

    done(programmes.load(context, world, keys, roots))
    workers = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    step, _ = certificates.load(
        context, licences(world), keys, key_directory, batch_size=world.generation.batch_size, workers=workers
    )
    done(step)
    done(agreements.load(context, world, keys))
    with context.engine.connect() as connection:
        registry = repository.registry_identity(connection)  # the programmes above made leaf 0 exist
    done(supply.load(context, world, TokenStore(key_directory, registry)))
    with context.engine.connect() as connection:
        report.leaves_after = repository.tree_size(connection)
    report.seconds = time.perf_counter() - started
    return report
