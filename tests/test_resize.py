"""Resizing a laid-out cell's drawings without laying it out again (pdf.resize_drawings): what
it gives is what laying the cell out again gives, box for box and byte for byte, and where it
could not be exact it declines."""

from __future__ import annotations

from pathlib import Path

import pytest

from brochurekit import build
from brochurekit.catalogs import load_translations
from brochurekit.layouts import LAYOUTS
from brochurekit.pdf import (
    Renderer,
    only_panels_css,
    panel_fits,
    replace_panels,
    resize_drawings,
)
from brochurekit.project import load_project
from brochurekit.render import jinja_environment

REPO = Path(__file__).resolve().parent.parent
DATE = "2000-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def renderer():
    return Renderer(REPO)


def laid_out(renderer, cell: str):
    """A function laying the print page of `cell` (clinic/locale/brochure) out at given
    drawing heights, and the theme it uses."""
    clinic, locale, brochure = cell.split("/")
    project = load_project(REPO)
    job, = build.plan_jobs(project, build.Selection((clinic,), (locale,), (brochure,),
                                                    ("print",)))
    translations = load_translations(REPO, locale).fresh()
    _, rendered = build._render(job, jinja_environment(REPO / "templates"), translations,
                                False, DATE)
    layout = LAYOUTS[job.brochure.layout]
    theme = rendered.theme

    def lay_out(art, extra_css=""):
        return renderer.layout(job.name, rendered.html, list(layout.stylesheets),
                               theme.css(1.0, art) + extra_css, "print", theme.press)
    return lay_out, theme


def boxes(document) -> list[tuple]:
    found = []
    for number, page in enumerate(document.pages):
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            background = getattr(box, "background", None)
            found.append((number, box.element_tag, round(box.position_x, 6),
                          round(box.position_y, 6), round(box.height or 0, 6),
                          [tuple(round(v, 6) for v in layer.painting_area)
                           for layer in background.layers] if background else None))
            stack.extend(getattr(box, "children", ()))
    return found


def anchors(document) -> list[dict]:
    return [{name: tuple(round(v, 6) for v in box) for name, box in page.anchors.items()}
            for page in document.pages]


@pytest.mark.parametrize(("cell", "before", "after"), [
    # Three drawings in three panels of a tri-fold, one growing out of its margin collapse.
    ("harbourfront/en/ims-overview",
     {"needle-steps": 26.0, "body-map": 40.0, "session-glance": 0.0, "cover-picture": 40.0},
     {"needle-steps": 22.5, "body-map": 46.8, "cover-picture": 50.7}),
    # In one of the handout's two columns (a table row): the row follows its taller column.
    ("harbourfront/en/ims-aftercare", {"session-glance": 40.0, "needle-steps": 26.0},
     {"needle-steps": 24.8}),
    ("harbourfront/en/ims-aftercare", {"session-glance": 40.0, "needle-steps": 26.0},
     {"needle-steps": 34.0}),
    ("harbourfront/en/ims-aftercare", {"session-glance": 40.0, "needle-steps": 26.0},
     {"needle-steps": 14.0}),
    # The glance at a session is drawn twice, side by side in cells of a table row: the row
    # grows by its taller cell, with a drawing in another panel changing too.
    ("harbourfront/zh_Hans/ims-overview",
     {"needle-steps": 26.0, "body-map": 70.0, "session-glance": 26.3, "cover-picture": 45.2},
     {"session-glance": 30.0, "cover-picture": 56.2}),
    # The same table row inside one of the handout's columns (a table row in a table row), a
    # drawing in the other column growing too: the inner row first, then the outer one.
    ("harbourfront/en/ims-aftercare", {"session-glance": 16.0, "needle-steps": 14.0},
     {"session-glance": 40.0, "needle-steps": 17.4}),
    ("harbourfront/en/ims-aftercare", {"session-glance": 40.0, "needle-steps": 26.0},
     {"session-glance": 16.0, "needle-steps": 30.0}),
], ids=["tri-fold", "handout-shrinks", "handout-grows", "handout-smallest", "glance-tri-fold",
        "glance-handout-grows", "glance-handout-shrinks"])
def test_resized_drawings_give_what_laying_out_again_gives(renderer, cell, before, after):
    lay_out, theme = laid_out(renderer, cell)
    after = {**before, **after}
    resized = resize_drawings(lay_out(before), before, after)
    again = lay_out(after)
    assert resized is not None
    assert boxes(resized) == boxes(again)  # positions, heights and backgrounds
    # Sums in another order: the same to the last bit or two.
    assert anchors(resized) == anchors(again)
    assert [[(kind, target, tuple(round(v, 6) for v in rectangle))
             for kind, target, rectangle, _ in page.links] for page in resized.pages] == \
        [[(kind, target, tuple(round(v, 6) for v in rectangle))
          for kind, target, rectangle, _ in page.links] for page in again.pages]
    write = [renderer.write("cell", document, 3.0, b"0" * 32, "print", theme.press, {},
                            theme.colors) for document in (resized, again)]
    assert write[0] == write[1]


def test_a_drawing_left_out_or_brought_back_is_laid_out_again(renderer):
    """An optional drawing left out has no box to resize."""
    lay_out, _ = laid_out(renderer, "harbourfront/en/ims-overview")
    art = {"needle-steps": 26.0, "body-map": 46.0, "session-glance": 0.0,
           "cover-picture": 0.0}
    assert resize_drawings(lay_out(art), art, {**art, "cover-picture": 40.0}) is None
    assert resize_drawings(lay_out(art), art, {**art, "body-map": 0.0}) is None


@pytest.mark.parametrize(("before", "after", "panels"), [
    # The cover's drawing brought back: the cover laid out again, the others kept.
    ({"needle-steps": 26.0, "body-map": 46.0, "session-glance": 0.0, "cover-picture": 0.0},
     {"cover-picture": 39.7, "body-map": 46.8}, {"front", "inside-2"}),
    # Two drawings brought back in two panels, one grown in a third.
    ({"needle-steps": 26.0, "body-map": 46.0, "session-glance": 0.0, "cover-picture": 0.0},
     {"cover-picture": 45.2, "session-glance": 26.3, "body-map": 70.0},
     {"front", "inside-2", "inside-3"}),
], ids=["cover", "cover-and-glance"])
def test_panels_laid_out_again_alone_give_what_laying_out_the_whole_gives(renderer, before,
                                                                           after, panels):
    lay_out, theme = laid_out(renderer, "harbourfront/en/ims-overview")
    after = {**before, **after}
    fresh = lay_out(after, "\n" + only_panels_css(panels))
    assert {fit.name for fit in panel_fits(fresh)} == panels  # the others are left out
    replaced = replace_panels(lay_out(before), fresh, panels)
    again = lay_out(after)
    assert replaced is not None
    assert boxes(replaced) == boxes(again)
    assert anchors(replaced) == anchors(again)
    write = [renderer.write("cell", document, 3.0, b"0" * 32, "print", theme.press, {},
                            theme.colors) for document in (replaced, again)]
    assert write[0] == write[1]
    screen = [renderer.write("cell", document, 0.0, b"0" * 32, "screen", None, {},
                             {**theme.colors}) for document in (replaced, lay_out(after))]
    assert screen[0] == screen[1]  # tags and links too


def test_panels_are_replaced_only_when_the_fresh_layout_has_exactly_them(renderer):
    lay_out, _ = laid_out(renderer, "harbourfront/en/ims-overview")
    art = {"needle-steps": 26.0, "body-map": 46.0, "session-glance": 0.0,
           "cover-picture": 0.0}
    fresh = lay_out(art, "\n" + only_panels_css({"front"}))
    assert replace_panels(lay_out(art), fresh, {"front", "back"}) is None  # back not in it
    assert replace_panels(lay_out(art), lay_out(art), {"front"}) is None  # all panels in it


def _row_of_cells(align: str, height_mm: float):
    """A panel holding a table row of two cells, a drawing and its caption in the first."""
    from brochurekit.pdf import HTML

    svg = '<svg class="art-drawing" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">' \
          '<rect width="10" height="10"/></svg>'
    return HTML(string=f"""<html><body><style>
      .panel {{ position: absolute; top: 0; left: 0; width: 120mm; height: 200mm; }}
      .art-drawing {{ display: block; width: 100%; height: {height_mm}mm; }}
      .row {{ display: table; width: 100%; }}
      .row > div {{ display: table-cell; vertical-align: {align}; padding: 2px; }}
      </style><div class="panel"><figure class="art art-clock"><div class="row">
      <div>{svg}<p>Caption</p></div><div><p>Beside it</p><p>and more</p></div>
      </div></figure><p>After the figure</p></div></body></html>""").render()


def test_a_row_aligned_at_the_top_grows_by_its_taller_cell_one_on_its_baseline_is_declined():
    resized = resize_drawings(_row_of_cells("top", 20), {"clock": 20.0}, {"clock": 34.0})
    assert resized is not None
    assert boxes(resized) == boxes(_row_of_cells("top", 34))
    # On the baseline, the caption under the drawing would move the row's baseline.
    assert resize_drawings(_row_of_cells("baseline", 20), {"clock": 20.0},
                           {"clock": 34.0}) is None
