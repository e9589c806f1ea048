"""Paper sizes and layout geometry: where each panel of a layout sits on the sheet."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    """A sheet as the printer trims it (portrait dimensions) and the bleed it needs."""

    name: str
    width_mm: float
    height_mm: float
    bleed_mm: float
    bleed_label: str


PAPERS = {
    # Print shops ask 1/8 in of bleed on US sizes and 3 mm on ISO sizes.
    "letter": Paper("letter", 215.9, 279.4, 3.175, "1/8 in"),
    "a4": Paper("a4", 210.0, 297.0, 3.0, "3 mm"),
    # Poster sizes (a clinic's `poster_paper`).
    "tabloid": Paper("tabloid", 279.4, 431.8, 3.175, "1/8 in"),
    "a3": Paper("a3", 297.0, 420.0, 3.0, "3 mm"),
}
# Brochures and handouts print on the clinic's office paper; posters may be larger.
BROCHURE_PAPERS = ("letter", "a4")


@dataclass(frozen=True)
class Panel:
    name: str
    x_mm: float
    width_mm: float
    # Panels on a sheet edge run their artwork into the bleed on that side.
    at_left: bool = False
    at_right: bool = False


# The order a reader meets the panels of a sheet: the cover before what is behind it. Panels
# are placed by their position, so the document (and the screen reader's tags, which follow
# it) can take this order whatever the sheet's direction.
READING_ORDER = ("front", "flap", "back", "inside-1", "inside-2", "inside-3")


@dataclass(frozen=True)
class Sheet:
    """One printed page of a layout: its trim size and its panels, left to right as printed."""

    width_mm: float
    height_mm: float
    panels: tuple[Panel, ...]

    @property
    def in_reading_order(self) -> tuple[Panel, ...]:
        return tuple(sorted(self.panels, key=lambda panel: READING_ORDER.index(panel.name)
                            if panel.name in READING_ORDER else len(READING_ORDER)))


@dataclass(frozen=True)
class Layout:
    name: str
    template: str
    stylesheet: str
    pages: int
    # Panels that brochure sections may be placed in (covers are drawn by the template).
    content_panels: tuple[str, ...]
    landscape: bool
    # Which clinic setting chooses the paper: "paper" or "poster_paper".
    paper_key: str = "paper"
    # Pictures the template places itself (not a section's), sized by the build like the
    # illustrations: (name, panel).
    pictures: tuple[tuple[str, str], ...] = ()

    @property
    def stylesheets(self) -> tuple[str, ...]:
        """The styles/ files a document of this layout uses, in cascade order."""
        return ("tokens.css", "base.css", self.stylesheet)


LAYOUTS = {
    "tri-fold": Layout("tri-fold", "tri-fold.html", "tri-fold.css", pages=2,
                       content_panels=("flap", "inside-1", "inside-2", "inside-3", "back"),
                       landscape=True,
                       # The clinic's photo, or a drawing, under the cover's promise.
                       pictures=(("cover-picture", "front"),)),
    "handout": Layout("handout", "handout.html", "handout.css", pages=2,
                      content_panels=("page-1", "page-2"), landscape=False),
    "poster": Layout("poster", "poster.html", "poster.css", pages=1,
                     content_panels=("poster",), landscape=False, paper_key="poster_paper"),
}


def sheets_for(layout: Layout, paper: Paper, right_to_left: bool) -> tuple[Sheet, ...]:
    """The printed pages of a layout on a paper, with their panels."""
    if layout.name == "tri-fold":
        return tri_fold_sheets(paper, right_to_left)
    # One panel per page: the page itself.
    return tuple(Sheet(paper.width_mm, paper.height_mm,
                       (Panel(name, 0.0, paper.width_mm, at_left=True, at_right=True),))
                 for name in layout.content_panels)


# A roll fold tucks the flap inside the other two panels, so it is cut narrower than them.
FLAP_INSET_MM = 2.0


def tri_fold_sheets(paper: Paper, right_to_left: bool) -> tuple[Sheet, Sheet]:
    """Outside and inside of a roll-fold tri-fold, landscape.

    Left to right, the outside reads flap, back cover, front cover, and the inside reads
    inside-1, inside-2, inside-3 (the back of the flap, the narrow one). A right-to-left
    brochure opens from the other side, so every panel mirrors.
    """
    width, height = paper.height_mm, paper.width_mm
    flap = round(width / 3 - FLAP_INSET_MM, 3)
    wide = round((width - flap) / 2, 3)

    def sheet(names_and_widths: list[tuple[str, float]]) -> Sheet:
        panels, x = [], 0.0
        for name, panel_width in names_and_widths:
            panels.append(Panel(name, round(x, 3), panel_width))
            x += panel_width
        if right_to_left:
            panels = [Panel(p.name, round(width - p.x_mm - p.width_mm, 3), p.width_mm)
                      for p in reversed(panels)]
        last = len(panels) - 1
        return Sheet(width, height, tuple(
            Panel(p.name, p.x_mm, p.width_mm, at_left=index == 0, at_right=index == last)
            for index, p in enumerate(panels)))

    return (
        sheet([("flap", flap), ("back", wide), ("front", wide)]),
        sheet([("inside-1", wide), ("inside-2", wide), ("inside-3", flap)]),
    )
