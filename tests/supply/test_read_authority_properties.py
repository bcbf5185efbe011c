"""Who may read what in the supply chain, as a state machine over random histories.

Random organisations (each with a facility, a product and a certificate) declare links naming random
suppliers; suppliers confirm or dispute them, in any order and again later; organisations grant and revoke
audit access to others; the operator revokes and reissues tokens. Between the writes, random callers — an
organisation with its current token or a revoked one, the operator, nobody — read every supply view: the
chain, the audit, each export, the console page, the impact of a certificate, organisations, facilities,
products, links and their listings, grants, logged documents and `/v1/me`.

Every answer is checked against a model kept beside the registry. The invariant: no read returns
supply-chain data of an organisation outside the reader's reach. A reader reaches the chains it may read
(its own, those of organisations whose grant to it is in force, every chain for the operator), and within
a chain only what its links' suppliers confirmed: the chain's root and the organisations reached through
confirmed links are *disclosed* (their names, links, facilities, products and certificates may show); a
supplier named by an unconfirmed link from a disclosed buyer is shown by its public identity alone, marked
`upstream_withheld`; nothing of any other organisation may appear. Chain answers must also equal the
model's chain exactly (nodes, withheld marks, links), impact answers its affected organisations.

Each example builds its own organisations in one database (examples do not clean up: no example's links
reach another's organisations, and the model checks only its own). Examples per backend come from
`ECOLABEL_READ_AUTHORITY_EXAMPLES` (default 6, a few seconds each on this machine's two cores) and steps per
example from `ECOLABEL_READ_AUTHORITY_STEPS` (default 30); a longer campaign, e.g.
`ECOLABEL_READ_AUTHORITY_EXAMPLES=200 .venv/bin/pytest tests/supply/test_read_authority_properties.py`.
It runs on SQLite and PostgreSQL like every storage test.
"""

from __future__ import annotations

import io
import itertools
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from ecolabel_registry.console.security import TOKEN_COOKIE
from tests.registry.conftest import ADMIN_TOKEN
from tests.registry.factories import Certifier, certificate_id, certifier
from tests.supply.world import ALL_SCOPES, Org, Supply, gs1, unique_lei

EXAMPLES = int(os.environ.get("ECOLABEL_READ_AUTHORITY_EXAMPLES", "6"))
STEPS = int(os.environ.get("ECOLABEL_READ_AUTHORITY_STEPS", "30"))
MAX_ORGANISATIONS = 5
AS_OF = "2026-06-01"  # links hold from 2024-01-01, every certificate from 2024-01-01 to 2027-12-31
EXPORT_FORMATS = ("json", "csv", "dot", "svg", "bundle")
_numbers = itertools.count(1)


@dataclass
class Party:
    """An organisation of the model, with the marks of its private records (unique in the database)."""

    org: Org
    name: str
    facility_id: str
    facility: str  # the facility's name
    gln: str
    product_id: str
    product: str  # the product's name
    gtin: str
    certificate: str  # its certificate's id
    licence: str  # its certificate's licence number
    revoked_tokens: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.org.id


@dataclass
class Link:
    id: str
    buyer: str
    supplier: str
    mark: str  # its material, or for product links the buyer's evidence reference
    state: str = "declared"
    previous: str = ""


@dataclass
class Grant:
    id: str
    organisation: str
    auditor: str
    leaf: int
    active: bool = True


@dataclass(frozen=True)
class Document:
    leaf: int
    own_business: bool  # a grant or a token: the organisation's own, not its chain's
    owner: str
    party: str | None


@dataclass(frozen=True)
class Reader:
    """Who reads: an organisation (by its current or a revoked token), the operator, or nobody."""

    kind: str  # "organisation", "revoked", "operator", "anonymous"
    party: Party | None = None

    @property
    def organisation(self) -> str | None:
        return self.party.id if self.party is not None and self.kind == "organisation" else None


class Registry:
    """The model: the parties, links, grants and documents of one example, and what each reader may see."""

    def __init__(self) -> None:
        self.parties: dict[str, Party] = {}
        self.links: dict[str, Link] = {}
        self.product_links: set[tuple[str, str]] = set()  # (buyer, supplier): one open product link each
        self.grants: dict[str, Grant] = {}
        self.documents: list[Document] = []

    def may_read_chain(self, reader: Reader, root: str) -> bool:
        if reader.kind == "operator":
            return True
        who = reader.organisation
        return who is not None and (
            who == root or any(g.active and (g.organisation, g.auditor) == (root, who) for g in self.grants.values())
        )

    def readable_roots(self, reader: Reader) -> set[str]:
        return {root for root in self.parties if self.may_read_chain(reader, root)}

    def chain(self, root: str) -> tuple[set[str], set[str], set[str]]:
        """The disclosed organisations, the withheld ones, and the links shown, of `root`'s chain."""
        disclosed, frontier = {root}, [root]
        while frontier:
            frontier = [
                link.supplier
                for link in self.links.values()
                if link.buyer in frontier and link.state == "confirmed" and link.supplier not in disclosed
            ]
            disclosed.update(frontier)
        shown = {link.id for link in self.links.values() if link.buyer in disclosed}
        withheld = {
            link.supplier
            for link in self.links.values()
            if link.buyer in disclosed and link.state != "confirmed" and link.supplier not in disclosed
        }
        return disclosed, withheld, shown

    def forbidden_in(self, roots: set[str]) -> dict[str, str]:
        """Marks that must not appear in an answer drawn from these roots' chains, by what they are."""
        disclosed: set[str] = set()
        named: set[str] = set()
        shown: set[str] = set()
        for root in roots:
            inside, withheld, links = self.chain(root)
            disclosed |= inside
            named |= inside | withheld
            shown |= links
        marks: dict[str, str] = {}
        for party in self.parties.values():
            if party.id not in named:
                marks |= {f"id of {party.name}": party.id, f"name of {party.name}": party.name}
                marks[f"identifier of {party.name}"] = party.org.identifiers[0]["value"]
            if party.id not in disclosed:
                marks |= {
                    f"facility of {party.name}": party.facility,
                    f"product of {party.name}": party.product,
                    f"licence of {party.name}": party.licence,
                }
        for link in self.links.values():
            if link.id not in shown:
                marks |= {f"link {link.id[:8]}": link.id, f"mark of link {link.id[:8]}": link.mark}
        return marks

    def affected(self, holder: str, reader: Reader) -> set[str]:
        """Who depends downstream, through confirmed links, on `holder`'s certificate (as the reader sees it).

        Product links here are always for their supplier's own product, so the certificate covers exactly the
        confirmed links its holder sells through."""
        reached: set[str] = set()
        frontier = {holder}
        while frontier:
            frontier = {
                link.buyer
                for link in self.links.values()
                if link.supplier in frontier and link.state == "confirmed" and link.buyer not in reached
            }
            reached |= frontier
        return reached if reader.kind == "operator" else reached & self.readable_roots(reader)

    def may_read_document(self, reader: Reader, document: Document) -> bool:
        if reader.kind == "operator":
            return True
        who = reader.organisation
        if who is not None and who == document.party:
            return True
        if document.own_business:
            return who == document.owner
        return self.may_read_chain(reader, document.owner)


def _text(content: bytes, export_format: str | None = None) -> str:
    if export_format != "bundle":
        return content.decode(errors="replace")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def _leaks(text: str, marks: dict[str, str]) -> list[str]:
    return sorted(what for what, value in marks.items() if value in text)


def test_no_read_ever_reaches_beyond_the_readers_confirmed_chains(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    supply = Supply(client, admin_headers)
    programme = certifier(client, admin_headers, "eu-ecolabel")
    run_state_machine_as_test(
        lambda: ReadAuthority(supply, programme),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,  # examples run against a fresh database each time: a stored one would mean nothing
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


class ReadAuthority(RuleBasedStateMachine):
    def __init__(self, supply: Supply, programme: Certifier) -> None:
        super().__init__()
        self.supply, self.client, self.programme = supply, supply.client, programme
        self.model = Registry()

    # --- writes -------------------------------------------------------------------------------------------

    @initialize()
    def two_organisations(self) -> None:
        self.register()
        self.register()

    @precondition(lambda self: len(self.model.parties) < MAX_ORGANISATIONS)
    @rule()
    def register(self) -> None:
        """The operator registers an organisation; it registers a facility and a product, and a programme
        certifies it (holder and product): every kind of record a chain view could leak."""
        number = next(_numbers)
        org = self.supply.organisation(f"Company {number}-x", identifiers=[{"scheme": "LEI", "value": unique_lei()}])
        gln, gtin = gs1(f"68{number:010d}"), gs1(f"69{number:010d}")
        site = {"type": "Facility", "organisation_id": org.id, "name": f"Site {number}-x", "address": "1 Road"}
        facility = self.supply.post("/v1/facilities", site | {"country": "CN", "gln": gln}, org.headers)
        assert facility.status_code == 201, facility.text
        item = {"type": "Product", "organisation_id": org.id, "name": f"Product {number}-x", "gtin": gtin}
        product = self.supply.post("/v1/products", item, org.headers)
        assert product.status_code == 201, product.text
        payload = self.programme.credential_payload(f"LIC-{number}-x")
        payload["credentialSubject"]["holder"] = {"name": "Holder", "country": "CN", "identifiers": org.identifiers}
        payload["credentialSubject"]["products"] = [{"name": "Listed product", "gtin": gtin}]
        credential = self.programme.sign(payload, "vc+jwt")
        assert self.client.post("/v1/certificates", json={"credential": credential}).status_code == 201
        self.model.parties[org.id] = Party(
            org=org,
            name=f"Company {number}-x",
            facility_id=facility.json()["facility"]["id"],
            facility=f"Site {number}-x",
            gln=gln,
            product_id=product.json()["product"]["id"],
            product=f"Product {number}-x",
            gtin=gtin,
            certificate=certificate_id(credential),
            licence=f"LIC-{number}-x",
        )
        for written in (facility.json()["facility"], product.json()["product"]):
            self.model.documents.append(Document(written["leaf_index"], False, org.id, None))

    def _party(self, data: st.DataObject) -> Party:
        # In the order they were made, never by id: ids are random, and a replayed example must draw the same.
        return data.draw(st.sampled_from(list(self.model.parties.values())))

    @rule(data=st.data(), product=st.booleans())
    def declare(self, data: st.DataObject, product: bool) -> None:
        """A buyer declares a supplier: for a material, or for the supplier's product at its facility."""
        buyer, supplier = self._party(data), self._party(data)
        if buyer.id == supplier.id:
            return
        mark = f"mark-{next(_numbers)}-x"
        fields: dict[str, Any] = (
            {
                "gtin": supplier.gtin,
                "supplier_facility": {"gln": supplier.gln},
                "evidence": [{"kind": "invoice", "reference": mark}],
            }
            if product
            else {"material": mark, "volume": {"amount": 10, "unit": "t"}}
        )
        document = self.supply.declaration(buyer.org, supplier.org, **fields)
        sent = self.supply.post("/v1/supply-links", document, buyer.org.headers)
        if product and (buyer.id, supplier.id) in self.model.product_links:
            assert (sent.status_code, sent.json()["code"]) == (409, "LINK_OVERLAPS"), sent.text
            return
        assert sent.status_code == 201, sent.text
        link = sent.json()["link"]
        self.model.links[link["id"]] = Link(link["id"], buyer.id, supplier.id, mark, previous=link["id"])
        if product:
            self.model.product_links.add((buyer.id, supplier.id))
        self.model.documents.append(Document(link["leaf_index"], False, buyer.id, supplier.id))

    @precondition(lambda self: self.model.links)
    @rule(data=st.data(), confirm=st.booleans(), by_supplier=st.booleans())
    def answer(self, data: st.DataObject, confirm: bool, by_supplier: bool) -> None:
        """The supplier (or, refused, someone else) confirms or disputes a link, whatever it said before."""
        link = data.draw(st.sampled_from(list(self.model.links.values())))
        speaker = self.model.parties[link.supplier] if by_supplier else self._party(data)
        state = "confirmed" if confirm else "disputed"
        document: dict[str, Any] = {"link": link.id, "previous": link.previous}
        if confirm:
            document |= {"type": "SupplyLinkConfirmation"}
        else:
            document |= {"type": "SupplyLinkDispute", "reason": "not as declared"}
        path = f"/v1/supply-links/{link.id}/{'confirmation' if confirm else 'dispute'}"
        sent = self.supply.post(path, document, speaker.org.headers)
        if speaker.id != link.supplier:  # only the supplier speaks for itself
            assert (sent.status_code, sent.json()["code"]) == (403, "NOT_YOUR_ORGANISATION"), sent.text
        elif link.state == state:
            assert sent.status_code == 409, sent.text
        else:
            assert sent.status_code == 201, sent.text
            answered = sent.json()["link"]
            link.state, link.previous = state, answered["next_event"]["previous"]
            leaf = answered["events"][-1]["leaf_index"]
            self.model.documents.append(Document(leaf, False, link.buyer, link.supplier))

    @rule(data=st.data())
    def grant(self, data: st.DataObject) -> None:
        organisation, auditor = self._party(data), self._party(data)
        document = {"type": "AuditorGrant", "auditor": auditor.org.ref, "valid_until": "2099-01-01"}
        path = f"/v1/organisations/{organisation.id}/auditor-grants"
        sent = self.supply.post(path, document, organisation.org.headers)
        held = {(g.organisation, g.auditor) for g in self.model.grants.values() if g.active}
        if organisation.id == auditor.id:
            assert (sent.status_code, sent.json()["code"]) == (422, "SELF_GRANT"), sent.text
        elif (organisation.id, auditor.id) in held:
            assert (sent.status_code, sent.json()["code"]) == (409, "GRANT_EXISTS"), sent.text
        else:
            assert sent.status_code == 201, sent.text
            made = sent.json()["grant"]
            self.model.grants[made["id"]] = Grant(made["id"], organisation.id, auditor.id, made["leaf_index"])
            self.model.documents.append(Document(made["leaf_index"], True, organisation.id, auditor.id))

    @precondition(lambda self: any(grant.active for grant in self.model.grants.values()))
    @rule(data=st.data())
    def revoke_grant(self, data: st.DataObject) -> None:
        grant = data.draw(st.sampled_from([g for g in self.model.grants.values() if g.active]))
        owner = self.model.parties[grant.organisation]
        sent = self.supply.post(
            f"/v1/organisations/{owner.id}/auditor-grants/{grant.id}/revocation",
            {"type": "AuditorGrantRevocation", "grant": grant.id},
            owner.org.headers,
        )
        assert sent.status_code == 200, sent.text
        grant.active = False
        self.model.documents.append(Document(sent.json()["receipt"]["leaf_index"], True, owner.id, grant.auditor))

    @rule(data=st.data())
    def replace_token(self, data: st.DataObject) -> None:
        """The operator revokes an organisation's token and issues it a new one."""
        party = self._party(data)
        token_id = party.org.token.split("_")[1]
        sent = self.supply.post(
            f"/v1/organisations/{party.id}/tokens/{token_id}/revocation",
            {"type": "OrganisationTokenRevocation", "token": token_id},
            self.supply.admin_headers,
        )
        assert sent.status_code == 200, sent.text
        self.model.documents.append(Document(sent.json()["receipt"]["leaf_index"], True, party.id, None))
        party.revoked_tokens.append(party.org.token)
        party.org.token = self.supply.token(party.id, ALL_SCOPES)

    # --- reads --------------------------------------------------------------------------------------------

    def _reader(self, data: st.DataObject) -> tuple[Reader, str | None]:
        """A reader and the bearer token it presents (None: nothing)."""
        kind = data.draw(st.sampled_from(["organisation", "organisation", "revoked", "operator", "anonymous"]))
        if kind == "operator":
            return Reader("operator"), ADMIN_TOKEN
        if kind == "anonymous":
            return Reader("anonymous"), None
        party = self._party(data)
        if kind == "revoked" and party.revoked_tokens:
            return Reader("revoked", party), data.draw(st.sampled_from(party.revoked_tokens))
        return Reader("organisation", party), party.org.token

    def _get(self, path: str, token: str | None, **params: str) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(path, params=params, headers=headers)

    def _judge(self, reader: Reader, status: int, allowed: bool, refusal: int = 403) -> bool:
        """Check the status against the model; True when the answer is a body to inspect."""
        if reader.kind in ("anonymous", "revoked"):
            assert status == 401, (reader, status)
            return False
        assert status == (200 if allowed else refusal), (reader, status, allowed)
        return allowed

    @rule(data=st.data(), view=st.sampled_from(["chain", "audit", *EXPORT_FORMATS]))
    def read_chain(self, data: st.DataObject, view: str) -> None:
        reader, token = self._reader(data)
        root = self._party(data)
        if view in EXPORT_FORMATS:
            path, params = f"/v1/organisations/{root.id}/supply-chain/export", {"format": view}
        else:
            path, params = f"/v1/organisations/{root.id}/{'supply-chain' if view == 'chain' else 'audit'}", {}
        response = self._get(path, token, as_of=AS_OF, **params)
        if not self._judge(reader, response.status_code, self.model.may_read_chain(reader, root.id)):
            return
        assert _leaks(_text(response.content, view), self.model.forbidden_in({root.id})) == [], view
        disclosed, withheld, shown = self.model.chain(root.id)
        if view == "chain":
            answer = response.json()
            assert {n["organisation_id"] for n in answer["nodes"]} == disclosed | withheld
            assert {n["organisation_id"] for n in answer["nodes"] if n["upstream_withheld"]} == withheld
            assert {link["id"] for link in answer["links"]} == shown
            assert all(link["coverage"] == "unknown" for link in answer["links"] if link["state"] != "confirmed")
        elif view == "audit":
            tiers = response.json()["tiers"]
            # Every party holds an active certificate: exactly the disclosed suppliers are certified, and the
            # withheld ones, whose certificates the chain never states, are unknown.
            assert sum(t["certified"] for t in tiers) == len(disclosed) - 1
            assert sum(t["unknown"] for t in tiers) == sum(t["unconfirmed"] for t in tiers) == len(withheld)

    @rule(data=st.data())
    def read_console(self, data: st.DataObject) -> None:
        """The console page of a chain: the same rule, and no operator token in a browser."""
        reader, token = self._reader(data)
        root = self._party(data)
        cookie = {"Cookie": f"{TOKEN_COOKIE}={token}"} if token else {}
        page = self.client.get(f"/console/supply/{root.id}", params={"as_of": AS_OF}, headers=cookie)
        if reader.kind != "organisation":
            assert page.status_code == 401, (reader, page.status_code)
            return
        if self._judge(reader, page.status_code, self.model.may_read_chain(reader, root.id)):
            assert _leaks(page.text, self.model.forbidden_in({root.id})) == []

    @rule(data=st.data())
    def read_impact(self, data: st.DataObject) -> None:
        reader, token = self._reader(data)
        holder = self._party(data)
        response = self._get(f"/v1/certificates/{holder.certificate}/impact", token, as_of=AS_OF)
        if not self._judge(reader, response.status_code, True):
            return
        assert {a["organisation_id"] for a in response.json()["affected"]} == self.model.affected(holder.id, reader)
        roots = set(self.model.parties) if reader.kind == "operator" else self.model.readable_roots(reader)
        assert _leaks(response.text, self.model.forbidden_in(roots)) == []

    @rule(
        data=st.data(),
        what=st.sampled_from(["organisation", "facility", "product", "buyer links", "supplier links", "grants"]),
    )
    def read_records(self, data: st.DataObject, what: str) -> None:
        reader, token = self._reader(data)
        owner = self._party(data)
        path = {
            "organisation": f"/v1/organisations/{owner.id}",
            "facility": f"/v1/facilities/{owner.facility_id}",
            "product": f"/v1/products/{owner.product_id}",
            "buyer links": f"/v1/organisations/{owner.id}/supply-links",
            "supplier links": f"/v1/organisations/{owner.id}/supply-links",
            "grants": f"/v1/organisations/{owner.id}/auditor-grants",
        }[what]
        if what in ("supplier links", "grants"):  # whom it sells to, whom it admits: its own business
            allowed = reader.kind == "operator" or reader.organisation == owner.id
        else:
            allowed = self.model.may_read_chain(reader, owner.id)
        response = self._get(path, token, **({"role": "supplier"} if what == "supplier links" else {}))
        if self._judge(reader, response.status_code, allowed) and what.endswith("links"):
            column = "buyer_id" if what == "buyer links" else "supplier_id"
            assert {item[column] for item in response.json()["items"]} <= {owner.id}

    @precondition(lambda self: self.model.links)
    @rule(data=st.data())
    def read_link(self, data: st.DataObject) -> None:
        reader, token = self._reader(data)
        link = data.draw(st.sampled_from(list(self.model.links.values())))
        allowed = reader.organisation == link.supplier or self.model.may_read_chain(reader, link.buyer)
        response = self._get(f"/v1/supply-links/{link.id}", token)
        if self._judge(reader, response.status_code, allowed):
            assert response.json()["state"] == link.state

    @precondition(lambda self: self.model.documents)
    @rule(data=st.data(), receipt=st.booleans())
    def read_document(self, data: st.DataObject, receipt: bool) -> None:
        reader, token = self._reader(data)
        document = data.draw(st.sampled_from(self.model.documents))
        path = f"/v1/supply-documents/{document.leaf}{'/receipt' if receipt else ''}"
        response = self._get(path, token)
        # Not yours and not there look alike (404): leaf indexes are sequential and could be enumerated.
        self._judge(reader, response.status_code, self.model.may_read_document(reader, document), refusal=404)

    @rule(data=st.data())
    def who_am_i(self, data: st.DataObject) -> None:
        reader, token = self._reader(data)
        response = self._get("/v1/me", token)
        if not self._judge(reader, response.status_code, True):
            return
        me = response.json()
        if reader.kind == "operator":
            assert (me["operator"], me["readable"]) == (True, [])
        else:
            assert {r["organisation_id"] for r in me["readable"]} == self.model.readable_roots(reader)
