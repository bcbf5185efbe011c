"""Certification records -> validated `EcoLabelCertificate` payloads -> signed credentials.

A JSON record has the members of the credential's `credentialSubject` plus `validFrom`, `validUntil`,
optional `supersedes` and optional `programme`:

    {"programme": "cn-cel", "licenceNumber": "CEL-2026-0001", "validFrom": "2026-01-01",
     "validUntil": "2028-12-31", "holder": {"name": "…", "country": "CN", "identifiers": []},
     "products": [{"name": "…", "gtin": "06901234567892"}],
     "category": {"code": "HJ 2536", "criteriaVersion": "2016"}, "markets": ["CN"]}

A licence CSV has one row per product (see `certifiers.csv_format` and certifiers/README.md):

    licence_number,holder_name,holder_country,holder_lei,holder_uscc,holder_vat,category_code,
    criteria_version,valid_from,valid_until,markets,product_name,brand,model,gtin,register_url,pdf_sha256

In both, `validFrom`/`validUntil` are RFC 3339 timestamps with a zone, or bare dates: a date in
`validFrom` is that day's 00:00Z; a date in `validUntil` means "valid through that whole UTC day" and
becomes the next day's 00:00Z, because `validUntil` is exclusive. Every record of a file is validated by
building the payload model before anything is signed; problems come back as `RecordsInvalid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from certifiers.csv_format import CsvLicence, parse_csv
from certifiers.issues import RecordIssue, RecordPath, RecordsInvalid, dotted, validation_messages
from certifiers.keys import SigningKey
from certifiers.signing import sign_payload
from verification.errors import MalformedInput
from verification.payloads import TYP, EcoLabelCertificate, issuer_for
from verification.payloads.certificate import CERTIFICATE_TYPE, VC_CONTEXT
from verification.strictjson import loads_strict

CREDENTIAL_TYPES = ("VerifiableCredential", CERTIFICATE_TYPE)
SUBJECT_FIELDS = frozenset(
    {"type", "licenceNumber", "holder", "products", "category", "markets", "productionSites", "evidence"}
)
TOP_LEVEL_FIELDS = frozenset({"programme", "validFrom", "validUntil", "supersedes", "credentialStatus"})
MAX_JSONL_LINE_BYTES = 4 * 1_048_576
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class LicenceRecord:
    """One licence, validated. `key` (the licence number) is what a bulk run acknowledges and resumes by."""

    key: str
    rows: tuple[int, ...]
    certificate: EcoLabelCertificate


def sign_record(record: LicenceRecord, signer: SigningKey) -> str:
    return sign_certificate(record.certificate, signer)


def sign_certificate(certificate: EcoLabelCertificate, signer: SigningKey) -> str:
    return sign_payload(certificate, TYP["certificate"], signer)


def certificate_from_record(record: dict[str, Any], programme: str | None = None) -> EcoLabelCertificate:
    """Build the payload of one JSON record; raises RecordsInvalid (without row numbers) if it is wrong."""
    certificate, issues = _build(record, programme, row=None, unit="record")
    if certificate is None:
        raise RecordsInvalid(issues)
    return certificate


def read_json_record(path: Path, programme: str | None = None) -> LicenceRecord:
    try:
        record = loads_strict(path.read_bytes(), max_bytes=MAX_JSONL_LINE_BYTES)
    except MalformedInput as exc:
        raise RecordsInvalid([RecordIssue(f"{path} is not valid JSON: {exc.detail}")]) from exc
    certificate = certificate_from_record(record, programme)
    return LicenceRecord(certificate.credential_subject.licence_number, (1,), certificate)


def read_jsonl(path: Path, programme: str | None = None) -> list[LicenceRecord]:
    """One JSON record per line; blank lines are skipped, and a licence number may appear only once."""
    records: list[LicenceRecord] = []
    issues: list[RecordIssue] = []
    seen: dict[str, int] = {}
    with path.open("rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = loads_strict(line, max_bytes=MAX_JSONL_LINE_BYTES)
            except MalformedInput as exc:
                issues.append(RecordIssue(f"not valid JSON: {exc.detail}", line_number, unit="line"))
                continue
            certificate, found = _build(record, programme, row=line_number, unit="line")
            issues.extend(found)
            if certificate is not None:
                issues.extend(_duplicate(seen, certificate, line_number, "line"))
                records.append(
                    LicenceRecord(certificate.credential_subject.licence_number, (line_number,), certificate)
                )
    if issues:
        raise RecordsInvalid(issues)
    return records


def read_csv(path: Path, programme: str) -> list[LicenceRecord]:
    # utf-8-sig: spreadsheet exports often start with a byte order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        licences, issues = parse_csv(handle)
    records = []
    for licence in licences:
        certificate, found = _build(licence.record, programme, row=licence.rows[0], unit="row", located=licence)
        issues.extend(found)
        if certificate is not None:
            records.append(LicenceRecord(licence.licence_number, licence.rows, certificate))
    if issues:
        raise RecordsInvalid(sorted(issues, key=lambda issue: issue.row or 0))
    return records


def load_records(path: Path, programme: str) -> list[LicenceRecord]:
    """A .csv licence file or a .jsonl/.ndjson file of JSON records, all validated."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, programme)
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, programme)
    raise RecordsInvalid([RecordIssue(f"{path.name}: expected a .csv or .jsonl file")])


def _build(
    record: object, programme: str | None, *, row: int | None, unit: str, located: CsvLicence | None = None
) -> tuple[EcoLabelCertificate | None, list[RecordIssue]]:
    if not isinstance(record, dict):
        return None, [RecordIssue("a record must be a JSON object", row, unit=unit)]
    licence = record.get("licenceNumber") if isinstance(record.get("licenceNumber"), str) else None

    def issue(message: str, field: str | None) -> RecordIssue:
        return RecordIssue(message, row, field, licence, unit)

    unknown = sorted(set(record) - SUBJECT_FIELDS - TOP_LEVEL_FIELDS)
    if unknown:
        return None, [issue(f"unknown member(s) {', '.join(unknown)}", None)]
    chosen, problem = _programme(record.get("programme"), programme)
    if chosen is None:
        return None, [issue(problem, "programme")]
    try:
        return EcoLabelCertificate.model_validate(_payload(record, chosen)), []
    except ValidationError as exc:
        issues = []
        for path, message in validation_messages(exc):
            subject_path: RecordPath = path[1:] if path[:1] == ("credentialSubject",) else path
            if located is not None:
                at_row, column = located.locate(subject_path)
                issues.append(RecordIssue(message, at_row, column, licence, unit))
            else:
                issues.append(issue(message, dotted(subject_path) or None))
        return None, issues


def _programme(in_record: object, given: str | None) -> tuple[str | None, str]:
    if in_record is not None and given is not None and in_record != given:
        return None, f"the record names programme {in_record!r} but {given!r} was given"
    chosen = given if given is not None else in_record
    if chosen is None:
        return None, "no programme: give one, or name it in the record's programme member"
    if not isinstance(chosen, str) or not _SLUG.match(chosen):
        return None, f"{chosen!r} is not a programme slug such as cn-cel"
    return chosen, ""


def _payload(record: dict[str, Any], programme: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "type": list(CREDENTIAL_TYPES),
        "issuer": issuer_for(programme),
        "validFrom": _instant(record.get("validFrom"), end_of_day=False),
        "validUntil": _instant(record.get("validUntil"), end_of_day=True),
        "credentialSubject": {name: value for name, value in record.items() if name in SUBJECT_FIELDS},
    }
    if record.get("supersedes") is not None:
        payload["supersedes"] = record["supersedes"]
    if record.get("credentialStatus") is not None:
        payload["credentialStatus"] = record["credentialStatus"]
    return payload


def with_status(record: LicenceRecord, credential_status: list[dict[str, Any]]) -> LicenceRecord:
    """The record with its status-list entries (from the registry's free slots), validated again."""
    payload = record.certificate.model_dump(mode="json", by_alias=True, exclude_none=True)
    certificate = EcoLabelCertificate.model_validate({**payload, "credentialStatus": credential_status})
    return LicenceRecord(record.key, record.rows, certificate)


def _instant(value: object, *, end_of_day: bool) -> object:
    """A bare date becomes a UTC instant (see the module docstring); anything else is left to the model."""
    if not isinstance(value, str) or not _DATE.match(value):
        return value
    try:
        day = date.fromisoformat(value) + timedelta(days=1 if end_of_day else 0)
    except (ValueError, OverflowError):
        return value  # the model reports it as a malformed timestamp
    return f"{day.isoformat()}T00:00:00Z"


def _duplicate(seen: dict[str, int], certificate: EcoLabelCertificate, row: int, unit: str) -> list[RecordIssue]:
    number = certificate.credential_subject.licence_number
    if number in seen:
        return [
            RecordIssue(f"licence appears again (first at {unit} {seen[number]})", row, "licenceNumber", number, unit)
        ]
    seen[number] = row
    return []
