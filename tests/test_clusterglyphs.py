"""Clusters drawn as one glyph: the page looks the same, the text reads back (clusterglyphs)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageFilter

from brochurekit import clusterglyphs
from brochurekit.pdf import HTML  # installs the adapter, as every render does

# Raised and lowered vowel marks, a mark inside lam-alef, hamza above, a non-joiner, and a
# Gurmukhi vowel sign drawn before its consonant.
SAMPLES = {
    "ar": "عادةً تُحَسّ يقدّمه أولًا العضلات",
    "fa": "جلسهٔ دربارهٔ می‌شود",
    "pa": "ਕਿਹਾ ਫਿਰ ਸਿਹਤ",
}


def _render(tmp_path: Path, locale: str, name: str) -> Path:
    direction = "ltr" if locale == "pa" else "rtl"
    family = "Noto Sans Gurmukhi" if locale == "pa" else "Noto Sans Arabic"
    pdf = tmp_path / f"{name}.pdf"
    HTML(string=f'<html lang="{locale}" dir="{direction}"><body style="font: 24pt '
                f'\'{family}\'"><p>{SAMPLES[locale]}</p></body></html>').write_pdf(pdf)
    return pdf


def _pixels(pdf: Path) -> Image.Image:
    png = subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf)],
                         capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("L")


@pytest.mark.parametrize("locale", sorted(SAMPLES))
def test_a_cluster_reads_back_whole_and_looks_as_harfbuzz_placed_it(tmp_path, locale,
                                                                    monkeypatch):
    import pymupdf

    composed = _render(tmp_path, locale, "composed")
    words = SAMPLES[locale].split()
    read = subprocess.run(["pdftotext", str(composed), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert [word for word in words if word not in read] == [], read
    with pymupdf.open(composed) as document:
        assert set(words) <= set(document[0].get_text().split()), document[0].get_text()

    # The same text drawn glyph by glyph, as WeasyPrint alone draws it.
    monkeypatch.setattr("weasyprint.draw.text.draw_first_line", clusterglyphs._draw_first_line)
    monkeypatch.setattr("weasyprint.pdf.fonts.Font.clean", clusterglyphs._clean_font)
    plain = _render(tmp_path, locale, "plain")
    before, after = _pixels(plain), _pixels(composed)
    assert sum(1 for value in before.get_flattened_data() if value < 128) > 1000
    # Softened by a pixel (0.17 mm) to forgive sub-pixel rounding (WeasyPrint places a mark
    # by Pango units / 1000 where a point has 1024, and rounds widths to 1/1000 em), no
    # pixel changes by more than a third: a mark out of place would.
    blurred = [image.filter(ImageFilter.GaussianBlur(1)) for image in (before, after)]
    assert ImageChops.difference(*blurred).getextrema()[1] < 96


def test_composite_glyphs_are_added_to_the_font_file(tmp_path):
    """The added glyphs are real TrueType composites of the font's own glyphs, at the given
    offsets, with the given advance; a blank one has no outline; ids in between are empty."""
    source = next(Path("/usr/share/fonts/truetype/noto").glob("NotoSansArabic-Regular.ttf"))
    font = TTFont(source)
    count = len(font.getGlyphOrder())
    shapes = {count + 2: (((5, 0, 0), (7, 120, 300)), 640), count + 3: ((), 120)}
    result = TTFont(io.BytesIO(clusterglyphs.with_composite_glyphs(source.read_bytes(), 0,
                                                                    shapes)))
    order = result.getGlyphOrder()
    assert len(order) == count + 4
    composite = result["glyf"][order[count + 2]]
    assert composite.isComposite()
    assert [(c.glyphName, c.x, c.y) for c in composite.components] == \
        [(order[5], 0, 0), (order[7], 120, 300)]
    assert result["hmtx"][order[count + 2]][0] == 640
    assert result["glyf"][order[count + 3]].numberOfContours == 0
    assert result["hmtx"][order[count + 3]][0] == 120
    assert result["glyf"][order[count]].numberOfContours == 0
