"""Demo certificates and their status events, through the same functions as the HTTP endpoints.

Credentials go in batches through `submission.prepare` (signatures and profiles checked, no lock held)
and `submission.commit` (decided and logged under the log lock), exactly as `POST /v1/certificates/batch`
does. Status events go through `certificates.events.submit`, the function behind
`POST /v1/certificates/{id}/events`, which checks the hash chain and the transition rules.

Idempotent without re-signing: licences already registered are skipped before anything is signed, and a
certificate's events resume after the ones it already has, as long as those are the demo's own (the
hash of the last one matches). A certificate whose history someone extended by hand is left alone.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from ecolabel_registry.certificates import events, submission
from ecolabel_registry.certificates.schemas import Outcome
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.demo import parallel, repository
from ecolabel_registry.demo.generate import Licence, timestamp
from ecolabel_registry.demo.history import PlannedEvent
from ecolabel_registry.demo.keys import DemoKey
from ecolabel_registry.demo.outcome import DemoLoadError, StepReport
from ecolabel_registry.demo.signing import sha256_hex, sign
from ecolabel_registry.errors import RegistryError
from verification.did import DidWeb
from verification.payloads import TYP, issuer_for
from verification.status_list import LIST_SIZE, credential_status

EVENTS_PER_TRANSACTION = 500  # bounds how long one write transaction holds the log lock
T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load(
    context: RegistryContext,
    licences: Sequence[Licence],
    keys: dict[str, DemoKey],
    key_directory: Path,
    *,
    batch_size: int,
    workers: int,
) -> tuple[StepReport, dict[tuple[str, str], str]]:
    """Submit the missing licences and events; return the report and each licence's certificate id."""
    report = StepReport("certificates")
    started = time.perf_counter()
    with context.engine.connect() as connection:
        known = repository.certificates_of(connection, keys)
    ids = {licence: registered.id for licence, registered in known.items()}
    missing = [
        licence
        for licence in with_status(licences, context.did_names)
        if (licence.programme, licence.number) not in known
    ]
    report.present["certificates"] += len(licences) - len(missing)
    ids.update(_submit(context, missing, key_directory, sorted(keys), batch_size=batch_size, workers=workers))
    report.added["certificates"] += len(missing)
    pending = [
        (certificate, token)
        for certificate, tokens in _pending_events(licences, ids, known, keys, report)
        for token in tokens
    ]
    _submit_events(context, pending)
    report.added["status events"] += len(pending)
    report.seconds = time.perf_counter() - started
    return report, ids


def with_status(licences: Sequence[Licence], names: DidWeb) -> list[Licence]:
    """Each licence's credential as a standard verifier reads it: issued by the programme's DID (and signed
    under a DID URL kid, `parallel.sign_and_prepare`), with its `credentialStatus`. The n-th licence of a
    programme, in the world's order, holds index n of the programme's lists: stable across reruns."""
    counters: Counter[str] = Counter()
    stated = []
    for licence in licences:
        index = counters[licence.programme]
        counters[licence.programme] += 1
        number, index = divmod(index, LIST_SIZE)
        status = credential_status(names.base_url, licence.programme, index, number)
        payload = {**licence.payload, "issuer": names.programme(licence.programme), "credentialStatus": status}
        stated.append(replace(licence, payload=payload))
    return stated


def _submit(
    context: RegistryContext,
    missing: Sequence[Licence],
    key_directory: Path,
    programmes: list[str],
    *,
    batch_size: int,
    workers: int,
) -> dict[tuple[str, str], str]:
    """Sign and check batches in worker processes while this process commits them one by one, in order."""
    batches = list(chunks(missing, batch_size))
    if not batches:
        return {}
    # Worker processes are forked: they must not inherit open database connections (SQLAlchemy,
    # "Using Connection Pools with Multiprocessing"), so the pool is emptied first; it refills on use.
    context.engine.dispose()
    ids: dict[tuple[str, str], str] = {}
    url = context.settings.database_url
    with parallel.preparer(url, key_directory, programmes, min(workers, len(batches))) as preparer:
        futures = [preparer.submit([(lic.programme, lic.payload) for lic in batch]) for batch in batches]
        for batch, future in zip(batches, futures, strict=True):
            ids.update(_commit(context, batch, parallel.unpack(future.result())))
    return ids


def _submit_events(context: RegistryContext, pending: Sequence[tuple[str, str]]) -> None:
    for batch in chunks(pending, EVENTS_PER_TRANSACTION):
        with write_connection(context.engine) as connection:
            for certificate, token in batch:
                try:
                    events.submit(connection, context, certificate, token)
                except RegistryError as exc:
                    raise DemoLoadError(f"the registry refused a demo event on {certificate}: {exc.detail}") from exc


def _commit(
    context: RegistryContext, batch: Sequence[Licence], prepared: submission.Prepared
) -> dict[tuple[str, str], str]:
    """Decide and log a prepared batch under the log lock, as the batch endpoint does."""
    with write_connection(context.engine) as connection:
        items = submission.commit(connection, context.note_signer, prepared, base_url=context.did_names.base_url)
    found: dict[tuple[str, str], str] = {}
    for licence, item in zip(batch, items, strict=True):
        if item.outcome is Outcome.REJECTED or item.certificate_id is None:
            detail = item.error.detail if item.error else "no outcome"
            raise DemoLoadError(f"the registry refused demo licence {licence.programme} {licence.number}: {detail}")
        found[(licence.programme, licence.number)] = item.certificate_id
    return found


def _pending_events(
    licences: Sequence[Licence],
    ids: dict[tuple[str, str], str],
    known: dict[tuple[str, str], repository.Registered],
    keys: dict[str, DemoKey],
    report: StepReport,
) -> Iterator[tuple[str, list[str]]]:
    for licence in licences:
        if not licence.events:
            continue
        key = (licence.programme, licence.number)
        registered = known.get(key)
        have = registered.event_count if registered else 0
        if have == len(licence.events):
            report.present["status events"] += have
            continue
        chain = event_chain(ids[key], licence, keys[licence.programme])
        mine = have < len(chain) and (
            have == 0 or (registered and registered.last_event_sha256 == sha256_hex(chain[have - 1]))
        )
        if not mine:
            report.notes.append(
                f"{licence.programme} {licence.number}: its history was changed outside the demo; left alone"
            )
            continue
        report.present["status events"] += have
        yield ids[key], chain[have:]


def event_chain(certificate: str, licence: Licence, key: DemoKey) -> list[str]:
    """The licence's planned events signed as a hash chain: each names the SHA-256 of the one before."""
    tokens: list[str] = []
    previous = certificate
    for sequence, event in enumerate(licence.events, start=1):
        token = sign(
            _event_payload(licence.programme, certificate, sequence, previous, event), TYP["certificate_event"], key
        )
        tokens.append(token)
        previous = sha256_hex(token)
    return tokens


def _event_payload(
    programme: str, certificate: str, sequence: int, previous: str, event: PlannedEvent
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "CertificateStatusEvent",
        "issuer": issuer_for(programme),
        "certificate": certificate,
        "sequence": sequence,
        "previous": previous,
        "status": event.status.value,
        "effectiveAt": timestamp(event.effective_at),
        "reason": event.reason,
    }
    if event.valid_until is not None:
        payload["validUntil"] = timestamp(event.valid_until)
    return payload
