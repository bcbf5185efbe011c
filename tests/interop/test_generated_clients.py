"""Clients generated from openapi/openapi.json as integrators generate them, then used.

Procurement systems and certification bodies generate their client from the committed contract. The
two most used generators run here at pinned versions: openapi-python-client (its own virtual environment,
`tests/interop/python-generator.txt`) and
openapi-typescript (npm, `tests/interop/package.json`; `make` runs `npm ci`). Either one reporting a
dropped or duplicate model, or anything else beyond its banner, fails the test. The Python client then
walks a live registry as a buyer and an auditor would; the TypeScript types are compiled against a
use of every operation id and every model.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from ecolabel_registry.app import build_context
from ecolabel_registry.demo.keys import TOKENS_FILE
from ecolabel_registry.demo.loader import load
from ecolabel_registry.demo.spec import World, load_world
from ecolabel_registry.settings import Settings
from tests.demo.conftest import small_world
from tests.registry.live import LiveServer, live_servers

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "openapi" / "openapi.json"
NODE_BIN = Path(__file__).resolve().parent / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent
# openapi-python-client lives in its own virtual environment (`make interop`; pinned in python-generator.txt).
GENERATOR_BIN = ROOT / ".venv" / "generator" / "bin"
# Its only configuration: the JOSE media types it does not know travel as bytes (application/vc+jwt).
GENERATOR_CONFIG = Path(__file__).with_name("python-generator.yml")
PACKAGE = "eco_label_registry_client"  # openapi-python-client's name for a document titled "Eco-label Registry"
# Every report of a model or operation left out, whichever generator prints it.
_TROUBLE = re.compile(r"warning|unable|duplicate|could not|skipping|error", re.IGNORECASE)


def _run(command: list[str | Path], cwd: Path) -> str:
    # The generator formats its output with ruff, which it finds on PATH (the virtual environment's).
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{command[0]} exited {result.returncode}:\n{output}"
    return output


# --- TypeScript ----------------------------------------------------------------------------------------


def test_openapi_typescript_types_every_operation_and_model(tmp_path: Path) -> None:
    types = tmp_path / "registry.d.ts"
    output = _run([NODE_BIN / "openapi-typescript", CONTRACT, "--output", types], tmp_path)
    # Its whole output on success is a banner and one line naming the file it wrote.
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 2, output
    assert lines[0].startswith("✨ openapi-typescript"), output
    assert lines[1].startswith("🚀"), output
    assert "registry.d.ts" in lines[1], output

    document = json.loads(CONTRACT.read_text(encoding="utf-8"))
    uses = ['import type { components, operations, paths } from "./registry";']
    for path, item in document["paths"].items():
        for method, operation in item.items():
            name = operation["operationId"]
            uses.append(f'export type Call_{name} = operations["{name}"];')
            uses.append(f"export type Route_{name} = paths[{json.dumps(path)}][{json.dumps(method)}];")
    uses += [
        f'export type Model_{name} = components["schemas"]["{name}"];' for name in document["components"]["schemas"]
    ]
    (tmp_path / "uses.ts").write_text("\n".join(uses) + "\n", encoding="utf-8")
    _run([NODE_BIN / "tsc", "--noEmit", "--strict", "uses.ts"], tmp_path)


# --- Python --------------------------------------------------------------------------------------------


def _json_request_bodies_only(document: dict[str, Any]) -> dict[str, Any]:
    """The contract less the raw `application/vc+jwt` alternative of a request body. An operation that
    takes JSON or a compact JWS makes openapi-python-client write a body type it does not import (its
    generated module fails with NameError); the Python client sends the JSON form of the same request."""
    for operations in document["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {}) if isinstance(operation, dict) else {}
            if "application/json" in content:
                content.pop("application/vc+jwt", None)
    return document


@pytest.fixture(scope="module")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package openapi-python-client generates, importable for the duration of this module."""
    directory = tmp_path_factory.mktemp("python-client")
    contract = tmp_path_factory.mktemp("python-contract") / "openapi.json"
    contract.write_text(json.dumps(_json_request_bodies_only(json.loads(CONTRACT.read_text()))), encoding="utf-8")
    generate = [GENERATOR_BIN / "openapi-python-client", "generate", "--path", contract, "--meta", "none"]
    generate += ["--config", GENERATOR_CONFIG]
    output = _run(
        [*generate, "--fail-on-warning"],
        directory,
    )
    assert output.strip() == f"Generating {directory / PACKAGE}", output
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _operation(tag: str, operation_id: str) -> ModuleType:
    """The generated module of one operation: `api/<tag>/<operation_id in snake case>.py`."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
    return importlib.import_module(f"{PACKAGE}.api.{tag.replace(' ', '_')}.{name}")


def test_the_python_client_has_a_function_for_every_operation(python_client: ModuleType) -> None:
    document = json.loads(CONTRACT.read_text(encoding="utf-8"))
    for item in document["paths"].values():
        for operation in item.values():
            module = _operation(operation["tags"][0], operation["operationId"])
            assert callable(module.sync_detailed), operation["operationId"]


@pytest.fixture
def registry(settings: Settings, tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """A live registry holding a small demo world (two programmes, their agreement, one supply chain),
    and the API tokens the demo issued to its organisations."""
    world: World = small_world(load_world())
    context = build_context(settings)
    try:
        load(context, world, tmp_path / "demo-keys", workers=1)
    finally:
        context.engine.dispose()
    saved: dict[str, dict[str, str]] = orjson.loads((tmp_path / "demo-keys" / TOKENS_FILE).read_bytes())
    (tokens,) = saved.values()
    with live_servers(settings, 1, tmp_path) as (server,):
        yield server, tokens


def _call(module: ModuleType, **arguments: Any) -> Any:
    """One call through the generated client; any answer but 2xx fails with the problem document."""
    response = module.sync_detailed(**arguments)
    assert 200 <= response.status_code < 300, response.content
    return response.parsed


def test_a_buyer_and_an_organisation_walk_the_registry_with_the_generated_client(
    python_client: ModuleType, registry: tuple[LiveServer, dict[str, str]]
) -> None:
    server, tokens = registry
    models = importlib.import_module(f"{PACKAGE}.models")
    with (
        python_client.Client(base_url=server.url, raise_on_unexpected_status=True) as public,
        python_client.AuthenticatedClient(base_url=server.url, token=tokens["marina-fitout"]) as buyer,
    ):
        certificate = _look_up_and_verify(models, public)
        _check_a_three_line_catalogue(models, public, certificate)
        _read_a_supply_chain(models, public, buyer)


def _look_up_and_verify(models: ModuleType, public: Any) -> Any:
    """The Japanese programme's licences, one of them with its history, then the registry's verdict."""
    get_certificate = _operation("certificates", "getCertificate")
    page = _call(_operation("certificates", "findCertificates"), client=public, programme="jea")
    assert page.items, "the demo world holds Eco Mark licences"
    found = page.items[0]
    detail = _call(get_certificate, client=public, certificate_id=found.id)
    assert isinstance(detail, models.CertificateDetail)
    assert detail.licence_number == found.licence_number
    assert detail.credential.count(".") == 2  # the compact JWS exactly as submitted
    assert all(isinstance(product, models.CertifiedProduct) for product in detail.products)
    missing = get_certificate.sync(client=public, certificate_id="0" * 64)
    assert isinstance(missing, models.Problem)
    assert missing.status == 404

    verdict = _call(_operation("procurement", "verifyCertificate"), client=public, certificate_id=found.id)
    assert isinstance(verdict, models.VerificationAnswer)
    assert verdict.certificate_id == found.id
    assert verdict.signed_decision.count(".") == 2
    return detail


def _check_a_three_line_catalogue(models: ModuleType, public: Any, certificate: Any) -> None:
    """ "Eco Mark or equivalent": one line by certificate id, one by licence number, one by GTIN."""
    singapore = _call(_operation("certificates", "findCertificates"), client=public, programme="sgls").items[0]
    gtin = next(product.gtin for product in certificate.products if isinstance(product.gtin, str))
    request = models.EligibilityRequest(
        requirement=models.Requirement(accepted=[models.AcceptedLabel(programme="jea")]),
        items=[
            models.CatalogueLine(ref="line-1", certificate_id=certificate.id),
            models.CatalogueLine(ref="line-2", programme="sgls", licence_number=singapore.licence_number),
            models.CatalogueLine(ref="line-3", gtin=gtin),
        ],
    )
    answer = _call(_operation("procurement", "checkEligibility"), client=public, body=request)
    assert isinstance(answer, models.EligibilityAnswer)
    assert answer.eligible + answer.not_eligible == 3
    assert [result["ref"] for result in answer.results] == ["line-1", "line-2", "line-3"]
    assert answer.decision.count(".") == 2


def _read_a_supply_chain(models: ModuleType, public: Any, buyer: Any) -> None:
    """The buyer reads its own chain with its organisation token; without a token, a typed 401 problem."""
    get_supply_chain = _operation("supply chain", "getSupplyChain")
    me = _call(_operation("supply chain", "whoAmI"), client=buyer)
    assert me.organisation is not None
    chain = _call(get_supply_chain, client=buyer, organisation_id=me.organisation.id)
    assert isinstance(chain, models.SupplyChain)
    tiers = {node.tier: node for node in chain.nodes}
    assert tiers[0].organisation_id == me.organisation.id
    assert set(tiers) == {0, 1, 2}, "marina-fitout buys from lion-city, which buys from midori"
    refused = get_supply_chain.sync_detailed(client=public, organisation_id=me.organisation.id)
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.Problem)
    assert refused.parsed.type_.startswith("urn:ecolabel-registry:problem:")
