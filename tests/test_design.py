"""The design as code: tokens read from styles/tokens.css, and fitting a document to its panels
(drawings first, type last, never under the floor), on a model of a layout and for real."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from brochurekit.content import load_brochure
from brochurekit.design import ArtSize, load_design
from brochurekit.errors import InputError
from brochurekit.fitting import fit_steps, fit_to_panels

from .conftest import run_cli


@dataclass(frozen=True)
class Fit:
    name: str
    page: int
    overflow_mm: float
    extent_mm: float = float("inf")


@dataclass
class Laid:
    fit: float
    art: dict
    pages: tuple = (1,)


def model(text_mm: dict[str, float], art_panel: dict[str, str], calls: list):
    """A layout whose panels hold `text_mm` of text at full size (shrinking with the type) plus
    their drawings; a panel ends `overflow` mm past its floor (negative: room left)."""

    def lay_out(fit, art):
        calls.append((fit, dict(art)))
        return Laid(fit, dict(art))

    def panel_fits(document):
        extents = {panel: text * document.fit ** 2 + sum(
            height + (10 if height else 0) for name, height in document.art.items()
            if art_panel[name] == panel) for panel, text in text_mm.items()}
        return [Fit(panel, 1, extent - 100, extent) for panel, extent in extents.items()]

    return lay_out, panel_fits


def test_drawings_fill_their_panels_before_the_type_changes():
    calls = []
    lay_out, panel_fits = model({"a": 60, "b": 80}, {"map": "a"}, calls)
    fitted = fit_to_panels(lay_out, panel_fits, 1, {"map": ("a", ArtSize(10, 20, 40))},
                           fit_steps(0.9))
    assert fitted.fit == 1.0 and not fitted.spilled
    # Panel a had 10 mm of room: the drawing grew into it, leaving its margin above the floor.
    assert fitted.art["map"] == pytest.approx(29.4)
    assert len(calls) == 2  # measured once, then laid out at the size found


def test_a_long_text_shrinks_the_drawing_then_leaves_the_optional_one_out_then_the_type():
    calls = []
    lay_out, panel_fits = model({"a": 78, "b": 70}, {"map": "a", "clock": "b"}, calls)
    drawings = {"map": ("a", ArtSize(10, 20, 40)), "clock": ("b", ArtSize(15, 20, 30, True))}
    fitted = fit_to_panels(lay_out, panel_fits, 1, drawings, fit_steps(0.9))
    assert fitted.fit == 1.0 and fitted.art["map"] < 20  # shrunk, type untouched
    longer = fit_to_panels(*model({"a": 78, "b": 95}, {"map": "a", "clock": "b"}, []), 1,
                           drawings, fit_steps(0.9))
    assert longer.fit == 1.0 and longer.art["clock"] == 0  # left out before the type shrinks
    longest = fit_to_panels(*model({"a": 95, "b": 95}, {"map": "a", "clock": "b"}, []), 1,
                            drawings, fit_steps(0.9))
    assert longest.fit == 0.9 and not longest.spilled


def test_a_kept_line_is_measured_against_the_card_it_is_in_not_only_its_panel():
    from types import SimpleNamespace

    from brochurekit.pdf import lines_past_edges

    px = 96 / 25.4
    # A panel's text runs from 0 to 80 mm; the contact card's, inside it, from 6.6 to 75 mm.
    page = SimpleNamespace(anchors={"edge-back": (0, 0, 80 * px, 0),
                                    "edge-contact-card": (6.6 * px, 0, 75 * px, 0),
                                    "keep-0": (6.6 * px, 0, 77 * px, 0),  # into the padding
                                    "keep-1": (6.6 * px, 0, 74 * px, 0)})
    assert lines_past_edges(SimpleNamespace(pages=[page])) == [(0, 1, 2.0)]


def test_a_drawing_that_gives_back_nothing_leaves_the_type_to_be_fitted():
    """A drawing in the shorter of two columns: shrinking it does not shorten the panel."""
    def panel_fits(document):
        return [Fit("a", 1, 105 * document.fit ** 2 - 100)]  # the other column sets the end

    fitted = fit_to_panels(lambda fit, art: Laid(fit, dict(art)), panel_fits, 1,
                           {"map": ("a", ArtSize(10, 20, 40))}, fit_steps(0.9))
    assert fitted.fit == 0.975 and not fitted.spilled  # 105 mm x 0.975^2 is under 100


def test_two_drawings_in_a_panel_share_its_room_and_a_left_out_one_takes_none():
    drawings = {"map": ("a", ArtSize(28, 46, 70)), "clock": ("a", ArtSize(16, 22, 30, True))}
    fitted = fit_to_panels(*model({"a": 45}, {"map": "a", "clock": "a"}, []), 1, drawings,
                           fit_steps(0.9))
    # 45 mm of text and the map fit at full size: the clock stays out, the map takes the room.
    assert fitted.fit == 1.0 and not fitted.spilled
    assert fitted.art["clock"] == 0 and fitted.art["map"] == pytest.approx(44.4, abs=0.6)


def test_the_type_scale_search_finds_the_largest_fitting_step_in_few_layouts():
    """Each layout measured suggests the next scale to try; the answer is the one trying every
    step would give, a panel running off the page (overflow unknown) included."""
    drawings = {"map": ("a", ArtSize(10, 20, 40))}
    steps = fit_steps(0.7)
    for text in (104, 118, 131, 139):
        largest = next(step for step in steps if text * step ** 2 + 20 <= 100.3)
        calls = []
        fitted = fit_to_panels(*model({"a": text}, {"map": "a"}, calls), 1, drawings, steps)
        assert fitted.fit == largest and not fitted.spilled
        # 13 steps: the first layout, two probes either side of the answer, the drawing sized.
        assert len(calls) <= 4, (text, calls)

    def runs_off(document):  # a panel 8 mm past its floor has run off the page
        overflow = 131 * document.fit ** 2 + document.art["map"] + 10 - 100
        return [Fit("a", 1, float("inf") if overflow > 8 else overflow,
                    float("inf") if overflow > 8 else overflow + 100)]
    calls = []
    fitted = fit_to_panels(lambda fit, art: calls.append(fit) or Laid(fit, dict(art)), runs_off,
                           1, drawings, steps)
    assert fitted.fit == 0.775 and not fitted.spilled and len(calls) <= 6

    # A panel without drawings (a poster's) runs off at the first scale: that layout is the
    # first scale at its most compact already, and is not laid out twice.
    def poster(document):
        overflow = 131 * document.fit ** 2 - 100
        return [Fit("a", 1, float("inf") if overflow > 8 else overflow)]
    calls = []
    fitted = fit_to_panels(lambda fit, art: calls.append(fit) or Laid(fit, dict(art)), poster,
                           1, {}, steps)
    assert fitted.fit == 0.875 and not fitted.spilled
    assert len(calls) == len(set(calls)), calls


def test_two_layouts_at_two_scales_tell_the_part_of_a_panel_the_type_does_not_change():
    """A panel whose text is 60 mm of fixed-size parts and 80 mm of body text at full size:
    the square of the scale alone would step down to the answer one layout at a time."""
    def panel_fits(document):
        extent = 60 + 80 * document.fit ** 2
        return [Fit("a", 1, extent - 100, extent)]

    steps = fit_steps(0.7)
    largest = next(step for step in steps if 60 + 80 * step ** 2 - 100 <= 0.3)
    calls = []
    fitted = fit_to_panels(lambda fit, art: calls.append(fit) or Laid(fit, dict(art)),
                           panel_fits, 1, {}, steps)
    assert fitted.fit == largest == 0.7 and not fitted.spilled
    # 1.0 measured, 0.825 from the square alone, then 0.7 from the two, 0.725 to confirm it.
    assert calls == [1.0, 0.825, 0.7, 0.725]


def test_text_too_long_for_the_floor_is_reported_not_squeezed():
    fitted = fit_to_panels(*model({"a": 200}, {"map": "a"}, []), 1,
                           {"map": ("a", ArtSize(10, 20, 40))}, fit_steps(0.95))
    assert fitted.fit == 0.95 and [f.name for f in fitted.spilled] == ["a"]


def test_fit_steps_stop_at_the_floor():
    assert fit_steps(0.952) == (1.0, 0.975, 0.952)
    assert fit_steps(0.9, start=0.95) == (0.95, 0.925, 0.9)


def test_the_build_reads_the_type_scale_and_drawing_sizes_from_the_tokens(project):
    design = load_design(project)
    assert design.body_pt["tri-fold"] == 10.5 and design.floor_pt == 10
    assert design.body_for("tri-fold", "fa") == pytest.approx(11.55)  # Arabic script: 10% up
    assert design.smallest_fit("tri-fold", "en") == pytest.approx(10 / 10.5)
    assert design.art_for("body-map", "poster", 2.0).optional


@pytest.mark.parametrize(("token", "value", "message"), [
    ("body-floor", "10px", "--body-floor is '10px'; it must be a length in pt over 0, like 10pt"),
    ("body-handout", "0pt", "--body-handout is '0pt'; it must be a length in pt over 0"),
    ("art-body-map", "30mm 20mm 40mm", "--art-body-map: the three heights must not decrease"),
    ("art-needle-steps", "big", "--art-needle-steps must be three heights in mm"),
])
def test_a_bad_token_is_named_with_its_line(project, token, value, message):
    tokens = project / "styles/tokens.css"
    lines = tokens.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip().startswith(f"--{token}:"))
    lines[line - 1] = f"  --{token}: {value};"
    tokens.write_text("\n".join(lines), encoding="utf-8")
    result = run_cli("--project", str(project), "build", "--clinic", "thameside", "--locale",
                     "en", "--brochure", "ims-poster")
    assert result.returncode == 2  # a project error: nothing is built
    assert f"styles/tokens.css:{line}:" in result.stderr and message in result.stderr, \
        result.stderr
    assert "Traceback" not in result.stderr


def test_tokens_are_read_wherever_they_stand_and_not_from_comments(project):
    tokens = project / "styles/tokens.css"
    text = tokens.read_text(encoding="utf-8")
    text = text.replace("  --body-handout: 12pt;\n", "").replace(
        "  --body-poster: 16pt;", "  --body-poster: 16pt; --body-handout: 13pt;")
    tokens.write_text(text + "\n/* an example, not a token:\n  --body-floor: 2pt;\n*/\n",
                      encoding="utf-8")
    load_design.cache_clear()
    design = load_design(project)
    assert design.body_pt["handout"] == 13 and design.floor_pt == 10


def test_a_drawing_is_placed_once(tmp_path):
    brochure = tmp_path / "b.yaml"
    brochure.write_text("layout: poster\ntitle: T\nsubtitle: S\ntagline: L\nsections:\n"
                        "  - {id: a, panel: poster, heading: A, illustration: body-map}\n"
                        "  - {id: b, panel: poster, heading: B, illustration: body-map}\n")
    errors: list[InputError] = []
    assert load_brochure(brochure, Path("b.yaml"), errors) is None
    assert "the illustration 'body-map' is already placed on line 6" in str(errors[0])


def test_an_address_wider_than_its_panel_fails_the_cell_and_names_it(project):
    clinic = project / "brochures/clinics/thameside.yaml"
    clinic.write_text(clinic.read_text().replace(
        "https://thameside-physio.example", "https://thameside-physiotherapy-and-sports-"
        "injury-clinic-of-south-london.example").replace(
        # 40 characters, the most a short form may have: too wide for the card all the same.
        "booking_display: thameside-physio.example/book",
        "booking_display: thameside-physiotherapy-care.example/bk"))
    result = run_cli("--project", str(project), "build", "--clinic", "thameside", "--locale",
                     "en", "--brochure", "ims-overview", "--profile", "print")
    assert result.returncode == 1
    assert ("'thameside-physiotherapy-and-sports-injury-clinic-of-south-london.example' "
            "(page 1) is ") in result.stderr, result.stderr
    assert "wider than its panel" in result.stderr and "Traceback" not in result.stderr
    # The web address breaks between its parts, the booking address not at all: each names
    # the setting that gives the clinic a shorter one.
    assert ("(clinic set thameside contact.booking_display ..., clinic set thameside "
            "contact.website ...)") in result.stderr, result.stderr
