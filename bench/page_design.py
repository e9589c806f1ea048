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
import sys
from collections import Counter
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from brochurekit.catalogs import is_pseudo, locale_info  # noqa: E402
from brochurekit.layouts import LAYOUTS, PAPERS  # noqa: E402
from brochurekit.project import load_project  # noqa: E402
from tests.pdftools import empty_fractions, figures, type_sizes  # noqa: E402


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
