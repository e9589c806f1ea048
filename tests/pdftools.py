"""Reading facts back out of built PDFs with poppler and pypdf, as a print shop would."""

from __future__ import annotations

import re
import subprocess
import zlib
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from pypdf import PdfReader


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
