"""A link is followed to the supplier's own suppliers only when the supplier confirmed it.

Anyone with a token may declare any organisation as its supplier: that is how a buyer starts a link. If
the chain views followed a declared link, a declaration naming a victim would open the victim's whole
upstream chain to the declarer. Here the attacker declares the victim as its supplier and reads every
view of its own chain (JSON, audit, impact, every export, the console): the victim is shown by its public
identifiers, marked as not confirmed, and nothing of what lies upstream of it appears. Disputing keeps it
so; confirming opens the chain, and a later dispute closes it again.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecolabel_registry.console.security import TOKEN_COOKIE
from tests.registry.factories import Certifier, certificate_id, certifier
from tests.supply.world import Org, Supply, gs1, unique_lei

AS_OF = "2026-06-01"
VICTIM_GTIN = gs1("690000000042")
EXPORT_FORMATS = ("json", "csv", "dot", "svg", "bundle")


@dataclass
class Victim:
    """An organisation with a confirmed two-tier upstream chain, and an attacker that declared it."""

    victim: Org
    refiner: Org  # the victim's direct supplier (confirmed)
    mine: Org  # the refiner's supplier (confirmed)
    attacker: Org
    declared: dict[str, Any]  # attacker <- victim, a material link
    declared_product: dict[str, Any]  # attacker <- victim, naming the victim's product and facility
    refiner_certificate: str
    secrets: dict[str, str]  # what nobody outside the victim's chain may read, by what it is

    def leaks(self, text: str, *, public: tuple[str, ...] = ()) -> list[str]:
        """What of the secrets appears in `text` (leaving out `public`: facts anyone may read elsewhere)."""
        return [what for what, value in self.secrets.items() if value in text and what not in public]


def _facility(supply: Supply, owner: Org, name: str, gln: str) -> str:
    document = {"type": "Facility", "organisation_id": owner.id, "name": name, "address": "1 Secret Road"}
    response = supply.post("/v1/facilities", document | {"country": "CN", "gln": gln}, owner.headers)
    assert response.status_code == 201, response.text
    facility_id: str = response.json()["facility"]["id"]
    return facility_id


def _product(supply: Supply, owner: Org, name: str, gtin: str, model: str) -> None:
    document = {"type": "Product", "organisation_id": owner.id, "name": name, "gtin": gtin, "model": model}
    response = supply.post("/v1/products", document, owner.headers)
    assert response.status_code == 201, response.text


def _certificate(client: TestClient, programme: Certifier, licence: str, holder: Org, gtin: str) -> str:
    payload = programme.credential_payload(licence)
    subject = payload["credentialSubject"]
    subject["holder"] = {"name": "Holder (demo)", "country": "CN", "identifiers": holder.identifiers}
    subject["products"] = [{"name": "Certified product", "gtin": gtin}]
    token = programme.sign(payload, "vc+jwt")
    response = client.post("/v1/certificates", json={"credential": token})
    assert response.status_code == 201, response.text
    return certificate_id(token)


def _confirmed(supply: Supply, supplier: Org, link: dict[str, Any]) -> dict[str, Any]:
    response = supply.confirm(supplier, link)
    assert response.status_code == 201, response.text
    confirmed: dict[str, Any] = response.json()["link"]
    return confirmed


@pytest.fixture
def world(supply: Supply, admin_headers: dict[str, str]) -> Victim:
    refiner_lei, mine_lei = unique_lei(), unique_lei()
    victim = supply.organisation("Victim Electronics (demo)")
    refiner = supply.organisation(
        "Hidden Tantalum Refinery (demo)", identifiers=[{"scheme": "LEI", "value": refiner_lei}]
    )
    mine = supply.organisation("Hidden Coltan Mine (demo)", identifiers=[{"scheme": "LEI", "value": mine_lei}])
    attacker = supply.organisation("Curious Competitor (demo)")

    refiner_gln, refiner_gtin = gs1("690000000011"), gs1("690000000028")
    victim_gln, victim_gtin = gs1("690000000035"), VICTIM_GTIN
    _facility(supply, refiner, "Hidden Smelter Hall", refiner_gln)
    _product(supply, refiner, "Hidden Capacitor X9", refiner_gtin, "HCX-9")
    _facility(supply, victim, "Victim Assembly Plant", victim_gln)
    _product(supply, victim, "Victim Widget W1", victim_gtin, "VW-1")

    upstream = supply.declare(
        victim,
        refiner,
        gtin=refiner_gtin,
        supplier_facility={"gln": refiner_gln},
        volume={"amount": 4321.5, "unit": "t"},
        share=0.37,
        evidence=[{"kind": "invoice", "reference": "HIDDEN-INV-77"}],
    )
    upstream = _confirmed(supply, refiner, upstream)
    ore = supply.declare(refiner, mine, material="hidden coltan ore", volume={"amount": 987.25, "unit": "kg"})
    ore = _confirmed(supply, mine, ore)

    programme = certifier(supply.client, admin_headers, "eu-ecolabel")
    refiner_certificate = _certificate(supply.client, programme, "HIDDEN-LIC-0001", refiner, refiner_gtin)
    _certificate(supply.client, programme, "VICTIM-LIC-0002", victim, victim_gtin)

    declared = supply.declare(attacker, victim, material="widgets for resale")
    declared_product = supply.declare(attacker, victim, gtin=victim_gtin, supplier_facility={"gln": victim_gln})
    secrets = {
        "refiner id": refiner.id,
        "refiner name": "Hidden Tantalum Refinery",
        "refiner identifier": refiner_lei,
        "refiner facility": "Hidden Smelter Hall",
        "refiner facility GLN": refiner_gln,
        "refiner product": "Hidden Capacitor X9",
        "refiner product GTIN": refiner_gtin,
        "refiner certificate": "HIDDEN-LIC-0001",
        "refiner certificate id": refiner_certificate,
        "victim's link to the refiner": upstream["id"],
        "its volume": "4321.5",
        "its evidence": "HIDDEN-INV-77",
        "mine id": mine.id,
        "mine name": "Hidden Coltan Mine",
        "mine identifier": mine_lei,
        "refiner's link to the mine": ore["id"],
        "its material": "hidden coltan ore",
        "its volume (kg)": "987.25",
        # The victim's own registry records and its certification are not the attacker's to read either.
        "victim's facility": "Victim Assembly Plant",
        "victim's product": "Victim Widget W1",
        "victim's certificate": "VICTIM-LIC-0002",
    }
    return Victim(victim, refiner, mine, attacker, declared, declared_product, refiner_certificate, secrets)


def _get(supply: Supply, path: str, reader: Org, **params: Any) -> bytes:
    response = supply.client.get(path, params={"as_of": AS_OF, **params}, headers=reader.headers)
    assert response.status_code == 200, response.text
    return response.content


def _export(supply: Supply, root: Org, reader: Org, export_format: str) -> str:
    content = _get(supply, f"/v1/organisations/{root.id}/supply-chain/export", reader, format=export_format)
    if export_format != "bundle":
        return content.decode()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def _chain(supply: Supply, root: Org, reader: Org) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(_get(supply, f"/v1/organisations/{root.id}/supply-chain", reader))
    return answer


def test_a_declared_link_shows_the_supplier_by_its_public_identifiers_and_stops(supply: Supply, world: Victim) -> None:
    response = _get(supply, f"/v1/organisations/{world.attacker.id}/supply-chain", world.attacker)
    assert world.leaks(response.decode()) == []
    answer = json.loads(response)
    nodes = {node["organisation_id"]: node for node in answer["nodes"]}
    assert set(nodes) == {world.attacker.id, world.victim.id}
    victim = nodes[world.victim.id]
    assert victim["upstream_withheld"] is True
    assert nodes[world.attacker.id]["upstream_withheld"] is False
    assert (victim["names"], victim["country"], victim["identifiers"]) == (
        {"en": "Victim Electronics (demo)"},
        "CN",
        world.victim.identifiers,
    )
    # Unknown, never certified: the registry cannot say this supplier's certificates cover the buyer's chain.
    assert (victim["certification"], victim["certificates"]) == ("unknown", [])
    links = {link["id"]: link for link in answer["links"]}
    assert set(links) == {world.declared["id"], world.declared_product["id"]}
    assert {link["state"] for link in links.values()} == {"declared"}
    assert {link["coverage"] for link in links.values()} == {"unknown"}
    named = links[world.declared_product["id"]]
    # The attacker named the victim's facility and product: their registered details stay the victim's.
    assert named["supplier_facility"] is None
    assert (named["product"]["name"], named["product"]["model"], named["product_certificates"]) == (None, None, [])


@pytest.mark.parametrize("export_format", EXPORT_FORMATS)
def test_no_export_reads_through_a_declared_link(supply: Supply, world: Victim, export_format: str) -> None:
    exported = _export(supply, world.attacker, world.attacker, export_format)
    assert world.leaks(exported) == []
    assert world.victim.id in exported  # the named supplier itself is shown
    if export_format in ("csv", "bundle"):
        assert "supplier_upstream_withheld" in exported
    if export_format in ("dot", "svg", "bundle"):
        assert "not confirmed" in exported


def test_the_bundle_manifest_names_the_withheld_suppliers(supply: Supply, world: Victim) -> None:
    content = _get(
        supply, f"/v1/organisations/{world.attacker.id}/supply-chain/export", world.attacker, format="bundle"
    )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        rows = list(csv.DictReader(io.StringIO(archive.read("supply-chain.csv").decode())))
    assert manifest["upstream_withheld"] == [world.victim.id]
    assert {row["supplier_upstream_withheld"] for row in rows} == {"true"}


def test_the_audit_counts_an_unconfirmed_link_as_unknown_never_as_covered(supply: Supply, world: Victim) -> None:
    response = _get(
        supply, f"/v1/organisations/{world.attacker.id}/audit", world.attacker, **{"from": "2024-06-01", "to": AS_OF}
    )
    assert world.leaks(response.decode()) == []
    report = json.loads(response)
    (tier,) = report["tiers"]
    assert (tier["suppliers"], tier["certified"], tier["unknown"], tier["unconfirmed"]) == (1, 0, 1, 1)
    assert report["gaps"]["unconfirmed_links"] == sorted([world.declared["id"], world.declared_product["id"]])
    (assessed,) = report["low_risk"]["suppliers"]
    assert assessed["low_risk"] is False
    assert "LINK_NOT_CONFIRMED" in assessed["reasons"]
    assert report["expiring"]["within_90_days"] == []


def test_impact_does_not_reach_through_an_unconfirmed_link(
    supply: Supply, world: Victim, admin_headers: dict[str, str]
) -> None:
    path = f"/v1/certificates/{world.refiner_certificate}/impact"
    seen = supply.client.get(path, params={"as_of": AS_OF}, headers=world.attacker.headers)
    assert seen.status_code == 200, seen.text
    # The certificate is public, and with it the products it lists: nothing else of the chain may show.
    assert world.leaks(seen.text, public=("refiner certificate id", "refiner product GTIN")) == []
    assert seen.json()["affected"] == []
    operator = supply.client.get(path, params={"as_of": AS_OF}, headers=admin_headers).json()
    assert [a["organisation_id"] for a in operator["affected"]] == [world.victim.id]  # not on to the attacker
    own = supply.client.get(path, params={"as_of": AS_OF}, headers=world.victim.headers).json()
    assert [a["organisation_id"] for a in own["affected"]] == [world.victim.id]


def test_a_disputed_link_stops_the_chain_too(supply: Supply, world: Victim) -> None:
    disputed = supply.dispute(world.victim, world.declared, reason="we never sold to them")
    assert disputed.status_code == 201, disputed.text
    answer = _chain(supply, world.attacker, world.attacker)
    assert world.leaks(json.dumps(answer)) == []
    states = {link["id"]: link["state"] for link in answer["links"]}
    assert states[world.declared["id"]] == "disputed"
    assert [n["organisation_id"] for n in answer["nodes"] if n["upstream_withheld"]] == [world.victim.id]
    for export_format in EXPORT_FORMATS:
        assert world.leaks(_export(supply, world.attacker, world.attacker, export_format)) == [], export_format
    assert world.leaks(_get(supply, f"/v1/organisations/{world.attacker.id}/audit", world.attacker).decode()) == []


def test_confirming_opens_the_chain_and_a_later_dispute_closes_it_again(supply: Supply, world: Victim) -> None:
    confirmed = _confirmed(supply, world.victim, world.declared)
    answer = _chain(supply, world.attacker, world.attacker)
    nodes = {node["organisation_id"]: node for node in answer["nodes"]}
    assert set(nodes) == {world.attacker.id, world.victim.id, world.refiner.id, world.mine.id}
    assert not any(node["upstream_withheld"] for node in nodes.values())
    assert [c["licence_number"] for c in nodes[world.refiner.id]["certificates"]] == ["HIDDEN-LIC-0001"]
    assert nodes[world.victim.id]["certification"] == "certified"
    # The other declaration is still unconfirmed: it is shown as such, and covers nothing.
    other = next(link for link in answer["links"] if link["id"] == world.declared_product["id"])
    assert (other["state"], other["coverage"]) == ("declared", "unknown")

    disputed = supply.dispute(world.victim, confirmed, reason="the contract ended")
    assert disputed.status_code == 201, disputed.text
    again = _chain(supply, world.attacker, world.attacker)
    assert world.leaks(json.dumps(again)) == []
    assert [n["organisation_id"] for n in again["nodes"] if n["upstream_withheld"]] == [world.victim.id]


def test_the_console_marks_the_supplier_and_shows_nothing_beyond_it(supply: Supply, world: Victim) -> None:
    cookies = {"Cookie": f"{TOKEN_COOKIE}={world.attacker.token}"}
    page = supply.client.get(f"/console/supply/{world.attacker.id}?lang=en", headers=cookies)
    assert page.status_code == 200, page.text
    assert world.leaks(page.text) == []
    assert "Not confirmed by the supplier" in page.text
    assert "node-withheld" in page.text
    chinese = supply.client.get(f"/console/supply/{world.attacker.id}?lang=zh", headers=cookies)
    assert "供应商未确认" in chinese.text
    for export_format in EXPORT_FORMATS:
        exported = supply.client.get(
            f"/console/supply/{world.attacker.id}/export", params={"format": export_format}, headers=cookies
        )
        assert exported.status_code == 200, exported.text
        text = exported.content.decode(errors="replace")
        if export_format == "bundle":
            with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
                text = "\n".join(archive.read(name).decode() for name in archive.namelist())
        assert world.leaks(text) == [], export_format


def test_the_victims_own_views_are_whole(supply: Supply, world: Victim) -> None:
    """The rule withholds nothing from the chain's own readers: the victim still sees its whole chain."""
    answer = _chain(supply, world.victim, world.victim)
    assert {node["organisation_id"] for node in answer["nodes"]} == {world.victim.id, world.refiner.id, world.mine.id}
    (link,) = [link for link in answer["links"] if link["supplier_id"] == world.refiner.id]
    assert (link["supplier_facility"]["name"], link["product"]["name"]) == (
        "Hidden Smelter Hall",
        "Hidden Capacitor X9",
    )
    assert link["coverage"] == "certified"


def test_a_product_registered_outside_the_chain_shows_only_its_gtin(supply: Supply, world: Victim) -> None:
    """A confirmed link for another organisation's product: the GTIN is the buyer's own statement, the
    product's registered name and model are its registrant's, readable only in the registrant's chain."""
    buyer, accomplice = supply.organisation("Another Buyer (demo)"), supply.organisation("Accomplice (demo)")
    link = _confirmed(supply, accomplice, supply.declare(buyer, accomplice, gtin=VICTIM_GTIN))
    answer = _chain(supply, buyer, buyer)
    # A certificate listing the GTIN is public, and it covers the confirmed link whoever holds it.
    assert world.leaks(json.dumps(answer), public=("victim's certificate",)) == []
    shown = next(item for item in answer["links"] if item["id"] == link["id"])
    assert (shown["state"], shown["product"]) == ("confirmed", {"gtin": "0" + VICTIM_GTIN, "name": None, "model": None})
