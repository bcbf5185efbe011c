"""Records (CSV rows, JSON records) become valid, deterministic, signed EcoLabelCertificate payloads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from certifiers.issues import RecordsInvalid
from certifiers.keys import SigningKey
from certifiers.records import (
    certificate_from_record,
    load_records,
    read_csv,
    read_json_record,
    read_jsonl,
    sign_record,
)
from certifiers.signing import document_sha256, payload_bytes
from tests.certifiers.factories import COLUMNS, LEI, USCC, gtin, json_record, licence_rows, row, write_csv
from verification.canonical import dumps_canonical
from verification.jws import verify_compact
from verification.payloads import TYP, EcoLabelCertificate


def _issues(exc: pytest.ExceptionInfo[RecordsInvalid]) -> list[tuple[int | None, str | None, str]]:
    return [(issue.row, issue.field, issue.message) for issue in exc.value.issues]


def test_rows_of_one_licence_become_one_certificate_with_all_its_products(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "licences.csv", [row("CEL-1", 1), row("CEL-2", 2), row("CEL-1", 3)])
    records = read_csv(path, "cn-cel")
    assert [(r.key, r.rows) for r in records] == [("CEL-1", (2, 4)), ("CEL-2", (3,))]
    certificate = records[0].certificate
    subject = certificate.credential_subject
    assert certificate.issuer == "urn:ecolabel:programme:cn-cel"
    assert [p.name for p in subject.products] == ["Product 1", "Product 3"]
    assert subject.products[0].gtin == "0" + gtin(1)  # normalised to GTIN-14 by the payload type
    assert [(i.scheme.value, i.value) for i in subject.holder.identifiers] == [("USCC", USCC)]
    assert subject.markets == ["CN", "HK"]
    assert subject.category.code == "HJ 2536"
    assert subject.evidence is not None
    assert subject.evidence.document_sha256 == "ab" * 32


def test_bare_dates_mean_the_whole_utc_day(tmp_path: Path) -> None:
    (record,) = read_csv(write_csv(tmp_path / "l.csv", [row("CEL-1", 1)]), "cn-cel")
    document = json.loads(payload_bytes(record.certificate))
    # validUntil is exclusive, so "valid until 2028-12-31" ends at the following midnight.
    assert (document["validFrom"], document["validUntil"]) == ("2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z")


def test_later_rows_may_leave_licence_cells_empty(tmp_path: Path) -> None:
    product_only = {"licence_number": "CEL-1", "product_name": "Refill", "gtin": gtin(2)}
    second = {column: product_only.get(column, "") for column in COLUMNS}
    records = read_csv(write_csv(tmp_path / "l.csv", [row("CEL-1", 1), second, row("CEL-1", 3)]), "cn-cel")
    subject = records[0].certificate.credential_subject
    assert [p.name for p in subject.products] == ["Product 1", "Refill", "Product 3"]
    assert subject.holder.name == "Holder of CEL-1"


def test_a_later_row_still_needs_its_product_name(tmp_path: Path) -> None:
    second = dict.fromkeys(COLUMNS, "") | {"licence_number": "CEL-1", "gtin": gtin(2)}
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "l.csv", [row("CEL-1", 1), second]), "cn-cel")
    assert _issues(exc) == [(3, "product_name", "is empty")]


def test_a_minimal_csv_needs_only_the_required_columns(tmp_path: Path) -> None:
    columns = ["licence_number", "holder_name", "holder_country", "category_code", "criteria_version"]
    columns += ["valid_from", "valid_until", "product_name"]
    values = row("CEL-1", 1)
    (record,) = read_csv(write_csv(tmp_path / "l.csv", [{c: values[c] for c in columns}], columns), "cn-cel")
    subject = record.certificate.credential_subject
    assert subject.products[0].gtin is None
    assert subject.evidence is None
    assert subject.markets == []


def test_payload_bytes_are_canonical_and_signing_is_deterministic(tmp_path: Path, signer: SigningKey) -> None:
    path = write_csv(tmp_path / "l.csv", [row("CEL-1", 1)])
    first, second = read_csv(path, "cn-cel")[0], read_csv(path, "cn-cel")[0]
    assert payload_bytes(first.certificate) == payload_bytes(second.certificate)
    assert dumps_canonical(json.loads(payload_bytes(first.certificate))) == payload_bytes(first.certificate)
    assert sign_record(first, signer) == sign_record(second, signer)


def test_signed_credentials_verify_and_parse_back_to_the_same_payload(tmp_path: Path, signer: SigningKey) -> None:
    records = read_csv(write_csv(tmp_path / "l.csv", licence_rows(20)), "cn-cel")
    for record in records:
        token = sign_record(record, signer)
        verified = verify_compact(token, signer.public, expected_typ=TYP["certificate"])
        assert verified.header["typ"] == "vc+jwt"
        assert verified.payload == payload_bytes(record.certificate)
        assert EcoLabelCertificate.model_validate_json(verified.payload) == record.certificate
        assert len(document_sha256(token)) == 64


def test_a_json_record_builds_the_same_kind_of_payload(tmp_path: Path, signer: SigningKey) -> None:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(json_record()), encoding="utf-8")
    record = read_json_record(path)
    subject = record.certificate.credential_subject
    assert record.key == "CEL-J-0001"
    assert subject.production_sites[0].name == "Mill 1"
    assert [i.value for i in subject.holder.identifiers] == [USCC, LEI]
    assert json.loads(payload_bytes(record.certificate))["validUntil"] == "2028-12-30T16:00:00Z"
    verify_compact(sign_record(record, signer), signer.public, expected_typ="vc+jwt")


def test_a_json_record_may_name_a_superseded_certificate() -> None:
    certificate = certificate_from_record(json_record(supersedes="ef" * 32))
    assert certificate.supersedes == "ef" * 32


def test_jsonl_reads_one_record_per_line(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    lines = [json.dumps(json_record(f"CEL-J-{n}")) for n in range(3)]
    path.write_text("\n".join([lines[0], "", *lines[1:]]) + "\n", encoding="utf-8")
    records = load_records(path, "cn-cel")
    assert [(r.key, r.rows) for r in records] == [("CEL-J-0", (1,)), ("CEL-J-1", (3,)), ("CEL-J-2", (4,))]


# --- bad input: every problem is reported with its row, and nothing is signed ------------------


def test_a_wrong_gtin_check_digit_is_reported_at_the_product_row(tmp_path: Path) -> None:
    bad = gtin(3)[:-1] + str((int(gtin(3)[-1]) + 1) % 10)
    rows = [row("CEL-1", 1), row("CEL-2", 2), row("CEL-1", 3, gtin=bad)]
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "l.csv", rows), "cn-cel")
    ((row_number, field, message),) = _issues(exc)
    assert (row_number, field) == (4, "gtin")
    assert "wrong check digit" in message
    assert "row 4, licence CEL-1, gtin" in str(exc.value.issues[0])


def test_an_unknown_country_is_reported(tmp_path: Path) -> None:
    rows = [row("CEL-1", 1), row("CEL-2", 2, holder_country="XX"), row("CEL-3", 3, markets="CN;ZZ")]
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "l.csv", rows), "cn-cel")
    issues = _issues(exc)
    assert [(r, f) for r, f, _ in issues] == [(3, "holder_country"), (4, "markets")]
    assert "'XX' is not an ISO 3166-1 alpha-2 country code" in issues[0][2]


def test_valid_until_before_valid_from_is_reported(tmp_path: Path) -> None:
    rows = [row("CEL-1", 1, valid_from="2027-01-01", valid_until="2026-06-30")]
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "l.csv", rows), "cn-cel")
    assert _issues(exc) == [(2, "valid_until", "validUntil must be later than validFrom")]


def test_missing_cells_and_columns_are_reported(tmp_path: Path) -> None:
    rows = [row("CEL-1", 1, holder_name="", product_name=""), row("CEL-2", 2)]
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "l.csv", rows), "cn-cel")
    assert _issues(exc) == [(2, "holder_name", "is empty"), (2, "product_name", "is empty")]

    columns = [c for c in COLUMNS if c != "valid_until"] + ["valid_untill"]
    values = row("CEL-1", 1)
    values["valid_untill"] = values.pop("valid_until")
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "typo.csv", [values], columns), "cn-cel")
    assert [m for _, _, m in _issues(exc)] == [
        "unknown column 'valid_untill'",
        "required column 'valid_until' is missing",
    ]


def test_rows_of_one_licence_must_agree(tmp_path: Path) -> None:
    rows = [row("CEL-1", 1), row("CEL-1", 2, holder_country="DE")]
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "l.csv", rows), "cn-cel")
    ((row_number, field, message),) = _issues(exc)
    assert (row_number, field) == (3, "holder_country")
    assert "row 2 of this licence says 'CN'" in message


def test_malformed_identifiers_timestamps_and_hashes_are_located(tmp_path: Path) -> None:
    rows = [
        row("CEL-1", 1, holder_uscc="91110000600037341X"),
        row("CEL-2", 2, valid_from="2026-01-01T00:00:00"),  # no zone
        row("CEL-3", 3, pdf_sha256="not-a-hash"),
        row("CEL-4", 4, criteria_version=""),
    ]
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "l.csv", rows), "cn-cel")
    assert [(r, f) for r, f, _ in _issues(exc)] == [
        (2, "holder_uscc"),
        (3, "valid_from"),
        (4, "pdf_sha256"),
        (5, "criteria_version"),
    ]


def test_bad_json_records_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    bad_country = json_record("CEL-2", holder={"name": "X", "country": "XX"})
    lines = [
        json.dumps(json_record("CEL-1")),
        json.dumps(bad_country),
        '{"licenceNumber": "CEL-3", "licenceNumber": "CEL-3"}',
        json.dumps(json_record("CEL-1")),
        json.dumps(json_record("CEL-5", colour="green")),
        json.dumps(json_record("CEL-6", programme="blue-angel")),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(RecordsInvalid) as exc:
        read_jsonl(path, "cn-cel")
    issues = _issues(exc)
    assert [(r, f) for r, f, _ in issues] == [
        (2, "holder.country"),
        (3, None),
        (4, "licenceNumber"),
        (5, None),
        (6, "programme"),
    ]
    assert "DUPLICATE_KEY" not in issues[1][2]
    assert "appears more than once" in issues[1][2]
    assert "first at line 1" in issues[2][2]
    assert "colour" in issues[3][2]
    assert "'blue-angel' but 'cn-cel' was given" in issues[4][2]


def test_a_record_without_a_programme_is_refused() -> None:
    record = json_record()
    del record["programme"]
    with pytest.raises(RecordsInvalid, match="no programme"):
        certificate_from_record(record)


def test_the_error_lists_every_problem_and_says_nothing_was_signed(tmp_path: Path) -> None:
    rows = [row(f"CEL-{n}", n, holder_country="XX") for n in range(1, 61)]
    with pytest.raises(RecordsInvalid) as exc:
        read_csv(write_csv(tmp_path / "l.csv", rows), "cn-cel")
    assert len(exc.value.issues) == 60
    assert "60 problem(s) in the input; nothing was signed" in str(exc.value)
    assert "… and 10 more" in str(exc.value)


def test_only_csv_and_jsonl_files_are_bulk_inputs(tmp_path: Path) -> None:
    with pytest.raises(RecordsInvalid, match=r"expected a \.csv or \.jsonl"):
        load_records(tmp_path / "licences.xlsx", "cn-cel")


def test_the_readme_examples_are_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "certifiers" / "README.md").read_text(encoding="utf-8")
    csv_example = re.search(r"```csv\n(.*?)```", readme, re.DOTALL)
    json_example = re.search(r"```json\n(.*?)```", readme, re.DOTALL)
    assert csv_example is not None
    assert json_example is not None
    (tmp_path / "example.csv").write_text(csv_example.group(1), encoding="utf-8")
    records = read_csv(tmp_path / "example.csv", "cn-cel")
    assert [(r.key, len(r.certificate.credential_subject.products)) for r in records] == [
        ("CEL-2026-0001", 2),
        ("CEL-2026-0002", 1),
    ]
    certificate_from_record(json.loads(json_example.group(1)), "cn-cel")
