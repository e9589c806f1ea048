"""Text that reads back as it was written, in the scripts whose glyphs cannot say it.

In Arabic and Persian a glyph may stand for two letters (lam-alef) and a zero-width non-joiner
draws nothing; in Gurmukhi a vowel sign is drawn before the consonant it follows. A glyph's
ToUnicode entry cannot express either, so text extraction returned "العضالت" for "العضلات",
lost every ZWNJ and put vowel signs before their consonants. Narrowest fix: each line of such
a script is drawn inside a marked-content span whose ActualText is the line's own text, which
text extraction (poppler, MuPDF) and screen readers use instead of the glyphs. Upstream,
WeasyPrint's draw_first_line could do this per Pango cluster.
"""

from __future__ import annotations

import re

import pydyf
import weasyprint.draw.text

# Left-to-right scripts whose glyphs are not drawn in the order of their characters (Indic
# vowel signs drawn before their consonant: Devanagari to Malayalam, Gurmukhi among them).
_REORDERED = re.compile("[\u0900-\u0dff]")
# Invisible formatting that says how to lay out, not what is written.
_LAYOUT_ONLY = dict.fromkeys(map(ord, "\u2060\u2066\u2067\u2068\u2069\u200e\u200f\u00ad"))

_draw_first_line = weasyprint.draw.text.draw_first_line


def line_text(text: str) -> str:
    """What a line says: its characters without layout controls, no-break spaces as spaces."""
    return text.translate(_LAYOUT_ONLY).replace("\u00a0", " ").replace("\u202f", " ")


def _draw_line_with_actual_text(stream, textbox, *args, **kwargs):
    if not _REORDERED.search(textbox.text) or textbox.style["direction"] == "rtl":
        return _draw_first_line(stream, textbox, *args, **kwargs)
    stream.begin_marked_content("Span", pydyf.Dictionary(
        {"ActualText": pydyf.String(line_text(textbox.text))}))
    try:
        return _draw_first_line(stream, textbox, *args, **kwargs)
    finally:
        stream.end_marked_content()


def install() -> None:
    """Draw every line of a complex script with its ActualText (once per process)."""
    weasyprint.draw.text.draw_first_line = _draw_line_with_actual_text
