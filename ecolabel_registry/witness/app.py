"""The witness's HTTP interface (C2SP tlog-witness): one submission endpoint, one monitoring endpoint.

    POST /add-checkpoint                 submission prefix: old size, consistency proof, checkpoint
    GET  /<hex SHA-256 of origin>/checkpoint   monitoring prefix: the latest cosigned checkpoint
    GET  /healthz

Both prefixes are the server's root. The app is small on purpose and shares no code with the registry's
database: a witness is somebody else's server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from ecolabel_registry.witness.protocol import MAX_BODY_BYTES, Witness
from ecolabel_registry.witness.state import WitnessState
from verification.cosignature import Cosigner
from verification.note import NoteVerifier


def create_witness_app(
    cosigner: Cosigner,
    logs: Mapping[str, Sequence[NoteVerifier]],
    state_directory: Path,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    witness = Witness(cosigner, logs, WitnessState(state_directory), clock)
    app = FastAPI(title="Eco-label Registry witness", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.witness = witness

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            return PlainTextResponse("the submission is too large\n", status_code=413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return PlainTextResponse("the submission is too large\n", status_code=413)
        # The check, the fsync and the rename block: off the event loop, one at a time (WitnessState.locked).
        answer = await run_in_threadpool(witness.add_checkpoint, body)
        # Set as a header, not a media type: Starlette would append "; charset=utf-8", and the spec fixes
        # the 409's Content-Type to exactly text/x.tlog.size.
        return Response(answer.body.encode(), status_code=answer.status, headers={"Content-Type": answer.media_type})

    @app.get("/{hashed}/checkpoint")
    async def latest_checkpoint(hashed: str) -> Response:
        note = witness.state.latest_by_hash(hashed)
        if note is None:
            return PlainTextResponse("this witness has not cosigned a checkpoint of that log\n", status_code=404)
        return Response(note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "public, max-age=2"})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "name": cosigner.name, "vkey": cosigner.key.to_string()}

    return app
