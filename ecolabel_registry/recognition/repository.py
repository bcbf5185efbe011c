"""The queries resolution needs beyond agreements and certificates: categories by procurement code."""

from __future__ import annotations

from sqlalchemy import Connection, or_, select

from ecolabel_registry.db.models import CategoryCode

codes_table = CategoryCode.__table__  # type: ignore[attr-defined]  # set by SQLModel for table classes


def categories_with_code(connection: Connection, scheme: str, value: str) -> set[tuple[str, str]]:
    """(programme, category code) pairs whose crosswalk lists the code, in any criteria version.

    CPV codes are compared on their eight digits, with or without the check digit ("30213000-5"); the
    code hierarchy is not expanded: a category must list the tender's exact code.
    """
    column = codes_table.c.value
    if scheme == "cpv":
        digits = value[:8]
        matches = or_(column == digits, column.like(digits + "-_"))
    else:
        matches = column == value
    rows = connection.execute(
        select(codes_table.c.programme_id, codes_table.c.code).where(codes_table.c.scheme == scheme, matches).distinct()
    )
    return {(row.programme_id, row.code) for row in rows}
