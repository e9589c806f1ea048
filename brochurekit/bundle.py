"""What a print shop needs for one clinic, in one zip: its print PDFs, a job sheet (paper,
trim, bleed, folds, press condition, quantities to fill in), the preflight report and a
checksum list (issue 18). Only current, final print files go: a draft, a failed cell or a
stale PDF stops the bundle, named, with what to do."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .build import cell_statuses, check_outputs
from .catalogs import locale_info
from .errors import InputError, Location
from .files import write_atomic
from .layouts import LAYOUTS, PAPERS, tri_fold_sheets
from .project import Project

# Every entry gets this date, so the same files make the same zip.
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Bundle:
    path: Path
    pdfs: tuple[str, ...]


def write_bundle(project: Project, out_dir: Path, slug: str, target: Path | None) -> Bundle:
    clinic = project.clinics.get(slug)
    if clinic is None:
        raise InputError(f"no clinic {slug!r}; the clinics are: "
                         + ", ".join(sorted(project.clinics)), Location(project.root / "clinics"))
    cells = [(entry, status, pdf) for entry, status, pdf in cell_statuses(project, out_dir)
             if entry.get("clinic") == slug and entry.get("profile") == "print"
             and entry.get("locale") in clinic.locales]
    wanted = {(locale, brochure) for locale in clinic.locales for brochure in project.brochures}
    have = {(entry["locale"], entry["brochure"]) for entry, _, _ in cells}
    problems = [f"{locale}/{brochure}: not built" for locale, brochure in sorted(wanted - have)]
    problems += [f"{entry['locale']}/{entry['brochure']}: {status}"
                 + (f" ({entry.get('reason')})" if status == "failed" else "")
                 for entry, status, pdf in cells if status != "built" or pdf is None]
    if problems:
        raise InputError(f"the print files of {slug} are not all final, so nothing was bundled: "
                         + "; ".join(problems) + f". Build them (ims-brochure build --clinic "
                         f"{slug} --profile print), finish their translations, then bundle again",
                         Location(out_dir / "manifest.json"))
    report = [line for entry, status, findings in check_outputs(project, out_dir, slug)
              if entry.get("profile") == "print"
              for line in ([f"{entry['path']}: no findings"] if not findings else
                           [f"{entry['path']}: {finding}" for finding in findings])]
    files: dict[str, bytes] = {}
    for entry, _, pdf in sorted(cells, key=lambda cell: cell[0]["path"]):
        files[Path(entry["path"]).name] = pdf.read_bytes()
    files["JOB-SHEET.txt"] = _job_sheet(project, clinic, [entry for entry, _, _ in cells]).encode()
    files["PREFLIGHT.txt"] = ("Preflight of each print file (ims-brochure check)\n\n"
                              + "\n".join(report) + "\n").encode()
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                                  for name, data in files.items()).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(f"{slug}/{name}", _ZIP_DATE), data)
    path = target or out_dir / "bundles" / f"{slug}-print.zip"
    write_atomic(path, buffer.getvalue())
    return Bundle(path, tuple(name for name in files if name.endswith(".pdf")))


def _job_sheet(project: Project, clinic, entries: list[dict]) -> str:
    lines = [f"Print job: {clinic.name}", "",
             "Every file is PDF/X-4, CMYK with its output intent, fonts embedded, trim and "
             "bleed boxes set, crop marks outside the bleed.", ""]
    for entry in sorted(entries, key=lambda entry: entry["path"]):
        layout = LAYOUTS[entry["layout"]]
        paper = PAPERS[clinic.paper_for(layout)]
        press = clinic.press_for(layout)
        width, height = (paper.height_mm, paper.width_mm) if layout.landscape \
            else (paper.width_mm, paper.height_mm)
        lines += [f"{Path(entry['path']).name}",
                  f"  {entry['brochure']} ({layout.name}), language {entry['locale']}, "
                  f"{entry['pages']} page(s)" + (", printed both sides" if entry["pages"] == 2
                                                 else ""),
                  f"  Trim: {paper.name}, {width:g} x {height:g} mm "
                  f"({width / 25.4:.2f} x {height / 25.4:.2f} in); bleed {paper.bleed_label}",
                  f"  Press condition: {press.condition.identifier} ({press.condition.condition})"
                  + ("" if press.registered else ", the print shop's own profile")]
        if layout.name == "tri-fold":  # a right-to-left brochure folds the other way
            rtl = locale_info(entry["locale"]).direction == "rtl"
            outside = tri_fold_sheets(paper, right_to_left=rtl)[0]
            folds = ", ".join(f"{panel.x_mm:g} mm" for panel in outside.panels[1:])
            lines.append(f"  Fold: roll fold (letter fold), two folds at {folds} from the "
                         "left trim edge of page 1 (the outside); the narrow flap folds in "
                         "first. Fold marks are printed beyond the bleed.")
        lines += ["  Quantity: ________    Paper stock: ________", ""]
    return "\n".join(lines)
