"""Where a full build's time goes, phase by phase, in one process.

Run from the project folder:  .venv/bin/python bench/phases.py
It builds every cell with --force in a single process (no pool, so the phases add up) on a
throw-away copy of the project, and prints the seconds spent in each phase of a cell: HTML,
glyph check, layout (more layouts than PDFs means text was fitted), PDF writing, preflight.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from brochurekit import build
from brochurekit.pdf import Renderer
from brochurekit.project import copy_project_inputs, load_project

ROOT = Path(__file__).resolve().parent.parent
seconds: defaultdict[str, float] = defaultdict(float)
calls: Counter[str] = Counter()


def timed(owner, name: str, phase: str) -> None:
    """Replace owner.name by a wrapper that adds its time to `phase`."""
    function = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[phase] += time.perf_counter() - started
            calls[phase] += 1
    setattr(owner, name, wrapper)


def main() -> None:
    timed(build, "render_html", "HTML (Jinja)")
    timed(build, "_check_glyphs", "glyph check")
    timed(Renderer, "layout", "layout")
    timed(Renderer, "write", "PDF writing")
    timed(build, "_preflight", "preflight")
    with tempfile.TemporaryDirectory(prefix="ims-phases-") as scratch:
        project = load_project(copy_project_inputs(ROOT, Path(scratch) / "project"))
        started = time.perf_counter()
        result = build.build(project, Path(scratch) / "out", force=True, workers=1)
        total = time.perf_counter() - started
    print(f"{len(result.outputs)} PDFs in one process: {total:.1f} s")
    for phase, spent in seconds.items():
        print(f"  {phase:14} {spent:6.2f} s  {spent / total:4.0%}  ({calls[phase]} calls)")
    print(f"  {'other':14} {total - sum(seconds.values()):6.2f} s")


if __name__ == "__main__":
    main()
