"""Length budgets for translators: how many characters fit a fixed box of a layout.

Measured, not guessed: the box width comes from the layout geometry and the type size from the
style, and the average character width is read from the font file itself (fontTools), over
ordinary English text.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cache

from fontTools.ttLib import TTFont

from .design import Design
from .errors import InputError
from .layouts import BROCHURE_PAPERS, FLAP_INSET_MM, PAPERS

MM_PER_PT = 25.4 / 72
SAMPLE = "the quick brown fox jumps over the lazy dog while five boxing wizards jump quickly"


@dataclass(frozen=True)
class TextBox:
    what: str
    font_pt: float
    bold: bool
    width_mm: float
    lines: int
    letter_spacing_em: float = 0.0


def _narrowest_panel_mm(margin_mm: float) -> float:
    """Inner width of the narrowest panel (the flap) on any paper."""
    widths = []
    for paper in (PAPERS[name] for name in BROCHURE_PAPERS):
        widths.append(paper.height_mm / 3 - FLAP_INSET_MM - 2 * margin_mm)
    return min(widths)


def _cover_mm(margin_mm: float) -> float:
    """Inner width of the front cover (a wide panel) on the narrowest paper."""
    widths = []
    for paper in (PAPERS[name] for name in BROCHURE_PAPERS):
        flap = paper.height_mm / 3 - FLAP_INSET_MM
        widths.append((paper.height_mm - flap) / 2 - 2 * margin_mm)
    return min(widths)


def tri_fold_boxes(design: Design) -> dict[str, TextBox]:
    """The tri-fold's fixed boxes at the design size, before any fitting: the body and heading
    sizes and the margins from styles/tokens.css, the cover's sizes from styles/tri-fold.css."""
    panel, cover = _narrowest_panel_mm(design.panel_side_mm), _cover_mm(design.panel_side_mm)
    body = design.body_pt["tri-fold"]
    return {
        "title": TextBox("front-cover title", 54, True, cover, 1, 0.04),
        "subtitle": TextBox("front-cover subtitle", 16, False, cover, 2),
        "tagline": TextBox("front-cover line about the treatment", 13, False, cover, 3),
        "promise": TextBox("front-cover label in a rounded box", 11, True, cover - 11, 1),
        "heading": TextBox("section heading", round(body * design.heading_rem, 1), True,
                           panel, 2),
        "items": TextBox("item of a two-column list", body, False, (panel - 4) / 2 - 3, 2),
    }


@cache
def _average_advance_em(bold: bool) -> float:
    pattern = "Noto Sans:bold" if bold else "Noto Sans:regular"
    try:
        path = subprocess.run(["fc-match", "--format=%{file}", pattern], capture_output=True,
                              text=True, check=True).stdout.strip()
        font = TTFont(path, fontNumber=0)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise InputError(f"cannot measure text budgets: Noto Sans is not available ({exc}); "
                         "run `make brochures` to install the fonts") from None
    cmap, metrics = font.getBestCmap(), font["hmtx"].metrics
    advances = [metrics[cmap[ord(char)]][0] for char in SAMPLE]
    return sum(advances) / len(advances) / font["head"].unitsPerEm


def characters_per_line(box: TextBox) -> int:
    advance_mm = (_average_advance_em(box.bold) + box.letter_spacing_em) * box.font_pt * MM_PER_PT
    return int(box.width_mm / advance_mm)


def budget_note(box: TextBox) -> str:
    per_line = characters_per_line(box)
    lines = "one line" if box.lines == 1 else f"{box.lines} lines"
    return (f"Length: {box.what}, at most ~{per_line} characters per line, {lines} "
            f"(measured for Latin letters at {box.font_pt:g} pt; CJK characters count double).")
