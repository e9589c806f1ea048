"""The whole matrix, built as a user builds it, and the facts a print shop checks."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from PIL import Image
from pypdf import PdfReader

from .conftest import REPO, run_cli
from .pdftools import boxes, flat, fonts, text, words

CLINICS = {
    "cedar-grove": ("Cedar Grove Physiotherapy", "(604) 555-0142", "letter",
                    ("en", "zh_Hans", "zh_Hant", "pa", "ar", "fa")),
    "harbourfront": ("Harbourfront Pain & Movement Clinic", "(416) 555-0187", "letter",
                     ("en", "fr_CA", "es", "zh_Hans", "fa")),
    "mont-royal": ("Clinique Physio Mont-Royal", "(514) 555-0123", "letter",
                   ("fr_CA", "en", "ar")),
    "thameside": ("Thameside Physiotherapy", "020 7946 0555", "a4", ("en", "fr_CA", "ar")),
}
CELLS = [(slug, locale) for slug, (*_, locales) in CLINICS.items() for locale in locales]
# Trim sizes in PDF points, landscape, and the bleed a print shop asks for on each.
TRIM = {"letter": (792.0, 612.0), "a4": (841.89, 595.28)}
BLEED = {"letter": 9.0, "a4": 8.5}
ARABIC = r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]"
SCRIPT = {"zh_Hans": r"[\u4e00-\u9fff]", "zh_Hant": r"[\u4e00-\u9fff]", "ar": ARABIC,
          "fa": ARABIC, "pa": r"[\u0a00-\u0a7f]"}
# Each script's own font must be embedded (a fallback font would mean a missing glyph).
SCRIPT_FONT = {"zh_Hans": "CJKsc", "zh_Hant": "CJKtc", "ar": "Arabic", "fa": "Arabic",
               "pa": "Gurmukhi"}
RIGHT_TO_LEFT = ("ar", "fa")


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out")
    result = run_cli("build", "--out", str(out))
    return out, result


def pdf_of(out: Path, slug: str, locale: str) -> Path:
    return out / slug / f"ims-overview-{locale}-print.pdf"


def translated(locale: str, context: str) -> str:
    if locale == "en":
        return {"ims-overview/subtitle": "Intramuscular Stimulation"}[context]
    with (REPO / "locales" / locale / "LC_MESSAGES" / "brochures.po").open("rb") as handle:
        catalog = read_po(handle)
    return next(m.string for m in catalog if m.context == context)


def test_every_cell_builds(matrix):
    out, result = matrix
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(CELLS)} built, 0 failed" in result.stdout
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == sorted(
        f"{slug}/ims-overview-{locale}-print.pdf" for slug, locale in CELLS)
    assert not list(out.rglob("*.part")), "temporary files were left behind"


@pytest.mark.parametrize(("slug", "locale"), CELLS)
def test_tri_fold_is_two_pages_with_trim_and_bleed(matrix, slug, locale):
    out, _ = matrix
    paper = CLINICS[slug][2]
    width, height = TRIM[paper]
    bleed = BLEED[paper]
    pages = boxes(pdf_of(out, slug, locale))
    assert len(pages) == 2
    for page in pages:
        assert page["/TrimBox"] == pytest.approx((0, 0, width, height), abs=0.05)
        assert page["/BleedBox"] == pytest.approx(
            (-bleed, -bleed, width + bleed, height + bleed), abs=0.05)
        media = page["/MediaBox"]
        # Room outside the bleed for crop marks.
        assert media[0] < -bleed - 20 and media[2] > width + bleed + 20


@pytest.mark.parametrize(("slug", "locale"), CELLS)
def test_fonts_are_embedded_and_subset(matrix, slug, locale):
    out, _ = matrix
    rows = fonts(pdf_of(out, slug, locale))
    assert rows, "no fonts at all"
    assert all(row["emb"] == "yes" and row["sub"] == "yes" for row in rows), rows
    names = " ".join(row["name"] for row in rows)
    expected = SCRIPT_FONT.get(locale, "Noto-Sans")
    assert expected.lower().replace("-", "") in names.lower().replace("-", ""), names


@pytest.mark.parametrize(("slug", "locale"), CELLS)
def test_text_has_clinic_phone_and_translated_title(matrix, slug, locale):
    out, _ = matrix
    name, phone, *_ = CLINICS[slug]
    content = flat(text(pdf_of(out, slug, locale)))
    assert name in content
    assert phone in content
    if locale in SCRIPT:
        assert len(re.findall(SCRIPT[locale], content)) > 500
    if locale not in (*RIGHT_TO_LEFT, "pa"):  # pdftotext reorders these; script checked above
        assert flat(translated(locale, "ims-overview/subtitle")) in content


@pytest.mark.parametrize(("locale", "cover_third"),
                         [("en", 2), ("ar", 0), ("fa", 0), ("zh_Hans", 2), ("pa", 2)])
def test_front_cover_mirrors_for_right_to_left(matrix, locale, cover_third):
    out, _ = matrix
    page_words = words(pdf_of(out, "cedar-grove", locale), 1)
    title = max((w for w in page_words if w.text == "IMS"), key=lambda w: w.height)
    page_width = 792 + 72  # pdftotext measures the whole sheet, crop-mark room included
    third = int((title.x_min + title.x_max) / 2 / (page_width / 3))
    assert third == cover_third


def test_bleed_runs_past_trim_and_crop_marks_stay_visible(matrix, tmp_path):
    out, _ = matrix
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1",
                    str(pdf_of(out, "cedar-grove", "en")), str(tmp_path / "p")], check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    room, trim_w, trim_h = 36, 792, 612  # one pixel per point
    brand = (0x1F, 0x5F, 0x5B)
    # The front cover's colour covers the trim corner and runs 1/8 in (9 pt) beyond it ...
    assert image.getpixel((room + trim_w - 5, room + 5)) == brand
    assert image.getpixel((room + trim_w + 6, room - 6)) == brand
    assert image.getpixel((room + trim_w + 6, room + trim_h + 6)) == brand
    # ... and stops there, leaving white paper where the crop marks are drawn.
    assert image.getpixel((room + trim_w + 14, room + 100)) == (255, 255, 255)
    top_right_mark = [image.getpixel((room + trim_w, y)) for y in range(0, 16)]
    assert any(sum(pixel) < 600 for pixel in top_right_mark), "crop mark not visible"
    left_mark = [image.getpixel((x, room)) for x in range(0, 16)]
    assert any(sum(pixel) < 600 for pixel in left_mark), "crop mark not visible"


def test_manifest_lists_every_pdf_with_its_hash(matrix):
    out, _ = matrix
    entries = json.loads((out / "manifest.json").read_text())
    assert len(entries) == len(CELLS)
    for entry in entries:
        assert set(entry) == {"clinic", "locale", "brochure", "layout", "profile", "path",
                              "pages", "sha256"}
        pdf = out / entry["path"]
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == entry["sha256"]
        assert entry["pages"] == len(PdfReader(pdf).pages) == 2
        assert (entry["layout"], entry["profile"]) == ("tri-fold", "print")


def test_summary_shows_every_catalog_complete(matrix):
    _, result = matrix
    line = next(line for line in result.stdout.splitlines() if line.startswith("catalogs:"))
    for locale in ("ar", "es", "fa", "fr_CA", "pa", "zh_Hans", "zh_Hant"):
        assert f"{locale} 100%" in line
    assert "DRAFT" not in result.stdout
