"""The first place where the registry's tables and a replay of its log disagree."""

from __future__ import annotations

from typing import Any


class Divergence(Exception):
    """`table` and `key` name the row; `expected` is what the log implies, `found` what the table holds."""

    def __init__(self, table: str, key: Any, expected: Any, found: Any) -> None:
        self.table = table
        self.key = _text(key)
        self.expected = _text(expected)
        self.found = _text(found)
        super().__init__(f"{self.table} {self.key}: expected {self.expected}, found {self.found}")

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "key": self.key, "expected": self.expected, "found": self.found}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Divergence:
        return cls(str(data["table"]), data["key"], data["expected"], data["found"])


def _text(value: Any, limit: int = 500) -> str:
    """A short, printable form: bytes as hex, long values cut (a whole document would flood a report)."""
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).hex()
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
