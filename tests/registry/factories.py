"""Factories for test data: each call makes a new, valid object with its own keys."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verification.canonical import dumps_canonical
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey
from verification.jws import sign_compact

_counter = itertools.count(1)


@dataclass
class ProgrammeFixture:
    id: str
    document: dict[str, Any]
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    roots: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    @property
    def body(self) -> bytes:
        return json.dumps(self.document).encode()


def programme_registration(
    programme_id: str | None = None,
    *,
    key_count: int = 1,
    root_count: int = 1,
    root_threshold: int = 1,
    **overrides: Any,
) -> ProgrammeFixture:
    """A registration with `root_count` root keys (they authorise key events) and `key_count` signing keys."""
    number = next(_counter)
    programme_id = programme_id or f"programme-{number}"
    keys = {f"{programme_id}-key-{i}": generate_private_key() for i in range(1, key_count + 1)}
    roots = {f"{programme_id}-root-{i}": generate_private_key() for i in range(1, root_count + 1)}
    document: dict[str, Any] = {
        "id": programme_id,
        "names": {"en": f"Programme {number}", "zh": f"环境标志 {number}"},
        "countries": ["CN"],
        "website": "https://example.org/",
        "gen_member": True,
        "root_keys": [PublicKey.from_private_key(key, kid=kid).to_jwk() for kid, key in roots.items()],
        "root_threshold": root_threshold,
        "keys": [PublicKey.from_private_key(key, kid=kid).to_jwk() for kid, key in keys.items()],
    }
    document.update(overrides)
    return ProgrammeFixture(id=programme_id, document=document, keys=keys, roots=roots)


JSON_HEADERS = {"content-type": "application/json"}


@dataclass
class Certifier:
    """A certification body in tests: its keys, and signed documents built from defaults plus overrides."""

    programme_id: str
    keys: dict[str, Ed25519PrivateKey]
    kid: str
    key_events: int = 0
    roots: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"urn:ecolabel:programme:{self.programme_id}"

    def sign(
        self, payload: dict[str, Any], typ: str, *, kid: str | None = None, key: Ed25519PrivateKey | None = None
    ) -> str:
        kid = kid or self.kid
        return sign_compact(dumps_canonical(payload), key or self.keys.get(kid) or self.roots[kid], kid, typ)

    def category_payload(self, code: str = "044", version: str = "1", **overrides: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "CategoryDefinition",
            "issuer": self.issuer,
            "code": code,
            "names": {"en": "Decorative paints and varnishes", "zh": "装饰涂料"},
            "criteria": {"id": "2014/312/EU", "version": version, "validFrom": "2014-05-28T00:00:00Z"},
            "crosswalk": {"cpv": ["44810000"], "hs": ["3208", "3209"]},
        }
        payload.update(overrides)
        return payload

    def credential_payload(self, licence: str = "IT/044/005", **overrides: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "EcoLabelCertificate"],
            "issuer": self.issuer,
            "validFrom": "2024-01-01T00:00:00Z",
            "validUntil": "2027-12-31T00:00:00Z",
            "credentialSubject": {
                "licenceNumber": licence,
                "holder": {
                    "name": "Vernici Verdi S.p.A.",
                    "country": "IT",
                    "identifiers": [{"scheme": "LEI", "value": "5493001KJTIIGC8Y1R12"}],
                },
                "products": [
                    {"name": "Interior wall paint", "brand": "Verde", "model": "VW-100*", "gtin": "4006381333931"}
                ],
                "category": {"code": "044", "criteriaVersion": "1"},
                "markets": ["IT", "FR"],
            },
        }
        payload.update(overrides)
        return payload

    def credential(self, licence: str = "IT/044/005", **overrides: Any) -> str:
        return self.sign(self.credential_payload(licence, **overrides), "vc+jwt")

    def status_event(
        self, certificate_id: str, sequence: int, previous: str, status: str = "suspended", **overrides: Any
    ) -> str:
        payload: dict[str, Any] = {
            "type": "CertificateStatusEvent",
            "issuer": self.issuer,
            "certificate": certificate_id,
            "sequence": sequence,
            "previous": previous,
            "status": status,
            "effectiveAt": "2025-03-01T00:00:00Z",
            "reason": "non-conformity found at surveillance audit",
        }
        payload.update(overrides)
        return self.sign(payload, "ecolabel-status-event+jwt")

    @property
    def root_kid(self) -> str:
        return next(iter(self.roots))

    def key_event(self, action: str, *, signing_kid: str | None = None, **fields: Any) -> str:
        """A key event signed by `signing_kid`, by default the first root key (roots alone may sign them)."""
        self.key_events += 1
        payload: dict[str, Any] = {
            "type": "KeyEvent",
            "issuer": self.issuer,
            "sequence": self.key_events,
            "action": action,
        }
        payload.update(fields)
        return self.sign(payload, "ecolabel-key-event+jwt", kid=signing_kid or self.root_kid)

    def key_event_approval(self, event: str, *, kid: str) -> str:
        """A root key's approval of a proposed key event (for a threshold above one)."""
        payload = {
            "type": "KeyEventApproval",
            "issuer": self.issuer,
            "event": hashlib.sha256(event.encode()).hexdigest(),
        }
        return self.sign(payload, "ecolabel-key-event-approval+jwt", kid=kid)


def certifier(
    client: Any,
    admin_headers: dict[str, str],
    programme_id: str | None = None,
    *,
    category: bool = True,
    **registration: Any,
) -> Certifier:
    """Register a programme through the API (and its default category), and return its certifier."""
    fixture = programme_registration(programme_id, **registration)
    response = client.post("/v1/programmes", content=fixture.body, headers={**admin_headers, **JSON_HEADERS})
    assert response.status_code == 201, response.text
    kid = next(iter(fixture.keys))
    body = Certifier(programme_id=fixture.id, keys=dict(fixture.keys), kid=kid, roots=dict(fixture.roots))
    if category:
        defined = client.post(
            f"/v1/programmes/{fixture.id}/categories",
            json={"category": body.sign(body.category_payload(), "ecolabel-category+jwt")},
        )
        assert defined.status_code == 201, defined.text
    return body


def certificate_id(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
