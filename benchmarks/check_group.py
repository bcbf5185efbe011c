"""A group's checks in process: what `submission.prepare` costs a certificate, timed or counted.

Not a figure: a tool for changes to what checking a submitted credential costs (`submission.prepare`
and everything it calls: the JWS's decoding and strict parses, the payload model, the signature, the
key and programme reads, the per-item checks), which batch ingest and the grouped single submissions
(`Sequencer._check`) both run. The app is built as `serve` builds it (`create_app`, the collector
tuned) on a migrated SQLite file, its programme and category registered through the API; then groups
of fresh credentials (`benchmarks.credentials`, made before any clock) are checked one after the
other, each on a connection of its own as the checker takes one, and each group's `prepare` timed on
its own: thread CPU (`time.thread_time`) a group and a certificate. Every credential must pass.

Under `valgrind --tool=callgrind --instr-atstart=no`, `--callgrind` collects the timed groups (their
`prepare` calls, each group's check that every credential passed and its clock reads; switched on and
off once, since `callgrind_control` acts a little after it is called and a switch per group moved the
count by ~1 %): the figure is the `PROGRAM TOTALS` of `callgrind_annotate` divided by groups times size,
Ed25519's share is `ossl_ed25519_verify`'s inclusive count (it varies by ~0.5 % with each run's fresh
key), and `callgrind_annotate --inclusive=yes` lists where the rest goes:

    .venv/bin/python -m benchmarks.check_group --groups 300
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \
        .venv/bin/python -m benchmarks.check_group --groups 20 --callgrind
    callgrind_annotate --inclusive=yes cg.out | head -60
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import in_process
from benchmarks.credentials import Issuer
from benchmarks.writer_group import _callgrind
from ecolabel_registry import app as registry_app
from ecolabel_registry.certificates import submission
from ecolabel_registry.db.migrate import upgrade

ADMIN = "check-group-admin-token"


def run(groups: int, size: int, warm: int, *, callgrind: bool = False) -> list[float]:
    """Thread CPU seconds of each timed group's `submission.prepare`."""
    issuer = Issuer()
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'check-group.sqlite3'}"
        upgrade(url)
        with in_process.registered_registry(url, Path(workdir), issuer, ADMIN) as (app, _client):
            context = app.state.registry
            registry_app._tune_collector_for_serving()
            tokens = issuer.credentials(0, (warm + groups) * size)
            cpu_times: list[float] = []
            for number, start in enumerate(range(0, len(tokens), size)):
                group = tokens[start : start + size]
                if callgrind and number == warm:
                    _callgrind("on")  # once for every timed group: a switch lands a little late, after a fork
                cpu = time.thread_time()
                with context.engine.connect() as connection:
                    prepared = submission.prepare(connection, group, names=context.did_names)
                cpu = time.thread_time() - cpu
                if number >= warm:
                    cpu_times.append(cpu)
                    accepted = [item for item in prepared.items if item.document is not None]
                    assert len(accepted) == len(group), "every credential passes"
            if callgrind:
                _callgrind("off")
    return cpu_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--warm", type=int, default=20, help="untimed groups first")
    parser.add_argument("--callgrind", action="store_true", help="collect the timed groups alone (callgrind)")
    args = parser.parse_args()
    cpu = run(args.groups, args.size, args.warm, callgrind=args.callgrind)
    print(
        f"sqlite groups={len(cpu)} size={args.size}: cpu median {statistics.median(cpu) * 1e3:.3f} ms "
        f"(mean {statistics.fmean(cpu) * 1e3:.3f}); {statistics.median(cpu) / args.size * 1e6:.0f} µs a certificate"
    )


if __name__ == "__main__":
    main()
