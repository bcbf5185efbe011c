"""The log page: the latest signed checkpoint, and a form that checks a receipt against a document.

The receipt check is `verification.receipt.verify_receipt`, the function an offline verifier runs, with
the registry's published checkpoint key. It proves the bytes were logged under that receipt; checking
it here still trusts this server, so the page also shows the command that checks it independently.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from ecolabel_registry.api.deps import ContextDep
from ecolabel_registry.console import security
from ecolabel_registry.console.rendering import ConsoleRoute, error_page, render, translator
from ecolabel_registry.context import RegistryContext
from ecolabel_registry.log import service
from verification.errors import VerificationError
from verification.leaf import format_log_time
from verification.receipt import Receipt, verify_receipt
from verification.strictjson import loads_strict

router = APIRouter(route_class=ConsoleRoute)

MAX_FIELD = 1_048_576  # a receipt or a pasted document; larger documents are uploaded as files


def _page(request: Request, context: RegistryContext, extra: dict[str, Any], status_code: int = 200) -> Response:
    with context.engine.connect() as connection:
        head, note = service.latest_checkpoint(connection, context.note_signer)
    return render(
        request,
        "log.html",
        {
            "nav": "log",
            "tree_size": head.tree_size,
            "root_hash": head.root_hash.hex(),
            "checkpoint": note,
            "verifier_key": context.note_verifier.to_string(),
            "result": None,
            "receipt_text": "",
            **extra,
        },
        status_code=status_code,
    )


@router.get("/log")
def log_page(request: Request, context: ContextDep) -> Response:
    return _page(request, context, {})


def _receipt(text: str) -> Receipt:
    data = loads_strict(text.strip().encode(), max_bytes=MAX_FIELD)
    # A whole write response (`{"certificate": …, "receipt": {…}}`) is accepted as well as a bare receipt.
    if isinstance(data, dict) and isinstance(data.get("receipt"), dict):
        data = data["receipt"]
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return Receipt.from_dict(data)


@router.post("/log")
async def check_receipt(
    request: Request,
    context: ContextDep,
    *,
    csrf: Annotated[str, Form(max_length=64)] = "",
    receipt: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    document: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    document_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    t = translator(request)
    if not security.csrf_valid(request, csrf):
        return error_page(request, 403, t("error.csrf"))
    # Uploaded bytes are used exactly; pasted text loses only surrounding whitespace (a JWS has none).
    if document_file is not None and document_file.filename:
        content = await document_file.read()
    else:
        content = document.strip().encode()
    outcome: dict[str, Any]
    try:
        parsed = _receipt(receipt)
        if not content:
            raise ValueError("no document")
        checkpoint = verify_receipt(parsed, content, context.note_verifier)
        outcome = {
            "ok": True,
            "leaf_index": parsed.leaf_index,
            "kind": parsed.kind.value,
            "integrated_at": format_log_time(parsed.integrated_us),
            "tree_size": checkpoint.tree_size,
        }
    except VerificationError as exc:
        outcome = {"ok": False, "code": exc.code, "detail": exc.detail}
    except ValueError:
        outcome = {"ok": False, "code": "BAD_INPUT", "detail": t("log.check.bad_input")}
    return _page(request, context, {"result": outcome, "receipt_text": receipt}, status_code=200)
