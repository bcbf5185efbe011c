"""`verification.standing.judge`: the one rule for a certificate's standing on a date, and why it says so."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.registry.factories import Certifier
from verification import standing as standing_module
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey
from verification.keys import KeyRecord
from verification.leaf import to_microseconds
from verification.payloads import StatusChange
from verification.standing import (
    DOCUMENT_ALTERED,
    RECORD_MISMATCH,
    SIGNATURE_INVALID,
    SIGNING_KEY_UNKNOWN,
    Credential,
    Presented,
    Standing,
    judge,
)
from verification.status import CertificateStatus, Change

LOGGED = to_microseconds(datetime(2024, 2, 1, tzinfo=UTC))
ON = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def certifier() -> Certifier:
    return Certifier(programme_id="eu-ecolabel", keys={"k1": generate_private_key()}, kid="k1")


def _key(certifier: Certifier, *, ended_us: int | None = None, compromised_since_us: int | None = None) -> KeyRecord:
    raw = PublicKey.from_private_key(certifier.keys["k1"], kid="k1").raw
    return KeyRecord("eu-ecolabel", "k1", raw, added_us=0, ended_us=ended_us, compromised_since_us=compromised_since_us)


def _presented(certifier: Certifier, **changes: object) -> Presented:
    document = certifier.credential("IT/044/005").encode()
    record = Credential(
        "eu-ecolabel",
        "IT/044/005",
        "044",
        "1",
        to_microseconds(datetime(2024, 1, 1, tzinfo=UTC)),
        to_microseconds(datetime(2027, 12, 31, tzinfo=UTC)),
        "k1",
    )
    presented = Presented(hashlib.sha256(document).hexdigest(), document, record, _key(certifier), LOGGED)
    return replace(presented, **changes)  # type: ignore[arg-type]  # the fields a test overrides


def test_a_sound_certificate_stands(certifier: Certifier) -> None:
    standing = judge(_presented(certifier), at=ON)
    assert (standing.valid, standing.status, standing.reasons) == (True, CertificateStatus.ACTIVE, ())
    assert standing.criteria_version == "1"


def test_each_fault_is_named(certifier: Certifier) -> None:
    sound = _presented(certifier)
    other = certifier.credential("IT/044/999").encode()
    assert judge(replace(sound, document=other), at=ON).reasons == (DOCUMENT_ALTERED,)
    assert judge(replace(sound, key=None), at=ON).reasons == (SIGNING_KEY_UNKNOWN,)
    stranger = replace(_key(certifier), public_key=PublicKey.from_private_key(generate_private_key()).raw)
    assert judge(replace(sound, key=stranger), at=ON).reasons == (SIGNATURE_INVALID,)
    extended = sound.record._replace(valid_until_us=sound.record.valid_until_us + 1)
    assert judge(replace(sound, record=extended), at=ON).reasons == (RECORD_MISMATCH,)
    revoked = _key(certifier, ended_us=LOGGED - 1, compromised_since_us=LOGGED - 1)
    assert judge(replace(sound, key=revoked), at=ON).reasons == ("SIGNING_KEY_REVOKED",)
    compromised_later = _key(certifier, ended_us=LOGGED + 1, compromised_since_us=LOGGED + 1)
    assert judge(replace(sound, key=compromised_later), at=ON).valid


def test_the_dates_and_the_chain_come_from_the_credential_and_the_events(certifier: Certifier) -> None:
    sound = _presented(certifier)
    assert judge(sound, at=datetime(2023, 6, 1, tzinfo=UTC)).reasons == ("CERTIFICATE_NOT_YET_VALID",)
    assert judge(sound, at=datetime(2028, 6, 1, tzinfo=UTC)).reasons == ("CERTIFICATE_EXPIRED",)
    withdrawn = Change(StatusChange.WITHDRAWN, datetime(2025, 3, 1, tzinfo=UTC), "", integrated_us=LOGGED + 5)
    standing = judge(replace(sound, changes=(withdrawn,)), at=ON)
    assert (standing.status, standing.reasons) == (CertificateStatus.WITHDRAWN, ("CERTIFICATE_WITHDRAWN",))
    # as known before the withdrawal was logged, it still stood
    assert judge(replace(sound, changes=(withdrawn,)), at=ON, known_at_us=LOGGED + 1).valid


def test_a_remembered_verification_never_vouches_for_other_bytes_or_another_key(certifier: Certifier) -> None:
    sound = _presented(certifier)
    assert judge(sound, at=ON).valid  # remembered now
    flipped = bytearray(sound.document)
    flipped[-2] = ord("A") if flipped[-2] != ord("A") else ord("B")
    forged = replace(sound, document=bytes(flipped), certificate_id=hashlib.sha256(bytes(flipped)).hexdigest())
    assert judge(forged, at=ON).reasons == (SIGNATURE_INVALID,)
    stranger = replace(_key(certifier), public_key=PublicKey.from_private_key(generate_private_key()).raw)
    assert judge(replace(sound, key=stranger), at=ON).reasons == (SIGNATURE_INVALID,)


def test_a_question_asked_again_is_answered_from_the_memo_and_any_new_input_is_judged_afresh(
    certifier: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    judged: list[Presented] = []
    rule = standing_module._judge

    def counting(
        presented: Presented, at: datetime, known_at_us: int | None, digest: bytes, *, at_us: int | None = None
    ) -> Standing:
        judged.append(presented)
        return rule(presented, at, known_at_us, digest, at_us=at_us)

    monkeypatch.setattr(standing_module, "_judge", counting)
    sound = _presented(certifier)
    first = judge(sound, at=ON)
    assert judge(replace(sound), at=ON) is first  # an equal question, built again
    assert len(judged) == 1
    suspended = Change(StatusChange.SUSPENDED, datetime(2025, 1, 1, tzinfo=UTC), "", integrated_us=LOGGED + 1)
    assert judge(replace(sound, changes=(suspended,)), at=ON).status is CertificateStatus.SUSPENDED
    assert judge(sound, at=datetime(2031, 1, 1, tzinfo=UTC)).status is CertificateStatus.EXPIRED
    assert judge(sound, at=ON, known_at_us=LOGGED).valid
    other = certifier.credential("IT/044/999").encode()
    assert judge(replace(sound, document=other), at=ON).reasons == (DOCUMENT_ALTERED,)
    assert len(judged) == 5


def test_without_status_changes_every_date_of_one_phase_has_one_standing(
    certifier: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A check "as of now" asks at a new microsecond each time: the date counts only through where it
    # falls against the validity dates, each side of a boundary judged on its own.
    judged: list[datetime] = []
    rule = standing_module._judge

    def counting(
        presented: Presented, at: datetime, known_at_us: int | None, digest: bytes, *, at_us: int | None = None
    ) -> Standing:
        judged.append(at)
        return rule(presented, at, known_at_us, digest, at_us=at_us)

    monkeypatch.setattr(standing_module, "_judge", counting)
    sound = _presented(certifier)
    last = datetime(2027, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
    standings = [judge(sound, at=at) for at in (ON, ON + timedelta(microseconds=1), last)]
    assert all(found is standings[0] for found in standings)
    assert standings[0].status is CertificateStatus.ACTIVE
    assert standings[0].valid
    assert judge(sound, at=last + timedelta(microseconds=1)).status is CertificateStatus.EXPIRED
    assert judge(sound, at=datetime(2023, 12, 31, tzinfo=UTC)).status is CertificateStatus.NOT_YET_VALID
    assert len(judged) == 3
    # A record whose dates are not its credential's is judged on the credential's, at every date: its
    # own phase does not say where the date falls against the dates that count.
    misdated = replace(
        sound, record=sound.record._replace(valid_until_us=to_microseconds(datetime(2026, 1, 1, tzinfo=UTC)))
    )
    early = judge(misdated, at=datetime(2026, 6, 1, tzinfo=UTC))
    assert (early.status, early.reasons) == (CertificateStatus.ACTIVE, (RECORD_MISMATCH,))
    late = judge(misdated, at=datetime(2028, 1, 1, tzinfo=UTC))
    assert (late.status, late.reasons) == (CertificateStatus.EXPIRED, ("CERTIFICATE_EXPIRED", RECORD_MISMATCH))
    assert len(judged) == 5


def test_the_memo_keys_a_key_record_by_every_one_of_its_fields() -> None:
    # A field added to KeyRecord and left out of `key_fields` would let two different records share a
    # remembered standing.
    record = KeyRecord("p", "k", b"\x01" * 32, 1, 2, 3, True, False)
    assert standing_module.key_fields(record) == tuple(getattr(record, f.name) for f in dataclasses.fields(KeyRecord))


def test_many_certificates_on_one_date_share_the_memo_of_one_at_a_time(
    certifier: Certifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `StoredOnDate` takes the date and each key's fields once for a whole catalogue; its memo key, and
    # so each standing, must be the one `judge_stored` makes, whichever of the two asked first.
    judged: list[Presented] = []
    rule = standing_module._judge

    def counting(
        presented: Presented, at: datetime, known_at_us: int | None, digest: bytes, *, at_us: int | None = None
    ) -> Standing:
        judged.append(presented)
        return rule(presented, at, known_at_us, digest, at_us=at_us)

    monkeypatch.setattr(standing_module, "_judge", counting)
    sound = _presented(certifier)
    suspended = Change(StatusChange.SUSPENDED, datetime(2025, 1, 1, tzinfo=UTC), "", integrated_us=LOGGED + 1)
    on_date = standing_module.StoredOnDate(ON)
    for presented in (sound, replace(sound, changes=(suspended,)), replace(sound, key=None)):
        fields = (presented.certificate_id, presented.document, presented.record, presented.key)
        changes = tuple(presented.changes)
        many = on_date(*fields, integrated_us=presented.integrated_us, changes=changes)
        one = standing_module.judge_stored(*fields, integrated_us=presented.integrated_us, changes=changes, at=ON)
        assert many is one
        assert on_date(*fields, integrated_us=presented.integrated_us, changes=changes) is one
    assert len(judged) == 3
    later = standing_module.StoredOnDate(datetime(2031, 1, 1, tzinfo=UTC))
    fields = (sound.certificate_id, sound.document, sound.record, sound.key)
    assert later(*fields, integrated_us=LOGGED, changes=()).status is CertificateStatus.EXPIRED
    assert replace(sound.key, ended_us=1) is not sound.key  # another record of the key: judged afresh
    assert on_date(*fields[:3], replace(sound.key, ended_us=1), integrated_us=LOGGED, changes=()) is not None
    assert len(judged) == 5


def test_a_digest_its_caller_already_took_keys_the_same_standing_and_never_vouches_for_other_bytes(
    certifier: Certifier,
) -> None:
    # A just-accepted certificate's answer hands over the SHA-256 its ingest took of the same bytes
    # (`lookup.accepted`): the standing is the one judged from the bytes, and a digest of other bytes is
    # still held against the certificate's id.
    sound = _presented(certifier)
    fields = (sound.certificate_id, sound.document, sound.record, sound.key)
    own = standing_module.judge_stored(*fields, integrated_us=LOGGED, changes=(), at=ON)
    handed = hashlib.sha256(sound.document).digest()
    assert standing_module.judge_stored(*fields, integrated_us=LOGGED, changes=(), at=ON, digest=handed) is own
    assert own.document_sound
    other = hashlib.sha256(sound.document + b" ").digest()
    altered = standing_module.judge_stored(*fields, integrated_us=LOGGED, changes=(), at=ON, digest=other)
    assert not altered.document_sound
    assert DOCUMENT_ALTERED in altered.reasons


@pytest.mark.parametrize(
    "on",
    [
        datetime(2023, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # before its validity
        datetime(2024, 1, 1, tzinfo=UTC),
        ON,
        datetime(2027, 12, 31, tzinfo=UTC),
        datetime(2027, 12, 31, 0, 0, 0, 1, tzinfo=UTC),  # expired
    ],
)
def test_a_date_handed_over_in_microseconds_gives_the_standing_judged_from_the_date(
    certifier: Certifier, on: datetime
) -> None:
    # An answer "as of now" hands over the clock's microseconds with the date made from them
    # (`lookup.accepted`): judged afresh both ways, the standing is the same.
    sound = _presented(certifier)
    fields = (sound.certificate_id, sound.document, sound.record, sound.key)
    standing_module._JUDGED.clear()
    from_date = standing_module.judge_stored(*fields, integrated_us=LOGGED, changes=(), at=on)
    standing_module._JUDGED.clear()
    handed = standing_module.judge_stored(*fields, integrated_us=LOGGED, changes=(), at=on, at_us=to_microseconds(on))
    assert handed == from_date
    assert handed is not from_date
