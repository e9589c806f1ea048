"""Proof pages: what a build made, to look at instead of read (issue 18).

`OUT/proof/index.html` shows a thumbnail of every page of every cell of the output folder's
manifest, grouped by clinic and language, with the cell's status (built, draft, failed with
its reason, stale), its fit and its findings; each thumbnail opens a large page image, each
cell its PDF. `OUT/proof/<locale>.html` is a translator's view: every message of the locale's
catalog with where it prints, cropped from the built screen pages at the box the layout gave
it (recorded by the build: pdf.message_places). Everything is a local file; the pages open
from disk with no network. Page images are made with poppler and named by the PDF's sha256,
so an unchanged PDF's images are reused.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .build import cell_statuses
from .catalogs import catalog_locales, catalog_path, is_pseudo, read_template, template_keys
from .checks import CatalogReport, check_catalog
from .errors import InputError, Location
from .files import write_atomic
from .layouts import LAYOUTS
from .pofile import PoFile, read_po_file
from .project import Project

THUMB_DPI = 24
PAGE_DPI = 100
CROP_MARGIN_PT = 6
PROOF = "proof"


@dataclass(frozen=True)
class ProofResult:
    index: Path
    locale_pages: tuple[Path, ...]
    images_made: int
    images_reused: int


@dataclass(frozen=True)
class _Cell:
    entry: dict
    status: str
    pdf: Path | None
    thumbs: tuple[str, ...]  # relative to the proof folder
    pages: tuple[str, ...]


def write_proof(project: Project, out_dir: Path, reload_script: str = "") -> ProofResult:
    """Write OUT/proof: the gallery and a translator's view per locale. `reload_script`, from
    `serve`, goes into each page (static pages have none)."""
    if not (out_dir / "manifest.json").is_file():
        raise InputError("no manifest: build first (ims-brochure build)",
                         Location(out_dir / "manifest.json"))
    proof = out_dir / PROOF
    counts: Counter = Counter()
    # poppler runs in its own process: one per core at a time.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        made = list(pool.map(lambda cell: _with_images(*cell, proof),
                             cell_statuses(project, out_dir)))
    cells = [cell for cell, _ in made]
    for _, tally in made:
        counts.update(tally)
    template = read_template(project.root)
    catalogs = {locale: _catalog(project.root, locale, template)
                for locale in catalog_locales(project.root) if not is_pseudo(locale)}
    index = proof / "index.html"
    write_atomic(index, _gallery(cells, catalogs, reload_script).encode())
    pages = []
    for locale, catalog in sorted(catalogs.items()):
        page = proof / f"{locale}.html"
        ours = [cell for cell in cells if cell.entry["locale"] == locale]
        write_atomic(page, _translator_view(locale, catalog, ours, proof, counts,
                                            reload_script).encode())
        pages.append(page)
    return ProofResult(index, tuple(pages), counts["made"], counts["reused"])


def _catalog(root: Path, locale: str, template) -> tuple[PoFile, CatalogReport]:
    """The locale's catalog, read by the project's own reader, and its report (how complete)."""
    path = catalog_path(locale)
    po = read_po_file(root / path, path)
    return po, check_catalog(root, locale, path, template_keys(template), po=po)


def _with_images(entry: dict, status: str, pdf: Path | None, proof: Path
                 ) -> tuple[_Cell, Counter]:
    """The cell with its page images and thumbnails, and how many were made and reused."""
    counts: Counter = Counter()
    if pdf is None or not entry.get("sha256"):
        return _Cell(entry, status, pdf, (), ()), counts
    folder = Path("pages") / entry["sha256"][:20]
    pages = _rasterize(pdf, proof / folder, "page", PAGE_DPI, counts)
    thumbs = [_thumbnail(proof / folder, name, counts) for name in pages]
    return _Cell(entry, status, pdf, tuple((folder / name).as_posix() for name in thumbs),
                 tuple((folder / name).as_posix() for name in pages)), counts


def _thumbnail(folder: Path, page: str, counts: Counter) -> str:
    """A small copy of a page image (THUMB_DPI), made once."""
    name = page.replace("page-", "thumb-")
    if (folder / name).is_file():
        counts["reused"] += 1
        return name
    from PIL import Image

    with Image.open(folder / page) as image:
        scale = THUMB_DPI / PAGE_DPI
        small = image.resize((max(1, round(image.width * scale)),
                              max(1, round(image.height * scale))), Image.Resampling.LANCZOS)
        _write_png(small, folder / name)
    counts["made"] += 1
    return name


def _rasterize(pdf: Path, folder: Path, stem: str, dpi: int, counts: Counter) -> list[str]:
    """The PNG of each page of the PDF, made once per PDF (the folder is named by its hash)."""
    made = sorted(folder.glob(f"{stem}-*.png"), key=lambda path: int(path.stem.split("-")[1]))
    if made:
        counts["reused"] += len(made)
        return [path.name for path in made]
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), f"{scratch}/p"],
                       check=True, capture_output=True)
        names = []
        for path in sorted(Path(scratch).glob("p-*.png"),
                           key=lambda path: int(path.stem.split("-")[1])):
            name = f"{stem}-{int(path.stem.split('-')[1])}.png"
            shutil.move(path, folder / name)
            names.append(name)
    counts["made"] += len(names)
    return names


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; } h2 { margin: 2rem 0 .4rem; font-size: 1.3rem; }
h3 { margin: 1.2rem 0 .4rem; font-size: 1.05rem; } .summary { color: #475066; }
.cells { display: flex; flex-wrap: wrap; gap: .8rem; }
.cell { border: 1px solid #d5d9e2; border-radius: 6px; padding: .6rem; max-width: 30rem; }
.cell img { border: 1px solid #c4c9d4; margin: .2rem .2rem 0 0; vertical-align: top; }
.status { display: inline-block; padding: 0 .45rem; border-radius: 4px; font-size: .85rem;
          font-weight: 600; }
.built { background: #dff3e4; color: #155724; } .draft { background: #fff3cd; color: #6b4e00; }
.failed { background: #f8d7da; color: #721c24; } .stale { background: #e2e3f3; color: #2b2f6b; }
.finding { color: #721c24; font-size: .9rem; } table { border-collapse: collapse; width: 100%; }
td, th { border-top: 1px solid #d5d9e2; padding: .5rem; vertical-align: top; text-align: start; }
td.key { font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-all; }
.note { color: #475066; font-size: .85rem; }
.crop img { max-width: 26rem; border: 1px solid #c4c9d4; }
.missing { color: #721c24; font-weight: 600; }
"""


def _page(title: str, body: str, reload_script: str, lang: str = "en") -> str:
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}{reload_script}</body></html>\n")


def _gallery(cells: list[_Cell], catalogs: dict, reload_script: str) -> str:
    statuses = Counter(cell.status for cell in cells)
    parts = ["<h1>IMS brochures: proof</h1>",
             '<p class="summary">' + ", ".join(f"{count} {status}" for status, count in
                                               sorted(statuses.items())) +
             f" of {len(cells)} cells. Translator views: " +
             ", ".join(f'<a href="{html.escape(locale)}.html">{html.escape(locale)}</a>'
                       for locale in sorted(catalogs)) + "</p>"]
    by_clinic: dict[str, dict[str, list[_Cell]]] = {}
    for cell in cells:
        by_clinic.setdefault(cell.entry["clinic"], {}).setdefault(cell.entry["locale"],
                                                                   []).append(cell)
    for clinic, locales in sorted(by_clinic.items()):
        parts.append(f"<h2>{html.escape(clinic)}</h2>")
        for locale, ours in sorted(locales.items()):
            parts.append(f"<h3>{html.escape(locale)}{_completeness(catalogs.get(locale))}</h3>"
                         '<div class="cells">')
            parts += [_cell_card(cell) for cell in ours]
            parts.append("</div>")
    return _page("IMS brochures: proof", "".join(parts), reload_script)


def _completeness(catalog) -> str:
    if catalog is None:
        return ""
    _, report = catalog
    return f' <span class="note">catalog {report.translated}/{report.total} translated</span>'


def _cell_card(cell: _Cell) -> str:
    entry = cell.entry
    title = f"{entry['brochure']} · {entry['profile']}"
    parts = [f'<div class="cell"><strong>{html.escape(title)}</strong> '
             f'<span class="status {cell.status}">{cell.status}</span>']
    if isinstance(entry.get("fit"), int | float) and entry["fit"] < 1:
        parts.append(f' <span class="note">body type fitted to {entry["fit"]:.0%}</span>')
    if cell.status == "failed":
        parts.append(f'<p class="finding">{html.escape(str(entry.get("reason", "")))}</p>')
    elif cell.status == "stale":
        parts.append('<p class="finding">its inputs changed since this PDF was made: '
                     "build again</p>")
    elif cell.status == "draft":
        parts.append(f'<p class="finding">draft: {entry.get("untranslated", 0)} messages '
                     "print in English; not for the printer</p>")
    for warning in entry.get("warnings") or ():
        parts.append(f'<p class="finding">{html.escape(str(warning))}</p>')
    if cell.pdf is not None:
        parts.append(f'<p><a href="../{html.escape(entry["path"] or "")}">open the PDF</a></p>')
    for number, (thumb, page) in enumerate(zip(cell.thumbs, cell.pages, strict=True), 1):
        parts.append(f'<a href="{html.escape(page)}"><img src="{html.escape(thumb)}" '
                     f'alt="{html.escape(title)}, page {number}"></a>')
    parts.append("</div>")
    return "".join(parts)


def _translator_view(locale: str, catalog: tuple[PoFile, CatalogReport], cells: list[_Cell],
                     proof: Path, counts: Counter, reload_script: str) -> str:
    screens = sorted((cell for cell in cells if cell.entry["profile"] == "screen"
                      and cell.pages and cell.entry.get("places")),
                     key=lambda cell: (cell.entry["brochure"], cell.entry["clinic"]))
    rows = []
    po, _ = catalog
    for message in po.messages:
        english = message.msgid
        key = message.context or english
        translation = " | ".join(message.msgstr)
        state = "" if message.translated and not message.fuzzy else \
            ' <span class="missing">untranslated: prints in English</span>'
        notes = "<br>".join(html.escape(note) for note in message.auto_comments)
        crops = []
        for layout in LAYOUTS:
            cell = next((cell for cell in screens if cell.entry["layout"] == layout
                         and key in cell.entry["places"]), None)
            if cell is not None:
                crops.append(_crop(cell, key, proof, counts, layout))
        where = "".join(crops) or '<span class="note">not printed in a built screen PDF ' \
                                  "of this language</span>"
        rows.append(f'<tr><td class="key">{html.escape(message.context or "(no msgctxt)")}'
                    f'</td><td>{html.escape(english)}<div class="note">{notes}</div></td>'
                    f'<td dir="auto">{html.escape(translation)}{state}</td>'
                    f'<td class="crop">{where}</td></tr>')
    fitted = sorted({(cell.entry["brochure"], cell.entry["clinic"], cell.entry["fit"])
                     for cell in cells if isinstance(cell.entry.get("fit"), int | float)
                     and cell.entry["fit"] < 1})
    failed = sorted({(cell.entry["brochure"], cell.entry["clinic"]) for cell in cells
                     if cell.status == "failed"})
    head = [f"<h1>{html.escape(locale)}: every message, where it prints</h1>",
            '<p class="summary"><a href="index.html">all pages</a>. Each crop is cut from a '
            "built screen PDF at the box the layout gave the message.</p>"]
    head += [f'<p class="finding">{html.escape(brochure)} for {html.escape(clinic)}: the '
             f"text was fitted (body type at {fit:.0%}) to keep it in its panels</p>"
             for brochure, clinic, fit in fitted]
    head += [f'<p class="finding">{html.escape(brochure)} for {html.escape(clinic)}: the build '
             "failed; see the proof index for why</p>" for brochure, clinic in failed]
    table = ("<table><tr><th>msgctxt</th><th>English, and the note</th><th>Translation</th>"
             "<th>Where it prints</th></tr>" + "".join(rows) + "</table>")
    return _page(f"{locale}: messages in place", "".join(head) + table, reload_script)


def _write_png(image, target: Path) -> None:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    write_atomic(target, buffer.getvalue())


def _crop(cell: _Cell, key: str, proof: Path, counts: Counter, layout: str) -> str:
    page, left, top, width, height = cell.entry["places"][key]
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    relative = Path(cell.pages[page - 1]).parent / f"crop-{name}.png"
    target = proof / relative
    if target.is_file():
        counts["reused"] += 1
    else:
        from PIL import Image

        scale = PAGE_DPI / 72
        with Image.open(proof / cell.pages[page - 1]) as image:
            box = (max(0, round((left - CROP_MARGIN_PT) * scale)),
                   max(0, round((top - CROP_MARGIN_PT) * scale)),
                   min(image.width, round((left + width + CROP_MARGIN_PT) * scale)),
                   min(image.height, round((top + height + CROP_MARGIN_PT) * scale)))
            _write_png(image.crop(box), target)
        counts["made"] += 1
    label = f"{layout}, {cell.entry['clinic']}, page {page}"
    return (f'<div><a href="{html.escape(cell.pages[page - 1])}"><img src="'
            f'{html.escape(relative.as_posix())}" alt="{html.escape(label)}"></a>'
            f'<div class="note">{html.escape(label)}</div></div>')
