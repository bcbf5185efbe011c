"""The eligibility page: choose a requirement, upload or paste a catalogue, read and download the answer.

A plain multipart form POST, so it works without JavaScript. The check is read-only (it signs a decision
but changes nothing in the registry); it is still CSRF-protected, because it costs the registry work.
The answer is not stored anywhere: the results CSV and the signed decision are offered as downloads
from this one response (data: URLs), so both files come from the same evaluation and the decision
commits to exactly the results on the page.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Form, UploadFile
from pydantic import ValidationError
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.categories import service as categories
from ecolabel_registry.categories.schemas import CategoryOut
from ecolabel_registry.console import catalogue, security
from ecolabel_registry.console.i18n import Translator
from ecolabel_registry.console.rendering import ConsoleRoute, error_page, render, translator
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.procurement.equivalents import evaluate_with_equivalents
from ecolabel_registry.procurement.schemas import EligibilityRequest
from ecolabel_registry.programmes import service as programmes
from ecolabel_registry.supply.schemas import parse_instant

router = APIRouter(route_class=ConsoleRoute)

SHOWN_ROWS = 1000  # a page with 10,000 table rows helps nobody; the downloads hold every row
_PROGRAMMES_SHOWN = 500


@dataclass(frozen=True)
class LabelChoice:
    value: str  # "programme" or "programme:category", as the form posts it
    programme_id: str
    programme_name: str  # with the slug beside it when another programme has the same name
    category_name: str | None
    code: str | None


@dataclass
class FormState:
    """What the person entered, to show the form again as they left it."""

    labels: list[str] = field(default_factory=list)
    cpv: str = ""
    cn_procurement: str = ""
    markets: str = ""
    date: str = ""
    equivalents: bool = True
    pasted: str = ""


def _choices(connection: Connection, t: Translator) -> list[LabelChoice]:
    found: list[LabelChoice] = []
    listed, _ = programmes.page(connection, None, _PROGRAMMES_SHOWN)
    names = Counter(t.name(programme.names) for programme in listed)
    for programme in listed:
        name = t.name(programme.names)
        name = name if names[name] == 1 else f"{name} ({programme.id})"
        found.append(LabelChoice(programme.id, programme.id, name, None, None))
        codes: dict[str, CategoryOut] = {}
        for category in categories.list_for(connection, programme.id):
            codes.setdefault(category.code, category)
        found += [
            LabelChoice(f"{programme.id}:{code}", programme.id, name, t.name(category.names), code)
            for code, category in codes.items()
        ]
    return found


def _page(
    request: Request, context: ContextDep, state: FormState, *, problem: str | None = None, status_code: int = 200
) -> Response:
    with context.engine.connect() as connection:
        choices = _choices(connection, translator(request))
    return render(
        request,
        "eligibility.html",
        {"nav": "eligibility", "choices": choices, "form": state, "problem": problem},
        status_code=status_code,
    )


@router.get("/eligibility")
def eligibility_form(request: Request, context: ContextDep) -> Response:
    return _page(request, context, FormState())


def _requirement(state: FormState) -> dict[str, Any]:
    accepted = []
    for value in state.labels:
        programme, _, category = value.partition(":")
        accepted.append({"programme": programme, **({"category": category} if category else {})})
    requirement: dict[str, Any] = {"accepted": accepted, "equivalents": state.equivalents}
    if state.cpv:
        requirement["cpv"] = state.cpv
    if state.cn_procurement:
        requirement["cn_procurement"] = state.cn_procurement
    requirement["markets"] = [m.strip().upper() for m in state.markets.replace(";", ",").split(",") if m.strip()]
    return requirement


def _data_url(media_type: str, content: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


@router.post("/eligibility")
async def check_catalogue(
    request: Request,
    context: ContextDep,
    *,
    csrf: Annotated[str, Form(max_length=64)] = "",
    labels: Annotated[list[str] | None, Form()] = None,
    cpv: Annotated[str, Form(max_length=12)] = "",
    cn_procurement: Annotated[str, Form(max_length=16)] = "",
    markets: Annotated[str, Form(max_length=300)] = "",
    date: Annotated[str, Form(max_length=10)] = "",
    equivalents: Annotated[str, Form(max_length=3)] = "",
    pasted: Annotated[str, Form()] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if not security.csrf_valid(request, csrf):
        return error_page(request, 403, translator(request)("error.csrf"))
    state = FormState(
        labels=labels or [],
        cpv=cpv.strip(),
        cn_procurement=cn_procurement.strip(),
        markets=markets,
        date=date.strip(),
        equivalents=equivalents == "on",
        pasted=pasted,
    )
    t = translator(request)
    if not (state.labels or state.cpv or state.cn_procurement):
        return _page(request, context, state, problem=t("eligibility.error.no_requirement"), status_code=422)
    try:
        text = catalogue.decode(await upload.read()) if upload is not None and upload.filename else pasted
        items = catalogue.parse(text)
    except catalogue.CatalogueError as exc:
        return _page(request, context, state, problem=t(exc.key, **exc.values), status_code=422)
    try:
        check = EligibilityRequest.model_validate(
            {
                "requirement": _requirement(state),
                "items": items,
                "date": parse_instant(state.date) if state.date else None,
            }
        )
    except (ValidationError, ValueError) as exc:
        detail = str(exc.errors()[0]["msg"]) if isinstance(exc, ValidationError) else str(exc)
        detail = detail.removeprefix("Value error, ")
        return _page(
            request, context, state, problem=t("eligibility.error.requirement", detail=detail), status_code=422
        )
    with read_snapshot(context.engine) as connection:
        answer = evaluate_with_equivalents(connection, context, check)
    document = orjson.dumps(answer.model_dump())
    return render(
        request,
        "eligibility_result.html",
        {
            "nav": "eligibility",
            "answer": answer,
            "shown": answer.results[:SHOWN_ROWS],
            "tree_size": answer.checkpoint.split("\n")[1],
            "csv_url": _data_url("text/csv;charset=utf-8", catalogue.results_csv(answer.results).encode()),
            "decision_url": _data_url("application/json", document),
        },
    )
