"""A chain as JSON, CSV (one row per link) and Graphviz DOT, coloured by certification status on the date.

Every format marks a supplier the chain reaches only through links it has not confirmed (its upstream is
withheld, see `chain`): the CSV's `supplier_upstream_withheld` column, a dashed box saying "not
confirmed" in DOT and SVG.

DOT is text only: render it with Graphviz (`dot -Tsvg`) where that is installed. The registry itself
never runs Graphviz: its SVG export is drawn by `supply.svg` in pure Python, so no system package is
needed to serve it.
"""

from __future__ import annotations

import csv
import io

import orjson

from ecolabel_registry.supply.answers import ChainLink, ChainNode, SupplyChain
from ecolabel_registry.supply.certification import Certification
from ecolabel_registry.supply.outputs import LinkState
from verification.spreadsheet import spreadsheet_row

# fill, border: green, red and grey, the conventional traffic-light reading of a compliance map.
COLOURS: dict[Certification, tuple[str, str]] = {
    Certification.CERTIFIED: ("#c8e6c9", "#2e7d32"),
    Certification.NOT_CERTIFIED: ("#ffcdd2", "#c62828"),
    Certification.UNKNOWN: ("#eeeeee", "#757575"),
}
EDGE_STYLES: dict[LinkState, str] = {
    LinkState.CONFIRMED: "solid",
    LinkState.DECLARED: "dashed",
    LinkState.DISPUTED: "dotted",
}
CSV_COLUMNS = (
    "link_id",
    "tier",
    "supplier_id",
    "supplier_name",
    "supplier_country",
    "supplier_identifiers",
    "supplier_certification",
    "supplier_certificates",
    "supplier_upstream_withheld",
    "buyer_id",
    "buyer_name",
    "gtin",
    "product_name",
    "material",
    "share",
    "volume",
    "unit",
    "valid_from",
    "valid_to",
    "state",
    "coverage",
    "product_certificates",
)


def display_name(names: dict[str, str]) -> str:
    """English if given, otherwise the name under the first language tag."""
    return names.get("en") or names[min(names)]


def to_json(chain: SupplyChain) -> bytes:
    return orjson.dumps(chain.model_dump(mode="json"), option=orjson.OPT_INDENT_2)  # same data as the endpoint


def to_csv(chain: SupplyChain) -> str:
    nodes = {node.organisation_id: node for node in chain.nodes}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(CSV_COLUMNS)
    for link in chain.links:
        # Names and materials come from the organisations themselves: no cell may run as a formula.
        writer.writerow(spreadsheet_row(_row(link, nodes)))
    return out.getvalue()


def _row(link: ChainLink, nodes: dict[str, ChainNode]) -> list[object]:
    supplier, buyer = nodes[link.supplier_id], nodes[link.buyer_id]
    return [
        link.id,
        link.tier,
        supplier.organisation_id,
        display_name(supplier.names),
        supplier.country,
        ";".join(f"{i.scheme}:{i.value}" for i in supplier.identifiers),
        supplier.certification.value,
        ";".join(f"{c.programme_id}:{c.licence_number}:{c.status.value}" for c in supplier.certificates),
        "true" if supplier.upstream_withheld else "false",
        buyer.organisation_id,
        display_name(buyer.names),
        link.product.gtin if link.product else "",
        (link.product.name or "") if link.product else "",
        link.material or "",
        "" if link.share is None else link.share,
        "" if link.volume is None else link.volume,
        link.unit or "",
        link.valid_from,
        link.valid_to or "",
        link.state.value,
        link.coverage.value,
        ";".join(f"{c.programme_id}:{c.licence_number}:{c.status.value}" for c in link.product_certificates),
    ]


def link_subject(link: ChainLink) -> str:
    """What a link supplies, in a few words: the material, or the product's name (its GTIN if unnamed)."""
    if link.material is not None:
        return link.material
    if link.product is not None:
        return link.product.name or link.product.gtin
    return ""


def dot_string(text: str) -> str:
    """A DOT quoted string (Graphviz "lang": only the double quote needs escaping; we also keep
    backslashes literal and turn line breaks into centred-line escapes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


WITHHELD_NOTE = "not confirmed by the supplier: its own suppliers are not shown"


def node_status(node: ChainNode) -> str:
    """The second line of a node's box: where it sits and what is known of it (short enough for a box)."""
    known = "not confirmed" if node.upstream_withheld else node.certification.value
    return f"{node.country} · tier {node.tier} · {known}"


def to_dot(chain: SupplyChain) -> str:
    lines = [
        "digraph supply_chain {",
        "  graph [rankdir=LR, fontname=Helvetica, labelloc=t, label="
        + dot_string(
            f"Upstream supply chain of {chain.organisation_id} as of {chain.as_of}\n"
            "green: certified, red: not certified, grey: unknown; "
            "solid: confirmed, dashed: declared, dotted: disputed; "
            f"dashed box: {WITHHELD_NOTE}"
        )
        + "];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica];',
        "  edge [fontname=Helvetica, fontsize=10];",
    ]
    for node in chain.nodes:
        fill, border = COLOURS[node.certification]
        label = f"{display_name(node.names)}\n{node_status(node)}"
        width = ", penwidth=3" if node.tier == 0 else ""
        style = ', style="rounded,filled,dashed"' if node.upstream_withheld else ""
        lines.append(
            f"  {dot_string(node.organisation_id)} [label={dot_string(label)}, "
            f'fillcolor="{fill}", color="{border}"{width}{style}];'
        )
    for link in chain.links:
        _, colour = COLOURS[link.coverage]
        what = link_subject(link)
        lines.append(
            f"  {dot_string(link.supplier_id)} -> {dot_string(link.buyer_id)} "
            f'[label={dot_string(what)}, style={EDGE_STYLES[link.state]}, color="{colour}", '
            f"tooltip={dot_string(link.id)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
