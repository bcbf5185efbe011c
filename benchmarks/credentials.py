"""Signed test data for the HTTP figures, made before any clock starts.

One issuing programme with one Ed25519 key, one category, and as many certificate credentials as a
figure needs, each different (its own licence number, product model and GTIN), shaped like
`tests/registry/factories.py` makes them: about 0.9 KB of compact JWS each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from stdnum import ean

from verification.canonical import dumps_canonical_fast
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey
from verification.jws import sign_compact

PROGRAMME = "bench-label"
CATEGORY = "044"
CRITERIA_VERSION = "1"
LEI = "5493001KJTIIGC8Y1R12"


def licence(number: int) -> str:
    return f"BENCH/{number:08d}"


def gtin(number: int) -> str:
    """A GTIN-13 with a valid check digit, different for every number below 10^9."""
    base = f"400{number:09d}"
    return base + ean.calc_check_digit(base)


def model(number: int) -> str:
    return f"M-{number}"


@dataclass
class Issuer:
    programme_id: str = PROGRAMME
    kid: str = f"{PROGRAMME}-key-1"
    key: Ed25519PrivateKey = field(default_factory=generate_private_key)
    root: Ed25519PrivateKey = field(default_factory=generate_private_key)  # authorises key events; never used here

    @property
    def issuer(self) -> str:
        return f"urn:ecolabel:programme:{self.programme_id}"

    def registration(self) -> dict[str, Any]:
        """The body of POST /v1/programmes (admin only)."""
        return {
            "id": self.programme_id,
            "names": {"en": "Benchmark label"},
            "countries": ["IT"],
            "website": "https://example.org/",
            "gen_member": True,
            "root_keys": [PublicKey.from_private_key(self.root, kid=f"{self.programme_id}-root-1").to_jwk()],
            "root_threshold": 1,
            "keys": [PublicKey.from_private_key(self.key, kid=self.kid).to_jwk()],
        }

    def category(self) -> str:
        """A signed CategoryDefinition for POST /v1/programmes/{id}/categories."""
        payload = {
            "type": "CategoryDefinition",
            "issuer": self.issuer,
            "code": CATEGORY,
            "names": {"en": "Decorative paints and varnishes"},
            "criteria": {"id": "2014/312/EU", "version": CRITERIA_VERSION, "validFrom": "2014-05-28T00:00:00Z"},
            "crosswalk": {"cpv": ["44810000"]},
        }
        return sign_compact(dumps_canonical_fast(payload), self.key, self.kid, "ecolabel-category+jwt")

    def credential(self, number: int) -> str:
        payload = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "EcoLabelCertificate"],
            "issuer": self.issuer,
            "validFrom": "2024-01-01T00:00:00Z",
            "validUntil": "2030-12-31T00:00:00Z",
            "credentialSubject": {
                "licenceNumber": licence(number),
                "holder": {
                    "name": f"Benchmark Holder {number} S.p.A.",
                    "country": "IT",
                    "identifiers": [{"scheme": "LEI", "value": LEI}],
                },
                "products": [
                    {"name": "Interior wall paint", "brand": "Verde", "model": model(number), "gtin": gtin(number)}
                ],
                "category": {"code": CATEGORY, "criteriaVersion": CRITERIA_VERSION},
                "markets": ["IT", "FR"],
            },
        }
        return sign_compact(dumps_canonical_fast(payload), self.key, self.kid, "vc+jwt")

    def credentials(self, start: int, count: int) -> list[str]:
        return [self.credential(number) for number in range(start, start + count)]
