"""The demo world's data file: real programmes and agreements, marked as demo, with valid identifiers."""

from __future__ import annotations

import re
from collections import Counter

from stdnum import ean

from ecolabel_registry.demo.agreements import agreement_payload
from ecolabel_registry.demo.generate import licences
from ecolabel_registry.demo.holders import HolderPool
from ecolabel_registry.demo.identifiers import NATIONAL, gs1, identifier
from ecolabel_registry.demo.programmes import category_payloads
from ecolabel_registry.demo.spec import World
from verification.identifiers import IdentifierScheme, validate_identifier
from verification.payloads import Agreement, CategoryDefinition, EcoLabelCertificate, StatusChange

REAL_PROGRAMMES = {
    "China Environmental Labelling",
    "EU Ecolabel",
    "Nordic Swan Ecolabel",
    "Blue Angel",
    "Eco Mark (Japan Environment Association)",
    "Korea Eco-label",
    "Thai Green Label",
    "Singapore Green Label",
    "Good Environmental Choice Australia",
    "Environmental Choice New Zealand",
    "Taiwan Green Mark",
}
# Programmes of these countries work in English (Singapore among its official languages), so English
# is their own language too.
ENGLISH_SPEAKING = {"AU", "NZ", "SG", "US", "CA"}


def test_the_world_says_it_is_demo_data(world: World) -> None:
    assert world.demo is True
    assert "DEMO DATA" in world.notice
    assert "demo" in world.credential_description.lower()
    assert "demo" in world.registration_note.lower()


def test_at_least_ten_real_programmes_with_names_in_their_own_language_and_countries(world: World) -> None:
    names = {programme.names["en"] for programme in world.programmes}
    assert names >= REAL_PROGRAMMES
    for programme in world.programmes:
        assert programme.countries, programme.id
        assert programme.source, programme.id
    for programme in world.programmes:
        if not set(programme.countries) & ENGLISH_SPEAKING:
            assert set(programme.names) - {"en"}, f"{programme.id} is not named in its own language"


def test_licence_formats_are_real_where_confirmed_and_marked_demo_elsewhere(world: World) -> None:
    eu = world.programme_by_id["eu-ecolabel"]
    assert eu.licence_format.confirmed
    assert eu.licence_format.source
    eu_numbers = [licence.number for licence in licences(world) if licence.programme == "eu-ecolabel"]
    assert "IT/044/005" in eu_numbers
    assert all(re.fullmatch(r"[A-Z]{2}/\d{3}/\d{3}", number) for number in eu_numbers)
    for programme in world.programmes:
        if not programme.licence_format.confirmed:
            assert "licence_format" in programme.unconfirmed, programme.id


def test_categories_carry_criteria_versions_and_procurement_crosswalk_codes(world: World) -> None:
    codes: Counter[str] = Counter()
    for programme in world.programmes:
        for category in programme.categories:
            for payload in category_payloads(programme, category):
                definition = CategoryDefinition.model_validate(payload)  # the registry's own profile
                codes.update(
                    scheme
                    for scheme, values in definition.crosswalk.model_dump().items()
                    for _ in values  # one per code
                )
    assert codes["cpv"] >= 40
    assert codes["cn_procurement"] >= 3
    assert codes["hs"] >= 40
    hj2536 = world.programme_by_id["cec"].category("HJ 2536")
    assert hj2536.crosswalk.cn_procurement == ["A02010104"]  # Caiku [2019] No. 18: desktop computers -> HJ 2536


def test_agreements_are_modelled_on_public_ones_each_with_its_source(world: World) -> None:
    assert len(world.agreements) >= 6
    for spec in world.agreements:
        payload = agreement_payload(spec)
        agreement = Agreement.model_validate(payload)  # valid under the registry's own profile
        assert payload["demo"] is True
        assert "(demo model)" in (agreement.title or "")
        assert spec.announcement
        assert spec.note
    forms = Counter(spec.type.value for spec in world.agreements)
    assert forms["full"]
    assert forms["common_core"]
    assert forms["proxy_assessment"]
    jea_sgls = next(spec for spec in world.agreements if spec.key == "jea-sgls-2024")
    assert jea_sgls.effective_from.date().isoformat() == "2024-11-20"


def test_every_identifier_has_a_check_digit_that_stdnum_accepts(world: World) -> None:
    for organisation in world.organisations:
        for spec in organisation.identifiers:
            scheme, value = identifier(spec)
            if scheme == "NATIONAL":
                assert spec.kind is not None
                assert NATIONAL[spec.kind](value), (organisation.key, value)
            else:
                assert validate_identifier(IdentifierScheme(scheme), value) == value
        for template in [f.gln for f in organisation.facilities] + [p.gtin for p in organisation.products]:
            assert ean.is_valid(gs1(template))
    pool = HolderPool(world)
    for country in world.holder_names:
        for index in range(12):
            for scheme, value in pool.holder(country, index).identifiers:
                if scheme != "NATIONAL":
                    assert validate_identifier(IdentifierScheme(scheme), value) == value


def test_five_thousand_licences_generated_deterministically_with_status_histories(world: World) -> None:
    first, second = licences(world), licences(world)
    assert [licence.payload for licence in first] == [licence.payload for licence in second]
    assert len(first) >= 5000
    assert len({(licence.programme, licence.number) for licence in first}) == len(first)
    gtins = [p["gtin"] for licence in first for p in licence.payload["credentialSubject"]["products"] if "gtin" in p]
    assert len(gtins) == len(set(gtins)), "a GTIN names one product"
    changes = Counter(event.status for licence in first for event in licence.events)
    assert changes[StatusChange.SUSPENDED] >= 100
    assert changes[StatusChange.WITHDRAWN] >= 100
    assert changes[StatusChange.REINSTATED]
    assert changes[StatusChange.RENEWED]
    assert changes[StatusChange.EXPIRED]
    for licence in first[:200]:
        EcoLabelCertificate.model_validate(licence.payload)
        assert licence.payload["credentialSubject"]["holder"]["name"].endswith("(demo)")
