"""Font subsets made once per process for the same font and glyphs.

Both files of a cell are written from one layout, so they embed the same subsets, and cells of
one locale use much the same glyphs. WeasyPrint 70 subsets every font of every file again; for
the Chinese fonts (20 MB collections) that is a tenth of a second a file. What it gives depends
only on the font file and what the font is asked for, so it is remembered by exactly that.

Two costs of WeasyPrint's font handling are also paid once instead of per file: it copies each
font's whole file out of HarfBuzz for every file that uses the font (the same bytes each time),
and it makes its glyph arrays with a C type of their length, which cffi parses anew (pycparser)
for every length it meets, and keeps.
"""

from __future__ import annotations

import re

import weasyprint.pdf.fonts
from weasyprint.text.ffi import ffi, harfbuzz

from .recent import Recent

_clean = weasyprint.pdf.fonts.Font.clean
# A font file is known by its length and ends, and then compared whole (a memory compare is
# a fraction of the cost of hashing 20 MB): the last few files, and subsets of each.
FILES_KEPT = 8
SUBSETS_KEPT = 32
_SAMPLE = 4096
_files: Recent[tuple, tuple[bytes, Recent]] = Recent(FILES_KEPT)


def clean(font, to_unicode, hinting) -> None:
    """WeasyPrint's Font.clean (subset, static instance, no colour bitmaps), remembered."""
    content = font.file_content
    known = (len(content), content[:_SAMPLE], content[-_SAMPLE:])
    original, subsets = _files.get(known, (None, None))
    if original != content:  # another file with the same length and ends: start over
        original, subsets = content, Recent(SUBSETS_KEPT)
        _files[known] = (original, subsets)
    # Everything Font.clean reads besides the file: the glyphs kept, whether missing glyphs
    # get an outline, and what a variable font is instantiated at.
    wanted = (font.index, tuple(sorted(to_unicode)), hinting, bool(font.missing),
              tuple(sorted(font.variations.items())), font.weight, font.style, font.font_size)
    made = subsets.get(wanted)
    if made is None:
        _clean(font, to_unicode, hinting)
        made = subsets[wanted] = (font.file_content, dict(font.variations))
    font.file_content, font.variations = made[0], dict(made[1])


# The files of the faces a worker used last, each with a reference that keeps its face (and
# so its address, the key) alive while it is remembered.
FACES_KEPT = 16
_face_files: Recent[int, tuple[object, bytes]] = Recent(FACES_KEPT)
_object_data = weasyprint.pdf.fonts.get_hb_object_data
_font_init = weasyprint.pdf.fonts.Font.__init__
_reading_font = False  # inside Font.__init__, which reads a font's file


def _face_file(face, ot_color=None, glyph=None):
    """WeasyPrint's get_hb_object_data, remembered for a font's whole file (a face's file never
    changes); a subset's file (read once, as it is made) and a colour glyph's data are asked
    for as they are."""
    if not _reading_font or ot_color is not None or glyph is not None:
        return _object_data(face, ot_color, glyph)
    key = int(ffi.cast("uintptr_t", face))
    known = _face_files.get(key)
    if known is None:
        held = ffi.gc(harfbuzz.hb_face_reference(face), harfbuzz.hb_face_destroy)
        known = _face_files[key] = (held, _object_data(face))
    return known[1]


_SIZED_ARRAY = re.compile(r"(.+)\[(\d+)\]")


class _OpenArrays:
    """cffi as WeasyPrint's fonts use it, but an array the size of its initial values is made
    as an open array (`hb_codepoint_t[]`): one type for every length."""

    def __init__(self, real):
        self._real = real

    def new(self, cdecl: str, init=None):
        sized = _SIZED_ARRAY.fullmatch(cdecl)
        if sized and init is not None and len(init) == int(sized[2]):
            return self._real.new(f"{sized[1]}[]", init)
        return self._real.new(cdecl, init)

    def __getattr__(self, name: str):
        return getattr(self._real, name)


def _init_font(font, *args, **kwargs) -> None:
    global _reading_font
    _reading_font = True
    try:
        _font_init(font, *args, **kwargs)
    finally:
        _reading_font = False


def install() -> None:
    """Font files and glyph arrays as above (once per process)."""
    fonts = weasyprint.pdf.fonts
    fonts.get_hb_object_data = _face_file
    fonts.Font.__init__ = _init_font
    if not isinstance(fonts.ffi, _OpenArrays):
        fonts.ffi = _OpenArrays(fonts.ffi)
