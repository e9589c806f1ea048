"""SVG paths drawn from a recording draw what WeasyPrint's own parser draws (svgpaths)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from brochurekit import svgpaths
from brochurekit.pdf import HTML  # installs the recordings, as every render does
from brochurekit.recent import Recent

# Absolute and relative moves, lines, curves, arcs, shorthand curves and closes; a path with
# markers (which read the vertices parsing leaves); a path whose data turns bad part-way (units
# are not path data: WeasyPrint draws what came before them).
DRAWING = """<svg xmlns="http://www.w3.org/2000/svg" width="60mm" height="40mm"
  viewBox="0 0 {width} 80">
  <defs><marker id="dot" markerWidth="4" markerHeight="4" refX="2" refY="2">
    <circle cx="2" cy="2" r="2" fill="red"/></marker></defs>
  <path d="M10 10 L50 10 l0 20 h-20 v-5 z" fill="#1d232a"/>
  <path d="M10 40 C20 30 40 30 50 40 S80 50 90 40 Q100 30 110 40 T115 60"
        stroke="blue" fill="none" marker-start="url(#dot)" marker-mid="url(#dot)"
        marker-end="url(#dot)"/>
  <path d="M60 60 a10 6 30 1 0 20 0 A10 10 0 0 1 100 70" stroke="green" fill="none"/>
  <path d="M10 70 l20 0 l0 2em" stroke="black" fill="none"/>
</svg>"""


def _page_stream(width: int) -> bytes:
    """The drawing's page content, as written in a PDF (the file's dates and ids aside)."""
    pdf = HTML(string=f"<html><body>{DRAWING.format(width=width)}</body></html>").write_pdf()
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    return page.get_contents().get_data()


def test_recorded_paths_draw_what_parsing_draws(monkeypatch):
    parsed = []

    def parse(svg, node, font_size):
        parsed.append(node.get("d"))
        return original(svg, node, font_size)

    original = svgpaths._parse_and_draw
    monkeypatch.setattr(svgpaths, "_recorded", Recent(svgpaths.PATHS_KEPT))
    monkeypatch.setattr(svgpaths, "_parse_and_draw", parse)

    first = _page_stream(120)
    assert len(parsed) == 4  # every path parsed as it is first drawn
    again = _page_stream(120)
    assert len(parsed) == 5  # then drawn from its recording, but for the one with bad data
    assert again == first
    assert b"\n10 70 m\n30 70 l\n" in first  # the bad path, up to its bad data

    # The viewport is part of what a path means: another one is parsed, not replayed.
    wider = _page_stream(240)
    assert len(parsed) == 9
    assert wider != first

    # WeasyPrint's own parser, every time, draws the same.
    monkeypatch.setattr("weasyprint.svg.TAGS", {**_tags(), "path": original})
    assert _page_stream(120) == first
    assert _page_stream(240) == wider


def _tags() -> dict:
    import weasyprint.svg

    return dict(weasyprint.svg.TAGS)
