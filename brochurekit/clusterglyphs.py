"""Text that reads back as it was written, in the scripts whose glyphs cannot say it.

Text extraction (pdftotext, MuPDF, the text layer a screen reader or a search uses) reads a
PDF glyph by glyph, each glyph meaning the text its ToUnicode entry gives, and groups glyphs
into words by where they sit. Arabic, Persian and Indic scripts defeat both: a vowel mark is
a glyph of its own, raised or lowered over its letter (poppler starts a new word, often a new
line, for a glyph off the baseline: "تُحَسّ" read as "تحس" and a stray "ّ"), a Gurmukhi vowel
sign is drawn before the consonant it follows, a ligature (lam-alef) is one glyph for two
letters, and a zero-width non-joiner is no glyph at all.

So each cluster that HarfBuzz shaped into several glyphs (a letter with its marks, a Gurmukhi
syllable) is drawn as one glyph: a TrueType composite glyph, added to the embedded font, made
of the cluster's own glyphs at the very places HarfBuzz put them, and meaning the cluster's
text. The page does not change; what reads back is the text. A zero-width non-joiner is drawn
as a blank glyph that means it. Fonts that cannot take composite glyphs (CFF, variable,
bitmap) keep glyph-by-glyph meanings (textmap) and, on a left-to-right line whose vowel signs
are drawn before their consonant, the line's text as ActualText.

Upstream, WeasyPrint's draw_first_line could map per cluster itself (it keeps the first
cluster a glyph was drawn in, for good) and PDF writers generally could emit such clusters as
one glyph or as ActualText that extraction tools honour in right-to-left runs.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field

import pydyf
import weasyprint.draw.text
import weasyprint.pdf.fonts
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

from .fontsubsets import clean as _clean_font
from .recent import Recent
from .textmap import blank_glyph, own_character
from .typography import plain_text

# Scripts whose characters and glyphs are not one to one (Arabic, Persian, Indic), and the
# non-joiner.
_SHAPED = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
                     "\u0900-\u0dff\u200c]")
# Left-to-right scripts whose glyphs are not drawn in the order of their characters (Indic
# vowel signs drawn before their consonant: Devanagari to Malayalam, Gurmukhi among them).
_REORDERED = re.compile("[\u0900-\u0dff]")
# Tables that list every glyph and that a font with added glyphs could not keep as they are.
_PER_GLYPH_TABLES = ("hdmx", "LTSH")

_draw_first_line = weasyprint.draw.text.draw_first_line


@dataclass
class ClusterGlyphs:
    """The glyphs added to one embedded font: each made of (glyph, x, y) parts in font units
    (none for a blank glyph), with its advance, and meaning one text."""
    by_shape: dict[tuple, int] = field(default_factory=dict)  # (parts, advance, text) -> id
    shapes: dict[int, tuple] = field(default_factory=dict)  # glyph id -> (parts, advance)

    def glyph_for(self, font, parts: tuple, advance: int, width: int, text: str) -> int:
        """The id of the added glyph of this shape and meaning (`width`: its advance in
        thousandths of an em, as WeasyPrint writes widths)."""
        key = (parts, advance, text)
        glyph = self.by_shape.get(key)
        if glyph is None:
            # The next id past the font's glyphs and those WeasyPrint numbered for characters
            # the font lacks (glyph_count + len(missing)); counted as the font's own, so the
            # next missing character gets the id after it.
            glyph = font.glyph_count + len(font.missing)
            font.glyph_count += 1
            self.by_shape[key] = glyph
            self.shapes[glyph] = (parts, advance)
            font.widths[glyph] = width
            font.to_unicode[glyph] = text
        return glyph


def _cluster_glyphs(font) -> ClusterGlyphs | None:
    """The font's added glyphs, or None if it cannot take any: only static TrueType outlines
    (glyf) can be composed, and fonts whose glyphs all go to a form field keep their cmap."""
    if font.bitmap or font.png or font.svg or font.colr or "glyf" not in font.tables \
            or "fvar" in font.tables or "vhea" in font.tables:
        return None
    glyphs = getattr(font, "cluster_glyphs", None)
    if glyphs is None:
        glyphs = font.cluster_glyphs = ClusterGlyphs()
    return glyphs


def _draw_line(stream, textbox, *args, **kwargs):
    if not _SHAPED.search(textbox.text):
        return _draw_first_line(stream, textbox, *args, **kwargs)
    uncomposed = _draw_clusters_as_glyphs(stream, textbox)
    if not uncomposed or not _REORDERED.search(textbox.text) \
            or textbox.style["direction"] == "rtl":
        return _draw_first_line(stream, textbox, *args, **kwargs)
    # Not right-to-left lines: poppler and MuPDF lay ActualText out left to right and then
    # reverse it.
    stream.begin_marked_content("Span", pydyf.Dictionary(
        {"ActualText": pydyf.String(plain_text(textbox.text))}))
    try:
        return _draw_first_line(stream, textbox, *args, **kwargs)
    finally:
        stream.end_marked_content()


def _draw_clusters_as_glyphs(stream, textbox) -> bool:
    """Before WeasyPrint draws the line, turn each cluster of several glyphs into one and say
    what each new glyph means. True if a cluster of several glyphs is left (its font cannot
    take composite glyphs)."""
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    layout = textbox.pango_layout
    # The same call WeasyPrint makes before drawing (it lays the line out once, not again).
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    line, _ = layout.get_first_line()
    text = layout.text.encode()
    uncomposed = False
    run = line.runs
    while run != ffi.NULL:
        item = run.data
        run = run.next
        font, font_size = stream.add_font(item.item.analysis.font)
        glyphs = item.glyphs
        count, offset = glyphs.num_glyphs, item.item.offset
        members: dict[int, list[int]] = {}
        for index in range(count):
            members.setdefault(glyphs.log_clusters[index], []).append(index)
        composer = _cluster_glyphs(font)
        for start, end, clusters in _letters(text[offset:offset + item.item.length],
                                             sorted(members)):
            cluster = text[offset + start:offset + end].decode(errors="replace")
            indexes = sorted(index for member in clusters for index in members[member])
            infos = [glyphs.glyphs[index] for index in indexes]
            drawn = [info for info in infos if info.glyph != pango.PANGO_GLYPH_EMPTY]
            if composer is not None and any(info.glyph in composer.shapes for info in drawn):
                continue  # a line drawn again keeps the glyphs it was given the first time
            if len(drawn) > 1 and composer is not None and font_size \
                    and indexes[-1] - indexes[0] == len(indexes) - 1 and \
                    not any(info.glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG for info in drawn):
                _compose(font, composer, infos, cluster, font_size, FROM_UNITS,
                         pango.PANGO_GLYPH_EMPTY, bool(item.item.analysis.level % 2))
            else:
                uncomposed |= len(drawn) > 1
                _map_cluster(font, infos, cluster, pango.PANGO_GLYPH_EMPTY)
    return uncomposed


def _letters(text: bytes, starts: list[int]) -> list[tuple[int, int, list[int]]]:
    """The byte ranges of a run's letters, with the starts of the Pango clusters in each: a
    cluster (Pango gives a vowel mark or a vowel sign a cluster of its own unless the shaper
    moved it) with the clusters of the marks that follow it, as a reader counts letters
    (Unicode's extended grapheme clusters, for these scripts)."""
    ends = [*starts[1:], len(text)]
    letters: list[tuple[int, int, list[int]]] = []
    for start, end in zip(starts, ends, strict=True):
        piece = text[start:end].decode(errors="replace")
        if letters and piece and all(unicodedata.category(char) in _MARKS for char in piece):
            first, _, clusters = letters[-1]
            letters[-1] = (first, end, [*clusters, start])
        else:
            letters.append((start, end, [start]))
    return letters


_MARKS = ("Mn", "Mc", "Me")


def _mark_characters(text: str) -> str:
    return "".join(char for char in text if unicodedata.category(char) in _MARKS)


def _compose(font, composer: ClusterGlyphs, infos, cluster: str, font_size: float,
             from_units: float, empty: int, right_to_left: bool) -> None:
    """Draw the cluster's glyphs (in drawing order, each at the pen plus its offset) as one
    composite glyph at the cluster's first place, advancing as they did together.

    Right to left, the vowel marks that end the cluster go to a blank glyph of their own,
    drawn first, just left of the composite (where HarfBuzz draws marks): extraction tools
    reverse a right-to-left line, the letters of each glyph included, so the composite's
    text would begin with a mark, and MuPDF takes such a glyph for a mark of no width and
    reads a space after it. The blank glyph is MARK_WIDTH wide and ends where the composite
    begins: poppler takes a glyph at the very place of the one before it for a duplicate
    and splits the word there. (A mark inside a ligature, as in "لًا", stays with its
    letters.)"""
    to_em = from_units / font_size  # Pango units to ems
    units = font.upem * to_em
    parts, pen = [], 0
    for info in infos:
        if info.glyph != empty:
            parts.append((info.glyph, round((pen + info.geometry.x_offset) * units),
                          round(-info.geometry.y_offset * units)))
        pen += info.geometry.width
    letters = cluster.rstrip(_mark_characters(cluster))
    width = round(pen * 1000 * to_em)  # in thousandths of an em
    marks = cluster[len(letters):] if right_to_left and letters else ""
    glyph = composer.glyph_for(font, tuple(parts), round(pen * units), width,
                               cluster[:len(cluster) - len(marks)])
    drawn = [(glyph, pen, 0)]  # (glyph, advance in Pango units, x offset)
    if marks:
        blank = composer.glyph_for(font, (), round(MARK_WIDTH * font.upem),
                                   round(MARK_WIDTH * 1000), marks)
        # WeasyPrint moves a glyph by x_offset / font_size thousandths of an em.
        drawn.insert(0, (blank, 0, -round(MARK_WIDTH * 1000 * font_size)))
    for index, info in enumerate(infos):
        info.glyph, info.geometry.width, info.geometry.x_offset = \
            drawn[index] if index < len(drawn) else (empty, 0, 0)
        info.geometry.y_offset = 0


# The width, in ems, of the blank glyph that carries a right-to-left cluster's final marks:
# past poppler's duplicate distance (0.1 em) and within MuPDF's space threshold (0.15 em).
MARK_WIDTH = 0.12


def _map_cluster(font, infos, cluster: str, empty: int) -> None:
    """Say what the glyphs of a cluster drawn glyph by glyph mean (WeasyPrint keeps the first
    meaning a glyph is given, for the whole document):

    - a cluster of one glyph means the cluster's text (a ligature: lam-alef);
    - in a cluster of several, a glyph that is the font's own glyph for one of its characters
      means that character (a vowel sign, a consonant), and the first other glyph the rest;
    - a zero-width non-joiner, which Pango draws as no glyph (so Persian "می‌شود" read back
      as "میشود"), becomes a blank glyph of zero width (the font's NULL: no outline, no
      advance; its ZWNJ glyph draws a bar), meaning the ZWNJ."""
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


def _clean_with_cluster_glyphs(font, to_unicode, hinting):
    """WeasyPrint's subsetting, keeping the parts of the added glyphs, then the added glyphs."""
    glyphs = getattr(font, "cluster_glyphs", None)
    if not glyphs or not glyphs.shapes:
        return _clean_font(font, to_unicode, hinting)
    if to_unicode:  # the glyphs to keep: drawn ones and parts, not the added ones
        to_unicode = {glyph: text for glyph, text in to_unicode.items()
                      if glyph not in glyphs.shapes}
        for parts, _ in glyphs.shapes.values():
            for part, _, _ in parts:
                to_unicode.setdefault(part, "")
    _clean_font(font, to_unicode, hinting)
    # Both files of a cell are written from one layout: the same subset gets the same glyphs.
    key = (hashlib.sha256(font.file_content).digest(), font.index,
           tuple(sorted(glyphs.shapes.items())))
    made = _made.get(key)
    if made is None:
        made = _made[key] = with_composite_glyphs(font.file_content, font.index, glyphs.shapes)
    font.file_content = made


# Fonts with composite glyphs, by subset and glyphs, the last few made (a worker's memory stays
# flat): the second file of a cell takes its fonts from here.
_made: Recent[tuple, bytes] = Recent(8)


def with_composite_glyphs(content: bytes, index: int, shapes: dict[int, tuple]) -> bytes:
    """A TrueType font file with a composite glyph at each given id (the ids between its last
    glyph and them empty), each made of (glyph id, x, y) parts and advancing as given."""
    # The font's header keeps its date (fontTools would stamp now): the same build, the same
    # bytes. Bounds and maxp are brought up to date here for the added glyphs only: fontTools
    # would recompute them for every glyph of the font, ten times the cost.
    font = TTFont(io.BytesIO(content), fontNumber=index, recalcTimestamp=False,
                  recalcBBoxes=False)
    order = list(font.getGlyphOrder())
    outlines, metrics = font["glyf"], font["hmtx"]
    first_new = len(order)
    order += [f"cluster{glyph}" for glyph in range(first_new, max(shapes) + 1)]
    font.setGlyphOrder(order)
    outlines.glyphOrder = order
    for glyph in range(first_new, len(order)):
        name, outline, advance = order[glyph], Glyph(), 0
        if glyph in shapes:
            parts, advance = shapes[glyph]
            if parts:
                outline.numberOfContours = -1
                outline.components = [_component(order[part], x, y) for part, x, y in parts]
        outlines[name] = outline
        outline.recalcBounds(outlines)
        metrics[name] = (advance, getattr(outline, "xMin", 0))
        if glyph in shapes and outline.isComposite():
            _account(font, outline, outlines)
    for tag in _PER_GLYPH_TABLES:
        if tag in font:
            del font[tag]
    if "post" in font:
        font["post"].formatType = 3.0  # no glyph names to keep in step
    result = io.BytesIO()
    font.save(result)
    return result.getvalue()


def _account(font: TTFont, outline: Glyph, outlines) -> None:
    """Grow the font's header bounds and maxp limits to hold an added composite glyph."""
    head, limits = font["head"], font["maxp"]
    head.xMin, head.yMin = min(head.xMin, outline.xMin), min(head.yMin, outline.yMin)
    head.xMax, head.yMax = max(head.xMax, outline.xMax), max(head.yMax, outline.yMax)
    coordinates, ends, _ = outline.getCoordinates(outlines)
    limits.maxCompositePoints = max(limits.maxCompositePoints, len(coordinates))
    limits.maxCompositeContours = max(limits.maxCompositeContours, len(ends))
    limits.maxComponentElements = max(limits.maxComponentElements, len(outline.components))
    limits.maxComponentDepth = max(limits.maxComponentDepth, _depth(outline, outlines))


def _depth(outline: Glyph, outlines) -> int:
    if not outline.isComposite():
        return 0
    return 1 + max(_depth(outlines[part.glyphName], outlines) for part in outline.components)


def _component(name: str, x: int, y: int) -> GlyphComponent:
    part = GlyphComponent()
    part.glyphName, part.x, part.y, part.flags = name, x, y, 0
    return part


def install() -> None:
    """Draw every line of a complex script cluster by cluster (once per process)."""
    weasyprint.draw.text.draw_first_line = _draw_line
    weasyprint.pdf.fonts.Font.clean = _clean_with_cluster_glyphs
