"""The booking URL as a vector QR code: one SVG path, crisp at any print size."""

from __future__ import annotations

from functools import lru_cache

import segno
from markupsafe import Markup, escape

QUIET_ZONE = 4  # modules of white around the code, as scanners expect
# The code's modules span at least this much in print: what a phone camera at arm's length
# needs to focus on and read.
PRINTED_CODE_MM = 25.0


def qr_svg(url: str, label: str, ink: str = "#000000") -> Markup:
    """`ink` is a validated colour: "#000000" on screen, device-cmyk black ink for the press
    (inline SVG does not take currentColor from a CSS variable in WeasyPrint 70)."""
    size, path = _modules(url)
    full = size + 2 * QUIET_ZONE
    return Markup(
        '<svg class="qr" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        'viewBox="-{q} -{q} {full} {full}" shape-rendering="crispEdges">'
        # The title is the code's alternative text in a tagged (screen) PDF.
        '<title>{label}</title><path fill="{ink}" d="{path}"/></svg>'
    ).format(label=escape(label), q=QUIET_ZONE, full=full, path=path, ink=ink)


def box_mm(url: str, code_mm: float = PRINTED_CODE_MM) -> float:
    """The printed size of the code with its quiet zone, for modules spanning `code_mm`."""
    size, _ = _modules(url)
    return round(code_mm * (size + 2 * QUIET_ZONE) / size, 1)


@lru_cache(maxsize=64)
def _modules(url: str) -> tuple[int, str]:
    """The code's size in modules and its dark modules as one path, a rectangle per run of a
    row. Encoding picks the best of eight masks, so it is done once per URL, not per PDF."""
    code = segno.make(url, error="m", micro=False)
    size = code.symbol_size(scale=1, border=0)[0]
    commands = []
    for y, row in enumerate(code.matrix_iter(scale=1, border=0)):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                commands.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return size, "".join(commands)
