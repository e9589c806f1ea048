"""Reading facts back out of built PDFs with poppler and pypdf, as a print shop would."""

from __future__ import annotations

import re
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from pypdf import PdfReader

from brochurekit.layouts import sheets_for

PT_PER_MM = 72 / 25.4


def text(pdf: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if page:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def flat(value: str) -> str:
    return " ".join(value.split())


def fonts(pdf: Path) -> list[dict[str, str]]:
    """pdffonts rows as dicts: name, type, emb, sub."""
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object ID: the last six columns are fixed.
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return rows


def boxes(pdf: Path) -> list[dict[str, tuple[float, ...]]]:
    reader = PdfReader(pdf)
    return [{name: tuple(round(float(v), 2) for v in page[name])
             for name in ("/MediaBox", "/TrimBox", "/BleedBox")} for page in reader.pages]


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    x_max: float
    height: float


def words(pdf: Path, page: int) -> list[Word]:
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout
    found = []
    pattern = (r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
               r"(.*?)</word>")
    for x_min, y_min, x_max, y_max, word in re.findall(pattern, html):
        found.append(Word(unescape(word), float(x_min), float(x_max),
                          float(y_max) - float(y_min)))
    return found


def inflated(pdf: bytes) -> bytes:
    """The PDF with every Flate stream decompressed, to search what is normally hidden."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(match[1]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def text_runs(pdf: Path, page: int) -> list[tuple[float, str]]:
    """(size in points as printed, text) for every text run of a page, from the content
    stream itself: the font size scaled by the text and graphics matrices."""
    runs: list[tuple[float, str]] = []

    def visit(chunk, cm, tm, font, size) -> None:
        if chunk.strip():
            scale = (abs(tm[0] * tm[3] - tm[1] * tm[2]) * abs(cm[0] * cm[3] - cm[1] * cm[2]))
            runs.append((round(size * scale ** 0.5, 2), chunk))

    PdfReader(pdf).pages[page - 1].extract_text(visitor_text=visit)
    return runs


# --- the printed page in figures (issue 14's design bar; bench/page_design.py prints them) ---

def type_sizes(reader: PdfReader) -> Counter:
    """Characters by printed size (rounded to 0.1 pt), over every page."""
    sizes: Counter = Counter()

    def visit(chunk, cm, tm, font, size) -> None:
        if chunk.strip():
            scale = abs(tm[0] * tm[3] - tm[1] * tm[2]) * abs(cm[0] * cm[3] - cm[1] * cm[2])
            sizes[round(size * scale ** 0.5, 1)] += len(chunk.strip())

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    return sizes


def lowest_text(pdf: Path, page: int) -> list[tuple[float, float, float]]:
    """(x_min, x_max, y_max) of every word of a page, in points from the media box's top."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), float(d)) for a, _, b, d in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">', html)]


def empty_fractions(pdf: Path, reader: PdfReader, layout, paper, rtl: bool) -> dict[str, float]:
    """Each content panel's empty share of its height, below its lowest word."""
    found = {}
    for number, sheet in enumerate(sheets_for(layout, paper, rtl), start=1):
        page = reader.pages[number - 1]
        media_top = float(page.mediabox[3])
        trim = [float(v) for v in page.get("/TrimBox", page.mediabox)]
        left, top = trim[0], media_top - trim[3]  # trim's top-left, from the media box's top
        height = trim[3] - trim[1]
        words = lowest_text(pdf, number)
        for panel in sheet.panels:
            if panel.name not in layout.content_panels or \
                    (layout.name == "tri-fold" and not panel.name.startswith("inside")):
                continue
            x0 = left + panel.x_mm * PT_PER_MM
            x1 = x0 + panel.width_mm * PT_PER_MM
            bottoms = [y for a, b, y in words if a >= x0 - 1 and b <= x1 + 1]
            lowest = max(bottoms, default=top) - top
            found[panel.name] = max(0.0, (height - lowest) / height)
    return found


def figure_elements(reader: PdfReader) -> list:
    """The Figure elements of the structure tree, in tree order."""
    root = reader.trailer["/Root"].get("/StructTreeRoot")
    found, pending = [], [root.get_object()] if root is not None else []
    while pending:
        node = pending.pop(0)
        if not hasattr(node, "get"):  # a marked-content number, not an element
            continue
        if node.get("/S") == "/Figure":
            found.append(node)
        kids = node.get("/K")
        kids = kids if isinstance(kids, list) else [kids] if kids is not None else []
        pending += [kid.get_object() for kid in kids if hasattr(kid, "get_object")]
    return found


def figures(reader: PdfReader) -> tuple[int, int]:
    """(Figure elements, of which with /Alt) in the structure tree."""
    elements = figure_elements(reader)
    return len(elements), sum("/Alt" in element for element in elements)


def figure_alts(reader: PdfReader) -> list[str]:
    """The alternate text of every Figure in the structure tree, in tree order."""
    return [str(element["/Alt"]) for element in figure_elements(reader) if "/Alt" in element]


def text_paint(path: Path) -> Counter:
    """How many text-showing operations paint at each (size in pt, CMYK fill, overprint on),
    over every page: read with pypdf's content-stream parser, the size scaled by the text and
    graphics matrices, overprint from the /op of the graphics states drawn under."""
    from pypdf.generic import ContentStream

    def scale_of(operands) -> float:
        a, b, c, d = (float(value) for value in operands[:4])
        return abs(a * d - b * c) ** 0.5

    reader, counts = PdfReader(path), Counter()
    for page in reader.pages:
        states = page["/Resources"].get("/ExtGState") or {}
        color, ctm, overprint, saved, size, text_matrix = None, 1.0, False, [], 0.0, 1.0
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"q":
                saved.append((color, ctm, overprint))
            elif operator == b"Q":
                color, ctm, overprint = saved.pop()
            elif operator == b"cm":
                ctm *= scale_of(operands)
            elif operator == b"Tm":
                text_matrix = scale_of(operands)
            elif operator == b"Tf":
                size = float(operands[1])
            elif operator == b"gs":
                overprint = bool(states[operands[0]].get_object().get("/op", overprint))
            elif operator in (b"k", b"sc", b"scn") and len(operands) == 4:
                color = tuple(round(float(value), 4) for value in operands)
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                counts[round(size * text_matrix * ctm, 1), color, overprint] += 1
    return counts


def largest_fill_sizes(path: Path, page: int, subpaths: int = 100) -> list[tuple[float, float]]:
    """(width, height) in mm of every filled path of a page made of more than `subpaths`
    pieces (a QR code's modules are one such path), measured from the content stream with the
    full graphics matrix."""
    from pypdf.generic import ContentStream

    def times(m, n):
        return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
                m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
                m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]

    reader = PdfReader(path)
    ctm, states, points, pieces, found = [1, 0, 0, 1, 0, 0], [], [], 0, []
    for operands, operator in ContentStream(reader.pages[page - 1].get_contents(),
                                            reader).operations:
        if operator == b"q":
            states.append(ctm)
        elif operator == b"Q":
            ctm = states.pop()
        elif operator == b"cm":
            ctm = times([float(v) for v in operands], ctm)
        elif operator in (b"m", b"l"):
            x, y = (float(v) for v in operands)
            points.append((ctm[0] * x + ctm[2] * y + ctm[4], ctm[1] * x + ctm[3] * y + ctm[5]))
            pieces += operator == b"m"
        elif operator in (b"f", b"f*", b"n", b"S", b"B", b"B*", b"b"):
            if pieces > subpaths and operator.startswith(b"f"):
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                found.append((round((max(xs) - min(xs)) * 25.4 / 72, 1),
                              round((max(ys) - min(ys)) * 25.4 / 72, 1)))
            points, pieces = [], 0
    return found


def headings(reader: PdfReader) -> list[str]:
    """The heading structure types (/H1, /H2, ...) in the order of the structure tree, which
    is the order a screen reader reads."""
    found: list[str] = []

    def walk(element) -> None:
        element = element.get_object()
        kind = element.get("/S")
        if kind is not None and re.fullmatch(r"/H\d?", str(kind)):
            found.append(str(kind))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if hasattr(kid, "get") and "/S" in kid:
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def empty_text_mappings(reader: PdfReader) -> list[tuple[str, str]]:
    """(font, glyph) of every ToUnicode entry that maps a glyph to no text at all."""
    empty = []
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            if "/ToUnicode" in font:
                cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
                empty += [(str(font["/BaseFont"]), glyph)
                          for glyph in re.findall(r"<([0-9a-fA-F]+)>\s*<>", cmap)]
    return sorted(set(empty))
