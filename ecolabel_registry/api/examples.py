"""Examples of each operation's request and answer, attached to the OpenAPI document by operation id.

`examples.json` is recorded, not written by hand: `tests/interop/example_story.py` sends every request
to a fresh registry and keeps what it answered (receipts, checkpoints and signed decisions included,
all checkable offline), so documentation and generated SDKs show shapes the registry really produces.
Signed documents in the requests are signed with published RFC 8032 test keys. `make examples`
records them again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

EXAMPLES_PATH = Path(__file__).with_name("examples.json")
MEDIA_TYPE = "application/json"


def load_examples() -> dict[str, dict[str, Any]]:
    """operationId -> {summary, request (for operations with a body), status, response}."""
    examples: dict[str, dict[str, Any]] = orjson.loads(EXAMPLES_PATH.read_bytes())
    return examples


def attach_examples(document: dict[str, Any], examples: dict[str, dict[str, Any]]) -> None:
    """Put each example beside its operation's request body and documented answer (OpenAPI 3.1 §4.8.14,
    Media Type Object `examples`).

    An example whose operation, body or answer the document no longer has is left out rather than
    failing every request for the document; tests/interop/test_examples.py names each one left out.
    """
    operations = {
        operation["operationId"]: operation
        for item in document.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for operation_id, example in examples.items():
        operation = operations.get(operation_id, {})
        shown = {"summary": example["summary"]}
        request = operation.get("requestBody", {}).get("content", {}).get(MEDIA_TYPE)
        if request is not None and "request" in example:
            request["examples"] = {"example": {**shown, "value": example["request"]}}
        answer = operation.get("responses", {}).get(str(example["status"]), {}).get("content", {}).get(MEDIA_TYPE)
        if answer is not None:
            answer["examples"] = {"example": {**shown, "value": example["response"]}}
