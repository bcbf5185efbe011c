"""`ecolabel-registry worker`: the background work of a registry, in turns on one loop.

- webhooks (`webhooks.worker`): status events logged since the matching cursor are matched to
  subscriptions and their signed notifications queued, then due deliveries are made, at least once,
  with backoff;
- witness submissions (`log.witnessing`): every new checkpoint goes to the witnesses in
  ECOLABEL_WITNESSES, and their cosignatures are stored for the API to serve;
- open-data statistics (`statistics.refresh`): the precomputed figures follow the log, so that a
  statistics request rarely has leaves of its own to count;
- the daily bulk download (`opendata.dumps`): a full, signed dump of public data every
  ECOLABEL_DUMP_INTERVAL_S into ECOLABEL_DUMP_DIRECTORY.

Several workers may run at once: matching passes give way to each other, deliveries are leased, and a
witness cosigns the same checkpoint twice without harm (the second answer is stored once). A database
error ends only the turn it happened in (each step is one transaction); the worker logs it and tries
again after the poll interval.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.clock import now_us
from ecolabel_registry.db.engine import autocommit_connection
from ecolabel_registry.errors import RegistryError
from ecolabel_registry.log import repository, shrinkage
from ecolabel_registry.log.witnessing import Witnessing
from ecolabel_registry.opendata import dumps
from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_signing_key
from ecolabel_registry.statistics import refresh as statistics_refresh
from ecolabel_registry.webhooks.matching import Notifier
from ecolabel_registry.webhooks.worker import Policy, delivery_client, run_once
from verification.note import NoteSigner, NoteVerifier

_log = logging.getLogger("ecolabel_registry.worker")


def daily_dump(engine: Engine, settings: Settings) -> None:
    """A full dump of public data when the newest is older than `dump_interval_s` (several workers may
    race: each writes under a temporary name and the same checkpoint gives the same directory)."""
    now = now_us()
    if settings.dump_directory is None or not dumps.due(settings.dump_directory, now, settings.dump_interval_s):
        return
    try:
        key = load_signing_key(settings.signing_key_path)
        manifest = dumps.write_dump(engine, key, settings.dump_directory, now_us=now)
    except (OSError, RegistryError) as exc:
        _log.warning("daily dump not written: %s", exc)
        return
    _log.info("wrote the dump of tree size %s to %s", manifest.tree_size, settings.dump_directory)


def run(engine: Engine, settings: Settings, *, poll_s: float = 0.5, once: bool = False) -> None:
    """Until SIGTERM or SIGINT (finishing the delivery or submission in hand); with `once`, one turn of each.

    Needs the registry's signing key (it signs the webhook notifications): `Notifier.from_settings`
    refuses to start without it, before any work.
    """
    notifier = Notifier.from_settings(settings)
    log_verifier = NoteSigner.from_private_key(settings.log_origin, notifier.key).verifier()
    stop = threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    policy = Policy.from_settings(settings)
    with delivery_client() as deliveries, httpx.Client(timeout=settings.witness_timeout_s) as witnesses:
        witnessing = Witnessing(engine, settings.witnesses, witnesses)
        while not stop.is_set():
            try:
                delivered = run_once(engine, policy, notifier, deliveries)
                witnessing.round()
                _record_checkpoint(engine, settings.checkpoint_record, log_verifier)
                statistics_refresh.refresh(engine)
                daily_dump(engine, settings)
            except SQLAlchemyError:
                _log.exception("worker turn failed; retrying in %s s", poll_s)
                delivered = 0
            if once:
                return
            if delivered == 0:
                stop.wait(poll_s)


def _record_checkpoint(engine: Engine, path: Path, verifier: NoteVerifier) -> None:
    """Keep the newest signed checkpoint outside the database, for the LOG_SHRANK check at startup."""
    with autocommit_connection(engine) as connection:
        head = repository.read_head(connection)
    if head.checkpoint is not None:
        shrinkage.remember(path, head.checkpoint, verifier)
