"""JSON request bodies are parsed strictly, by the same parser the offline verifier uses.

FastAPI's default `json.loads` accepts duplicate keys (last one wins), NaN and unbounded nesting; a
signed-document registry must not, because two parsers that disagree about a document's meaning are
how signature-wrapping attacks start. `StrictJSONRoute` checks the media type (415), parses with
`verification.strictjson.loads_strict` (400 with a precise code) and hands the result to FastAPI.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Coroutine, Iterable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi._compat import ModelField, Undefined, field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _is_json_field,
    _should_embed_body_fields,
    _validate_value_with_model_field,
    request_params_to_args,
)
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, _effective_route_context_var, _get_scope_effective_route_context
from starlette._utils import get_route_path
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from ecolabel_registry import collector
from ecolabel_registry.errors import BadRequest, MalformedJSON, UnsupportedMediaType
from verification.errors import MalformedInput
from verification.strictjson import loads_strict

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class StrictJSONRequest(Request):
    async def body(self) -> bytes:
        """`Request.body`, reading the same messages in a plain loop, without `Request.stream`'s async
        generator around them (a request's body is one message, almost always)."""
        if hasattr(self, "_body"):
            return self._body
        if self._stream_consumed:
            raise RuntimeError("Stream consumed")
        chunks: list[bytes] = []
        while not self._stream_consumed:
            message = await self._receive()
            if message["type"] == "http.request":
                if not message.get("more_body", False):
                    self._stream_consumed = True
                if chunk := message.get("body", b""):
                    chunks.append(chunk)
            elif message["type"] == "http.disconnect":
                self._is_disconnected = True
                raise ClientDisconnect()
        self._body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_strict_json"):
            limits = self.app.state["json_limits"]  # by key: no failed attribute lookup first (`State`)
            body = await self.body()
            try:
                self._strict_json = loads_strict(body, max_bytes=limits.max_bytes, max_depth=limits.max_depth)
            except MalformedInput as exc:
                raise MalformedJSON(exc.detail, code=exc.code) from exc
            if not _strings_surely_fine(body, limits.max_string_chars):
                _check_strings(self._strict_json, limits.max_string_chars)
        return self._strict_json


_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


def _template_pattern(path: str) -> re.Pattern[str]:
    """`/v1/certificates/{certificate_id}` as a regular expression: each parameter is one path segment."""
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")


def allowed_methods(request: Request) -> str:
    """The methods the published contract lists for this path, for the `Allow` header of a 405.

    Starlette names only the first route whose path matched; a path served by two routes (GET and POST
    on `/v1/certificates`) would then advertise one method of the two (RFC 9110 §10.2.1). The OpenAPI
    document is the one list of every route, so the answer is read from it (and cached on the app).
    """
    index: list[tuple[re.Pattern[str], list[str]]] | None = getattr(request.app.state, "allow_index", None)
    if index is None:
        index = [
            (_template_pattern(path), [method.upper() for method in item if method.upper() in _HTTP_METHODS])
            for path, item in request.app.openapi().get("paths", {}).items()
        ]
        request.app.state.allow_index = index
    path = request.scope["path"]
    matched = [(pattern, methods) for pattern, methods in index if pattern.match(path)]
    # A literal path outranks a template that also matches it: `/v1/certificates/batch` is POST only,
    # although `/v1/certificates/{certificate_id}` (GET) matches its text too.
    literal = [methods for pattern, methods in matched if "[^/]+" not in pattern.pattern]
    chosen = literal or [methods for _, methods in matched]
    return ", ".join(sorted({method for methods in chosen for method in methods}))


def _strings_surely_fine(body: bytes, max_chars: int) -> bool:
    """True when the raw text shows that `_check_strings` would find nothing, without a walk.

    In a body with no escaped quote every `"` delimits a string token, so each string's raw bytes are
    one segment between quotes, and a string has at most as many characters as its raw bytes. U+0000
    can only be written `\\u0000` (JSON refuses raw control characters). Any doubt: walk the tree.
    """
    if b"\\" in body and (b"\\u0000" in body or b'\\"' in body):  # most bodies escape nothing: one memchr
        return False
    # Without splitting the body (~5 ms for a 10,000-line catalogue): when every whole block of
    # `max_chars // 2` bytes holds a quote, no run of bytes between quotes is as long as two blocks (such a
    # run would hold a whole block), so none is longer than `max_chars`. Otherwise, the exact measure.
    block = max(max_chars // 2, 1)
    find = body.find
    if all(find(b'"', start, start + block) >= 0 for start in range(0, len(body) - block + 1, block)):
        return True
    return max(map(len, body.split(b'"'))) <= max_chars


def _check_strings(document: Any, max_chars: int) -> None:
    """Refuse any string value or object key longer than `max_chars` or holding U+0000.

    NUL is valid JSON (`"\\u0000"`) but no registry field needs it, and PostgreSQL text cannot store it:
    refused here, it is a 400 on every backend instead of a 500 on one.
    """
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            strings: list[str] = [value]
        elif isinstance(value, dict):
            strings = list(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            strings = []
            pending.extend(value)
        else:
            continue
        if any(len(text) > max_chars for text in strings):
            raise MalformedJSON(
                f"a string in the body is longer than {max_chars} characters",
                code="STRING_TOO_LONG",
                max_string_chars=max_chars,
            )
        if any("\x00" in text for text in strings):
            raise MalformedJSON("a string in the body contains U+0000", code="NUL_CHARACTER")


def request_content_type(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """`request.headers.get("content-type", "")` read from the request's raw header pairs (the first one
    named so; an ASGI server gives names in lower case), without building a `Headers` for one look-up."""
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1")
    return ""


def _is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class StrictJSONRoute(APIRoute):
    pauses_collector = False  # see `CatalogueJSONRoute`

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # The paths its regular expression matches when the path is literal: itself, and itself with a
        # final newline (`$` matches before one); None with a parameter. `_prefix`: the literal text
        # before the first parameter, which every path it matches starts with.
        self._literal = None if self.param_convertors else (self.path, self.path + "\n")
        self._prefix = self.path.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """`APIRoute.matches`, without the regular expression and FastAPI's wrapping where the path alone
        decides: another path is told at once that it is not this literal one, or does not start with
        this route's literal prefix, and this literal path gets the child scope `APIRoute.matches` gives
        it (no path parameter of its own). The routes tried before a TRQP answer, and its own match,
        cost it ~2% of its instructions each way (BENCHMARKS.md). A route served through an included
        router (another path than its own) is matched as before."""
        if scope["type"] == "http" and _get_scope_effective_route_context(scope) is None:
            path, literal = get_route_path(scope), self._literal
            if literal is None:
                if not path.startswith(self._prefix):
                    return Match.NONE, {}
            elif path not in literal:
                return Match.NONE, {}
            else:
                child = {"endpoint": self.endpoint, "path_params": dict(scope.get("path_params", {})), "route": self}
                methods = self.methods
                return (Match.PARTIAL if methods and scope["method"] not in methods else Match.FULL), child
        return super().matches(scope)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()
        expects_body = self.body_field is not None
        pause = self.pauses_collector

        async def handler(request: Request) -> Response:
            strict = StrictJSONRequest(request.scope, request.receive)
            _refuse_nul(request)
            if expects_body and request.method in _BODY_METHODS:
                _require_json(request)
                if pause:
                    await strict.body()  # the whole body first: a slow upload does not hold the pause
                    with collector.paused():
                        await strict.json()
                        return await original(strict)
                await strict.json()  # parse now, so that errors are ours and not FastAPI's generic 400
            return await original(strict)

        return handler


def _refuse_nul(request: Request) -> None:
    if "\x00" in request.scope["path"] or "%00" in request.scope["query_string"].decode("latin-1"):
        # Same reason as in bodies: no parameter needs NUL, and PostgreSQL would fail on it.
        raise BadRequest("the path or query contains U+0000", code="NUL_CHARACTER")


def _require_json(request: Request) -> None:
    content_type = request_content_type(request.scope["headers"])
    if content_type != "application/json" and not _is_json_media_type(content_type):
        raise UnsupportedMediaType(f"expected Content-Type application/json, got {content_type or 'none'}")


class CatalogueJSONRoute(StrictJSONRoute):
    """A route whose body is a whole catalogue: parsed, validated, judged and encoded with the cyclic
    collector paused (`ecolabel_registry.collector` says why). With it on, parsing and validating
    10,000 lines cost three times as much (22 -> 70 ms; BENCHMARKS.md)."""

    pauses_collector = True


class DirectJSONRoute(StrictJSONRoute):
    """A strict route whose endpoint is awaited directly with its validated parameters.

    For an `async def` endpoint that takes query parameters, at most one JSON body and the `Request`,
    and depends on nothing, FastAPI's request handler (content-type sniffing with the `email` package,
    the dependency solver, its exit stacks) cost about a sixth of a recognition answer's CPU
    (BENCHMARKS.md, changelog "recognition answers: the request"). Here the fields FastAPI built for
    the route validate the parameters as its solver does: the query as `request_params_to_args` does
    (`_query_reader`), the body with its one field at `loc=("body",)`, so the values, the errors and
    their order are the same, and the OpenAPI document, built from the same route, is unchanged. A
    route this does not describe (a dependency, a path parameter, a plain `def`) is served by
    `StrictJSONRoute`, as before.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        handler = self.get_route_handler()
        if getattr(handler, "direct", False) and self.max_body_size is None:
            self.app = answering(handler)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # The route as served: an included router may add dependencies to the route it copies.
        context = _effective_route_context_var.get()
        served = context.dependant if context is not None and context.original_route is self else None
        dependant = served or self.dependant
        call, request_name = dependant.call, dependant.request_param_name
        if not _direct(dependant) or call is None or request_name is None or not inspect.iscoroutinefunction(call):
            return super().get_route_handler()
        query = _query_reader(dependant.query_params) if dependant.query_params else None
        body = dependant.body_params[0] if dependant.body_params else None
        invalid = self.invalid

        async def handler(request: Request) -> Response:
            # `answering` gives the strict request itself; FastAPI's wrapping (an included router) a plain one.
            strict = (
                request if type(request) is StrictJSONRequest else StrictJSONRequest(request.scope, request.receive)
            )
            _refuse_nul(request)
            values, errors = query(request.scope["query_string"]) if query is not None else ({}, [])
            if body is not None and request.method in _BODY_METHODS:
                _require_json(request)
                value, body_errors = body.validate(await strict.json(), {}, loc=("body",))
                values[body.name] = value
                errors += body_errors
            if errors:
                raise invalid(RequestValidationError(errors))
            values[request_name] = strict
            response: Response = await call(**values)
            return response

        handler.direct = True  # type: ignore[attr-defined]  # see `TRQPRoute`
        return handler

    def invalid(self, error: RequestValidationError) -> Exception:
        """What the direct handler raises for parameters that do not validate (a route class may say 400)."""
        return error


def answering(handler: Callable[[Request], Coroutine[Any, Any, Response]]) -> ASGIApp:
    """The ASGI app of a route whose handler is direct: the handler's response, sent.

    FastAPI wraps every handler (`fastapi.routing.request_response`) in two `AsyncExitStack`s, for
    dependencies with `yield` and uploaded files, and in a second copy of the exception handling that
    `ExceptionMiddleware` already gives the whole application. A direct handler has no dependency and
    reads no form, and an exception it raises reaches `ExceptionMiddleware`, which answers it with the
    same handlers on the same scope, so the answer is the same; ~4% of a single submission's
    instructions on the event loop (BENCHMARKS.md). Routes of included routers keep FastAPI's wrapping:
    an included router builds its own app for each route it copies.
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await handler(StrictJSONRequest(scope, receive, send))  # the one request object it reads
        await response(scope, receive, send)

    return app


def _direct(dependant: Dependant) -> bool:
    """True for an endpoint `DirectJSONRoute` can call itself: query parameters, at most one body (not
    embedded), and nothing else for FastAPI to provide but the `Request`."""
    return (
        not dependant.dependencies
        and not dependant.path_params
        and not dependant.header_params
        and not dependant.cookie_params
        and len(dependant.body_params) <= 1
        and not (dependant.body_params and _should_embed_body_fields(dependant.body_params))
        and dependant.websocket_param_name is None
        and dependant.http_connection_param_name is None
        and dependant.response_param_name is None
        and dependant.background_tasks_param_name is None
        and dependant.security_scopes_param_name is None
    )


def _query_reader(fields: list[ModelField]) -> Callable[[bytes], tuple[dict[str, Any], list[Any]]]:
    """`request_params_to_args` over the query string as Starlette's `QueryParams` parses it, for these
    fields, with what it works out per field per request worked out once: the request keys, whether the
    field is a sequence, and, for an optional parameter whose default is None and is not validated, that
    an absent parameter is None (FastAPI copies and returns that default without validating it). For the
    nine parameters of `/v1/equivalence`, seven of them absent in a usual question, that and the parse
    were a fifth of the answer's CPU. A field of a kind it does not spell out (a parameter model, a JSON
    field) leaves the whole query to `request_params_to_args`."""
    if any(_get_param_model(field) is not None or _is_json_field(field) for field in fields):
        return lambda raw: request_params_to_args(fields, QueryParams(raw))
    plan = [
        (
            field,
            [key for _, key in _get_param_aliases(field)],
            field_annotation_is_sequence(field.field_info.annotation),
            _absent_is_none(field),
        )
        for field in fields
    ]

    def read(raw: bytes) -> tuple[dict[str, Any], list[Any]]:
        received = query_lists(raw)
        values: dict[str, Any] = {}
        errors: list[Any] = []
        for field, keys, sequence, absent_is_none in plan:
            key = keys[0] if len(keys) == 1 else next((key for key in keys if key in received), keys[0])
            listed = received.get(key)
            if listed is None:
                if absent_is_none:
                    values[field.name] = None
                    continue
                value: Any = Undefined  # defaults are applied by the validation, as FastAPI does
            else:  # a single value is the last one given, as `QueryParams.get` reads it
                value = listed if sequence else listed[-1]
            found, found_errors = _validate_value_with_model_field(
                field=field, value=value, values=values, loc=("query", key)
            )
            if found_errors:
                errors.extend(found_errors)
            else:
                values[field.name] = found
        return values, errors

    return read


def _absent_is_none(field: ModelField) -> bool:
    """True when FastAPI gives an absent parameter of this field None: optional, its default None (its
    copy is None), no default factory, and the default not validated."""
    info = field.field_info
    return (
        not info.is_required() and info.default is None and info.default_factory is None and not info.validate_default
    )


def query_lists(raw: bytes) -> dict[str, list[str]]:
    """The query string's values by name, in order: the pairs `QueryParams(raw)` holds (`parse_qsl` of
    its Latin-1 text, blank values kept), without building the multidict."""
    found: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        listed = found.get(name)
        if listed is None:
            found[name] = [value]
        else:
            listed.append(value)
    return found
