"""The map of who recognises whom: programmes on a circle, an arrow from each recognising programme to
the programme whose labels it accepts, solid when an agreement in force says so, dashed otherwise.

Only geometry is computed here; `templates/agreement_map.html` draws it as inline SVG (no script, no
library) and the page repeats every arrow in a table, so the map is never the only way to read it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ecolabel_registry.agreements.schemas import AgreementOut
from ecolabel_registry.console import text_fit
from verification.agreements import Standing

NODE_RADIUS = 46
LABEL_PX = 11  # `.map-node text` in console.css
LABEL_LINE = 13
# The label's lines sit around the centre; the widest chord they may use, with a little air each side.
LABEL_WIDTH = 2 * NODE_RADIUS - 14
_MARGIN = 70


@dataclass(frozen=True)
class Node:
    programme: str
    x: float
    y: float

    @property
    def label_lines(self) -> list[tuple[str, float]]:
        """The programme's slug, whole (wrapped after a hyphen when too wide), each line with its baseline."""
        lines = text_fit.wrap(self.programme, LABEL_WIDTH, LABEL_PX, max_lines=2, bold=True)
        first = self.y + 4 - (len(lines) - 1) * LABEL_LINE / 2
        return [(line, round(first + index * LABEL_LINE, 1)) for index, line in enumerate(lines)]


@dataclass(frozen=True)
class Arrow:
    recognizer: str
    recognized: str
    in_force: bool
    both_ways: bool  # drawn once with a head at each end
    agreements: tuple[AgreementOut, ...]
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class RecognitionMap:
    size: int
    nodes: list[Node]
    arrows: list[Arrow]
    # recognizer -> recognized -> agreements, for the table that says the same as the picture
    matrix: dict[str, dict[str, list[AgreementOut]]]

    @property
    def programmes(self) -> list[str]:
        return [node.programme for node in self.nodes]


def build(agreements: list[AgreementOut]) -> RecognitionMap:
    pairs: dict[tuple[str, str], list[AgreementOut]] = defaultdict(list)
    programmes: set[str] = set()
    for agreement in agreements:
        programmes.update(party.programme_id for party in agreement.parties)
        for recognition in agreement.recognitions:
            pairs[(recognition.recognizer, recognition.recognized)].append(agreement)
    ordered = sorted(programmes)
    radius = 90 + 22 * len(ordered)
    size = 2 * (radius + _MARGIN)
    nodes = [_on_circle(programme, index, len(ordered), radius, size / 2) for index, programme in enumerate(ordered)]
    where = {node.programme: node for node in nodes}
    arrows = []
    for (a, b), found in sorted(pairs.items()):
        in_force = any(agreement.standing is Standing.IN_FORCE for agreement in found)
        reverse = pairs.get((b, a))
        both = reverse is not None and any(r.standing is Standing.IN_FORCE for r in reverse) == in_force
        if both and a > b:
            continue  # drawn already, from the other end
        # Two one-way arrows between the same pair are pushed apart so that both stay visible.
        shift = 0.0 if both or reverse is None else 5.0
        arrows.append(_arrow(where[a], where[b], in_force=in_force, both=both, found=tuple(found), shift=shift))
    matrix: dict[str, dict[str, list[AgreementOut]]] = {p: {} for p in ordered}
    for (a, b), found in pairs.items():
        matrix[a][b] = found
    return RecognitionMap(int(size), nodes, arrows, matrix)


def _on_circle(programme: str, index: int, count: int, radius: float, centre: float) -> Node:
    angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)  # the first programme at the top
    return Node(programme, round(centre + radius * math.cos(angle), 1), round(centre + radius * math.sin(angle), 1))


def _arrow(
    start: Node, end: Node, *, in_force: bool, both: bool, found: tuple[AgreementOut, ...], shift: float
) -> Arrow:
    dx, dy = end.x - start.x, end.y - start.y
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    px, py = -uy * shift, ux * shift  # perpendicular offset
    gap = NODE_RADIUS + 4  # stop at the circle's edge, so the head stays visible
    return Arrow(
        recognizer=start.programme,
        recognized=end.programme,
        in_force=in_force,
        both_ways=both,
        agreements=found,
        x1=round(start.x + ux * gap + px, 1),
        y1=round(start.y + uy * gap + py, 1),
        x2=round(end.x - ux * gap + px, 1),
        y2=round(end.y - uy * gap + py, 1),
    )
