"""Fitting labels into the console's SVG figures: an estimate of text width, and wrapping by it.

SVG text does not wrap, and the server cannot ask the browser how wide a string renders, so labels are
measured here with generous per-character widths: a wide or full-width character (Chinese, Japanese,
Korean; Unicode East Asian Width W or F) takes a full em, Latin letters about half of one. The estimate
errs on the wide side, so a label that fits here fits in the browser's font.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"
_NARROW = set("iljtfrI.,;:'!|()[] ")
_WIDE_LATIN = set("mwMW@%&")
_BOLD = 1.08
# A break is allowed after a space or a hyphen, and between any two wide characters.
_PIECES = re.compile(r"[^\s\-]*[\s\-]+|[^\s\-]+")


def char_em(character: str) -> float:
    if unicodedata.east_asian_width(character) in ("W", "F"):
        return 1.0
    if character in _NARROW:
        return 0.34
    if character in _WIDE_LATIN:
        return 0.92
    if character.isupper() or character.isdigit():
        return 0.68
    return 0.6


def text_width(text: str, font_px: float, *, bold: bool = False) -> float:
    """The width `text` needs at `font_px`, erring on the wide side."""
    return sum(char_em(c) for c in text) * font_px * (_BOLD if bold else 1.0)


def _pieces(text: str) -> list[str]:
    """Units that are not broken: words with their trailing space or hyphen, and single wide characters."""
    out: list[str] = []
    for piece in _PIECES.findall(text):
        run = ""
        for character in piece:
            if unicodedata.east_asian_width(character) in ("W", "F"):
                if run:
                    out.append(run)
                    run = ""
                out.append(character)
            else:
                run += character
        if run:
            out.append(run)
    return out


def ellipsize(text: str, width: float, font_px: float, *, bold: bool = False) -> str:
    if text_width(text, font_px, bold=bold) <= width:
        return text
    while text and text_width(text + ELLIPSIS, font_px, bold=bold) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def wrap(text: str, width: float, font_px: float, *, max_lines: int, bold: bool = False) -> list[str]:
    """`text` in at most `max_lines` lines no wider than `width`, the last ending in "…" if text was left."""
    lines: list[str] = []
    current = ""
    pieces = _pieces(text.strip())
    for position, piece in enumerate(pieces):
        candidate = current + piece
        if current and text_width(candidate.rstrip(), font_px, bold=bold) > width:
            if len(lines) + 1 == max_lines:
                rest = current + "".join(pieces[position:])
                return [*lines, ellipsize(rest, width, font_px, bold=bold)]
            lines.append(current.rstrip())
            current = piece
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    # A single piece wider than the line (a long word or identifier) is cut with an ellipsis.
    return [ellipsize(line, width, font_px, bold=bold) for line in lines]
