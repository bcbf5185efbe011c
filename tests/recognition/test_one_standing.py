"""Every answer about a certificate judges it by one rule, so altered stored bytes are refused on every path.

The certificate's id is the SHA-256 of its credential; the stored bytes are changed behind the registry's
back (plain SQL, as an intruder with database access could), then every answer that states a standing is
asked: lookup, the single check, catalogue eligibility (directly and through an agreement), equivalence,
TRQP and the supply-chain view of certification. None may call it valid.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ecolabel_registry.supply import graph
from ecolabel_registry.supply.certification import statuses
from tests.recognition import practice
from tests.recognition.practice import World
from verification.leaf import to_microseconds
from verification.standing import DOCUMENT_ALTERED, RECORD_MISMATCH, SIGNATURE_INVALID

DATE = "2025-06-01T00:00:00Z"
AT_US = to_microseconds(datetime(2025, 6, 1, tzinfo=UTC))


@pytest.fixture
def world(client: TestClient, admin_headers: dict[str, str]) -> World:
    world = practice.build_world(client, admin_headers, ("jea", "sgls"))
    practice.jea_sgls(client, world)
    return world


def _engine(client: TestClient) -> Engine:
    engine: Engine = client.app.state.registry.engine  # type: ignore[attr-defined]
    return engine


def _stored(client: TestClient, cert: str) -> tuple[int, bytes]:
    with _engine(client).connect() as connection:
        leaf = connection.execute(text("SELECT leaf_index FROM certificates WHERE id = :id"), {"id": cert}).scalar_one()
        document = connection.execute(text("SELECT document FROM log_entries WHERE leaf_index = :i"), {"i": leaf})
        return leaf, bytes(document.scalar_one())


def _replace(client: TestClient, leaf: int, document: bytes) -> None:
    with _engine(client).begin() as connection:
        connection.execute(
            text("UPDATE log_entries SET document = :d WHERE leaf_index = :i"), {"d": document, "i": leaf}
        )


def _flipped(document: bytes) -> bytes:
    position = document.rindex(b".") + 1  # another base64url character at the signature's start
    return (
        document[:position] + (b"A" if document[position : position + 1] != b"A" else b"B") + document[position + 1 :]
    )


def _answers(client: TestClient, cert: str) -> dict[str, object]:
    """What every path says about the certificate on DATE: True for valid/eligible/recognised."""
    single = client.get(f"/v1/verify/certificates/{cert}", params={"as_of": DATE}).json()
    lookup = client.get(f"/v1/certificates/{cert}", params={"as_of": DATE})
    direct = client.post(
        "/v1/verify/eligibility",
        json={"requirement": {"accepted": [{"programme": "jea"}]}, "date": DATE, "items": [{"certificate_id": cert}]},
    ).json()
    through = client.post(
        "/v1/verify/eligibility",
        json={
            "requirement": {"accepted": [{"programme": "sgls", "category": "tile-carpets"}], "equivalents": True},
            "date": DATE,
            "items": [{"certificate_id": cert}],
        },
    ).json()
    equivalence = client.get(
        "/v1/equivalence", params={"certificate_id": cert, "accepted": "sgls:tile-carpets", "date": DATE}
    ).json()
    trqp = client.post(
        "/trqp/v2/authorization",
        json={
            "entity_id": cert,
            "authority_id": "sgls",
            "action": "accept-as-equivalent",
            "resource": "tile-carpets",
            "context": {"time": DATE},
        },
    ).json()
    with _engine(client).connect() as connection:
        row = graph.certificate(connection, cert)
        assert row is not None
        supply = statuses(connection, {cert: row}, AT_US)[cert]
    return {
        "single": single["decision"] == "valid",
        "single reasons": single["reasons"],
        "lookup": lookup.status_code == 200 and lookup.json()["status"] == "active",
        "eligibility": direct["results"][0]["eligible"],
        "eligibility reasons": direct["results"][0]["reasons"],
        "eligibility through an agreement": through["results"][0]["eligible"],
        "equivalence": equivalence["accepted"],
        "trqp": trqp["authorized"],
        "supply": supply.active,
    }


def test_a_sound_certificate_is_valid_on_every_path(client: TestClient, world: World) -> None:
    cert = _carpet(client, world)
    answers = _answers(client, cert)
    assert answers == {
        "single": True,
        "single reasons": [],
        "lookup": True,
        "eligibility": True,
        "eligibility reasons": [],
        "eligibility through an agreement": True,
        "equivalence": True,
        "trqp": True,
        "supply": True,
    }


def _flip_signature(client: TestClient, cert: str, _other: str) -> None:
    leaf, own = _stored(client, cert)
    _replace(client, leaf, _flipped(own))


def _swap(client: TestClient, cert: str, other: str) -> None:
    # Another licence's valid credential under this id. Recomputing the log row's hashes does not help:
    # the id is the SHA-256 of the credential, and it is what every answer names.
    leaf, _ = _stored(client, cert)
    _replace(client, leaf, _stored(client, other)[1])


def _extend_record(client: TestClient, cert: str, _other: str) -> None:
    # The credential is intact; the record derived from it at ingest is not.
    with _engine(client).begin() as connection:
        connection.execute(
            text("UPDATE certificates SET valid_from_us = valid_from_us - 1 WHERE id = :id"), {"id": cert}
        )


@pytest.mark.parametrize(
    ("alter", "reason"),
    [(_flip_signature, DOCUMENT_ALTERED), (_swap, DOCUMENT_ALTERED), (_extend_record, RECORD_MISMATCH)],
    ids=["signature", "swapped", "record"],
)
def test_altered_stored_data_is_refused_on_every_path(
    client: TestClient, world: World, alter: Callable[[TestClient, str, str], None], reason: str
) -> None:
    cert = _carpet(client, world)
    other = _carpet(client, world, "JEA-TC-8")
    assert _answers(client, cert)["single"] is True  # verified once: the memo must not keep it valid
    alter(client, cert, other)

    answers = _answers(client, cert)
    assert answers == {
        "single": False,
        "single reasons": [reason],
        "lookup": False,
        "eligibility": False,
        "eligibility reasons": [reason],
        "eligibility through an agreement": False,
        "equivalence": False,
        "trqp": False,
        "supply": False,
    }
    lookup = client.get(f"/v1/certificates/{cert}")
    assert lookup.status_code == 500
    assert lookup.json()["type"] == "urn:ecolabel-registry:problem:log-integrity"
    assert reason in lookup.json()["detail"]
    assert _answers(client, other)["eligibility"] is True  # the other certificate is untouched


def test_a_credential_signed_by_another_key_is_not_the_certificate(client: TestClient, world: World) -> None:
    """A signature check of the right bytes with the wrong key fails, and the memo does not mask it."""
    cert = _carpet(client, world)
    assert _answers(client, cert)["single"] is True
    with _engine(client).begin() as connection:
        connection.execute(
            text(
                "UPDATE programme_keys SET public_key = :k WHERE programme_id = 'jea' AND kid = "
                "(SELECT signing_kid FROM certificates WHERE id = :id)"
            ),
            {"k": bytes(32), "id": cert},
        )
    answers = _answers(client, cert)
    assert (answers["single"], answers["single reasons"]) == (False, [SIGNATURE_INVALID])
    assert (answers["eligibility"], answers["eligibility reasons"]) == (False, [SIGNATURE_INVALID])
    assert answers["trqp"] is False
    assert answers["supply"] is False


def _carpet(client: TestClient, world: World, licence: str = "JEA-TC-7") -> str:
    return world["jea"].certificate(
        client, licence, "tile-carpets", validFrom="2024-01-01T00:00:00Z", validUntil="2027-01-01T00:00:00Z"
    )


def test_every_answer_names_the_checkpoint_and_the_heads_it_judged(client: TestClient, world: World) -> None:
    cert = _carpet(client, world)
    event = world["jea"].status_event(cert, 1, cert, "suspended", effectiveAt="2026-01-01T00:00:00Z")
    client.post(f"/v1/certificates/{cert}/events", json={"event": event}).raise_for_status()
    head = client.get("/v1/log/checkpoint").json()
    leaf, _ = _stored(client, cert)
    chain = client.get(f"/v1/certificates/{cert}").json()["history"]
    expected = {
        "leaf_index": leaf,
        "status_head": {"sequence": 1, "sha256": chain[0]["sha256"], "leaf_index": chain[0]["leaf_index"]},
        "key_head": {"programme": "jea", "sequence": 0, "leaf_index": _registration_leaf(client, "jea")},
    }
    judged_at = {"tree_size": head["tree_size"], "root_hash": head["root_hash"]}

    single = client.get(f"/v1/verify/certificates/{cert}", params={"as_of": DATE}).json()
    assert (single["judged_at"], single["evidence"]) == (judged_at, expected)
    through = client.post(
        "/v1/verify/eligibility",
        json={
            "requirement": {"accepted": [{"programme": "sgls", "category": "tile-carpets"}], "equivalents": True},
            "date": DATE,
            "items": [{"certificate_id": cert}],
        },
    ).json()
    assert through["judged_at"] == judged_at
    judged = through["results"][0]["certificates"][0]
    assert judged["evidence"] == expected
    (hop,) = judged["path"]
    agreement = client.get(f"/v1/agreements/{hop['agreement']}").json()
    assert hop["agreement_leaf_index"] == agreement["leaf_index"]
    assert hop["event_head"]["sequence"] == len(agreement["events"])

    equivalence = client.get(
        "/v1/equivalence", params={"certificate_id": cert, "accepted": "sgls:tile-carpets", "date": DATE}
    ).json()
    assert (equivalence["judged_at"], equivalence["evidence"]) == (judged_at, expected)
    assert [h["agreement_id"] for h in equivalence["agreement_heads"]] == [hop["agreement"]]
    trqp = client.post(
        "/trqp/v2/authorization",
        json={
            "entity_id": cert,
            "authority_id": "sgls",
            "action": "accept-as-equivalent",
            "resource": "tile-carpets",
            "context": {"time": DATE},
        },
    ).json()
    assert (trqp["judged_at"], trqp["evidence"]) == (judged_at, expected)
    assert trqp["agreement_heads"] == equivalence["agreement_heads"]


def _registration_leaf(client: TestClient, programme: str) -> int:
    with _engine(client).connect() as connection:
        leaf: int = connection.execute(
            text("SELECT registered_leaf_index FROM programmes WHERE id = :id"), {"id": programme}
        ).scalar_one()
        return leaf


def test_a_key_stripped_of_its_signing_role_vouches_for_nothing_on_every_path(client: TestClient, world: World) -> None:
    """The key's roles are part of its record on every path: the single check's one-statement read too."""
    cert = _carpet(client, world)
    assert _answers(client, cert)["single"] is True
    with _engine(client).begin() as connection:
        connection.execute(
            text(
                "UPDATE programme_keys SET signing = :no WHERE programme_id = 'jea' AND kid = "
                "(SELECT signing_kid FROM certificates WHERE id = :id)"
            ),
            {"no": False, "id": cert},
        )
    answers = _answers(client, cert)
    assert (answers["single"], answers["single reasons"]) == (False, [SIGNATURE_INVALID])
    assert (answers["eligibility"], answers["eligibility reasons"]) == (False, [SIGNATURE_INVALID])
    assert answers["lookup"] is False
    assert answers["trqp"] is False
    assert answers["supply"] is False
