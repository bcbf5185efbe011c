"""Test factories for the supply chain: valid identifiers (check digits computed by python-stdnum, never
made up) and a small driver that registers organisations, issues tokens and declares links through the API.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from stdnum import ean, luhn
from stdnum.cn import uscc
from stdnum.iso7064 import mod_97_10

JSON = {"content-type": "application/json"}
ALL_SCOPES = ["supply:read", "supply:write", "supply:grant"]
_numbers = itertools.count(1)


def lei(lou: str, entity: str) -> str:
    """ISO 17442: 4-character LOU prefix, '00', 12 entity characters, 2 ISO 7064 mod 97-10 check digits."""
    base = f"{lou}00{entity}"
    assert len(base) == 18
    return base + mod_97_10.calc_check_digits(base)


def gs1(digits: str) -> str:
    """A GLN (12 digits in) or GTIN-13 with its GS1 mod-10 check digit."""
    return digits + ean.calc_check_digit(digits)


def unified_social_credit_code(first17: str) -> str:
    """GB 32100-2015: 17 characters and the check character."""
    return first17 + uscc.calc_check_digit(first17)


def italian_vat(ten_digits: str) -> str:
    return "IT" + ten_digits + luhn.calc_check_digit(ten_digits)


def unique_lei() -> str:
    return lei("5493", f"TEST{next(_numbers):08d}")


def body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


@dataclass
class Org:
    id: str
    token: str
    identifiers: list[dict[str, str]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def ref(self) -> dict[str, str]:
        return {"organisation_id": self.id}


@dataclass
class Supply:
    """Drives the supply-chain API the way a client would, with the exact bytes it sends."""

    client: TestClient
    admin_headers: dict[str, str]

    def post(self, path: str, document: dict[str, Any], headers: dict[str, str]) -> Response:
        return self.client.post(path, content=body(document), headers={**headers, **JSON})

    def organisation(
        self,
        name: str,
        country: str = "CN",
        identifiers: list[dict[str, str]] | None = None,
        scopes: list[str] | None = None,
        **names: str,
    ) -> Org:
        identifiers = [{"scheme": "LEI", "value": unique_lei()}] if identifiers is None else identifiers
        document = {"type": "Organisation", "names": {"en": name, **names}, "country": country}
        if identifiers:
            document["identifiers"] = identifiers
        created = self.post("/v1/organisations", document, self.admin_headers)
        assert created.status_code == 201, created.text
        organisation_id = created.json()["organisation"]["id"]
        return Org(organisation_id, self.token(organisation_id, scopes or ALL_SCOPES), identifiers)

    def token(self, organisation_id: str, scopes: list[str], **extra: Any) -> str:
        document = {"type": "OrganisationToken", "scopes": scopes, **extra}
        issued = self.post(f"/v1/organisations/{organisation_id}/tokens", document, self.admin_headers)
        assert issued.status_code == 201, issued.text
        token: str = issued.json()["token"]
        return token

    def declaration(self, buyer: Org, seller: Org, **fields: Any) -> dict[str, Any]:
        """A declaration by `buyer` of `seller` as its supplier; `fields` override or add members."""
        document: dict[str, Any] = {
            "type": "SupplyLinkDeclaration",
            "buyer_id": buyer.id,
            "supplier": seller.ref,
            "valid_from": "2024-01-01",
        }
        if "gtin" not in fields and "material" not in fields:
            document["material"] = "paper"
        document.update(fields)
        return document

    def declare(self, buyer: Org, seller: Org, **fields: Any) -> dict[str, Any]:
        response = self.post("/v1/supply-links", self.declaration(buyer, seller, **fields), buyer.headers)
        assert response.status_code == 201, response.text
        link: dict[str, Any] = response.json()["link"]
        return link

    def link(self, buyer: Org, seller: Org, **fields: Any) -> dict[str, Any]:
        """A link declared by `buyer` and confirmed by `seller`: one the chain views follow."""
        answered = self.confirm(seller, self.declare(buyer, seller, **fields))
        assert answered.status_code == 201, answered.text
        link: dict[str, Any] = answered.json()["link"]
        return link

    def confirm(self, supplier: Org, link: dict[str, Any], **fields: Any) -> Response:
        document = {
            "type": "SupplyLinkConfirmation",
            "link": link["id"],
            "previous": link["next_event"]["previous"],
            **fields,
        }
        return self.post(f"/v1/supply-links/{link['id']}/confirmation", document, supplier.headers)

    def dispute(
        self, supplier: Org, link: dict[str, Any], reason: str = "we never sold this", **fields: Any
    ) -> Response:
        document = {
            "type": "SupplyLinkDispute",
            "link": link["id"],
            "previous": link["next_event"]["previous"],
            "reason": reason,
            **fields,
        }
        return self.post(f"/v1/supply-links/{link['id']}/dispute", document, supplier.headers)

    def grant(self, organisation: Org, auditor: Org, valid_until: str = "2099-01-01") -> dict[str, Any]:
        document = {"type": "AuditorGrant", "auditor": auditor.ref, "valid_until": valid_until}
        response = self.post(f"/v1/organisations/{organisation.id}/auditor-grants", document, organisation.headers)
        assert response.status_code == 201, response.text
        grant: dict[str, Any] = response.json()["grant"]
        return grant

    def chain(self, organisation: Org, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
        response = self.client.get(
            f"/v1/organisations/{organisation.id}/supply-chain", params=params, headers=headers or organisation.headers
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer
