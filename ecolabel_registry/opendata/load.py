"""Loading a dump's JSON Lines into an empty, migrated database: a copy for analysis, not a registry.

Rows go into the registry's own tables (the dump's columns are theirs, plus derived ones that are
dropped here), and each row's logged document into `log_entries` with its hashes recomputed, so every
foreign key holds. The log's tree itself (nodes, head, checkpoints) is not part of a dump: a loaded
database answers queries, it does not serve receipts. Check the download first (`ecolabel-verify dump`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, Table

from ecolabel_registry.agreements.repository import agreements, parties
from ecolabel_registry.agreements.repository import events as agreement_events
from ecolabel_registry.categories.repository import categories_table, codes_table
from ecolabel_registry.certificates.repository import certificates, entries, events
from ecolabel_registry.db.bulk import insert_rows
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.programmes.repository import programmes_table
from verification.leaf import DocumentKind, entry_leaf_hash

BATCH = 5_000


def load_dump(engine: Engine, directory: Path) -> dict[str, int]:
    """Insert every dataset of the dump in `directory`; the number of rows per table."""
    counts: dict[str, int] = {}
    with write_connection(engine) as connection:
        for table, found in _tables(directory):
            batch: list[dict[str, Any]] = []
            for row in found:
                batch.append({name: value for name, value in row.items() if name in table.c})
                counts[table.name] = counts.get(table.name, 0) + 1
                if len(batch) == BATCH:
                    insert_rows(connection, table, batch)
                    batch = []
            insert_rows(connection, table, batch)
    return counts


def _tables(directory: Path) -> Iterator[tuple[Table, Iterator[dict[str, Any]]]]:
    yield entries, (_entry(row) for row in _read(directory, "documents"))
    yield programmes_table, _read(directory, "programmes")
    categories = list(_read(directory, "categories"))
    yield categories_table, iter(categories)
    yield (
        codes_table,
        (
            {**_key(row), "scheme": scheme, "value": value}
            for row in categories
            for scheme in ("cpv", "cn_procurement", "hs")
            for value in row[scheme]
        ),
    )
    yield certificates, _read(directory, "certificates")
    yield events, _read(directory, "status_events")
    found = list(_read(directory, "agreements"))
    yield agreements, iter(found)
    yield parties, (party for row in found for party in row["parties"])
    yield agreement_events, (event for row in found for event in row["events"])


def _key(row: dict[str, Any]) -> dict[str, Any]:
    return {"programme_id": row["programme_id"], "code": row["code"], "criteria_version": row["criteria_version"]}


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    document = base64.b64decode(row["document"])
    kind = DocumentKind(row["kind"])
    return {
        "leaf_index": row["leaf_index"],
        "kind": kind.value,
        "integrated_us": row["integrated_us"],
        "document": document,
        "document_sha256": hashlib.sha256(document).digest(),
        "leaf_hash": entry_leaf_hash(kind, row["integrated_us"], document),
    }


def _read(directory: Path, dataset: str) -> Iterator[dict[str, Any]]:
    with (directory / f"{dataset}.jsonl").open("rb") as handle:
        for line in handle:
            if line.strip():
                yield orjson.loads(line)
