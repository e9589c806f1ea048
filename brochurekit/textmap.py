"""What each drawn glyph means as text, where WeasyPrint 70 gets it wrong.

WeasyPrint maps each glyph to the text of its Pango cluster, the first time it draws it. In a
cluster of several glyphs (a Gurmukhi consonant with the vowel sign drawn before it), the
first glyph gets no text and the next gets the whole cluster, and that mapping then holds for
every other use of the glyph: the consonant reads back with a vowel it does not have, and the
vowel sign is an empty ToUnicode entry (which PDF/UA validators call a malformed CMap).

Narrowest fix, applied to each font just before WeasyPrint writes its ToUnicode map: a glyph
that is the font's own glyph for a character (its cmap says so) means that character. Glyphs
no character maps to (ligatures such as lam-alef, contextual forms, the composite glyphs of
clusterglyphs.py) keep their cluster text, a right-to-left one in the order extraction tools
reverse (see _as_read_right_to_left). Upstream, WeasyPrint's draw/text.py should map per
cluster.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

from fontTools.ttLib import TTFont


def own_characters(font) -> None:
    """Correct `font.to_unicode` (glyph id -> text) of a WeasyPrint font in place."""
    wrong = [glyph for glyph, text in font.to_unicode.items() if len(text) != 1]
    if not wrong:
        return
    characters = _characters(font)
    for glyph in wrong:
        text = font.to_unicode[glyph]
        own = characters.get(glyph)
        if own is not None and (not text or own in text):
            font.to_unicode[glyph] = own
        elif len(text) > 1:
            font.to_unicode[glyph] = _as_read_right_to_left(text)


def _as_read_right_to_left(text: str) -> str:
    """A right-to-left ligature's text (lam-alef: "لا") in the order that text extraction
    (poppler, MuPDF) turns back into reading order: they place a glyph's characters left to
    right and then reverse the right-to-left run, letters of one glyph included."""
    if len(text) > 1 and all(unicodedata.bidirectional(char) in ("R", "AL", "NSM")
                             for char in text):
        return text[::-1]
    return text


def own_character(font, glyph: int) -> str | None:
    """The character the font's cmap gives this glyph alone, if any."""
    return _characters(font).get(glyph)


def blank_glyph(font) -> int | None:
    """A glyph of the font that draws nothing and does not advance (TrueType fonts keep one,
    NULL or .null), or None."""
    return _facts(font).blank


def _characters(font) -> dict[int, str]:
    return _facts(font).characters


@dataclass(frozen=True)
class _FontFacts:
    characters: dict[int, str]  # glyph id -> the one character the cmap maps to it
    blank: int | None  # a glyph with no outline and no advance


# By font file hash, for the life of the process (a worker renders many cells).
_FACTS: dict[str, _FontFacts] = {}


def _facts(font) -> _FontFacts:
    facts = _FACTS.get(font.hash)
    if facts is None:
        facts = _FACTS[font.hash] = _facts_of(font.file_content, font.index)
    return facts


def _facts_of(content: bytes, index: int) -> _FontFacts:
    """What the font file says, read once: its glyphs' own characters (glyphs that several
    characters share are left out: which one was meant is not known) and a blank glyph."""
    font = TTFont(io.BytesIO(content), fontNumber=index, lazy=True)
    by_glyph: dict[int, list[str]] = {}
    for codepoint, name in font.getBestCmap().items():
        by_glyph.setdefault(font.getGlyphID(name), []).append(chr(codepoint))
    characters = {glyph: chars[0] for glyph, chars in by_glyph.items() if len(chars) == 1}
    blank = None
    if "glyf" in font:
        widths, outlines = font["hmtx"], font["glyf"]
        blank = next((glyph for glyph, name in enumerate(font.getGlyphOrder()[1:], start=1)
                      if widths[name][0] == 0 and outlines[name].numberOfContours == 0), None)
    return _FontFacts(characters, blank)
