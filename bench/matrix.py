"""Benchmark the matrix build against a shell loop of the `weasyprint` command.

Run from the project folder:  .venv/bin/python bench/matrix.py
It works on a throw-away copy of the project, measures in one run on this machine:
  (a) a loop of the `weasyprint` command over the same HTML our build renders,
  (b) our full build with --force (warm workers, every core), after one that also kept each
      file's HTML and CSS for (a) and the floors (timed and printed as well),
  (c) a no-op rebuild (nothing changed),
  (d) a rebuild after one catalog (.po) changed,
  (f) a rebuild of one cell (both its files) after an edit to its catalog, as a translator
      checking a sentence does from the command line,
  (e) a floor for (b): the same documents, each laid out and written once by warm workers on
      every core with our renderer, and nothing else (no fitting, glyph check or preflight),
  (g) the floor of the build as it now works: each cell laid out once and both its files
      written from that layout, by the same warm workers, nothing else,
and prints each time and the ratios. No figures are asserted: they are for reading.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from brochurekit.project import copy_project_inputs

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{result.stdout}{result.stderr}")
    return seconds, result.stdout


def stylesheet_for(html: str) -> str:
    """The layout's stylesheet, recognised from the first panel class the template writes."""
    layout = re.search(r'class="(?:panel panel-)?(flap|page-1|poster)', html)[1]
    return {"flap": "tri-fold.css", "page-1": "handout.css", "poster": "poster.css"}[layout]


_renderer = None


def _warm(project: Path) -> None:
    global _renderer
    from brochurekit.pdf import Renderer

    _renderer = Renderer(project)


def _render_once(page: Path) -> int:
    """Lay out and write one kept document with the warm renderer; the PDF is discarded."""
    from brochurekit.press import PRESS_CONDITIONS, Press

    profile = "print" if page.stem.endswith("-print") else "screen"
    html = page.read_text(encoding="utf-8")
    css = page.with_suffix(".css").read_text(encoding="utf-8")
    # The press whose profile the kept CSS names (print files only).
    press = next((Press(condition, condition.profile) for condition in PRESS_CONDITIONS.values()
                  if condition.profile.as_uri() in css), None)
    document = _renderer.layout(page.stem, html, ["tokens.css", "base.css", stylesheet_for(html)],
                                css, profile, press)
    bleed = 3.0 if profile == "print" else 0.0  # sets page boxes only; costs the same
    return len(_renderer.write(page.stem, document, bleed, b"0" * 32, profile, press, None,
                               _screen_colors(page) if profile == "screen" else None))


def _screen_colors(page: Path) -> dict[str, str]:
    """Each colour of a cell's layout (the kept print CSS's palette, which the HTML's
    drawings use too) and its screen colour (the kept screen CSS's), by token."""
    def tokens(profile: str) -> dict[str, str]:
        css = page.with_name(re.sub(r"-(print|screen)$", f"-{profile}", page.stem) + ".css")
        return dict(re.findall(r"^  --([\w-]+): (.+);$", css.read_text(encoding="utf-8"),
                               re.MULTILINE))
    printed, shown = tokens("print"), tokens("screen")
    return {value: shown[name] for name, value in printed.items()
            if name in shown and value.startswith("device-cmyk")}


def _render_cell_once(page: Path) -> int:
    """Lay out one cell's kept print document once with the warm renderer and write both its
    files from that layout, as the build does (each palette colour mapped to the screen's by
    token, from the two kept theme CSS files); the PDFs are discarded."""
    from brochurekit.press import PRESS_CONDITIONS, Press

    html = page.read_text(encoding="utf-8")
    css = page.with_suffix(".css").read_text(encoding="utf-8")
    press = next(Press(condition, condition.profile) for condition in PRESS_CONDITIONS.values()
                 if condition.profile.as_uri() in css)
    document = _renderer.layout(page.stem, html, ["tokens.css", "base.css", stylesheet_for(html)],
                                css, "print", press)
    return len(_renderer.write(page.stem, document, 3.0, b"0" * 32, "print", press)) + len(
        _renderer.write(page.stem, document, 0.0, b"0" * 32, "screen", None, None,
                        _screen_colors(page)))


def floor(project: Path, pages: list[Path], render=_render_once) -> float:
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(os.cpu_count(), initializer=_warm, initargs=(project,)) as pool:
        pool.map(render, pages, chunksize=1)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ims-bench-") as scratch:
        project = copy_project_inputs(ROOT, Path(scratch) / "project")
        build = [sys.executable, str(ROOT / "cli.py"), "--project", str(project), "build"]

        # The documents for (a) and the floors: a build that also keeps each file's HTML and
        # CSS (timed too, as it writes 204 more files). Then (b), the build as people run it.
        kept, _ = run(*build, "--force", "--keep-html", cwd=project)
        full, output = run(*build, "--force", cwd=project)
        cells = int(re.search(r"(\d+) built", output)[1])
        workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        pages = sorted((project / "out" / "html").rglob("*.html"))
        loop_out = Path(scratch) / "loop"
        loop_out.mkdir()
        started = time.perf_counter()
        for index, page in enumerate(pages):
            stylesheet = stylesheet_for(page.read_text(encoding="utf-8"))
            variant = ["--pdf-variant", "pdf/x-4"] if page.stem.endswith("-print") else \
                ["--pdf-variant", "pdf/ua-1"]
            subprocess.run([str(VENV_BIN / "weasyprint"), "--quiet", "-u", f"{project}/",
                            "-s", str(project / "styles" / "tokens.css"),
                            "-s", str(project / "styles" / "base.css"),
                            "-s", str(project / "styles" / stylesheet),
                            "-s", str(page.with_suffix(".css")), *variant,
                            str(page), str(loop_out / f"{index}.pdf")], check=True,
                           capture_output=True)
        loop = time.perf_counter() - started
        bare = floor(project, pages)
        cells_once = floor(project, [page for page in pages if page.stem.endswith("-print")],
                           _render_cell_once)

        noop, output = run(*build, cwd=project)
        skipped = int(re.search(r"(\d+) unchanged", output)[1])

        po = project / "locales" / "fr_CA" / "LC_MESSAGES" / "brochures.po"
        po.write_text(po.read_text(encoding="utf-8").replace(
            "Prenez rendez-vous pour une évaluation", "Prenez rendez-vous pour votre évaluation"),
            encoding="utf-8")
        one, output = run(*build, cwd=project)
        rebuilt = int(re.search(r"(\d+) built", output)[1])

        po.write_text(po.read_text(encoding="utf-8").replace(
            "Prenez rendez-vous pour votre évaluation", "Prenez rendez-vous pour une évaluation"),
            encoding="utf-8")
        cell, output = run(*build, "--clinic", "mont-royal", "--locale", "fr_CA",
                           "--brochure", "ims-overview", cwd=project)
        cell_files = int(re.search(r"(\d+) built", output)[1])

    print(f"machine: {os.cpu_count()} cores; {cells} PDFs ({len(pages)} HTML documents)")
    print(f"(a) shell loop of `weasyprint`      {loop:7.1f} s   {loop / len(pages):.2f} s/doc")
    print(f"(b) full build --force              {full:7.1f} s   {full / cells:.2f} s/doc   "
          f"{loop / full:.2f}x faster than (a)")
    print(f"    the same with --keep-html       {kept:7.1f} s   (the documents for (a), (e), (g))")
    print(f"(c) no-op rebuild                   {noop:7.2f} s   ({skipped} cells skipped)")
    print(f"(d) after one .po changed (fr_CA)   {one:7.1f} s   ({rebuilt} cells rebuilt)")
    print(f"(f) one cell after an edit          {cell:7.1f} s   ({cell_files} files rebuilt)")
    print(f"(e) floor: one layout + write each   {bare:7.1f} s   {bare / len(pages):.2f} s/doc   "
          f"{loop / bare:.2f}x faster than (a); (b) takes {full / bare:.2f}x the floor")
    print(f"(g) floor: one layout per cell       {cells_once:7.1f} s   "
          f"{loop / cells_once:.2f}x faster than (a); (b) takes {full / cells_once:.2f}x "
          "this floor\n    (both files of a cell written from one layout, as the build does)")
    print(f"largest process during (b), the build or a worker: {workers_rss:.0f} MB resident")


if __name__ == "__main__":
    main()
