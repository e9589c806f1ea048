"""SVG paths parsed once per process, not once per file that draws them.

WeasyPrint 70 parses a path's `d` attribute with regular expressions every time it draws it.
A cell's drawings and QR code are drawn in both its files, and the same drawings in every cell
of the matrix: the QR code's path alone (a few hundred runs of dark modules) cost more than a
second of a full build. What parsing gives is the path's lines of page content and its
vertices (for markers); for the same `d`, font size and viewport they are always the same, so
they are recorded the first time and drawn as they are after, without parsing the data or
formatting a number again.
"""

from __future__ import annotations

import weasyprint.svg

from .recent import Recent

# Paths remembered, the most recently drawn: a cell's drawings are a few dozen, and the QR
# codes one per clinic.
PATHS_KEPT = 512
_parse_and_draw = weasyprint.svg.TAGS["path"]
_recorded: Recent[tuple, tuple[bytes, tuple]] = Recent(PATHS_KEPT)


def _path(svg, node, font_size) -> None:
    # Lengths in em follow the font size; percentages follow the viewport.
    key = (node.get("d", ""), font_size, svg.inner_width, svg.inner_height)
    operations = getattr(svg.stream, "stream", None)  # pydyf's list of content lines
    recorded = _recorded.get(key)
    if recorded is not None and isinstance(operations, list):
        node.vertices.extend(recorded[1])
        operations.append(recorded[0])  # the stream's lines are joined by newlines
        return
    drawn, known = len(operations) if isinstance(operations, list) else None, \
        len(node.vertices)
    # Parsing bad data stops part-way, having drawn what came before it (as WeasyPrint does
    # anyway); such a path is not recorded.
    _parse_and_draw(svg, node, font_size)
    if drawn is not None:
        _recorded[key] = (b"\n".join(operations[drawn:]), tuple(node.vertices)[known:])


def install() -> None:
    """Draw SVG paths from their recordings (once per process)."""
    weasyprint.svg.TAGS["path"] = _path
