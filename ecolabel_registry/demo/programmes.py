"""Demo programmes (registered by the operator with their demo key) and their signed category definitions.

Registration goes through `programmes.service.register`, the function behind `POST /v1/programmes`; the
loader acts as the operator, who is whoever holds the registry's configuration. Categories go through
`categories.service.define`, so each definition's signature is checked and the definition is logged.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from sqlalchemy import Connection

from ecolabel_registry.categories import repository as categories_repository
from ecolabel_registry.categories import service as categories
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.demo.generate import timestamp
from ecolabel_registry.demo.keys import DemoKey
from ecolabel_registry.demo.outcome import DemoLoadError, StepReport
from ecolabel_registry.demo.signing import sign
from ecolabel_registry.demo.spec import CategorySpec, ProgrammeSpec, World, as_datetime
from ecolabel_registry.programmes import keys as programme_keys
from ecolabel_registry.programmes import repository as programmes_repository
from ecolabel_registry.programmes import service as programmes
from ecolabel_registry.programmes.schemas import ProgrammeRegistration
from verification.payloads import TYP, issuer_for


def registration_document(world: World, programme: ProgrammeSpec, key: DemoKey, root: DemoKey) -> bytes:
    """The operator's registration request body, which the registry logs as received."""
    document: dict[str, Any] = {
        "id": programme.id,
        "names": programme.names,
        "countries": programme.countries,
        "gen_member": programme.gen_member,
        "accreditation_notes": world.registration_note,
        "root_keys": [root.public.to_jwk()],
        "root_threshold": 1,
        "keys": [key.public.to_jwk()],
    }
    if programme.website:
        document["website"] = programme.website
    return orjson.dumps(document)


def category_payloads(programme: ProgrammeSpec, category: CategorySpec) -> list[dict[str, Any]]:
    """One signed definition per criteria version, as the programme publishes it."""
    description = " ".join(
        part
        for part in (
            category.description,
            "Demo data (ecolabel_registry/demo/world.json).",
            f"Unconfirmed: {', '.join(category.unconfirmed)}." if category.unconfirmed else None,
        )
        if part
    )
    crosswalk = {
        name: codes
        for name, codes in (
            ("cpv", category.crosswalk.cpv),
            ("cnProcurement", category.crosswalk.cn_procurement),
            ("hs", category.crosswalk.hs),
        )
        if codes
    }
    payloads = []
    for criteria in category.criteria:
        document: dict[str, Any] = {"id": criteria.id, "version": criteria.version}
        document["validFrom"] = timestamp(as_datetime(criteria.valid_from))
        if criteria.valid_until:
            document["validUntil"] = timestamp(as_datetime(criteria.valid_until))
        if criteria.transition_end:
            document["transitionEnd"] = timestamp(as_datetime(criteria.transition_end))
        payloads.append(
            {
                "type": "CategoryDefinition",
                "issuer": issuer_for(programme.id),
                "code": category.code,
                "names": category.names,
                "criteria": document,
                "crosswalk": crosswalk,
                "description": description,
            }
        )
    return payloads


def load(context: RegistryContext, world: World, keys: dict[str, DemoKey], roots: dict[str, DemoKey]) -> StepReport:
    report = StepReport("programmes")
    started = time.perf_counter()
    with write_connection(context.engine) as connection:
        for programme in world.programmes:
            key = keys[programme.id]
            if programmes_repository.exists(connection, programme.id):
                _require_same_key(connection, key)
                report.present["programmes"] += 1
            else:
                document = registration_document(world, programme, key, roots[programme.id])
                registration = ProgrammeRegistration.model_validate_json(document)
                programmes.register(connection, context.note_signer, registration, document)
                report.added["programmes"] += 1
            _define_categories(connection, context, programme, key, report)
    report.seconds = time.perf_counter() - started
    return report


def _define_categories(
    connection: Connection, context: RegistryContext, programme: ProgrammeSpec, key: DemoKey, report: StepReport
) -> None:
    for category in programme.categories:
        for payload in category_payloads(programme, category):
            version = payload["criteria"]["version"]
            if categories_repository.find(connection, (programme.id, category.code, version)) is not None:
                report.present["category versions"] += 1
                continue
            token = sign(payload, TYP["category"], key)
            categories.define(connection, context.note_signer, programme.id, token)
            report.added["category versions"] += 1


def _require_same_key(connection: Connection, key: DemoKey) -> None:
    registered = programme_keys.load(connection, [(key.programme, key.kid)]).get((key.programme, key.kid))
    if registered is None or registered.public_key != key.public.raw:
        raise DemoLoadError(
            f"programme {key.programme!r} is registered with another key than the demo key {key.kid!r} in the "
            "key directory: the directory was replaced or belongs to another database. Restore it, or start "
            "from an empty database."
        )
