"""`ecolabel-registry worker`: the background work of a registry, in turns on one loop.

- webhook deliveries from the outbox (`webhooks.worker`), at least once, with backoff;
- witness submissions (`log.witnessing`): every new checkpoint goes to the witnesses in
  ECOLABEL_WITNESSES, and their cosignatures are stored for the API to serve.

Several workers may run at once: deliveries are leased, and a witness cosigns the same checkpoint
twice without harm (the second answer is stored once).
"""

from __future__ import annotations

import signal
import threading

import httpx
from sqlalchemy import Engine

from ecolabel_registry.log.witnessing import Witnessing
from ecolabel_registry.settings import Settings
from ecolabel_registry.webhooks.worker import Policy, run_once


def run(engine: Engine, settings: Settings, *, poll_s: float = 0.5, once: bool = False) -> None:
    """Until SIGTERM or SIGINT (finishing the delivery or submission in hand); with `once`, one turn of each."""
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    policy = Policy.from_settings(settings)
    with httpx.Client() as deliveries, httpx.Client(timeout=settings.witness_timeout_s) as witnesses:
        witnessing = Witnessing(engine, settings.witnesses, witnesses)
        while not stop.is_set():
            delivered = run_once(engine, policy, deliveries)
            witnessing.round()
            if once:
                return
            if delivered == 0:
                stop.wait(poll_s)
