"""Certificate search (the console's home page) and the certificate page.

Search works as a plain GET form, so a result page can be bookmarked and needs no script. One box takes
a licence number, a GTIN or a holder identifier; "any field" tries each way the text could be meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from ecolabel_registry import clock
from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.categories import repository as categories
from ecolabel_registry.certificates import lookup
from ecolabel_registry.certificates.schemas import CertificateOut
from ecolabel_registry.console import evidence
from ecolabel_registry.console.equivalents import recognised_as
from ecolabel_registry.console.rendering import ConsoleRoute, error_page, render
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.procurement import single
from ecolabel_registry.programmes import service as programmes
from ecolabel_registry.recognition import service as recognition
from verification.documents import logged_payload
from verification.errors import MalformedInput
from verification.identifiers import normalise_gtin
from verification.payloads import EcoLabelCertificate
from verification.status import CertificateStatus
from verification.status_list import list_path, status_entries

router = APIRouter(route_class=ConsoleRoute)

FIELDS = ("any", "licence", "gtin", "holder")
PAGE_SIZE = 50
_CERTIFICATE_ID = re.compile(r"^[0-9a-f]{64}$")
_FILTER_KEY = {"licence": "licence_no", "gtin": "gtin", "holder": "holder"}


@dataclass(frozen=True)
class Search:
    text: str
    field: str
    status: CertificateStatus | None
    cursor: str | None

    @property
    def ways(self) -> list[str]:
        """The filters the text is tried as: one chosen field, or every field it could be."""
        if self.field != "any":
            return [self.field]
        ways = ["licence", "holder"]
        if self.text.isdigit() and 8 <= len(self.text) <= 14:
            ways.append("gtin")
        return ways


@dataclass(frozen=True)
class Found:
    results: list[CertificateOut]
    next_cursor: str | None = None
    more: bool = False  # "any field" found a full page somewhere: a chosen field pages further
    problem: str | None = None  # a translation key, shown beside the search box


def _find(connection: Connection, search: Search) -> Found:
    found: dict[str, CertificateOut] = {}
    next_cursor, more = None, False
    for way in search.ways:
        value = search.text
        if way == "gtin":
            try:
                value = normalise_gtin(value)
            except ValueError:
                if search.field == "gtin":
                    return Found([], problem="search.bad_gtin")
                continue
        items, next_cursor = lookup.search(
            connection,
            {_FILTER_KEY[way]: value},
            status=search.status,
            at=None,
            cursor=search.cursor if search.field != "any" else None,
            limit=PAGE_SIZE,
        )
        found.update((item.id, item) for item in items)
        more = more or next_cursor is not None
    results = sorted(found.values(), key=lambda c: (c.licence_number, c.id))
    if search.field != "any":
        return Found(results, next_cursor=next_cursor)
    # Paging across several filters at once would need one cursor per filter; "any field" shows one page.
    return Found(results, more=more)


@dataclass(frozen=True)
class Names:
    """People's names for the programmes and categories a page of results cites, by slug and by code."""

    programmes: dict[str, dict[str, str]]
    categories: dict[str, dict[str, str]]  # "programme code version" -> names


def category_key(certificate: CertificateOut) -> str:
    category = certificate.category
    return f"{certificate.programme_id} {category.code} {category.criteria_version}"


def _names(connection: Connection, results: list[CertificateOut]) -> Names:
    programme_names = {slug: programmes.get(connection, slug).names for slug in {c.programme_id for c in results}}
    category_names: dict[str, dict[str, str]] = {}
    for c in results:
        key = category_key(c)
        if key not in category_names:
            row = categories.find(connection, (c.programme_id, c.category.code, c.category.criteria_version))
            category_names[key] = dict(row["names"]) if row is not None else {}
    return Names(programme_names, category_names)


@router.get("/")
def home(
    request: Request,
    context: ContextDep,
    *,
    q: Annotated[str, Query(max_length=64)] = "",
    field: Annotated[str, Query(max_length=10)] = "any",
    status: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    search = Search(
        text=q.strip(),
        field=field if field in FIELDS else "any",
        status=CertificateStatus(status) if status in set(CertificateStatus) else None,
        cursor=cursor if _CERTIFICATE_ID.match(cursor) else None,
    )
    found, names = Found([]), Names({}, {})
    if search.text:
        with context.engine.connect() as connection:
            found = _find(connection, search)
            names = _names(connection, found.results)
    return render(
        request,
        "search.html",
        {
            "nav": "search",
            "search": search,
            "fields": FIELDS,
            "statuses": list(CertificateStatus),
            "results": found.results,
            "next_cursor": found.next_cursor,
            "more": found.more,
            "problem": found.problem,
            "programme_names": names.programmes,
            "category_names": names.categories,
        },
    )


@router.get("/certificates/{certificate_id}")
def certificate(request: Request, certificate_id: str, context: ContextDep) -> Response:
    if not _CERTIFICATE_ID.match(certificate_id):
        return error_page(request, 404)
    at = clock.now()
    with read_snapshot(context.engine) as connection:
        detail = lookup.get(connection, certificate_id)
        checks = single.verify_certificate(connection, context, certificate_id, at)
        presented = recognition.certificate_subject(connection, certificate_id, at=at, known_at_us=None)
        equivalents = recognised_as(
            connection, certificate_id, presented, at=at, max_depth=context.settings.recognition_max_depth
        )
        programme = programmes.get(connection, detail.programme_id)
        category = categories.find(
            connection, (detail.programme_id, detail.category.code, detail.category.criteria_version)
        )
    return render(
        request,
        "certificate.html",
        {
            "nav": "search",
            "c": detail,
            "checks": checks,
            "log_check": evidence.check_inclusion(checks["inclusion"], context.note_verifier),
            "equivalents": equivalents,
            "programme_names": programme.names,
            "category_names": dict(category["names"]) if category is not None else {},
            "standards": _standard_views(context, detail.programme_id, detail.credential),
        },
    )


def _standard_views(context: ContextDep, programme_id: str, credential: str) -> dict[str, object]:
    """What a standard verifier uses: the programme's DID, the credential's status-list slots, the UNTP view."""
    names = context.did_names
    try:
        slots = status_entries(logged_payload(credential, EcoLabelCertificate), base_url=names.base_url)
    except MalformedInput:  # a slot the registry refused could not be stored; kept as a guard
        slots = []
    return {
        "did": names.programme(programme_id),
        "did_document": f"/programmes/{programme_id}/did.json",
        "slots": [
            {
                "purpose": slot.purpose.value,
                "index": slot.index,
                "list": list_path(programme_id, slot.purpose, slot.number),
            }
            for slot in slots
        ],
    }
