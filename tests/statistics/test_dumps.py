"""Signed bulk downloads: download, verify offline, load into an empty migrated database, compare counts;
an altered file or manifest is refused with a clear FAILED line and no traceback."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ecolabel_registry.app import create_app
from ecolabel_registry.clock import now_us
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import build_engine
from ecolabel_registry.db.migrate import upgrade
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import World
from ecolabel_registry.opendata.dumps import due, list_dumps
from ecolabel_registry.opendata.load import load_dump
from ecolabel_registry.settings import Settings
from ecolabel_registry.worker import daily_dump
from tests.registry.conftest import ADMIN_TOKEN
from tests.statistics.conftest import PROGRAMMES, world_of
from verification.cli import app as verify_app
from verification.ed25519 import generate_private_key
from verification.jwk import PublicKey
from verification.jws import sign_compact

pytestmark = pytest.mark.slow
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TABLES = (
    "programmes",
    "categories",
    "category_codes",
    "certificates",
    "certificate_events",
    "agreements",
    "agreement_parties",
    "agreement_events",
)


@pytest.fixture
def dumping(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"dump_directory": tmp_path / "published"})
    with TestClient(create_app(configured), raise_server_exceptions=False) as test_client:
        yield test_client


def _download(client: TestClient, dump: dict[str, Any], into: Path) -> Path:
    into.mkdir(parents=True)
    for url in [dump["manifest_url"], *(f["url"] for f in dump["files"])]:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        (into / url.rsplit("/", 1)[1]).write_bytes(answer.content)
    return into


def _key_file(client: TestClient, tmp_path: Path) -> Path:
    path = tmp_path / "registry.jwk"
    path.write_text(json.dumps(client.get("/.well-known/ecolabel-registry").json()["jwks"]["keys"][0]))
    return path


def _verify(directory: Path, *options: str) -> Any:
    return CliRunner().invoke(verify_app, ["dump", str(directory), *options])


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {t: connection.execute(select(func.count()).select_from(text(t))).scalar_one() for t in TABLES}
    finally:
        engine.dispose()


def _empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the same backend as the registry's, migrated by alembic."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
        upgrade(url)
        yield url
        return
    name = f"ecolabel_copy_{os.getpid()}"
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_dump_round_trips_through_download_verification_and_loading(
    loaded: RegistryContext, dumping: TestClient, settings: Settings, tmp_path: Path
) -> None:
    created = dumping.post("/v1/dumps", json={}, headers=ADMIN)
    assert created.status_code == 201, created.text
    dump = created.json()
    assert dumping.get("/v1/dumps").json()["items"][0]["name"] == dump["name"]
    assert dump["tree_size"] == dumping.get("/v1/log/checkpoint").json()["tree_size"]
    directory = _download(dumping, dump, tmp_path / "download")
    checked = _verify(directory, "--jwk", str(_key_file(dumping, tmp_path)))
    assert checked.exit_code == 0, checked.output
    assert "OK" in checked.output
    assert f"size {dump['tree_size']}" in checked.output
    for url in _empty_database(settings.database_url, tmp_path):
        engine = build_engine(url, pool_size=1)
        try:
            loaded_counts = load_dump(engine, directory)
        finally:
            engine.dispose()
        assert _counts(url) == _counts(settings.database_url)
        assert loaded_counts["certificates"] == _counts(settings.database_url)["certificates"] > 50
    rows = [json.loads(line) for line in (directory / "certificates.jsonl").read_text().splitlines()]
    assert {row["status"] for row in rows} >= {"active", "expired"}
    kinds = {json.loads(line)["kind"] for line in (directory / "documents.jsonl").read_text().splitlines()}
    assert "supply_chain" not in kinds
    header = (directory / "categories.csv").read_text().splitlines()[0].split(",")
    assert {"cpv", "cn_procurement", "hs"} <= set(header)


def test_an_altered_file_or_manifest_is_refused_with_a_failed_line(
    loaded: RegistryContext, dumping: TestClient, tmp_path: Path
) -> None:
    dump = dumping.post("/v1/dumps", json={}, headers=ADMIN).json()
    key = str(_key_file(dumping, tmp_path))
    directory = _download(dumping, dump, tmp_path / "download")
    data = (directory / "certificates.csv").read_bytes()
    (directory / "certificates.csv").write_bytes(data.replace(b"active", b"ACTIVE", 1))
    (directory / "agreements.jsonl").unlink()
    (directory / "extra.csv").write_text("id\n1\n")
    refused = _verify(directory, "--jwk", key)
    assert refused.exit_code == 1
    lines = [line for line in refused.output.splitlines() if line.startswith("FAILED")]
    assert any("certificates.csv: altered" in line for line in lines)
    assert any("agreements.jsonl: missing" in line for line in lines)
    assert any("extra.csv: not in the signed manifest" in line for line in lines)
    assert "Traceback" not in refused.output

    # A manifest rewritten to match the altered files no longer carries the registry's signature.
    token = (directory / "manifest.jws").read_text().strip()
    forger = generate_private_key()
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = sign_compact(
        json.dumps(payload).encode(), forger, PublicKey.from_private_key(forger).kid, "ecolabel-dump-manifest+jwt"
    )
    (directory / "manifest.jws").write_text(forged)
    refused = _verify(directory, "--jwk", key)
    assert refused.exit_code == 1
    assert refused.output.startswith("FAILED")
    assert "Traceback" not in refused.output
    (directory / "manifest.jws").write_text(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    assert _verify(directory, "--jwk", key).exit_code == 1
    assert _verify(directory).exit_code == 2  # no key given: the check cannot start
    assert _verify(tmp_path / "nowhere", "--jwk", key).exit_code == 2


def test_an_incremental_dump_holds_only_what_the_log_added_since(
    loaded: RegistryContext, dumping: TestClient, demo_world: World, tmp_path: Path
) -> None:
    first = dumping.post("/v1/dumps", json={}, headers=ADMIN).json()
    load(loaded, world_of(demo_world, (*PROGRAMMES, "geca")), tmp_path / "demo-keys", workers=1)
    since = first["tree_size"]
    answer = dumping.post("/v1/dumps", json={"since": since}, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    incremental = answer.json()
    assert incremental["since"] == since
    assert incremental["name"] == f"dump-{since:012d}-{incremental['tree_size']:012d}"
    directory = _download(dumping, incremental, tmp_path / "incremental")
    assert _verify(directory, "--jwk", str(_key_file(dumping, tmp_path))).exit_code == 0
    programmes = [json.loads(line) for line in (directory / "programmes.jsonl").read_text().splitlines()]
    assert [p["id"] for p in programmes] == ["geca"]
    certificates = [json.loads(line) for line in (directory / "certificates.jsonl").read_text().splitlines()]
    assert certificates
    assert all(c["leaf_index"] >= since or c["programme_id"] != "geca" for c in certificates)
    assert {c["programme_id"] for c in certificates if c["leaf_index"] >= since} == {"geca"}
    assert dumping.post("/v1/dumps", json={"since": incremental["tree_size"] + 5}, headers=ADMIN).status_code == 400
    assert dumping.post("/v1/dumps", json={}).status_code == 401


def test_the_dcat_catalogue_describes_the_newest_full_dump(loaded: RegistryContext, dumping: TestClient) -> None:
    dump = dumping.post("/v1/dumps", json={}, headers=ADMIN).json()
    answer = dumping.get("/v1/dcat")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    catalogue = answer.json()
    assert catalogue["@type"] == "dcat:Catalog"
    assert catalogue["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    hashes = {f["url"].rsplit("/", 1)[1]: f["sha256"] for f in dump["files"]}
    found = {
        d["dcat:downloadURL"]["@id"].rsplit("/", 1)[1]: d["spdx:checksum"]["spdx:checksumValue"]["@value"]
        for dataset in catalogue["dcat:dataset"]
        for d in dataset["dcat:distribution"]
    }
    assert found == hashes
    assert {d["dct:identifier"] for d in catalogue["dcat:dataset"]} == {f["dataset"] for f in dump["files"]}


def test_the_worker_writes_a_full_dump_once_a_day(loaded: RegistryContext, settings: Settings, tmp_path: Path) -> None:
    configured = settings.model_copy(update={"dump_directory": tmp_path / "daily"})
    daily_dump(loaded.engine, configured)
    written = list_dumps(tmp_path / "daily")
    assert [m.since for m in written] == [None]
    daily_dump(loaded.engine, configured)  # not due again within the interval
    assert len(list_dumps(tmp_path / "daily")) == 1
    assert due(tmp_path / "daily", now_us() + int(configured.dump_interval_s * 1_000_000), configured.dump_interval_s)
