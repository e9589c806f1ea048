"""SVG paths parsed once per process, not once per file that draws them.

WeasyPrint 70 parses a path's `d` attribute with regular expressions every time it draws it.
A cell's drawings and QR code are drawn in both its files, and the same drawings in every cell
of the matrix: the QR code's path alone (a few hundred runs of dark modules) cost more than a
second of a full build. What parsing gives is a sequence of drawing operations and the path's
vertices (for markers); for the same `d`, font size and viewport it is always the same, so
it is recorded the first time and replayed after.
"""

from __future__ import annotations

from collections import OrderedDict

import weasyprint.svg

# Paths remembered, the most recently drawn: a cell's drawings are a few dozen, and the QR
# codes one per clinic.
PATHS_KEPT = 512
_parse_and_draw = weasyprint.svg.TAGS["path"]
_recorded: OrderedDict[tuple, tuple[tuple, tuple]] = OrderedDict()


class _Recorder:
    """Stands for the stream while a path is parsed: keeps each drawing call, in order."""

    def __init__(self):
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, name: str):
        def record(*args):
            self.calls.append((name, args))
        return record


def _path(svg, node, font_size) -> None:
    # Lengths in em follow the font size; percentages follow the viewport.
    key = (node.get("d", ""), font_size, svg.inner_width, svg.inner_height)
    recorded = _recorded.get(key)
    if recorded is not None:
        _recorded.move_to_end(key)
        node.vertices.extend(recorded[1])
        _replay(svg.stream, recorded[0])
        return
    stream, recorder, known = svg.stream, _Recorder(), len(node.vertices)
    svg.stream = recorder
    try:
        _parse_and_draw(svg, node, font_size)
    finally:
        svg.stream = stream
        # What was parsed is drawn even when parsing stopped at bad data, as WeasyPrint does
        # (it then leaves the path out of the recordings).
        _replay(stream, recorder.calls)
    _recorded[key] = (tuple(recorder.calls), tuple(node.vertices)[known:])
    if len(_recorded) > PATHS_KEPT:
        _recorded.popitem(last=False)


def _replay(stream, calls) -> None:
    for name, args in calls:
        getattr(stream, name)(*args)


def install() -> None:
    """Draw SVG paths from their recordings (once per process)."""
    weasyprint.svg.TAGS["path"] = _path
