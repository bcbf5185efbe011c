"""Every signed payload kind's type accepts exactly what its published JSON Schema allows, apart from the
listed checks (docs/INTEROP.md §7) that its type makes and JSON Schema cannot express.

The credential goes through the whole app in `test_schema_agreement.py`; the other kinds are read here by
the types the registry parses them with (`verification.payloads`), from the schema and from mutations.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ecolabel_registry.api.schemas import PAYLOADS
from tests.registry.payload_mutations import mutations
from tests.registry.schema_agreement import beyond_schema, oracle, payloads, repaired_kind

# The listed checks a payload type makes itself; the rest need the registry's state or the JWS.
TYPE_CHECKS = frozenset(
    {"ordered-times", "instant-in-range", "ordered-versions", "agreement-parties", "recovery-threshold"}
)
KINDS = sorted(name for name in PAYLOADS if name != "ecolabel-certificate")
# An agreement's schema is the largest after the credential's, and slow to draw from: fewer, each mutated more.
EXAMPLES = {"agreement": 2}


def _agrees(name: str, payload: dict[str, Any]) -> None:
    errors = [error.message for error in oracle(name).iter_errors(payload)]
    beyond = [] if errors else beyond_schema(payload, None, TYPE_CHECKS)
    try:
        PAYLOADS[name].model_validate(payload)
        accepted, why = True, ""
    except ValidationError as exc:
        accepted, why = False, str(exc)
    event("accepted" if accepted else f"refused: {', '.join(beyond) or 'schema'}")
    assert accepted == (not errors and not beyond), (payload, errors, beyond, why)


@pytest.mark.parametrize("name", KINDS)
def test_a_payload_type_accepts_exactly_what_its_schema_allows(name: str) -> None:
    @settings(
        max_examples=EXAMPLES.get(name, 10),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its payload and the answer
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        drawn = data.draw(payloads(name), label="from the schema")
        assert oracle(name).is_valid(drawn)
        _agrees(name, drawn)
        valid = repaired_kind(drawn)
        _agrees(name, valid)
        for _ in range(12 // EXAMPLES.get(name, 4)):
            _agrees(name, data.draw(mutations(valid), label="mutated"))

    check()
