"""A group's writes are sent together (PostgreSQL pipeline mode) and still commit or roll back as one.

The rows of a group commit (its leaves, tree nodes, checkpoint, log head, certificates, products and
holder ids) are sent without waiting for each statement's answer; a statement the database refuses
after others were accepted must leave none of them, and no moved log head.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from ecolabel_registry.certificates import repository, submission
from ecolabel_registry.certificates.schemas import Outcome
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.log import repository as log_repository
from tests.registry.factories import certifier


def _counts(engine: Engine) -> dict[str, Any]:
    tables = {
        "entries": log_repository.entries_table,
        "nodes": log_repository.nodes_table,
        "checkpoints": log_repository.checkpoints_table,
        "certificates": repository.certificates,
        "products": repository.products,
    }
    with engine.connect() as connection:
        counts: dict[str, Any] = {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in tables.items()
        }
        counts["head"] = log_repository.read_head(connection)
    return counts


def _commit(context: RegistryContext, tokens: list[str]) -> list[submission.Item]:
    with context.engine.connect() as connection:
        prepared = submission.prepare(connection, tokens, names=context.did_names)
    with write_connection(context.engine) as connection:
        return submission.commit(connection, context.note_signer, prepared, base_url=context.did_names.base_url)


def test_a_row_refused_after_the_log_was_written_leaves_nothing_of_the_group(
    client: TestClient, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    context: RegistryContext = client.app.state.registry  # type: ignore[attr-defined]  # Starlette's app
    body = certifier(client, admin_headers, "cec")
    before = _counts(context.engine)
    insert_certificates = repository.insert_certificates

    def twice(connection: Any, new: Any) -> None:  # the second copy of each row breaks its primary key
        insert_certificates(connection, new)
        insert_certificates(connection, new)

    monkeypatch.setattr(repository, "insert_certificates", twice)
    with pytest.raises(IntegrityError):
        _commit(context, [body.credential(f"IT/044/{n:03d}") for n in range(4)])
    assert _counts(context.engine) == before

    monkeypatch.setattr(repository, "insert_certificates", insert_certificates)
    items = _commit(context, [body.credential(f"IT/044/{n:03d}") for n in range(4)])
    assert [item.outcome for item in items] == [Outcome.ACCEPTED] * 4
    after = _counts(context.engine)
    assert (after["entries"], after["checkpoints"], after["certificates"], after["products"]) == (
        before["entries"] + 4,
        before["checkpoints"] + 1,
        4,
        before["products"] + 4,
    )
    assert after["head"].tree_size == before["head"].tree_size + 4
