"""The recognition question asked in Trust Registry Query Protocol v2 terms (mapping: docs/TRQP.md).

* `authority_id` — the recognising programme (`jea` or `urn:ecolabel:programme:jea`);
* `entity_id` — the recognised programme, or a certificate id (hex, or `urn:ecolabel:certificate:<hex>`);
* `resource` — the category the entity would be accepted as: the authority's category code (`No.118`)
  or `<authority>:<code>`;
* `action` — `recognize` or `accept-as-equivalent` (the same question);
* `context.time` — the instant asked about (default: now); `context.category` and
  `context.criteria_version` narrow a programme entity to one of its categories and versions.

Queries that cannot be asked (unknown authority, entity or action; a resource of another programme;
a malformed time) are errors, answered as RFC 9457 problem documents as the TRQP v2 HTTPS binding asks;
a well-formed query whose answer is "no" is a normal answer with `recognized` (or `authorized`) false.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from ecolabel_registry.clock import now_us
from ecolabel_registry.db.engine import read_snapshot
from ecolabel_registry.errors import BadRequest, NotFound
from ecolabel_registry.recognition import compiled, reads, service
from ecolabel_registry.recognition.explain import explain
from ecolabel_registry.recognition.trqp_schemas import TRQPRequest
from verification.evidence import CertificateEvidence
from verification.leaf import format_log_time, from_microseconds
from verification.payloads import programme_of_issuer
from verification.recognition import Presented, Resolution

ACTIONS = frozenset({"recognize", "accept-as-equivalent"})
_CERTIFICATE = re.compile(r"\A(?:urn:ecolabel:certificate:)?([0-9a-f]{64})\Z")
_SLUG = re.compile(r"\A[a-z0-9]+(-[a-z0-9]+)*\Z")
# TRQP v2 context.time: "RFC3339 required, using only Z (+00:00) offset".
_UTC_TIME = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)\Z")


class Evaluation(NamedTuple):
    """One answer's values (a tuple: made for every TRQP answer, where a frozen dataclass set each field
    through `object.__setattr__`)."""

    resolution: Resolution
    message: str
    time_requested: str | None
    time_evaluated: str
    judged_at: dict[str, Any]  # the checkpoint the answer was computed at
    evidence: dict[str, Any] | None  # for a certificate entity: what its standing was judged from
    agreement_heads: list[dict[str, Any]]


def evaluate(engine: Engine, query: TRQPRequest, *, max_depth: int, read: reads.Read | None = None) -> Evaluation:
    """The answer to `query` as of the log now, naming the checkpoint it was computed at.

    The entity is matched once here (`certificate_of`), and what it names is handed on, so the certificate
    read and judged is always the query's own. A programme entity needs nothing but the graph, so only the
    checkpoint is read (`compiled.current`). A certificate entity is read with the checkpoint in one snapshot
    (`service.read_certificate`): one statement outside a transaction, its status events included. `read`:
    that one statement's read, made ahead for the entity `certificate_of` names (`recognition.reads`)."""
    # "Now" in the microseconds the registry stores: the standing, the explanation and `time_evaluated`
    # take them as they are, where each converted the datetime back (`to_microseconds`, ~3,400 instructions).
    evaluated_us = now_us()
    evaluated = from_microseconds(evaluated_us), evaluated_us
    certificate_id = certificate_of(query.entity_id)
    if read is not None:
        _, graph, judged_at = read
        source = reads.certificate(read)
        return _evaluate(source, graph, judged_at, query, certificate_id, evaluated=evaluated, max_depth=max_depth)
    if certificate_id is None:
        graph, judged_at = compiled.current(engine)
        return _evaluate(None, graph, judged_at, query, None, evaluated=evaluated, max_depth=max_depth)
    found = service.read_certificate(engine, certificate_id)
    if found is not None:  # the certificate, the graph and the checkpoint of one snapshot
        return _evaluate(
            found, found.graph, found.judged_at, query, certificate_id, evaluated=evaluated, max_depth=max_depth
        )
    with read_snapshot(engine) as connection:  # an unknown certificate: reported after the authority
        graph, judged_at = compiled.at_checkpoint(connection)
        return _evaluate(connection, graph, judged_at, query, certificate_id, evaluated=evaluated, max_depth=max_depth)


def certificate_of(entity_id: str) -> str | None:
    """The certificate an entity names (its hex id), or None: a programme, or nothing known."""
    certificate = _CERTIFICATE.match(entity_id)
    return None if certificate is None else certificate.group(1)


def _evaluate(
    source: Connection | service.CertificateRead | None,
    graph: compiled.Compiled,
    judged_at: dict[str, Any],
    query: TRQPRequest,
    certificate_id: str | None,
    *,
    evaluated: tuple[datetime, int],
    max_depth: int,
) -> Evaluation:
    authority = _programme(query.authority_id)
    if authority is None or not graph.has_programme(authority):
        raise NotFound(f"authority {query.authority_id!r} is not a registered programme", code="UNKNOWN_AUTHORITY")
    if query.action not in ACTIONS:
        known = ", ".join(sorted(ACTIONS))
        raise NotFound(f"action {query.action!r} is not defined here; use one of {known}", code="UNKNOWN_ACTION")
    category = _category(query.resource, authority)
    context = query.context or {}
    requested = context.get("time")
    at, at_us = (_time(requested), None) if requested is not None else evaluated
    presented, evidence = _entity(source, graph, query.entity_id, certificate_id, context, at=at, at_us=at_us)
    target = service.Requirement(frozenset({(authority, category)}))
    resolution = service.answer(graph, presented, target, at=at, known_at_us=None, max_depth=max_depth)
    # By position, in the fields' order, without the named tuple's own `__new__` (a Python function).
    return _tuple(
        Evaluation,
        (
            resolution,
            explain(presented, target.labels, resolution, at, at_us=at_us),
            requested,
            format_log_time(evaluated[1]),
            judged_at,
            evidence.to_api() if evidence is not None else None,
            service.agreement_heads(graph, resolution),
        ),
    )


_tuple = tuple.__new__


def _programme(identifier: str) -> str | None:
    slug = programme_of_issuer(identifier) if identifier.startswith("urn:") else identifier
    return slug if slug is not None and _SLUG.match(slug) and len(slug) <= 64 else None


def _category(resource: str, authority: str) -> str:
    # Programme slugs hold no ':', so the first one separates the programme from the code.
    owner, separator, code = resource.partition(":") if ":" in resource else ("", "", resource)
    if separator and owner != authority:
        raise BadRequest(
            f"resource {resource!r} must be a category of the authority {authority}: 'code' or '{authority}:code'",
            code="RESOURCE_NOT_OF_AUTHORITY",
        )
    if not code or len(code) > 64:
        raise BadRequest("resource must name a category code of 1 to 64 characters", code="BAD_RESOURCE")
    return code


def _time(text: str) -> datetime:
    if not _UTC_TIME.match(text):
        raise BadRequest("context.time must be RFC 3339 in UTC, e.g. 2025-06-19T10:00:00Z", code="BAD_TIME")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _entity(
    source: Connection | service.CertificateRead | None,
    graph: compiled.Compiled,
    entity_id: str,
    certificate_id: str | None,
    context: dict[str, str],
    *,
    at: datetime,
    at_us: int | None,
) -> tuple[Presented, CertificateEvidence | None]:
    if isinstance(source, service.CertificateRead):
        return service.judged_read(source, at=at, known_at_us=None, at_us=at_us)
    if certificate_id is not None and source is not None:
        return service.judged_certificate(source, certificate_id, at=at, known_at_us=None)
    programme = _programme(entity_id)
    if programme is None or not graph.has_programme(programme):
        raise NotFound(f"entity {entity_id!r} is neither a programme nor a certificate here", code="UNKNOWN_ENTITY")
    subject = service.category_subject(graph, programme, context.get("category"), context.get("criteria_version"))
    return subject, None
