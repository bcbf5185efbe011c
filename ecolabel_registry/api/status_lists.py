"""W3C Bitstring Status List credentials of each programme, and free slots for credentials to claim."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, Field

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.api.problems import openapi_responses
from ecolabel_registry.api.routing import StrictJSONRoute
from ecolabel_registry.api.vc_jwt import VC_JWT, VC_JWT_CONTENT
from ecolabel_registry.certificates import status_lists as service
from ecolabel_registry.errors import NotFound, ValidationFailed
from ecolabel_registry.schemas import Slug
from verification.status_list import LIST_SIZE, MAX_LIST_NUMBER, StatusPurpose, credential_status

# No tag of its own: it is included in the programmes router, whose tag it takes.
router = APIRouter(route_class=StrictJSONRoute)
ProgrammeId = Annotated[Slug, Path(description="the programme's slug, e.g. eu-ecolabel")]
# A list changes when a status event is logged or takes effect; a minute is how stale a cached copy may be.
_CURRENT_CACHE = "public, max-age=60"
_AT_CHECKPOINT_CACHE = "public, max-age=31536000, immutable"


@router.get(
    "/{programme_id}/status-lists/{purpose}/{number}",
    operation_id="getStatusList",
    responses=openapi_responses(
        NotFound, ValidationFailed, also={200: {"content": VC_JWT_CONTENT}, 304: {"description": "Not modified"}}
    ),
    response_class=Response,
)
def get_status_list(
    programme_id: ProgrammeId,
    purpose: StatusPurpose,
    number: Annotated[int, Path(ge=0, le=MAX_LIST_NUMBER, description="the list's number, from 0")],
    context: ContextDep,
    *,
    tree_size: Annotated[
        int | None, Query(ge=1, description="judge the list as it stood at the checkpoint of this tree size")
    ] = None,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """A `BitstringStatusListCredential` secured as `application/vc+jwt` (W3C Bitstring Status List v1.0).

    Issued as the programme's DID and signed by the registry (`#registry-<thumbprint>` in the programme's
    DID document). Derived from the status chains each time: `suspension` bits are set while a certificate
    is suspended, `revocation` bits once it is withdrawn. `tree_size` gives the list as it stood at that
    checkpoint. The ETag is the SHA-256 of the JWS.
    """
    with context.engine.connect() as connection:
        served = service.status_list(connection, context, programme_id, purpose, number, tree_size=tree_size)
    headers = {"ETag": served.etag, "Cache-Control": _AT_CHECKPOINT_CACHE if served.at_checkpoint else _CURRENT_CACHE}
    if if_none_match is not None and served.etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(served.token.encode("ascii"), media_type=VC_JWT, headers=headers)


class FreeStatusSlot(BaseModel):
    list_number: int
    index: int
    position: int = Field(description="list number * list size + index: pass the last one as `after` to page")
    credential_status: list[dict[str, str]] = Field(
        alias="credentialStatus", description="the entries to sign into the credential, one per purpose"
    )


class FreeStatusSlots(BaseModel):
    list_size: int = Field(description="entries per list (the specification's minimum, 131,072)")
    slots: list[FreeStatusSlot]


@router.get(
    "/{programme_id}/status-lists/free",
    operation_id="listFreeStatusSlots",
    responses=openapi_responses(NotFound, ValidationFailed),
)
def list_free_status_slots(
    programme_id: ProgrammeId,
    context: ContextDep,
    count: Annotated[int, Query(ge=1, le=1000)] = 1,
    after: Annotated[
        int | None,
        Query(
            ge=0,
            le=(MAX_LIST_NUMBER + 1) * LIST_SIZE,
            description="page on: slots after this position "
            "(list number * list size + index), as the last slot answered",
        ),
    ] = None,
) -> FreeStatusSlots:
    """Status-list slots no certificate of the programme holds, to sign into new credentials.

    `credentialStatus` is inside the signed credential, so a certifier takes its slots before signing.
    Nothing is reserved: a slot another credential claimed first is refused at submission
    (`STATUS_INDEX_TAKEN`), and the certifier signs again with a fresh one.
    """
    base = context.did_names.base_url
    with context.engine.connect() as connection:
        slots = service.free_slots(connection, programme_id, count, after)
    return FreeStatusSlots(
        list_size=LIST_SIZE,
        slots=[
            FreeStatusSlot(
                list_number=number,
                index=index,
                position=number * LIST_SIZE + index,
                credentialStatus=credential_status(base, programme_id, index, number),
            )
            for number, index in slots
        ],
    )
