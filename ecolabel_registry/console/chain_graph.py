"""Layout of a supply chain for the console: one column per tier, suppliers left of their buyers.

The same reading as the registry's SVG export (`supply.svg`), drawn by a template instead so that its
labels are in the reader's language and each box is a link to that organisation's row in the table
beside it (keyboard-reachable, and never the only place a fact is shown). Colour repeats the status,
which every box also states in words. Names are measured (`text_fit`), wrapped on two lines and only
then shortened with "…", so that neither a long Latin name nor a Chinese one crosses its box.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ecolabel_registry.console import text_fit
from ecolabel_registry.supply.answers import ChainLink, ChainNode, SupplyChain

NODE_W, NODE_H = 190, 74
COLUMN_GAP, ROW_GAP, MARGIN, HEADER = 60, 20, 20, 34
PADDING = 12  # inside a box, left and right of its text
FONT_PX = 13  # `svg text` in console.css
NAME_LINES = 2
TEXT_WIDTH = NODE_W - 2 * PADDING


@dataclass(frozen=True)
class Box:
    node: ChainNode
    name_lines: list[str]
    x: int
    y: int


@dataclass(frozen=True)
class Edge:
    link: ChainLink
    path: str  # SVG path data
    curved: bool


@dataclass(frozen=True)
class Column:
    tier: int
    x: int


@dataclass(frozen=True)
class ChainGraph:
    width: int
    height: int
    boxes: list[Box]
    edges: list[Edge]
    columns: list[Column]


def name_lines(name: str) -> list[str]:
    """A box's name (bold) in at most two lines that fit inside it."""
    return text_fit.wrap(name, TEXT_WIDTH, FONT_PX, max_lines=NAME_LINES, bold=True)


def fit_line(text: str) -> str:
    """One line of plain text that fits inside a box (the status line)."""
    return text_fit.ellipsize(text, TEXT_WIDTH - 1.4 * FONT_PX, FONT_PX)  # after the ✓/✗/? mark and a space


def layout(chain: SupplyChain, name_of: dict[str, str]) -> ChainGraph:
    tiers: dict[int, list[ChainNode]] = defaultdict(list)
    for node in chain.nodes:
        tiers[node.tier].append(node)
    deepest = max(tiers) if tiers else 0
    boxes: dict[str, Box] = {}
    columns = []
    for tier, members in sorted(tiers.items()):
        x = MARGIN + (deepest - tier) * (NODE_W + COLUMN_GAP)
        columns.append(Column(tier, x))
        for row, node in enumerate(members):
            y = MARGIN + HEADER + row * (NODE_H + ROW_GAP)
            boxes[node.organisation_id] = Box(node, name_lines(name_of[node.organisation_id]), x, y)
    edges = [_edge(boxes[link.supplier_id], boxes[link.buyer_id], link) for link in chain.links]
    width = MARGIN * 2 + (deepest + 1) * NODE_W + deepest * COLUMN_GAP
    tallest = max((len(m) for m in tiers.values()), default=1)
    height = MARGIN * 2 + HEADER + tallest * (NODE_H + ROW_GAP) + 30  # room for curves under the last row
    return ChainGraph(width, height, list(boxes.values()), edges, columns)


def _edge(supplier: Box, buyer: Box, link: ChainLink) -> Edge:
    x1, y1 = supplier.x + NODE_W, supplier.y + NODE_H // 2
    x2, y2 = buyer.x, buyer.y + NODE_H // 2
    if x2 > x1:  # the usual case: the supplier's column is left of its buyer's
        middle = (x1 + x2) // 2
        return Edge(link, f"M {x1} {y1} C {middle} {y1} {middle} {y2} {x2 - 2} {y2}", curved=False)
    # Same tier, or back towards the suppliers (a cycle): bend below the boxes so it stays visible.
    x1, x2 = supplier.x + NODE_W // 2, buyer.x + NODE_W // 2
    y1, y2 = supplier.y + NODE_H, buyer.y + NODE_H
    bend = max(y1, y2) + 28
    return Edge(link, f"M {x1} {y1} C {x1} {bend} {x2} {bend} {x2} {y2 + 2}", curved=True)
