"""Exports open in their tools: CSV in the csv module, DOT in Graphviz (when installed), SVG as XML, and the
evidence bundle verifies offline with the registry key from /.well-known/ecolabel-registry."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from tests.supply import paper_chain
from tests.supply.paper_chain import AS_OF, PaperChain
from tests.supply.world import Supply, body
from verification.checkpoint import verify_checkpoint
from verification.cli import app as verify_cli
from verification.jwk import parse_public_jwk
from verification.jws import verify_compact
from verification.note import NoteVerifier
from verification.receipt import Receipt, verify_receipt

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def world(supply: Supply, admin_headers: dict[str, str]) -> PaperChain:
    return paper_chain.build(supply, admin_headers)


def _export(supply: Supply, world: PaperChain, export_format: str) -> bytes:
    response = supply.client.get(
        f"/v1/organisations/{world.buyer.id}/supply-chain/export",
        params={"format": export_format, "as_of": AS_OF},
        headers=world.buyer.headers,
    )
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return response.content


def test_json_export_is_the_chain_answer(supply: Supply, world: PaperChain) -> None:
    assert json.loads(_export(supply, world, "json")) == supply.chain(world.buyer, as_of=AS_OF)


def test_csv_export_parses_with_one_row_per_link(supply: Supply, world: PaperChain) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(supply, world, "csv").decode())))
    assert len(rows) == 6
    by_id = {row["link_id"]: row for row in rows}
    ream = by_id[world.links["distributor>buyer"]["id"]]
    assert ream["supplier_name"] == "Emilia Office Supplies S.r.l. (demo)"
    assert ream["coverage"] == "certified"
    assert ream["product_certificates"] == "nordic-swan:3041-0457:active"
    assert ream["volume"] == "12.0"
    pulp = by_id[world.links["pulp_mill>paper_mill"]["id"]]
    assert (pulp["tier"], pulp["supplier_certificates"]) == ("4", "nordic-swan:3041-0102:suspended")


def test_csv_cells_never_start_a_spreadsheet_formula(supply: Supply) -> None:
    buyer = supply.organisation("Buyer")
    supplier = supply.organisation('=HYPERLINK("http://evil.example","x")')
    supply.declare(buyer, supplier, material="@SUM(1+1)")
    response = supply.client.get(
        f"/v1/organisations/{buyer.id}/supply-chain/export", params={"format": "csv"}, headers=buyer.headers
    )
    (row,) = csv.DictReader(io.StringIO(response.text))
    assert row["supplier_name"].startswith("'=HYPERLINK")
    assert row["material"] == "'@SUM(1+1)"


@pytest.mark.parametrize("hostile", [" =1+1", "\t=1", "\tpaper", " -2+3", "\u3000@SUM(A1)"])
def test_csv_cells_are_neutralised_also_after_leading_blanks(supply: Supply, hostile: str) -> None:
    buyer = supply.organisation("Buyer")
    supplier = supply.organisation(hostile)
    supply.declare(buyer, supplier, material=hostile)
    response = supply.client.get(
        f"/v1/organisations/{buyer.id}/supply-chain/export", params={"format": "csv"}, headers=buyer.headers
    )
    (row,) = csv.DictReader(io.StringIO(response.text, newline=""))
    assert (row["supplier_name"], row["material"]) == ("'" + hostile, "'" + hostile)


def test_dot_export_is_a_graph_coloured_by_status(supply: Supply, world: PaperChain) -> None:
    dot = _export(supply, world, "dot").decode()
    assert dot.startswith("digraph supply_chain {")
    assert dot.rstrip().endswith("}")
    assert dot.count(" -> ") == 6
    assert f'"{world.converter.id}" [label="Skåne Office Paper AB (demo)\\nSE · tier 2 · certified"' in dot
    for colour in ("#c8e6c9", "#ffcdd2", "#eeeeee"):  # certified, not certified, unknown
        assert f'fillcolor="{colour}"' in dot
    assert "style=dotted" in dot  # the disputed offcut link
    # `make test` installs Graphviz; a missing `dot` fails here rather than skipping the proof.
    assert shutil.which("dot") is not None, "Graphviz `dot` is needed to prove the DOT export renders"
    rendered = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=True, timeout=30)
    assert ElementTree.fromstring(rendered.stdout).tag == f"{SVG}svg"


def test_svg_export_is_well_formed_xml(supply: Supply, world: PaperChain) -> None:
    root = ElementTree.fromstring(_export(supply, world, "svg"))
    assert root.tag == f"{SVG}svg"
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert world.pulp_mill.id in titles
    assert sum(1 for _ in root.iter(f"{SVG}line")) + sum(1 for _ in root.iter(f"{SVG}path")) >= 6


def test_svg_escapes_names(supply: Supply) -> None:
    buyer = supply.organisation("Buyer")
    supplier = supply.organisation("<script>alert(1)</script> & Co")
    supply.declare(buyer, supplier)
    response = supply.client.get(
        f"/v1/organisations/{buyer.id}/supply-chain/export", params={"format": "svg"}, headers=buyer.headers
    )
    assert "<script>" not in response.text
    texts = [t.text for t in ElementTree.fromstring(response.content).iter(f"{SVG}text")]
    assert "<script>alert(1)</script> & Co" in texts


def _registry_keys(supply: Supply) -> tuple[Any, NoteVerifier]:
    identity = supply.client.get("/.well-known/ecolabel-registry").json()
    (jwk,) = identity["jwks"]["keys"]
    return parse_public_jwk(jwk), NoteVerifier.from_string(identity["checkpoint_verifier_key"])


def test_evidence_bundle_verifies_with_the_published_key(supply: Supply, world: PaperChain) -> None:
    archive = zipfile.ZipFile(io.BytesIO(_export(supply, world, "bundle")))
    files = {name: archive.read(name) for name in archive.namelist()}
    key, verifier = _registry_keys(supply)

    verified = verify_compact(files["manifest.jws"].decode(), key, expected_typ="ecolabel-evidence-bundle+jwt")
    assert verified.payload == files["manifest.json"]
    manifest = json.loads(files["manifest.json"])
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "manifest.jws"}
    for name, entry in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"], name
        assert len(files[name]) == entry["size"]
    assert (manifest["organisation_id"], manifest["as_of"]) == (world.buyer.id, "2025-06-01T00:00:00.000000Z")

    checkpoint = verify_checkpoint(files["checkpoint.txt"].decode(), verifier, origin=verifier.name)
    assert checkpoint.tree_size == manifest["log"]["tree_size"]
    documents = sorted(name for name in files if name.startswith("documents/"))
    assert len(documents) == 6 + 5 + 1  # six declarations, five confirmations (not the toner's), one dispute
    for name in documents:
        leaf = name.removeprefix("documents/")
        receipt = Receipt.from_dict(json.loads(files[f"receipts/{leaf}"]))
        verify_receipt(receipt, files[name], verifier)
    assert json.loads(files["audit.json"])["low_risk"]["all_tiers"]["share"] == 0.2
    assert len(list(csv.DictReader(io.StringIO(files["supply-chain.csv"].decode())))) == 6


def test_logged_documents_are_hash_commitments_that_readers_can_open(supply: Supply) -> None:
    buyer, supplier = supply.organisation("Buyer"), supply.organisation("Supplier")
    sent = body(supply.declaration(buyer, supplier, material="recycled fibre"))
    declared = supply.client.post(
        "/v1/supply-links", content=sent, headers={**buyer.headers, "content-type": "application/json"}
    ).json()
    leaf = declared["link"]["leaf_index"]

    public = supply.client.get("/v1/log/entries", params={"start": leaf, "limit": 1}).json()["entries"][0]
    assert (public["kind"], public["document"]) == ("supply_chain", None)
    assert public["document_sha256"] == hashlib.sha256(sent).hexdigest()

    for reader in (buyer, supplier):
        document = supply.client.get(f"/v1/supply-documents/{leaf}", headers=reader.headers)
        assert document.status_code == 200
        assert document.content == sent
    receipt = supply.client.get(f"/v1/supply-documents/{leaf}/receipt", headers=buyer.headers).json()
    assert receipt == declared["receipt"]
    _, verifier = _registry_keys(supply)
    verify_receipt(Receipt.from_dict(receipt), sent, verifier)


def _rezip(files: dict[str, bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def test_ecolabel_verify_bundle_checks_the_evidence_offline_and_names_any_change(
    supply: Supply, world: PaperChain, tmp_path: Path
) -> None:
    data = _export(supply, world, "bundle")
    (jwk,) = supply.client.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"]
    key_file = tmp_path / "registry.jwk"
    key_file.write_text(json.dumps(jwk), encoding="utf-8")
    bundle = tmp_path / "evidence.zip"
    bundle.write_bytes(data)

    def check(path: Path) -> tuple[int, str]:
        ran = CliRunner().invoke(verify_cli, ["bundle", str(path), "--jwk", str(key_file)], env={"COLUMNS": "80"})
        assert "Traceback" not in ran.output
        return ran.exit_code, ran.output

    code, output = check(bundle)
    assert code == 0, output
    assert f"OK evidence bundle for {world.buyer.id} as of 2025-06-01" in output
    assert "12 documents in" in output  # six declarations, five confirmations, one dispute: each with its receipt

    files = {
        name: zipfile.ZipFile(io.BytesIO(data)).read(name) for name in zipfile.ZipFile(io.BytesIO(data)).namelist()
    }
    cases = {
        "FILE_ALTERED": {**files, "supply-chain.csv": files["supply-chain.csv"] + b"x,y\n"},
        "FILE_NOT_LISTED": {**files, "extra.txt": b"added later"},
        "FILE_MISSING": {name: content for name, content in files.items() if name != "audit.json"},
        "MANIFEST_ALTERED": {**files, "manifest.json": files["manifest.json"].replace(b'"version":1', b'"version":2')},
        "BAD_SIGNATURE": {**files, "manifest.jws": files["manifest.jws"][:-8] + b"AAAAAAAA"},
    }
    for code_name, changed in cases.items():
        code, output = check(_rezip(changed, tmp_path / f"{code_name}.zip"))
        assert code != 0, code_name
        assert code_name in output, (code_name, output)
    code, output = check(_rezip({"a.txt": b"not a bundle"}, tmp_path / "other.zip"))
    assert code == 2
    assert "BAD_BUNDLE" in output
