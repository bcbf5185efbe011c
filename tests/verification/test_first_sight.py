"""`verification.first_sight.verify_unseen`: many first sights on two threads, judged as if met one by one."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.registry.factories import Certifier
from verification import first_sight, standing
from verification.ed25519 import generate_private_key
from verification.first_sight import WORTH_A_THREAD, verify_unseen
from verification.jwk import PublicKey
from verification.keys import KeyRecord
from verification.leaf import to_microseconds
from verification.standing import DOCUMENT_ALTERED, SIGNATURE_INVALID, SIGNING_KEY_UNKNOWN, Credential, Presented

LOGGED = to_microseconds(datetime(2024, 2, 1, tzinfo=UTC))
ON = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def certifier() -> Certifier:
    return Certifier(programme_id="eu-ecolabel", keys={"k1": generate_private_key()}, kid="k1")


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="first-sight") as executor:
        yield executor


@pytest.fixture(autouse=True)
def _cold() -> Iterator[None]:
    standing._VERIFIED.clear()
    standing._JUDGED.clear()
    yield
    standing._VERIFIED.clear()
    standing._JUDGED.clear()


def _key(certifier: Certifier) -> KeyRecord:
    return KeyRecord("eu-ecolabel", "k1", PublicKey.from_private_key(certifier.keys["k1"], kid="k1").raw, added_us=0)


def _presented(certifier: Certifier, document: bytes, licence: str) -> Presented:
    record = Credential(
        "eu-ecolabel",
        licence,
        "044",
        "1",
        to_microseconds(datetime(2024, 1, 1, tzinfo=UTC)),
        to_microseconds(datetime(2027, 12, 31, tzinfo=UTC)),
        "k1",
    )
    return Presented(hashlib.sha256(document).hexdigest(), document, record, _key(certifier), LOGGED)


def _catalogue(certifier: Certifier) -> list[Presented]:
    """Sound credentials, and among them one forged (the programme's kid, another private key), one whose
    stored bytes are another credential's, and one whose key the programme does not have."""
    sound = [
        _presented(certifier, certifier.credential(f"IT/044/{n:03d}").encode(), f"IT/044/{n:03d}") for n in range(24)
    ]
    forged_document = certifier.sign(certifier.credential_payload("IT/044/900"), "vc+jwt", key=generate_private_key())
    forged = _presented(certifier, forged_document.encode(), "IT/044/900")
    swapped = replace(sound[3], document=sound[4].document)
    keyless = replace(_presented(certifier, certifier.credential("IT/044/901").encode(), "IT/044/901"), key=None)
    return [*sound[:10], forged, *sound[10:17], swapped, keyless, *sound[17:]]


def _credentials(presented: list[Presented]) -> list[tuple[str, bytes, KeyRecord | None]]:
    return [(p.certificate_id, p.document, p.key) for p in presented]


def test_standings_after_the_first_sights_on_two_threads_are_the_standings_met_one_by_one(
    certifier: Certifier, pool: ThreadPoolExecutor
) -> None:
    catalogue = _catalogue(certifier)
    one_by_one = [standing.judge(p, at=ON) for p in catalogue]
    standing._VERIFIED.clear()
    standing._JUDGED.clear()

    # Every credential with a key is sent, the swapped bytes too (nobody verified their id yet).
    assert verify_unseen(_credentials(catalogue), pool) == len(catalogue) - 1
    assert [standing.judge(p, at=ON) for p in catalogue] == one_by_one
    reasons = {s.certificate_id: s.reasons for s in one_by_one if s.reasons}
    assert sorted(reasons.values()) == [(DOCUMENT_ALTERED,), (SIGNATURE_INVALID,), (SIGNING_KEY_UNKNOWN,)]
    assert sum(s.valid for s in one_by_one) == 24


def test_a_forged_credential_among_many_is_refused_and_never_remembered(
    certifier: Certifier, pool: ThreadPoolExecutor
) -> None:
    catalogue = _catalogue(certifier)
    forged = catalogue[10]
    verify_unseen(_credentials(catalogue), pool)
    assert not standing.remembered(forged.certificate_id, _key(certifier))
    assert all(standing.remembered(p.certificate_id, _key(certifier)) for p in catalogue[:10])
    assert standing.judge(forged, at=ON).reasons == (SIGNATURE_INVALID,)
    # Asked again, nothing is left to verify but the forged credential, which fails again.
    assert verify_unseen(_credentials(catalogue), pool) == 0  # fewer than WORTH_A_THREAD: left to its standing
    assert standing.judge(forged, at=ON).reasons == (SIGNATURE_INVALID,)


def test_without_a_pool_or_with_few_first_sights_nothing_is_verified_ahead(certifier: Certifier) -> None:
    catalogue = _catalogue(certifier)
    assert verify_unseen(_credentials(catalogue), None) == 0
    few = catalogue[: WORTH_A_THREAD - 1]
    with ThreadPoolExecutor(max_workers=1) as executor:
        assert verify_unseen(_credentials(few), executor) == 0
    assert not standing._VERIFIED


def test_a_catalogue_whose_first_credentials_are_all_verified_is_left_to_its_standings(
    certifier: Certifier, pool: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = _catalogue(certifier)
    for p in catalogue[:3]:
        standing.judge(p, at=ON)
    monkeypatch.setattr(first_sight, "SAMPLE", 3)
    assert verify_unseen(_credentials(catalogue), pool) == 0
    assert len(standing._VERIFIED) == 3
    monkeypatch.setattr(first_sight, "SAMPLE", 4)  # one unseen among the first four: every one is sent
    assert verify_unseen(_credentials(catalogue), pool) == len(catalogue) - 1 - 3


def test_an_error_on_the_pools_thread_is_raised_by_the_caller_and_stops_both(
    certifier: Certifier, pool: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = _catalogue(certifier)
    verify = standing.verify_compact
    pool_took_one = threading.Event()

    def failing_on_the_pool(token: str, key: PublicKey, **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("first-sight"):
            pool_took_one.set()
            raise RuntimeError("the pool's thread failed")  # not a verification error: nothing catches it
        assert pool_took_one.wait(timeout=30)  # the caller holds one credential until the pool has taken one
        return verify(token, key, **kwargs)

    monkeypatch.setattr(standing, "verify_compact", failing_on_the_pool)
    with pytest.raises(RuntimeError, match="the pool's thread failed"):
        verify_unseen(_credentials(catalogue), pool)
    assert len(standing._VERIFIED) < len(catalogue) - 3  # the caller stopped too, after the one it held
