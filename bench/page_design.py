"""The printed page in figures: type sizes, empty panels and tagged figures of a built matrix.

Run from the project folder after a build:  .venv/bin/python bench/page_design.py [OUT]
It reads OUT/manifest.json (default out/) and measures every built PDF of a real locale
(pseudo-locales are left out), from the PDF alone:
- type: the size most characters are set in (body), the share of characters under 9 pt, and
  the smallest size, each size as printed (font size times the text and graphics matrices);
- fill: for every content panel (tri-fold inside panels, handout pages, poster pages), how much
  of its height is left empty below its lowest line of text;
- figures: in screen PDFs, how many Figure structure elements are tagged, and how many carry
  alternative text.
It prints one line per PDF and a summary against the design bar of issue 14. It asserts nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from brochurekit.catalogs import is_pseudo, locale_info  # noqa: E402
from brochurekit.layouts import LAYOUTS, PAPERS, sheets_for  # noqa: E402
from brochurekit.project import load_project  # noqa: E402

PT_PER_MM = 72 / 25.4


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


def figures(reader: PdfReader) -> tuple[int, int]:
    """(Figure elements, of which with /Alt) in the structure tree."""
    root = reader.trailer["/Root"].get("/StructTreeRoot")
    count = with_alt = 0
    pending = [root.get_object()] if root is not None else []
    while pending:
        node = pending.pop()
        if isinstance(node, dict) or hasattr(node, "get"):
            if node.get("/S") == "/Figure":
                count += 1
                with_alt += "/Alt" in node
            kids = node.get("/K")
            kids = kids if isinstance(kids, list) else [kids] if kids is not None else []
            pending += [kid.get_object() for kid in kids if hasattr(kid, "get_object")]
    return count, with_alt


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out"
    project = load_project(ROOT)
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    worst = {"body": 99.0, "small": 0.0, "smallest": 99.0, "empty": 0.0}
    misses = Counter()
    print(f"{'pdf':52} {'body':>5} {'<9pt':>6} {'min':>5}  fill (empty share per panel)  "
          "figures")
    for entry in sorted(entries, key=lambda e: e.get("path") or ""):
        if entry.get("status") not in ("built", "draft") or is_pseudo(entry["locale"]):
            continue
        pdf = out / entry["path"]
        reader = PdfReader(pdf)
        sizes = type_sizes(reader)
        total = sum(sizes.values())
        body = sizes.most_common(1)[0][0]
        small = sum(n for size, n in sizes.items() if size < 9) / total
        smallest = min(sizes)
        clinic = project.clinics[entry["clinic"]]
        layout = LAYOUTS[entry["layout"]]
        paper = PAPERS[clinic.paper_for(layout)]
        rtl = locale_info(entry["locale"]).direction == "rtl"
        empty = empty_fractions(pdf, reader, layout, paper, rtl)
        figure_note = ""
        if entry["profile"] == "screen":
            count, with_alt = figures(reader)
            figure_note = f"{with_alt}/{count} with alt"
            if layout.name == "tri-fold" and with_alt < 3:
                misses["screen tri-folds with fewer than 3 figures with alt"] += 1
        worst = {"body": min(worst["body"], body), "small": max(worst["small"], small),
                 "smallest": min(worst["smallest"], smallest),
                 "empty": max([worst["empty"], *empty.values()])}
        misses["body under 10 pt"] += body < 10
        misses["over 4% of characters under 9 pt"] += small > 0.04
        misses["a character under 6.5 pt"] += smallest < 6.5
        misses["a panel or page over 25% empty"] += any(v > 0.25 for v in empty.values())
        fill = " ".join(f"{name}:{value:.0%}" for name, value in empty.items())
        print(f"{entry['path']:52} {body:5.1f} {small:6.1%} {smallest:5.1f}  {fill:29} "
              f"{figure_note}")
    print(f"\nworst: body {worst['body']:.1f} pt, {worst['small']:.1%} of characters under "
          f"9 pt, smallest {worst['smallest']:.1f} pt, emptiest panel {worst['empty']:.0%}")
    for what, count in misses.items():
        print(f"PDFs with {what}: {count}")


if __name__ == "__main__":
    main()
