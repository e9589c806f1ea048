"""The user-agent stylesheet brochures are laid out with (pdf._user_agent_stylesheet): the
same pages as WeasyPrint's whole one, byte for byte, and the rules it leaves out unused."""

from __future__ import annotations

import re

import pytest
from weasyprint import HTML

from brochurekit import pdf
from brochurekit.pdf import Renderer
from tests.test_resize import REPO, boxes, laid_out


@pytest.mark.parametrize("cell", [
    "harbourfront/fr_CA/ims-overview",  # lists, the team list, figures, three layouts' worth
    "thameside/ar/ims-aftercare",  # right to left, two columns in a table row
])
def test_brochures_lay_out_and_print_as_with_weasyprints_whole_stylesheet(monkeypatch, cell):
    def made(renderer):
        lay_out, theme = laid_out(renderer, cell)
        document = lay_out({})
        data = renderer.write(cell, document, 3.0, b"0" * 32, "print", theme.press,
                              colors=theme.colors)
        return boxes(document), data

    ours = made(Renderer(REPO))
    monkeypatch.setattr(pdf._BrochureHtml, "_ua_stylesheets", HTML._ua_stylesheets)
    whole = made(Renderer(REPO))
    assert ours[0] == whole[0]
    assert ours[1] == whole[1]


def test_the_rules_left_out_are_for_footnotes_notes_and_other_elements_markers():
    """Only a footnote (float: footnote) or a note (position: note()) has the pseudo-elements
    left out, and only a list item a marker: no stylesheet or template makes either, and the
    only list items are <li>."""
    sources = [*sorted((REPO / "styles").glob("*.css")),
               *sorted((REPO / "templates").rglob("*.html")), REPO / "brochurekit" / "render.py"]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"footnote|note\(|list-item", text), path
    kept = pdf._user_agent_stylesheet()
    assert kept is pdf._user_agent_stylesheet()  # parsed once per process
