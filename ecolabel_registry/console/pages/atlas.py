"""The recognition atlas: certificates over time, the recognition matrix as a heat map, and the network
of who recognises whom, each chart with its table and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.console import atlas
from ecolabel_registry.console.rendering import ConsoleRoute, error_page, render, translator
from verification.spreadsheet import spreadsheet_cell

router = APIRouter(route_class=ConsoleRoute)
CHARTS = ("series", "matrix", "network")


def _as_of(request: Request) -> date | None:
    text = request.query_params.get("date")
    if not text:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@router.get("/atlas")
def atlas_page(request: Request, context: ContextDep) -> Response:
    as_of = _as_of(request)
    if as_of is None:
        return error_page(request, 404)
    figures = atlas.build(context.engine, as_of)
    t = translator(request)
    data = {
        "labels": {
            "active": t("atlas.series.axis"),
            "month": t("atlas.series.month"),
            "from": t("atlas.matrix.from"),
            "to": t("atlas.matrix.to"),
            "categories": t("atlas.matrix.value"),
        },
        "series": {"months": figures.series.months, "counts": figures.series.counts},
        "matrix": {
            "programmes": figures.matrix.programmes,
            "cells": [
                [j, i, figures.matrix.accepted[a].get(b, 0)]
                for i, a in enumerate(figures.matrix.programmes)
                for j, b in enumerate(figures.matrix.programmes)
            ],
        },
        "network": {
            "nodes": figures.matrix.programmes,
            "edges": [
                {"source": e.recognized, "target": e.recognizer, "value": e.categories, "forms": e.forms}
                for e in figures.network
            ],
        },
    }
    return render(request, "atlas.html", {"nav": "atlas", "atlas": figures, "data": data, "charts": CHARTS})


@router.get("/atlas/{chart}.csv")
def atlas_csv(request: Request, chart: str, context: ContextDep) -> Response:
    as_of = _as_of(request)
    if chart not in CHARTS or as_of is None:
        return error_page(request, 404)
    figures = atlas.build(context.engine, as_of)
    if chart == "series":
        header = ["month", *figures.series.programmes]
        rows = figures.series.rows()
    elif chart == "matrix":
        header = ["programme", *figures.matrix.programmes]
        rows = figures.matrix.rows()
    else:
        header = ["recognizer", "recognized", "categories", "forms"]
        rows = [[e.recognizer, e.recognized, e.categories, " ".join(e.forms)] for e in figures.network]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[spreadsheet_cell(v) if isinstance(v, str) else v for v in row] for row in rows])
    name = f"atlas-{chart}-{figures.as_of.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
