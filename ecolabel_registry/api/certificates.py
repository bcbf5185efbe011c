"""Certificates: submission (single and batch), lookup with history, and signed status events."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from ecolabel_registry import collector
from ecolabel_registry.api import untp, wakeups
from ecolabel_registry.api.answers import JSONBytes, model_json
from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import SIGNED_DOCUMENT_ERRORS, openapi_responses
from ecolabel_registry.api.ratelimit import ProgrammeLimitDep, ProgrammeRateLimit
from ecolabel_registry.api.routers import PrefixRouter
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.vc_jwt import (
    REQUEST_BODY_EXTRA,
    VC_JWT_CONTENT,
    CredentialBodyRoute,
    prefers_vc_jwt,
    vc_jwt_response,
)
from ecolabel_registry.certificates import events, lookup, sequencer, status_proofs, submission
from ecolabel_registry.certificates.schemas import (
    BatchResult,
    CertificateDetail,
    CertificateOut,
    CertificatePage,
    CertificateSubmitted,
    EventSubmitted,
    Outcome,
    SubmitBatch,
    SubmitCredential,
    SubmitEvent,
)
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import read_snapshot, write_connection
from ecolabel_registry.errors import (
    BadRequest,
    Conflict,
    HistoryConflict,
    InternalError,
    LogIntegrityError,
    MalformedJSON,
    NotFound,
    UnknownCategory,
    UnsupportedMediaType,
    ValidationFailed,
    WrongProgramme,
)
from ecolabel_registry.observability.metrics import count_rejection
from ecolabel_registry.problems import problem_body
from ecolabel_registry.schemas import ReceiptOut
from ecolabel_registry.status_map.schemas import StatusProofOut
from verification.identifiers import normalise_gtin
from verification.status import CertificateStatus

router = PrefixRouter(prefix="/v1/certificates", route_class=StrictJSONRoute, tags=["certificates"])
CertificateId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the credential")]
_DOCUMENT_ERRORS = SIGNED_DOCUMENT_ERRORS


async def submit_certificate(body: SubmitCredential, request: Request) -> Response:
    """Register one signed certificate. Resubmitting the identical credential returns the original receipt.

    The body is `{"credential": JWS}`, or the JWS itself as `application/vc+jwt` (VC-JOSE-COSE §6.1).

    A new credential for a licence that already has a certificate must name it in `supersedes`.
    """
    # Awaited directly by its route (`DirectJSONRoute`): no dependency to solve, and the answer's JSON
    # written by its model as FastAPI would write it (`answers.model_json`).
    # By key: `State.registry` is found only after the ordinary lookup has failed, an AttributeError made
    # and dropped (~4,400 instructions a read, three a submission; BENCHMARKS.md).
    state = request.app.state
    context: RegistryContext = state["registry"]
    throttle: ProgrammeRateLimit = state["programme_limit"]
    # Concurrent submissions are logged together (group commit, docs/DEPLOYMENT.md): the answer comes
    # once the group's transaction has committed, and its receipt names that group's checkpoint.
    writer = sequencer.of(context)
    if writer is None:
        (item,) = await run_in_threadpool(_submit, context, throttle, [body.credential])
    else:
        # Checked and charged with the rest of its group, on the group's thread: the wait holds no thread,
        # and the group's answers come back to the loop in one wake-up (`api.wakeups`).
        loop = asyncio.get_running_loop()
        item = await wakeups.of(loop).wait(writer.certificate(body.credential, throttle.charge))
    if item.stored is not None or item.error is not None:  # answered from memory: no thread hop
        return _submitted(context, item)
    return await run_in_threadpool(_submitted, context, item)


def _submitted(context: RegistryContext, item: submission.Item) -> Response:
    if item.error is not None:
        raise item.error
    if item.document is None or item.receipt is None:
        raise InternalError("the submission produced neither a result nor an error")
    created = item.outcome is not Outcome.DUPLICATE
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    if item.stored is not None and item.signing_key is not None:
        # Accepted just now: the rows it stored are what a read would return (`lookup.accepted`), written
        # as `CertificateSubmitted` from plain values: building and serializing its five models cost more
        # than the standing itself (BENCHMARKS.md); the bytes are the model's. The credential's SHA-256 is
        # the one its ingest took of the same token (`SignedDocument.sha256`), not taken again here.
        document = item.document
        view = lookup.accepted(
            item.stored, document.token.encode("ascii"), item.signing_key, digest=bytes.fromhex(document.sha256)
        )
        answer = {"certificate": view, "receipt": item.receipt.to_dict(), "created": item.outcome is Outcome.ACCEPTED}
        try:
            return JSONBytes(orjson.dumps(answer), code)  # `Response(..., media_type="application/json")`, at once
        except orjson.JSONEncodeError:  # a value orjson cannot write: let the model serialize it
            return Response(
                model_json(CertificateSubmitted.model_validate(answer)), status_code=code, media_type="application/json"
            )
    with context.engine.connect() as connection:  # already held: it may since have events or a successor
        certificate: CertificateOut = lookup.get(connection, item.document.sha256)
    answer_model = CertificateSubmitted(
        certificate=certificate, receipt=ReceiptOut.of(item.receipt), created=item.outcome is Outcome.ACCEPTED
    )
    return Response(model_json(answer_model), status_code=code, media_type="application/json")


_SUBMIT_CERTIFICATE: dict[str, Any] = {
    "methods": ["POST"],
    "operation_id": "submitCertificate",
    "response_model": CertificateSubmitted,
    "status_code": status.HTTP_201_CREATED,
    "route_class_override": CredentialBodyRoute,
    "openapi_extra": REQUEST_BODY_EXTRA,
    "responses": openapi_responses(
        *_DOCUMENT_ERRORS,
        UnknownCategory,
        Conflict,
        also={200: {"description": "The identical credential was already registered", "model": CertificateSubmitted}},
    ),
}
router.add_api_route("", submit_certificate, **_SUBMIT_CERTIFICATE)


# The same operation as a route of the application's own, matched before every included router
# (`app._include_routers`): a submission matched through the routes before this router's and then this
# router's own twice (FastAPI's `_IncludedRouter`), ~50-80 µs of CPU per request (BENCHMARKS.md). It is
# left out of the OpenAPI document, which `router`'s route above writes as before; a request it does not
# take whole (another method) goes on to the routes behind it as before.
#
# It is the first route the application tries: any other request is told at once that its path is not this
# one (`DirectJSONRoute.matches`, which every route of a literal path shares), so a request for another
# route pays one string comparison for it, and a submission no longer pays for matching the five routes
# that were before it.
front = APIRouter()
front.add_api_route(
    router.prefix,
    submit_certificate,
    include_in_schema=False,
    **_SUBMIT_CERTIFICATE,
)


@router.post(
    "/batch",
    operation_id="submitCertificates",
    response_model=BatchResult,
    responses=openapi_responses(MalformedJSON, UnsupportedMediaType, ValidationFailed, BadRequest),
)
def submit_batch(body: SubmitBatch, context: ContextDep, throttle: ProgrammeLimitDep, request: Request) -> Response:
    """Register many certificates; each gets its own result and a bad one never blocks the others.

    Accepted items are logged together and share one checkpoint. At most `max_batch_items` per request.
    """
    limit = context.settings.max_batch_items
    if len(body.credentials) > limit:
        raise BadRequest(f"a batch holds at most {limit} credentials", code="BATCH_TOO_LARGE", max_items=limit)
    # A batch's 1,000 credentials build some hundred thousand acyclic objects (parses, payload models,
    # rows, receipts) that live until the answer: the collector would walk them again and again. The
    # answer is encoded inside the pause and they are let go before it ends, so the collector, resumed,
    # has nothing of theirs to walk (resumed with them alive, it walked them all once more per batch).
    with collector.paused():
        items = _submit(context, throttle, body.credentials)
        for item in items:
            if item.error is not None:
                count_rejection(request, item.error)
        answer = _batch_answer(items)
        del items
    return Response(answer, media_type="application/json")


def _batch_answer(items: list[submission.Item]) -> bytes:
    """A BatchResult as plain dicts, in its field order: building and serializing 1,000 BatchItem and
    ReceiptOut models took twice as long as this for the same JSON (9 ms against 5; BENCHMARKS.md)."""
    results = [
        {
            "index": item.index,
            "outcome": (item.outcome or Outcome.REJECTED).value,
            "certificate_id": item.certificate_id if item.outcome is not Outcome.REJECTED else None,
            "receipt": item.receipt.to_dict() if item.receipt else None,
            "problem": problem_body(item.error) if item.error else None,
        }
        for item in items
    ]
    outcomes = Counter(result["outcome"] for result in results)
    answer = {
        "results": results,
        "accepted": outcomes[Outcome.ACCEPTED.value],
        "duplicates": outcomes[Outcome.DUPLICATE.value],
        "rejected": outcomes[Outcome.REJECTED.value],
    }
    try:
        return orjson.dumps(answer)
    except orjson.JSONEncodeError:  # a problem extension orjson cannot write: let pydantic serialize it
        return BatchResult.model_validate(answer).model_dump_json().encode()


def _prepare(context: ContextDep, throttle: ProgrammeLimitDep, tokens: list[str]) -> list[submission.Item]:
    """Verify the credentials and charge their programmes' budgets (no lock held)."""
    with context.engine.connect() as connection:
        prepared = submission.prepare(connection, tokens, names=context.did_names)
        throttle.charge(submission.new_to_the_registry(connection, prepared))
    return prepared.items


def _submit(context: ContextDep, throttle: ProgrammeLimitDep, tokens: list[str]) -> list[submission.Item]:
    prepared = submission.Prepared(_prepare(context, throttle, tokens))
    if not any(item.document is not None for item in prepared.items):
        return prepared.items
    with write_connection(context.engine) as connection:
        return submission.commit(connection, context.note_signer, prepared, base_url=context.did_names.base_url)


@router.get("", operation_id="findCertificates", responses=openapi_responses(ValidationFailed))
def find_certificates(
    context: ContextDep,
    *,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    licence_no: Annotated[str | None, Query(max_length=64, description="the licence number, e.g. IT/044/005")] = None,
    gtin: Annotated[str | None, Query(pattern=r"^\d{8,14}$")] = None,
    holder: Annotated[str | None, Query(max_length=64, description="a holder identifier: LEI, USCC, VAT …")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    status_filter: Annotated[CertificateStatus | None, Query(alias="status")] = None,
    as_of: Annotated[datetime | None, Query(description="judge status on this date (default: now)")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CertificatePage:
    """Certificates matching every given filter, ordered by id, paged by cursor."""
    filters = {"programme": programme, "licence_no": licence_no, "category": category, "holder": holder}
    if gtin is not None:
        try:
            filters["gtin"] = normalise_gtin(gtin)
        except ValueError as exc:
            raise ValidationFailed(str(exc), code="BAD_GTIN") from exc
    _require_aware(as_of)
    with context.read_engine().connect() as connection:
        items, next_cursor = lookup.search(
            connection, filters, status=status_filter, at=as_of, cursor=cursor, limit=limit
        )
    return CertificatePage(items=items, next_cursor=next_cursor)


@router.get(
    "/{certificate_id}",
    operation_id="getCertificate",
    responses=openapi_responses(NotFound, ValidationFailed, also={200: {"content": VC_JWT_CONTENT}}),
    response_model=CertificateDetail,
)
def get_certificate(
    certificate_id: CertificateId,
    context: ContextDep,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    as_of: Annotated[datetime | None, Query(description="status on this date (when the fact was true)")] = None,
    known_at: Annotated[
        datetime | None, Query(description="count only what the registry had logged by this time")
    ] = None,
) -> CertificateDetail | Response:
    """One certificate with its status on a date, its status history and the original credential.

    With `Accept: application/vc+jwt`, the credential alone, exactly the compact JWS the programme signed.
    """
    _require_aware(as_of)
    _require_aware(known_at)
    with context.read_engine().connect() as connection:
        detail = lookup.get(connection, certificate_id, at=as_of, known_at=known_at)
    return vc_jwt_response(detail.credential) if prefers_vc_jwt(accept) else detail


@router.get(
    "/{certificate_id}/status-proof",
    operation_id="getStatusProof",
    responses=openapi_responses(NotFound, ValidationFailed, LogIntegrityError),
)
def get_status_proof(certificate_id: CertificateId, context: ContextDep) -> StatusProofOut:
    """The certificate's latest status event as of a signed checkpoint, with the proof, or the proof
    that the log holds no such certificate.

    The registry keeps a verifiable map from certificate id to the head of its status chain and logs
    its root as the last leaf of every transaction that changes it; the answer names the checkpoint
    that ends with that leaf, so "no later event" is proved without replaying the log. Check it
    offline with `ecolabel-verify status-proof`. `404` (`STATUS_MAP_OFF`) when the registry does not
    keep the map.
    """
    with read_snapshot(context.read_engine()) as connection:
        proof = status_proofs.status_proof(connection, certificate_id, context.note_verifier)
    return StatusProofOut.of(proof)


@router.post(
    "/{certificate_id}/events",
    operation_id="submitStatusEvent",
    status_code=status.HTTP_201_CREATED,
    responses=openapi_responses(*_DOCUMENT_ERRORS, NotFound, HistoryConflict, WrongProgramme),
)
async def submit_status_event(certificate_id: CertificateId, body: SubmitEvent, context: ContextDep) -> EventSubmitted:
    """Append a signed status event (suspended, reinstated, withdrawn, renewed, expired).

    The event must carry the next sequence number and the SHA-256 of the previous event (for the first
    event: of the credential); see `next_event` on the certificate.
    """
    # Concurrent events are logged together (group commit), each answered after its group's commit.
    writer = sequencer.of(context)
    if writer is None:
        event, now_status, receipt = await run_in_threadpool(_submit_event, context, certificate_id, body.event)
    else:
        event, now_status, receipt = await wakeups.of(asyncio.get_running_loop()).wait(
            writer.event(certificate_id, body.event)
        )
    return EventSubmitted(event=event, status=now_status, receipt=ReceiptOut.of(receipt))


def _submit_event(context: ContextDep, certificate_id: str, token: str) -> events.Submitted:
    with write_connection(context.engine) as connection:
        return events.submit(connection, context, certificate_id, token)


def _require_aware(moment: datetime | None) -> None:
    if moment is not None and moment.tzinfo is None:
        raise ValidationFailed("dates need a time zone, e.g. 2026-01-31T00:00:00Z", code="NAIVE_DATETIME")


# The UNTP Digital Conformity Credential view of a certificate: /v1/certificates/{id}/untp-dcc (api/untp.py).
router.include_router(untp.router)
