"""The one text a JSON value is written as to the database: a column's stored text, a COPY's cell, a
JSON array parameter.

orjson's compact form, so one value is stored as one text whichever path wrote its row (SQLAlchemy's
INSERT for a lone row, `db.bulk`'s COPY or bound `executemany` for many). orjson refuses a string
holding a lone surrogate, which the standard encoder writes as an escape: such a value keeps that
escaped text rather than failing the write.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)
