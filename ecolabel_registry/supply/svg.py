"""SVG of a chain, drawn in pure Python: one column per tier, suppliers left of their buyers.

Dependency-light on purpose: Graphviz would lay out large graphs better, but serving an export must
not need a system package. Nodes are coloured like the DOT export; a link between neighbouring tiers
is a straight arrow, any other (same tier, or back towards the suppliers: cycles) a curve, so that it
stays visible. Every text is XML-escaped, and each element carries a `<title>` with the ids.
"""

from __future__ import annotations

from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from ecolabel_registry.supply.answers import ChainLink, SupplyChain
from ecolabel_registry.supply.exports import (
    COLOURS,
    EDGE_STYLES,
    WITHHELD_NOTE,
    display_name,
    link_subject,
    node_status,
)

NODE_W, NODE_H = 220, 48
COLUMN_GAP, ROW_GAP, MARGIN = 90, 22, 30
LEGEND_H = 94
_DASHES = {"solid": "", "dashed": ' stroke-dasharray="7 4"', "dotted": ' stroke-dasharray="2 3"'}
_MAX_LABEL = 30


def _short(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def to_svg(chain: SupplyChain) -> str:
    columns: dict[int, list[str]] = defaultdict(list)
    for node in chain.nodes:
        columns[node.tier].append(node.organisation_id)
    deepest = max(columns)
    position: dict[str, tuple[int, int]] = {}
    for tier, members in columns.items():
        x = MARGIN + (deepest - tier) * (NODE_W + COLUMN_GAP)
        for row, organisation_id in enumerate(members):
            position[organisation_id] = (x, MARGIN + 30 + row * (NODE_H + ROW_GAP))
    width = MARGIN * 2 + (deepest + 1) * NODE_W + deepest * COLUMN_GAP
    height = MARGIN * 2 + 30 + max(len(m) for m in columns.values()) * (NODE_H + ROW_GAP) + LEGEND_H
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">'
        ),
        "<defs>",
        *(
            f'<marker id="arrow-{key}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
            f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
            for key, (_, colour) in COLOURS.items()
        ),
        "</defs>",
        (
            f'<text x="{MARGIN}" y="{MARGIN}" font-size="14" font-weight="bold">'
            f"{escape(f'Upstream supply chain as of {chain.as_of}')}</text>"
        ),
    ]
    for link in chain.links:
        parts.append(_edge(position[link.supplier_id], position[link.buyer_id], link))
    for node in chain.nodes:
        x, y = position[node.organisation_id]
        fill, border = COLOURS[node.certification]
        stroke = 3 if node.tier == 0 else 1.5
        dash = _DASHES["dashed"] if node.upstream_withheld else ""
        title = f"{node.organisation_id} ({WITHHELD_NOTE})" if node.upstream_withheld else node.organisation_id
        parts += [
            f"<g><title>{escape(title)}</title>",
            (
                f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="8" fill="{fill}" stroke="{border}" '
                f'stroke-width="{stroke}"{dash}/>'
            ),
            f'<text x="{x + 10}" y="{y + 19}" font-weight="bold">{escape(_short(display_name(node.names)))}</text>',
            f'<text x="{x + 10}" y="{y + 37}">{escape(node_status(node))}</text>',
            "</g>",
        ]
    parts += _legend(height - LEGEND_H + 10)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _edge(start: tuple[int, int], end: tuple[int, int], link: ChainLink) -> str:
    state = link.state
    _, colour = COLOURS[link.coverage]
    x1, y1 = start[0] + NODE_W, start[1] + NODE_H // 2
    x2, y2 = end[0], end[1] + NODE_H // 2
    dash = _DASHES[EDGE_STYLES[state]]
    if x2 > x1:  # supplier in a column to the left of its buyer: the usual case
        shape = f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"'
    else:  # same tier or a link back towards the suppliers (a cycle): bend it below the boxes
        x1, x2 = start[0] + NODE_W // 2, end[0] + NODE_W // 2
        y1, y2 = start[1] + NODE_H, end[1] + NODE_H
        bend = max(y1, y2) + 40
        shape = f'<path d="M {x1} {y1} C {x1} {bend} {x2} {bend} {x2} {y2}" fill="none"'
    title = escape(f"{link.id}: {link_subject(link)} ({state.value}, {link.coverage.value})")
    return (
        f'<g><title>{title}</title>{shape} stroke={quoteattr(colour)} stroke-width="1.5"{dash} '
        f'marker-end="url(#arrow-{link.coverage.value})"/></g>'
    )


def _legend(y: int) -> list[str]:
    parts = []
    x = MARGIN
    for certification, (fill, border) in COLOURS.items():
        parts.append(f'<rect x="{x}" y="{y}" width="16" height="16" rx="3" fill="{fill}" stroke="{border}"/>')
        parts.append(f'<text x="{x + 22}" y="{y + 13}">{escape(certification.value.replace("_", " "))}</text>')
        x += 140
    x = MARGIN
    for state, style in EDGE_STYLES.items():
        parts.append(
            f'<line x1="{x}" y1="{y + 38}" x2="{x + 40}" y2="{y + 38}" stroke="#424242" stroke-width="1.5"'
            f"{_DASHES[style]}/>"
        )
        parts.append(f'<text x="{x + 48}" y="{y + 42}">{escape(state.value)}</text>')
        x += 140
    x = MARGIN
    parts.append(
        f'<rect x="{x}" y="{y + 54}" width="40" height="16" rx="3" fill="none" stroke="#424242"{_DASHES["dashed"]}/>'
    )
    parts.append(f'<text x="{x + 48}" y="{y + 66}">{escape(WITHHELD_NOTE)}</text>')
    return parts
