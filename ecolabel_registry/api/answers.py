"""Short read-only answers: where they run, and how their JSON leaves.

An answer computed from a compiled graph and a few indexed reads costs a few hundred microseconds of
CPU. A plain `def` endpoint pays two hand-offs to the thread pool and back for it (the endpoint, then
FastAPI's validation of the returned model against `response_model`), and the model is validated and
serialized again after it was built: together several times the answer's own cost (BENCHMARKS.md,
changelog "recognition answers"). So these endpoints are `async def` and call `answer`:

* on SQLite the work runs on the event loop, as the single verification does: its reads are local and
  short, and a hand-off to a thread costs more than they do;
* on PostgreSQL the answer's one statement is read ahead (`recognition.reads`): the requests that
  arrive together share one thread hop and one statement, and the event loop serves others meanwhile;
  the answer is then computed on the event loop, as on SQLite. An answer that needs a read snapshot
  (status events that disagree with the event count, a log grown past the compiled graph) takes one
  thread for its round trips, and other requests go on meanwhile (on the event loop every request
  would queue behind them);
* the work returns the answer's JSON bytes, sent as they are. The route still names its
  `response_model`, so the OpenAPI document is unchanged; the bytes are that model's JSON as FastAPI
  would have written them: by the model itself (`model_json`), or, for the recognition answers, by
  `recognition.answer_json` from the same values without building the model (the same bytes).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ecolabel_registry.context import RegistryContext
from ecolabel_registry.db.engine import is_sqlite
from ecolabel_registry.recognition import reads


async def answer(
    context: RegistryContext, work: Callable[[reads.Read | None], bytes], certificate_id: str | None
) -> Response:
    """Run `work` (a read-only answer's JSON, about this certificate, or None: a programme) where it costs
    least for this database, and send it. `work` is given the read made ahead, or None: read yourself."""
    if is_sqlite(context.engine):
        body = work(None)
    elif (read := await reads.read_ahead(context.read_engine(), certificate_id)) is not None:
        body = work(read)
    else:
        body = await run_in_threadpool(work, None)
    return JSONBytes(body)


class JSONBytes(Response):
    """`Response(body, status_code=status_code, media_type="application/json")` for JSON bytes already
    written: the same status, body and headers (`content-length`, then `content-type`, as
    `Response.init_headers` writes them for a status with a body and without headers given), set at once."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", str(len(body)).encode("latin-1")), _JSON_TYPE]


_JSON_TYPE = (b"content-type", b"application/json")


def model_json(model: BaseModel, *, exclude_none: bool = False) -> bytes:
    """The JSON FastAPI writes for a `response_model` (by alias; `response_model_exclude_none` as given)."""
    return model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_none=exclude_none)
