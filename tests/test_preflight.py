"""Preflight: for each rule a deliberately bad fixture fails `check` with the right message,
and the good project passes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from fontTools.ttLib import TTFont
from PIL import Image
from weasyprint import HTML

from .conftest import run_cli

CELL = ("--clinic", "thameside", "--locale", "en", "--brochure", "ims-overview")
PDF = Path("out/thameside/ims-overview-en-print.pdf")


def cli(project: Path, *args: str):
    return run_cli("--project", str(project), *args)


@pytest.fixture
def built(project: Path) -> Path:
    result = cli(project, "build", *CELL)
    assert result.returncode == 0, result.stderr
    return project


def test_the_good_project_passes(built):
    result = cli(built, "check")
    assert result.returncode == 0, result.stderr
    assert "2 cell(s) checked (2 built), 0 error(s)" in result.stdout
    findings = json.loads(cli(built, "check", "--json").stdout)
    assert {(f["clinic"], f["profile"]) for f in findings} == {("thameside", "print"),
                                                              ("thameside", "screen")}
    assert all(not entry["findings"] for entry in findings)


def test_wrong_page_size(built):
    clinic = built / "brochures/clinics/thameside.yaml"
    clinic.write_text(clinic.read_text().replace("paper: a4", "paper: letter"))
    result = cli(built, "check")
    assert result.returncode == 1
    assert ("thameside/en/ims-overview (print): error: page-boxes: page 1: the trim is "
            "297.0 x 210.0 mm, but this brochure is 279.4 x 215.9 mm") in result.stderr


def _check_replaced(project: Path, html: str) -> str:
    """Put a PDF rendered from `html` in place of the built print PDF and run `check`,
    which must fail; returns what it reported."""
    HTML(string=html, base_url=str(project) + "/").write_pdf(project / PDF)
    result = cli(project, "check")
    assert result.returncode == 1
    return result.stderr


def test_rgb_photo_in_print(built, tmp_path):
    Image.new("RGB", (1200, 800), (200, 40, 40)).save(built / "photo.png")
    stderr = _check_replaced(built, '<style>@page { size: 297mm 210mm; bleed: 3mm }</style>'
                                    '<img src="photo.png" style="width: 100mm">')
    assert "error: colour: page 1: an RGB image in a print file; it should be CMYK" in stderr


def test_rgb_text_colour_in_print(built):
    stderr = _check_replaced(built, '<style>@page { size: 279.4mm 215.9mm; bleed: 3.175mm }'
                                    '</style><p style="color: rgb(200, 40, 40)">Red words</p>')
    assert "error: colour: 1 RGB colour setting(s) in the page content; print files must be " \
        "CMYK" in stderr


def test_low_resolution_photo(built):
    Image.new("CMYK", (60, 40), (0, 80, 80, 0)).save(built / "small.jpg")
    stderr = _check_replaced(built, '<style>@page { size: 297mm 210mm }</style>'
                                    '<img src="small.jpg" style="width: 150mm">')
    assert "error: images: page 1: an image prints at 10 dpi (at least 150 needed)" in stderr


@pytest.mark.parametrize("profile", ["print", "screen"])
def test_damaged_file(built, profile):
    pdf = built / PDF.with_name(PDF.name.replace("print", profile))
    data = pdf.read_bytes()
    pdf.write_bytes(data[: len(data) // 2])
    result = cli(built, "check")
    assert result.returncode == 1
    assert "error: structure" in result.stderr and pdf.name in result.stderr, result.stderr


def test_a_file_qpdf_can_only_repair_fails(built):
    """A cross-reference table that is not where the file says: qpdf rebuilds it to read the
    file (and `qpdf --check` fails it); so does the preflight, which reads with its library."""
    pdf = built / PDF
    data = pdf.read_bytes()
    offset = int(re.search(rb"startxref\s+(\d+)", data)[1])
    pdf.write_bytes(data.replace(b"startxref\n%d" % offset, b"startxref\n%d" % (offset - 7)))
    assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 2
    result = cli(built, "check")
    assert result.returncode == 1
    assert "error: structure: qpdf reports a damaged file" in result.stderr, result.stderr
    assert "xref not found" in result.stderr or "reconstruct" in result.stderr


def test_character_no_font_has_stops_the_cell(project):
    po = project / "locales/fr/LC_MESSAGES/brochures.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    next(m for m in catalog if m.context == "ims-overview/tagline").string = "Soulagement \ue000"
    with po.open("wb") as handle:
        write_po(handle, catalog)
    result = cli(project, "build", "--clinic", "thameside", "--locale", "fr",
                 "--brochure", "ims-overview", "--profile", "print")
    assert result.returncode == 1
    assert ("thameside/fr/ims-overview: no font for '\\ue000' (U+E000) in "
            "ims-overview/tagline (locales/fr/LC_MESSAGES/brochures.po)") in result.stderr
    assert not (project / "out/thameside/ims-overview-fr-print.pdf").exists()


def test_unembeddable_font_is_refused(project, tmp_path):
    source = subprocess.run(["fc-match", "--format=%{file}", "Noto Sans"],
                            capture_output=True, text=True, check=True).stdout
    font = TTFont(source)
    font["OS/2"].fsType = 0x0002  # restricted licence embedding
    restricted = tmp_path / "Restricted.ttf"
    font.save(restricted)
    result = cli(project, "clinic", "font", "thameside", "--body", str(restricted))
    assert result.returncode == 2
    assert "licence does not allow embedding" in result.stderr


def test_overlong_translation_fails_the_cell_after_fitting(project):
    po = project / "locales/fr/LC_MESSAGES/brochures.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    next(m for m in catalog
         if m.context == "ims-overview/sections/why/body/0").string = "Très long texte. " * 120
    with po.open("wb") as handle:
        write_po(handle, catalog)
    result = cli(project, "build", "--clinic", "thameside", "--locale", "fr",
                 "--brochure", "ims-overview", "--profile", "print")
    assert result.returncode == 1
    assert ("text does not fit, even with the illustrations at their smallest and the body type "
            "at the floor of the type scale (10.0 pt): panel flap (page 1)") in result.stderr


def test_a_raster_logo_goes_to_the_press_in_cmyk(project, tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (1500, 600), (31, 95, 91)).save(logo)
    assert cli(project, "clinic", "logo", "thameside", str(logo)).returncode == 0
    built = cli(project, "build", *CELL)
    assert built.returncode == 0, built.stderr
    listing = subprocess.run(["pdfimages", "-list", str(project / PDF)], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    assert [line.split()[5] for line in listing] == ["cmyk"]
    screen = subprocess.run(
        ["pdfimages", "-list", str(project / "out/thameside/ims-overview-en-screen.pdf")],
        capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert [line.split()[5] for line in screen] == ["rgb"]
    assert cli(project, "check").returncode == 0


def test_small_text_in_a_rich_black_or_three_inks_and_a_file_for_no_press(built):
    """What plates cannot register (a rich black at 9 pt, a colour of three inks at 9 pt) is
    an error, and so is small black text that knocks out; large type may keep its rich colour.
    A print file without an output intent does not say which press its CMYK is for."""
    stderr = _check_replaced(built, (
        '<style>@page { size: 297mm 210mm; bleed: 3mm }</style>'
        '<p style="font-size: 9pt; color: device-cmyk(0.8 0.69 0.61 0.84)">Rich black</p>'
        '<p style="font-size: 9pt; color: device-cmyk(0.85 0.51 0.03 0.41)">Navy</p>'
        '<p style="font-size: 30pt; color: device-cmyk(0.8 0.69 0.61 0.84)">Large</p>'
        '<p style="font-size: 9pt; color: device-cmyk(0.75 0 0 0.8)">Navy in two inks</p>'
        '<p style="font-size: 9pt; color: device-cmyk(0 0 0 1)">Black</p>'))
    assert "error: colour: page 1: 1 text run(s) under 12 pt (9 pt and up) in C80 M69 Y61 " \
        "K84: dark text in more than black ink (it should be black ink only)" in stderr
    assert "error: colour: page 1: 1 text run(s) under 12 pt (9 pt and up) in C85 M51 Y3 " \
        "K41: coloured text in more than two inks" in stderr
    assert "C75 K80" not in stderr  # two inks are fine
    assert "error: colour: page 1: 1 text run(s) under 12 pt (9 pt and up) in K100: black " \
        "text that does not overprint (it leaves a hole in a tint)" in stderr
    assert "error: colour: no output intent" in stderr


def test_a_print_file_names_its_registered_press_condition(built):
    """The output intent names FOGRA39 for this A4 clinic, in the ICC's registry; a condition
    of no registry is an error."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    intent = PdfReader(built / PDF).trailer["/Root"]["/OutputIntents"][0].get_object()
    assert (intent["/OutputConditionIdentifier"], intent["/RegistryName"]) == (
        "FOGRA39", "http://www.color.org")
    writer = PdfWriter(clone_from=built / PDF)
    changed = writer.root_object["/OutputIntents"][0].get_object()
    changed[NameObject("/OutputConditionIdentifier")] = TextStringObject("Office printer")
    writer.write(built / PDF)
    result = cli(built, "check")
    assert result.returncode == 1
    assert "error: colour: the output condition 'Office printer' is not a registered one " \
        "(CGATS TR 006, FOGRA29, FOGRA39)" in result.stderr


def test_a_pdf_that_cannot_be_read_at_all_is_a_finding_not_a_crash(tmp_path):
    from brochurekit.preflight import Expected, preflight_pdf

    folder = tmp_path / "ims-overview-en-print.pdf"
    folder.mkdir()  # a folder where the file should be
    (finding,) = preflight_pdf(folder, Expected(841.89, 595.28, 8.5, 2, "print"))
    assert (finding.rule, finding.level) == ("structure", "error")
    assert "cannot be read" in finding.message and str(folder) in finding.message
