"""Defining categories (signed by their programme) and reading them back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping

from ecolabel_registry.categories import repository
from ecolabel_registry.categories.schemas import CategoryOut
from ecolabel_registry.errors import Conflict, NotFound
from ecolabel_registry.log import service as log
from ecolabel_registry.programmes import repository as programmes
from ecolabel_registry.programmes.signed import open_signed
from verification.leaf import DocumentKind, format_log_time, to_microseconds
from verification.note import NoteSigner
from verification.payloads import TYP, CategoryDefinition
from verification.receipt import Receipt


def define(
    connection: Connection, signer: NoteSigner, programme_id: str, token: str
) -> tuple[CategoryOut, Receipt, bool]:
    """Store a signed category definition; an identical resubmission returns the original receipt."""
    reservation = log.reserve(connection)
    if not programmes.exists(connection, programme_id):
        raise NotFound(f"no programme {programme_id!r}")
    document = open_signed(
        connection,
        token,
        CategoryDefinition,
        TYP["category"],
        programme_id=programme_id,
        logged_us=reservation.integrated_us,
    )
    definition = document.payload
    key = (programme_id, definition.code, definition.criteria.version)
    stored = repository.find(connection, key)
    if stored is not None:
        if bytes(stored["document"]) == token.encode():
            return (
                _out(stored, repository.codes_of(connection, [key])[key]),
                log.receipt_for(connection, stored["leaf_index"]),
                False,
            )
        raise Conflict(
            f"{programme_id} already defined {definition.code} criteria version {definition.criteria.version}",
            code="CATEGORY_VERSION_EXISTS",
        )
    (receipt,) = log.append(connection, signer, [log.Document(DocumentKind.CATEGORY, token.encode())], reservation)
    criteria = definition.criteria
    values: dict[str, Any] = {
        "programme_id": programme_id,
        "code": definition.code,
        "criteria_version": criteria.version,
        "names": dict(definition.names),
        "criteria_id": criteria.id,
        "valid_from_us": to_microseconds(criteria.valid_from),
        "valid_until_us": to_microseconds(criteria.valid_until) if criteria.valid_until else None,
        "transition_end_us": to_microseconds(criteria.transition_end) if criteria.transition_end else None,
        "leaf_index": receipt.leaf_index,
    }
    crosswalk = {
        "cpv": sorted(set(definition.crosswalk.cpv)),
        "cn_procurement": sorted(set(definition.crosswalk.cn_procurement)),
        "hs": sorted(set(definition.crosswalk.hs)),
    }
    codes = [
        {
            "programme_id": programme_id,
            "code": definition.code,
            "criteria_version": criteria.version,
            "scheme": s,
            "value": v,
        }
        for s, values_of_scheme in crosswalk.items()
        for v in values_of_scheme
    ]
    repository.insert_category(connection, values, codes)
    return _out({**values, "document": token.encode()}, crosswalk), receipt, True


def list_for(connection: Connection, programme_id: str) -> list[CategoryOut]:
    if not programmes.exists(connection, programme_id):
        raise NotFound(f"no programme {programme_id!r}")
    rows = repository.of_programme(connection, programme_id)
    codes = repository.codes_of(connection, [(r["programme_id"], r["code"], r["criteria_version"]) for r in rows])
    return [_out(row, codes[(row["programme_id"], row["code"], row["criteria_version"])]) for row in rows]


def _out(row: RowMapping | dict[str, Any], crosswalk: dict[str, list[str]]) -> CategoryOut:
    return CategoryOut(
        programme_id=row["programme_id"],
        code=row["code"],
        criteria_version=row["criteria_version"],
        criteria_id=row["criteria_id"],
        names=row["names"],
        valid_from=format_log_time(row["valid_from_us"]),
        valid_until=format_log_time(row["valid_until_us"]) if row["valid_until_us"] is not None else None,
        transition_end=format_log_time(row["transition_end_us"]) if row["transition_end_us"] is not None else None,
        crosswalk=crosswalk,
        leaf_index=row["leaf_index"],
        document=bytes(row["document"]).decode("ascii"),
    )
