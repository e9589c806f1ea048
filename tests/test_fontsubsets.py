"""Font subsets remembered per process: made once for the same file and glyphs (fontsubsets)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from pypdf import PdfReader
from weasyprint.text.fonts import FontConfiguration

from brochurekit import fontsubsets
from brochurekit.pdf import HTML  # installs the remembered subsets, as every render does
from brochurekit.recent import Recent


def _embedded_fonts(pdf: bytes) -> dict[str, bytes]:
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(descriptor["/FontName"])] = descriptor["/FontFile2"].get_object().get_data()
    return fonts


def test_the_second_file_embeds_the_first_files_subsets_without_subsetting(monkeypatch):
    made = []

    def clean(font, to_unicode, hinting):
        made.append(font.family)
        return original(font, to_unicode, hinting)

    original = fontsubsets._clean
    monkeypatch.setattr(fontsubsets, "_files", Recent(fontsubsets.FILES_KEPT))
    monkeypatch.setattr(fontsubsets, "_clean", clean)
    html = '<p style="font-family: \'Noto Sans\'">Intramuscular stimulation <b>eases</b></p>'

    first = HTML(string=html).render().write_pdf()
    assert sorted(made) == ["Noto Sans", "Noto Sans"]  # regular and bold
    second = HTML(string=html).render().write_pdf()
    assert len(made) == 2
    assert _embedded_fonts(second) == _embedded_fonts(first)

    # Other glyphs of the same font are another subset, which holds them; the bold, with the
    # same glyphs, is still remembered.
    other = HTML(string=html.replace("stimulation", "STIMULATION")).render().write_pdf()
    assert len(made) == 3
    subset = next(data for name, data in _embedded_fonts(other).items() if "Bold" not in name)
    regular = next(data for name, data in _embedded_fonts(first).items() if "Bold" not in name)
    assert subset != regular


def _font(content: bytes) -> SimpleNamespace:
    return SimpleNamespace(file_content=content, index=0, missing={}, variations={}, weight=400,
                           style=0, font_size=10, family="Test")


def test_a_file_that_only_looks_the_same_is_subset_on_its_own(monkeypatch):
    def clean(font, to_unicode, hinting):  # stands for subsetting: what the file says
        font.file_content = b"subset of " + font.file_content[8192:8196]

    monkeypatch.setattr(fontsubsets, "_files", Recent(fontsubsets.FILES_KEPT))
    monkeypatch.setattr(fontsubsets, "_clean", clean)
    ends = b"x" * 8192
    one, other = _font(ends + b"ONE!" + ends), _font(ends + b"TWO!" + ends)
    fontsubsets.clean(one, {3: "a"}, False)
    fontsubsets.clean(other, {3: "a"}, False)  # same length and ends, another middle
    assert (one.file_content, other.file_content) == (b"subset of ONE!", b"subset of TWO!")
    again = _font(ends + b"ONE!" + ends)
    fontsubsets.clean(again, {3: "a"}, False)
    assert again.file_content == b"subset of ONE!"


def test_a_fonts_file_is_copied_out_once_and_is_the_fonts_file(monkeypatch):
    copied = []

    def object_data(face, ot_color=None, glyph=None):
        copied.append(face)
        return original(face, ot_color, glyph)

    original = fontsubsets._object_data
    monkeypatch.setattr(fontsubsets, "_face_files", Recent(fontsubsets.FACES_KEPT))
    monkeypatch.setattr(fontsubsets, "_object_data", object_data)
    html = '<p style="font-family: \'Noto Sans\'">Intramuscular stimulation</p>'
    fonts = FontConfiguration()  # one per build: its faces live as long as it does
    first = HTML(string=html).render(font_config=fonts).write_pdf()
    files = len(copied)  # the font's file, and its subset's
    assert files >= 2
    second = HTML(string=html).render(font_config=fonts).write_pdf()
    assert len(copied) == files  # neither copied again
    assert _embedded_fonts(second) == _embedded_fonts(first)

    # What is remembered is what WeasyPrint copies out of that face, and the face is held.
    from weasyprint.text.ffi import ffi

    for address, (held, data) in fontsubsets._face_files._entries.items():
        assert address == int(ffi.cast("uintptr_t", held))
        assert data == original(held)


def test_glyph_arrays_are_made_as_open_arrays_of_the_same_values():
    from weasyprint.text.ffi import ffi

    arrays = fontsubsets._OpenArrays(ffi)
    values = (3, 7, 65535)
    made = arrays.new(f"hb_codepoint_t[{len(values)}]", values)
    assert ffi.typeof(made) is ffi.typeof("hb_codepoint_t[]")
    assert list(made) == list(values)
    # Anything else is made as asked: a fixed array to be filled, a pointer.
    empty = arrays.new("hb_tag_t[100]")
    assert ffi.sizeof(empty) == 100 * ffi.sizeof("hb_tag_t")
    assert arrays.new("unsigned int *", 100)[0] == 100
    assert arrays.NULL == ffi.NULL
