"""The story behind the API's examples: every request sent, in order, to a fresh registry, and its answer.

Two example programmes register with keys that are RFC 8032 §7.1 test vectors (public, so anyone can
check the signatures and nobody can mistake them for a programme's keys), agree to recognise each
other, certify a paint; a buyer checks a catalogue; three organisations record a supply chain. The
first exchange of each operation becomes its example in the OpenAPI document (`examples.json`, attached
by `ecolabel_registry.api.examples`), so every request shown was accepted by a registry and every
answer shown is what that registry said, receipts and signed decisions included.

Record again after an API change with `make examples` (which also regenerates the contract);
`test_examples.py` replays the story on both backends and checks the committed examples offline.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from ecolabel_registry.api.examples import EXAMPLES_PATH
from ecolabel_registry.app import create_app
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import write_connection
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.settings import Settings
from ecolabel_registry.status_map import service as status_map
from tests.recognition.world import Signatory, both_ways
from tests.supply.world import gs1, lei
from verification.canonical import dumps_canonical
from verification.jwk import PublicKey

# RFC 8032 §7.1, TEST 1, 2, 3, 1024 and SHA(abc): published secret keys, fit only for examples.
EXAMPLE_KEYS: dict[str, str] = {
    "example-2026": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "partner-2026": "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "example-2027": "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    "example-root": "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
    "partner-root": "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
}
ADMIN_TOKEN = "example-admin-token-0123456789abcdefghijklmnopqrstuv"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# 192.0.2.0/24 is TEST-NET-1 (RFC 5737), a documentation address that no one answers on; the story's
# registry allows private callbacks so that it accepts one (a public registry needs a public host).
CALLBACK = "https://192.0.2.10/hooks/ecolabel-registry"
HOLDER_LEI = lei("5493", "EXAMPLEVERDI")
PAINT_GTIN = gs1("400638133393")


def example_key(kid: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(EXAMPLE_KEYS[kid]))


def example_jwk(kid: str) -> dict[str, Any]:
    return PublicKey.from_private_key(example_key(kid), kid=kid).to_jwk()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass
class Story:
    """Sends each request as a client would (canonical JSON bytes) and keeps the first of each operation."""

    client: TestClient
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)

    def call(
        self,
        operation_id: str,
        summary: str,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        expect: int = 200,
    ) -> Any:
        sent = {**(headers or {}), **({"content-type": "application/json"} if body is not None else {})}
        response = self.client.request(
            method,
            path,
            content=dumps_canonical(body) if body is not None else None,
            params=params,
            headers=sent,
        )
        assert response.status_code == expect, f"{operation_id}: {response.status_code} {response.text}"
        answer = response.json()
        if operation_id not in self.examples:
            example: dict[str, Any] = {"summary": summary}
            if body is not None:
                example["request"] = body
            self.examples[operation_id] = {**example, "status": expect, "response": answer}
        return answer


def programmes(story: Story) -> tuple[Signatory, Signatory]:
    example = Signatory(
        "example-ecolabel",
        {"example-2026": example_key("example-2026")},
        "example-2026",
        roots={"example-root": example_key("example-root")},
    )
    partner = Signatory(
        "partner-ecolabel",
        {"partner-2026": example_key("partner-2026")},
        "partner-2026",
        roots={"partner-root": example_key("partner-root")},
    )
    for programme, names, country in (
        (example, {"en": "Example Ecolabel", "zh": "示例环境标志"}, "IT"),
        (partner, {"en": "Partner Ecolabel", "ja": "パートナー・エコラベル"}, "JP"),
    ):
        story.call(
            "registerProgramme",
            "The operator registers a programme with its root key (kept offline) and its signing key",
            "POST",
            "/v1/programmes",
            body={
                "id": programme.programme_id,
                "names": names,
                "countries": [country],
                "website": f"https://{programme.programme_id}.example.org/",
                "gen_member": True,
                "root_keys": [example_jwk(programme.root_kid)],
                "root_threshold": 1,
                "keys": [example_jwk(programme.kid)],
            },
            headers=ADMIN,
            expect=201,
        )
        payload = programme.category_payload("044", "1")
        story.call(
            "defineCategory",
            "The programme signs its criteria for decorative paints, with CPV and HS codes",
            "POST",
            f"/v1/programmes/{programme.programme_id}/categories",
            body={"category": programme.sign(payload, "ecolabel-category+jwt")},
            expect=201,
        )
    story.call(
        "submitKeyEvent",
        "The programme adds next year's signing key, with a key event signed by its root key",
        "POST",
        f"/v1/programmes/{example.programme_id}/key-events",
        body={"event": example.key_event("add", key=example_jwk("example-2027"))},
        expect=201,
    )
    return example, partner


def certificates(story: Story, example: Signatory) -> tuple[str, str]:
    """Two licences for one paint maker; the second is suspended. Returns both certificate ids."""
    holder = {
        "name": "Vernici Verdi S.p.A. (example)",
        "country": "IT",
        "identifiers": [{"scheme": "LEI", "value": HOLDER_LEI}],
    }
    products = [{"name": "Interior wall paint", "brand": "Verde", "model": "VW-100", "gtin": PAINT_GTIN}]

    def licence(number: str, product: str) -> str:
        payload = example.credential_payload(number, validUntil="2030-12-31T00:00:00Z")
        payload["credentialSubject"].update(holder=holder, products=[{**products[0], "name": product}])
        return example.sign(payload, "vc+jwt")

    first, second = licence("EX/044/001", "Interior wall paint"), licence("EX/044/002", "Exterior masonry paint")
    story.call(
        "submitCertificate",
        "A certification body submits a licence, signed as a W3C Verifiable Credential (JWS)",
        "POST",
        "/v1/certificates",
        body={"credential": first},
        expect=201,
    )
    forged = first[: first.rindex(".") + 1] + "A" * 86  # a signature of the right length that does not verify
    story.call(
        "submitCertificates",
        "A batch: one new licence, one already registered, one with a forged signature",
        "POST",
        "/v1/certificates/batch",
        body={"credentials": [second, first, forged]},
    )
    story.call(
        "submitStatusEvent",
        "The programme suspends the second licence after a surveillance audit",
        "POST",
        f"/v1/certificates/{sha256(second)}/events",
        body={"event": example.status_event(sha256(second), 1, sha256(second), "suspended")},
        expect=201,
    )
    story.call("getCertificate", "A licence with its status history", "GET", f"/v1/certificates/{sha256(first)}")
    return sha256(first), sha256(second)


def agreement(story: Story, example: Signatory, partner: Signatory) -> None:
    token = example.agreement(
        [example.programme_id, partner.programme_id],
        both_ways(example.programme_id, "044", partner.programme_id, "044"),
        title="Example Ecolabel - Partner Ecolabel mutual recognition: decorative paints",
        effectiveFrom="2025-01-01T00:00:00Z",
        effectiveUntil="2030-01-01T00:00:00Z",
        announcement="https://example-ecolabel.example.org/news/mutual-recognition",
    )
    story.call(
        "proposeAgreement",
        "One party proposes a mutual-recognition agreement it has signed",
        "POST",
        "/v1/agreements",
        body={"agreement": token},
        expect=201,
    )
    story.call(
        "signAgreement",
        "The other party signs: the agreement is in force",
        "POST",
        f"/v1/agreements/{sha256(token)}/signatures",
        body={"signature": partner.signature(sha256(token))},
        expect=201,
    )
    renewal = partner.event(
        sha256(token), 1, sha256(token), "renewed", "2029-06-01T00:00:00Z", effectiveUntil="2035-01-01T00:00:00Z"
    )
    story.call(
        "submitAgreementEvent",
        "A party proposes to renew the agreement until 2035: a renewal waits for every recognising party",
        "POST",
        f"/v1/agreements/{sha256(token)}/events",
        body={"event": renewal},
        expect=202,
    )
    story.call(
        "approveAgreementEvent",
        "The other party approves the renewal, which then joins the agreement's chain",
        "POST",
        f"/v1/agreements/{sha256(token)}/events/{sha256(renewal)}/approvals",
        body={"approval": example.event_approval(sha256(token), sha256(renewal))},
        expect=201,
    )


def checks(story: Story, active: str, suspended: str) -> None:
    story.call(
        "resolveEquivalence",
        "Is this licence accepted where the partner's label is required?",
        "GET",
        "/v1/equivalence",
        params={"certificate_id": active, "accepted": "partner-ecolabel:044", "date": "2026-06-01"},
    )
    story.call("verifyCertificate", "One certificate, judged now", "GET", f"/v1/verify/certificates/{active}")
    story.call(
        "checkEligibility",
        "A three-line catalogue against a tender asking for the partner's label or equivalent",
        "POST",
        "/v1/verify/eligibility",
        body={
            "requirement": {"accepted": [{"programme": "partner-ecolabel", "category": "044"}], "equivalents": True},
            "date": "2026-06-01T00:00:00Z",
            "items": [
                {"ref": "line-1", "certificate_id": active},
                {"ref": "line-2", "programme": "example-ecolabel", "licence_number": "EX/044/002"},
                {"ref": "line-3", "gtin": PAINT_GTIN, "model": "VW-100"},
            ],
        },
    )
    question = {
        "authority_id": "partner-ecolabel",
        "resource": "044",
        "action": "accept-as-equivalent",
        "context": {"time": "2026-06-01T00:00:00Z"},
    }
    story.call(
        "queryRecognition",
        "TRQP: does the partner recognise the example programme for its paints category?",
        "POST",
        "/trqp/v2/recognition",
        body={"entity_id": "example-ecolabel", **question},
    )
    story.call(
        "queryAuthorization",
        "TRQP: is this certificate authorized as the partner's paints label?",
        "POST",
        "/trqp/v2/authorization",
        body={"entity_id": active, **question},
    )
    issued = story.call(
        "issueSubscriber",
        "The operator issues a procurement portal a subscriber credential (shown once)",
        "POST",
        "/v1/subscribers",
        body={"name": "Example procurement portal"},
        headers=ADMIN,
        expect=201,
    )
    story.call(
        "createSubscription",
        "The portal watches a licence for status changes; the subscription is the portal's own",
        "POST",
        "/v1/subscriptions",
        body={"callback_url": CALLBACK, "watch": "certificate", "target": suspended},
        headers={"Authorization": f"Bearer {issued['token']}"},
        expect=201,
    )


def open_data(story: Story) -> None:
    story.call(
        "createDump",
        "The operator writes a dump of public data now, pinned to the log's head",
        "POST",
        "/v1/dumps",
        body={},
        headers=ADMIN,
        expect=201,
    )
    story.call("listDumps", "The dumps on offer, each with its files' hashes and signed manifest", "GET", "/v1/dumps")
    day = {"as_of": "2026-06-01"}
    story.call(
        "getCertificateStatistics",
        "Certificates by category and status on a date, with each category's crosswalk",
        "GET",
        "/v1/statistics/certificates",
        params={"group": "category", **day},
    )
    story.call(
        "getCertificateSeries",
        "A programme's certificates month by month",
        "GET",
        "/v1/statistics/certificates/series",
        params={"group": "programme", "programme": "example-ecolabel", "from": "2026-01", "to": "2026-03"},
    )
    story.call(
        "getAgreementStatistics", "Agreements by type and standing", "GET", "/v1/statistics/agreements", params=day
    )
    story.call(
        "getRecognitionMatrix",
        "Which categories are accepted for which, through which agreements",
        "GET",
        "/v1/statistics/recognition-matrix",
        params=day,
    )
    story.call(
        "getSupplyLinkStatistics",
        "Confirmed supply links by country pair (cells of fewer than five buyers or suppliers left out)",
        "GET",
        "/v1/statistics/supply-links",
        params={"month": "2026-06"},
    )
    story.call(
        "getCrossBorderReach",
        "How many active certificates count in the partner's tenders",
        "GET",
        "/v1/statistics/cross-border-reach",
        params=day,
    )


def supply_chain(story: Story) -> None:
    def organisation(name: str, country: str, identifier: dict[str, str]) -> tuple[str, dict[str, str]]:
        registered = story.call(
            "registerOrganisation",
            "The operator registers an organisation with checked identifiers",
            "POST",
            "/v1/organisations",
            body={"type": "Organisation", "names": {"en": name}, "country": country, "identifiers": [identifier]},
            headers=ADMIN,
            expect=201,
        )
        organisation_id: str = registered["organisation"]["id"]
        issued = story.call(
            "issueToken",
            "The operator issues the organisation an API token (shown once)",
            "POST",
            f"/v1/organisations/{organisation_id}/tokens",
            body={"type": "OrganisationToken", "scopes": ["supply:read", "supply:write", "supply:grant"]},
            headers=ADMIN,
            expect=201,
        )
        return organisation_id, {"Authorization": f"Bearer {issued['token']}"}

    buyer, as_buyer = organisation(
        "Harbour Office Fit-out Ltd (example)", "IT", {"scheme": "LEI", "value": lei("5493", "EXAMPLEHARBR")}
    )
    maker, as_maker = organisation("Vernici Verdi S.p.A. (example)", "IT", {"scheme": "LEI", "value": HOLDER_LEI})
    auditor, _ = organisation(
        "Example Assurance GmbH (example)", "DE", {"scheme": "LEI", "value": lei("5493", "EXAMPLEAUDIT")}
    )

    facility = story.call(
        "registerFacility",
        "The paint maker registers its plant",
        "POST",
        "/v1/facilities",
        body={
            "type": "Facility",
            "organisation_id": maker,
            "name": "Verde plant, Modena (example)",
            "address": "Via Emilia 1, Modena",
            "country": "IT",
            "gln": gs1("800123400001"),
            "coordinates": {"latitude": 44.65, "longitude": 10.93},
        },
        headers=as_maker,
        expect=201,
    )
    story.call(
        "registerProduct",
        "The paint maker registers its certified paint by GTIN",
        "POST",
        "/v1/products",
        body={
            "type": "Product",
            "organisation_id": maker,
            "name": "Interior wall paint",
            "gtin": PAINT_GTIN,
            "model": "VW-100",
            "category": "044",
        },
        headers=as_maker,
        expect=201,
    )
    paint = story.call(
        "declareSupplyLink",
        "The buyer declares the paint maker as its supplier of this paint",
        "POST",
        "/v1/supply-links",
        body={
            "type": "SupplyLinkDeclaration",
            "buyer_id": buyer,
            "supplier": {"organisation_id": maker},
            "supplier_facility": {"facility_id": facility["facility"]["id"]},
            "gtin": PAINT_GTIN,
            "volume": {"amount": 12000, "unit": "l"},
            "valid_from": "2026-01-01",
            "evidence": [{"kind": "invoice", "reference": "INV-2026-0142"}],
        },
        headers=as_buyer,
        expect=201,
    )["link"]
    story.call(
        "confirmSupplyLink",
        "The supplier confirms the link",
        "POST",
        f"/v1/supply-links/{paint['id']}/confirmation",
        body={"type": "SupplyLinkConfirmation", "link": paint["id"], "previous": paint["next_event"]["previous"]},
        headers=as_maker,
        expect=201,
    )
    primer = story.call(
        "declareSupplyLink",
        "A second declaration, for primer",
        "POST",
        "/v1/supply-links",
        body={
            "type": "SupplyLinkDeclaration",
            "buyer_id": buyer,
            "supplier": {"organisation_id": maker},
            "material": "primer",
            "valid_from": "2026-01-01",
        },
        headers=as_buyer,
        expect=201,
    )["link"]
    story.call(
        "disputeSupplyLink",
        "The supplier disputes it, with a reason",
        "POST",
        f"/v1/supply-links/{primer['id']}/dispute",
        body={
            "type": "SupplyLinkDispute",
            "link": primer["id"],
            "previous": primer["next_event"]["previous"],
            "reason": "we have never sold primer to this buyer",
        },
        headers=as_maker,
        expect=201,
    )
    story.call(
        "getSupplyChain",
        "The buyer's chain, with each supplier's certificates",
        "GET",
        f"/v1/organisations/{buyer}/supply-chain",
        headers=as_buyer,
    )
    grant = story.call(
        "grantAuditor",
        "The buyer lets an auditor read its chain for a year",
        "POST",
        f"/v1/organisations/{buyer}/auditor-grants",
        body={"type": "AuditorGrant", "auditor": {"organisation_id": auditor}, "valid_until": "2027-12-31"},
        headers=as_buyer,
        expect=201,
    )["grant"]
    story.call(
        "revokeAuditorGrant",
        "The buyer ends the auditor's access now",
        "POST",
        f"/v1/organisations/{buyer}/auditor-grants/{grant['id']}/revocation",
        body={"type": "AuditorGrantRevocation", "grant": grant["id"]},
        headers=as_buyer,
    )
    spare = story.call(
        "issueToken",
        "A second, read-only token for the buyer's reporting system",
        "POST",
        f"/v1/organisations/{buyer}/tokens",
        body={"type": "OrganisationToken", "scopes": ["supply:read"], "label": "reporting"},
        headers=ADMIN,
        expect=201,
    )
    story.call(
        "revokeToken",
        "The operator revokes an organisation's token",
        "POST",
        f"/v1/organisations/{buyer}/tokens/{spare['details']['id']}/revocation",
        body={"type": "OrganisationTokenRevocation", "token": spare["details"]["id"]},
        headers=ADMIN,
    )


def tell(client: TestClient) -> dict[str, dict[str, Any]]:
    """The whole story against `client` (a fresh registry whose admin token is ADMIN_TOKEN)."""
    story = Story(client)
    story.call(
        "getRegistryIdentity", "The keys that check every receipt and decision", "GET", "/.well-known/ecolabel-registry"
    )
    example, partner = programmes(story)
    active, suspended = certificates(story, example)
    agreement(story, example, partner)
    checks(story, active, suspended)
    open_data(story)
    supply_chain(story)
    key_ceremonies(story, example, partner)
    status_proof(story, suspended)
    return story.examples


def status_proof(story: Story, suspended: str) -> None:
    """The operator turns the status map on; a buyer asks for the suspended licence's latest event."""
    context: RegistryContext = story.client.app.state.registry  # type: ignore[attr-defined]  # set in the lifespan
    with write_connection(context.engine) as connection:
        status_map.enable(connection, context.note_signer)
    story.call(
        "getStatusProof",
        "The latest status event of a licence as of a signed checkpoint, with its proof",
        "GET",
        f"/v1/certificates/{suspended}/status-proof",
    )


SEEDED_KIDS = ("example-root-2", "partner-root-2")


def story_keys() -> dict[str, PublicKey]:
    """Every programme key the story signs with, by kid: the RFC 8032 keys and the seeded later roots."""
    keys = {kid: PublicKey.from_private_key(example_key(kid), kid=kid) for kid in EXAMPLE_KEYS}
    keys |= {kid: PublicKey.from_private_key(seeded_key(kid), kid=kid) for kid in SEEDED_KIDS}
    return keys


def seeded_key(seed: str) -> Ed25519PrivateKey:
    """A fixed key for the story's later roots: SHA-256 of a public phrase, fit only for examples."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode("ascii")).digest())


def key_ceremonies(story: Story, example: Signatory, partner: Signatory) -> None:
    """Two roots approve a key event together; the operator recovers the partner's lost root."""
    example.roots["example-root-2"] = seeded_key("example-root-2")
    second = PublicKey.from_private_key(example.roots["example-root-2"], kid="example-root-2").to_jwk()
    path = f"/v1/programmes/{example.programme_id}/key-events"
    for event in (example.key_event("add", key=second, role="root"), example.key_event("threshold", threshold=2)):
        story.call("submitKeyEvent", "", "POST", path, body={"event": event}, expect=201)
    retire = example.key_event("retire", kid="example-2027", reason="the 2027 key was never used")
    proposed = story.call("submitKeyEvent", "", "POST", path, body={"event": retire}, expect=202)
    story.call(
        "listPendingKeyEvents",
        "Key events waiting for more root keys, with the JWS each root reviews before approving",
        "GET",
        f"{path}/pending",
    )
    story.call(
        "approveKeyEvent",
        "A second root key approves the retirement: two of two roots have signed, so it applies",
        "POST",
        f"{path}/{proposed['event_sha256']}/approvals",
        body={"approval": example.key_event_approval(retire, kid="example-root-2")},
        expect=201,
    )
    story.call(
        "recoverProgramme",
        "The operator replaces the root key a programme lost; the registry signs and logs the recovery",
        "POST",
        f"/v1/programmes/{partner.programme_id}/recovery",
        body={
            "root_keys": [PublicKey.from_private_key(seeded_key("partner-root-2"), kid="partner-root-2").to_jwk()],
            "root_threshold": 1,
            "reason": "the root key's offline store was destroyed",
        },
        headers=ADMIN,
        expect=201,
    )


def story_settings(database_url: str, directory: Path) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        signing_key_path=directory / "registry-key.pem",
        admin_token_path=directory / "admin-token",
        log_origin="registry.example.org/log",
        webhook_allow_private=True,
        dump_directory=directory / "dumps",
    )


def record(out: Path = EXAMPLES_PATH) -> None:
    """Tell the story to a fresh SQLite registry and write what it answered as the examples file."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        database_url = f"sqlite:///{directory / 'registry.sqlite3'}"
        upgrade(database_url)
        with TestClient(create_app(story_settings(database_url, directory))) as client:
            examples = tell(client)
    out.write_bytes(orjson.dumps(examples, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.write(f"{len(examples)} operations recorded in {out}\n")


if __name__ == "__main__":
    record()
