"""Agreement value objects for the pure tests: no signing, no database, just `AgreementRecord`s."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from verification.agreements import AgreementEventRecord, AgreementRecord
from verification.payloads import Agreement, AgreementChange

START = datetime(2020, 1, 1, tzinfo=UTC)


def mapping(
    source: str, source_category: str, target: str, target_category: str, versions: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "from": {"programme": source, "category": source_category, "criteriaVersions": versions or {}},
        "to": {"programme": target, "category": target_category},
    }


def record(
    agreement_id: str,
    mappings: Iterable[dict[str, Any]],
    *,
    parties: list[str] | None = None,
    signed: Iterable[str] | None = None,
    events: Iterable[AgreementEventRecord] = (),
    logged_us: int = 0,
    **fields: Any,
) -> AgreementRecord:
    """An agreement (mutual and full unless `fields` say otherwise), signed by every party by default."""
    scope = list(mappings)
    members = parties or sorted({m[end]["programme"] for m in scope for end in ("from", "to")})
    payload: dict[str, Any] = {
        "type": "MutualRecognitionAgreement",
        "issuer": f"urn:ecolabel:programme:{members[0]}",
        "parties": members,
        "mutual": True,
        "agreementType": "full",
        "scope": scope,
        "effectiveFrom": START,
        "announcement": f"https://example.org/{agreement_id}",
        **fields,
    }
    if "recognitions" in fields:
        payload["mutual"] = False
    agreement = Agreement.model_validate(payload)
    signatures = dict.fromkeys(members if signed is None else signed, logged_us)
    return AgreementRecord(agreement_id, agreement, logged_us, signatures, tuple(events))


def event(
    change: str, at: datetime, until: datetime | None = None, logged_us: int = 0, *, by: str = ""
) -> AgreementEventRecord:
    """A change that joined the chain at `logged_us`; `by` is its issuer (whose own recognition it narrows)."""
    return AgreementEventRecord(AgreementChange(change), at, until, logged_us, by)
