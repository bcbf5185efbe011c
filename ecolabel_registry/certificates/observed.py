"""What a group's checks read about the registry, in one statement before the log lock.

`submission.commit` decides each credential under the log lock from the registry's state: its signing
key's record, whether its programme defined its category, which certificate holds its licence, whether
the registry holds it already (what its programme's rate is charged for), and whether the status map is
on. Read there, that was five statements a group, each paid under the lock. `observe` reads all of it,
with the log head (tree size and root hash), in one statement outside the lock; one statement sees one
snapshot by itself on both backends.

Under the lock `commit` compares that head with the one it locked (`Observed.holds_at`). Every write to
what is read here is made in a transaction that appends to the log (a key change or a programme's
registration is a key-event leaf, a category is its definition's leaf, a certificate and its
supersession are the credential's leaf, the status map's switch is its first root's leaf), and every
append moves the head; equal tree size and root hash mean the same leaves. So an unchanged head means
nothing read here has changed since, in any process, and the observation is what the same reads under
the lock would return. Any difference, or a group the statement does not cover (it names one key, one
category and one programme), and `commit` reads under the lock as before. Nothing is kept after the
group: each group reads afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import (
    Connection,
    Integer,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from ecolabel_registry.categories.repository import categories_table
from ecolabel_registry.certificates.repository import certificates, current_licence
from ecolabel_registry.db.lists import DIALECTS, BinaryArray, one_of
from ecolabel_registry.db.raw import Prebuilt
from ecolabel_registry.log.repository import Head
from ecolabel_registry.log.repository import state_table as log_state
from ecolabel_registry.programmes.keys import key_columns, key_record, keys_table
from ecolabel_registry.status_map.repository import state_table as map_state
from verification.documents import SignedDocument
from verification.keys import KeyRecord
from verification.payloads import EcoLabelCertificate

CategoryKey = tuple[str, str, str]  # programme_id, code, criteria_version


@dataclass(frozen=True)
class State:
    """What `submission.commit` judges a group's credentials by."""

    keys: dict[tuple[str, str], KeyRecord]
    defined: set[CategoryKey]
    registered: dict[str, int]  # certificate id -> leaf index, of those held
    current: dict[tuple[str, str], str]  # (programme, licence number) -> its current certificate
    status_map_on: bool


@dataclass(frozen=True)
class Observed:
    """The `State` of some credentials, read at the log head named here."""

    tree_size: int
    root_hash: bytes
    ids: frozenset[str]  # the certificate ids asked about
    licences: frozenset[tuple[str, str]]  # the (programme, licence number) pairs asked about
    state: State

    def holds_at(self, head: Head, documents: Sequence[SignedDocument[EcoLabelCertificate]]) -> bool:
        """Whether this observation is what reads at `head` would give for `documents` (see the module)."""
        if head.tree_size != self.tree_size or head.root_hash != self.root_hash:
            return False
        return all(
            d.sha256 in self.ids
            and (d.key.programme_id, d.key.kid) in self.state.keys
            and _category(d.payload) in self.state.defined
            and (d.payload.programme_id, d.payload.credential_subject.licence_number) in self.licences
            for d in documents
        )


def observe(connection: Connection, documents: Sequence[SignedDocument[EcoLabelCertificate]]) -> Observed | None:
    """The state `documents` are judged by, read in one statement; None when they name more than one key,
    category or programme, or a key or category the registry does not hold (then `commit` reads it all
    under the lock, and refuses what it must from there)."""
    signers = {(d.key.programme_id, d.key.kid) for d in documents}
    categories = {_category(d.payload) for d in documents}
    if len(signers) != 1 or len(categories) != 1:
        return None
    (programme, kid), (category_programme, code, version) = next(iter(signers)), next(iter(categories))
    if category_programme != programme:
        return None
    ids = sorted({d.sha256 for d in documents})
    numbers = sorted({d.payload.credential_subject.licence_number for d in documents})
    dialect = connection.dialect.name
    lists = (BinaryArray(ids), BinaryArray(numbers)) if dialect == "postgresql" else (_json(ids), _json(numbers))
    row = _READ[dialect].first(
        connection, programme=programme, kid=kid, code=code, version=version, ids=lists[0], values=lists[1]
    )
    if row is None:
        return None
    key = key_record(row, "k_")
    if key is None or not row["category_defined"]:
        return None
    return Observed(
        tree_size=row["tree_size"],
        root_hash=bytes(row["root_hash"]),
        ids=frozenset(ids),
        licences=frozenset((programme, number) for number in numbers),
        state=State(
            keys={(programme, kid): key},
            defined={(programme, code, version)},
            registered=dict(orjson.loads(row["held"] or "[]")),
            current={(programme, n): certificate for n, certificate in orjson.loads(row["current"] or "[]")},
            status_map_on=bool(row["status_map_on"]),
        ),
    )


def _category(payload: EcoLabelCertificate) -> CategoryKey:
    category = payload.credential_subject.category
    return (payload.programme_id, category.code, category.criteria_version)


def _json(values: list[str]) -> str:
    return orjson.dumps(values).decode()


def _pairs(dialect: str, first: ColumnElement[object], second: ColumnElement[object]) -> ColumnElement[object]:
    """A JSON array text of [first, second] pairs over the rows of the select it is placed in."""
    if dialect == "postgresql":
        pairs = func.coalesce(func.json_agg(func.json_build_array(first, second)), literal_column("'[]'::json"))
        return cast(pairs, Text)
    return type_coerce(func.json_group_array(func.json_array(first, second)), Text)


def _statement(dialect: str) -> Prebuilt:
    key_matches = and_(keys_table.c.programme_id == bindparam("programme"), keys_table.c.kid == bindparam("kid"))
    category_defined = exists().where(
        categories_table.c.programme_id == bindparam("programme"),
        categories_table.c.code == bindparam("code"),
        categories_table.c.criteria_version == bindparam("version"),
    )
    held = (
        select(_pairs(dialect, certificates.c.id, certificates.c.leaf_index))
        .where(one_of(certificates.c.id, dialect, "ids"))
        .scalar_subquery()
    )
    current = (
        select(_pairs(dialect, certificates.c.licence_number, certificates.c.id))
        .where(*current_licence(dialect))
        .scalar_subquery()
    )
    status_map_on = select(type_coerce(map_state.c.enabled, Integer)).where(map_state.c.id == 1).scalar_subquery()
    return Prebuilt(
        select(
            log_state.c.tree_size,
            log_state.c.root_hash,
            *key_columns("k_"),
            type_coerce(category_defined, Integer).label("category_defined"),
            type_coerce(held, Text).label("held"),
            type_coerce(current, Text).label("current"),
            type_coerce(status_map_on, Integer).label("status_map_on"),
        )
        .select_from(log_state.outerjoin(keys_table, key_matches))
        .where(log_state.c.id == 1)
    )


_READ = {d: _statement(d) for d in DIALECTS}
