"""A supply chain as a download: JSON, CSV, Graphviz DOT, SVG or a signed evidence bundle.

The one place that loads a chain for export (the reader's access is checked by `chain.load_for`), renders it
in the asked format and names the file; the HTTP route and the console page both call `export_chain`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from ecolabel_registry.context import RegistryContext
from ecolabel_registry.supply import audit as audits
from ecolabel_registry.supply import auth, bundle, chain, exports, svg
from ecolabel_registry.supply.answers import SupplyChain
from ecolabel_registry.supply.risk import LowRiskPolicy


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    DOT = "dot"
    SVG = "svg"
    BUNDLE = "bundle"


MEDIA_TYPES = {
    ExportFormat.JSON: ("application/json", "json"),
    ExportFormat.CSV: ("text/csv; charset=utf-8", "csv"),
    ExportFormat.DOT: ("text/vnd.graphviz; charset=utf-8", "dot"),
    ExportFormat.SVG: ("image/svg+xml", "svg"),
    ExportFormat.BUNDLE: ("application/zip", "zip"),
}


_RENDERERS: dict[ExportFormat, Callable[[SupplyChain], bytes]] = {
    ExportFormat.JSON: exports.to_json,
    ExportFormat.CSV: lambda answer: exports.to_csv(answer).encode(),
    ExportFormat.DOT: lambda answer: exports.to_dot(answer).encode(),
    ExportFormat.SVG: lambda answer: svg.to_svg(answer).encode(),
}


@dataclass(frozen=True)
class Export:
    content: bytes
    media_type: str
    filename: str


def export_chain(
    connection: Connection,
    context: RegistryContext,
    principal: auth.Principal,
    organisation_id: str,
    export_format: ExportFormat,
    *,
    at_us: int,
    depth: int,
    now_us: int,
) -> Export:
    """The chain of `organisation_id` as read by `principal` (NotFound/Forbidden otherwise), in one snapshot."""
    data = chain.load_for(connection, principal, organisation_id, at_us=at_us, depth=depth, now_us=now_us)
    answer = chain.answer(data)
    if export_format is ExportFormat.BUNDLE:
        report = audits.report(data, LowRiskPolicy.from_settings(context.settings), None)
        content = bundle.evidence_bundle(
            connection, context.signing_key, context.note_signer, chain=answer, audit=report, generated_us=now_us
        )
    else:
        content = _RENDERERS[export_format](answer)
    media_type, extension = MEDIA_TYPES[export_format]
    return Export(content, media_type, f"supply-chain-{organisation_id}.{extension}")
