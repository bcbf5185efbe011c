"""Every demo licence as the credential payload its programme signs, with its planned status history.

Deterministic: each licence draws from a `random.Random` seeded with the world's seed and the licence's
position, so a rerun (or another machine) produces the same payloads, hence the same signed bytes and
the same certificate ids. Licence numbers follow each programme's format from world.json: the real one
where it is confirmed (EU Ecolabel `IT/044/005`), a demo one otherwise, counted per format key so that
no two licences of a programme share a number.

The licences of the supply-chain organisations come first and carry their hand-written histories; the
generated population follows, programme by programme and category by category.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ecolabel_registry.demo.history import PlannedEvent, Window, add_years, plan
from ecolabel_registry.demo.holders import Holder, HolderPool, model_prefix
from ecolabel_registry.demo.identifiers import gs1, identifier
from ecolabel_registry.demo.spec import (
    CategorySpec,
    Criteria,
    NamedCertificate,
    OrganisationSpec,
    ProgrammeSpec,
    World,
    as_datetime,
)
from verification.payloads import issuer_for
from verification.payloads.certificate import CERTIFICATE_TYPE, VC_CONTEXT


@dataclass(frozen=True)
class Licence:
    programme: str
    number: str
    payload: dict[str, Any]
    events: tuple[PlannedEvent, ...]
    holder_key: str | None = None  # the supply-chain organisation holding it, if any


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def criteria_at(category: CategorySpec, moment: datetime) -> Criteria:
    """The criteria version a licence issued at `moment` is assessed against: the latest one in force."""
    in_force = [c for c in category.criteria if as_datetime(c.valid_from) <= moment]
    if not in_force:
        raise ValueError(f"category {category.code} has no criteria in force on {moment:%Y-%m-%d}")
    return max(in_force, key=lambda c: c.valid_from)


class Numbering:
    """Licence numbers in each programme's format, counted per the format's other fields."""

    def __init__(self) -> None:
        self._counters: Counter[tuple[str, ...]] = Counter()

    def next(self, programme: ProgrammeSpec, *, country: str, group: str, year: int) -> str:
        values: dict[str, Any] = {"country": country, "group": group, "year": year}
        fields = sorted(programme.licence_format.fields - {"number", "year"})
        key = (programme.id, *(str(values[f]) for f in fields))
        self._counters[key] += 1
        return programme.licence_format.template.format(number=self._counters[key], **values)


@dataclass(frozen=True)
class Draft:
    """What a licence is about, before it gets its number, payload and history."""

    programme: ProgrammeSpec
    category: CategorySpec
    holder: Holder
    valid_from: datetime
    products: list[dict[str, Any]]
    markets: list[str]

    @property
    def criteria(self) -> Criteria:
        return criteria_at(self.category, self.valid_from)


class Generator:
    def __init__(self, world: World) -> None:
        self.world = world
        self.holders = HolderPool(world)
        self.numbering = Numbering()
        self.reference = as_datetime(world.reference_date)

    def licences(self) -> Iterator[Licence]:
        per_holder = self.world.generation.licences_per_holder
        for organisation in self.world.organisations:
            for spec in organisation.certificates:
                yield self._named(organisation, spec)
        for programme in self.world.programmes:
            holders = math.ceil(sum(c.certificates for c in programme.categories) / per_holder)
            for category in programme.categories:
                for index in range(category.certificates):
                    yield self._generated(programme, category, index, holders)

    def _rng(self, *parts: object) -> random.Random:
        # A string seed is hashed with SHA-512 (random.seed, version 2): stable across runs and machines.
        return random.Random(":".join([self.world.generation.seed, *map(str, parts)]))  # noqa: S311  (demo data)

    def _generated(self, programme: ProgrammeSpec, category: CategorySpec, index: int, holders: int) -> Licence:
        rng = self._rng(programme.id, category.code, index)
        generation = self.world.generation
        countries = programme.holder_countries
        slot = rng.randrange(holders)
        holder = self.holders.holder(countries[slot % len(countries)], slot // len(countries))
        first = as_datetime(max(generation.issued_from, min(c.valid_from for c in category.criteria)))
        last = as_datetime(generation.issued_until)
        valid_from = first + timedelta(days=rng.randint(0, (last - first).days))
        prefix = model_prefix(holder.brand)
        products = [
            {
                "name": rng.choice(category.products),
                "brand": holder.brand,
                "model": f"{prefix}-{category.licence_group}-{rng.randint(100, 9999)}",
                "gtin": self.holders.next_gtin(holder.country),
            }
            for _ in range(rng.randint(*generation.products_per_licence))
        ]
        markets = sorted({holder.country, *rng.sample(programme.countries, min(2, len(programme.countries)))})
        draft = Draft(programme, category, holder, valid_from, products, markets)
        number, payload = self._payload(draft, production_sites=[])
        criteria = draft.criteria
        valid_until = add_years(valid_from, generation.validity_years)
        lapse = as_datetime(criteria.transition_end) if criteria.transition_end else None
        window = Window(
            valid_from=valid_from,
            valid_until=valid_until,
            reference=self.reference,
            lapse=lapse if lapse and lapse < valid_until else None,
            validity_years=generation.validity_years,
        )
        events = plan(rng, window, generation.fractions, self.world.reasons, criteria.version)
        return Licence(programme.id, number, payload, tuple(events))

    def _named(self, organisation: OrganisationSpec, spec: NamedCertificate) -> Licence:
        programme = self.world.programme_by_id[spec.programme]
        owned = {product.key: product for product in organisation.products}
        products: list[dict[str, Any]] = [
            {"name": owned[key].name, "model": owned[key].model, "gtin": gs1(owned[key].gtin)} for key in spec.products
        ]
        products += [{"name": name} for name in spec.product_names]
        holder = Holder(
            name=organisation.names["en"],
            names=dict(organisation.names),
            country=organisation.country,
            identifiers=tuple(identifier(i) for i in organisation.identifiers),
            brand=organisation.names["en"],
        )
        draft = Draft(
            programme, programme.category(spec.category), holder, as_datetime(spec.valid_from), products,
            [organisation.country],
        )  # fmt: skip
        sites = [
            {"name": f.name, "country": f.country, "address": f.address, "gln": gs1(f.gln)}
            for f in organisation.facilities
        ]
        number, payload = self._payload(draft, production_sites=sites)
        events = tuple(
            PlannedEvent(h.status, as_datetime(h.at), h.reason, as_datetime(h.valid_until) if h.valid_until else None)
            for h in spec.history
        )
        return Licence(programme.id, number, payload, events, organisation.key)

    def _payload(self, draft: Draft, *, production_sites: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        """The licence number and the credential payload the programme signs."""
        programme, holder = draft.programme, draft.holder
        number = self.numbering.next(
            programme, country=holder.country, group=draft.category.licence_group, year=draft.valid_from.year
        )
        subject: dict[str, Any] = {
            "type": "EcoLabelLicence",
            "licenceNumber": number,
            "holder": holder.payload(),
            "products": draft.products,
            "category": {"code": draft.category.code, "criteriaVersion": draft.criteria.version},
            "markets": draft.markets,
        }
        if production_sites:
            subject["productionSites"] = production_sites
        valid_until = add_years(draft.valid_from, self.world.generation.validity_years)
        return number, {
            "@context": [VC_CONTEXT],
            "type": ["VerifiableCredential", CERTIFICATE_TYPE],
            "issuer": issuer_for(programme.id),
            "name": f"{programme.names['en']} licence {number} (demo)",
            "description": self.world.credential_description,
            "validFrom": timestamp(draft.valid_from),
            "validUntil": timestamp(valid_until),
            "credentialSubject": subject,
        }


def licences(world: World) -> list[Licence]:
    return list(Generator(world).licences())
