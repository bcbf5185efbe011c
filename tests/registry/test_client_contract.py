"""The contract as client generators read it: plain unique model names, stable operation ids, one tag each.

openapi-python-client drops every operation that touches two models published under one class name;
every generator turns `operationId` into a method name and each tag into a module. The checks live in
`contract_rules` and run here on the registry's document and on a small app that breaks each rule once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Body, FastAPI
from pydantic import BaseModel, create_model

from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings
from tests.registry import contract_rules


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document the registry serves (building it opens no database)."""
    directory: Path = tmp_path_factory.mktemp("contract")
    settings = Settings(
        database_url=f"sqlite:///{directory / 'unused.sqlite3'}",
        signing_key_path=directory / "key.pem",
        admin_token_path=directory / "admin-token",
    )
    return create_app(settings).openapi()


def test_every_component_schema_is_published_under_its_own_class_name(document: dict[str, Any]) -> None:
    assert contract_rules.component_name_problems(document) == []


def test_every_operation_has_an_explicit_unique_camel_case_id(document: dict[str, Any]) -> None:
    assert contract_rules.operation_id_problems(document) == []


def test_every_operation_is_in_exactly_one_declared_and_described_tag(document: dict[str, Any]) -> None:
    assert contract_rules.tag_problems(document) == []


def test_every_operation_with_a_body_shows_a_request_and_an_answer_valid_against_their_schemas(
    document: dict[str, Any],
) -> None:
    assert contract_rules.example_problems(document) == []


def test_the_ids_integrators_call_are_the_ones_documented(document: dict[str, Any]) -> None:
    ids = {label: operation["operationId"] for label, operation in contract_rules.operations(document)}
    assert ids["GET /v1/certificates/{certificate_id}"] == "getCertificate"
    assert ids["POST /v1/certificates/batch"] == "submitCertificates"
    assert ids["POST /v1/verify/eligibility"] == "checkEligibility"
    assert ids["GET /v1/organisations/{organisation_id}/supply-chain"] == "getSupplyChain"


def _broken_app() -> FastAPI:
    """One offence against each rule, as a route added carelessly later would commit it."""
    first = create_model("Widget", __module__="shop.catalogue", size=(int, ...))
    second = create_model("Widget", __module__="shop.orders", count=(int, ...))
    router = APIRouter(tags=["shop"])

    def add_widget() -> None:
        raise NotImplementedError

    def widgets_without_an_id() -> None:
        raise NotImplementedError

    # Two answers whose classes are both called Widget (built at run time, hence no annotations).
    router.add_api_route("/log/widgets", add_widget, methods=["POST"], operation_id="addWidget", response_model=first)
    router.add_api_route("/.well-known/widgets", widgets_without_an_id, response_model=second)

    @router.get("/trqp/v2/widgets", operation_id="addWidget", tags=["extra"])
    def same_id_again() -> None:
        raise NotImplementedError

    app = FastAPI(openapi_tags=[{"name": "shop"}, {"name": "unused", "description": "nobody"}])
    app.include_router(router)

    @app.get("/console/widgets", include_in_schema=False)
    def console_page() -> None:
        raise NotImplementedError

    return app


def test_the_rules_name_each_offence_of_a_careless_route() -> None:
    with pytest.warns(UserWarning, match="Duplicate Operation ID addWidget"):
        broken = _broken_app().openapi()

    names = contract_rules.component_name_problems(broken)
    assert any(problem.startswith("shop__catalogue__Widget: not a plain class name") for problem in names)
    assert any(problem.startswith("shop__orders__Widget: published for the class Widget") for problem in names)
    assert "Widget: 2 models share this class name" in names

    ids = contract_rules.operation_id_problems(broken)
    assert ids == [
        (
            "GET /.well-known/widgets: operationId 'widgets_without_an_id__well_known_widgets_get' "
            "is not an explicit lowerCamelCase id"
        ),
        "GET /trqp/v2/widgets: operationId 'addWidget' is also POST /log/widgets's",
    ]

    tags = contract_rules.tag_problems(broken)
    assert sorted(tags) == sorted(
        [
            "tag 'shop' has no description",
            "GET /trqp/v2/widgets: has 2 tags, not one",
            "GET /trqp/v2/widgets: tag 'extra' is not declared",
            "tag 'unused' is declared but no operation has it",
        ]
    )


class Order(BaseModel):
    count: int


def test_the_example_rule_names_a_missing_or_invalid_example() -> None:
    app = FastAPI()

    @app.post("/v1/orders", operation_id="placeOrder", response_model=Order)
    def place_order(order: Annotated[Order, Body(openapi_examples={"bad": {"value": {"count": "many"}}})]) -> None:
        raise NotImplementedError

    @app.post("/v1/orders/{order_id}/cancellation", operation_id="cancelOrder")
    def cancel_order(order_id: str, order: Order) -> Order:
        raise NotImplementedError

    assert contract_rules.example_problems(app.openapi()) == [
        "POST /v1/orders: no successful answer has an example",
        "POST /v1/orders bad: 'many' is not of type 'integer' at $.count",
        "POST /v1/orders/{order_id}/cancellation: its request body has no example",
        "POST /v1/orders/{order_id}/cancellation: no successful answer has an example",
    ]
