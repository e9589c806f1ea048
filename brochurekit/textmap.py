"""What each drawn glyph means as text, where WeasyPrint 70 gets it wrong.

WeasyPrint maps each glyph to the text of its Pango cluster, the first time it draws it. In a
cluster of several glyphs (a Gurmukhi consonant with the vowel sign drawn before it), the
first glyph gets no text and the next gets the whole cluster, and that mapping then holds for
every other use of the glyph: the consonant reads back with a vowel it does not have, and the
vowel sign is an empty ToUnicode entry (which PDF/UA validators call a malformed CMap).

Narrowest fix, applied to each font just before WeasyPrint writes its ToUnicode map: a glyph
that is the font's own glyph for a character (its cmap says so) means that character. Glyphs
no character maps to (ligatures such as lam-alef, contextual forms) keep their cluster text.
Upstream, the mapping should be per cluster with ActualText where glyphs and characters
cannot be paired (draw/text.py).
"""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont


def own_characters(font) -> None:
    """Correct `font.to_unicode` (glyph id -> text) of a WeasyPrint font in place."""
    wrong = [glyph for glyph, text in font.to_unicode.items() if len(text) != 1]
    if not wrong:
        return
    characters = _CHARACTERS.get(font.hash)
    if characters is None:
        characters = _CHARACTERS[font.hash] = _characters_of(font.file_content, font.index)
    for glyph in wrong:
        own = characters.get(glyph)
        if own is not None and (not font.to_unicode[glyph] or own in font.to_unicode[glyph]):
            font.to_unicode[glyph] = own


# By font file hash, for the life of the process (a worker renders many cells).
_CHARACTERS: dict[str, dict[int, str]] = {}


def _characters_of(content: bytes, index: int) -> dict[int, str]:
    """Glyph id -> the one character the font's cmap maps to it (glyphs that several
    characters share are left out: which one was meant is not known)."""
    font = TTFont(io.BytesIO(content), fontNumber=index, lazy=True)
    by_glyph: dict[int, list[str]] = {}
    for codepoint, name in font.getBestCmap().items():
        by_glyph.setdefault(font.getGlyphID(name), []).append(chr(codepoint))
    return {glyph: chars[0] for glyph, chars in by_glyph.items() if len(chars) == 1}
