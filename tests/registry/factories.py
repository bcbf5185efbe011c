"""Factories for test data: each call makes a new, valid object with its own keys."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey

_counter = itertools.count(1)


@dataclass
class ProgrammeFixture:
    id: str
    document: dict[str, Any]
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    @property
    def body(self) -> bytes:
        return json.dumps(self.document).encode()


def programme_registration(
    programme_id: str | None = None, *, key_count: int = 1, **overrides: Any
) -> ProgrammeFixture:
    number = next(_counter)
    programme_id = programme_id or f"programme-{number}"
    keys = {f"{programme_id}-key-{i}": generate_private_key() for i in range(1, key_count + 1)}
    document: dict[str, Any] = {
        "id": programme_id,
        "names": {"en": f"Programme {number}", "zh": f"环境标志 {number}"},
        "countries": ["CN"],
        "website": "https://example.org/",
        "gen_member": True,
        "keys": [PublicKey.from_private_key(key, kid=kid).to_jwk() for kid, key in keys.items()],
    }
    document.update(overrides)
    return ProgrammeFixture(id=programme_id, document=document, keys=keys)
