"""Font subsets made once per process for the same font and glyphs.

Both files of a cell are written from one layout, so they embed the same subsets, and cells of
one locale use much the same glyphs. WeasyPrint 70 subsets every font of every file again; for
the Chinese fonts (20 MB collections) that is a tenth of a second a file. What it gives depends
only on the font file and what the font is asked for, so it is remembered by exactly that.
"""

from __future__ import annotations

import weasyprint.pdf.fonts

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
