"""A JSON value's stored text (`db.jsontext.json_text`): orjson's compact form, and never a failed write."""

from __future__ import annotations

import json

import orjson

from ecolabel_registry.db.jsontext import json_text


def test_a_value_is_written_compact_and_reads_back_equal() -> None:
    value = {"en": "Paints", "ja": "塗料", "codes": ["DE", "FR"]}
    text = json_text(value)
    assert text == '{"en":"Paints","ja":"塗料","codes":["DE","FR"]}'
    assert orjson.loads(text) == value


def test_a_lone_surrogate_keeps_the_standard_encoders_escape_instead_of_failing() -> None:
    value = ["DE", "\ud800"]
    text = json_text(value)
    assert text == json.dumps(value) == '["DE", "\\ud800"]'
    assert json.loads(text) == value
