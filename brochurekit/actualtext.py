"""Text that reads back as it was written, in the scripts whose glyphs cannot say it.

A wrapper around WeasyPrint's line drawing (draw_first_line), installed once per process:
- for Arabic, Persian and Indic lines it says, cluster by cluster, what each new glyph means
  before WeasyPrint maps it (it kept the first cluster a glyph was drawn in, for good) and
  draws each zero-width non-joiner as a blank glyph, so it reads back;
- a left-to-right line whose vowel signs are drawn before their consonant (Gurmukhi) is drawn
  inside a marked-content span whose ActualText is the line's own text. Not right-to-left
  lines: poppler and MuPDF lay ActualText out left to right and then reverse it.
Upstream, WeasyPrint's draw_first_line could map per cluster and write ActualText itself.
"""

from __future__ import annotations

import re

import pydyf
import weasyprint.draw.text

from .textmap import blank_glyph, own_character
from .typography import plain_text

# Left-to-right scripts whose glyphs are not drawn in the order of their characters (Indic
# vowel signs drawn before their consonant: Devanagari to Malayalam, Gurmukhi among them).
_REORDERED = re.compile("[\u0900-\u0dff]")
_draw_first_line = weasyprint.draw.text.draw_first_line


def _draw_line_with_actual_text(stream, textbox, *args, **kwargs):
    if _SHAPED.search(textbox.text):
        _map_clusters(stream, textbox)
    if not _REORDERED.search(textbox.text) or textbox.style["direction"] == "rtl":
        return _draw_first_line(stream, textbox, *args, **kwargs)
    stream.begin_marked_content("Span", pydyf.Dictionary(
        {"ActualText": pydyf.String(plain_text(textbox.text))}))
    try:
        return _draw_first_line(stream, textbox, *args, **kwargs)
    finally:
        stream.end_marked_content()


# Scripts whose characters and glyphs are not one to one (Arabic, Persian, Indic), and the
# non-joiner.
_SHAPED = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
                     "\u0900-\u0dff\u200c]")


def _map_clusters(stream, textbox) -> None:
    """Before WeasyPrint draws the line, say what each of its new glyphs means, cluster by
    cluster (WeasyPrint keeps the first meaning a glyph is given, for the whole document):

    - a cluster of one glyph means the cluster's text (a ligature: lam-alef, heh with hamza);
    - in a cluster of several, a glyph that is the font's own glyph for one of its characters
      means that character (a vowel sign, a consonant), and the first other glyph the rest;
    - a zero-width non-joiner, which Pango draws as no glyph (so Persian "می‌شود" read back
      as "میشود"), becomes a blank glyph of zero width (the font's NULL: no outline, no
      advance; its ZWNJ glyph draws a bar), meaning the ZWNJ. The page does not change."""
    from weasyprint.text.ffi import ffi, pango

    layout = textbox.pango_layout
    # The same call WeasyPrint makes before drawing (it lays the line out once, not again).
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    line, _ = layout.get_first_line()
    text = layout.text.encode()
    run = line.runs
    while run != ffi.NULL:
        item = run.data
        run = run.next
        font, _ = stream.add_font(item.item.analysis.font)
        glyphs = item.glyphs
        count, offset = glyphs.num_glyphs, item.item.offset
        starts = sorted({glyphs.log_clusters[index] for index in range(count)})
        ends = dict(zip(starts, [*starts[1:], item.item.length], strict=True))
        members: dict[int, list[int]] = {}
        for index in range(count):
            members.setdefault(glyphs.log_clusters[index], []).append(index)
        for start, indexes in members.items():
            cluster = text[offset + start:offset + ends[start]].decode(errors="replace")
            _map_cluster(font, glyphs, indexes, cluster, pango.PANGO_GLYPH_EMPTY)


def _map_cluster(font, glyphs, indexes: list[int], cluster: str, empty: int) -> None:
    infos = [glyphs.glyphs[index] for index in indexes]
    if cluster == "\u200c" and len(infos) == 1 and infos[0].glyph == empty:
        blank = blank_glyph(font)
        if blank is not None:
            infos[0].glyph = blank
    drawn = [info.glyph for info in infos if info.glyph != empty]
    if len(drawn) == 1:
        font.to_unicode.setdefault(drawn[0], cluster)
        return
    rest = cluster
    unowned = []
    for glyph in drawn:
        own = own_character(font, glyph)
        if own is not None and own in rest:
            font.to_unicode.setdefault(glyph, own)
            rest = rest.replace(own, "", 1)
        else:
            unowned.append(glyph)
    if unowned and rest:
        font.to_unicode.setdefault(unowned[0], rest)


def install() -> None:
    """Draw every line of a complex script with its ActualText (once per process)."""
    weasyprint.draw.text.draw_first_line = _draw_line_with_actual_text
